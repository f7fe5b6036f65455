import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, alternatingLabels as labels, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  Dense,
  Flatten,
  fromArtifacts,
  MaxPool2D,
  resetNames,
  SeparableConv2D,
  type SeparableConv2DLayerArgs,
  Sequential,
} from './index.js';

beforeEach(() => resetNames());

type Config = Omit<SeparableConv2DLayerArgs, 'name' | 'inputShape'>;
type TfjsConfig = Parameters<typeof tfl.layers.separableConv2d>[0];

/**
 * SeparableConv2D(config) → SeparableConv2D (ReLU, multiplier 2: its input gradient flows back
 * through the first) → MaxPool2D → Flatten → Dense softmax, in both libraries, with our seeded weights.
 */
function twins(config: Config, inputShape: number[]) {
  const second = { filters: 3, kernelSize: 2, depthMultiplier: 2, activation: 'relu', padding: 'same' } as const;
  const ours = new Sequential([
    new SeparableConv2D({ ...config, inputShape }),
    new SeparableConv2D(second),
    new MaxPool2D({ poolSize: 2, padding: 'same' }),
    new Flatten(),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.separableConv2d({ ...(config as TfjsConfig), inputShape }),
      tfl.layers.separableConv2d(second),
      tfl.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  theirs.setWeights(ours.getWeights().map(tfOf));
  return { ours, theirs };
}

const CONFIGS: Config[] = [
  { filters: 3, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' },
  { filters: 2, kernelSize: [2, 3], strides: 2, useBias: false },
  { filters: 4, kernelSize: 3, strides: [1, 2], padding: 'same', activation: 'tanh' },
  { filters: 2, kernelSize: 1, depthMultiplier: 3, activation: 'sigmoid' },
  // its gradient is taken from the values before the activation (z)
  { filters: 3, kernelSize: 2, padding: 'same', activation: 'gelu' },
];

forEachBackend(() => {
  describe('SeparableConv2D against tfjs-layers', () => {
    for (const [c, config] of CONFIGS.entries()) {
      it(`${JSON.stringify(config)}: predict, and fit's losses and weights over 3 epochs`, async () => {
        setSeed(120 + c);
        const rng = caseRng('separable layer', c);
        const { ours, theirs } = twins(config, [6, 7, 2]);
        const x = f32(rng, [6, 6, 7, 2]);
        expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
        await expectSameSgdFit(ours, theirs, x, labels(6), { epochs: 3, batchSize: 3, learningRate: 0.5 });
      });
    }

    it('as the last layer, its softmax fused into the cross-entropy (labels per pixel)', async () => {
      setSeed(128);
      const rng = caseRng('separable last layer', 0);
      const config = { filters: 3, kernelSize: [3, 4] as [number, number], depthMultiplier: 2, activation: 'softmax' as const };
      const ours = new Sequential([new SeparableConv2D({ ...config, inputShape: [3, 4, 2] })]);
      const theirs = tfl.sequential({ layers: [tfl.layers.separableConv2d({ ...config, inputShape: [3, 4, 2] })] });
      theirs.setWeights(ours.getWeights().map(tfOf));
      const x = f32(rng, [4, 3, 4, 2]);
      const y = new Tensor(Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0), [4, 1, 1, 3], 'float32');
      await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 2, learningRate: 0.5 });
    });

    // tfjs-layers applies dilationRate here (its predict is compared), but tfjs has no gradient of a
    // dilated depthwise convolution, so the gradients are checked by central differences instead
    it('dilationRate [2, 3]: predict against tfjs, gradients against central differences', () => {
      setSeed(129);
      const rng = caseRng('separable dilated layer', 0);
      const config = { filters: 2, kernelSize: 2, dilationRate: [2, 3] as [number, number], depthMultiplier: 2 };
      const ours = new Sequential([new SeparableConv2D({ ...config, inputShape: [6, 7, 2] })]);
      const theirs = tfl.sequential({ layers: [tfl.layers.separableConv2d({ ...config, inputShape: [6, 7, 2] })] });
      theirs.setWeights(ours.getWeights().map(tfOf));
      const x = f32(rng, [3, 6, 7, 2]);
      expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
      expectCentralDifferences(ours.getLayer(0) as SeparableConv2D, x, rng);
    });
  });
});

/**
 * Checks `layer`'s backward pass against central differences of L = Σ dy · layer(x), for a random
 * dy, over every weight value and a sample of the inputs. A linear activation makes L linear in
 * each value, so the differences are exact but for float32 rounding.
 */
