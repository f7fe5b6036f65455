import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { type ResizeMethod, resize } from './resize.js';

tf.env().set('IS_TEST', true);
await tf.setBackend('cpu');

function expectError(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConvlensError);
  expect((thrown as Error).message).toMatch(message);
}

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
  // TensorFlow's CPU kernel (resize_bilinear_op.cc) computes source coordinates in float32;
  // tfjs in float64. convlens follows TensorFlow, so the two differ by the coordinate rounding:
  // at most 3·2^-24·size per axis, times the image's value range. On 0..1 data that stays far
  // inside 1e-4; on 0..255 or ±1000 integer images it can exceed 1e-4 absolute near zero.
  it('agrees to |a - b| <= 1e-4 max(1, |b|) (plus the float32-coordinate bound on integer images)', () => {
    let worstRel = 0;
    let worstRelUnit = 0;
    let beyondPlain = 0;
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
        let lo = Number.POSITIVE_INFINITY;
        let hi = Number.NEGATIVE_INFINITY;
        for (const v of image.data) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        const range = hi - lo;
        const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
        const coordinateBound = range * 3 * 2 ** -24 * (c.inH + c.inW) + magnitude * 2 ** -20;
        for (let i = 0; i < got.data.length; i++) {
          const a = got.data[i];
          const b = want.data[i];
          const rel = Math.abs(a - b) / Math.max(1, Math.abs(b));
          worstRel = Math.max(worstRel, rel);
          if (kind === 'unit') worstRelUnit = Math.max(worstRelUnit, rel);
          if (rel > 1e-4) beyondPlain++;
          const ok = kind === 'unit' ? rel <= 1e-4 : Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)) + coordinateBound;
          if (!ok) throw new Error(`case ${JSON.stringify(c)}: value ${i} is ${a}, tfjs gives ${b}`);
        }
        cases++;
        if (c.outH * c.outW > c.inH * c.inW) up++;
      }),
      { numRuns: RUNS, seed: 20240601 },
    );
    summary.push(
      `resize bilinear: ${cases} random cases (${up} upscaling), max relative difference ${worstRel.toExponential(2)} ` +
        `(0..1 data: ${worstRelUnit.toExponential(2)}); ${beyondPlain} values beyond plain 1e-4, all on integer images within the float32-coordinate bound`,
    );
  });
});

/** The source index TensorFlow's CPU kernel picks: floor(float32((x + 0.5) · float32(in / out))), clamped. */
function tfNearest(x: number, inSize: number, outSize: number): number {
  const scale = Math.fround(inSize / outSize);
  return Math.max(0, Math.min(inSize - 1, Math.floor(Math.fround((x + 0.5) * scale))));
}

/** True when (x + 0.5) · in / out is exactly an integer: where float32 and float64 rounding can pick different pixels. */
function onBoundary(x: number, inSize: number, outSize: number): boolean {
  return ((2 * x + 1) * inSize) % (2 * outSize) === 0;
}

