import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { bmpOfRgb, gif, paint } from '../../test/helpers/image_files.js';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeImage } from './decode_image.js';
import { decodeJpeg } from './decode_jpeg.js';
import { decodePng } from './decode_png.js';
import { encodePng } from './encode_png.js';
import * as image from './index.js';
import { DEFAULT_PIXEL_LIMIT, getPixelLimit, setPixelLimit } from './pixel_limit.js';

const asset = (name: string) => new Uint8Array(readFileSync(new URL(`../../assets/images/${name}`, import.meta.url)));
const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url)));
const json = (path: string) => JSON.parse(new TextDecoder().decode(fixture(path)));
const base64 = (data: string) => Array.from(Buffer.from(data, 'base64'));

/** TensorFlow's decode_image scales (decode_image_op.cc; the Python wrapper converts uint16 to other dtypes). */
const TF = {
  /** JPEG, GIF, BMP to float32: the uint8 value cast to float times float(1. / 255). */
  float32FromUint8: (v: number) => Math.fround(v * Math.fround(1 / 255)),
  /** PNG to float32: its uint16 value times float(1. / 65535). */
  float32FromUint16: (v: number) => Math.fround(v * Math.fround(1 / 65535)),
  /** uint8 to uint16 (× 256), then convert_image_dtype(uint16 → int32) (× 2^31 / 2^16). */
  int32FromUint8: (v: number) => v * 256 * 32768,
  int32FromUint16: (v: number) => v * 32768,
};

