import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { backend } from '../backend/registry.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { MaxNorm, maxNorm, minMaxNorm, nonNeg, unitNorm } from '../train/constraints.js';
import { Adam, SGD } from '../train/optimizers.js';
import { l1, l1l2, l2 } from '../train/regularizers.js';
import {
  BatchNormalization,
  Conv2D,
  Conv2DTranspose,
  Dense,
  DepthwiseConv2D,
  Flatten,
  type Functional,
  fromArtifacts,
  functionalFromArtifacts,
  Input,
  MaxPool2D,
  model,
  resetNames,
  SeparableConv2D,
  Sequential,
} from './index.js';

// Weight and activity regularizers and weight constraints, against tfjs-layers (which computes
// weight penalties as Keras does, but runs no activity regularizer and never applies constraints
// in fit: those are checked against Keras' formulas, computed here with tfjs-core).

beforeEach(() => resetNames());

const oneHot = (rng: Rng, n: number, classes: number) => {
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) out[i * classes + rng.int(0, classes - 1)] = 1;
  return new Tensor(out, [n, classes], 'float32');
};

/** Our weights (in order) against tfjs' `theirs`. */
function expectSameWeights(ours: Sequential | Functional, theirs: tf.Tensor[]): void {
  expect(theirs.length).toBe(ours.weights.length);
  for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirs[i].dataSync(), 1e-4, ours.weights[i].name);
}

/** Trains ours and theirs (the same weights) with SGD on the same batches, in order: the losses and weights must agree. */
async function expectSameFit(
  ours: Sequential,
  theirs: tfl.LayersModel,
  x: Tensor,
  y: Tensor,
  { epochs = 3, batchSize = 4, learningRate = 0.1, loss = 'categoricalCrossentropy', theirCallbacks = {} } = {},
): Promise<void> {
  ours.compile({ optimizer: new SGD({ learningRate }), loss });
  theirs.compile({ optimizer: tf.train.sgd(learningRate), loss });
  const options = { epochs, batchSize, shuffle: false };
  const history = await ours.fit(x, y, options);
  const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0, callbacks: theirCallbacks });
  expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
  expectSameWeights(ours, theirs.getWeights());
}

