import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { expectConvlensError, sparse } from '../../test/helpers/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { type ResizeMethod, resize } from './resize.js';

tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');

interface Case {
  batch: number | null; // null: a single rank-3 image
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  dtype: 'float32' | 'int32' | 'uint8';
  seed: number;
}

function makeImage(c: Case): Tensor {
  const shape = c.batch === null ? [c.inH, c.inW, c.channels] : [c.batch, c.inH, c.inW, c.channels];
  const size = shape.reduce((a, b) => a * b, 1);
  let s = c.seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  if (c.dtype === 'float32')
    return new Tensor(
      Float32Array.from({ length: size }, () => next() * 20 - 10),
      shape,
      'float32',
    );
  if (c.dtype === 'int32')
    return new Tensor(
      Int32Array.from({ length: size }, () => Math.floor(next() * 2000) - 1000),
      shape,
      'int32',
    );
  return new Tensor(
    Uint8Array.from({ length: size }, () => Math.floor(next() * 256)),
    shape,
    'uint8',
  );
}

/** tf.image.resize of TF2: half-pixel centres, no corner alignment. */
function tfResize(image: Tensor, size: [number, number], method: ResizeMethod): { shape: number[]; data: ArrayLike<number> } {
  const input: tf.Tensor = tf.tensor(Array.from(image.data), image.shape, image.dtype === 'float32' ? 'float32' : 'int32');
  const x = input as tf.Tensor3D;
  const y = method === 'bilinear' ? tf.image.resizeBilinear(x, size, false, true) : tf.image.resizeNearestNeighbor(x, size, false, true);
  const result = { shape: y.shape, data: y.dataSync() };
  x.dispose();
  y.dispose();
  return result;
}

const caseArb = (dtypes: Case['dtype'][]) =>
  fc.record({
    batch: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 }),
    inH: fc.integer({ min: 1, max: 40 }),
    inW: fc.integer({ min: 1, max: 40 }),
    channels: fc.integer({ min: 1, max: 4 }),
    outH: fc.integer({ min: 1, max: 40 }),
    outW: fc.integer({ min: 1, max: 40 }),
    dtype: fc.constantFrom(...dtypes),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });

const RUNS = 400;
const summary: string[] = [];
afterAll(() => console.log(summary.join('\n')));

/** Float data in 0..1, as the lesson resizes it (after convertImageDtype), or integer images. */
const dtypeArb = fc.constantFrom<Case['dtype'] | 'unit'>('unit', 'unit', 'float32', 'uint8', 'int32');

function imageFor(c: Case & { kind: Case['dtype'] | 'unit' }): Tensor {
  if (c.kind !== 'unit') return makeImage({ ...c, dtype: c.kind });
  const t = makeImage({ ...c, dtype: 'float32' });
  return new Tensor(
    Float32Array.from(t.data, (v) => (v + 10) / 20),
    t.shape,
    'float32',
  );
}

describe(`resize bilinear: ${RUNS} random cases against tfjs-core (cpu)`, () => {
  // Positions and weights are float64 in both, so they agree to float32 output rounding on
  // every case, integer-valued images included.
  it('agrees to |a - b| <= 1e-4 max(1, |b|) on every value', () => {
    let worstRel = 0;
    let cases = 0;
    let up = 0;
    fc.assert(
      fc.property(caseArb(['float32']), dtypeArb, (base, kind) => {
        const c = { ...base, kind };
        const image = imageFor(c);
        const got = resize(image, [c.outH, c.outW]);
        const want = tfResize(image, [c.outH, c.outW], 'bilinear');
        expect(got.shape).toEqual(want.shape);
        expect(got.dtype).toBe('float32');
        for (let i = 0; i < got.data.length; i++) {
          const rel = Math.abs(got.data[i] - want.data[i]) / Math.max(1, Math.abs(want.data[i]));
          worstRel = Math.max(worstRel, rel);
          if (rel > 1e-4) throw new Error(`case ${JSON.stringify(c)}: value ${i} is ${got.data[i]}, tfjs gives ${want.data[i]}`);
        }
        cases++;
        if (c.outH * c.outW > c.inH * c.inW) up++;
      }),
      { numRuns: RUNS, seed: 20240601 },
    );
    summary.push(`resize bilinear: ${cases} random cases (${up} upscaling), max relative difference ${worstRel.toExponential(2)}`);
  });
});

/** The source index of half-pixel nearest neighbour: floor((x + 0.5) · in / out), clamped. */
function nearestSource(x: number, inSize: number, outSize: number): number {
  return Math.max(0, Math.min(inSize - 1, Math.floor((x + 0.5) * (inSize / outSize))));
}

describe(`resize nearest: ${RUNS} random cases against tfjs-core (cpu)`, () => {
  it('equals tfjs on every value, and picks the half-pixel source pixel', () => {
    let cases = 0;
    let values = 0;
    fc.assert(
      fc.property(caseArb(['float32', 'int32', 'uint8']), (c) => {
        const image = makeImage(c);
        const got = resize(image, [c.outH, c.outW], { method: 'nearest' });
        const want = tfResize(image, [c.outH, c.outW], 'nearest');
        expect(got.shape).toEqual(want.shape);
        expect(got.dtype).toBe(image.dtype);
        const batch = c.batch ?? 1;
        let i = 0;
        for (let b = 0; b < batch; b++) {
          for (let y = 0; y < c.outH; y++) {
            for (let x = 0; x < c.outW; x++) {
              const source = ((b * c.inH + nearestSource(y, c.inH, c.outH)) * c.inW + nearestSource(x, c.inW, c.outW)) * c.channels;
              for (let ch = 0; ch < c.channels; ch++, i++) {
                values++;
                if (got.data[i] !== image.data[source + ch])
                  throw new Error(`case ${JSON.stringify(c)}: value ${i} is not the source pixel`);
                if (got.data[i] !== want.data[i])
                  throw new Error(`case ${JSON.stringify(c)}: value ${i} is ${got.data[i]}, tfjs gives ${want.data[i]}`);
              }
            }
          }
        }
        cases++;
      }),
      { numRuns: RUNS, seed: 20240602 },
    );
    summary.push(`resize nearest: ${cases} random cases, ${values} values, all equal to tfjs`);
  });
});