describe('decodeImage', () => {
  it('tells PNG from JPEG by the first bytes', () => {
    for (const [name, decode] of [
      ['camera.png', decodePng],
      ['chelsea.png', decodePng],
      ['rocket.jpg', decodeJpeg],
    ] as const) {
      for (const channels of [0, 1, 3, 4] as const) {
        const got = decodeImage(asset(name), { channels });
        const want = decode(asset(name), { channels });
        expect(got.shape).toEqual(want.shape);
        expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
      }
    }
  });

  it('accepts an ArrayBuffer (as fetch gives in the browser) and a Node Buffer', () => {
    const bytes = asset('camera.png');
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect(decodeImage(buffer as ArrayBuffer).shape).toEqual([512, 512, 1]);
    expect(decodeImage(readFileSync(new URL('../../assets/images/rocket.jpg', import.meta.url))).shape).toEqual([427, 640, 3]);
  });

  it('is exported for `import { image } from "convlens"` with the documented names', () => {
    expect(Object.keys(image).sort()).toEqual(
      [
        'DEFAULT_PIXEL_LIMIT',
        'adjustGamma',
        'convertImageDtype',
        'decodeBmp',
        'decodeGif',
        'decodeImage',
        'decodeJpeg',
        'decodePng',
        'encodePng',
        'getPixelLimit',
        'grayscaleToRgb',
        'ImageBatchDataset',
        'imageDatasetFromDirectory',
        'resize',
        'rgbToGrayscale',
        'setPixelLimit',
      ].sort(),
    );
  });

  it('names what unknown or unsupported bytes look like', () => {
    expectConvlensError(() => decodeImage(new Uint8Array(0)), /^decodeImage: data is empty \(expected PNG, JPEG, GIF or BMP bytes\)$/);
    expectConvlensError(
      () => decodeImage(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')),
      /^decodeImage: data is WebP data \(it starts with 52 49 46 46 00 00 00 00 …; expected PNG, JPEG, GIF or BMP bytes\)$/,
    );
    expectConvlensError(() => decodeImage(Uint8Array.from([0x49, 0x49, 0x2a, 0])), /data is TIFF data/);
    expectConvlensError(
      () => decodeImage(Uint8Array.from([1, 2, 3])),
      /^decodeImage: data is not a known image format \(it starts with 01 02 03; expected PNG, JPEG, GIF or BMP bytes\)$/,
    );
    expectConvlensError(
      () => decodeImage(new Uint16Array(4) as never),
      /^decodeImage: data must be a Uint8Array or ArrayBuffer of PNG, JPEG, GIF or BMP bytes, got a Uint16Array of 4 elements$/,
    );
    expectConvlensError(() => decodeImage({} as never), /got \{\}$/);
  });

  it('sends GIF and BMP bytes to their decoders, whose errors name the format', () => {
    expectConvlensError(
      () => decodeImage(new TextEncoder().encode('GIF89a......')),
      /^decodeImage: data is truncated: its 12 bytes end inside the GIF header$/,
    );
    expectConvlensError(
      () => decodeImage(Uint8Array.from([0x42, 0x4d, 0, 0])),
      /^decodeImage: data is truncated: 4 bytes end inside the BMP file header$/,
    );
  });

  it('reports the truncated JPEG under its own name', () => {
    const truncated = new Uint8Array(readFileSync(new URL('../../test/fixtures/truncated.jpg', import.meta.url)));
    expectConvlensError(
      () => decodeImage(truncated),
      /^decodeImage: data is truncated or corrupt: .* before the JPEG end-of-image marker \(EOI\)$/,
    );
  });

  it('throws only ConvlensErrors on random bytes and on corrupted real files (fuzz)', () => {
    const small = encodePng(
      new Tensor(
        Uint8Array.from({ length: 24 * 16 * 3 }, (_, i) => (i * 7) % 256),
        [16, 24, 3],
        'uint8',
      ),
    );
    const rocket = asset('rocket.jpg').subarray(0);
    const seeds = [small, rocket];
    const outcome = (bytes: Uint8Array) => {
      try {
        decodeImage(bytes, { maxPixels: 1_000_000 });
        return 'decoded';
      } catch (error) {
        if (!(error instanceof ConvlensError)) throw error;
        expect(error.message).toMatch(/^decodeImage: /);
        return 'error';
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('png', 'jpeg', 'gif', 'bmp'), (bytes, format) => {
        const header = {
          png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
          jpeg: [0xff, 0xd8, 0xff],
          gif: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
          bmp: [0x42, 0x4d],
        }[format];
        outcome(Uint8Array.from([...header, ...bytes]));
        outcome(bytes);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat()),
        (which, edits, cut) => {
          const bytes = seeds[which].slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          outcome(cut === null ? bytes : bytes.subarray(0, cut % bytes.length));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('cmykToGray: CMYK and YCCK JPEGs to gray, which TensorFlow refuses', () => {
  /** TensorFlow's decode_jpeg of each file (test/fixtures/tf-reference): its RGB, by IDCT. */
  const tfRgb = (name: string, idct: 'fast' | 'accurate') => {
    const { shape, data } = json('jpeg-suite/expected.json')[name][idct]['3'];
    return new Tensor(new Uint8Array(Buffer.from(data, 'base64')), shape, 'uint8');
  };

  it.each(['cmyk', 'ycck'])('gives rgbToGrayscale of the RGB TensorFlow decodes from a %s JPEG, and refuses by default', (name) => {
    const bytes = fixture(`jpeg-suite/${name}.jpg`);
    const refusal = /cannot decode a (CMYK|YCCK) JPEG to 1 channel \(as in TensorFlow\); .* or pass cmykToGray: true$/;
    expectConvlensError(() => decodeImage(bytes, { channels: 1 }), refusal);
    expectConvlensError(() => decodeJpeg(bytes, { channels: 1, cmykToGray: false }), refusal);
    const want = image.rgbToGrayscale(tfRgb(name, 'fast'));
    for (const got of [decodeImage(bytes, { channels: 1, cmykToGray: true }), decodeJpeg(bytes, { channels: 1, cmykToGray: true })]) {
      expect([got.dtype, got.shape]).toEqual(['uint8', want.shape]);
      expect(got.data).toEqual(want.data);
    }
    const accurate = decodeJpeg(bytes, { channels: 1, cmykToGray: true, dctMethod: 'INTEGER_ACCURATE' });
    expect(accurate.data).toEqual(image.rgbToGrayscale(tfRgb(name, 'accurate')).data);
    const float = decodeImage(bytes, { channels: 1, cmykToGray: true, dtype: 'float32' });
    expect(Array.from(float.data)).toEqual(Array.from(want.data, TF.float32FromUint8));
  });

  it('changes nothing else: other JPEGs, other channel counts, and the errors', () => {
    const gray = fixture('jpeg-suite/ycc420-q100.jpg');
    expect(decodeImage(gray, { channels: 1, cmykToGray: true }).data).toEqual(decodeImage(gray, { channels: 1 }).data);
    const cmyk = fixture('jpeg-suite/cmyk.jpg');
    for (const channels of [0, 3, 4] as const) {
      expect(decodeImage(cmyk, { channels, cmykToGray: true }).data).toEqual(decodeImage(cmyk, { channels }).data);
    }
    expectConvlensError(() => decodeImage(cmyk.subarray(0, 300), { channels: 1, cmykToGray: true }), /^decodeImage: data is truncated/);
    expectConvlensError(
      () => decodeImage(cmyk, { channels: 1, maxPixels: 10, cmykToGray: true }),
      /^decodeImage: image is 17×23 = 391 pixels, above the limit of 10/,
    );
    expectConvlensError(
      () => decodeJpeg(cmyk, { channels: 1, cmykToGray: 'yes' as never }),
      'decodeJpeg: cmykToGray must be true or false, got "yes"',
    );
    expectConvlensError(() => decodeImage(cmyk, { cmykToGray: 1 as never }), 'decodeImage: cmykToGray must be true or false, got 1');
  });
});

describe("decodeImage's dtype (tf.io.decode_image(contents, channels, dtype))", () => {
  const jpegSuite = json('jpeg-suite/expected.json');
  const pngSuite = json('png-suite/expected.json');
  const pngSuite16 = json('png-suite/expected16.json');

  it("JPEG: float32 and int32 scale TensorFlow's uint8 pixels as its kernel does", () => {
    const bytes = fixture('jpeg-suite/rgb.jpg');
    const want = jpegSuite.rgb.fast['3']; // decode_image uses the fast IDCT
    const asFloat = decodeImage(bytes, { channels: 3, dtype: 'float32' });
    expect(asFloat.dtype).toBe('float32');
    expect(asFloat.shape).toEqual(want.shape);
    expect(Array.from(asFloat.data)).toEqual(base64(want.data).map(TF.float32FromUint8));
    const asInt = decodeImage(bytes, { channels: 3, dtype: 'int32' });
    expect(asInt.dtype).toBe('int32');
    expect(Array.from(asInt.data)).toEqual(base64(want.data).map(TF.int32FromUint8));
  });

  it('a 16-bit PNG keeps its 16 bits: float32 is v / 65535 and int32 v × 2^15, not the uint8 result rescaled', () => {
    const bytes = fixture('png-suite/rgb16-gama45455.png');
    for (const channels of [0, 1, 4] as const) {
      const want = base64(pngSuite16['rgb16-gama45455'][String(channels)].data);
      const samples = Array.from({ length: want.length / 2 }, (_, i) => want[2 * i] | (want[2 * i + 1] << 8));
      expect(Array.from(decodeImage(bytes, { channels, dtype: 'float32' }).data)).toEqual(samples.map(TF.float32FromUint16));
      expect(Array.from(decodeImage(bytes, { channels, dtype: 'int32' }).data)).toEqual(samples.map(TF.int32FromUint16));
    }
    const uint8 = decodeImage(bytes);
    const float = decodeImage(bytes, { dtype: 'float32' });
    expect(Array.from(float.data).some((v, i) => v !== TF.float32FromUint8(uint8.data[i]))).toBe(true);
  });

  it('an 8-bit PNG goes through 16 bits too (v × 257 / 65535), which differs from v / 255 in the last float32 bit', () => {
    const want = base64(pngSuite.rgb8['3'].data);
    const got = decodeImage(fixture('png-suite/rgb8.png'), { channels: 3, dtype: 'float32' });
    expect(Array.from(got.data)).toEqual(want.map((v) => TF.float32FromUint16(v * 257)));
    expect(TF.float32FromUint16(257)).not.toBe(TF.float32FromUint8(1));
    expect(Array.from(decodeImage(fixture('png-suite/rgb8.png'), { dtype: 'int32' }).data)).toEqual(
      want.map((v) => TF.int32FromUint16(v * 257)),
    );
  });

  it('GIF (all frames, or the first) and BMP scale their uint8 pixels as JPEG does', () => {
    const palette = [0xff0000, 0x00ff00, 0x0000ff, 0x102030];
    const frames = [
      { width: 2, height: 2, pixels: [0, 1, 2, 3] },
      { width: 2, height: 2, pixels: [3, 2, 1, 0] },
    ];
    const bytes = gif([2, 2], frames, palette);
    const all = decodeImage(bytes, { dtype: 'float32' });
    expect(all.shape).toEqual([2, 2, 2, 3]);
    expect(Array.from(all.data)).toEqual(frames.flatMap((f) => paint(f.pixels, palette)).map(TF.float32FromUint8));
    const first = decodeImage(bytes, { dtype: 'int32', expandAnimations: false });
    expect(first.shape).toEqual([2, 2, 3]);
    expect(Array.from(first.data)).toEqual(paint(frames[0].pixels, palette).map(TF.int32FromUint8));
    const rgb = [0, 1, 2, 127, 128, 254, 255, 3, 200, 17, 90, 60];
    const fromBmp = decodeImage(bmpOfRgb(rgb, 2, 2), { dtype: 'float32' });
    expect(Array.from(fromBmp.data)).toEqual(rgb.map(TF.float32FromUint8));
  });

  it("is typed by the dtype asked for, and 'uint8' is the default", () => {
    const asFloat: Tensor<'float32'> = decodeImage(asset('camera.png'), { dtype: 'float32' });
    expect(asFloat.data).toBeInstanceOf(Float32Array);
    expect(decodeImage(asset('camera.png'), { dtype: 'uint8' }).data).toEqual(decodeImage(asset('camera.png')).data);
  });

  it("refuses 'uint16' (no convlens tensor type) naming the options that keep 16 bits, and other dtypes", () => {
    expectConvlensError(
      () => decodeImage(asset('camera.png'), { dtype: 'uint16' } as never),
      /^decodeImage: dtype must be 'uint8', 'int32' or 'float32', got "uint16" \(convlens has no uint16 tensors: decodeImage's dtype 'int32' gives the 16-bit values × 2\^15/,
    );
    expectConvlensError(
      () => decodeImage(asset('camera.png'), { dtype: 'float64' } as never),
      /^decodeImage: dtype must be 'uint8', 'int32' or 'float32', got "float64"$/,
    );
    expectConvlensError(() => decodeImage(asset('camera.png'), { dtype: 'bool' } as never), /got "bool"$/);
    expectConvlensError(
      () => decodeJpeg(asset('rocket.jpg'), { dtype: 'float32' } as never),
      /^decodeJpeg: unknown option 'dtype' \(expected one of channels, maxPixels, dctMethod, cmykToGray\)$/,
    );
  });
});

describe('pixel limit', () => {
  it('defaults to sharp’s 268402689 and can be changed globally, and per call with maxPixels', () => {
    expect(getPixelLimit()).toBe(DEFAULT_PIXEL_LIMIT);
    expect(DEFAULT_PIXEL_LIMIT).toBe(268_402_689);
    const camera = asset('camera.png');
    const previous = setPixelLimit(100_000);
    try {
      expect(previous).toBe(DEFAULT_PIXEL_LIMIT);
      expectConvlensError(
        () => decodeImage(camera),
        /^decodeImage: image is 512×512 = 262144 pixels, above the limit of 100000 \(set maxPixels or setPixelLimit to allow it\)$/,
      );
      expectConvlensError(() => decodeImage(asset('rocket.jpg')), /image is 427×640 = 273280 pixels, above the limit of 100000/);
      expect(decodeImage(camera, { maxPixels: 512 * 512 }).shape).toEqual([512, 512, 1]);
      setPixelLimit(Number.POSITIVE_INFINITY);
      expect(decodeImage(camera).shape).toEqual([512, 512, 1]);
    } finally {
      setPixelLimit(previous);
    }
    expect(getPixelLimit()).toBe(DEFAULT_PIXEL_LIMIT);
  });

  it('rejects limits that are not positive integers', () => {
    expectConvlensError(() => setPixelLimit(0), /^setPixelLimit: limit must be a positive integer or Infinity, got 0$/);
    expectConvlensError(() => setPixelLimit(1.5), /got 1.5/);
    expectConvlensError(() => setPixelLimit('1' as never), /got string/);
    expectConvlensError(
      () => decodeImage(asset('camera.png'), { maxPixels: Number.NaN }),
      /^decodeImage: maxPixels must be a positive integer or Infinity, got NaN$/,
    );
    expect(getPixelLimit()).toBe(DEFAULT_PIXEL_LIMIT);
  });
});