forEachBackend(() => {
  describe('weight regularizers train as tfjs-layers trains them', () => {
    it('l1, l2 and l1l2 on the kernels and biases of Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose and Dense: losses (with the penalties) and weights over 3 epochs of 2 batches', async () => {
      setSeed(81);
      const rng = caseRng('regularizers fit', 0);
      const ours = new Sequential([
        new Conv2D({
          filters: 3,
          kernelSize: 3,
          activation: 'relu',
          kernelRegularizer: l2(0.02),
          biasRegularizer: l1(0.01),
          inputShape: [7, 7, 2],
        }),
        new DepthwiseConv2D({
          kernelSize: 2,
          depthMultiplier: 2,
          activation: 'tanh',
          depthwiseRegularizer: 'l1l2',
          biasRegularizer: l2(0.03),
        }),
        new SeparableConv2D({
          filters: 4,
          kernelSize: 2,
          depthwiseRegularizer: l1(0.02),
          pointwiseRegularizer: l2(0.05),
          biasRegularizer: 'l1',
        }),
        new Conv2DTranspose({
          filters: 2,
          kernelSize: 2,
          strides: 2,
          activation: 'relu',
          kernelRegularizer: l1l2({ l1: 0.005, l2: 0.02 }),
        }),
        new Flatten(),
        new Dense({ units: 3, activation: 'softmax', kernelRegularizer: 'l2', biasRegularizer: l1l2({ l1: 0.01, l2: 0.1 }) }),
      ]);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.conv2d({
            filters: 3,
            kernelSize: 3,
            activation: 'relu',
            kernelRegularizer: tfl.regularizers.l2({ l2: 0.02 }),
            biasRegularizer: tfl.regularizers.l1({ l1: 0.01 }),
            inputShape: [7, 7, 2],
          }),
          tfl.layers.depthwiseConv2d({
            kernelSize: 2,
            depthMultiplier: 2,
            activation: 'tanh',
            depthwiseRegularizer: 'l1l2',
            biasRegularizer: tfl.regularizers.l2({ l2: 0.03 }),
          }),
          tfl.layers.separableConv2d({
            filters: 4,
            kernelSize: 2,
            depthwiseRegularizer: tfl.regularizers.l1({ l1: 0.02 }),
            pointwiseRegularizer: tfl.regularizers.l2({ l2: 0.05 }),
            biasRegularizer: tfl.regularizers.l1(),
          }),
          tfl.layers.conv2dTranspose({
            filters: 2,
            kernelSize: 2,
            strides: 2,
            activation: 'relu',
            kernelRegularizer: tfl.regularizers.l1l2({ l1: 0.005, l2: 0.02 }),
          }),
          tfl.layers.flatten(),
          tfl.layers.dense({
            units: 3,
            activation: 'softmax',
            kernelRegularizer: tfl.regularizers.l2(),
            biasRegularizer: tfl.regularizers.l1l2({ l1: 0.01, l2: 0.1 }),
          }),
        ],
      });
      // no bias at exactly 0: tfjs' gradient of |x| there is −1 (its abs gradient is step(x, −1)), TensorFlow's 0
      randomizeWeights(ours, rng);
      theirs.setWeights(ours.getWeights().map(tfOf));
      await expectSameFit(ours, theirs, f32(rng, [8, 7, 7, 2]), oneHot(rng, 8, 3));
    });

    it('the penalties are in the logged loss of every batch and of evaluate (Keras), and a frozen layer has none (Keras 3)', async () => {
      setSeed(82);
      const rng = caseRng('regularizers evaluate', 0);
      const [kernel, bias] = [l1l2({ l1: 0.01, l2: 0.03 }), l2(0.2)];
      const ours = new Sequential([
        new Dense({ units: 4, activation: 'tanh', kernelRegularizer: kernel, biasRegularizer: bias, inputShape: [3] }),
        new Dense({ units: 2, activation: 'softmax', kernelRegularizer: l1(0.05) }),
      ]);
      randomizeWeights(ours, rng);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      theirs.setWeights(ours.getWeights().map(tfOf));
      theirs.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
      ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
      const [x, y] = [f32(rng, [6, 3]), oneHot(rng, 6, 2)];
      // Keras' formulas, from the weights: l1·Σ|w| + l2·Σw² (no ½)
      const penalty = (frozenFirst: boolean) => {
        const [k1, b1, k2] = ours.getWeights().map((w) => tfOf(w));
        const first = tf.add(
          tf.add(tf.mul(0.01, tf.sum(tf.abs(k1))), tf.mul(0.03, tf.sum(tf.square(k1)))),
          tf.mul(0.2, tf.sum(tf.square(b1))),
        );
        const second = tf.mul(0.05, tf.sum(tf.abs(k2)));
        return (frozenFirst ? second : tf.add(first, second)).dataSync()[0];
      };
      const plain = (theirs.evaluate(tfOf(x), tfOf(y)) as tf.Scalar).dataSync()[0];
      expectClose(ours.evaluate(x, y).loss, plain + penalty(false), 1e-6, 'evaluate');
      ours.getLayer(0).trainable = false;
      expectClose(ours.evaluate(x, y).loss, plain + penalty(true), 1e-6, 'evaluate, the first layer frozen');
      ours.getLayer(0).trainable = true;
      const logged: number[] = [];
      const before = penalty(false);
      await ours.fit(x, y, { epochs: 1, batchSize: 6, callbacks: { onBatchEnd: (_, logs) => void logged.push(logs.loss) } });
      expectClose(logged, [plain + before], 1e-6, 'the batch loss, before the step');
    });
  });

  describe('activity regularizers (Keras: the penalty on the output over the batch size; tfjs-layers cannot run them)', () => {
    /**
     * tfjs' twin of a model whose layer `regularized` has an activity regularizer: the same layers
     * (without it) with that layer's output as a second output, whose loss (Keras' penalty, per example) tfjs adds to the total.
     */
    function twinWithPenaltyOutput(
      build: (input: tfl.SymbolicTensor) => { regularized: tfl.SymbolicTensor; output: tfl.SymbolicTensor },
      inputShape: number[],
      factors: { l1: number; l2: number },
    ): { theirs: tfl.LayersModel; penaltyLoss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor } {
      const input = tfl.input({ shape: inputShape });
      const { regularized, output } = build(input);
      const theirs = tfl.model({ inputs: input, outputs: [output, regularized] });
      const penaltyLoss = (_: tf.Tensor, yPred: tf.Tensor) => {
        const rows = tf.reshape(yPred, [yPred.shape[0], -1]);
        return tf.add(tf.mul(factors.l1, tf.sum(tf.abs(rows), 1)), tf.mul(factors.l2, tf.sum(tf.square(rows), 1)));
      };
      return { theirs, penaltyLoss };
    }

    it('on a ReLU convolution before max pooling (its gradient through the pooling), a tanh Dense and the softmax output: fit matches tfjs-layers with the penalties as extra outputs', async () => {
      setSeed(83);
      const rng = caseRng('activity fit', 0);
      const conv = { l1: 0.002, l2: 0.01 };
      const ours = new Sequential([
        new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', activityRegularizer: l1l2(conv), inputShape: [6, 6, 1] }),
        new MaxPool2D(),
        new Flatten(),
        new Dense({ units: 4, activation: 'tanh' }),
        new Dense({ units: 3, activation: 'softmax' }),
      ]);
      randomizeWeights(ours, rng);
      const { theirs, penaltyLoss } = twinWithPenaltyOutput(
        (input) => {
          const regularized = tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
          const pooled = tfl.layers.flatten().apply(tfl.layers.maxPooling2d({ poolSize: 2 }).apply(regularized));
          const hidden = tfl.layers.dense({ units: 4, activation: 'tanh' }).apply(pooled);
          return { regularized, output: tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(hidden) as tfl.SymbolicTensor };
        },
        [6, 6, 1],
        conv,
      );
      theirs.setWeights(ours.getWeights().map(tfOf));
      const [x, y] = [f32(rng, [6, 6, 6, 1]), oneHot(rng, 6, 3)];
      ours.compile({ optimizer: new SGD({ learningRate: 0.2 }), loss: 'categoricalCrossentropy' });
      theirs.compile({ optimizer: tf.train.sgd(0.2), loss: ['categoricalCrossentropy', penaltyLoss] as never });
      const options = { epochs: 3, batchSize: 4, shuffle: false };
      const history = await ours.fit(x, y, options);
      const conv0 = theirs.layers[1].getWeights()[0].shape;
      const expected = await theirs.fit(tfOf(x), [tfOf(y), tf.zeros([6, ...(theirs.outputs[1].shape.slice(1) as number[])])], {
        ...options,
        verbose: 0,
      });
      expect(conv0).toEqual([3, 3, 1, 3]);
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
      expectSameWeights(ours, theirs.getWeights());
    });

    it.each([
      ['a hidden tanh Dense', 0],
      ['the softmax output (its gradient through the softmax the loss fuses)', 1],
    ])('on %s, in a functional model: fit matches tfjs-layers with the penalty as an extra output', async (_, index) => {
      setSeed(84 + index);
      const rng = caseRng('activity functional', index);
      const factors = { l1: 0.01, l2: 0.05 };
      const input = Input({ shape: [5] });
      const hidden = new Dense({ units: 4, activation: 'tanh', activityRegularizer: index === 0 ? l1l2(factors) : null }).apply(input);
      const output = new Dense({ units: 3, activation: 'softmax', activityRegularizer: index === 1 ? l1l2(factors) : undefined }).apply(
        hidden,
      );
      const ours = model({ inputs: input, outputs: output });
      randomizeWeights(ours, rng);
      const { theirs, penaltyLoss } = twinWithPenaltyOutput(
        (theirInput) => {
          const h = tfl.layers.dense({ units: 4, activation: 'tanh' }).apply(theirInput) as tfl.SymbolicTensor;
          const out = tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(h) as tfl.SymbolicTensor;
          // tfjs gives no tensor for an output listed twice: the softmax's goes through an identity
          const copy = () => tfl.layers.activation({ activation: 'linear' }).apply(out) as tfl.SymbolicTensor;
          return { regularized: index === 0 ? h : copy(), output: out };
        },
        [5],
        factors,
      );
      theirs.setWeights(ours.getWeights().map(tfOf));
      const [x, y] = [f32(rng, [8, 5]), oneHot(rng, 8, 3)];
      ours.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy' });
      theirs.compile({ optimizer: tf.train.sgd(0.3), loss: ['categoricalCrossentropy', penaltyLoss] as never });
      const options = { epochs: 3, batchSize: 3, shuffle: false };
      const history = await ours.fit(x, y, options);
      const expected = await theirs.fit(tfOf(x), [tfOf(y), tf.zeros([8, index === 0 ? 4 : 3])], { ...options, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
      expectSameWeights(ours, theirs.getWeights());
    });
  });

  describe('weight constraints, applied after each optimizer step as Keras applies them', () => {
    it('maxNorm, unitNorm, minMaxNorm and nonNeg: SGD steps match tfjs-layers fit with Keras’ formulas applied after each batch (tfjs’ fit applies none)', async () => {
      setSeed(86);
      const rng = caseRng('constraints fit', 0);
      const settings = [
        { kernelConstraint: maxNorm({ maxValue: 0.5, axis: [0, 1, 2] }), biasConstraint: nonNeg() },
        { kernelConstraint: unitNorm({ axis: 0 }), biasConstraint: minMaxNorm({ minValue: 0.2, maxValue: 0.4, rate: 0.5 }) },
        { kernelConstraint: minMaxNorm({ minValue: 0.5, maxValue: 1, axis: 1 }), biasConstraint: maxNorm({ maxValue: 0.1 }) },
      ];
      const ours = new Sequential([
        new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [5, 5, 2], ...settings[0] }),
        new Flatten(),
        new Dense({ units: 4, activation: 'tanh', ...settings[1] }),
        new Dense({ units: 2, activation: 'softmax', ...settings[2] }),
      ]);
      randomizeWeights(ours, rng);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [5, 5, 2] }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 4, activation: 'tanh' }),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      theirs.setWeights(ours.getWeights().map(tfOf));
      // Keras' constraints (keras/src/constraints/constraints.py), ε = 1e-7
      const norms = (w: tf.Tensor, axis: number[]) => tf.sqrt(tf.sum(tf.square(w), axis, true));
      const maxNormOf = (w: tf.Tensor, max: number, axis: number[]) =>
        tf.mul(w, tf.div(tf.clipByValue(norms(w, axis), 0, max), tf.add(1e-7, norms(w, axis))));
      const unitNormOf = (w: tf.Tensor, axis: number[]) => tf.div(w, tf.add(1e-7, norms(w, axis)));
      const minMaxNormOf = (w: tf.Tensor, min: number, max: number, rate: number, axis: number[]) => {
        const n = norms(w, axis);
        const desired = tf.add(tf.mul(rate, tf.clipByValue(n, min, max)), tf.mul(1 - rate, n));
        return tf.mul(w, tf.div(desired, tf.add(1e-7, n)));
      };
      const nonNegOf = (w: tf.Tensor) => tf.mul(w, tf.cast(tf.greaterEqual(w, 0), 'float32'));
      const constrain = () => {
        const [k1, b1, k2, b2, k3, b3] = theirs.getWeights();
        theirs.setWeights([
          maxNormOf(k1, 0.5, [0, 1, 2]),
          nonNegOf(b1),
          unitNormOf(k2, [0]),
          minMaxNormOf(b2, 0.2, 0.4, 0.5, [0]),
          minMaxNormOf(k3, 0.5, 1, 1, [1]),
          maxNormOf(b3, 0.1, [0]),
        ]);
      };
      await expectSameFit(ours, theirs, f32(rng, [6, 5, 5, 2]), oneHot(rng, 6, 2), {
        learningRate: 0.5,
        batchSize: 3,
        theirCallbacks: { onBatchEnd: async () => constrain() },
      });
      // the constraints hold after training
      const [kernel, bias] = ours.getWeights();
      expect(Math.min(...bias.data)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...norms(tfOf(kernel), [0, 1, 2]).dataSync())).toBeLessThanOrEqual(0.5 + 1e-6);
    });

    it('a frozen layer is left as it is, constraint or not; names and Keras’ names take the defaults', async () => {
      const rng = caseRng('constraints frozen', 0);
      const frozen = new Dense({ units: 3, kernelConstraint: 'nonNeg', inputShape: [2] });
      const ours = new Sequential([frozen, new Dense({ units: 1, kernelConstraint: 'max_norm', biasConstraint: 'unitNorm' })]);
      ours.setWeights(ours.getWeights().map((w) => f32(rng, w.shape, -3, 3)));
      frozen.trainable = false;
      const kept = frozen.getWeights()[0];
      ours.compile({ optimizer: 'sgd', loss: 'mse' });
      await ours.fit(f32(rng, [4, 2]), f32(rng, [4, 1]), { epochs: 1 });
      expect(Array.from(frozen.getWeights()[0].data)).toEqual(Array.from(kept.data));
      expect(ours.getLayer(1).weights[0].constraint).toBeInstanceOf(MaxNorm);
      expect((ours.getLayer(1).weights[0].constraint as MaxNorm).maxValue).toBe(2);
      expectClose(Math.abs(ours.getLayer(1).getWeights()[1].data[0]), 1, 1e-6, 'unit-norm bias');
    });
  });

  describe('saved and loaded with the model', () => {
    it('a tfjs-layers model with regularizers (and a Keras 3 config’s L1 and L2) loads with them and trains on as tfjs trains it', async () => {
      setSeed(87);
      const rng = caseRng('regularizers load', 0);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', kernelRegularizer: 'l1l2', inputShape: [5, 5, 1] }),
          tfl.layers.flatten(),
          tfl.layers.dense({
            units: 3,
            activation: 'softmax',
            kernelRegularizer: tfl.regularizers.l2({ l2: 0.04 }),
            biasRegularizer: tfl.regularizers.l1(),
          }),
        ],
      });
      theirs.setWeights(theirs.getWeights().map((w) => tf.add(w, tf.randomUniform(w.shape, -0.1, 0.1, 'float32', rng.int(0, 1e6)))));
      theirs.compile({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy' });
      const { modelJson, weightData } = await tfjsSaved(theirs);
      const ours = fromArtifacts(modelJson, weightData);
      ours.compile({ optimizer: new SGD({ learningRate: 0.2 }), loss: 'categoricalCrossentropy' });
      expect(ours.getLayer(2).weights.map((w) => w.regularizer?.getConfig())).toEqual([
        { class_name: 'L1L2', config: { l1: 0, l2: 0.04 } },
        { class_name: 'L1L2', config: { l1: 0.01, l2: 0 } },
      ]);
      const [x, y] = [f32(rng, [6, 5, 5, 1]), oneHot(rng, 6, 3)];
      const options = { epochs: 2, batchSize: 3, shuffle: false };
      const history = await ours.fit(x, y, options);
      const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
      expectSameWeights(ours, theirs.getWeights());

      // Keras 3 writes L1 and L2 classes (with its module and registered_name)
      const keras = JSON.parse(JSON.stringify(modelJson));
      const dense = keras.modelTopology.config.layers.at(-1).config;
      dense.kernel_regularizer = { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.04 }, registered_name: null };
      dense.bias_regularizer = { module: 'keras.regularizers', class_name: 'L1', config: { l1: 0.01 }, registered_name: null };
      const fromKeras = fromArtifacts(keras, weightData);
      expect(fromKeras.getLayer(2).weights.map((w) => w.regularizer?.getConfig())).toEqual(
        ours.getLayer(2).weights.map((w) => (w.regularizer ? { class_name: 'L1L2', config: w.regularizer.getConfig().config } : undefined)),
      );
    });

    it('our saved regularizers and constraints are Keras’ and tfjs’ configs: tfjs-layers reads them and trains as we do; we read them back', async () => {
      setSeed(88);
      const rng = caseRng('regularizers save', 0);
      const ours = new Sequential([
        new Conv2D({
          filters: 2,
          kernelSize: 2,
          kernelRegularizer: l2(0.03),
          kernelConstraint: maxNorm({ maxValue: 3, axis: [0, 1, 2] }),
          inputShape: [4, 4, 1],
        }),
        new BatchNormalization({ gammaRegularizer: l2(0.1), betaRegularizer: l1(0.02), gammaConstraint: nonNeg() }),
        new Flatten(),
        new Dense({ units: 2, activation: 'softmax', kernelRegularizer: l1l2({ l1: 0.01, l2: 0.02 }), biasConstraint: unitNorm() }),
      ]);
      randomizeWeights(ours, rng);
      const { modelJson, weightData } = ours.toArtifacts();
      const layers = (modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
      expect(layers[0].config).toMatchObject({
        kernel_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.03 } },
        kernel_constraint: { class_name: 'MaxNorm', config: { max_value: 3, axis: [0, 1, 2] } },
      });
      expect(layers[1].config).toMatchObject({ gamma_constraint: { class_name: 'NonNeg', config: {} } });
      expect(layers[3].config).toMatchObject({ bias_constraint: { class_name: 'UnitNorm', config: { axis: 0 } } });
      const theirs = await tfjsLoad(modelJson, weightData);
      expect(fromArtifacts(modelJson, weightData).toArtifacts().modelJson.modelTopology).toEqual(modelJson.modelTopology);
      // tfjs projects weights through their constraints when it loads (or sets) them, where Keras
      // and convlens take them as they are, and its fit never applies them: start from its
      // weights and train without the constraints
      const unconstrained = JSON.parse(JSON.stringify(modelJson, (key, value) => (key.endsWith('_constraint') ? undefined : value)));
      const again = fromArtifacts(unconstrained, weightData);
      for (const [i, layer] of again.layers.entries()) {
        layer.setWeights(theirs.layers[i].getWeights().map((w) => new Tensor(w.dataSync() as Float32Array, w.shape, 'float32')));
      }
      again.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
      theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
      const [x, y] = [f32(rng, [6, 4, 4, 1]), oneHot(rng, 6, 2)];
      const options = { epochs: 2, batchSize: 3, shuffle: false };
      const history = await again.fit(x, y, options);
      const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    });

    it('a loaded activity regularizer applies (tfjs-layers reads it but cannot run the layer)', () => {
      const rng = caseRng('activity load', 0);
      const ours = new Sequential([new Dense({ units: 3, activityRegularizer: l2(0.5), inputShape: [2] })]);
      ours.compile({ optimizer: 'sgd', loss: 'mse' });
      const again = fromArtifacts(ours.toArtifacts());
      again.compile({ optimizer: 'sgd', loss: 'mse' });
      const [x, y] = [f32(rng, [4, 2]), f32(rng, [4, 3])];
      const out = ours.predict(x);
      const mse = tf.losses.meanSquaredError(tfOf(y), tfOf(out)).dataSync()[0];
      const penalty = (0.5 * tf.sum(tf.square(tfOf(out))).dataSync()[0]) / 4;
      expectClose(again.evaluate(x, y).loss, mse + penalty, 1e-6, 'evaluate');
    });
  });

  describe('bad settings are refused naming the layer and the option', () => {
    it('regularizers', () => {
      expectConvlensError(() => l2(-0.1), 'regularizers.l2: l2 must be a finite number ≥ 0, got -0.1');
      expectConvlensError(() => l1({ l1: Number.NaN }), 'regularizers.l1: l1 must be a finite number ≥ 0, got NaN');
      expectConvlensError(() => l1l2({ l1: 0.1, l3: 1 } as never), "regularizers.l1l2: unknown option 'l3' (did you mean 'l1'?)");
      expectConvlensError(
        () => new Dense({ units: 2, kernelRegularizer: 'l3' as never, name: 'head' }),
        "Dense 'head': kernelRegularizer must be 'l1', 'l2', 'l1l2' or a regularizer (regularizers.l2(0.01), regularizers.l1l2({ l1, l2 })), got \"l3\"",
      );
      expectConvlensError(
        () => new Conv2D({ filters: 1, kernelSize: 1, activityRegularizer: { l2: 0.1 } as never, name: 'c' }),
        "Conv2D 'c': activityRegularizer must be 'l1', 'l2', 'l1l2' or a regularizer (regularizers.l2(0.01), regularizers.l1l2({ l1, l2 })), got { l2: 0.1 }",
      );
      expectConvlensError(
        () => new DepthwiseConv2D({ kernelSize: 1, kernelRegularizer: 'l2' } as never),
        /^DepthwiseConv2D: unknown option 'kernelRegularizer' \(expected one of .*depthwiseRegularizer, depthwiseConstraint, biasRegularizer, biasConstraint, activityRegularizer/,
      );
    });

    it('constraints', () => {
      expectConvlensError(() => maxNorm({ maxValue: -1 }), 'constraints.maxNorm: maxValue must be a finite number ≥ 0, got -1');
      expectConvlensError(() => minMaxNorm({ minValue: 2, maxValue: 1 }), 'constraints.minMaxNorm: minValue 2 is above maxValue 1');
      expectConvlensError(() => minMaxNorm({ rate: 2 }), 'constraints.minMaxNorm: rate must be from 0 to 1, got 2');
      expectConvlensError(
        () => unitNorm({ axis: 0.5 }),
        'constraints.unitNorm: axis must be an integer or a list of distinct integers, got 0.5',
      );
      expectConvlensError(
        () => new Dense({ units: 2, kernelConstraint: maxNorm({ axis: 2 }), name: 'head' }),
        "Dense 'head': kernelConstraint: MaxNorm's axis 2 does not exist in a weight of 2 axes",
      );
      expectConvlensError(
        () => new Conv2D({ filters: 1, kernelSize: 1, biasConstraint: 'positive' as never, name: 'c' }),
        "Conv2D 'c': biasConstraint must be 'maxNorm', 'minMaxNorm', 'nonNeg', 'unitNorm' or a constraint (constraints.maxNorm({ maxValue: 2 })), got \"positive\"",
      );
    });

    it('a saved regularizer or constraint convlens lacks, or a bad factor, names the layer', () => {
      const { modelJson, weightData } = new Sequential([
        new Dense({ units: 2, kernelRegularizer: 'l2', name: 'head', inputShape: [3] }),
      ]).toArtifacts();
      const edited = (edit: (config: Record<string, unknown>) => void) => {
        const json = JSON.parse(JSON.stringify(modelJson));
        edit(json.modelTopology.config.layers[0].config);
        return json;
      };
      const cases: [(c: Record<string, unknown>) => void, string][] = [
        [
          (c) => {
            c.kernel_regularizer = { class_name: 'L2', config: { l2: -1 } };
          },
          "fromArtifacts: layer 0 'head' (Dense): kernel_regularizer: l2 must be a finite number ≥ 0, got -1",
        ],
        [
          (c) => {
            c.kernel_regularizer = { class_name: 'OrthogonalRegularizer', config: { factor: 0.01 } };
          },
          'fromArtifacts: layer 0 \'head\' (Dense): kernel_regularizer "OrthogonalRegularizer" is not supported (only L1, L2 and L1L2)',
        ],
        [
          (c) => {
            c.bias_constraint = { class_name: 'RadialConstraint', config: {} };
          },
          'fromArtifacts: layer 0 \'head\' (Dense): bias_constraint "RadialConstraint" is not supported (only MaxNorm, MinMaxNorm, NonNeg and UnitNorm)',
        ],
        [
          (c) => {
            c.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2, axis: 3 } };
          },
          "fromArtifacts: layer 0 'head' (Dense): Dense 'head': kernelConstraint: MaxNorm's axis 3 does not exist in a weight of 2 axes",
        ],
      ];
      for (const [edit, message] of cases) expectConvlensError(() => fromArtifacts(edited(edit), weightData), message);
    });
  });

  it('a fit with penalties, activity penalties and constraints computes every batch in the buffers of the first', async () => {
    setSeed(89);
    const rng = caseRng('regularizers workspace', 0);
    const ours = new Sequential([
      new Conv2D({
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
        kernelRegularizer: 'l2',
        activityRegularizer: 'l1',
        kernelConstraint: 'maxNorm',
        inputShape: [6, 6, 1],
      }),
      new MaxPool2D(),
      new Flatten(),
      new Dense({ units: 2, activation: 'softmax', activityRegularizer: 'l2', biasConstraint: 'nonNeg' }),
    ]);
    ours.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy' });
    const [x, y] = [f32(rng, [12, 6, 6, 1]), oneHot(rng, 12, 2)];
    await ours.fit(x, y, { epochs: 1, batchSize: 4 });
    const made = vi.spyOn(backend(), 'residentBuffer');
    try {
      await ours.fit(x, y, { epochs: 2, batchSize: 4, validationSplit: 0.25 });
      ours.evaluate(x, y, { batchSize: 4 });
      expect(made.mock.calls.length, 'buffers made after the first epoch').toBe(0);
    } finally {
      made.mockRestore();
    }
  });
});