describe('resize', () => {
  it('scales photo-sized images like tfjs (512×512 → 224×224, 100×60 → 333×97)', () => {
    for (const c of [
      { batch: null, inH: 512, inW: 512, channels: 1, outH: 224, outW: 224, dtype: 'uint8', seed: 7 },
      { batch: 2, inH: 100, inW: 60, channels: 3, outH: 333, outW: 97, dtype: 'float32', seed: 9 },
    ] as Case[]) {
      const image = makeImage(c);
      const unit = new Tensor(
        Float32Array.from(image.data, (v) => (c.dtype === 'uint8' ? v / 255 : (v + 10) / 20)),
        image.shape,
        'float32',
      );
      expect(Array.from(resize(image, [c.outH, c.outW], { method: 'nearest' }).data)).toEqual(
        Array.from(tfResize(image, [c.outH, c.outW], 'nearest').data),
      );
      for (const input of [unit, image]) {
        const got = resize(input, [c.outH, c.outW]);
        const want = tfResize(input, [c.outH, c.outW], 'bilinear');
        let worst = 0;
        for (let i = 0; i < got.data.length; i++)
          worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]) / Math.max(1, Math.abs(want.data[i])));
        expect(worst).toBeLessThanOrEqual(1e-4);
      }
    }
  });

  it('follows the half-pixel formulas on a small example', () => {
    // 1×4 → 1×2: bilinear samples at x = 0.5 and 2.5; nearest at floor(0.5·2)=1 and floor(1.5·2)=3.
    const row = new Tensor(Float32Array.from([0, 10, 20, 30]), [1, 4, 1], 'float32');
    expect(Array.from(resize(row, [1, 2]).data)).toEqual([5, 25]);
    expect(Array.from(resize(row, [1, 2], { method: 'nearest' }).data)).toEqual([10, 30]);
    // 1×2 → 1×4: x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    const two = new Tensor(Float32Array.from([0, 8]), [1, 2, 1], 'float32');
    expect(Array.from(resize(two, [1, 4]).data)).toEqual([0, 2, 6, 8]);
    // Same size: bilinear returns the values (as float32).
    const u8 = new Tensor(Uint8Array.from([1, 2, 3, 4]), [2, 2, 1], 'uint8');
    const same = resize(u8, [2, 2]);
    expect(same.dtype).toBe('float32');
    expect(Array.from(same.data)).toEqual([1, 2, 3, 4]);
  });

  it('handles an empty batch', () => {
    const empty = new Tensor(new Float32Array(0), [0, 3, 3, 2], 'float32');
    expect(resize(empty, [5, 4]).shape).toEqual([0, 5, 4, 2]);
  });

  it('rejects bad arguments', () => {
    const img = new Tensor(new Float32Array(12), [2, 2, 3], 'float32');
    expectConvlensError(() => resize(img, [0, 4]), /^resize: size must be \[height, width\] with two positive integers, got \[0, 4\]$/);
    expectConvlensError(() => resize(img, [2.5, 4]), /size must be \[height, width\] with two positive integers, got \[2.5, 4\]/);
    expectConvlensError(() => resize(img, [4] as never), /got \[4\]/);
    // a sparse [3, ,] passed as two sizes (every skips holes) and failed later, naming 'tensor' and a shape [3, undefined, 3]
    expectConvlensError(
      () => resize(img, sparse(2, { 0: 3 })),
      /^resize: size must be \[height, width\] with two positive integers, got \[3, \]$/,
    );
    expectConvlensError(() => resize(img, 4 as never), /got 4/);
    expectConvlensError(
      () => resize(img, [4, 4], { method: 'bicubic' as never }),
      /^resize: method must be 'bilinear' or 'nearest', got "bicubic"$/,
    );
    expectConvlensError(
      () => resize(img, [4, 4], { antialias: true } as never),
      /^resize: unknown option 'antialias' \(expected one of method\)$/,
    );
    expectConvlensError(
      () => resize(new Tensor(new Float32Array(4), [2, 2], 'float32'), [4, 4]),
      /^resize: images must be rank 3 \[height, width, channels\] or rank 4 \[batch, height, width, channels\], got shape \[2, 2\]$/,
    );
    expectConvlensError(
      () => resize(new Tensor(new Float32Array(0), [0, 2, 3], 'float32'), [4, 4]),
      /images must not be empty, got shape \[0, 2, 3\]/,
    );
    expectConvlensError(() => resize(new Tensor(new Float32Array(0), [2, 2, 0], 'float32'), [4, 4]), /at least one channel/);
    expectConvlensError(
      () => resize(new Tensor(new Uint8Array(4), [2, 2, 1], 'bool'), [4, 4]),
      /images must be float32, int32 or uint8, got bool/,
    );
  });
});