function expectCentralDifferences(layer: SeparableConv2D, x: Tensor<'float32'>, rng: ReturnType<typeof caseRng>): void {
  const y = layer.apply(x, true);
  const dy = f32(rng, y.shape);
  const dx = layer.backward(dy, true)!;
  const loss = () => layer.apply(x).data.reduce((sum, v, i) => sum + v * dy.data[i], 0);
  const eps = 1e-2;
  const difference = (values: Float32Array, i: number) => {
    const kept = values[i];
    values[i] = kept + eps;
    const above = loss();
    values[i] = kept - eps;
    const below = loss();
    values[i] = kept;
    return (above - below) / (2 * eps);
  };
  for (const weight of layer.weights) {
    const numeric = Array.from(weight.value, (_, i) => difference(weight.value, i));
    expectClose(weight.grad, numeric, 2e-3, `${weight.name} gradient`);
  }
  const sample = Array.from({ length: 40 }, () => rng.int(0, x.size - 1));
  expectClose(
    sample.map((i) => dx.data[i]),
    sample.map((i) => difference(x.data, i)),
    2e-3,
    'input gradient',
  );
}

describe('SeparableConv2D', () => {
  it("Keras' defaults, automatic names, and weights named, shaped and ordered as tfjs-layers writes them", async () => {
    setSeed(3);
    const layer = new SeparableConv2D({ filters: 4, kernelSize: 3 });
    expect([layer.name, layer.padding, layer.depthMultiplier, layer.strides, layer.dilationRate]).toEqual([
      'separable_conv2d',
      'valid',
      1,
      [1, 1],
      [1, 1],
    ]);
    expect([layer.activation, layer.useBias, layer.depthwiseInitializer, layer.pointwiseInitializer, layer.biasInitializer]).toEqual([
      'linear',
      true,
      'glorotUniform',
      'glorotUniform',
      'zeros',
    ]);
    const second = new SeparableConv2D({ filters: 4, kernelSize: 3, depthMultiplier: 2, inputShape: [5, 5, 3] });
    expect(second.name).toBe('separable_conv2d_1');
    const model = new Sequential([second]);
    expect(model.weights.map((w) => [w.name, w.shape])).toEqual([
      ['separable_conv2d_1/depthwise_kernel', [3, 3, 3, 2]],
      ['separable_conv2d_1/pointwise_kernel', [1, 1, 6, 4]],
      ['separable_conv2d_1/bias', [4]],
    ]);
    const [depthwise, pointwise, bias] = model.getWeights();
    // Glorot uniform over Keras' fans: 3·3·3 in and 3·3·2 out for the depthwise kernel, 6 in and 4 out for the pointwise one
    for (const [kernel, limit] of [
      [depthwise, Math.sqrt(6 / (27 + 18))],
      [pointwise, Math.sqrt(6 / (6 + 4))],
    ] as const) {
      expect(kernel.data.every((v) => Math.abs(v) <= limit)).toBe(true);
      expect(Math.max(...kernel.data.map(Math.abs))).toBeGreaterThan(limit / 2);
    }
    expect(Array.from(bias.data)).toEqual([0, 0, 0, 0]);
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, inputShape: [5, 5, 3], name: 'separable_conv2d_1' }),
      ],
    });
    const { modelJson } = await tfjsSaved(theirs);
    const specs = (modelJson.weightsManifest as { weights: { name: string; shape: number[] }[] }[])[0].weights;
    expect(specs.map((s) => [s.name, s.shape])).toEqual(model.weights.map((w) => [w.name, w.shape]));
  });

  it("summary() gives Keras' output shapes and parameter counts", () => {
    const model = new Sequential([
      new SeparableConv2D({ filters: 4, kernelSize: 3, padding: 'same', depthMultiplier: 2, inputShape: [8, 8, 3] }),
      new SeparableConv2D({ filters: 2, kernelSize: 3, strides: 2, useBias: false }),
    ]);
    const rows = model.summary(null).split('\n');
    const row = (name: string) =>
      rows
        .find((r) => r.includes(`${name} (`))!
        .trim()
        .split(/\s{2,}/);
    // 3·3·3·2 depthwise + 1·1·6·4 pointwise + 4 biases; then (8 − 3) / 2 + 1 = 3 rows and columns, 3·3·4 + 4·2, no bias
    expect(row('separable_conv2d')).toEqual(['separable_conv2d (SeparableConv2D)', '(None, 8, 8, 4)', '82']);
    expect(row('separable_conv2d_1')).toEqual(['separable_conv2d_1 (SeparableConv2D)', '(None, 3, 3, 2)', '44']);
    expect(model.summary(null)).toContain('Total params: 126');
  });

  it('setWeights takes hand-set kernels and bias, and names wrong ones', () => {
    const model = new Sequential([new SeparableConv2D({ filters: 1, kernelSize: 1, depthMultiplier: 2, inputShape: [1, 1, 2] })]);
    const layer = model.getLayer(0);
    // depthwise[0, 0, c, m] = 2c + m + 1 turns the pixel [1, 10] into [1, 2, 30, 40]; pointwise [1, -1, 1, -1] and
    // bias 0.5 give 1 − 2 + 30 − 40 + 0.5
    layer.setWeights([
      new Tensor(Float32Array.of(1, 2, 3, 4), [1, 1, 2, 2], 'float32'),
      new Tensor(Float32Array.of(1, -1, 1, -1), [1, 1, 4, 1], 'float32'),
      new Tensor(Float32Array.of(0.5), [1], 'float32'),
    ]);
    expect(Array.from(model.predict(new Tensor(Float32Array.of(1, 10), [1, 1, 1, 2], 'float32')).data)).toEqual([-10.5]);
    expectConvlensError(
      () =>
        layer.setWeights([
          new Tensor(new Float32Array(4), [1, 1, 2, 2], 'float32'),
          new Tensor(new Float32Array(2), [1, 1, 2, 1], 'float32'),
          new Tensor(new Float32Array(1), [1], 'float32'),
        ]),
      'separable_conv2d: weight separable_conv2d/pointwise_kernel has shape [1, 1, 4, 1], setWeights got [1, 1, 2, 1]',
    );
  });

  it('saved and loaded both ways: convlens → tfjs-layers, tfjs-layers → convlens (multiplier from the kernel), and back', async () => {
    setSeed(7);
    const rng = caseRng('separable load', 0);
    const { ours, theirs } = twins(CONFIGS[0], [6, 7, 2]);
    const x = f32(rng, [2, 6, 7, 2]);
    const { modelJson, weightData } = ours.toArtifacts();
    const back = await tfjsLoad(modelJson, weightData);
    expectClose(ours.predict(x), (back.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'convlens → tfjs');
    const fromTfjs = await tfjsSaved(theirs);
    // tfjs-layers 4 writes no depth_multiplier; the depthwise kernel's shape in the manifest gives it
    const layerConfig = (fromTfjs.modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0]
      .config;
    expect(layerConfig.depth_multiplier).toBeUndefined();
    const loaded = fromArtifacts(fromTfjs.modelJson, fromTfjs.weightData);
    expect((loaded.getLayer(0) as SeparableConv2D).depthMultiplier).toBe(2);
    expectClose(loaded.predict(x), ours.predict(x), 1e-6, 'tfjs → convlens');
    const dilated = new Sequential([
      new SeparableConv2D({
        filters: 3,
        kernelSize: 2,
        dilationRate: [1, 2],
        depthMultiplier: 3,
        activation: 'relu6',
        pointwiseInitializer: 'heNormal',
        inputShape: [5, 5, 2],
      }),
    ]);
    const again = fromArtifacts(dilated.toArtifacts());
    const layer = again.getLayer(0) as SeparableConv2D;
    expect([
      layer.kernelSize,
      layer.dilationRate,
      layer.depthMultiplier,
      layer.activation,
      layer.pointwiseInitializer,
      layer.outputShape,
    ]).toEqual([[2, 2], [1, 2], 3, 'relu6', 'heNormal', [4, 3, 3]]);
    const image = f32(rng, [1, 5, 5, 2]);
    expect(again.predict(image).data).toEqual(dilated.predict(image).data);
  });

  it("opens Keras 2's config (groups 1, Conv's unused kernel_* keys, penalties) and Keras 3's", () => {
    const keras3 = {
      name: 'sep',
      trainable: true,
      dtype: 'float32',
      batch_input_shape: [null, 3, 3, 1],
      filters: 1,
      kernel_size: [2, 2],
      strides: [1, 1],
      padding: 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      depth_multiplier: 1,
      activation: 'linear',
      use_bias: true,
      depthwise_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      pointwise_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      depthwise_regularizer: null,
      pointwise_regularizer: { class_name: 'L2', config: { l2: 0.01 } },
      bias_regularizer: null,
      activity_regularizer: null,
      depthwise_constraint: null,
      pointwise_constraint: null,
      bias_constraint: null,
    };
    const keras2 = {
      ...keras3,
      groups: 1,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      kernel_regularizer: null,
    };
    const modelJson = (layerConfig: Record<string, unknown>) => ({
      modelTopology: { class_name: 'Sequential', config: { name: 'm', layers: [{ class_name: 'SeparableConv2D', config: layerConfig }] } },
      weightsManifest: [
        {
          paths: ['w.bin'],
          weights: [
            { name: 'sep/depthwise_kernel', shape: [2, 2, 1, 1], dtype: 'float32' },
            { name: 'sep/pointwise_kernel', shape: [1, 1, 1, 1], dtype: 'float32' },
            { name: 'sep/bias', shape: [1], dtype: 'float32' },
          ],
        },
      ],
    });
    const weights = Float32Array.of(1, 2, 3, 4, 2, 0.5).buffer;
    // 3×3 image 1..9, 2×2 kernel [[1, 2], [3, 4]], then ×2 and + 0.5: the top-left window (1 + 4 + 12 + 20) · 2 + 0.5,
    // the next (2 + 6 + 15 + 24) · 2 + 0.5
    const x = new Tensor(
      Float32Array.from({ length: 9 }, (_, i) => i + 1),
      [1, 3, 3, 1],
      'float32',
    );
    for (const config of [keras2, keras3]) {
      expect(Array.from(fromArtifacts(modelJson(config), weights).predict(x).data)).toEqual([74.5, 94.5, 134.5, 154.5]);
    }
    expectConvlensError(
      () => fromArtifacts(modelJson({ ...keras2, groups: 2 }), weights),
      "fromArtifacts: layer 0 'sep' (SeparableConv2D): groups 2 is not supported (grouped convolution)",
    );
  });

  it('bad arguments and inputs: a ConvlensError naming the layer, what it got and what it expected', () => {
    expectConvlensError(
      () => new SeparableConv2D({ filters: 0, kernelSize: 3 }),
      "SeparableConv2D 'separable_conv2d': filters must be a positive integer, got 0",
    );
    expectConvlensError(
      () => new SeparableConv2D({ filters: 2, kernelSize: 3, depthMultiplier: 1.5 }),
      "SeparableConv2D 'separable_conv2d_1': depthMultiplier must be a positive integer, got 1.5",
    );
    expectConvlensError(
      () => new SeparableConv2D({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }),
      "SeparableConv2D 'separable_conv2d_2': strides [2, 2] and dilationRate [2, 2] cannot both be above 1, as in Keras (one of them must be 1)",
    );
    expectConvlensError(
      () => new SeparableConv2D({ filters: 2, kernelSize: 3, depth_multiplier: 2 } as never),
      "SeparableConv2D: unknown option 'depth_multiplier' (did you mean 'depthMultiplier'?)",
    );
    // as in Keras and tfjs, the kernel is two kernels with their own initializers
    expectConvlensError(
      () => new SeparableConv2D({ filters: 2, kernelSize: 3, kernelInitializer: 'zeros' } as never),
      /^SeparableConv2D: unknown option 'kernelInitializer' \(expected one of filters, kernelSize, .*depthwiseInitializer, pointwiseInitializer/,
    );
    expectConvlensError(
      () => new SeparableConv2D(16 as never),
      /SeparableConv2D\(16, 3\) is new SeparableConv2D\(\{ filters: 16, kernelSize: 3 \}\)/,
    );
    const model = new Sequential([new SeparableConv2D({ filters: 2, kernelSize: 3, inputShape: [5, 5, 3] })]);
    expectConvlensError(
      () => model.predict(new Tensor(new Float32Array(25), [1, 5, 5, 1], 'float32')),
      /separable_conv2d_3 \(SeparableConv2D\): expected input of shape \(None, 5, 5, 3\), got \[1, 5, 5, 1\]/,
    );
    expectConvlensError(
      () => new Sequential([new SeparableConv2D({ filters: 2, kernelSize: 5, inputShape: [4, 6, 2] })]),
      'separable_conv2d_4 (SeparableConv2D): separableConv2d: window height 5 is larger than the input height 4 under VALID padding',
    );
    expectConvlensError(
      () => new Sequential([new SeparableConv2D({ filters: 2, kernelSize: 3, inputShape: [4, 6] })]),
      /separable_conv2d_5 \(SeparableConv2D\): expected inputs of shape \(height, width, channels\), got \[4, 6\]/,
    );
  });
});
