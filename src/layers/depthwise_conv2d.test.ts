import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, alternatingLabels as labels, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import {
  Dense,
  DepthwiseConv2D,
  type DepthwiseConv2DLayerArgs,
  Flatten,
  fromArtifacts,
  MaxPool2D,
  resetNames,
  Sequential,
} from './index.js';

beforeEach(() => resetNames());

type Config = Omit<DepthwiseConv2DLayerArgs, 'name' | 'inputShape'>;

/**
 * DepthwiseConv2D(config) → DepthwiseConv2D (ReLU, multiplier 2: its input gradient flows back
 * through the first) → MaxPool2D → Flatten → Dense softmax, in both libraries, with our seeded weights.
 */
function twins(config: Config, inputShape: number[]) {
  const ours = new Sequential([
    new DepthwiseConv2D({ ...config, inputShape }),
    new DepthwiseConv2D({ kernelSize: 2, depthMultiplier: 2, activation: 'relu', padding: 'same' }),
    new MaxPool2D({ poolSize: 2, padding: 'same' }),
    new Flatten(),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.depthwiseConv2d({ ...(config as Parameters<typeof tfl.layers.depthwiseConv2d>[0]), inputShape }),
      tfl.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, activation: 'relu', padding: 'same' }),
      tfl.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  theirs.setWeights(ours.getWeights().map(tfOf));
  return { ours, theirs };
}

const CONFIGS: Config[] = [
  { kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' },
  { kernelSize: [2, 3], strides: 2, useBias: false },
  { kernelSize: 3, strides: [1, 2], padding: 'same', activation: 'tanh' },
  { kernelSize: 1, depthMultiplier: 3, activation: 'sigmoid' },
  // its gradient is taken from the values before the activation
  { kernelSize: 2, padding: 'same', activation: 'swish' },
];

forEachBackend(() => {
  describe('DepthwiseConv2D against tfjs-layers', () => {
    for (const [c, config] of CONFIGS.entries()) {
      it(`${JSON.stringify(config)}: predict, and fit's losses and weights over 3 epochs`, async () => {
        setSeed(90 + c);
        const rng = caseRng('depthwise layer', c);
        const { ours, theirs } = twins(config, [6, 7, 2]);
        const x = f32(rng, [6, 6, 7, 2]);
        expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
        await expectSameSgdFit(ours, theirs, x, labels(6), { epochs: 3, batchSize: 3, learningRate: 0.5 });
      });
    }

    it('as the last layer, its softmax fused into the cross-entropy (labels per pixel)', async () => {
      setSeed(98);
      const rng = caseRng('depthwise last layer', 0);
      const config = { kernelSize: [3, 4] as [number, number], depthMultiplier: 3, activation: 'softmax' as const };
      const ours = new Sequential([new DepthwiseConv2D({ ...config, inputShape: [3, 4, 1] })]);
      const theirs = tfl.sequential({ layers: [tfl.layers.depthwiseConv2d({ ...config, inputShape: [3, 4, 1] })] });
      theirs.setWeights(ours.getWeights().map(tfOf));
      const x = f32(rng, [4, 3, 4, 1]);
      const y = new Tensor(Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0), [4, 1, 1, 3], 'float32');
      await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 2, learningRate: 0.5 });
    });

    // tfjs-layers' DepthwiseConv2D ignores dilationRate (a TODO in its call) and tfjs has no gradient of
    // a dilated depthwise convolution: its undilated twin has the kernel spread out with zeros between
    // the taps, which gives the same forward pass and, for one SGD step, the same loss and tap updates.
    it('dilationRate [2, 3] (as Keras applies it): predict and one SGD step, against a zero-spread kernel in tfjs', async () => {
      setSeed(99);
      const rng = caseRng('depthwise dilated layer', 0);
      const ours = new Sequential([
        new DepthwiseConv2D({ kernelSize: 2, dilationRate: [2, 3], depthMultiplier: 2, inputShape: [6, 7, 2] }),
        new Flatten(),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.depthwiseConv2d({ kernelSize: [3, 4], depthMultiplier: 2, inputShape: [6, 7, 2] }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      const [kernel, ...rest] = ours.getWeights();
      const spread = new Float32Array(3 * 4 * 4);
      for (let ky = 0; ky < 2; ky++)
        for (let kx = 0; kx < 2; kx++)
          spread.set(kernel.data.subarray((ky * 2 + kx) * 4, (ky * 2 + kx + 1) * 4), (ky * 2 * 4 + kx * 3) * 4);
      theirs.setWeights([tf.tensor(spread, [3, 4, 2, 2]), ...rest.map(tfOf)]);
      const x = f32(rng, [4, 6, 7, 2]);
      expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
      const y = labels(4);
      ours.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: 'categoricalCrossentropy' });
      theirs.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
      const history = await ours.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false });
      const expected = await theirs.fit(tfOf(x), tfOf(y), { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
      const [theirKernel, ...theirRest] = theirs.getWeights().map((w) => w.dataSync());
      const taps = [0, 1, 2, 3].flatMap((t) => {
        const [ky, kx] = [Math.floor(t / 2), t % 2];
        return Array.from(theirKernel.subarray((ky * 2 * 4 + kx * 3) * 4, (ky * 2 * 4 + kx * 3 + 1) * 4));
      });
      const [ourKernel, ...ourRest] = ours.getWeights();
      expectClose(ourKernel, taps, 1e-4, 'depthwise_kernel after one step');
      for (const [i, w] of ourRest.entries()) expectClose(w, theirRest[i], 1e-4, `weight ${i + 1}`);
    });
  });
});

