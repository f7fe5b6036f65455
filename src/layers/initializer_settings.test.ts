import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tfjsLoad, tfjsSaved } from '../../test/helpers/layers.js';
import { tf } from '../../test/helpers/tf.js';
import { globalRandom, Random, setSeed } from '../tensor/random.js';
import { Conv2D, Conv2DTranspose, Dense, fromArtifacts, LayerNormalization, resetNames, SeparableConv2D, Sequential } from './index.js';
import { Initializer } from './initializers.js';
import * as initializers from './initializers_api.js';

beforeEach(() => resetNames());

/** The values a Dense kernel of [rows, cols] (or a Conv2D kernel of `kernel`) starts with. */
function denseKernel(init: string | Initializer, rows: number, cols: number): Float32Array {
  const layer = new Dense({ units: cols, inputShape: [rows], kernelInitializer: init });
  new Sequential([layer]);
  return layer.getWeights()[0].data;
}

function convKernel(init: string | Initializer, kernel: [number, number, number, number]): Float32Array {
  const [kh, kw, cin, cout] = kernel;
  const layer = new Conv2D({ filters: cout, kernelSize: [kh, kw], inputShape: [8, 8, cin], kernelInitializer: init });
  new Sequential([layer]);
  return layer.getWeights()[0].data;
}

function stats(values: Float32Array): { mean: number; std: number; min: number; max: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std, min: Math.min(...values), max: Math.max(...values) };
}

/** The Gram matrix of a rows × cols matrix's columns (AᵀA) or rows (AAᵀ). */
function gram(a: Float32Array, rows: number, cols: number, of: 'columns' | 'rows'): number[][] {
  const n = of === 'columns' ? cols : rows;
  const len = of === 'columns' ? rows : cols;
  const at = (v: number, k: number) => (of === 'columns' ? a[k * cols + v] : a[v * cols + k]);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += at(i, k) * at(j, k);
      return dot;
    }),
  );
}

const eye = (n: number, gain = 1) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? gain * gain : 0)));

function expectMatrixClose(actual: number[][], expected: number[][], tolerance: number): void {
  const worst = Math.max(...actual.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected[i][j]))));
  expect(worst).toBeLessThan(tolerance);
}

