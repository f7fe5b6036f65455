import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { grayscaleToRgb } from './grayscale_to_rgb.js';
import { rgbToGrayscale } from './rgb_to_grayscale.js';

tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');

const f32 = Math.fround;
const W = [f32(0.2989), f32(0.587), f32(0.114)];

/** TF's rgb_to_grayscale for uint8, written out: to float32 (× float32(1/255)), weigh, back (× 255.5, truncate). */
function tfGrayU8(r: number, g: number, b: number): number {
  const s = f32(1 / 255);
  const [fr, fg, fb] = [f32(r * s), f32(g * s), f32(b * s)];
  const gray = f32(f32(f32(fr * W[0]) + f32(fg * W[1])) + f32(fb * W[2]));
  return Math.trunc(f32(gray * 255.5));
}

describe('rgbToGrayscale', () => {
  it('float32 images match tfjs rgbToGrayscale (random, ranks 2 to 4)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (lead, seed) => {
          const shape = [...lead, 3];
          const size = shape.reduce((a, b) => a * b, 1);
          let s = seed;
          const data = Float32Array.from({ length: size }, () => {
            s = (s * 48271) % 2147483647;
            return s / 2147483647;
          });
          const got = rgbToGrayscale(new Tensor(data, shape, 'float32'));
          const want = tf.image.rgbToGrayscale(tf.tensor(Array.from(data), shape as [number, number]) as tf.Tensor2D);
          expect(got.shape).toEqual(want.shape);
          const w = want.dataSync();
          for (let i = 0; i < w.length; i++) expect(Math.abs(got.data[i] - w[i])).toBeLessThanOrEqual(1e-6);
          want.dispose();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('accepts a single pixel of rank 1, as TF does', () => {
    expect(rgbToGrayscale([0, 1, 0]).shape).toEqual([1]);
  });

  it('gives the TF docs example: [1, 2, 3] → 1.8149', () => {
    const got = rgbToGrayscale([[[1, 2, 3]]]);
    expect(got.shape).toEqual([1, 1, 1]);
    expect(got.data[0]).toBeCloseTo(1.8149, 6);
  });

  it('uint8 goes through float 0..1 as in TF, so gray levels stay the same (tfjs would give 99 for 100)', () => {
    const levels = Array.from({ length: 256 }, (_, v) => [v, v, v]);
    const got = rgbToGrayscale(new Tensor(Uint8Array.from(levels.flat()), [256, 3], 'uint8'));
    expect(got.dtype).toBe('uint8');
    expect(Array.from(got.data)).toEqual(levels.map(([v]) => v));
    const tfjs = tf.image.rgbToGrayscale(tf.tensor2d([[100, 100, 100]], [1, 3], 'int32'));
    expect(Array.from(tfjs.dataSync())).toEqual([99]);
  });

  it('uint8 colours follow TF’s formula exactly (random)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 3, maxLength: 300 }), (bytes) => {
        const n = Math.floor(bytes.length / 3);
        const rgb = bytes.subarray(0, 3 * n);
        const got = rgbToGrayscale(new Tensor(rgb, [n, 3], 'uint8'));
        for (let p = 0; p < n; p++) expect(got.data[p]).toBe(tfGrayU8(rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]));
      }),
    );
  });

  it('int32 images scale by 2^31 - 1 and back', () => {
    const got = rgbToGrayscale(new Tensor(Int32Array.from([2147483647, 2147483647, 2147483647, 0, 0, 0]), [2, 3], 'int32'));
    expect(got.dtype).toBe('int32');
    expect(got.data[1]).toBe(0);
    expect(got.data[0]).toBeGreaterThan(2147000000);
  });

  it('rejects images without 3 channels', () => {
    expectConvlensError(
      () => rgbToGrayscale(new Tensor(new Float32Array(8), [2, 4], 'float32')),
      /^rgbToGrayscale: images must have 3 channels \(RGB\) on the last axis, got shape \[2, 4\]$/,
    );
    expectConvlensError(() => rgbToGrayscale(new Tensor(new Float32Array(1), [], 'float32')), /got shape \[\]/);
    expectConvlensError(() => rgbToGrayscale(new Tensor(new Uint8Array(3), [3], 'bool')), /got bool/);
  });
});

describe('grayscaleToRgb', () => {
  it('repeats the channel, keeping dtype and values', () => {
    const gray = new Tensor(Uint8Array.from([1, 2, 3, 4]), [2, 2, 1], 'uint8');
    const rgb = grayscaleToRgb(gray);
    expect(rgb.shape).toEqual([2, 2, 3]);
    expect(rgb.dtype).toBe('uint8');
    expect(Array.from(rgb.data)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    const batch = grayscaleToRgb(new Tensor(Float32Array.from([0.5, -1]), [2, 1, 1, 1], 'float32'));
    expect(batch.shape).toEqual([2, 1, 1, 3]);
    expect(Array.from(batch.data)).toEqual([0.5, 0.5, 0.5, -1, -1, -1]);
  });

  it('undoes rgbToGrayscale on gray pixels', () => {
    const gray = new Tensor(Uint8Array.from([0, 17, 128, 255]), [1, 4, 1], 'uint8');
    expect(Array.from(rgbToGrayscale(grayscaleToRgb(gray)).data)).toEqual([0, 17, 128, 255]);
  });

  it('rejects images without 1 channel', () => {
    expectConvlensError(
      () => grayscaleToRgb(new Tensor(new Float32Array(6), [2, 3], 'float32')),
      /^grayscaleToRgb: images must be at least rank 2 with 1 channel on the last axis, got shape \[2, 3\]$/,
    );
    expectConvlensError(() => grayscaleToRgb(new Tensor(new Float32Array(1), [1], 'float32')), /got shape \[1\]/);
  });
});
