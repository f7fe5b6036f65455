import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { decodePng, decodePng16Bytes } from './decode_png.js';
import { encodePng } from './encode_png.js';

const asset = (name: string) => new Uint8Array(readFileSync(new URL(`../../assets/images/${name}`, import.meta.url)));
const suiteFile = (name: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/png-suite/${name}`, import.meta.url)));

type Expected = Record<string, Record<string, { shape?: number[]; data?: string; error?: string }>>;
const expected: Expected = JSON.parse(new TextDecoder().decode(suiteFile('expected.json')));
const referenceHashes: Record<string, Record<string, { shape: number[]; sha256: string }>> = JSON.parse(
  readFileSync(new URL('../../test/fixtures/tf-reference/sample-pngs.json', import.meta.url), 'utf8'),
);

describe('decodePng against TensorFlow (libpng with the calls of TF png_io.cc, test/fixtures/tf-reference)', () => {
  for (const [name, byChannels] of Object.entries(expected)) {
    it(name, () => {
      const bytes = suiteFile(`${name}.png`);
      for (const [channels, want] of Object.entries(byChannels)) {
        const got = decodePng(bytes, { channels: Number(channels) as 0 | 1 | 3 | 4 });
        expect(got.shape, `${name} channels ${channels}`).toEqual(want.shape);
        const wantData = Uint8Array.from(Buffer.from(want.data!, 'base64'));
        // Documented deviation: libpng fills the alpha TF asks for with 2^depth - 1 for 1/2/4-bit
        // gray and palette images (alpha 1, 3 or 15); convlens makes such pixels opaque (255).
        const [, , c] = want.shape!;
        const depth = Number(/(?:gray|palette)(\d+)/.exec(name)?.[1] ?? 8);
        if (c % 2 === 0 && depth < 8 && !name.includes('trns')) {
          for (let i = c - 1; i < wantData.length; i += c) {
            expect(wantData[i]).toBe(2 ** depth - 1);
            wantData[i] = 255;
          }
        }
        expect(Buffer.from(got.data).equals(Buffer.from(wantData)), `${name} channels ${channels}`).toBe(true);
      }
    });
  }
});

const expected16: Expected = JSON.parse(new TextDecoder().decode(suiteFile('expected16.json')));
const littleEndian16 = (base64: string) => {
  const bytes = Buffer.from(base64, 'base64');
  return Array.from({ length: bytes.length / 2 }, (_, i) => bytes.readUInt16LE(2 * i));
};

describe("decodePng16Bytes: TensorFlow's 16-bit decode (decode_png dtype=uint16; decode_image's float32 and int32 start from it)", () => {
  for (const [name, byChannels] of Object.entries(expected16)) {
    it(`${name} keeps its 16 bits`, () => {
      const bytes = suiteFile(`${name}.png`);
      for (const [channels, want] of Object.entries(byChannels)) {
        const got = decodePng16Bytes('decodeImage', bytes, Number(channels), undefined);
        expect(got.shape, `${name} channels ${channels}`).toEqual(want.shape);
        expect(Array.from(got.samples), `${name} channels ${channels}`).toEqual(littleEndian16(want.data!));
      }
    });
  }

  it("widens files of 8 bits or fewer from TF's 8-bit output, v | v << 8 (png_io.cc's Convert8to16)", () => {
    for (const [name, byChannels] of Object.entries(expected)) {
      if (name in expected16) continue;
      for (const [channels, want] of Object.entries(byChannels)) {
        if (want.error) continue;
        const wantData = Array.from(Buffer.from(want.data!, 'base64'));
        const got = decodePng16Bytes('decodeImage', suiteFile(`${name}.png`), Number(channels), undefined);
        const depth = Number(/(?:gray|palette)(\d+)/.exec(name)?.[1] ?? 8);
        const [, , c] = want.shape!;
        // the documented alpha deviation of the 8-bit decode (see above), widened
        const addedAlpha = c % 2 === 0 && depth < 8 && !name.includes('trns');
        const widened = wantData.map((v, i) => (addedAlpha && i % c === c - 1 ? 255 : v) * 257);
        expect(Array.from(got.samples), `${name} channels ${channels}`).toEqual(widened);
      }
    }
  });
});

describe('decodePng on the sample images', () => {
  it.each(['camera.png', 'chelsea.png'])('%s matches sharp (libvips + libpng) exactly', async (name) => {
    const bytes = asset(name);
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    // sharp gives the gray camera as 3 equal channels: ask for the same count.
    const got = decodePng(bytes, { channels: info.channels as 1 | 3 | 4 });
    expect(got.shape).toEqual([info.height, info.width, info.channels]);
    expect(got.dtype).toBe('uint8');
    expect(Buffer.from(got.data).equals(data)).toBe(true);
  });

  it('gives 1, 3 and 4 channels of the gray camera', () => {
    const bytes = asset('camera.png');
    const gray = decodePng(bytes);
    expect(gray.shape).toEqual([512, 512, 1]);
    const rgb = decodePng(bytes, { channels: 3 });
    const rgba = decodePng(bytes, { channels: 4 });
    for (let p = 0; p < 512 * 512; p += 997) {
      expect([rgb.data[3 * p], rgb.data[3 * p + 1], rgb.data[3 * p + 2]]).toEqual([gray.data[p], gray.data[p], gray.data[p]]);
      expect([rgba.data[4 * p], rgba.data[4 * p + 3]]).toEqual([gray.data[p], 255]);
    }
  });

  it.each(['camera.png', 'chelsea.png'])('%s decodes bit-exactly as TF for channels 0, 1, 3 and 4', (name) => {
    // SHA-256 of tfdecode's output (test/fixtures/tf-reference); chelsea's iCCP profile is one libpng
    // recognises as sRGB, so its gray conversion goes through libpng's gamma tables.
    const want = referenceHashes[name];
    for (const [channels, { shape, sha256 }] of Object.entries(want)) {
      const got = decodePng(asset(name), { channels: Number(channels) as 0 | 1 | 3 | 4 });
      expect(got.shape).toEqual(shape);
      expect(createHash('sha256').update(got.data).digest('hex'), `${name} channels ${channels}`).toBe(sha256);
    }
  });
});

describe('decodePng bad input', () => {
  const good = encodePng(decodePng(asset('camera.png')));

  it('rejects empty data, non-bytes and other formats', () => {
    expectConvlensError(() => decodePng(new Uint8Array(0)), /^decodePng: data is empty \(expected PNG bytes\)$/);
    expectConvlensError(
      () => decodePng('camera.png' as never),
      /^decodePng: data must be a Uint8Array or ArrayBuffer of PNG bytes, got "camera.png"/,
    );
    expectConvlensError(() => decodePng([137, 80] as never), /got \[137, 80\]/);
    expectConvlensError(
      () => decodePng(asset('rocket.jpg')),
      /^decodePng: data is JPEG data \(it starts with ff d8 ff .*expected PNG bytes; decodeJpeg or decodeImage reads it\)$/,
    );
    expectConvlensError(
      () => decodePng(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])),
      /data is not a known image format \(it starts with 01 02 03/,
    );
  });

  it('rejects bad options', () => {
    expectConvlensError(() => decodePng(good, { channels: 2 as never }), /^decodePng: channels must be 0, 1, 3 or 4, got 2$/);
    expectConvlensError(() => decodePng(good, { channels: '3' as never }), /channels must be 0, 1, 3 or 4, got "3"/);
    expectConvlensError(
      () => decodePng(good, { channel: 3 } as never),
      /^decodePng: unknown option 'channel' \(did you mean 'channels'\?\)$/,
    );
    expectConvlensError(() => decodePng(good, { maxPixels: -1 }), /maxPixels must be a positive integer or Infinity, got -1/);
    expectConvlensError(
      () => decodePng(good, 3 as never),
      /^decodePng: expected an options object \(\{ channels, maxPixels, dtype \}\), got 3$/,
    );
  });

  it("takes TensorFlow's default dtype 'uint8', and refuses its 'uint16' naming decodeImage's options that keep 16 bits", () => {
    expect(decodePng(good, { dtype: 'uint8' }).dtype).toBe('uint8');
    expectConvlensError(
      () => decodePng(good, { dtype: 'uint16' } as never),
      /^decodePng: dtype must be 'uint8', got "uint16" \(convlens has no uint16 tensors: decodeImage's dtype 'int32' gives the 16-bit values × 2\^15 \(as tf.io.decode_image\(dtype=tf.int32\)\), 'float32' gives them in 0..1\)$/,
    );
    expectConvlensError(() => decodePng(good, { dtype: 'float32' } as never), /^decodePng: dtype must be 'uint8', got "float32"$/);
  });

  it('reports truncation at every cut through a small PNG', () => {
    for (let cut = 1; cut < good.length; cut += Math.max(1, Math.floor(good.length / 97))) {
      expectConvlensError(() => decodePng(good.subarray(0, cut)), /^decodePng: data is (truncated|not a PNG)/);
    }
    expectConvlensError(
      () => decodePng(good.subarray(0, good.length - 12)),
      /truncated: it ends at byte \d+ before the PNG end marker \(IEND\)/,
    );
  });

  it('reports corrupt chunks', () => {
    const flipped = good.slice();
    flipped[60] ^= 0xff; // inside IDAT: its CRC fails
    expectConvlensError(() => decodePng(flipped), /^decodePng: data is corrupt: PNG chunk "IDAT" at byte \d+ fails its CRC check$/);
    const header = good.slice();
    header[20] ^= 1;
    expectConvlensError(() => decodePng(header), /corrupt: the PNG header \(IHDR\) fails its CRC check/);
  });

  it('checks a header declaring 100000×100000 against the pixel limit before allocating', () => {
    const bomb = pngHeaderOnly(100_000, 100_000);
    expectConvlensError(
      () => decodePng(bomb),
      /^decodePng: image is 100000×100000 = 10000000000 pixels, above the limit of 268402689 \(set maxPixels or setPixelLimit to allow it\)$/,
    );
    expectConvlensError(
      () => decodePng(good, { maxPixels: 1000 }),
      /image is 512×512 = 262144 pixels, above the limit of 1000 \(raise maxPixels/,
    );
    // Allowed through the limit, the same header is then reported as truncated (no pixel memory yet).
    expectConvlensError(() => decodePng(bomb, { maxPixels: Number.POSITIVE_INFINITY }), /truncated/);
  });
});

describe('decodePng undoes every row filter at every pixel size (round trip through the PNG specification)', () => {
  /** The five filters written from the PNG specification (section 9): row `cur` against `prev`, `bpp` bytes per pixel. */
  function filterRow(type: number, cur: Uint8Array, prev: Uint8Array, bpp: number): Uint8Array {
    const out = new Uint8Array(cur.length + 1);
    out[0] = type;
    for (let i = 0; i < cur.length; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predictor = [0, a, b, Math.floor((a + b) / 2), paeth][type];
      out[i + 1] = (cur[i] - predictor) & 0xff;
    }
    return out;
  }

  function chunk(type: string, data: Uint8Array): Buffer {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  }

  const COLOR_TYPES = [
    { colorType: 0, channels: 1 },
    { colorType: 4, channels: 2 },
    { colorType: 2, channels: 3 },
    { colorType: 6, channels: 4 },
  ];

  it('8- and 16-bit gray, gray+alpha, RGB and RGBA (1 to 8 bytes per pixel), each row with a filter of its own', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...COLOR_TYPES),
        fc.constantFrom(8, 16),
        fc.integer({ min: 1, max: 19 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        ({ colorType, channels }, depth, width, height, seed) => {
          const bpp = (channels * depth) / 8;
          const rowBytes = width * bpp;
          let state = seed;
          const next = () => {
            state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
            return state >> 16;
          };
          const rows = Array.from({ length: height }, () => Uint8Array.from({ length: rowBytes }, () => next() & 0xff));
          const filtered = rows.map((row, y) => filterRow(next() % 5, row, y > 0 ? rows[y - 1] : new Uint8Array(rowBytes), bpp));
          const header = Buffer.alloc(13);
          header.writeUInt32BE(width, 0);
          header.writeUInt32BE(height, 4);
          header.set([depth, colorType, 0, 0, 0], 8);
          const png = Buffer.concat([
            Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
            chunk('IHDR', header),
            chunk('IDAT', zlib.deflateSync(Buffer.concat(filtered))),
            chunk('IEND', new Uint8Array(0)),
          ]);
          // 16-bit samples come out as their high byte, the first of the two
          const samples = rows.flatMap((row) => Array.from(depth === 8 ? row : row.filter((_, i) => i % 2 === 0)));
          const decoded = decodePng(png, { channels: 0 });
          expect(decoded.shape).toEqual([height, width, channels]);
          expect(Array.from(decoded.data)).toEqual(samples);
        },
      ),
      { numRuns: 400 },
    );
  });
});

/** Signature + a valid IHDR chunk, nothing else. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 2, 0, 0, 0], 24);
  let c = 0xffffffff;
  for (let i = 12; i < 29; i++) {
    c ^= bytes[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  view.setUint32(29, (c ^ 0xffffffff) >>> 0);
  return bytes;
}
