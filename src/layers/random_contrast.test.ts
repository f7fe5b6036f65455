import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32 } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { Random, setSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { RandomBrightness, RandomContrast, resetNames, Sequential } from './index.js';
import { adjustBrightness } from './random_brightness.js';
import { adjustContrast, adjustContrastBackward } from './random_contrast.js';

beforeEach(() => resetNames());

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Keras' contrast written out: per image and channel, (x − mean) · f + mean, clipped. */
function kerasContrast(x: Tensor, factors: number[], [low, high]: number[]): number[] {
  const [batch, height, width, channels] = x.shape;
  const out = new Array<number>(x.size);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const at = (p: number) => (n * height * width + p) * channels + c;
      let mean = 0;
      for (let p = 0; p < height * width; p++) mean += x.data[at(p)] / (height * width);
      for (let p = 0; p < height * width; p++) out[at(p)] = Math.min(high, Math.max(low, (x.data[at(p)] - mean) * factors[n] + mean));
    }
  }
  return out;
}

/** Central differences in float64 of Σ w · f(x) against `analytic`, skipping elements where a step would cross a clip. */
function checkGradient(
  context: string,
  x: Float64Array,
  w: Float64Array,
  f: (input: Float64Array, passed: Uint8Array) => Float64Array,
  analytic: ArrayLike<number>,
): number {
  const base = new Uint8Array(x.length);
  f(x, base);
  const eps = 1e-6;
  let checked = 0;
  for (let j = 0; j < x.length; j++) {
    const [plus, minus] = [x.slice(), x.slice()];
    plus[j] += eps;
    minus[j] -= eps;
    const [pp, pm] = [new Uint8Array(x.length), new Uint8Array(x.length)];
    const lp = f(plus, pp).reduce((s, v, k) => s + v * w[k], 0);
    const lm = f(minus, pm).reduce((s, v, k) => s + v * w[k], 0);
    if (pp.some((v, k) => v !== base[k]) || pm.some((v, k) => v !== base[k])) continue;
    expect(Math.abs((lp - lm) / (2 * eps) - analytic[j]), `${context} element ${j}`).toBeLessThan(1e-6);
    checked++;
  }
  return checked;
}

