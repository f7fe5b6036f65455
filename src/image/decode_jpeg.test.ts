import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { decodeJpeg } from './decode_jpeg.js';

const asset = (name: string) => new Uint8Array(readFileSync(new URL(`../../assets/images/${name}`, import.meta.url)));
const fixture = (path: string) => new Uint8Array(readFileSync(new URL(`../../test/fixtures/${path}`, import.meta.url)));

type Expected = Record<string, Record<string, { shape?: number[]; data?: string; error?: string }>>;
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

// jpeg-js's IDCT rounds differently from libjpeg's accurate integer IDCT: a level here and there,
// up to 3 after colour conversion (CMYK/YCCK and 3:1 chroma go through jpeg-js's own conversion).
const TOLERANCE = { max: 3, mean: 0.35 };

describe('decodeJpeg against TensorFlow (libjpeg-turbo with the calls of TF jpeg_mem.cc, test/fixtures/tf-reference)', () => {
  const stats: string[] = [];
  for (const [name, byChannels] of Object.entries(expected)) {
    it(name, () => {
      const bytes = fixture(`jpeg-suite/${name}.jpg`);
      for (const [channels, want] of Object.entries(byChannels)) {
        const options = { channels: Number(channels) as 0 | 1 | 3 };
        if (want.error) {
          expectConvlensError(() => decodeJpeg(bytes, options), /cannot decode a (CMYK|YCCK) JPEG to 1 channel/);
          continue;
        }
        const got = decodeJpeg(bytes, options);
        expect(got.shape, `${name} channels ${channels}`).toEqual(want.shape);
        const d = differences(got.data, Buffer.from(want.data!, 'base64'));
        stats.push(`${name} c${channels}: max ${d.max} mean ${d.mean.toFixed(3)}`);
        expect(d.max, `${name} channels ${channels} max`).toBeLessThanOrEqual(TOLERANCE.max);
        expect(d.mean, `${name} channels ${channels} mean`).toBeLessThanOrEqual(TOLERANCE.mean);
      }
    });
  }
  it('summary', () => {
    console.log(stats.join('\n'));
  });
});

describe('decodeJpeg on rocket.jpg against sharp (libvips + libjpeg-turbo, ICC profile ignored as TF does)', () => {
  const bytes = asset('rocket.jpg');

  // Measured against tfdecode (TF's libjpeg-turbo calls) on the same file: channels 3 max 3,
  // mean 0.1085 (92.4% of values equal); channels 1 max 1, mean 0.0554 (94.5% equal).
  it('RGB within 3 levels, mean below 0.2', async () => {
    const { data, info } = await sharp(bytes, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
    const got = decodeJpeg(bytes);
    expect(got.shape).toEqual([427, 640, 3]);
    expect([info.height, info.width, info.channels]).toEqual([427, 640, 3]);
    const d = differences(got.data, data);
    console.log(`rocket.jpg channels 3 vs sharp: max ${d.max}, mean ${d.mean.toFixed(4)}, share > 2: ${d.over2}`);
    expect(d.max).toBeLessThanOrEqual(3);
    expect(d.mean).toBeLessThan(0.2);
  });

  it('gray (the Y plane) close to the luma of sharp’s RGB', async () => {
    // Luma recomputed from RGB is not exactly the stored Y (RGB was rounded and clipped): a few
    // saturated pixels differ by up to 5.
    const { data } = await sharp(bytes, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
    const got = decodeJpeg(bytes, { channels: 1 });
    expect(got.shape).toEqual([427, 640, 1]);
    const d = differences(got.data, luma(data));
    console.log(`rocket.jpg channels 1 vs luma of sharp's RGB: max ${d.max}, mean ${d.mean.toFixed(4)}`);
    expect(d.max).toBeLessThanOrEqual(6);
    expect(d.mean).toBeLessThan(0.1);
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

  it('rejects empty data, non-bytes, PNG bytes and bad channels', () => {
    expectConvlensError(() => decodeJpeg(new Uint8Array(0)), /^decodeJpeg: data is empty \(expected JPEG bytes\)$/);
    expectConvlensError(() => decodeJpeg(null as never), /^decodeJpeg: data must be a Uint8Array or ArrayBuffer of JPEG bytes, got null$/);
    expectConvlensError(
      () => decodeJpeg(asset('camera.png')),
      /^decodeJpeg: data is PNG data \(it starts with 89 50 4e 47 .*use decodePng or decodeImage\)/,
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
      /image is 640×427 = 273280 pixels, above the limit of 273279/,
    );
    expect(decodeJpeg(rocket, { maxPixels: 640 * 427 }).shape).toEqual([427, 640, 3]);
  });
});
