import * as tfd from '@tensorflow/tfjs-data';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Dense, type Functional, Input, model, resetNames, Sequential } from './index.js';
import type { ClassWeight } from './loss_weights.js';
import { gather, range } from './model_common.js';

// fit's classWeight and fit's and evaluate's sampleWeight, as Keras weighs the loss with them
// (Σ w·loss over the batch size; the metrics unweighted): classWeight against tfjs-layers' fit and
// fitDataset, which weigh as Keras does; sampleWeight, which tfjs lacks, against tfjs-layers with
// Keras' weighted loss written as its loss function.

beforeEach(() => resetNames());

const oneHot = (labels: ArrayLike<number>, classes: number) => {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return new Tensor(out, [labels.length, classes], 'float32');
};

const column = (values: ArrayLike<number>) => new Tensor(Float32Array.from(values), [values.length, 1], 'float32');

/** A small classifier in both libraries with the same (random, nonzero) weights; `units` outputs with `activation`. */
function twins(rng: Rng, units: number, activation: 'softmax' | 'sigmoid'): { ours: Sequential; theirs: tfl.LayersModel } {
  const ours = new Sequential([new Dense({ units: 5, activation: 'tanh', inputShape: [4] }), new Dense({ units, activation })]);
  randomizeWeights(ours, rng);
  const theirs = tfl.sequential({
    layers: [tfl.layers.dense({ units: 5, activation: 'tanh', inputShape: [4] }), tfl.layers.dense({ units, activation })],
  });
  theirs.setWeights(ours.getWeights().map(tfOf));
  return { ours, theirs };
}

function expectSameWeights(ours: Sequential | Functional, theirs: tf.Tensor[]): void {
  expect(theirs.length).toBe(ours.weights.length);
  for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirs[i].dataSync(), 1e-4, ours.weights[i].name);
}

const N = 10;

describe('classWeight trains as tfjs-layers’ fit and fitDataset (Σ w·loss / batch size, as Keras)', () => {
  it.each([
    ['softmax, one-hot labels', 'categoricalCrossentropy', 3, 'softmax'],
    ['softmax, class indices', 'sparseCategoricalCrossentropy', 3, 'softmax'],
    ['one sigmoid unit, 0/1 labels', 'binaryCrossentropy', 1, 'sigmoid'],
  ] as const)('%s: losses and weights over 3 epochs of 4 batches; the metrics are not weighted', async (_, loss, units, activation) => {
    const rng = caseRng('class weight fit', units);
    const { ours, theirs } = twins(rng, units, activation);
    const labels = rng.ints(N, 0, Math.max(units, 2) - 1);
    const y = loss === 'categoricalCrossentropy' ? oneHot(labels, units) : column(labels);
    const x = f32(rng, [N, 4]);
    const classWeight: Record<number, number> = units === 1 ? { 0: 0.3, 1: 2.5 } : { 0: 1.5, 1: 0.25, 2: 3 };
    ours.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss, metrics: ['accuracy'] });
    theirs.compile({ optimizer: tf.train.sgd(0.3), loss, metrics: ['accuracy'] });
    const options = { epochs: 3, batchSize: 3, shuffle: false };
    const history = await ours.fit(x, y, { ...options, classWeight });
    const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, classWeight, verbose: 0 });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expectClose(history.history.accuracy, expected.history.acc as number[], 1e-6, 'accuracy');
    expectSameWeights(ours, theirs.getWeights());
  });

  it('on a tf.data dataset (fitDataset), with a class left out (weight 1, as Keras 3; tfjs needs every class, so it is given 1 there)', async () => {
    const rng = caseRng('class weight dataset', 0);
    const { ours, theirs } = twins(rng, 3, 'softmax');
    const [x, y] = [f32(rng, [12, 4]), oneHot(rng.ints(12, 0, 2), 3)];
    const dataset = () =>
      tfd.zip({ xs: tfd.array(tf.unstack(tfOf(x))), ys: tfd.array(tf.unstack(tfOf(y))) }).batch(5) as tfd.Dataset<tf.TensorContainerObject>;
    ours.compile({ optimizer: new SGD({ learningRate: 0.2 }), loss: 'categoricalCrossentropy' });
    theirs.compile({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy' });
    const history = await ours.fitDataset(dataset(), { epochs: 3, classWeight: { 0: 2, 2: 0.5 } });
    const expected = await theirs.fitDataset(dataset(), { epochs: 3, classWeight: { 0: 2, 1: 1, 2: 0.5 }, verbose: 0 });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expectSameWeights(ours, theirs.getWeights());
  });

  it("in tfjs' other forms for one output: a list of one, an object keyed by the output's name", async () => {
    const rng = caseRng('class weight forms', 0);
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const weights = { 0: 1.5, 1: 0.25, 2: 3 };
    for (const form of ['list', 'keyed'] as const) {
      const { ours, theirs } = twins(rng, 3, 'softmax');
      ours.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy' });
      theirs.compile({ optimizer: tf.train.sgd(0.3), loss: 'categoricalCrossentropy' });
      const [mine, tfjs] =
        form === 'list' ? [[weights], [weights]] : [{ [ours.layers.at(-1)!.name]: weights }, { [theirs.outputNames[0]]: weights }];
      const options = { epochs: 2, batchSize: 3, shuffle: false };
      const history = await ours.fit(x, y, { ...options, classWeight: mine });
      const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, classWeight: tfjs, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, `${form} loss`);
      expectSameWeights(ours, theirs.getWeights());
    }
  });

  it('weighs the training loss only: validation and evaluate are unweighted, as in Keras', async () => {
    const rng = caseRng('class weight validation', 0);
    const { ours } = twins(rng, 3, 'softmax');
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    ours.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'categoricalCrossentropy' });
    const history = await ours.fit(x, y, { epochs: 1, batchSize: 4, validationData: [x, y], classWeight: { 0: 5, 1: 5, 2: 5 } });
    const plain = ours.evaluate(x, y, { batchSize: 4 }).loss;
    expectClose(history.history.val_loss, [plain], 1e-7, 'val_loss');
    expectClose(history.history.loss, [5 * plain], 1e-6, 'loss, every class weighing 5');
  });
});

