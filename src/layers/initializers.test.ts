import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tfjsLoad } from '../../test/helpers/layers.js';
import { setSeed } from '../tensor/random.js';
import { Conv2D, Dense, DepthwiseConv2D, fromArtifacts, type Layer, resetNames, SeparableConv2D, Sequential } from './index.js';

beforeEach(() => resetNames());

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

  it("saves tfjs' class names, which tfjs-layers loads, and reads Keras' and tfjs' spellings back", async () => {
    const model = new Sequential([
      new Dense({ units: 4, inputShape: [3], kernelInitializer: 'leCunNormal', biasInitializer: 'truncated_normal' }),
      new Dense({ units: 2, kernelInitializer: 'lecunUniform' }),
    ]);
    const files = model.toArtifacts();
    const theirs = await tfjsLoad(files.modelJson, files.weightData as ArrayBuffer);
    // tfjs writes its LeCun initializers back as the VarianceScaling they are
    const initializers = theirs.layers.map((l) => {
      const config = (l as tfl.layers.Layer).getConfig() as Record<string, { className: string; config: Record<string, unknown> }>;
      return [config.kernelInitializer, config.biasInitializer].map((i) => [
        i.className,
        i.config.mode ?? null,
        i.config.distribution ?? null,
      ]);
    });
    expect(initializers).toEqual([
      [
        ['VarianceScaling', 'fanIn', 'normal'],
        ['TruncatedNormal', null, null],
      ],
      [
        ['VarianceScaling', 'fanIn', 'uniform'],
        ['Zeros', null, null],
      ],
    ]);
    // Keras writes LecunNormal
    const json = JSON.parse(JSON.stringify(files.modelJson).replace('"LeCunNormal"', '"LecunNormal"'));
    const again = fromArtifacts(json, files.weightData);
    expect((again.layers as Dense[]).map((l) => [l.kernelInitializer, l.biasInitializer])).toEqual([
      ['lecunNormal', 'truncatedNormal'],
      ['lecunUniform', 'zeros'],
    ]);
    expectConvlensError(
      () => new Dense({ units: 1, kernelInitializer: 'lecun' }),
      /^Dense 'dense_2': kernelInitializer: unknown initializer "lecun" \(expected one of glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, truncatedNormal, /,
    );
  });
});