describe('DepthwiseConv2D', () => {
  it("Keras' defaults, automatic names, and weights named, shaped and ordered as tfjs-layers writes them", async () => {
    setSeed(3);
    const layer = new DepthwiseConv2D({ kernelSize: 3 });
    expect([layer.name, layer.padding, layer.depthMultiplier, layer.strides, layer.dilationRate]).toEqual([
      'depthwise_conv2d',
      'valid',
      1,
      [1, 1],
      [1, 1],
    ]);
    expect([layer.activation, layer.useBias, layer.depthwiseInitializer, layer.biasInitializer]).toEqual([
      'linear',
      true,
      'glorotUniform',
      'zeros',
    ]);
    const second = new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, inputShape: [5, 5, 3] });
    expect(second.name).toBe('depthwise_conv2d_1');
    const model = new Sequential([second]);
    expect(model.weights.map((w) => [w.name, w.shape])).toEqual([
      ['depthwise_conv2d_1/depthwise_kernel', [3, 3, 3, 2]],
      ['depthwise_conv2d_1/bias', [6]],
    ]);
    const [kernel, bias] = model.getWeights();
    // Glorot uniform over Keras' fans: 3·3·3 in, 3·3·2 out
    const limit = Math.sqrt(6 / (27 + 18));
    expect(kernel.data.every((v) => Math.abs(v) <= limit)).toBe(true);
    expect(Math.max(...kernel.data.map(Math.abs))).toBeGreaterThan(limit / 2);
    expect(Array.from(bias.data)).toEqual([0, 0, 0, 0, 0, 0]);
    const theirs = tfl.sequential({
      layers: [tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, inputShape: [5, 5, 3], name: 'depthwise_conv2d_1' })],
    });
    const { modelJson } = await tfjsSaved(theirs);
    const specs = (modelJson.weightsManifest as { weights: { name: string; shape: number[] }[] }[])[0].weights;
    expect(specs.map((s) => [s.name, s.shape])).toEqual(model.weights.map((w) => [w.name, w.shape]));
  });

  it("summary() gives Keras' output shapes and parameter counts", () => {
    const model = new Sequential([
      new DepthwiseConv2D({ kernelSize: 3, padding: 'same', depthMultiplier: 2, inputShape: [8, 8, 3] }),
      new DepthwiseConv2D({ kernelSize: 3, strides: 2, useBias: false }),
    ]);
    const rows = model.summary(null).split('\n');
    const row = (name: string) =>
      rows
        .find((r) => r.includes(`${name} (`))!
        .trim()
        .split(/\s{2,}/);
    // 3·3·3·2 kernel + 6 biases; then (8 − 3) / 2 + 1 = 3 rows and columns, 3·3·6·1 kernel, no bias
    expect(row('depthwise_conv2d')).toEqual(['depthwise_conv2d (DepthwiseConv2D)', '(None, 8, 8, 6)', '60']);
    expect(row('depthwise_conv2d_1')).toEqual(['depthwise_conv2d_1 (DepthwiseConv2D)', '(None, 3, 3, 6)', '54']);
    expect(model.summary(null)).toContain('Total params: 114');
  });

  it('setWeights takes a hand-set kernel and bias (output channel c · multiplier + m), and names wrong ones', () => {
    const model = new Sequential([new DepthwiseConv2D({ kernelSize: 1, depthMultiplier: 2, inputShape: [1, 1, 2] })]);
    const layer = model.getLayer(0);
    // kernel[0, 0, c, m] = 2c + m + 1, bias 0.5: the pixel [1, 10] gives [1.5, 2.5, 30.5, 40.5]
    layer.setWeights([
      new Tensor(Float32Array.of(1, 2, 3, 4), [1, 1, 2, 2], 'float32'),
      new Tensor(new Float32Array(4).fill(0.5), [4], 'float32'),
    ]);
    expect(Array.from(model.predict(new Tensor(Float32Array.of(1, 10), [1, 1, 1, 2], 'float32')).data)).toEqual([1.5, 2.5, 30.5, 40.5]);
    expectConvlensError(
      () => layer.setWeights([new Tensor(new Float32Array(2), [1, 1, 2, 1], 'float32'), new Tensor(new Float32Array(4), [4], 'float32')]),
      'depthwise_conv2d: weight depthwise_conv2d/depthwise_kernel has shape [1, 1, 2, 2], setWeights got [1, 1, 2, 1]',
    );
    expectConvlensError(
      () => layer.setWeights([new Tensor(new Float32Array(4), [1, 1, 2, 2], 'float32')]),
      'depthwise_conv2d: setWeights got 1 arrays, expected 2 (depthwise_conv2d/depthwise_kernel, depthwise_conv2d/bias)',
    );
  });

  it('saved and loaded both ways: convlens → tfjs-layers, tfjs-layers → convlens, and back', async () => {
    setSeed(7);
    const rng = caseRng('depthwise load', 0);
    const { ours, theirs } = twins(CONFIGS[1], [6, 7, 2]);
    const x = f32(rng, [2, 6, 7, 2]);
    const { modelJson, weightData } = ours.toArtifacts();
    const back = await tfjsLoad(modelJson, weightData);
    expectClose(ours.predict(x), (back.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'convlens → tfjs');
    const fromTfjs = await tfjsSaved(theirs);
    expectClose(fromArtifacts(fromTfjs.modelJson, fromTfjs.weightData).predict(x), ours.predict(x), 1e-6, 'tfjs → convlens');
    const dilated = new Sequential([
      new DepthwiseConv2D({ kernelSize: 2, dilationRate: [1, 2], depthMultiplier: 3, activation: 'relu6', inputShape: [5, 5, 2] }),
    ]);
    const again = fromArtifacts(dilated.toArtifacts());
    const layer = again.getLayer(0) as DepthwiseConv2D;
    expect([layer.kernelSize, layer.dilationRate, layer.depthMultiplier, layer.activation, layer.outputShape]).toEqual([
      [2, 2],
      [1, 2],
      3,
      'relu6',
      [4, 3, 6],
    ]);
    const image = f32(rng, [1, 5, 5, 2]);
    expect(again.predict(image).data).toEqual(dilated.predict(image).data);
  });

  it("opens Keras' configs: Keras 2's groups 1 and null penalties, Keras 3's kernel named 'kernel'", () => {
    const config = {
      name: 'dw',
      trainable: true,
      dtype: 'float32',
      batch_input_shape: [null, 3, 3, 1],
      kernel_size: [2, 2],
      strides: [1, 1],
      padding: 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      groups: 1,
      activation: 'linear',
      use_bias: true,
      bias_initializer: { class_name: 'Zeros', config: {} },
      bias_regularizer: null,
      activity_regularizer: null,
      bias_constraint: null,
      depth_multiplier: 1,
      depthwise_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      depthwise_regularizer: { class_name: 'L2', config: { l2: 0.01 } },
      depthwise_constraint: null,
    };
    const modelJson = (weightName: string, layerConfig: Record<string, unknown>) => ({
      modelTopology: { class_name: 'Sequential', config: { name: 'm', layers: [{ class_name: 'DepthwiseConv2D', config: layerConfig }] } },
      weightsManifest: [
        {
          paths: ['w.bin'],
          weights: [
            { name: `dw/${weightName}`, shape: [2, 2, 1, 1], dtype: 'float32' },
            { name: 'dw/bias', shape: [1], dtype: 'float32' },
          ],
        },
      ],
    });
    const weights = Float32Array.of(1, 2, 3, 4, 0.5).buffer;
    // 3×3 image 1..9, 2×2 kernel [[1, 2], [3, 4]], bias 0.5: the top-left window 1 + 4 + 12 + 20 + 0.5
    const x = new Tensor(
      Float32Array.from({ length: 9 }, (_, i) => i + 1),
      [1, 3, 3, 1],
      'float32',
    );
    for (const name of ['depthwise_kernel', 'kernel']) {
      expect(Array.from(fromArtifacts(modelJson(name, config), weights).predict(x).data)).toEqual([37.5, 47.5, 67.5, 77.5]);
    }
    expectConvlensError(
      () => fromArtifacts(modelJson('depthwise_kernel', { ...config, groups: 2 }), weights),
      "fromArtifacts: layer 0 'dw' (DepthwiseConv2D): groups 2 is not supported (grouped convolution)",
    );
  });

  it('bad arguments and inputs: a ConvlensError naming the layer, what it got and what it expected', () => {
    expectConvlensError(
      () => new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 0 }),
      "DepthwiseConv2D 'depthwise_conv2d': depthMultiplier must be a positive integer, got 0",
    );
    expectConvlensError(
      () => new DepthwiseConv2D({ kernelSize: 3, strides: 2, dilationRate: 2 }),
      "DepthwiseConv2D 'depthwise_conv2d_1': strides [2, 2] and dilationRate [2, 2] cannot both be above 1, as in Keras (one of them must be 1)",
    );
    expectConvlensError(
      () => new DepthwiseConv2D({ kernelSize: 3, depth_multiplier: 2 } as never),
      "DepthwiseConv2D: unknown option 'depth_multiplier' (did you mean 'depthMultiplier'?)",
    );
    expectConvlensError(() => new DepthwiseConv2D(3 as never), /DepthwiseConv2D\(3\) is new DepthwiseConv2D\(\{ kernelSize: 3 \}\)/);
    const model = new Sequential([new DepthwiseConv2D({ kernelSize: 3, inputShape: [5, 5, 3] })]);
    expectConvlensError(
      () => model.predict(new Tensor(new Float32Array(25), [1, 5, 5, 1], 'float32')),
      /depthwise_conv2d_2 \(DepthwiseConv2D\): expected input of shape \(None, 5, 5, 3\), got \[1, 5, 5, 1\]/,
    );
    expectConvlensError(
      () => new Sequential([new DepthwiseConv2D({ kernelSize: 5, inputShape: [4, 6, 2] })]),
      'depthwise_conv2d_3 (DepthwiseConv2D): depthwiseConv2d: window height 5 is larger than the input height 4 under VALID padding',
    );
    expectConvlensError(
      () => new Sequential([new DepthwiseConv2D({ kernelSize: 3, inputShape: [4, 6] })]),
      /depthwise_conv2d_4 \(DepthwiseConv2D\): expected inputs of shape \(height, width, channels\), got \[4, 6\]/,
    );
  });
});