describe('sampleWeight (Keras’ sample_weight; tfjs’ fit refuses it)', () => {
  /**
   * tfjs' model trained with Keras' weighted loss as its loss function: the per-example loss times
   * the weights of the batch's examples, which onBatchBegin sets (the batches in order).
   */
  function weightedTfjs(theirs: tfl.LayersModel, weights: Tensor, batchSize: number, learningRate: number) {
    let current = tf.ones([batchSize]);
    theirs.compile({
      optimizer: tf.train.sgd(learningRate),
      loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mul(tfl.metrics.categoricalCrossentropy(yTrue, yPred), current),
    });
    const onBatchBegin = async (batch: number) => {
      const from = batch * batchSize;
      current = tf.tensor1d(Array.from(weights.data).slice(from, from + batchSize));
    };
    return { onBatchBegin };
  }

  it('fit: losses and weights as tfjs-layers with Keras’ weighted loss, over 3 epochs of batches of 4 (the last of 2)', async () => {
    const rng = caseRng('sample weight fit', 0);
    const { ours, theirs } = twins(rng, 3, 'softmax');
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const sampleWeight = new Tensor(Float32Array.from(rng.floats(N, 0, 3)), [N], 'float32');
    ours.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const { onBatchBegin } = weightedTfjs(theirs, sampleWeight, 4, 0.3);
    const options = { epochs: 3, batchSize: 4, shuffle: false };
    const history = await ours.fit(x, y, { ...options, sampleWeight });
    const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0, callbacks: { onBatchBegin } });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expectSameWeights(ours, theirs.getWeights());
  });

  it('evaluate: Σ w·loss / N (Keras’ sum over the batch size), accuracy unweighted; Keras’ [N, 1] weights too', () => {
    const rng = caseRng('sample weight evaluate', 0);
    const { ours, theirs } = twins(rng, 3, 'softmax');
    const [x, y] = [f32(rng, [7, 4]), oneHot(rng.ints(7, 0, 2), 3)];
    const weights = rng.floats(7, 0, 2);
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const perExample = tfl.metrics.categoricalCrossentropy(tfOf(y), theirs.predict(tfOf(x)) as tf.Tensor);
    const expected = tf.div(tf.sum(tf.mul(perExample, tf.tensor1d(weights))), 7).dataSync()[0];
    const plain = ours.evaluate(x, y, { batchSize: 3 });
    for (const shape of [[7], [7, 1]]) {
      const result = ours.evaluate(x, y, { batchSize: 3, sampleWeight: new Tensor(Float32Array.from(weights), shape, 'float32') });
      expectClose(result.loss, expected, 1e-6, `loss, weights ${shape}`);
      expect(result.accuracy).toBe(plain.accuracy);
    }
  });

  it('validationData’s own weights weigh val_loss; validationSplit splits the weights with the examples', async () => {
    const rng = caseRng('sample weight validation', 0);
    const { ours } = twins(rng, 3, 'softmax');
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const sampleWeight = new Tensor(Float32Array.from(rng.floats(N, 0, 3)), [N], 'float32');
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    const given = await ours.fit(x, y, { epochs: 1, batchSize: 4, validationData: [x, y, sampleWeight] });
    expectClose(given.history.val_loss, [ours.evaluate(x, y, { batchSize: 4, sampleWeight }).loss], 1e-7, 'validationData');
    const split = await ours.fit(x, y, { epochs: 1, batchSize: 4, sampleWeight, validationSplit: 0.3 });
    const last = range(7, N);
    const held = ours.evaluate(gather(x, last), gather(y, last), { batchSize: 4, sampleWeight: gather(sampleWeight, last) });
    expectClose(split.history.val_loss, [held.loss], 1e-7, 'validationSplit');
  });

  it('a functional model of two outputs weighs each output’s loss by the same weights, as Keras does with one array', async () => {
    const rng = caseRng('sample weight multi', 0);
    const input = Input({ shape: [4] });
    const hidden = new Dense({ units: 5, activation: 'tanh' }).apply(input);
    const ours = model({
      inputs: input,
      outputs: [new Dense({ units: 3, activation: 'softmax', name: 'a' }).apply(hidden), new Dense({ units: 2, name: 'b' }).apply(hidden)],
    });
    randomizeWeights(ours, rng);
    const [x, ya, yb] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3), f32(rng, [N, 2])];
    const weights = rng.floats(N, 0, 2);
    ours.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'] });
    const [pa, pb] = ours.predict(x) as Tensor[];
    const w = tf.tensor1d(weights);
    const weighted = (perExample: tf.Tensor) => tf.div(tf.sum(tf.mul(perExample, w)), N).dataSync()[0];
    const a = weighted(tfl.metrics.categoricalCrossentropy(tfOf(ya), tfOf(pa)));
    const b = weighted(tf.mean(tf.square(tf.sub(tfOf(pb), tfOf(yb))), -1));
    const result = ours.evaluate(x, [ya, yb], { batchSize: 4, sampleWeight: new Tensor(Float32Array.from(weights), [N], 'float32') });
    expectClose([result.loss, result.a_loss, result.b_loss], [a + b, a, b], 1e-6, 'losses');
  });
});

