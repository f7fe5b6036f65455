import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { ConvlensError } from '../errors.js';
import { decodeJpeg } from './decode_jpeg.js';

const asset = (name: string) => new Uint8Array(readFileSync(new URL(`../../assets/images/${name}`, import.meta.url)));
const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url)));

/** expected[file][IDCT method][channels]: TF's output, or its error. */
type Expected = Record<string, Record<'fast' | 'accurate', Record<string, { shape?: number[]; data?: string; error?: string }>>>;
const expected: Expected = JSON.parse(new TextDecoder().decode(fixture('jpeg-suite/expected.json')));

function differences(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number; over2: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  let over2 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
    if (d > 2) over2++;
  }
  return { max, mean: sum / a.length, over2: over2 / a.length };
}

/** Luma as a JPEG encoder computes it (jccolor.c), to compare a decoded Y plane with RGB output. */
function luma(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let p = 0; p < out.length; p++) {
    out[p] = Math.min(255, Math.round(0.299 * rgb[3 * p] + 0.587 * rgb[3 * p + 1] + 0.114 * rgb[3 * p + 2]));
  }
  return out;
}

// convlens decodes as libjpeg-turbo does (its fast and accurate integer IDCTs, fancy upsampling,
// its colour conversions): every fixture, method and channel count matches TensorFlow exactly.
const TOLERANCE = { max: 0, mean: 0 };
const DCT_METHODS = { fast: 'INTEGER_FAST', accurate: 'INTEGER_ACCURATE' } as const;

describe('decodeJpeg against TensorFlow (libjpeg-turbo with the calls of TF jpeg_mem.cc, test/fixtures/tf-reference)', () => {
  const stats: string[] = [];
  for (const [name, byMethod] of Object.entries(expected)) {
    it(name, () => {
      const bytes = fixture(`jpeg-suite/${name}.jpg`);
      for (const [method, byChannels] of Object.entries(byMethod) as ['fast' | 'accurate', (typeof byMethod)['fast']][]) {
        for (const [channels, want] of Object.entries(byChannels)) {
          const options = { channels: Number(channels) as 0 | 1 | 3, dctMethod: DCT_METHODS[method] };
          if (want.error) {
            expectConvlensError(() => decodeJpeg(bytes, options), /cannot decode a (CMYK|YCCK) JPEG to 1 channel/);
            continue;
          }
          const got = decodeJpeg(bytes, options);
          const what = `${name} ${method} channels ${channels}`;
          expect(got.shape, what).toEqual(want.shape);
          const d = differences(got.data, Buffer.from(want.data!, 'base64'));
          stats.push(`${what}: max ${d.max} mean ${d.mean.toFixed(3)}`);
          expect(d.max, `${what} max`).toBeLessThanOrEqual(TOLERANCE.max);
          expect(d.mean, `${what} mean`).toBeLessThanOrEqual(TOLERANCE.mean);
        }
      }
    });
  }
  it("decodes with TensorFlow's default, the fast IDCT, unless asked for the accurate one", () => {
    const bytes = fixture('jpeg-suite/ycc420-q100.jpg');
    const fast = decodeJpeg(bytes, { dctMethod: 'INTEGER_FAST' }).data;
    expect(decodeJpeg(bytes).data).toEqual(fast);
    expect(decodeJpeg(bytes, { dctMethod: '' }).data).toEqual(fast);
    expect(decodeJpeg(bytes, { dctMethod: 'INTEGER_ACCURATE' }).data).not.toEqual(fast);
    expectConvlensError(
      () => decodeJpeg(bytes, { dctMethod: 'islow' as 'INTEGER_FAST' }),
      "decodeJpeg: dctMethod must be '', 'INTEGER_FAST' or 'INTEGER_ACCURATE' (as TensorFlow's dct_method), got \"islow\"",
    );
  });
  it('summary', () => {
    console.log(stats.join('\n'));
  });
});

describe('decodeJpeg on the sample photo and fuzz-found files against TensorFlow (SHA-256 of tf-reference/tfdecode output)', () => {
  // the saturated-* files overflow 16-bit values in the fast IDCT, where libjpeg-turbo's SIMD code
  // (TensorFlow's on x86-64) and its C code differ: convlens follows the SIMD code
  const digests: Record<string, Record<'fast' | 'accurate', Record<string, string>>> = JSON.parse(
    new TextDecoder().decode(fixture('jpeg-suite/sha256.json')),
  );
  for (const [path, byMethod] of Object.entries(digests)) {
    it(`${path}: every pixel, both IDCTs, gray and RGB`, () => {
      const bytes = new Uint8Array(readFileSync(new URL(`../../${path}`, import.meta.url)));
      for (const method of ['fast', 'accurate'] as const) {
        for (const [channels, sha] of Object.entries(byMethod[method])) {
          const got = decodeJpeg(bytes, { channels: Number(channels) as 1 | 3, dctMethod: DCT_METHODS[method] });
          expect(createHash('sha256').update(got.data).digest('hex'), `${path} ${method} channels ${channels}`).toBe(sha);
        }
      }
    });
  }
});

