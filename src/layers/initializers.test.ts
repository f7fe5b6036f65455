import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tfjsLoad } from '../../test/helpers/layers.js';
import { setSeed } from '../tensor/random.js';
import { Conv2D, Dense, DepthwiseConv2D, fromArtifacts, type Layer, resetNames, SeparableConv2D, Sequential } from './index.js';
import type { Initializer } from './initializers.js';
import * as initializers from './initializers_api.js';

beforeEach(() => resetNames());

/** tfjs-layers' Initializer class, which its index does not export. */
type TfjsInitializer = ReturnType<typeof tfl.initializers.leCunNormal>;

/** The sample mean, standard deviation and largest magnitude of a weight's values. */
function stats(values: Float32Array): { mean: number; std: number; max: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std, max: values.reduce((a, b) => Math.max(a, Math.abs(b)), 0) };
}

// Keras' documented distributions (keras.initializers), for a 3×3×16→64 kernel: fan_in 144, about
// 9,000 draws, so the sample deviation is within 2% of the true one.
const FAN_IN = 3 * 3 * 16;

describe('LeCun and truncated-normal initializers, as Keras defines them', () => {
  const kernelOf = (kernelInitializer: string) => {
    setSeed(3);
    const conv = new Conv2D({ filters: 64, kernelSize: 3, kernelInitializer, inputShape: [8, 8, 16] });
    new Sequential([conv]);
    return stats(conv.getWeights()[0].data);
  };

  it('lecunUniform: uniform within ±√(3 / fan_in)', () => {
    const limit = Math.sqrt(3 / FAN_IN);
    const { mean, std, max } = kernelOf('lecunUniform');
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(0.99 * limit);
    expect(Math.abs(mean)).toBeLessThan(0.02 * limit);
    expect(std / (limit / Math.sqrt(3))).toBeCloseTo(1, 1);
  });

  it('lecunNormal: truncated normal of deviation √(1 / fan_in), nothing beyond two deviations of the normal drawn from', () => {
    const { mean, std, max } = kernelOf('lecun_normal');
    const target = Math.sqrt(1 / FAN_IN);
    expect(Math.abs(std / target - 1)).toBeLessThan(0.03);
    expect(Math.abs(mean)).toBeLessThan(0.03 * target);
    expect(max).toBeLessThanOrEqual((2 * target) / 0.87962566103423978);
  });

  it('truncatedNormal: N(0, 0.05) cut at ±0.1 (its spread then 0.05 × 0.8796)', () => {
    const { mean, std, max } = kernelOf('truncatedNormal');
    expect(max).toBeLessThanOrEqual(0.1);
    expect(max).toBeGreaterThan(0.099);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(Math.abs(std / (0.05 * 0.87962566103423978) - 1)).toBeLessThan(0.03);
  });

  it('on a bias: fans of its length, as Keras reads a vector (compute_fans), not of 1', () => {
    // 400 biases: lecunUniform within ±√(3 / 400) ≈ 0.087, lecunNormal's deviation √(1 / 400) = 0.05.
    // (tfjs-layers differs here: it takes √400 as a vector's fans.)
    const n = 400;
    const layers: [string, (biasInitializer: string) => Layer][] = [
      ['Dense', (biasInitializer) => new Dense({ units: n, inputShape: [3], biasInitializer })],
      ['Conv2D', (biasInitializer) => new Conv2D({ filters: n, kernelSize: 1, inputShape: [2, 2, 3], biasInitializer })],
      [
        'DepthwiseConv2D',
        (biasInitializer) => new DepthwiseConv2D({ kernelSize: 1, depthMultiplier: n, inputShape: [2, 2, 1], biasInitializer }),
      ],
      ['SeparableConv2D', (biasInitializer) => new SeparableConv2D({ filters: n, kernelSize: 1, inputShape: [2, 2, 3], biasInitializer })],
    ];
    for (const [kind, make] of layers) {
      setSeed(5);
      const uniform = make('lecunUniform');
      new Sequential([uniform]);
      const bias = uniform.getWeights().at(-1)!;
      expect(bias.shape, kind).toEqual([n]);
      const limit = Math.sqrt(3 / n);
      const spread = stats(bias.data);
      expect(spread.max, kind).toBeLessThanOrEqual(limit);
      expect(spread.max, kind).toBeGreaterThan(0.97 * limit);
      const normal = make('lecunNormal');
      new Sequential([normal]);
      expect(Math.abs(stats(normal.getWeights().at(-1)!.data).std / Math.sqrt(1 / n) - 1), kind).toBeLessThan(0.12);
    }
  });

  it('saves them as the VarianceScaling they are, which tfjs-layers reads as its own LeCun initializers and Keras 3 as its', async () => {
    const model = new Sequential([
      new Dense({
        units: 4,
        inputShape: [3],
        kernelInitializer: initializers.leCunNormal({ seed: 7 }),
        biasInitializer: 'truncated_normal',
      }),
      new Dense({ units: 2, kernelInitializer: initializers.lecunUniform({ seed: 9 }) }),
    ]);
    const files = model.toArtifacts();
    // Keras 3 (keras/src/initializers/__init__.py) has LecunNormal, LecunUniform and VarianceScaling;
    // tfjs-layers 4.x registers LeCunNormal, LeCunUniform and VarianceScaling: only VarianceScaling
    // reads in both. Keras defines LecunNormal as VarianceScaling(1, 'fan_in', 'truncated_normal'),
    // which Keras 2 and 3 also read spelled 'normal', as tfjs does.
    const saved = (files.modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    expect(saved.map((l) => l.config.kernel_initializer)).toEqual([
      { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: 'normal', seed: 7 } },
      { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: 'uniform', seed: 9 } },
    ]);
    // tfjs-layers makes of them what it makes of its own leCunNormal and leCunUniform
    const theirs = await tfjsLoad(files.modelJson, files.weightData as ArrayBuffer);
    const loaded = theirs.layers.map((l) => (l as tfl.layers.Layer & { kernelInitializer: TfjsInitializer }).kernelInitializer);
    const own = [tfl.initializers.leCunNormal({ seed: 7 }), tfl.initializers.leCunUniform({ seed: 9 })];
    expect(loaded.map((i) => [i.getClassName(), i.getConfig()])).toEqual(own.map((i) => [i.getClassName(), i.getConfig()]));
    // and draws as they do: the same values for the same seed (the normal one truncated, not the
    // uniform tfjs draws of a VarianceScaling saved 'truncated_normal'), the uniform within ±√(3 / fan_in)
    const shape = [144, 64];
    const values = (i: TfjsInitializer) => Array.from(i.apply(shape).dataSync());
    expect(loaded.map(values)).toEqual(own.map(values));
    const uniform = stats(loaded[1].apply(shape).dataSync() as Float32Array);
    expect(uniform.max).toBeLessThanOrEqual(Math.sqrt(3 / 144));
    expect(uniform.max).toBeGreaterThan(0.99 * Math.sqrt(3 / 144));
    // any VarianceScaling's truncated normal is saved so
    expect(initializers.varianceScaling({ scale: 2 }).getConfig()).toEqual({
      class_name: 'VarianceScaling',
      config: { scale: 2, mode: 'fan_in', distribution: 'normal', seed: null },
    });
  });

  it("reads every spelling back: tfjs' LeCunNormal, Keras' LecunNormal and lecun_normal, and its own VarianceScaling", () => {
    const model = new Sequential([
      new Dense({ units: 4, inputShape: [3], kernelInitializer: initializers.lecunNormal({ seed: 7 }) }),
      new Dense({ units: 2, kernelInitializer: 'lecunUniform' }),
    ]);
    const files = model.toArtifacts();
    const text = JSON.stringify(files.modelJson);
    const withClass = (kernels: [string, string]) => {
      const json = JSON.parse(text);
      json.modelTopology.config.layers.forEach((l: { config: Record<string, unknown> }, i: number) => {
        l.config.kernel_initializer = { class_name: kernels[i], config: {} };
      });
      return (fromArtifacts(json, files.weightData).layers as Dense[]).map((l) => l.kernelInitializer);
    };
    expect(withClass(['LeCunNormal', 'LeCunUniform'])).toEqual(['lecunNormal', 'lecunUniform']);
    expect(withClass(['LecunNormal', 'LecunUniform'])).toEqual(['lecunNormal', 'lecunUniform']);
    expect(withClass(['lecun_normal', 'lecun_uniform'])).toEqual(['lecunNormal', 'lecunUniform']);
    // its own file: the VarianceScaling settings, the same as before (Keras' VarianceScaling defaults are LecunNormal's)
    const again = fromArtifacts(files.modelJson, files.weightData);
    const [first, second] = (again.layers as Dense[]).map((l) => l.kernelInitializer as Initializer);
    expect([first.name, first.settings]).toEqual([
      'varianceScaling',
      { scale: 1, mode: 'fan_in', distribution: 'truncated_normal', seed: 7 },
    ]);
    expect([second, (model.layers[1] as Dense).kernelInitializer]).toEqual([
      expect.objectContaining({ name: 'varianceScaling', settings: { scale: 1, mode: 'fan_in', distribution: 'uniform' } }),
      'lecunUniform',
    ]);
    expect(again.toArtifacts().modelJson.modelTopology).toEqual(files.modelJson.modelTopology);
    // which draw what LeCun's draw
    const draw = (init: string | Initializer) => {
      setSeed(4);
      const layer = new Dense({ units: 64, inputShape: [144], kernelInitializer: init });
      new Sequential([layer]);
      return Array.from(layer.getWeights()[0].data);
    };
    expect(draw(first)).toEqual(draw(initializers.lecunNormal({ seed: 7 })));
    expect(draw(second)).toEqual(draw('lecunUniform'));
    expectConvlensError(
      () => new Dense({ units: 1, kernelInitializer: 'lecun' }),
      /^Dense 'dense_\d+': kernelInitializer: unknown initializer "lecun" \(expected one of glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, truncatedNormal, /,
    );
  });
});