describe('RandomContrast', () => {
  it('passes images through at inference', () => {
    const x = f32(caseRng('contrast inference', 0), [2, 3, 3, 3], 0, 255);
    const layer = new RandomContrast({ factor: 0.5, inputShape: [3, 3, 3] });
    expect(new Sequential([layer]).predict(x).data).toEqual(x.data);
    expect(layer.apply(x).data).toEqual(x.data);
  });

  it("in training scales each image's channels about their means by its factor from [1 − lower, 1 + upper], clipped to valueRange", () => {
    for (let i = 0; i < 8; i++) {
      const rng = caseRng('contrast forward', i);
      const shape = [rng.int(1, 5), rng.int(1, 6), rng.int(1, 6), rng.int(1, 3)];
      const factor: number | [number, number] = i % 2 ? rng.float(0, 1) : [rng.float(0, 1), rng.float(0, 1)];
      const valueRange: [number, number] = i % 4 < 2 ? [0, 255] : [0, 1];
      const x = f32(rng, shape, valueRange[0], valueRange[1]);
      const seed = 200 + i;
      const layer = new RandomContrast({ factor, valueRange, seed });
      const [lower, upper] = typeof factor === 'number' ? [factor, factor] : [...factor].sort((a, b) => a - b);
      expect(layer.factor).toEqual([lower, upper]);
      const draws = new Random(seed);
      const factors = Array.from({ length: shape[0] }, () => Math.fround(1 - lower + (upper + lower) * draws.next()));
      factors.forEach((f) => {
        expect(f).toBeGreaterThanOrEqual(Math.fround(1 - lower));
        expect(f).toBeLessThanOrEqual(Math.fround(1 + upper));
      });
      expectClose(layer.apply(x, true), kerasContrast(x, factors, valueRange), 1e-5, `case ${i} seed ${rng.seed}`);
    }
  });

  it('its gradient (the factor, plus (1 − f)/HW × Σdy through the mean, zero where clipped) matches float64 central differences', () => {
    let checked = 0;
    for (let i = 0; i < 10; i++) {
      const rng = caseRng('contrast grad', i);
      const shape = [rng.int(1, 3), rng.int(1, 4), rng.int(1, 4), rng.int(1, 3)];
      // a narrow range in half the cases, so that some outputs are clipped
      const valueRange: [number, number] = i % 2 ? [-1, 1] : [-0.4, 0.4];
      const seed = 300 + i;
      const x32 = f32(rng, shape);
      const layer = new RandomContrast({ factor: 0.9, valueRange, seed });
      const out = layer.apply(x32, true);
      const dy = f32(rng, shape);
      const dx = layer.backward(dy, true)!;
      const draws = new Random(seed);
      const factors = Array.from({ length: shape[0] }, () => Math.fround(0.1 + 1.8 * draws.next()));
      // the layer's output is the float64 formula rounded to float32
      const exact = new Float64Array(x32.size);
      adjustContrast(x32.data, shape, factors, valueRange, exact, new Uint8Array(x32.size));
      expect(out.data).toEqual(Float32Array.from(exact));
      const x = Float64Array.from(x32.data);
      const w = Float64Array.from(dy.data);
      const f = (input: Float64Array, passed: Uint8Array) => {
        const y = new Float64Array(input.length);
        adjustContrast(input, shape, factors, valueRange, y, passed);
        return y;
      };
      const passed = new Uint8Array(x.length);
      f(x, passed);
      const analytic = new Float64Array(x.length);
      adjustContrastBackward(w, shape, factors, passed, analytic);
      expectClose(dx, analytic, 1e-6, `layer backward, case ${i}`);
      checked += checkGradient(`case ${i} seed ${rng.seed}`, x, w, f, analytic);
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('names what is wrong', () => {
    expectConvlensError(
      () => new RandomContrast(1.5),
      "RandomContrast 'random_contrast': factor must be a number in [0, 1] or a pair [lower, upper] of them, got 1.5",
    );
    expectConvlensError(() => new RandomContrast([0.1, 0.2, 0.3] as never), /factor must be a number in \[0, 1\] or a pair/);
    expectConvlensError(
      () => new RandomContrast({ factor: 0.2, valueRange: [255, 0] }),
      /valueRange must be \[low, high\], two finite numbers with low < high, got \[255, 0\]/,
    );
    expectConvlensError(
      () => new RandomContrast({ factor: 0.2, value_range: [0, 1] } as never),
      /unknown option 'value_range' \(did you mean 'valueRange'\?\)/,
    );
    expectConvlensError(() => new RandomContrast('0.1' as never), /^RandomContrast: expected a factor or an options object/);
  });
});

describe('RandomBrightness', () => {
  it('passes images through at inference', () => {
    const x = f32(caseRng('brightness inference', 0), [2, 3, 3, 3], 0, 255);
    expect(new Sequential([new RandomBrightness({ factor: 0.5, inputShape: [3, 3, 3] })]).predict(x).data).toEqual(x.data);
  });

  it('in training adds each image its shift u · (high − low), u from [lower, upper], clipped to valueRange; its gradient passes where not clipped', () => {
    let checked = 0;
    for (let i = 0; i < 8; i++) {
      const rng = caseRng('brightness', i);
      const shape = [rng.int(1, 4), rng.int(1, 4), rng.int(1, 4), rng.int(1, 3)];
      const factor: number | [number, number] = i % 2 ? rng.float(-1, 1) : [rng.float(-1, 1), rng.float(-1, 1)];
      const valueRange: [number, number] = i % 4 < 2 ? [0, 255] : [0, 1];
      const x32 = f32(rng, shape, valueRange[0], valueRange[1]);
      const seed = 400 + i;
      const layer = new RandomBrightness({ factor, valueRange, seed });
      const [lower, upper] = typeof factor === 'number' ? [-Math.abs(factor), Math.abs(factor)] : [...factor].sort((a, b) => a - b);
      expect(layer.factor).toEqual([lower, upper]);
      const draws = new Random(seed);
      const deltas = Array.from({ length: shape[0] }, () =>
        Math.fround((lower + (upper - lower) * draws.next()) * (valueRange[1] - valueRange[0])),
      );
      const out = layer.apply(x32, true);
      const per = sizeOf(shape.slice(1));
      const expected = Array.from(x32.data, (v, j) => Math.min(valueRange[1], Math.max(valueRange[0], v + deltas[Math.floor(j / per)])));
      expectClose(out, expected, 1e-6, `case ${i}`);
      const dy = f32(rng, shape);
      const dx = layer.backward(dy, true)!;
      const f = (input: Float64Array, passed: Uint8Array) => {
        const y = new Float64Array(input.length);
        adjustBrightness(input, shape, deltas, valueRange, y, passed);
        return y;
      };
      checked += checkGradient(`brightness case ${i}`, Float64Array.from(x32.data), Float64Array.from(dy.data), f, dx.data);
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('a seed repeats its draws; without one, setSeed does; Keras sorts a reversed valueRange', () => {
    const x = f32(caseRng('brightness seed', 0), [6, 2, 2, 1], 0, 255);
    expect(new RandomBrightness({ factor: 0.3, seed: 3 }).apply(x, true).data).toEqual(
      new RandomBrightness({ factor: 0.3, seed: 3 }).apply(x, true).data,
    );
    setSeed(9);
    const first = new RandomBrightness(0.3).apply(x, true);
    setSeed(9);
    expect(new RandomBrightness(0.3).apply(x, true).data).toEqual(first.data);
    expect(new RandomBrightness({ factor: 0.3, valueRange: [1, 0] }).valueRange).toEqual([0, 1]);
  });

  it('names what is wrong', () => {
    expectConvlensError(
      () => new RandomBrightness(-1.2),
      "RandomBrightness 'random_brightness': factor must be a number in [-1, 1] or a pair [lower, upper] of them, got -1.2",
    );
    expectConvlensError(
      () => new RandomBrightness({ factor: [0, Number.NaN] }),
      /factor must be a number in \[-1, 1\] or a pair \[lower, upper\] of them, got NaN/,
    );
    expectConvlensError(
      () => new RandomBrightness({ factor: 0.1, valueRange: [0, Number.POSITIVE_INFINITY] }),
      /valueRange must be \[low, high\]/,
    );
  });
});
