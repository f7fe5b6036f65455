import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { bmp } from '../../test/helpers/image_files.js';
import { ConvlensError } from '../errors.js';
import { decodeBmp } from './decode_bmp.js';
import { decodeImage } from './decode_image.js';
import { rgbToGrayscale } from './rgb_to_grayscale.js';

// 3 pixels a row: 9 bytes of BGR, padded to 12
const BGR = [
  [
    [10, 20, 30],
    [40, 50, 60],
    [70, 80, 90],
  ],
  [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ],
];
const RGB = BGR.flat().flatMap(([b, g, r]) => [r, g, b]);

describe('decodeBmp', () => {
  it('decodes a 24-bit bottom-up BMP with padded rows, BGR → RGB', () => {
    const got = decodeBmp(bmp({ rows: BGR, bitsPerPixel: 24 }));
    expect(got.shape).toEqual([2, 3, 3]);
    expect(got.dtype).toBe('uint8');
    expect(Array.from(got.data)).toEqual(RGB);
    expect(Array.from(decodeBmp(bmp({ rows: BGR, bitsPerPixel: 24 }), { channels: 4 }).data)).toEqual(
      RGB.flatMap((v, i) => (i % 3 === 2 ? [v, 255] : [v])),
    );
  });

  it('decodes a top-down BMP (negative height)', () => {
    expect(Array.from(decodeBmp(bmp({ rows: BGR, bitsPerPixel: 24, topDown: true })).data)).toEqual(RGB);
  });

  it('decodes 32-bit BGRA to RGBA (the 4th byte as alpha), and to RGB with channels 3', () => {
    const rows = BGR.map((row) => row.map((pixel, x) => [...pixel, x * 100]));
    const rgba = RGB.flatMap((v, i) => (i % 3 === 2 ? [v, (((i - 2) / 3) % 3) * 100] : [v]));
    for (const infoSize of [40, 108, 124]) {
      // BITMAPINFOHEADER, and V4/V5 headers with BI_BITFIELDS (the masks are not read, as in TensorFlow)
      const bytes = bmp({ rows, bitsPerPixel: 32, infoSize, compression: infoSize === 40 ? 0 : 3 });
      const got = decodeBmp(bytes);
      expect(got.shape).toEqual([2, 3, 4]);
      expect(Array.from(got.data)).toEqual(rgba);
      expect(Array.from(decodeBmp(bytes, { channels: 3 }).data)).toEqual(RGB);
    }
  });

  it('reads an 8-bit BMP as TensorFlow does: the stored byte is the gray value, the palette is not applied', () => {
    const rows = [
      [[0], [127], [255], [3], [9]],
      [[200], [1], [2], [3], [4]],
    ];
    const gray = Array.from({ length: 256 }, (_, i) => [i, i, i]);
    const values = rows.flat(2);
    const got = decodeBmp(bmp({ rows, bitsPerPixel: 8, palette: gray }));
    expect(got.shape).toEqual([2, 5, 1]);
    expect(Array.from(got.data)).toEqual(values);
    // a colour palette: TensorFlow gives the indices
    const colour = bmp({ rows, bitsPerPixel: 8, palette: Array.from({ length: 256 }, () => [255, 0, 0]) });
    expect(Array.from(decodeBmp(colour).data)).toEqual(values);
    expect(Array.from(decodeBmp(colour, { channels: 1 }).data)).toEqual(values);
    expect(Array.from(decodeBmp(colour, { channels: 3 }).data)).toEqual(values.flatMap((v) => [v, v, v]));
    expect(Array.from(decodeBmp(colour, { channels: 4 }).data)).toEqual(values.flatMap((v) => [v, v, v, 255]));
  });

  it('gives 1 channel from colour as rgbToGrayscale of the RGB image (TensorFlow refuses channels 1 for BMP)', () => {
    for (const bytes of [
      bmp({ rows: BGR, bitsPerPixel: 24 }),
      bmp({ rows: BGR.map((row) => row.map((p) => [...p, 7])), bitsPerPixel: 32 }),
    ]) {
      const gray = decodeBmp(bytes, { channels: 1 });
      expect(gray.shape).toEqual([2, 3, 1]);
      expect(Array.from(gray.data)).toEqual(Array.from(rgbToGrayscale(decodeBmp(bytes, { channels: 3 })).data));
    }
  });

  it('is what decodeImage gives for BMP bytes, and ignores bytes after the last row', () => {
    const bytes = bmp({ rows: BGR, bitsPerPixel: 24 });
    for (const channels of [0, 1, 3, 4] as const) {
      const got = decodeImage(bytes, { channels });
      const want = decodeBmp(bytes, { channels });
      expect(got.shape).toEqual(want.shape);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    }
    expect(Array.from(decodeImage(Uint8Array.from([...bytes, 0, 0])).data)).toEqual(RGB);
  });
});