describe('initializers with settings, drawn as Keras defines them', () => {
  it('constant and identity give the values tfjs-layers gives', () => {
    const ours = denseKernel(initializers.constant({ value: 0.3 }), 4, 5);
    expect(Array.from(ours)).toEqual(Array.from(tfl.initializers.constant({ value: 0.3 }).apply([4, 5]).dataSync()));
    expect(Array.from(denseKernel(initializers.constant(-2), 2, 2))).toEqual([-2, -2, -2, -2]);
    const square = denseKernel(initializers.identity({ gain: 2 }), 4, 4);
    expect(Array.from(square)).toEqual(Array.from(tfl.initializers.identity({ gain: 2 }).apply([4, 4]).dataSync()));
    // Keras 3's Identity is ops.eye(rows, cols): not square too (tfjs refuses those)
    expect(Array.from(denseKernel(initializers.identity(), 2, 3))).toEqual([1, 0, 0, 0, 1, 0]);
    expect(Array.from(denseKernel(initializers.identity(), 3, 2))).toEqual([1, 0, 0, 1, 0, 0]);
  });

  it('orthogonal: orthonormal columns when tall, rows when wide, times the gain; a conv kernel as (kh·kw·cin) × cout', () => {
    setSeed(1);
    expectMatrixClose(gram(denseKernel(initializers.orthogonal(), 40, 12), 40, 12, 'columns'), eye(12), 1e-5);
    expectMatrixClose(gram(denseKernel(initializers.orthogonal({ gain: 3 }), 12, 40), 12, 40, 'rows'), eye(12, 3), 1e-4);
    expectMatrixClose(gram(denseKernel('orthogonal', 16, 16), 16, 16, 'rows'), eye(16), 1e-5);
    expectMatrixClose(gram(convKernel('orthogonal', [3, 3, 4, 8]), 36, 8, 'columns'), eye(8), 1e-5);
    // (tfjs-layers 4.22's own Orthogonal throws a TypeError, rMat.flatten is not a function, so it is no peer here)
    // drawn, not fixed: two draws differ
    expect(denseKernel('orthogonal', 8, 4)).not.toEqual(denseKernel('orthogonal', 8, 4));
  });

  it('orthogonal: orthonormal on tall, wide and square weights of several blocks of columns and a part block, near-square ones too', () => {
    // square ones are where Gram–Schmidt takes most of a column away, so it must project twice
    for (const [rows, cols] of [
      [130, 45],
      [45, 130],
      [67, 67],
      [128, 128],
      [201, 199],
      [9, 1],
      [1, 9],
    ]) {
      const kernel = denseKernel(initializers.orthogonal({ seed: rows + cols }), rows, cols);
      const of = rows >= cols ? 'columns' : 'rows';
      expectMatrixClose(gram(kernel, rows, cols, of), eye(Math.min(rows, cols)), 1e-5);
    }
  });

  it("orthogonal: Keras' Q, the QR factor (tfjs' linalg.qr) of the seed's normal matrix signed by R's diagonal, transposed when wide", () => {
    for (const [rows, cols, seed] of [
      [60, 21, 3],
      [21, 60, 4],
      [33, 33, 5],
    ]) {
      const tall = Math.max(rows, cols);
      const narrow = Math.min(rows, cols);
      // the seed's normal matrix of tall × narrow, drawn row by row
      const random = new Random(seed);
      const normal = tf.tensor2d(
        Array.from({ length: tall * narrow }, () => random.normal()),
        [tall, narrow],
      );
      const expected = tf.tidy(() => {
        const [q, r] = tf.linalg.qr(normal);
        const diagonal = r.arraySync() as number[][];
        const signed = tf.mul(q, tf.tensor1d(diagonal.map((row, i) => Math.sign(row[i]))));
        return tf.mul(rows >= cols ? signed : tf.transpose(signed), 1.5);
      });
      const ours = denseKernel(initializers.orthogonal({ seed, gain: 1.5 }), rows, cols);
      const worst = Math.max(...Array.from(expected.dataSync(), (v, i) => Math.abs(v - ours[i])));
      expect(worst, `${rows}×${cols}`).toBeLessThan(1e-4);
      tf.dispose([normal, expected]);
    }
  });

  it('randomNormal, randomUniform and truncatedNormal take their mean, deviation and range', () => {
    setSeed(2);
    const normal = stats(denseKernel(initializers.randomNormal({ mean: 1, stddev: 0.2 }), 100, 100));
    expect(normal.mean).toBeCloseTo(1, 2);
    expect(normal.std / 0.2).toBeCloseTo(1, 1);
    const uniform = stats(denseKernel(initializers.randomUniform({ minval: 0, maxval: 2 }), 100, 100));
    expect(uniform.min).toBeGreaterThanOrEqual(0);
    expect(uniform.max).toBeLessThan(2);
    expect(uniform.mean).toBeCloseTo(1, 1);
    expect(uniform.std / (2 / Math.sqrt(12))).toBeCloseTo(1, 1);
    // cut at two deviations and not rescaled: the spread of a normal truncated at ±2σ is 0.8796σ
    const truncated = stats(denseKernel(initializers.truncatedNormal({ mean: 0.5, stddev: 0.1 }), 100, 100));
    expect(truncated.min).toBeGreaterThanOrEqual(0.3 - 1e-7);
    expect(truncated.max).toBeLessThanOrEqual(0.7 + 1e-7);
    expect(truncated.std / (0.1 * 0.8796)).toBeCloseTo(1, 1);
  });

  it("varianceScaling: scale over the mode's fans, each distribution as Keras draws it", () => {
    setSeed(3);
    // a 3×3×16→64 kernel: fan_in 144, fan_out 576
    const fans = { fan_in: 144, fan_out: 576, fan_avg: 360 };
    for (const mode of ['fan_in', 'fan_out', 'fan_avg'] as const) {
      const variance = 2 / fans[mode];
      const uniform = stats(convKernel(initializers.varianceScaling({ scale: 2, mode, distribution: 'uniform' }), [3, 3, 16, 64]));
      const limit = Math.sqrt(3 * variance);
      expect(uniform.max, mode).toBeLessThanOrEqual(limit);
      expect(uniform.max, mode).toBeGreaterThan(0.99 * limit);
      const untruncated = stats(
        convKernel(initializers.varianceScaling({ scale: 2, mode, distribution: 'untruncated_normal' }), [3, 3, 16, 64]),
      );
      expect(untruncated.std / Math.sqrt(variance), mode).toBeCloseTo(1, 1);
      expect(untruncated.max, mode).toBeGreaterThan(2.5 * Math.sqrt(variance));
      const truncated = stats(convKernel(initializers.varianceScaling({ scale: 2, mode }), [3, 3, 16, 64]));
      expect(truncated.std / Math.sqrt(variance), mode).toBeCloseTo(1, 1);
      expect(truncated.max, mode).toBeLessThanOrEqual((2 * Math.sqrt(variance)) / 0.87962566);
    }
    // tfjs' spellings
    const tfjsSpelled = initializers.varianceScaling({ mode: 'fanAvg', distribution: 'normal' });
    expect(tfjsSpelled.settings).toEqual({ mode: 'fan_avg', distribution: 'truncated_normal' });
  });

  it("Conv2DTranspose: the fans of its [kh, kw, filters, inChannels] kernel as Keras' compute_fans reads them, as tfjs-layers draws", () => {
    setSeed(5);
    // 3×3 window, 64 filters, 2 input channels: fan_in = 9·64 = 576, fan_out = 9·2 = 18
    const kernel = (kernelInitializer: Initializer) => {
      const layer = new Conv2DTranspose({ filters: 64, kernelSize: 3, inputShape: [4, 4, 2], kernelInitializer });
      new Sequential([layer]);
      return stats(layer.getWeights()[0].data);
    };
    const he = kernel(initializers.heUniform());
    const heLimit = Math.sqrt(6 / 576);
    expect(he.max).toBeLessThanOrEqual(heLimit);
    expect(he.max).toBeGreaterThan(0.99 * heLimit);
    const theirs = tfl.layers.conv2dTranspose({ filters: 64, kernelSize: 3, inputShape: [4, 4, 2], kernelInitializer: 'heUniform' });
    tfl.sequential({ layers: [theirs] });
    const theirMax = Math.max(...(theirs.getWeights()[0].dataSync() as Float32Array).map(Math.abs));
    expect(theirMax).toBeLessThanOrEqual(heLimit);
    expect(theirMax).toBeGreaterThan(0.99 * heLimit);
    tf.dispose(theirs.getWeights());
    const out = kernel(initializers.varianceScaling({ mode: 'fan_out', distribution: 'uniform' }));
    expect(out.max).toBeLessThanOrEqual(Math.sqrt(3 / 18));
    expect(out.max).toBeGreaterThan(0.99 * Math.sqrt(3 / 18));
  });

  it('a seed gives the same values every time and leaves the global generator alone', () => {
    setSeed(4);
    const expectedNext = globalRandom().next();
    setSeed(4);
    const a = denseKernel(initializers.glorotUniform({ seed: 7 }), 6, 5);
    const b = denseKernel(initializers.glorotUniform({ seed: 7 }), 6, 5);
    expect(globalRandom().next()).toBe(expectedNext);
    expect(b).toEqual(a);
    expect(denseKernel(initializers.glorotUniform({ seed: 8 }), 6, 5)).not.toEqual(a);
    // and the seeded values are glorotUniform's: within ±√(6 / 11)
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 11));
  });

  it('LayerNormalization takes them for gamma and beta', () => {
    const norm = new LayerNormalization({ inputShape: [3], gammaInitializer: initializers.constant(2), betaInitializer: 'ones' });
    new Sequential([norm]);
    expect(norm.getWeights().map((w) => Array.from(w.data))).toEqual([
      [2, 2, 2],
      [1, 1, 1],
    ]);
  });
});

