import { beforeEach, describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32 } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { Random, setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  RandomBrightness,
  RandomContrast,
  RandomFlip,
  RandomRotation,
  RandomTranslation,
  RandomZoom,
  resetNames,
  Sequential,
} from './index.js';

beforeEach(() => resetNames());

/** Image n of `x` reversed along the rows and/or columns. */
function flipped(x: Tensor, n: number, rows: boolean, cols: boolean): number[] {
  const [, height, width, channels] = x.shape;
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let xx = 0; xx < width; xx++) {
      const [fy, fx] = [rows ? height - 1 - y : y, cols ? width - 1 - xx : xx];
      for (let c = 0; c < channels; c++) out.push(x.data[((n * height + fy) * width + fx) * channels + c]);
    }
  }
  return out;
}

const imageOf = (t: Tensor, n: number) => Array.from(t.data.subarray(n * (t.size / t.shape[0]), (n + 1) * (t.size / t.shape[0])));

describe('RandomFlip', () => {
  it('passes images through at inference (predict, layerOutputs, apply without training)', () => {
    const x = f32(caseRng('flip inference', 0), [3, 4, 5, 2]);
    const layer = new RandomFlip({ inputShape: [4, 5, 2] });
    const model = new Sequential([layer]);
    expect(model.predict(x).data).toEqual(x.data);
    expect(model.layerOutputs(x)[0].output.data).toEqual(x.data);
    expect(layer.apply(x).data).toEqual(x.data);
  });

  it("in training flips each image on its own draw (u ≤ ½, Keras 3's rule), both axes on one draw in 'horizontal_and_vertical'", () => {
    for (const [i, mode] of (['horizontal', 'vertical', 'horizontal_and_vertical'] as const).entries()) {
      const rng = caseRng('flip modes', i);
      const x = f32(rng, [12, 3, 4, 2]);
      const seed = 100 + i;
      const out = new RandomFlip({ mode, seed }).apply(x, true);
      const draws = new Random(seed);
      let flips = 0;
      for (let n = 0; n < 12; n++) {
        const flip = draws.next() <= 0.5;
        flips += flip ? 1 : 0;
        const expected = flipped(x, n, flip && mode !== 'horizontal', flip && mode !== 'vertical');
        expect(imageOf(out, n), `${mode} image ${n}`).toEqual(expected);
      }
      // some images flipped, some not
      expect(flips).toBeGreaterThan(0);
      expect(flips).toBeLessThan(12);
    }
  });

  it('flips about half the images; a seed repeats the draws, the global generator follows setSeed', () => {
    const x = f32(caseRng('flip rate', 0), [2000, 1, 2, 1]);
    const out = new RandomFlip('horizontal').apply(x, true);
    const flipsSeen = Array.from({ length: 2000 }, (_, n) => out.data[2 * n] !== x.data[2 * n]).filter(Boolean).length;
    // 2000 images: the rate's standard deviation is about 0.011
    expect(Math.abs(flipsSeen / 2000 - 0.5)).toBeLessThan(0.05);
    const small = f32(caseRng('flip seed', 0), [16, 2, 3, 1]);
    expect(new RandomFlip({ seed: 7 }).apply(small, true).data).toEqual(new RandomFlip({ seed: 7 }).apply(small, true).data);
    setSeed(5);
    const first = new RandomFlip().apply(small, true);
    setSeed(5);
    expect(new RandomFlip().apply(small, true).data).toEqual(first.data);
  });

  it('its gradient is the output gradient flipped back, checked by central differences in float64 with the draws fixed', () => {
    for (let i = 0; i < 6; i++) {
      const rng = caseRng('flip grad', i);
      const shape = [rng.int(2, 4), rng.int(1, 4), rng.int(1, 4), rng.int(1, 3)];
      const mode = (['horizontal', 'vertical', 'horizontal_and_vertical'] as const)[i % 3];
      // values on a grid of 2⁻⁸, so that x ± 2⁻¹⁰ is exact in float32 and the loss exact in float64
      const x = new Tensor(
        Float32Array.from(rng.floats(shape.reduce((a, b) => a * b, 1)), (v) => Math.round(v * 256) / 256),
        shape,
        'float32',
      );
      const w = Float64Array.from(rng.floats(x.size));
      // the same seed, the same draws: each side of the difference gets a layer of it
      const loss = (input: Tensor) => new RandomFlip({ mode, seed: 40 + i }).apply(input, true).data.reduce((s, v, j) => s + v * w[j], 0);
      const layer = new RandomFlip({ mode, seed: 40 + i });
      layer.apply(x, true);
      const dx = layer.backward(new Tensor(Float32Array.from(w), shape, 'float32'), true)!;
      const eps = 2 ** -10;
      for (let j = 0; j < x.size; j++) {
        const [plus, minus] = [x.data.slice(), x.data.slice()];
        plus[j] += eps;
        minus[j] -= eps;
        const numeric = (loss(new Tensor(plus, shape, 'float32')) - loss(new Tensor(minus, shape, 'float32'))) / (2 * eps);
        expect(Math.abs(numeric - dx.data[j]), `case ${i} element ${j}`).toBeLessThan(1e-6);
      }
      expect(layer.backward(new Tensor(Float32Array.from(w), shape, 'float32'), false)).toBeUndefined();
    }
  });

  it('names what is wrong', () => {
    expectConvlensError(
      () => new RandomFlip('diagonal' as never),
      "RandomFlip 'random_flip': mode must be 'horizontal', 'vertical', 'horizontal_and_vertical', got \"diagonal\"",
    );
    expectConvlensError(
      () => new RandomFlip({ mdoe: 'horizontal' } as never),
      /^RandomFlip: unknown option 'mdoe' \(did you mean 'mode'\?\)$/,
    );
    expectConvlensError(
      () => new RandomFlip({ seed: 1.5 }),
      /RandomFlip 'random_flip_\d+': seed must be a non-negative integer \(or null\), got 1.5/,
    );
    expectConvlensError(
      () => new RandomFlip({ dataFormat: 'first' as never }),
      /^RandomFlip 'random_flip_\d+': unknown dataFormat "first" \(expected 'channels_last' or 'channels_first'\)$/,
    );
    expectConvlensError(
      () => new Sequential([new RandomFlip({ inputShape: [10] })]),
      /^random_flip_\d+ \(RandomFlip\): expected inputs of shape \(height, width, channels\), got \[10\]$/,
    );
    expectConvlensError(
      () => new RandomFlip().apply(new Tensor(new Float32Array(12), [2, 3, 2], 'float32')),
      /apply takes a batch \[batch, height, width, channels\], got shape \[2, 3, 2\]/,
    );
  });
});

