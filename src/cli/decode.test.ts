import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { decodeImage } from '../image/decode_image.js';
import { rgbToGrayscale } from '../image/rgb_to_grayscale.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeForCommand } from './decode.js';

const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url)));
/** TensorFlow's decode_jpeg of each file (test/fixtures/tf-reference): its RGB with the fast IDCT, decode_image's. */
const expected = JSON.parse(new TextDecoder().decode(fixture('jpeg-suite/expected.json')));

describe('decodeForCommand', () => {
  it.each(['cmyk', 'ycck'])(
    'decodes a %s JPEG to gray as rgbToGrayscale of the RGB TensorFlow decodes, where decodeImage refuses',
    (name) => {
      const bytes = fixture(`jpeg-suite/${name}.jpg`);
      expectConvlensError(() => decodeImage(bytes, { channels: 1 }), /cannot decode a (CMYK|YCCK) JPEG to 1 channel/);
      const tfRgb = expected[name].fast['3'];
      const want = rgbToGrayscale(new Tensor(new Uint8Array(Buffer.from(tfRgb.data, 'base64')), tfRgb.shape, 'uint8'));
      const got = decodeForCommand(bytes, { channels: 1 });
      expect([got.dtype, got.shape]).toEqual(['uint8', [...tfRgb.shape.slice(0, 2), 1]]);
      expect(got.data).toEqual(want.data);
    },
  );

  it("gives decodeImage's result and errors for every other image", () => {
    const gray = fixture('jpeg-suite/ycc420-q100.jpg');
    expect(decodeForCommand(gray, { channels: 1 }).data).toEqual(decodeImage(gray, { channels: 1 }).data);
    const cmyk = fixture('jpeg-suite/cmyk.jpg');
    expect(decodeForCommand(cmyk, { channels: 3 }).data).toEqual(decodeImage(cmyk, { channels: 3 }).data);
    expectConvlensError(() => decodeForCommand(cmyk.subarray(0, 300), { channels: 1 }), /^decodeImage: data is truncated/);
    expectConvlensError(
      () => decodeForCommand(cmyk, { channels: 1, maxPixels: 10 }),
      /^decodeImage: image is 17×23 = 391 pixels, above the limit of 10/,
    );
  });
});