describe('bad weights are refused naming the option, what it got and what was expected', () => {
  const rng = caseRng('loss weights errors', 0);
  const x = f32(rng, [4, 4]);
  const y = oneHot([0, 1, 2, 1], 3);

  it('classWeight', async () => {
    const { ours } = twins(rng, 3, 'softmax');
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    await expectConvlensRejection(
      ours.fit(x, y, { classWeight: { 0: 1, 3: 2 } }),
      'fit: classWeight has the class "3", but the output \'dense_1\' has 3 classes (0 to 2)',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { classWeight: { one: 2 } as never }),
      'fit: classWeight has the class "one", but the output \'dense_1\' has 3 classes (0 to 2)',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { classWeight: { 1: -2 } }),
      'fit: classWeight of class 1 must be a finite number ≥ 0, got -2',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { classWeight: [{ 0: 1 }, { 0: 2 }] }),
      "fit: classWeight as a list takes one object per output; the model has 1 (the output 'dense_1'), got 2",
    );
    await expectConvlensRejection(
      ours.fit(x, y, { classWeight: { dense: { 0: 1 } } }),
      'fit: classWeight has the class "dense", but the output \'dense_1\' has 3 classes (0 to 2)',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { classWeight: 2 as never }),
      'fit: classWeight must be an object of weights by class index, e.g. { 0: 1, 1: 5 }, got 2',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { classWeight: { 0: 1 }, sampleWeight: column([1, 1, 1, 1]) }),
      'fit: give classWeight or sampleWeight, not both (as in Keras 3: fold the class weights into the sample weights)',
    );
  });

  it('sampleWeight', async () => {
    const { ours } = twins(rng, 3, 'softmax');
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    await expectConvlensRejection(
      ours.fit(x, y, { sampleWeight: column([1, 2, 3]) }),
      'fit: sampleWeight has shape [3, 1], expected one weight per example: [4]',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { sampleWeight: new Tensor(new Float32Array(8), [4, 2], 'float32') }),
      'fit: sampleWeight has shape [4, 2], expected one weight per example: [4]',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { sampleWeight: [1, 2, 3, 4] as never }),
      'fit: sampleWeight must be a Tensor of one weight per example (shape [4]), a list of one per output or an object keyed by output name, got [1, 2, 3, 4]',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { sampleWeight: column([1, Number.NaN, 1, 1]) }),
      'fit: sampleWeight holds NaN for example 1; weights must be finite numbers ≥ 0',
    );
    await expectConvlensRejection(
      ours.fit(x, y, { validationData: [x, y, column([1, 1])] }),
      'fit (validationData): sampleWeight has shape [2, 1], expected one weight per example: [4]',
    );
    expectConvlensError(
      () => ours.evaluate(x, y, { sampleWeight: column([-1, 1, 1, 1]) }),
      'evaluate: sampleWeight holds -1 for example 0; weights must be finite numbers ≥ 0',
    );
    const dataset = {
      async *[Symbol.asyncIterator]() {
        yield { x, y };
      },
    };
    await expectConvlensRejection(
      ours.fit(dataset, { sampleWeight: column([1, 1, 1, 1]) } as never),
      "fit: sampleWeight is not an option when training on a dataset: a dataset's batches carry their weights: [x, y, sampleWeight] or { xs, ys, sampleWeight }",
    );
  });

  it('classWeight on a model of two outputs: one table for all, a list of another length, a key that is no output', async () => {
    const input = Input({ shape: [4] });
    const two = model({
      name: 'two_heads',
      inputs: input,
      outputs: [new Dense({ units: 3, name: 'a' }).apply(input), new Dense({ units: 1, name: 'b' }).apply(input)],
    });
    two.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'binaryCrossentropy'] });
    const labels = [y, column([0, 1, 0, 1])];
    await expectConvlensRejection(
      two.fit(x, labels, { classWeight: { 0: 2 } }),
      "fit: model 'two_heads' has 2 outputs ('a', 'b'): give classWeight per output, a list of one per output or an object keyed by output name (as tfjs takes it; Keras 3 takes class weights for a model of one output only), got { 0: 2 }",
    );
    await expectConvlensRejection(
      two.fit(x, labels, { classWeight: [{ 0: 2 }] }),
      "fit: model 'two_heads' has 2 outputs ('a', 'b'), got classWeight as a list of 1: give one object (or null) per output, in order",
    );
    await expectConvlensRejection(
      two.fit(x, labels, { classWeight: { a: { 0: 2 }, c: { 0: 2 } } }),
      "fit: classWeight has the key 'c', which is not an output: model 'two_heads' has 2 outputs ('a', 'b')",
    );
    await expectConvlensRejection(
      two.fit(x, labels, { classWeight: { a: { 0: 2 }, b: { 2: 1 } } }),
      'fit: classWeight has the class "2", but the output \'b\' has 2 classes (0 to 1)',
    );
  });
});