describe(`resize nearest: ${RUNS} random cases against tfjs-core (cpu)`, () => {
  // Where (x + 0.5)·in/out is exactly an integer, TF's float32 coordinate and tfjs's float64 one
  // can round to different sides and pick neighbouring pixels (e.g. 30 → 11 wide, x = 5: exactly
  // 15; float32 gives 15, float64 14.999999999999998). Everywhere else they must be equal.
  it('equals tfjs except at exact-integer coordinates, where it takes TF’s float32 choice', () => {
    let cases = 0;
    let values = 0;
    let boundaryFlips = 0;
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
              const source = ((b * c.inH + tfNearest(y, c.inH, c.outH)) * c.inW + tfNearest(x, c.inW, c.outW)) * c.channels;
              for (let ch = 0; ch < c.channels; ch++, i++) {
                values++;
                if (got.data[i] !== image.data[source + ch]) throw new Error(`case ${JSON.stringify(c)}: value ${i} is not TF's pixel`);
                if (got.data[i] !== want.data[i]) {
                  if (!onBoundary(y, c.inH, c.outH) && !onBoundary(x, c.inW, c.outW)) {
                    throw new Error(
                      `case ${JSON.stringify(c)}: value ${i} is ${got.data[i]}, tfjs gives ${want.data[i]} away from a boundary`,
                    );
                  }
                  boundaryFlips++;
                }
              }
            }
          }
        }
        cases++;
      }),
      { numRuns: RUNS, seed: 20240602 },
    );
    summary.push(
      `resize nearest: ${cases} random cases, ${values} values; ${boundaryFlips} differ from tfjs, all at exact-integer coordinates`,
    );
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
      const nearest = resize(image, [c.outH, c.outW], { method: 'nearest' });
      const wantNearest = tfResize(image, [c.outH, c.outW], 'nearest');
      const per = c.outW * c.channels;
      for (let i = 0; i < nearest.data.length; i++) {
        const y = Math.floor(i / per) % c.outH;
        const x = Math.floor((i % per) / c.channels);
        if (!onBoundary(y, c.inH, c.outH) && !onBoundary(x, c.inW, c.outW) && nearest.data[i] !== wantNearest.data[i]) {
          throw new Error(`nearest value ${i} is ${nearest.data[i]}, tfjs gives ${wantNearest.data[i]}`);
        }
      }
      // 0..1 data: plain 1e-4 relative. The raw uint8 image: within the float32-coordinate bound.
      const got = resize(unit, [c.outH, c.outW]);
      const want = tfResize(unit, [c.outH, c.outW], 'bilinear');
      let worstUnit = 0;
      for (let i = 0; i < got.data.length; i++)
        worstUnit = Math.max(worstUnit, Math.abs(got.data[i] - want.data[i]) / Math.max(1, Math.abs(want.data[i])));
      expect(worstUnit).toBeLessThanOrEqual(1e-4);
      const raw = resize(image, [c.outH, c.outW]);
      const wantRaw = tfResize(image, [c.outH, c.outW], 'bilinear');
      const bound = 255 * 3 * 2 ** -24 * (c.inH + c.inW) + 255 * 2 ** -20;
      let worstRaw = 0;
      for (let i = 0; i < raw.data.length; i++) {
        worstRaw = Math.max(worstRaw, Math.abs(raw.data[i] - wantRaw.data[i]) - 1e-4 * Math.max(1, Math.abs(wantRaw.data[i])) - bound);
      }
      expect(worstRaw).toBeLessThanOrEqual(0);
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
    expectError(() => resize(img, [0, 4]), /^resize: size must be \[height, width\] with two positive integers, got \[0,4\]$/);
    expectError(() => resize(img, [2.5, 4]), /size must be \[height, width\] with two positive integers, got \[2.5,4\]/);
    expectError(() => resize(img, [4] as never), /got \[4\]/);
    expectError(() => resize(img, 4 as never), /got 4/);
    expectError(
      () => resize(img, [4, 4], { method: 'bicubic' as never }),
      /^resize: method must be 'bilinear' or 'nearest', got a string "bicubic"$/,
    );
    expectError(() => resize(img, [4, 4], { antialias: true } as never), /^resize: unknown option 'antialias' \(expected method\)$/);
    expectError(
      () => resize(new Tensor(new Float32Array(4), [2, 2], 'float32'), [4, 4]),
      /^resize: images must be rank 3 \[height, width, channels\] or rank 4 \[batch, height, width, channels\], got shape \[2, 2\]$/,
    );
    expectError(
      () => resize(new Tensor(new Float32Array(0), [0, 2, 3], 'float32'), [4, 4]),
      /images must not be empty, got shape \[0, 2, 3\]/,
    );
    expectError(() => resize(new Tensor(new Float32Array(0), [2, 2, 0], 'float32'), [4, 4]), /at least one channel/);
    expectError(() => resize(new Tensor(new Uint8Array(4), [2, 2, 1], 'bool'), [4, 4]), /images must be float32, int32 or uint8, got bool/);
  });
});