describe('functional models of several outputs', () => {
  it('add the penalties to the total loss (not to each output’s) and train as tfjs-layers does', async () => {
    setSeed(90);
    const rng = caseRng('regularizers multi', 0);
    const input = Input({ shape: [4] });
    const shared = new Dense({ units: 5, activation: 'tanh', kernelRegularizer: l2(0.05), biasRegularizer: l1(0.02) }).apply(input);
    const a = new Dense({ units: 3, activation: 'softmax', name: 'a', kernelRegularizer: 'l1l2' }).apply(shared);
    const b = new Dense({ units: 1, name: 'b' }).apply(shared);
    const ours = model({ inputs: input, outputs: [a, b] });
    randomizeWeights(ours, rng);
    const theirInput = tfl.input({ shape: [4] });
    const theirShared = tfl.layers
      .dense({
        units: 5,
        activation: 'tanh',
        kernelRegularizer: tfl.regularizers.l2({ l2: 0.05 }),
        biasRegularizer: tfl.regularizers.l1({ l1: 0.02 }),
      })
      .apply(theirInput);
    const theirs = tfl.model({
      inputs: theirInput,
      outputs: [
        tfl.layers
          .dense({ units: 3, activation: 'softmax', name: 'a', kernelRegularizer: 'l1l2' })
          .apply(theirShared) as tfl.SymbolicTensor,
        tfl.layers.dense({ units: 1, name: 'b' }).apply(theirShared) as tfl.SymbolicTensor,
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const [x, ya, yb] = [f32(rng, [6, 4]), oneHot(rng, 6, 3), f32(rng, [6, 1])];
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: ['categoricalCrossentropy', 'mse'] });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    const options = { epochs: 3, batchSize: 3, shuffle: false };
    const history = await ours.fit(x, [ya, yb], options);
    const expected = await theirs.fit(tfOf(x), [tfOf(ya), tfOf(yb)], { ...options, verbose: 0 });
    for (const key of ['loss', 'a_loss', 'b_loss']) expectClose(history.history[key], expected.history[key] as number[], 1e-5, key);
    expectSameWeights(ours, theirs.getWeights());
    // and the loaded model keeps them
    const again = functionalFromArtifacts(ours.toArtifacts());
    expect(again.getLayer('a').weights[0].regularizer?.getConfig()).toEqual({ class_name: 'L1L2', config: { l1: 0.01, l2: 0.01 } });
  });
});