/** Two heads on a shared hidden layer: 'a' a softmax of 3 classes, 'b' a linear regression of 2; random weights. */
function twoHeads(rng: Rng): Functional {
  const input = Input({ shape: [4] });
  const hidden = new Dense({ units: 5, activation: 'tanh' }).apply(input);
  const ours = model({
    name: 'two_heads',
    inputs: input,
    outputs: [new Dense({ units: 3, activation: 'softmax', name: 'a' }).apply(hidden), new Dense({ units: 2, name: 'b' }).apply(hidden)],
  });
  randomizeWeights(ours, rng);
  return ours;
}

const weightsOf = (values: ArrayLike<number>) => new Tensor(Float32Array.from(values), [values.length], 'float32');

describe('classWeight per output of a model of several outputs (tfjs’ forms; Keras 3 has it for one output only)', () => {
  it('a list of one per output, or an object keyed by output name (one left out unweighted): as tfjs-layers’ fit', async () => {
    const rng = caseRng('class weight per output', 0);
    const [x, ya, yb] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3), column(rng.ints(N, 0, 1))];
    const [forA, forB] = [
      { 0: 1.5, 1: 0.25, 2: 3 },
      { 0: 0.3, 1: 2 },
    ];
    const forms: [string, ClassWeight[] | Record<string, ClassWeight>][] = [
      ['list', [forA, forB]],
      ['keyed', { a: forA, b: forB }],
      ['keyed, b left out', { a: forA }],
    ];
    for (const [form, classWeight] of forms) {
      resetNames();
      const input = Input({ shape: [4] });
      const hidden = new Dense({ units: 5, activation: 'tanh' }).apply(input);
      const ours = model({
        inputs: input,
        outputs: [
          new Dense({ units: 3, activation: 'softmax', name: 'a' }).apply(hidden),
          new Dense({ units: 1, activation: 'sigmoid', name: 'b' }).apply(hidden),
        ],
      });
      randomizeWeights(ours, rng);
      const tfInput = tfl.input({ shape: [4] });
      const tfHidden = tfl.layers.dense({ units: 5, activation: 'tanh' }).apply(tfInput) as tfl.SymbolicTensor;
      const theirs = tfl.model({
        inputs: tfInput,
        outputs: [
          tfl.layers.dense({ units: 3, activation: 'softmax', name: 'a' }).apply(tfHidden) as tfl.SymbolicTensor,
          tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'b' }).apply(tfHidden) as tfl.SymbolicTensor,
        ],
      });
      theirs.setWeights(ours.getWeights().map(tfOf));
      ours.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: ['categoricalCrossentropy', 'binaryCrossentropy'] });
      theirs.compile({ optimizer: tf.train.sgd(0.3), loss: ['categoricalCrossentropy', 'binaryCrossentropy'] });
      const options = { epochs: 3, batchSize: 4, shuffle: false };
      const history = await ours.fit(x, [ya, yb], { ...options, classWeight });
      const expected = await theirs.fit(tfOf(x), [tfOf(ya), tfOf(yb)], { ...options, classWeight, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, `${form}: loss`);
      expectClose(history.history.b_loss, expected.history.b_loss as number[], 1e-5, `${form}: b_loss`);
      expectSameWeights(ours, theirs.getWeights());
    }
  });
});