describe("the augmentation layers' shorthand with options after it", () => {
  it("takes Keras' RandomFlip('horizontal', input_shape=...) as new RandomFlip('horizontal', { inputShape }), and refuses, not drops, anything else after it", () => {
    const flip = new RandomFlip('horizontal', { inputShape: [8, 8, 3], seed: 4 });
    expect([flip.mode, flip.getConfig().seed]).toEqual(['horizontal', 4]);
    expect(new Sequential([flip]).outputShape).toEqual([8, 8, 3]);
    expect(new RandomContrast(0.2, { valueRange: [0, 1] }).getConfig().value_range).toEqual([0, 1]);
    expect(new RandomBrightness(0.2, { valueRange: [0, 1] }).getConfig().value_range).toEqual([0, 1]);
    expect(new RandomRotation(0.1, { fillMode: 'nearest' }).getConfig().fill_mode).toBe('nearest');
    expect(new RandomZoom(0.1, { widthFactor: 0.3 }).widthFactor).toBe(0.3);
    // Keras' RandomTranslation(height_factor, width_factor, ...) takes both factors by position
    const shift = new RandomTranslation(0.1, [-0.2, 0.3], { fillMode: 'constant' });
    expect([shift.heightFactor, shift.widthFactor, shift.getConfig().fill_mode]).toEqual([0.1, [-0.2, 0.3], 'constant']);
    expectConvlensError(
      () => new RandomTranslation(0.1),
      'RandomTranslation: give the widthFactor after the heightFactor (new RandomTranslation(0.1, 0.1)), as Keras takes both, got undefined',
    );
    expectConvlensError(
      () => new RandomTranslation(0.1, { widthFactor: 0.2 } as never),
      /^RandomTranslation: give the widthFactor after the heightFactor .* got \{ widthFactor: 0.2 \}$/,
    );
    expectConvlensError(
      () => new RandomTranslation(0.1, 0.2, { widthFactor: 0.3 } as never),
      'RandomTranslation: widthFactor is given twice, second and in the options after it',
    );
    expectConvlensError(
      () => new RandomTranslation({ heightFactor: 0.1, widthFactor: 0.1 }, 0.2),
      /^RandomTranslation: give the heightFactor first, .* got 0.2 after an options object$/,
    );
    expectConvlensError(
      () => new RandomZoom(0.1, 0.2 as never),
      'RandomZoom: give the heightFactor first, then an options object (new RandomZoom(0.1, { inputShape })), or one options object; got 0.2 after the heightFactor',
    );
    expectConvlensError(
      () => new RandomFlip({ mode: 'vertical' }, { seed: 1 }),
      /^RandomFlip: give the mode first, .* got \{ seed: 1 \} after an options object$/,
    );
    expectConvlensError(
      () => new RandomFlip('vertical', { mode: 'horizontal' } as never),
      'RandomFlip: mode is given twice, first and in the options after it',
    );
    expectConvlensError(
      () => new RandomContrast(0.1, { sede: 1 } as never),
      /^RandomContrast: unknown option 'sede' \(did you mean 'seed'\?\)$/,
    );
  });
});