// sharp (libvips) decodes with libjpeg-turbo's accurate IDCT: compared with dctMethod INTEGER_ACCURATE.
const ACCURATE = { dctMethod: 'INTEGER_ACCURATE' } as const;

describe('decodeJpeg on rocket.jpg against sharp (libvips + libjpeg-turbo, ICC profile ignored as TF does)', () => {
  const bytes = asset('rocket.jpg');

  it('RGB equal to sharp’s', async () => {
    const { data, info } = await sharp(bytes, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
    const got = decodeJpeg(bytes, ACCURATE);
    expect(got.shape).toEqual([427, 640, 3]);
    expect([info.height, info.width, info.channels]).toEqual([427, 640, 3]);
    const d = differences(got.data, data);
    console.log(`rocket.jpg channels 3 vs sharp: max ${d.max}, mean ${d.mean.toFixed(4)}, share > 2: ${d.over2}`);
    expect(d.max).toBe(0);
  });

  it('gray (the Y plane) close to the luma of sharp’s RGB', async () => {
    // Luma recomputed from RGB is not exactly the stored Y (RGB was rounded and clipped): a few
    // saturated pixels differ by up to 5 (measured: max 5, mean 0.0025).
    const { data } = await sharp(bytes, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
    const got = decodeJpeg(bytes, { channels: 1, ...ACCURATE });
    expect(got.shape).toEqual([427, 640, 1]);
    const d = differences(got.data, luma(data));
    console.log(`rocket.jpg channels 1 vs luma of sharp's RGB: max ${d.max}, mean ${d.mean.toFixed(4)}`);
    expect(d.max).toBeLessThanOrEqual(5);
    expect(d.mean).toBeLessThan(0.01);
  });

  it('channels 4 adds opaque alpha', () => {
    const rgb = decodeJpeg(bytes, { channels: 3 });
    const rgba = decodeJpeg(bytes, { channels: 4 });
    expect(rgba.shape).toEqual([427, 640, 4]);
    for (let p = 0; p < 427 * 640; p += 101) {
      expect(Array.from(rgba.data.subarray(4 * p, 4 * p + 4))).toEqual([...rgb.data.subarray(3 * p, 3 * p + 3), 255]);
    }
  });
});

describe('decodeJpeg against sharp on JPEGs sharp encodes (libjpeg-turbo decoding)', () => {
  it('equals sharp for odd sizes, qualities, chroma subsampling, progressive and optimised scans', async () => {
    let seed = 3;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let trial = 0; trial < 24; trial++) {
      const width = 1 + Math.floor(random() * 70);
      const height = 1 + Math.floor(random() * 70);
      const pixels = new Uint8Array(width * height * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i % 3 === 0 ? (i * 7) % 256 : 0) + Math.floor(random() * 80);
      const options = {
        quality: 1 + Math.floor(random() * 100),
        progressive: random() < 0.5,
        chromaSubsampling: random() < 0.5 ? '4:2:0' : '4:4:4',
        optimiseScans: random() < 0.3,
        trellisQuantisation: random() < 0.3,
        optimiseCoding: random() < 0.5,
      };
      let image = sharp(pixels, { raw: { width, height, channels: 3 } });
      if (trial % 4 === 3) image = image.toColourspace('b-w');
      const jpeg = await image.jpeg(options).toBuffer();
      const want = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      const got = decodeJpeg(new Uint8Array(jpeg), { channels: want.info.channels as 1 | 3, ...ACCURATE });
      expect(got.shape).toEqual([height, width, want.info.channels]);
      expect(differences(got.data, want.data).max, `${width}×${height} ${JSON.stringify(options)}`).toBe(0);
    }
  });
});

describe('decodeJpeg bad input', () => {
  const rocket = asset('rocket.jpg');

  it('reports the truncated JPEG from scikit-image', () => {
    expectConvlensError(
      () => decodeJpeg(fixture('truncated.jpg')),
      /^decodeJpeg: data is truncated or corrupt: it ends at byte 400 inside a \d+-byte marker segment, before the JPEG end-of-image marker \(EOI\)$/,
    );
  });

  it('reports truncation at every cut through rocket.jpg', () => {
    for (let cut = 1; cut < rocket.length; cut += 997) {
      expectConvlensError(() => decodeJpeg(rocket.subarray(0, cut)), /^decodeJpeg: data is truncated/);
    }
    expectConvlensError(
      () => decodeJpeg(rocket.subarray(0, rocket.length - 2)),
      /truncated or corrupt: it ends at byte \d+ inside the image data/,
    );
  });

  it('reports corrupt data', () => {
    const broken = rocket.slice();
    broken[2] = 0x12; // not a marker after SOI
    expectConvlensError(() => decodeJpeg(broken), /^decodeJpeg: data is (corrupt|not a known)/);
  });

  /** Offset of the first marker segment of this type (its 0xFF). */
  const markerAt = (bytes: Uint8Array, marker: number) => bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === marker);

  it('reports a bad Huffman code in the image data', () => {
    // 64 one bits (stuffed 0xFF 0x00 pairs): no Huffman code is all ones, so one must fail.
    const broken = rocket.slice();
    const start = markerAt(broken, 0xda) + 2000;
    for (let i = 0; i < 16; i += 2) broken.set([0xff, 0x00], start + i);
    expectConvlensError(() => decodeJpeg(broken), /^decodeJpeg: data is corrupt: bad Huffman code in the image data before byte \d+$/);
  });

  it('reports a Huffman table with impossible code counts', () => {
    const broken = rocket.slice();
    const counts = markerAt(broken, 0xc4) + 5;
    // Move two codes to length 1, where only one fits (libjpeg also forbids the all-ones code).
    const longest = counts + 15 - [...broken.subarray(counts, counts + 16)].reverse().findIndex((n) => n >= 2);
    broken[longest] -= 2;
    broken[counts] += 2;
    expectConvlensError(
      () => decodeJpeg(broken),
      /^decodeJpeg: data is corrupt: bad Huffman table \(DHT\): impossible code counts \(more codes of up to 1 bits than 1 bits can hold\)$/,
    );
  });

  it('reports a scan using an undefined Huffman or quantisation table', () => {
    const sos = markerAt(rocket, 0xda);
    const badHuffman = rocket.slice();
    badHuffman[sos + 6] = 0x33; // first component: DC and AC table 3
    expectConvlensError(
      () => decodeJpeg(badHuffman),
      /^decodeJpeg: data is corrupt: a scan uses DC Huffman table 3, which is not defined$/,
    );
    const badQuant = rocket.slice();
    badQuant[markerAt(rocket, 0xc0) + 12] = 3; // first component's quantisation table
    expectConvlensError(() => decodeJpeg(badQuant), /^decodeJpeg: data is corrupt: quantisation table 3 is not defined$/);
  });

  it('throws only ConvlensErrors on randomly damaged image data', () => {
    const sos = markerAt(rocket, 0xda);
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let trial = 0; trial < 60; trial++) {
      const broken = rocket.slice();
      for (let flips = 0; flips < 8; flips++) {
        const at = sos + 20 + Math.floor(random() * (rocket.length - sos - 30));
        if (broken[at] !== 0xff && broken[at - 1] !== 0xff) broken[at] = Math.floor(random() * 255); // never make markers
      }
      try {
        expect(decodeJpeg(broken, { channels: trial % 2 ? 1 : 3 }).shape[0]).toBe(427);
      } catch (error) {
        expect(error, String(error)).toBeInstanceOf(ConvlensError);
        expect((error as Error).message).toMatch(/^decodeJpeg: data is corrupt: /);
      }
    }
  });

  it('rejects empty data, non-bytes, PNG bytes and bad channels', () => {
    expectConvlensError(() => decodeJpeg(new Uint8Array(0)), /^decodeJpeg: data is empty \(expected JPEG bytes\)$/);
    expectConvlensError(() => decodeJpeg(null as never), /^decodeJpeg: data must be a Uint8Array or ArrayBuffer of JPEG bytes, got null$/);
    expectConvlensError(
      () => decodeJpeg(asset('camera.png')),
      /^decodeJpeg: data is PNG data \(it starts with 89 50 4e 47 .*expected JPEG bytes; decodePng or decodeImage reads it\)$/,
    );
    expectConvlensError(() => decodeJpeg(rocket, { channels: 2 as never }), /^decodeJpeg: channels must be 0, 1, 3 or 4, got 2$/);
  });

  it('checks a frame header declaring 60000×60000 against the pixel limit before decoding', () => {
    const bomb = rocket.slice();
    const sof = bomb.findIndex((b, i) => b === 0xff && bomb[i + 1] === 0xc0);
    new DataView(bomb.buffer).setUint16(sof + 5, 60000);
    new DataView(bomb.buffer).setUint16(sof + 7, 60000);
    expectConvlensError(() => decodeJpeg(bomb), /^decodeJpeg: image is 60000×60000 = 3600000000 pixels, above the limit of 268402689/);
    expectConvlensError(
      () => decodeJpeg(rocket, { maxPixels: 640 * 427 - 1 }),
      /image is 427×640 = 273280 pixels, above the limit of 273279/,
    );
    expect(decodeJpeg(rocket, { maxPixels: 640 * 427 }).shape).toEqual([427, 640, 3]);
  });
});