describe('sampleWeight for a model of several outputs: a list of one per output or an object keyed by output name (Keras’ forms)', () => {
  it('evaluate: each output’s loss Σ w·loss / N by its own weights, null unweighted; the list and the object alike', () => {
    const rng = caseRng('sample weight per output', 0);
    const ours = twoHeads(rng);
    const [x, ya, yb] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3), f32(rng, [N, 2])];
    const [wa, wb] = [rng.floats(N, 0, 2), rng.floats(N, 0, 2)];
    ours.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'], lossWeights: [1, 0.5] });
    const [pa, pb] = ours.predict(x) as Tensor[];
    const weighted = (perExample: tf.Tensor, w?: Float32Array) =>
      tf.div(tf.sum(w ? tf.mul(perExample, tf.tensor1d(w)) : perExample), N).dataSync()[0];
    const perA = tfl.metrics.categoricalCrossentropy(tfOf(ya), tfOf(pa));
    const perB = tf.mean(tf.square(tf.sub(tfOf(pb), tfOf(yb))), -1);
    const [a, b] = [weighted(perA, wa), weighted(perB, wb)];
    const forms = {
      list: [weightsOf(wa), weightsOf(wb)],
      object: { b: weightsOf(wb), a: weightsOf(wa) },
    };
    for (const [form, sampleWeight] of Object.entries(forms)) {
      const result = ours.evaluate(x, [ya, yb], { batchSize: 4, sampleWeight });
      expectClose([result.loss, result.a_loss, result.b_loss], [a + 0.5 * b, a, b], 1e-6, form);
    }
    const unweightedB = weighted(perB);
    for (const sampleWeight of [[weightsOf(wa), null], { a: weightsOf(wa), b: null }]) {
      const result = ours.evaluate(x, [ya, yb], { batchSize: 4, sampleWeight });
      expectClose([result.a_loss, result.b_loss], [a, unweightedB], 1e-6, 'b unweighted');
    }
  });

  it('fit: losses and weights as tfjs-layers with each output’s weighted loss written as its loss function', async () => {
    const rng = caseRng('sample weight per output fit', 0);
    const ours = twoHeads(rng);
    const input = tfl.input({ shape: [4] });
    const hidden = tfl.layers.dense({ units: 5, activation: 'tanh' }).apply(input) as tfl.SymbolicTensor;
    const theirs = tfl.model({
      inputs: input,
      outputs: [
        tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(hidden) as tfl.SymbolicTensor,
        tfl.layers.dense({ units: 2 }).apply(hidden) as tfl.SymbolicTensor,
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const [x, ya, yb] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3), f32(rng, [N, 2])];
    const [wa, wb] = [rng.floats(N, 0, 3), rng.floats(N, 0, 3)];
    const batchSize = 4;
    let current = [tf.ones([batchSize]), tf.ones([batchSize])];
    theirs.compile({
      optimizer: tf.train.sgd(0.2),
      loss: [
        (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mul(tfl.metrics.categoricalCrossentropy(yTrue, yPred), current[0]),
        (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mul(tf.mean(tf.square(tf.sub(yPred, yTrue)), -1), current[1]),
      ],
    });
    const onBatchBegin = async (batch: number) => {
      const from = batch * batchSize;
      current = [wa, wb].map((w) => tf.tensor1d(w.slice(from, from + batchSize)));
    };
    ours.compile({ optimizer: new SGD({ learningRate: 0.2 }), loss: ['categoricalCrossentropy', 'mse'] });
    const options = { epochs: 3, batchSize, shuffle: false };
    const history = await ours.fit(x, { a: ya, b: yb }, { ...options, sampleWeight: { a: weightsOf(wa), b: weightsOf(wb) } });
    const expected = await theirs.fit(tfOf(x), [tfOf(ya), tfOf(yb)], { ...options, verbose: 0, callbacks: { onBatchBegin } });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expectSameWeights(ours, theirs.getWeights());
  });

  it('validationSplit splits each output’s weights with the examples; validationData takes them in the same forms', async () => {
    const rng = caseRng('sample weight per output validation', 0);
    const ours = twoHeads(rng);
    const [x, ya, yb] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3), f32(rng, [N, 2])];
    const [wa, wb] = [weightsOf(rng.floats(N, 0, 3)), weightsOf(rng.floats(N, 0, 3))];
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: ['categoricalCrossentropy', 'mse'] });
    const split = await ours.fit(x, [ya, yb], { epochs: 1, batchSize: 4, sampleWeight: [wa, wb], validationSplit: 0.3 });
    const last = range(7, N);
    const held = ours.evaluate(gather(x, last), [gather(ya, last), gather(yb, last)], {
      batchSize: 4,
      sampleWeight: [gather(wa, last), gather(wb, last)],
    }) as Record<string, number>;
    expectClose([split.history.val_a_loss[0], split.history.val_b_loss[0]], [held.a_loss, held.b_loss], 1e-7, 'validationSplit');
    const given = await ours.fit(x, [ya, yb], { epochs: 1, batchSize: 4, validationData: [x, [ya, yb], { a: wa, b: null }] });
    const evaluated = ours.evaluate(x, [ya, yb], { batchSize: 4, sampleWeight: [wa, null] }) as Record<string, number>;
    expectClose([given.history.val_a_loss[0], given.history.val_b_loss[0]], [evaluated.a_loss, evaluated.b_loss], 1e-7, 'validationData');
  });

  it('a functional model of one output takes its weights in a list of one or keyed by its name, as its labels', () => {
    const rng = caseRng('sample weight one output forms', 0);
    const input = Input({ shape: [4] });
    const one = model({ inputs: input, outputs: new Dense({ units: 3, activation: 'softmax', name: 'only' }).apply(input) });
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const w = weightsOf(rng.floats(N, 0, 3));
    one.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const expected = one.evaluate(x, y, { sampleWeight: w }).loss;
    expect(one.evaluate(x, y).loss).not.toBeCloseTo(expected, 4);
    expect(one.evaluate(x, y, { sampleWeight: [w] }).loss).toBe(expected);
    expect(one.evaluate(x, y, { sampleWeight: { only: w } }).loss).toBe(expected);
  });

  it('refuses a list of another length, a key that is no output, a missing output and bad weights, naming them', async () => {
    const rng = caseRng('sample weight per output errors', 0);
    const ours = twoHeads(rng);
    const [x, ya, yb] = [f32(rng, [4, 4]), oneHot([0, 1, 2, 1], 3), f32(rng, [4, 2])];
    const w = weightsOf([1, 2, 3, 4]);
    ours.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'] });
    await expectConvlensRejection(
      ours.fit(x, [ya, yb], { sampleWeight: [w] }),
      "fit: model 'two_heads' has 2 outputs ('a', 'b'), got sampleWeight as a list of 1: give one array (or null) per output, in order, an object keyed by output name, or one array for all",
    );
    await expectConvlensRejection(
      ours.fit(x, [ya, yb], { sampleWeight: { a: w, c: w } as never }),
      "fit: sampleWeight has the key 'c', which is not an output: model 'two_heads' has 2 outputs ('a', 'b')",
    );
    await expectConvlensRejection(
      ours.fit(x, [ya, yb], { sampleWeight: { a: w } }),
      "fit: sampleWeight has no weights for the output 'b' (null leaves its loss unweighted): model 'two_heads' has 2 outputs ('a', 'b')",
    );
    await expectConvlensRejection(
      ours.fit(x, [ya, yb], { sampleWeight: [w, weightsOf([1, 2])] }),
      "fit: sampleWeight for 'b' has shape [2], expected one weight per example: [4]",
    );
    expectConvlensError(
      () => ours.evaluate(x, [ya, yb], { sampleWeight: { a: w, b: weightsOf([1, -1, 1, 1]) } }),
      "evaluate: sampleWeight for 'b' holds -1 for example 1; weights must be finite numbers ≥ 0",
    );
    await expectConvlensRejection(
      ours.fit(x, [ya, yb], { validationData: [x, [ya, yb], 'heavy' as never] }),
      'fit (validationData): sampleWeight must be a Tensor of one weight per example (shape [4]), a list of one per output or an object keyed by output name, got "heavy"',
    );
  });
});

