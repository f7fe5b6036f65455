import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { decodePng } from './decode_png.js';
import { encodePng } from './encode_png.js';

const imageArb = fc
  .record({ h: fc.integer({ min: 1, max: 24 }), w: fc.integer({ min: 1, max: 24 }), c: fc.integer({ min: 1, max: 4 }) })
  .chain(({ h, w, c }) =>
    fc.uint8Array({ minLength: h * w * c, maxLength: h * w * c }).map((data) => new Tensor(data, [h, w, c], 'uint8')),
  );

describe('encodePng', () => {
  it('round-trips random uint8 images with 1 to 4 channels through decodePng (property)', () => {
    fc.assert(
      fc.property(imageArb, (image) => {
        const bytes = encodePng(image);
        const back = decodePng(bytes);
        expect(back.shape).toEqual(image.shape);
        expect(Array.from(back.data)).toEqual(Array.from(image.data));
      }),
      { numRuns: 200 },
    );
  });

  it('writes PNGs an independent decoder (sharp) reads back exactly', async () => {
    for (const c of [1, 2, 3, 4]) {
      const data = Uint8Array.from({ length: 13 * 7 * c }, (_, i) => (i * 37 + c) % 256);
      const bytes = encodePng(new Tensor(data, [7, 13, c], 'uint8'));
      const { data: raw, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      // sharp hands gray back as RGB (gray+alpha as RGBA): repeat the gray value to compare.
      const wanted =
        c > 2
          ? Array.from(data)
          : Array.from({ length: 7 * 13 }, (_, p) => [data[p * c], data[p * c], data[p * c], ...(c === 2 ? [data[p * c + 1]] : [])]).flat();
      expect([info.height, info.width, info.channels]).toEqual([7, 13, c > 2 ? c : c + 2]);
      expect(Array.from(raw)).toEqual(wanted);
    }
  });

  it('encodes a rank-2 image as gray', () => {
    const image = new Tensor(Uint8Array.from([0, 64, 128, 255]), [2, 2], 'uint8');
    const back = decodePng(encodePng(image));
    expect(back.shape).toEqual([2, 2, 1]);
    expect(Array.from(back.data)).toEqual([0, 64, 128, 255]);
  });

  it('rejects what PNG cannot hold', () => {
    expectConvlensError(
      () => encodePng(new Tensor(new Float32Array(4), [2, 2, 1], 'float32')),
      /^encodePng: image must be uint8, got float32 \(convert it with convertImageDtype/,
    );
    expectConvlensError(
      () => encodePng(new Tensor(new Uint8Array(4), [4], 'uint8')),
      /^encodePng: image must be rank 3 \[height, width, channels\] or rank 2 \[height, width\], got shape \[4\]$/,
    );
    expectConvlensError(() => encodePng(new Tensor(new Uint8Array(10), [1, 2, 5], 'uint8')), /must have 1 to 4 channels .* got 5/);
    expectConvlensError(() => encodePng(new Tensor(new Uint8Array(0), [0, 2, 3], 'uint8')), /image is empty/);
    expectConvlensError(() => encodePng([[1, 2]] as never), /image must be a uint8 Tensor/);
  });
});