describe('initializers in saved models', () => {
  it("saves the settings under Keras' keys, which tfjs-layers reads, and reads them back", async () => {
    const model = new Sequential([
      new Dense({
        units: 4,
        inputShape: [3],
        kernelInitializer: initializers.varianceScaling({ scale: 2, mode: 'fan_out', distribution: 'uniform', seed: 5 }),
        biasInitializer: initializers.constant(0.1),
      }),
      new Dense({ units: 4, kernelInitializer: initializers.randomNormal({ stddev: 0.01 }), biasInitializer: 'zeros' }),
      new Dense({ units: 2, kernelInitializer: initializers.orthogonal({ gain: 2 }), biasInitializer: initializers.glorotUniform() }),
    ]);
    const files = model.toArtifacts();
    const saved = (files.modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    expect(saved.map((l) => [l.config.kernel_initializer, l.config.bias_initializer])).toEqual([
      [
        { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_out', distribution: 'uniform', seed: 5 } },
        { class_name: 'Constant', config: { value: 0.1 } },
      ],
      [
        { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.01, seed: null } },
        { class_name: 'Zeros', config: {} },
      ],
      [
        { class_name: 'Orthogonal', config: { gain: 2, seed: null } },
        { class_name: 'GlorotUniform', config: { seed: null } },
      ],
    ]);
    // tfjs-layers makes the same initializers of the file (its own spellings: fanOut)
    const theirs = await tfjsLoad(files.modelJson, files.weightData as ArrayBuffer);
    const theirConfigs = theirs.layers.map((l) => {
      const config = l.getConfig() as Record<string, { className: string; config: Record<string, unknown> }>;
      return [config.kernelInitializer, config.biasInitializer];
    });
    expect(theirConfigs[0][0]).toEqual({
      className: 'VarianceScaling',
      config: { scale: 2, mode: 'fanOut', distribution: 'uniform', seed: 5 },
    });
    expect(theirConfigs[0][1]).toEqual({ className: 'Constant', config: { value: 0.1 } });
    expect(theirConfigs[1][0]).toEqual({ className: 'RandomNormal', config: { mean: 0, stddev: 0.01, seed: null } });
    expect(theirConfigs[2][0]).toEqual({ className: 'Orthogonal', config: { gain: 2, seed: null } });
    // back in convlens: settings kept; one with none of its own is its name
    const again = fromArtifacts(files.modelJson, files.weightData);
    const [first, second, third] = again.layers as Dense[];
    expect(first.kernelInitializer).toBeInstanceOf(Initializer);
    expect((first.kernelInitializer as Initializer).settings).toEqual({ scale: 2, mode: 'fan_out', distribution: 'uniform', seed: 5 });
    expect((first.biasInitializer as Initializer).settings).toEqual({ value: 0.1 });
    expect((second.kernelInitializer as Initializer).settings).toEqual({ mean: 0, stddev: 0.01 });
    expect([(third.kernelInitializer as Initializer).settings, third.biasInitializer]).toEqual([{ gain: 2 }, 'glorotUniform']);
    expect(again.toArtifacts().modelJson.modelTopology).toEqual(files.modelJson.modelTopology);
  });

  it("reads tfjs-layers' saved initializers with their settings", async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.dense({
          units: 3,
          inputShape: [2],
          kernelInitializer: tfl.initializers.varianceScaling({ scale: 3, mode: 'fanAvg', distribution: 'normal' }),
          biasInitializer: tfl.initializers.randomUniform({ minval: 0.5, maxval: 1 }),
        }),
        tfl.layers.dense({ units: 2, kernelInitializer: 'heNormal', biasInitializer: tfl.initializers.constant({ value: 5 }) }),
      ],
    });
    const files = await tfjsSaved(theirs);
    const ours = fromArtifacts(files.modelJson, files.weightData);
    const [first, second] = ours.layers as Dense[];
    expect((first.kernelInitializer as Initializer).settings).toEqual({ scale: 3, mode: 'fan_avg', distribution: 'truncated_normal' });
    expect((first.biasInitializer as Initializer).settings).toEqual({ minval: 0.5, maxval: 1 });
    // tfjs writes its heNormal as the VarianceScaling it is
    expect((second.kernelInitializer as Initializer).settings).toEqual({ scale: 2, mode: 'fan_in', distribution: 'truncated_normal' });
    expect((second.biasInitializer as Initializer).settings).toEqual({ value: 5 });
    // the weights are the file's, whatever the initializers
    expect(ours.getWeights().map((w) => Array.from(w.data))).toEqual(theirs.getWeights().map((w) => Array.from(w.dataSync())));
    tf.dispose(theirs.getWeights());
  });
});