/**
 * Batches of `size` of x, y and the weights, of tfjs tensors: tfjs-data's `{ xs, ys, sampleWeight }`,
 * or Keras' tuple `[x, y, w]` from a tf.data-like `iterator()` (tfjs-data's batch() stacks a tuple's
 * tensors into one), a new tensor of each every time.
 */
function weightedDataset(form: 'tuple' | 'object', x: Tensor, y: Tensor, w: Tensor, size: number) {
  if (form === 'object') {
    const [xs, ys, ws] = [x, y, w].map((t) => tfd.array(tf.unstack(tfOf(t))));
    return tfd.zip({ xs, ys, sampleWeight: ws }).batch(size) as tfd.Dataset<tf.TensorContainer>;
  }
  return {
    iterator: () => {
      let start = 0;
      return {
        next: () => {
          if (start >= x.shape[0]) return { done: true as const, value: undefined };
          const part = range(start, Math.min(start + size, x.shape[0]));
          start += size;
          return { done: false as const, value: [x, y, w].map((t) => tfOf(gather(t, part))) };
        },
      };
    },
  };
}

describe('sample weights in a dataset’s batches: [x, y, sampleWeight] or { xs, ys, sampleWeight } (Keras’ (x, y, sample_weight))', () => {
  it.each(['tuple', 'object'] as const)('%s: fit, evaluate and validation as on arrays with sampleWeight', async (form) => {
    const rng = caseRng('sample weight dataset', form.length);
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const w = weightsOf(rng.floats(N, 0, 3));
    const [onArrays, onDataset] = [twins(rng, 3, 'softmax').ours, twins(rng, 3, 'softmax').ours];
    onDataset.setWeights(onArrays.getWeights());
    for (const m of [onArrays, onDataset]) m.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy' });
    const expected = await onArrays.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, sampleWeight: w, validationData: [x, y, w] });
    const [train, validation] = [weightedDataset(form, x, y, w, 4), weightedDataset(form, x, y, w, 4)];
    const tensorsBefore = tf.memory().numTensors;
    const history = await onDataset.fit(train, { epochs: 2, validationData: validation });
    expect(tf.memory().numTensors).toBe(tensorsBefore); // the batches' weights disposed of with their xs and ys, as tfjs does
    expectClose(history.history.loss, expected.history.loss, 1e-6, 'loss');
    expectClose(history.history.val_loss, expected.history.val_loss, 1e-6, 'val_loss');
    expectClose(onDataset.getWeights()[0], onArrays.getWeights()[0].data, 1e-6, 'weights');
    const evaluated = await onDataset.evaluateDataset(weightedDataset(form, x, y, w, 3));
    expectClose(evaluated.loss, onDataset.evaluate(x, y, { batchSize: 3, sampleWeight: w }).loss, 1e-6, 'evaluate');
  });

  it('a model of several outputs: per-output weights keyed by name in { x, y, sampleWeight } batches, as on arrays', async () => {
    const rng = caseRng('sample weight dataset multi', 0);
    const [onArrays, onDataset] = [twoHeads(rng), twoHeads(rng)];
    onDataset.setWeights(onArrays.getWeights());
    const [x, ya, yb] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3), f32(rng, [N, 2])];
    const [wa, wb] = [weightsOf(rng.floats(N, 0, 3)), weightsOf(rng.floats(N, 0, 3))];
    for (const m of [onArrays, onDataset])
      m.compile({ optimizer: new SGD({ learningRate: 0.2 }), loss: ['categoricalCrossentropy', 'mse'] });
    const expected = await onArrays.fit(x, [ya, yb], { epochs: 2, batchSize: 5, shuffle: false, sampleWeight: { a: wa, b: wb } });
    const batches = {
      async *[Symbol.asyncIterator]() {
        for (const part of [range(0, 5), range(5, N)]) {
          yield { x: gather(x, part), y: [gather(ya, part), gather(yb, part)], sampleWeight: { a: gather(wa, part), b: gather(wb, part) } };
        }
      },
    };
    const history = await onDataset.fit(batches, { epochs: 2 });
    for (const key of ['loss', 'a_loss', 'b_loss']) expectClose(history.history[key], expected.history[key], 1e-6, key);
  });

  it('refuses classWeight with weighted batches, and bad weights naming the batch', async () => {
    const rng = caseRng('sample weight dataset errors', 0);
    const { ours } = twins(rng, 3, 'softmax');
    const [x, y] = [f32(rng, [4, 4]), oneHot([0, 1, 2, 1], 3)];
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const once = (batch: unknown) => ({
      async *[Symbol.asyncIterator]() {
        yield batch;
      },
    });
    await expectConvlensRejection(
      ours.fit(once([x, y, weightsOf([1, 1, 1, 1])]) as never, { classWeight: { 0: 2 } }),
      'fit (epoch 1, batch 1): give classWeight or sampleWeight, not both (as in Keras 3: fold the class weights into the sample weights)',
    );
    await expectConvlensRejection(
      ours.fit(once({ xs: x, ys: y, sampleWeight: weightsOf([1, 1]) }) as never),
      'fit (epoch 1, batch 1): sampleWeight has shape [2], expected one weight per example: [4]',
    );
    await expectConvlensRejection(
      ours.evaluate(once([x, y, weightsOf([1, Number.NaN, 1, 1])]) as never),
      'evaluate (batch 1): sampleWeight holds NaN for example 1; weights must be finite numbers ≥ 0',
    );
    await expectConvlensRejection(
      ours.fit(once([x]) as never),
      'fit (epoch 1, batch 1): the batch has no labels (y); training and evaluating need them',
    );
    await expectConvlensRejection(
      ours.fit(once({ x, y, sample_weight: weightsOf([1, 1, 1, 1]) }) as never),
      "fit (epoch 1, batch 1): a batch's weights go under sampleWeight (convlens' and tfjs' camelCase), got sample_weight",
    );
    await expectConvlensRejection(
      ours.fit(x, y, { sampleWeight: [weightsOf([1, 1, 1, 1]), weightsOf([1, 1, 1, 1])] as never }),
      `fit: model '${ours.name}' has 1 output ('${ours.layers[1].name}'), got sampleWeight as a list of 2: give one array (or null) per output, in order, an object keyed by output name, or one array for all`,
    );
  });
});