describe('decodeBmp errors', () => {
  const bytes = bmp({ rows: BGR, bitsPerPixel: 24 });
  const edit = (at: number, write: (view: DataView) => void) => {
    const copy = bytes.slice();
    write(new DataView(copy.buffer));
    return copy.subarray(0, at === -1 ? copy.length : at);
  };

  it('says where truncated data ends', () => {
    expectConvlensError(() => decodeBmp(bytes.subarray(0, 10)), /^decodeBmp: data is truncated: 10 bytes end inside the BMP file header$/);
    expectConvlensError(() => decodeBmp(bytes.subarray(0, 40)), /^decodeBmp: data is truncated: 40 bytes end inside the BMP info header$/);
    expectConvlensError(
      () => decodeBmp(bytes.subarray(0, bytes.length - 1)),
      /^decodeBmp: data is truncated: the BMP's 2 rows of 12 bytes from byte 54 need 78 bytes, got 77$/,
    );
    expectConvlensError(() => decodeBmp(bytes.subarray(0, 1)), /truncated: 1 bytes end inside the BMP file header/);
  });

  it('names what it does not support', () => {
    const bits = (n: number) => edit(-1, (v) => v.setUint16(28, n, true));
    for (const n of [1, 4, 16]) {
      expectConvlensError(
        () => decodeBmp(bits(n)),
        `decodeBmp: unsupported BMP: ${n} bits per pixel (TensorFlow reads uncompressed 8-, 24- and 32-bit BMPs)`,
      );
    }
    expectConvlensError(() => decodeBmp(edit(-1, (v) => v.setUint32(30, 1, true))), /^decodeBmp: unsupported BMP: RLE8 compression/);
    expectConvlensError(
      () => decodeBmp(edit(-1, (v) => v.setUint32(14, 12, true))),
      /^decodeBmp: unsupported BMP: an OS\/2 BITMAPCOREHEADER/,
    );
  });

  it('reports corrupt headers', () => {
    expectConvlensError(
      () => decodeBmp(edit(-1, (v) => v.setInt32(18, 0, true))),
      /^decodeBmp: data is corrupt: the BMP width is 0 \(expected a positive number\)$/,
    );
    expectConvlensError(() => decodeBmp(edit(-1, (v) => v.setInt32(22, 0, true))), /^decodeBmp: data is corrupt: the BMP height is 0$/);
    expectConvlensError(
      () => decodeBmp(edit(-1, (v) => v.setUint32(10, 20, true))),
      /^decodeBmp: data is corrupt: the BMP pixel data offset 20 lies inside its 54 bytes of headers$/,
    );
    expectConvlensError(
      () => decodeBmp(edit(-1, (v) => v.setUint32(14, 30, true))),
      /^decodeBmp: data is corrupt: the BMP info header is 30 bytes \(expected 40 or more\)$/,
    );
  });

  it('checks the pixel limit from the header, and names other formats', () => {
    const huge = edit(-1, (v) => v.setInt32(18, 100_000, true));
    expectConvlensError(
      () => decodeBmp(huge, { maxPixels: 100_000 }),
      /^decodeBmp: image is 2×100000 = 200000 pixels, above the limit of 100000/,
    );
    expectConvlensError(
      () => decodeImage(huge, { maxPixels: 5 }),
      /^decodeImage: image is 2×100000 = 200000 pixels, above the limit of 5 \(raise maxPixels/,
    );
    expectConvlensError(
      () => decodeBmp(new TextEncoder().encode('GIF89a')),
      /^decodeBmp: data is GIF data \(it starts with 47 49 46 38 39 61; expected BMP bytes/,
    );
  });
  it('throws only ConvlensErrors on corrupted and cut BMPs (fuzz)', () => {
    const seeds = [bytes, bmp({ rows: [[[1], [2], [3]]], bitsPerPixel: 8, palette: [[0, 0, 0]], topDown: true })];
    fc.assert(
      fc.property(
        fc.nat(1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat()),
        (which, edits, cut) => {
          const copy = seeds[which].slice();
          for (const [at, value] of edits) copy[2 + (at % (copy.length - 2))] = value;
          try {
            decodeImage(cut === null ? copy : copy.subarray(0, cut % copy.length), { maxPixels: 100_000 });
          } catch (error) {
            if (!(error instanceof ConvlensError)) throw error;
            expect(error.message).toMatch(/^decodeImage: /);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