describe("initializers in Keras 3's files", () => {
  it('a SeedGenerator seed (drawing anew at each call) is read as none, the other settings kept', () => {
    const model = new Sequential([new Dense({ units: 3, inputShape: [2] })]);
    const files = model.toArtifacts();
    const json = structuredClone(files.modelJson);
    const [config] = (json.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers.map(
      (l) => l.config,
    );
    const seedGenerator = { module: 'keras.random', class_name: 'SeedGenerator', config: { seed: 42 }, registered_name: null };
    config.kernel_initializer = {
      module: 'keras.initializers',
      class_name: 'RandomNormal',
      config: { mean: 0.0, stddev: 0.02, seed: seedGenerator },
      registered_name: null,
    };
    // and a seed Keras takes but convlens cannot (negative): the RandomUniform kept, unseeded
    config.bias_initializer = { class_name: 'RandomUniform', config: { minval: 0, maxval: 0.5, seed: -7 } };
    const loaded = fromArtifacts(json, files.weightData);
    const dense = loaded.layers[0] as Dense;
    expect((dense.kernelInitializer as Initializer).settings).toEqual({ mean: 0, stddev: 0.02 });
    expect((dense.biasInitializer as Initializer).settings).toEqual({ minval: 0, maxval: 0.5 });
    expect(loaded.getWeights().map((w) => Array.from(w.data))).toEqual(model.getWeights().map((w) => Array.from(w.data)));
  });
});

describe('initializers in files that cannot fill their weights', () => {
  it('are read as the defaults, so the file loads with its own weights (Keras 3 configs, as a hand-edited file may hold)', () => {
    const model = new Sequential([
      new Conv2D({ filters: 2, kernelSize: 2, inputShape: [3, 3, 1] }),
      new LayerNormalization({}),
      new Dense({ units: 3 }),
    ]);
    const files = model.toArtifacts();
    const json = structuredClone(files.modelJson);
    const configs = (json.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers.map(
      (l) => l.config,
    );
    const keras3 = (className: string, config: Record<string, unknown>) => ({
      module: 'keras.initializers',
      class_name: className,
      config,
      registered_name: null,
    });
    // Keras' Orthogonal needs 2 axes and its Identity exactly 2: neither can fill these weights
    Object.assign(configs[0], {
      kernel_initializer: keras3('Identity', { gain: 2 }),
      bias_initializer: keras3('Orthogonal', { gain: 1, seed: null }),
    });
    Object.assign(configs[1], {
      gamma_initializer: keras3('Identity', { gain: 1 }),
      beta_initializer: keras3('Orthogonal', { gain: 1, seed: 3 }),
    });
    // a Dense kernel is 2-D: its Identity is kept
    Object.assign(configs[2], { kernel_initializer: keras3('Identity', { gain: 2 }), bias_initializer: keras3('Identity', { gain: 1 }) });
    const loaded = fromArtifacts(json, files.weightData);
    expect(loaded.getWeights().map((w) => Array.from(w.data))).toEqual(model.getWeights().map((w) => Array.from(w.data)));
    const [conv, norm, dense] = loaded.layers as [Conv2D, LayerNormalization, Dense];
    expect([conv.kernelInitializer, conv.biasInitializer, norm.gammaInitializer, norm.betaInitializer]).toEqual([
      'glorotUniform',
      'zeros',
      'ones',
      'zeros',
    ]);
    expect((dense.kernelInitializer as Initializer).settings).toEqual({ gain: 2 });
    expect(dense.biasInitializer).toBe('zeros');
  });
});

describe('bad initializer settings', () => {
  it('name the function, the setting and what it takes', () => {
    expectConvlensError(
      () => initializers.randomNormal({ stdev: 1 } as never),
      "initializers.randomNormal: unknown option 'stdev' (did you mean 'stddev'?)",
    );
    expectConvlensError(() => initializers.randomNormal({ stddev: -1 }), 'initializers.randomNormal: stddev must be ≥ 0, got -1');
    expectConvlensError(
      () => initializers.constant({ value: Number.NaN }),
      'initializers.constant: value must be a finite number, got NaN',
    );
    expectConvlensError(
      () => initializers.constant('0.1' as never),
      'initializers.constant: expected a number (the value) or an options object ({ value }), got "0.1"',
    );
    expectConvlensError(
      () => initializers.randomUniform({ minval: 1, maxval: 0 }),
      'initializers.randomUniform: minval 1 is above maxval 0',
    );
    expectConvlensError(
      () => initializers.varianceScaling({ mode: 'fan' as never }),
      `initializers.varianceScaling: mode must be one of 'fan_in', 'fan_out', 'fan_avg', got "fan"`,
    );
    expectConvlensError(() => initializers.varianceScaling({ scale: 0 }), 'initializers.varianceScaling: scale must be positive, got 0');
    expectConvlensError(
      () => initializers.identity({ seed: 1 } as never),
      "initializers.identity: unknown option 'seed' (expected one of gain)",
    );
    expectConvlensError(() => initializers.heUniform({ seed: 1.5 }), /^initializers\.heUniform: seed must be a non-negative integer/);
    // Zeros and Ones take no settings (Keras' and tfjs' take none): one given is refused, not ignored
    expectConvlensError(
      () => initializers.ones({ value: 2 } as never),
      'initializers.ones: takes no settings (expected nothing or {}), got { value: 2 }',
    );
    expectConvlensError(
      () => initializers.zeros({ seed: 1 } as never),
      'initializers.zeros: takes no settings (expected nothing or {}), got { seed: 1 }',
    );
    expect(initializers.zeros({}).getConfig()).toEqual({ class_name: 'Zeros', config: {} });
  });

  it("a weight too large for orthogonal's float64 work matrix is a ConvlensError naming it, not a RangeError", () => {
    // as on a machine where the weight's float32 values fit and twice their bytes do not (2³² values:
    // 16 GiB, 32 GiB): the engine's failure simulated for the work matrix's size alone, so no test
    // machine allocates (or, where memory is overcommitted, fills) tens of gigabytes
    const RealFloat64Array = Float64Array;
    class FailingFloat64Array extends RealFloat64Array {
      constructor(size: number) {
        if (size === 300 * 200) throw new RangeError('Array buffer allocation failed');
        super(size);
      }
    }
    vi.stubGlobal('Float64Array', FailingFloat64Array);
    try {
      const dense = new Dense({ units: 200, inputShape: [300], useBias: false, kernelInitializer: 'orthogonal' });
      expectConvlensError(
        () => new Sequential([dense]),
        "dense: kernel [300, 200]: cannot allocate the orthogonal initializer's 6.00e+4 float64 work values (0.000447 GiB): the weight is too large",
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('the exported Initializer class checks what its constructor is given, as the functions do', () => {
    expectConvlensError(
      () => new initializers.Initializer('gaussian' as never, {}),
      /^new Initializer: unknown initializer "gaussian" \(expected one of glorotUniform, /,
    );
    expectConvlensError(() => new initializers.Initializer('randomNormal', { stddev: -1 }), 'new Initializer: stddev must be ≥ 0, got -1');
    expectConvlensError(
      () => new initializers.Initializer('randomNormal', null as never),
      'new Initializer: expected an options object ({ mean, stddev, seed }), got null',
    );
    expectConvlensError(
      () => new initializers.Initializer('identity', { seed: 1 }),
      "new Initializer: unknown option 'seed' (expected one of gain)",
    );
    // checked and spelled as the functions spell them
    const made = new initializers.Initializer('variance_scaling' as never, { mode: 'fanAvg' as never, seed: 2 });
    expect([made.name, made.settings]).toEqual(['varianceScaling', { mode: 'fan_avg', seed: 2 }]);
    expect(made.getConfig()).toEqual(initializers.varianceScaling({ mode: 'fan_avg', seed: 2 }).getConfig());
  });

  it('a layer names the option, and a weight of the wrong rank at build', () => {
    expectConvlensError(
      () => new Dense({ units: 2, kernelInitializer: 5 as never }),
      /^Dense 'dense': kernelInitializer must be an initializer's name \('glorotUniform'\) or one made by initializers\.\*/,
    );
    // a misspelt name says which of the layer's initializers it was
    expectConvlensError(
      () => new SeparableConv2D({ filters: 2, kernelSize: 3, pointwiseInitializer: 'glorot' }),
      /^SeparableConv2D 'separable_conv2d': pointwiseInitializer: unknown initializer "glorot" \(expected one of glorotUniform, /,
    );
    const bias = new Dense({ units: 2, inputShape: [3], biasInitializer: 'orthogonal' });
    expectConvlensError(
      () => new Sequential([bias]),
      'dense_1: bias [2]: the orthogonal initializer needs a weight of at least 2 axes (not a bias), as in Keras',
    );
    const conv = new Conv2D({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1], kernelInitializer: initializers.identity() });
    expectConvlensError(
      () => new Sequential([conv]),
      'conv2d: kernel [3, 3, 1, 2]: the identity initializer needs a weight of exactly 2 axes (a Dense kernel), as in Keras',
    );
  });
});
