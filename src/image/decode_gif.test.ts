import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { gif, paint as paintIndices } from '../../test/helpers/image_files.js';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeGif } from './decode_gif.js';
import { decodeImage } from './decode_image.js';
import { encodePng } from './encode_png.js';
import { rgbToGrayscale } from './rgb_to_grayscale.js';

const PALETTE = [0xff0000, 0x00ff00, 0x0000ff, 0x102030];
const rgbOf = (color: number) => paint([0], [color]);
const paint = (indices: number[], palette = PALETTE) => paintIndices(indices, palette);

describe('decodeGif', () => {
  it('decodes a frame to the palette colours of its indices, [frames, height, width, 3]', () => {
    const pixels = [0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 2, 2];
    const bytes = gif([3, 4], [{ width: 4, height: 3, pixels }], PALETTE);
    const got = decodeGif(bytes);
    expect(got.shape).toEqual([1, 3, 4, 3]);
    expect(Array.from(got.data)).toEqual(paint(pixels));
    expect(got.dtype).toBe('uint8');
  });

  it('composites later frames over the previous one, keeping it under transparent pixels and outside the frame', () => {
    const first = Array.from({ length: 16 }, (_, i) => i % 3);
    // frame 1: a 2×2 rectangle at (x 1, y 2) whose index 3 is transparent
    const second = [3, 0, 2, 3];
    const third = Array.from({ length: 16 }, () => 1);
    const bytes = gif(
      [4, 4],
      [
        { width: 4, height: 4, pixels: first },
        { x: 1, y: 2, width: 2, height: 2, pixels: second, transparent: 3, disposal: 2 },
        { width: 4, height: 4, pixels: third, transparent: 1 },
      ],
      PALETTE,
    );
    const frame0 = paint(first);
    const frame1 = [...frame0];
    for (const [k, [x, y]] of [
      [1, 2],
      [2, 2],
      [1, 3],
      [2, 3],
    ].entries()) {
      if (second[k] !== 3) frame1.splice((y * 4 + x) * 3, 3, ...rgbOf(PALETTE[second[k]]));
    }
    const got = decodeGif(bytes);
    expect(got.shape).toEqual([3, 4, 4, 3]);
    // disposal 2 (restore to background) is not applied: frame 2, all transparent, repeats frame 1
    expect(Array.from(got.data)).toEqual([...frame0, ...frame1, ...frame1]);
  });

  it('sizes the canvas to the largest frame (not the logical screen), black where frame 0 leaves it or is transparent', () => {
    // a 20×20 screen; frames of 3×2 at (1, 0) and 2×4 at (0, 0): the canvas is 4 high and 3 wide
    const bytes = gif(
      [20, 20],
      [
        { x: 1, y: 0, width: 3, height: 2, pixels: [0, 1, 2, 3, 0, 1], transparent: 0 },
        { width: 2, height: 4, pixels: [2, 2, 2, 2, 2, 2, 2, 2] },
      ],
      PALETTE,
    );
    const got = decodeGif(bytes);
    expect(got.shape).toEqual([2, 4, 3, 3]);
    const black = [0, 0, 0];
    const [, g, b, dark] = PALETTE.map(rgbOf);
    // frame 0 covers x 1..2 of rows 0..1 (its third column falls outside the canvas); index 0 is transparent
    const frame0 = [black, black, g, black, dark, black, black, black, black, black, black, black];
    const frame1 = frame0.map((pixel, i) => (i % 3 < 2 ? b : pixel));
    expect(Array.from(got.data)).toEqual([...frame0, ...frame1].flat());
  });

  it('uses each frame’s local colour table, else the global one', () => {
    const local = [0x010203, 0x040506];
    const bytes = gif(
      [2, 2],
      [
        { width: 2, height: 2, pixels: [0, 1, 2, 3] },
        { width: 2, height: 2, pixels: [1, 0, 1, 0], palette: local },
      ],
      PALETTE,
    );
    expect(Array.from(decodeGif(bytes).data)).toEqual([...paint([0, 1, 2, 3]), ...paint([1, 0, 1, 0], local)]);
  });

  it('puts the rows of an interlaced frame in order', () => {
    // 10 rows: an interlaced GIF stores rows 0, 8, 4, 2, 6, 1, 3, 5, 7, 9
    const width = 3;
    const rows = Array.from({ length: 10 }, (_, y) => Array.from({ length: width }, (_, x) => (y + x) % 4));
    const order = [0, 8, 4, 2, 6, 1, 3, 5, 7, 9];
    const bytes = gif([10, width], [{ width, height: 10, pixels: order.flatMap((y) => rows[y]) }], PALETTE);
    bytes[13 + 12 + 9] |= 0x40; // the image descriptor's interlace flag (after the header and the 4-colour table)
    expect(Array.from(decodeGif(bytes).data)).toEqual(paint(rows.flat()));
  });

  it('decodes long LZW streams (12-bit codes, full tables, clear codes) as sharp (libvips) does', async () => {
    // 256 colours of noise: the code table fills up many times
    const palette = Array.from({ length: 256 }, (_, i) => (i * 0x010305) & 0xffffff);
    const width = 97;
    const height = 61;
    let seed = 7;
    const pixels = Array.from({ length: width * height }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    const bytes = gif([height, width], [{ width, height, pixels }], palette);
    expect(Array.from(decodeGif(bytes).data)).toEqual(paint(pixels, palette));
    // a photo through sharp's GIF encoder, and sharp's own decoding of it
    const chelsea = await sharp(new URL('../../assets/images/chelsea.png', import.meta.url).pathname)
      .gif()
      .toBuffer();
    const want = await sharp(chelsea).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const got = decodeImage(chelsea, { expandAnimations: false });
    expect(got.shape).toEqual([want.info.height, want.info.width, 3]);
    expect(Buffer.from(got.data).equals(want.data)).toBe(true);
  });
});

describe('decodeImage on GIFs', () => {
  const animation = gif(
    [2, 3],
    [
      { width: 3, height: 2, pixels: [0, 1, 2, 3, 2, 1] },
      { width: 3, height: 2, pixels: [1, 1, 1, 1, 1, 1] },
    ],
    PALETTE,
  );

  it('gives [frames, height, width, 3] by default (also for one frame), the first frame with expandAnimations false', () => {
    const all = decodeGif(animation);
    expect(decodeImage(animation).shape).toEqual([2, 2, 3, 3]);
    expect(Array.from(decodeImage(animation).data)).toEqual(Array.from(all.data));
    const first = decodeImage(animation, { expandAnimations: false });
    expect(first.shape).toEqual([2, 3, 3]);
    expect(Array.from(first.data)).toEqual(paint([0, 1, 2, 3, 2, 1]));
    const single = gif([1, 1], [{ width: 1, height: 1, pixels: [2] }], PALETTE);
    expect(decodeImage(single).shape).toEqual([1, 1, 1, 3]);
    expect(decodeImage(single, { channels: 3, expandAnimations: false }).shape).toEqual([1, 1, 3]);
  });

  it('gives 1 channel as rgbToGrayscale of the RGB frames, 4 with alpha 255, 0 and 3 as RGB', () => {
    const rgb = decodeImage(animation);
    expect(Array.from(decodeImage(animation, { channels: 3 }).data)).toEqual(Array.from(rgb.data));
    const gray = decodeImage(animation, { channels: 1 });
    expect(gray.shape).toEqual([2, 2, 3, 1]);
    expect(Array.from(gray.data)).toEqual(Array.from(rgbToGrayscale(rgb).data));
    const rgba = decodeImage(animation, { channels: 4, expandAnimations: false });
    expect(rgba.shape).toEqual([2, 3, 4]);
    expect(Array.from(rgba.data)).toEqual(paint([0, 1, 2, 3, 2, 1]).flatMap((v, i) => (i % 3 === 2 ? [v, 255] : [v])));
  });

  it('checks expandAnimations and the pixel limit (all frames together)', () => {
    expectConvlensError(
      () => decodeImage(animation, { expandAnimations: 1 as never }),
      /^decodeImage: expandAnimations must be true or false, got 1$/,
    );
    expectConvlensError(() => decodeImage(animation, { expand_animations: false } as never), /did you mean 'expandAnimations'\?/);
    expectConvlensError(
      () => decodeImage(animation, { maxPixels: 11 }),
      /^decodeImage: image is 2 frames of 2×3 = 12 pixels, above the limit of 11 \(raise maxPixels to allow it\)$/,
    );
    expect(decodeImage(animation, { maxPixels: 6, expandAnimations: false }).shape).toEqual([2, 3, 3]);
    expectConvlensError(() => decodeGif(animation, { maxPixels: 6 }), /^decodeGif: image is 2 frames of 2×3 = 12 pixels/);
    expectConvlensError(() => decodeGif(animation, { channels: 3 } as never), /^decodeGif: unknown option 'channels'/);
  });
});

describe('decodeGif errors', () => {
  const bytes = gif([2, 3], [{ width: 3, height: 2, pixels: [0, 1, 2, 3, 2, 1] }], PALETTE);
  const header = 13 + 12; // header, screen descriptor, 4-colour table
  const edit = (at: number, values: number[], from = bytes) => {
    const copy = from.slice();
    copy.set(values, at);
    return copy;
  };

  it('names other formats', () => {
    const png = encodePng(new Tensor(new Uint8Array(3), [1, 1, 3], 'uint8'));
    expectConvlensError(
      () => decodeGif(png),
      /^decodeGif: data is PNG data \(it starts with 89 50 4e 47 .*; expected GIF bytes; decodeImage reads the other formats\)$/,
    );
    expectConvlensError(() => decodeGif(new Uint8Array(0)), /^decodeGif: data is empty \(expected GIF bytes\)$/);
  });

  it('says where truncated data ends', () => {
    expectConvlensError(() => decodeGif(bytes.subarray(0, 3)), /^decodeGif: data is truncated: its 3 bytes end inside the GIF header$/);
    expectConvlensError(
      () => decodeGif(bytes.subarray(0, 20)),
      /^decodeGif: data is truncated: its 20 bytes end inside the GIF global colour table$/,
    );
    expectConvlensError(() => decodeGif(bytes.subarray(0, header)), /its 25 bytes end before the GIF's first frame$/);
    expectConvlensError(() => decodeGif(bytes.subarray(0, header + 5)), /its 30 bytes end inside frame 0 of the GIF$/);
    expectConvlensError(() => decodeGif(bytes.subarray(0, bytes.length - 4)), /end inside the image data of frame 0 of the GIF$/);
    for (let cut = 1; cut < bytes.length - 2; cut++) expect(() => decodeGif(bytes.subarray(0, cut))).toThrow(ConvlensError);
  });

  it('reports image data that ends before the last pixel, undefined codes, and bad code sizes', () => {
    // the frame's data: code size 2, then sub-blocks; an end-of-information code (5) right after a clear (4)
    const data = header + 10;
    const early = edit(data, [2, 1, 0b101_100, 0, 0x3b]).subarray(0, data + 5);
    expectConvlensError(
      () => decodeGif(early),
      /^decodeGif: data is truncated or corrupt: the image data of frame 0 of the GIF ends after 0 of its 6 pixels$/,
    );
    const undefinedCode = edit(data, [2, 1, 0b111_100, 0, 0x3b]).subarray(0, data + 5);
    expectConvlensError(() => decodeGif(undefinedCode), /^decodeGif: data is corrupt: frame 0 of the GIF has an undefined LZW code 7$/);
    expectConvlensError(
      () => decodeGif(edit(data, [9])),
      /^decodeGif: data is corrupt: frame 0 of the GIF has LZW code size 9 \(expected 1 to 8\)$/,
    );
  });

  it('reports colour indices outside the table and frames without a table, as TensorFlow', () => {
    const twoColours = gif([1, 2], [{ width: 2, height: 1, pixels: [0, 3] }], [0x000000, 0xffffff]);
    expectConvlensError(
      () => decodeGif(twoColours),
      /^decodeGif: data is corrupt: frame 0 of the GIF uses colour 3, outside its table of 2 colours$/,
    );
    // index 3 transparent: not painted, so not checked (written with 4 colours, the table then cut to 2)
    const transparent = gif([1, 2], [{ width: 2, height: 1, pixels: [0, 3], transparent: 3 }], [0x0a0b0c, 0, 0, 0]);
    const cut = Uint8Array.from([...transparent.subarray(0, 13 + 6), ...transparent.subarray(13 + 12)]);
    cut[10] &= 0xf8;
    expect(Array.from(decodeGif(cut).data)).toEqual([10, 11, 12, 0, 0, 0]);
    // no global table (flag cleared, table removed) and no local one
    const noTable = Uint8Array.from([...bytes.subarray(0, 13), ...bytes.subarray(header)]);
    noTable[10] &= 0x7f;
    expectConvlensError(
      () => decodeGif(noTable),
      /^decodeGif: data is corrupt: frame 0 of the GIF has no colour table \(local or global\)$/,
    );
  });

  it('reports empty frames, files without frames and unknown blocks before the first frame', () => {
    expectConvlensError(() => decodeGif(edit(header + 5, [0, 0])), /^decodeGif: data is corrupt: frame 0 of the GIF is 2×0 pixels$/);
    expectConvlensError(
      () => decodeGif(Uint8Array.from([...bytes.subarray(0, header), 0x3b])),
      /^decodeGif: data is corrupt: the GIF holds no image$/,
    );
    expectConvlensError(() => decodeGif(edit(header, [0x99])), /^decodeGif: data is corrupt: unknown GIF block 0x99 at byte 25$/);
    expectConvlensError(() => decodeGif(edit(3, [0x37])), /^decodeGif: data is not a known image format \(it starts with 47 49 46 37/);
  });

  it('keeps the frames read when the data ends or holds an unknown block after a frame (as giflib)', () => {
    const want = Array.from(decodeGif(bytes).data);
    expect(Array.from(decodeGif(bytes.subarray(0, bytes.length - 1)).data)).toEqual(want);
    expect(Array.from(decodeGif(Uint8Array.from([...bytes.subarray(0, -1), 0x99, 1, 2])).data)).toEqual(want);
    expect(Array.from(decodeGif(Uint8Array.from([...bytes.subarray(0, -1), 0x21, 0xf9, 4, 1])).data)).toEqual(want);
  });

  it('decodes the project’s sample images converted to GIF by sharp without error', () => {
    const camera = readFileSync(new URL('../../assets/images/camera.png', import.meta.url));
    return sharp(camera)
      .gif()
      .toBuffer()
      .then((bytes) => expect(decodeGif(bytes).shape).toEqual([1, 512, 512, 3]));
  });
  it('throws only ConvlensErrors on corrupted and cut GIFs (fuzz)', () => {
    const animation = gif(
      [5, 6],
      [
        { width: 6, height: 5, pixels: Array.from({ length: 30 }, (_, i) => i % 4) },
        { x: 2, y: 1, width: 3, height: 3, pixels: [0, 1, 2, 3, 0, 1, 2, 3, 0], transparent: 1, palette: [1, 2, 3, 4] },
      ],
      PALETTE,
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat()),
        (edits, cut) => {
          const bytes = animation.slice();
          for (const [at, value] of edits) bytes[6 + (at % (bytes.length - 6))] = value;
          try {
            decodeImage(cut === null ? bytes : bytes.subarray(0, cut % bytes.length), { maxPixels: 100_000 });
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
