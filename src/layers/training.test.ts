import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose, maxDiff, reportDiff } from '../../test/helpers/close.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, tfOf } from '../../test/helpers/layers.js';
import { byGlobalNorm, byNorm } from '../../test/helpers/optimizers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { ConvlensError } from '../errors.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { adadelta } from '../train/adadelta.js';
import { adagrad } from '../train/adagrad.js';
import { adamax } from '../train/adamax.js';
import type { ClipOptions, Optimizer } from '../train/optimizer.js';
import { Adam, RMSprop, SGD } from '../train/optimizers.js';
import { Activation, Conv2D, Dense, Dropout, Flatten, type Logs, MaxPool2D, resetNames, Sequential } from './index.js';

function oneHot(labels: ArrayLike<number>, classes: number): Tensor<'float32'> {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return new Tensor(out, [labels.length, classes], 'float32');
}

beforeEach(() => resetNames());

/** A small convnet in both libraries, with our (seeded) initial weights copied into tfjs. */
function twinConvnets(head: { units: number; activation: 'softmax' | 'sigmoid' | 'linear' }): { ours: Sequential; theirs: tfl.Sequential } {
  const ours = new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [6, 6, 2] }),
    new MaxPool2D(),
    new Conv2D({ filters: 3, kernelSize: 2, activation: 'tanh', strides: 1 }),
    new Flatten(),
    new Dense(head),
  ]);
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [6, 6, 2] }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh', strides: 1 }),
      tfl.layers.flatten(),
      tfl.layers.dense(head),
    ],
  });
  theirs.setWeights(ours.getWeights().map(tfOf));
  return { ours, theirs };
}

async function compareFit(
  ours: Sequential,
  theirs: tfl.Sequential,
  x: Tensor,
  y: Tensor,
  epochs: number,
  context: string,
): Promise<number> {
  const n = x.shape[0];
  const history = await ours.fit(x, y, { epochs, batchSize: n, shuffle: false });
  const expected = await theirs.fit(tfOf(x), tfOf(y), { epochs, batchSize: n, shuffle: false, verbose: 0 });
  expectClose(history.history.loss, expected.history.loss as number[], 1e-5, `${context} loss`);
  let worst = 0;
  const theirWeights = theirs.getWeights();
  ours.getWeights().forEach((w, i) => {
    const want = theirWeights[i].dataSync();
    expect(w.shape, `${context} weight ${i} shape`).toEqual(theirWeights[i].shape);
    expectClose(w, want, 1e-4, `${context} weight ${i} (${ours.weights[i].name})`);
    worst = Math.max(worst, maxDiff(w.data, want));
  });
  return worst;
}

forEachBackend(() => {
  describe('fit matches tfjs-layers step for step (same initial weights, no shuffle, batch = all)', () => {
    it('softmax + categorical cross-entropy with Adam: loss and updated weights', async () => {
      setSeed(11);
      const rng = caseRng('fit adam', 0);
      const { ours, theirs } = twinConvnets({ units: 3, activation: 'softmax' });
      const x = f32(rng, [8, 6, 6, 2]);
      const y = oneHot(rng.ints(8, 0, 2), 3);
      ours.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      // tfjs adds ε to √v̂ where Keras adds it to √v; with ε/√(1 − β₂) the first steps are identical.
      theirs.compile({ optimizer: tf.train.adam(0.01, 0.9, 0.999, 1e-7 / Math.sqrt(1 - 0.999)), loss: 'categoricalCrossentropy' });
      reportDiff('fit (1 Adam step) weights vs tfjs-layers', await compareFit(ours, theirs, x, y, 1, 'adam'));
    });

    it("mean squared error with RMSprop (Keras' and tfjs' update), 3 epochs", async () => {
      setSeed(13);
      const rng = caseRng('fit rmsprop', 0);
      const { ours, theirs } = twinConvnets({ units: 2, activation: 'linear' });
      const x = f32(rng, [6, 6, 6, 2]);
      const y = f32(rng, [6, 2]);
      ours.compile({ optimizer: new RMSprop({ learningRate: 0.01, momentum: 0.5 }), loss: 'meanSquaredError' });
      theirs.compile({ optimizer: tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7), loss: 'meanSquaredError' });
      reportDiff('fit (3 RMSprop steps) weights vs tfjs-layers', await compareFit(ours, theirs, x, y, 3, 'rmsprop'));
    });

    it('softmax + sparse categorical cross-entropy with SGD momentum, 3 epochs', async () => {
      setSeed(12);
      const rng = caseRng('fit momentum', 0);
      const { ours, theirs } = twinConvnets({ units: 3, activation: 'softmax' });
      const x = f32(rng, [10, 6, 6, 2]);
      const labels = rng.ints(10, 0, 2);
      ours.compile({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }), loss: 'sparse_categorical_crossentropy' });
      // tfjs-layers' sparse loss clips before renormalising; on one-hot labels its categorical
      // loss is Keras' definition of the sparse one.
      theirs.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: 'categoricalCrossentropy' });
      const n = 10;
      const history = await ours.fit(x, new Tensor(labels, [n], 'int32'), { epochs: 3, batchSize: n, shuffle: false });
      const expected = await theirs.fit(tfOf(x), tfOf(oneHot(labels, 3)), { epochs: 3, batchSize: n, shuffle: false, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
      let worst = 0;
      const theirWeights = theirs.getWeights();
      ours.getWeights().forEach((w, i) => {
        expectClose(w, theirWeights[i].dataSync(), 1e-4, `weight ${i}`);
        worst = Math.max(worst, maxDiff(w.data, theirWeights[i].dataSync()));
      });
      reportDiff('fit (3 momentum steps) weights vs tfjs-layers', worst);
    });

    it('a linear head with the loss from logits (Keras from_logits=True): sparse and binary cross-entropy', async () => {
      setSeed(16);
      const rng = caseRng('fit from logits', 0);
      const sparse = twinConvnets({ units: 3, activation: 'linear' });
      const x = f32(rng, [10, 6, 6, 2]);
      const labels = rng.ints(10, 0, 2);
      sparse.ours.compile({
        optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
        loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
      });
      sparse.theirs.compile({
        optimizer: tf.train.momentum(0.1, 0.9),
        loss: (yTrue, logits) => tf.neg(tf.mean(tf.sum(tf.mul(yTrue, tf.logSoftmax(logits)), -1))),
      });
      const history = await sparse.ours.fit(x, new Tensor(labels, [10], 'int32'), { epochs: 3, batchSize: 10, shuffle: false });
      const expected = await sparse.theirs.fit(tfOf(x), tfOf(oneHot(labels, 3)), { epochs: 3, batchSize: 10, shuffle: false, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'sparse loss');
      const theirWeights = sparse.theirs.getWeights();
      sparse.ours.getWeights().forEach((w, i) => {
        expectClose(w, theirWeights[i].dataSync(), 1e-4, `sparse weight ${i}`);
      });

      const binary = twinConvnets({ units: 2, activation: 'linear' });
      const y = new Tensor(
        Float32Array.from({ length: 20 }, () => (rng.bool() ? 1 : 0)),
        [10, 2],
        'float32',
      );
      binary.ours.compile({ optimizer: 'sgd', loss: { name: 'binaryCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
      binary.theirs.compile({ optimizer: tf.train.sgd(0.01), loss: (yTrue, logits) => tf.losses.sigmoidCrossEntropy(yTrue, logits) });
      await compareFit(binary.ours, binary.theirs, x, y, 2, 'binary from logits');
      // accuracy thresholds a logit at 0, where a sigmoid is 0.5
      const logits = binary.ours.predict(x).data;
      const right = Array.from(logits).filter((z, i) => (z > 0 ? 1 : 0) === y.data[i]).length;
      expectClose(binary.ours.evaluate(x, y).accuracy, right / 20, 1e-6, 'binary accuracy from logits');
    });

    it('sigmoid + binary cross-entropy with SGD, 2 epochs, and evaluate', async () => {
      setSeed(13);
      const rng = caseRng('fit bce', 0);
      const { ours, theirs } = twinConvnets({ units: 2, activation: 'sigmoid' });
      const x = f32(rng, [6, 6, 6, 2]);
      const y = new Tensor(
        Float32Array.from({ length: 12 }, () => (rng.bool() ? 1 : 0)),
        [6, 2],
        'float32',
      );
      ours.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      theirs.compile({ optimizer: tf.train.sgd(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      reportDiff('fit (2 SGD steps, sigmoid) weights vs tfjs-layers', await compareFit(ours, theirs, x, y, 2, 'bce'));
      const [loss, accuracy] = theirs.evaluate(tfOf(x), tfOf(y)) as tf.Scalar[];
      const result = ours.evaluate(x, y);
      expectClose(result.loss, loss.dataSync()[0], 1e-5, 'evaluate loss');
      expectClose(result.accuracy, accuracy.dataSync()[0], 1e-6, 'evaluate accuracy');
    });

    it('ReLU layers under max pooling (an Activation layer, overlapping SAME windows, a conv after a conv), with Adam', async () => {
      // the model takes the ReLU's gradient inside max pooling's: this checks that path against tfjs' separate ops
      setSeed(15);
      const rng = caseRng('fit relu pool', 0);
      const ours = new Sequential([
        new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [9, 9, 2] }),
        new Activation('relu'),
        new MaxPool2D({ poolSize: 3, strides: 2, padding: 'same' }),
        new Conv2D({ filters: 5, kernelSize: 2, activation: 'relu' }),
        new Conv2D({ filters: 3, kernelSize: 2, activation: 'relu', padding: 'same' }),
        new MaxPool2D({ poolSize: 2 }),
        new Flatten(),
        new Dense({ units: 3, activation: 'softmax' }),
      ]);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [9, 9, 2] }),
          tfl.layers.activation({ activation: 'relu' }),
          tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
          tfl.layers.conv2d({ filters: 5, kernelSize: 2, activation: 'relu' }),
          tfl.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'relu', padding: 'same' }),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 3, activation: 'softmax' }),
        ],
      });
      theirs.setWeights(ours.getWeights().map(tfOf));
      ours.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
      theirs.compile({ optimizer: tf.train.adam(0.01, 0.9, 0.999, 1e-7 / Math.sqrt(1 - 0.999)), loss: 'categoricalCrossentropy' });
      const x = f32(rng, [6, 9, 9, 2]);
      reportDiff(
        'fit (ReLU under pooling) weights vs tfjs-layers',
        await compareFit(ours, theirs, x, oneHot(rng.ints(6, 0, 2), 3), 1, 'relu pool'),
      );
    });

    it('what fit and evaluate compute in their reused buffers never reaches the caller', async () => {
      setSeed(16);
      const rng = caseRng('fit workspace', 0);
      const model = barNet();
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      const data = bars(24, rng);
      const probe = new Tensor(data.x.data.slice(0, 2 * 64), [2, 8, 8, 1], 'float32');
      const seen: { output: Tensor<'float32'>; copy: number[] }[] = [];
      await model.fit(data.x, new Tensor(data.labels, [24], 'int32'), {
        epochs: 2,
        batchSize: 8,
        callbacks: {
          onBatchEnd: () => {
            const output = model.predict(probe);
            seen.push({ output, copy: Array.from(output.data) });
          },
        },
      });
      model.evaluate(data.x, new Tensor(data.labels, [24], 'int32'), { batchSize: 5 });
      // predictions made between batches keep their values while training goes on
      for (const { output, copy } of seen) expect(Array.from(output.data)).toEqual(copy);
      // layers used on their own (outside fit and evaluate) return fresh arrays
      const a = model.layers[0].apply(probe, true);
      const before = Array.from(a.data);
      model.layers[0].apply(
        new Tensor(
          probe.data.map((v) => v * 2),
          probe.shape,
          'float32',
        ),
        true,
      );
      expect(Array.from(a.data)).toEqual(before);
    });

    it('mean squared error on a linear head with Adam', async () => {
      setSeed(14);
      const rng = caseRng('fit mse', 0);
      const ours = new Sequential([
        new Flatten({ inputShape: [3, 3, 1] }),
        new Dense({ units: 4, activation: 'relu' }),
        new Dense({ units: 2 }),
      ]);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.flatten({ inputShape: [3, 3, 1] }),
          tfl.layers.dense({ units: 4, activation: 'relu' }),
          tfl.layers.dense({ units: 2 }),
        ],
      });
      theirs.setWeights(ours.getWeights().map(tfOf));
      ours.compile({ optimizer: 'adam', loss: 'mse' });
      theirs.compile({ optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7 / Math.sqrt(1 - 0.999)), loss: 'meanSquaredError' });
      await compareFit(ours, theirs, f32(rng, [5, 3, 3, 1]), f32(rng, [5, 2]), 1, 'mse');
    });

    it("Adagrad, Adadelta and Adamax (tfjs-style factories): tfjs-layers' fit with tf.train's, 3 epochs", async () => {
      const cases: [string, () => Optimizer, () => tf.Optimizer][] = [
        ['adagrad', () => adagrad({ learningRate: 0.05 }), () => tf.train.adagrad(0.05)],
        ['adadelta', () => adadelta({ learningRate: 1 }), () => tf.train.adadelta(1)],
        ['adamax', () => adamax(), () => tf.train.adamax()],
      ];
      for (const [name, ours, theirs] of cases) {
        setSeed(15);
        const rng = caseRng(`fit ${name}`, 0);
        const twins = twinConvnets({ units: 3, activation: 'softmax' });
        twins.ours.compile({ optimizer: ours(), loss: 'categoricalCrossentropy' });
        twins.theirs.compile({ optimizer: theirs(), loss: 'categoricalCrossentropy' });
        const x = f32(rng, [8, 6, 6, 2]);
        const worst = await compareFit(twins.ours, twins.theirs, x, oneHot(rng.ints(8, 0, 2), 3), 3, name);
        reportDiff(`fit (3 ${name} steps) weights vs tfjs-layers`, worst);
      }
    });

    it("clipping over the model's weights (globalClipnorm, clipnorm): as tfjs' optimizer given Keras' clipped gradients", async () => {
      const clips: [ClipOptions, (grads: tf.Tensor[]) => tf.Tensor[]][] = [
        [{ globalClipnorm: 0.05 }, byGlobalNorm(0.05)],
        [{ clipnorm: 0.02 }, byNorm(0.02)],
      ];
      for (const [clip, clipped] of clips) {
        setSeed(16);
        const rng = caseRng('fit clip', 0);
        const { ours, theirs } = twinConvnets({ units: 3, activation: 'softmax' });
        const x = f32(rng, [8, 6, 6, 2]);
        const y = oneHot(rng.ints(8, 0, 2), 3);
        ours.compile({ optimizer: new SGD({ learningRate: 0.5, momentum: 0.9, ...clip }), loss: 'categoricalCrossentropy' });
        await ours.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false });
        // tfjs-layers' fit cannot clip: its loop by hand, Keras' clip between the gradients and the update
        const optimizer: tf.Optimizer = tf.train.momentum(0.5, 0.9);
        const variables = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
        for (let epoch = 0; epoch < 3; epoch++) {
          const { grads } = tf.variableGrads(
            () => tf.mean(tfl.metrics.categoricalCrossentropy(tfOf(y), theirs.apply(tfOf(x)) as tf.Tensor)) as tf.Scalar,
            variables,
          );
          const given = clipped(variables.map((v) => grads[v.name]));
          optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, given[i]])));
        }
        const theirWeights = theirs.getWeights();
        for (const [i, w] of ours.getWeights().entries()) {
          expectClose(w, theirWeights[i].dataSync(), 1e-4, `${JSON.stringify(clip)} weight ${i}`);
        }
      }
    });
  });
});

/** Two classes a small convnet must tell apart: a bright vertical bar or a bright horizontal bar, in noise. */
function bars(n: number, rng: Rng): { x: Tensor<'float32'>; labels: Int32Array } {
  const size = 8;
  const x = new Float32Array(n * size * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const at = rng.int(1, size - 2);
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) {
        const onBar = labels[i] === 0 ? c === at : r === at;
        x[(i * size + r) * size + c] = (onBar ? 1 : 0) + 0.3 * rng.float(0, 1);
      }
  }
  return { x: new Tensor(x, [n, size, size, 1], 'float32'), labels };
}

function barNet(dropout = false): Sequential {
  return new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
    new MaxPool2D(),
    new Flatten(),
    ...(dropout ? [new Dropout(0.25)] : []),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
}

describe('fit learns', () => {
  it('reduces the loss and reaches high accuracy on a separable task (held-out data too)', async () => {
    setSeed(21);
    const rng = caseRng('bars', 0);
    const train = bars(200, rng);
    const test = bars(100, rng);
    const model = barNet();
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(train.x, new Tensor(train.labels, [200], 'int32'), { epochs: 8, batchSize: 16 });
    const losses = history.history.loss;
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 4);
    expect(history.history.accuracy[losses.length - 1]).toBeGreaterThan(0.95);
    expect(model.evaluate(test.x, new Tensor(test.labels, [100], 'int32')).accuracy).toBeGreaterThan(0.95);
  });

  it('seeded runs (initial weights, shuffling, dropout) are reproducible', async () => {
    const run = async () => {
      resetNames();
      setSeed(5);
      const data = bars(40, caseRng('bars seeded', 0));
      const model = barNet(true);
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const history = await model.fit(data.x, new Tensor(data.labels, [40], 'int32'), { epochs: 2, batchSize: 8 });
      return { loss: history.history.loss, weights: model.getWeights().map((w) => Array.from(w.data)) };
    };
    const [a, b] = [await run(), await run()];
    expect(a.loss).toEqual(b.loss);
    expect(a.weights).toEqual(b.weights);
  });
});

describe('softmax and sigmoid outputs are trained from their logits, as Keras does', () => {
  it('a saturated wrong prediction costs its full logit margin, not the −log(1e-7) clip', async () => {
    // One input of 1 through Dense(2) with kernel [[100, −100]]: logits [100, −100], label 1.
    const model = new Sequential([new Dense({ units: 2, activation: 'softmax', inputShape: [1] })]);
    model.setWeights([new Tensor(Float32Array.of(100, -100), [1, 2], 'float32'), new Tensor(new Float32Array(2), [2], 'float32')]);
    model.compile({ optimizer: new SGD({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    const x = new Tensor(Float32Array.of(1), [1, 1], 'float32');
    const y = new Tensor(Int32Array.of(1), [1], 'int32');
    // −log softmax(z)₁ = log(e¹⁰⁰ + e⁻¹⁰⁰) + 100 = 200 (the probability itself underflows float32).
    expectClose(model.evaluate(x, y).loss, 200, 1e-6);
    const history = await model.fit(x, y, { epochs: 1 });
    expectClose(history.history.loss[0], 200, 1e-6);
    // The gradient is softmax − onehot = [1, −1] on the logits: the kernel moves by ∓lr.
    expectClose(model.getWeights()[0], [100 - 0.01, -100 + 0.01], 1e-6);
  });

  it('binary cross-entropy with a sigmoid output, likewise', () => {
    const model = new Sequential([new Dense({ units: 1, activation: 'sigmoid', inputShape: [1] })]);
    model.setWeights([new Tensor(Float32Array.of(50), [1, 1], 'float32'), new Tensor(new Float32Array(1), [1], 'float32')]);
    model.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const result = model.evaluate(
      new Tensor(Float32Array.of(1, -1), [2, 1], 'float32'),
      new Tensor(Float32Array.of(0, 1), [2, 1], 'float32'),
    );
    // Each example: max(z, 0) − z·t + log(1 + e^−|z|) with |z| = 50 on the wrong side = 50.
    expectClose(result.loss, 50, 1e-6);
    expect(result.accuracy).toBe(0);
  });
});

describe('fit options and history', () => {
  it('validationSplit holds out the last fraction (before shuffling), as Keras does', async () => {
    setSeed(31);
    const data = bars(10, caseRng('split', 0));
    const y = oneHot(data.labels, 2);
    const model = barNet();
    model.compile({ optimizer: new SGD({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const first8 = new Tensor(data.x.data.slice(0, 8 * 64), [8, 8, 8, 1], 'float32');
    const last2 = new Tensor(data.x.data.slice(8 * 64), [2, 8, 8, 1], 'float32');
    const y8 = new Tensor(y.data.slice(0, 16), [8, 2], 'float32');
    const y2 = new Tensor(y.data.slice(16), [2, 2], 'float32');
    const before = model.evaluate(first8, y8);
    const history = await model.fit(data.x, y, { epochs: 1, batchSize: 8, validationSplit: 0.2 });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(history.epoch).toEqual([0]);
    // One batch of the first 8 examples: its loss is the loss before the update...
    expectClose(history.history.loss[0], before.loss, 1e-6);
    expectClose(history.history.accuracy[0], before.accuracy, 0);
    // ...and validation ran on the last 2 with the updated weights.
    const after = model.evaluate(last2, y2);
    expectClose(history.history.val_loss[0], after.loss, 1e-6);
    expectClose(history.history.val_accuracy[0], after.accuracy, 0);
  });

  it("verbose prints Keras' verbose=2 line per epoch (and one for evaluate); 0, the default, prints nothing", async () => {
    const data = bars(10, caseRng('verbose', 0));
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const y = new Tensor(data.labels, [10], 'int32');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await model.fit(data.x, y, { epochs: 2, batchSize: 4 });
      model.evaluate(data.x, y);
      expect(log).not.toHaveBeenCalled();
      const history = await model.fit(data.x, y, { epochs: 2, batchSize: 4, verbose: 2, validationSplit: 0.2 });
      const { loss } = model.evaluate(data.x, y, { verbose: 1 });
      const lines = log.mock.calls.map((call) => String(call[0]));
      expect(lines).toHaveLength(5);
      expect(lines[0]).toBe('Epoch 1/2');
      expect(lines[2]).toBe('Epoch 2/2');
      const number = (x: number) => x.toFixed(4).replace('.', '\\.');
      const h = history.history;
      expect(lines[3]).toMatch(
        new RegExp(
          `^2/2 - \\d+\\.\\ds - loss: ${number(h.loss[1])} - accuracy: ${number(h.accuracy[1])} - val_loss: ${number(h.val_loss[1])} - val_accuracy: ${number(h.val_accuracy[1])} - \\d+ms/step$`,
        ),
      );
      expect(lines[4]).toMatch(new RegExp(`^1/1 - \\d+\\.\\ds - loss: ${number(loss)} - accuracy: \\d\\.\\d{4} - \\d+ms/step$`));
    } finally {
      log.mockRestore();
    }
    await expect(model.fit(data.x, y, { verbose: 3 as never })).rejects.toThrow('fit: verbose must be 0, 1 or 2, got 3');
  });

  it("compile's metrics (accuracies, mse, mae) match tfjs-layers' evaluate, and fit logs them with val_ twins", async () => {
    setSeed(33);
    const rng = caseRng('metrics', 0);
    const x = f32(rng, [12, 6, 6, 2]);
    // softmax + categorical cross-entropy, with soft labels, so the accuracies and errors differ
    const soft = twinConvnets({ units: 3, activation: 'softmax' });
    const y = oneHot(rng.ints(12, 0, 2), 3);
    soft.ours.compile({
      optimizer: 'sgd',
      loss: 'categoricalCrossentropy',
      metrics: ['categorical_accuracy', 'mse', 'mean_absolute_error'],
    });
    soft.theirs.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['categoricalAccuracy', 'mse', 'mae'] });
    const ours = soft.ours.evaluate(x, y, { batchSize: 5 });
    const theirs = (soft.theirs.evaluate(tfOf(x), tfOf(y), { batchSize: 5 }) as tf.Scalar[]).map((t) => t.dataSync()[0]);
    expectClose([ours.loss, ours.categorical_accuracy, ours.mse, ours.mean_absolute_error], theirs, 1e-5, 'categorical');
    expect(ours.accuracy).toBe(ours.categorical_accuracy);
    // three sigmoid outputs: binary accuracy is the mean over each example's outputs
    const multi = twinConvnets({ units: 3, activation: 'sigmoid' });
    const bits = new Tensor(Float32Array.from(rng.ints(36, 0, 1)), [12, 3], 'float32');
    multi.ours.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['binary_accuracy', 'mae'] });
    multi.theirs.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['binaryAccuracy', 'mae'] });
    const b = multi.ours.evaluate(x, bits);
    const tb = (multi.theirs.evaluate(tfOf(x), tfOf(bits)) as tf.Scalar[]).map((t) => t.dataSync()[0]);
    expectClose([b.loss, b.binary_accuracy, b.mae], tb, 1e-5, 'binary');
    // class indices: tfjs takes sparse accuracy as a function, with labels shaped [N, 1]
    const sparse = twinConvnets({ units: 3, activation: 'softmax' });
    const labels = rng.ints(12, 0, 2);
    sparse.ours.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['sparse_categorical_accuracy'] });
    sparse.theirs.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: [tfl.metrics.sparseCategoricalAccuracy] });
    const sp = sparse.ours.evaluate(x, new Tensor(labels, [12], 'int32'));
    const tsp = (sparse.theirs.evaluate(tfOf(x), tf.tensor2d(Array.from(labels), [12, 1])) as tf.Scalar[]).map((t) => t.dataSync()[0]);
    expectClose([sp.loss, sp.sparse_categorical_accuracy], tsp, 1e-5, 'sparse');
    // fit: each metric under its key, and val_ for the validation data, which equals evaluate after the epoch
    const history = await soft.ours.fit(x, y, { epochs: 2, batchSize: 4, validationData: [x, y] });
    expect(Object.keys(history.history).sort()).toEqual([
      'categorical_accuracy',
      'loss',
      'mean_absolute_error',
      'mse',
      'val_categorical_accuracy',
      'val_loss',
      'val_mean_absolute_error',
      'val_mse',
    ]);
    const after = soft.ours.evaluate(x, y);
    expect(history.history.val_mse[1]).toBeCloseTo(after.mse, 12);
    expect(history.history.val_categorical_accuracy[1]).toBe(after.categorical_accuracy);
  });

  it('accuracy of a convolutional output ([N, H, W, classes]) is the mean over its pixels, as in tfjs-layers', () => {
    setSeed(34);
    const rng = caseRng('pixel accuracy', 0);
    const ours = new Sequential([new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'softmax', inputShape: [5, 4, 2] })]);
    const theirs = tfl.sequential({
      layers: [tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'softmax', inputShape: [5, 4, 2] })],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const x = f32(rng, [3, 5, 4, 2]);
    const y = new Tensor(oneHot(rng.ints(60, 0, 2), 3).data, [3, 5, 4, 3], 'float32');
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] });
    theirs.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] });
    const result = ours.evaluate(x, y);
    const expected = (theirs.evaluate(tfOf(x), tfOf(y)) as tf.Scalar[]).map((t) => t.dataSync()[0]);
    expectClose([result.loss, result.accuracy, result.mse], expected, 1e-5, 'pixels');
    expect(result.accuracy).toBeLessThanOrEqual(1);
  });

  it('labels that do not suit a metric are refused before training, naming it', async () => {
    const data = bars(4, caseRng('metric labels', 0));
    const model = barNet();
    const y = new Tensor(data.labels, [4], 'int32');
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['mse'] });
    await expect(model.fit(data.x, y)).rejects.toThrow(
      /^fit: metric mse compares y with the output, so y must have shape \[4, \d+\], got \[4\]$/,
    );
    expectConvlensError(() => model.evaluate(data.x, y), /^evaluate: metric mse compares y with the output/);
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['sparse_categorical_accuracy'] });
    const oneHotY = oneHot(data.labels, model.outputShape![0]!);
    expectConvlensError(
      () => model.evaluate(data.x, oneHotY),
      /^evaluate: metric sparse_categorical_accuracy takes one class index per example, but y has shape \[4, \d+\]/,
    );
  });

  it("metrics: ['acc'] names the accuracy acc in logs and history, as Keras and tfjs do", async () => {
    const data = bars(4, caseRng('acc key', 0));
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
    const y = new Tensor(data.labels, [4], 'int32');
    const history = await model.fit(data.x, y, { validationData: [data.x, y] });
    expect(Object.keys(history.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss']);
    expect(model.evaluate(data.x, y).accuracy).toBe(history.history.val_acc[0]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['acc', 'accuracy'] });
    const both = await model.fit(data.x, y);
    expect(Object.keys(both.history).sort()).toEqual(['acc', 'accuracy', 'loss']);
  });

  it("compile without an optimizer takes Keras' default, RMSprop", () => {
    const model = barNet();
    expectConvlensError(
      () => model.compile({ optimizer: null as never, loss: 'sparseCategoricalCrossentropy' }),
      "compile: optimizer must be one of 'adam', 'adamw', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax' or an optimizer object, got null",
    );
    model.compile({ loss: 'sparseCategoricalCrossentropy' });
    expect(model.trainingConfig()?.optimizer_config).toEqual({
      class_name: 'RMSProp',
      config: { learningRate: 0.001, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
    });
  });

  it('validationData gives val_loss; callbacks run in order with the logs', async () => {
    setSeed(32);
    const data = bars(12, caseRng('callbacks', 0));
    const model = barNet();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const labels = new Tensor(data.labels, [12], 'int32');
    const events: string[] = [];
    const history = await model.fit(data.x, labels, {
      epochs: 2,
      batchSize: 5,
      validationData: [data.x, labels],
      callbacks: {
        onTrainBegin: () => {
          events.push('begin');
        },
        onEpochBegin: (e) => {
          events.push(`epoch ${e}`);
        },
        onBatchEnd: (b, logs: Logs) => {
          events.push(`batch ${b} ${Object.keys(logs).join(',')}`);
        },
        onEpochEnd: async (e, logs: Logs) => {
          events.push(`end ${e} ${Object.keys(logs).join(',')}`);
        },
        onTrainEnd: () => {
          events.push('done');
        },
      },
    });
    expect(events).toEqual([
      'begin',
      'epoch 0',
      'batch 0 loss',
      'batch 1 loss',
      'batch 2 loss',
      'end 0 loss,val_loss',
      'epoch 1',
      'batch 0 loss',
      'batch 1 loss',
      'batch 2 loss',
      'end 1 loss,val_loss',
      'done',
    ]);
    expect(Object.keys(history.history).sort()).toEqual(['loss', 'val_loss']);
    expectClose(history.history.val_loss[1], model.evaluate(data.x, labels).loss, 1e-6);
  });

  it('callbacks may be a list of hook objects (as tfjs and Keras take), called in order; a bad one is named by its index', async () => {
    setSeed(34);
    const data = bars(8, caseRng('callback list', 0));
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const labels = new Tensor(data.labels, [8], 'int32');
    const events: string[] = [];
    await model.fit(data.x, labels, {
      epochs: 2,
      batchSize: 8,
      callbacks: [
        { onEpochEnd: (e) => void events.push(`a ${e}`) },
        { onEpochBegin: (e) => void events.push(`b begins ${e}`), onEpochEnd: async (e) => void events.push(`b ${e}`) },
      ],
    });
    expect(events).toEqual(['b begins 0', 'a 0', 'b 0', 'b begins 1', 'a 1', 'b 1']);
    await expect(model.fit(data.x, labels, { callbacks: [{}, { onEpochEnds: () => {} } as never] })).rejects.toThrow(
      /^fit \(callbacks\[1\]\): unknown option 'onEpochEnds' \(did you mean 'onEpochEnd'\?\)/,
    );
  });

  it("stopTraining (Keras' stop_training) ends fit after the current batch; that epoch still ends with its logs", async () => {
    setSeed(33);
    const data = bars(12, caseRng('stop', 0));
    const model = barNet();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const labels = new Tensor(data.labels, [12], 'int32');
    const events: string[] = [];
    const history = await model.fit(data.x, labels, {
      epochs: 5,
      batchSize: 4,
      validationData: [data.x, labels],
      callbacks: {
        onBatchEnd: (b) => {
          events.push(`batch ${b}`);
          if (b === 1) model.stopTraining = true;
        },
        onEpochEnd: (e, logs: Logs) => {
          events.push(`end ${e} ${Object.keys(logs).join(',')}`);
        },
        onTrainEnd: () => {
          events.push('done');
        },
      },
    });
    expect(events).toEqual(['batch 0', 'batch 1', 'end 0 loss,val_loss', 'done']);
    expect(history.epoch).toEqual([0]);
    // the next fit starts afresh
    const again = await model.fit(data.x, labels, { epochs: 2, batchSize: 4 });
    expect(again.epoch).toEqual([0, 1]);
  });

  it('fit lets timers run between batches, so a timer can stop it; a second fit at once is refused', async () => {
    setSeed(34);
    const data = bars(64, caseRng('yield', 0));
    const model = barNet();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const labels = new Tensor(data.labels, [64], 'int32');
    let batches = 0;
    setTimeout(() => {
      model.stopTraining = true;
    }, 0);
    const running = model.fit(data.x, labels, {
      epochs: 1000,
      batchSize: 1,
      callbacks: {
        onBatchEnd: () => {
          batches++;
        },
      },
    });
    await expect(model.fit(data.x, labels)).rejects.toThrow(/^fit: this model is training \(await the running fit first\)$/);
    expectConvlensError(() => model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' }), /^compile: this model is training/);
    expectConvlensError(() => model.add(new Dense({ units: 2 })), /^add: this model is training/);
    const history = await running;
    expect(history.epoch).toEqual([0]);
    expect(batches).toBeLessThan(64);
  });

  it('without setImmediate (a browser), fit yields through a MessageChannel and still trains', async () => {
    setSeed(35);
    const data = bars(12, caseRng('yield-browser', 0));
    const model = barNet();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const labels = new Tensor(data.labels, [12], 'int32');
    vi.stubGlobal('setImmediate', undefined);
    try {
      const history = await model.fit(data.x, labels, { epochs: 2, batchSize: 4 });
      expect(history.epoch).toEqual([0, 1]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('NaN in the data is refused before training, naming the example', async () => {
    const data = bars(4, caseRng('nan', 0));
    data.x.data[64 * 2 + 5] = Number.NaN;
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const y = new Tensor(data.labels, [4], 'int32');
    await expect(model.fit(data.x, y, { batchSize: 2, shuffle: false })).rejects.toThrow(
      'fit: x holds NaN in example 2 (at flat index 133); the data must be finite numbers',
    );
    const clean = bars(4, caseRng('nan', 0));
    const soft = new Tensor(Float32Array.of(1, 0, Number.POSITIVE_INFINITY, 0, 0, 1, 1, 0), [4, 2], 'float32');
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    expectConvlensError(
      () => model.evaluate(clean.x, soft),
      'evaluate: y holds Infinity in example 1 (at flat index 2); the data must be finite numbers',
    );
    await expect(model.fit(clean.x, y, { validationData: [data.x, y] })).rejects.toThrow(
      /^fit \(validationData\): x holds NaN in example 2/,
    );
  });

  it('a diverging fit stops while its loss is still a float32, and leaves the weights finite', async () => {
    // w·x with x = 1, 2 against 100, −50 at learning rate 1e6: the loss grows ~1e13 a step
    const model = new Sequential([new Dense({ units: 1, inputShape: [1] })]);
    model.setWeights([new Tensor(new Float32Array([1]), [1, 1], 'float32'), new Tensor(new Float32Array([0]), [1], 'float32')]);
    model.compile({ optimizer: new SGD({ learningRate: 1e6 }), loss: 'meanSquaredError' });
    const x = new Tensor(new Float32Array([1, 2]), [2, 1], 'float32');
    const y = new Tensor(new Float32Array([100, -50]), [2, 1], 'float32');
    await expect(model.fit(x, y, { epochs: 20, batchSize: 1, shuffle: false })).rejects.toThrow(
      /^fit: the loss became Infinity at epoch \d+, batch \d+ \(try a lower learning rate/,
    );
    expect(model.getWeights().every((w) => w.data.every(Number.isFinite))).toBe(true);
    // a finite loss (1e20) whose gradient (2e40) overflows: the update is not applied
    model.setWeights([new Tensor(new Float32Array([1e-20]), [1, 1], 'float32'), new Tensor(new Float32Array([0]), [1], 'float32')]);
    const huge = new Tensor(new Float32Array([1e30]), [1, 1], 'float32');
    await expect(model.fit(huge, new Tensor(new Float32Array([0]), [1, 1], 'float32'))).rejects.toThrow(
      'fit: the gradients overflowed at epoch 1, batch 1; the weights are left as they were before this batch (try a lower learning rate)',
    );
    expect(Array.from(model.getWeights()[0].data)).toEqual([Math.fround(1e-20)]);
  });

  it('labels that do not match the loss or the data are rejected naming the shapes', async () => {
    const data = bars(4, caseRng('labels', 0));
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const classIds = new Tensor(data.labels, [4], 'int32');
    await expect(model.fit(data.x, classIds)).rejects.toThrow(
      'categoricalCrossentropy: labels of shape [4] do not match predictions of shape [4, 2] (for class indices use sparseCategoricalCrossentropy)',
    );
    await expect(model.fit(data.x, oneHot([0, 1, 0], 2))).rejects.toThrow(
      'fit: x has 4 examples (shape [4, 8, 8, 1]) but y has 3 (shape [3, 2])',
    );
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(model.fit(data.x, oneHot(data.labels, 2))).rejects.toThrow(
      'sparseCategoricalCrossentropy: 8 labels (shape [4, 2]) for 4 predictions of shape [4, 2] (expected one class index per row)',
    );
    const error = await model.fit(data.x, new Tensor(Int32Array.of(0, 1, 2, 0), [4], 'int32')).catch((e) => e);
    expect(error).toBeInstanceOf(ConvlensError);
    expect(error.message).toBe('sparseCategoricalCrossentropy: label 2 at index 2 is not a class index in [0, 1]');
    // cross-entropy labels are probabilities: Keras would train towards a negative or zero loss
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    // soft labels, and a row of zeros (left out, as Keras users mask rows), train
    const soft = new Tensor(Float32Array.of(1, 0, 0.3, 0.7, 0, 0, 0, 1), [4, 2], 'float32');
    await model.fit(data.x, soft);
    soft.data.set([0.5, 0.4], 4);
    await expect(model.fit(data.x, soft)).rejects.toThrow(
      'categoricalCrossentropy: the labels of row 2 sum to 0.9, not 1 (expected one-hot rows, probabilities, or zeros to leave a row out)',
    );
    soft.data.set([-1, 2], 4);
    await expect(model.fit(data.x, soft)).rejects.toThrow('categoricalCrossentropy: label -1 at index 4 is not a probability in [0, 1]');
    const binary = new Sequential([new Flatten({ inputShape: [8, 8, 1] }), new Dense({ units: 1, activation: 'sigmoid' })]);
    binary.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    await expect(binary.fit(data.x, new Tensor(Float32Array.of(0, 1, 2, 1), [4, 1], 'float32'))).rejects.toThrow(
      'binaryCrossentropy: label 2 at index 2 is not a probability in [0, 1]',
    );
  });

  it("a bad label in the examples validationSplit holds out is named by its index in y; validationData's as validationData's", async () => {
    const data = bars(4, caseRng('labels', 1));
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const weights = model.getWeights();
    // the last of 4 examples is the one a split of 0.25 holds out: index 3 of y, index 0 of the split
    await expect(model.fit(data.x, new Tensor(Int32Array.of(0, 1, 1, 5), [4], 'int32'), { validationSplit: 0.25 })).rejects.toThrow(
      /^sparseCategoricalCrossentropy: label 5 at index 3 is not a class index in \[0, 1\]$/,
    );
    const validationData: [Tensor, Tensor] = [data.x, new Tensor(Int32Array.of(0, 1, 1, 5), [4], 'int32')];
    await expect(model.fit(data.x, new Tensor(Int32Array.of(0, 1, 1, 0), [4], 'int32'), { validationData })).rejects.toThrow(
      /^fit \(validationData\): sparseCategoricalCrossentropy: label 5 at index 3 is not a class index in \[0, 1\]$/,
    );
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    await expect(model.fit(data.x, oneHot([0, 1, 0, 1], 2), { validationData: [data.x, oneHot([0, 1, 0], 2)] })).rejects.toThrow(
      'fit (validationData): x has 4 examples (shape [4, 8, 8, 1]) but y has 3 (shape [3, 2])',
    );
    // checked before any step: the weights are as they were
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(weights.map((w) => Array.from(w.data)));
  });

  it('a loss from logits after its own softmax warns and uses the logits, as Keras; after another activation, and for mse, it is refused', async () => {
    const data = bars(2, caseRng('from logits errors', 0));
    const y = new Tensor(data.labels, [2], 'int32');
    setSeed(5);
    const plain = barNet();
    setSeed(5);
    const model = barNet();
    plain.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    model.compile({ optimizer: 'sgd', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const expected = await plain.fit(data.x, y, { epochs: 2, shuffle: false });
      const history = await model.fit(data.x, y, { epochs: 2, shuffle: false });
      expect(history.history.loss).toEqual(expected.history.loss);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(
        /^convlens: sparseCategoricalCrossentropy was compiled with fromLogits, but the last layer applies softmax/,
      );
    } finally {
      warn.mockRestore();
    }
    // before any callback runs
    const begun = vi.fn();
    model.compile({ optimizer: 'sgd', loss: { name: 'binaryCrossentropy', fromLogits: true } });
    await expect(model.fit(data.x, oneHot(data.labels, 2), { callbacks: { onTrainBegin: begun } })).rejects.toThrow(
      'fit: binaryCrossentropy takes logits (fromLogits), but the last layer applies softmax: make it linear, or compile without fromLogits',
    );
    expect(begun).not.toHaveBeenCalled();
    expectConvlensError(
      () => model.compile({ optimizer: 'sgd', loss: { name: 'mse', fromLogits: true } }),
      /^compile: fromLogits is for the cross-entropy losses, not meanSquaredError$/,
    );
    expectConvlensError(
      () => model.compile({ optimizer: 'sgd', loss: { name: 'binaryCrossentropy', fromLogits: 'yes' as never } }),
      /^compile: loss.fromLogits must be true or false, got "yes"$/,
    );
    expectConvlensError(() => model.compile({ optimizer: 'sgd', loss: { fromLogits: true } as never }), /^compile: loss.name is required/);
    expectConvlensError(
      () => model.compile({ optimizer: 'sgd', loss: { name: 'binaryCrossentropy', from_logits: true } as never }),
      /from_logits/,
    );
  });

  it('fit and evaluate need compile; options are checked', async () => {
    const data = bars(2, caseRng('compile', 0));
    const model = barNet();
    const y = new Tensor(data.labels, [2], 'int32');
    await expect(model.fit(data.x, y)).rejects.toThrow('fit: compile the model first (model.compile({ optimizer, loss }))');
    expectConvlensError(() => model.evaluate(data.x, y), /evaluate: compile the model first/);
    expectConvlensError(
      () => model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['auc'] }),
      /unknown metric "auc"/,
    );
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await expect(model.fit(data.x, y, { validationSplit: 1 })).rejects.toThrow('fit: validationSplit must be in [0, 1), got 1');
    await expect(model.fit(data.x, y, { batchSize: 0 })).rejects.toThrow('fit: batchSize must be a positive integer, got 0');
  });
});

describe('compile, fit, evaluate and predict check their options', () => {
  const data = () => bars(40, caseRng('options', 0));

  it('unknown or misspelt option keys are errors, not silently ignored', async () => {
    const { x, labels } = data();
    const y = new Tensor(labels, [40], 'int32');
    const model = barNet();
    expectConvlensError(
      () => model.compile({ optimizer: 'adam', loss: 'mse', metric: ['accuracy'] } as never),
      "compile: unknown option 'metric' (did you mean 'metrics'?)",
    );
    expectConvlensError(
      () => model.compile(null as never),
      'compile: expected an options object ({ optimizer, loss, metrics, weightedMetrics }), got null',
    );
    expectConvlensError(
      () => model.compile({ optimizer: 'adam' } as never),
      "compile: loss is required (e.g. 'sparseCategoricalCrossentropy')",
    );
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await expect(model.fit(x, y, { epoch: 5, batch_size: 8 } as never)).rejects.toThrow(
      "fit: unknown option 'epoch' (did you mean 'epochs'?)",
    );
    await expect(model.fit(x, y, { batch_size: 8 } as never)).rejects.toThrow(
      "fit: unknown option 'batch_size' (did you mean 'batchSize'?)",
    );
    await expect(model.fit(x, y, { epochs: 1, verbos: 0 } as never)).rejects.toThrow(
      "fit: unknown option 'verbos' (did you mean 'verbose'?)",
    );
    await expect(model.fit(x, y, null as never)).rejects.toThrow('fit: expected an options object');
    await expect(model.fit(x, y, { callbacks: { onEpochEnds: () => {} } } as never)).rejects.toThrow(
      "fit (callbacks): unknown option 'onEpochEnds' (did you mean 'onEpochEnd'?)",
    );
    await expect(model.fit(x, y, { callbacks: { onBatchEnd: 'log' } } as never)).rejects.toThrow(
      'fit (callbacks): onBatchEnd must be a function, got "log"',
    );
    await expect(model.fit(x, y, { shuffle: 'no' } as never)).rejects.toThrow('fit: shuffle must be true or false, got "no"');
    await expect(model.fit(x, y, { validationData: x } as never)).rejects.toThrow(
      'fit: validationData must be [x, y] or [x, y, sampleWeight] of Tensors, got a Tensor',
    );
    await expect(model.fit(x, y, { epochs: Number.NaN })).rejects.toThrow('fit: epochs must be a non-negative integer, got NaN');
    await expect(model.fit(x, y, { batchSize: Number.POSITIVE_INFINITY })).rejects.toThrow(
      'fit: batchSize must be a positive integer, got Infinity',
    );
    expectConvlensError(
      () => model.evaluate(x, y, { batch_size: 8 } as never),
      "evaluate: unknown option 'batch_size' (did you mean 'batchSize'?)",
    );
    expectConvlensError(
      () => model.evaluate(x, y, null as never),
      'evaluate: expected an options object ({ batchSize, verbose, sampleWeight }), got null',
    );
    expectConvlensError(
      () => model.predict(x, { batch_size: 8 } as never),
      "predict: unknown option 'batch_size' (did you mean 'batchSize'?)",
    );
  });

  it('fit runs the epochs and batch size it is given (checked through the callbacks)', async () => {
    setSeed(41);
    const { x, labels } = data();
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    let batches = 0;
    const history = await model.fit(x, new Tensor(labels, [40], 'int32'), {
      epochs: 3,
      batchSize: 8,
      callbacks: {
        onBatchEnd: () => {
          batches++;
        },
      },
    });
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(batches).toBe(3 * 5);
  });

  it('metrics may be one name; anything else is a clear error (not \'unknown metric "a"\')', async () => {
    setSeed(42);
    const { x, labels } = data();
    const y = new Tensor(labels, [40], 'int32');
    const model = barNet();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: 'accuracy' });
    const history = await model.fit(x, y, { epochs: 1, batchSize: 20 });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss']);
    expectConvlensError(
      () => model.compile({ optimizer: 'adam', loss: 'mse', metrics: 'auc' }),
      "compile: unknown metric \"auc\" (supported: 'accuracy', 'binary_accuracy', 'categorical_accuracy', 'sparse_categorical_accuracy', 'mse', 'mae', 'mape', 'categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy', 'crossentropy', 'precision', 'recall', 'cosine_proximity', 'cosine_similarity', 'r2_score' (also as 'acc', 'ce', 'cosine', Keras' long names and tfjs' camelCase ones))",
    );
    expectConvlensError(() => model.compile({ loss: 'mse', metrics: ['Mse'] }), /^compile: unknown metric "Mse" \(did you mean 'mse'\?\)/);
    expectConvlensError(
      () => model.compile({ optimizer: 'adam', loss: 'mse', metrics: { accuracy: true } as never }),
      "compile: metrics must be a list of metric names (e.g. ['accuracy']), got { accuracy: true }",
    );
  });

  it("a wrong input shape reports the data's shape, not a mini-batch's", async () => {
    const x = new Tensor(new Float32Array(40 * 5 * 5), [40, 5, 5, 1], 'float32');
    const y = new Tensor(new Int32Array(40), [40], 'int32');
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const message = 'conv2d (Conv2D): expected input of shape (None, 8, 8, 1), got [40, 5, 5, 1]';
    await expect(model.fit(x, y)).rejects.toThrow(message);
    await expect(model.fit(x, y, { batchSize: 8 })).rejects.toThrow(message);
    expectConvlensError(() => model.evaluate(x, y, { batchSize: 8 }), message);
    expectConvlensError(() => model.predict(x, { batchSize: 8 }), message);
    const good = bars(40, caseRng('options', 1));
    await expect(model.fit(good.x, new Tensor(good.labels, [40], 'int32'), { validationData: [x, y] })).rejects.toThrow(
      `fit (validationData): ${message}`,
    );
  });

  it('evaluate on no examples is an error, as fit is (not a loss of 0)', async () => {
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = new Tensor(new Float32Array(0), [0, 8, 8, 1], 'float32');
    const y = new Tensor(new Int32Array(0), [0], 'int32');
    expectConvlensError(() => model.evaluate(x, y), 'evaluate: no examples (x has shape [0, 8, 8, 1])');
    await expectConvlensRejection(model.fit(x, y), 'fit: no training examples (x has shape [0, 8, 8, 1])');
    const { x: trainX, labels } = data();
    // caught before training rather than by evaluate after the first epoch
    await expect(model.fit(trainX, new Tensor(labels, [40], 'int32'), { validationData: [x, y] })).rejects.toThrow(
      'fit: the validation data has no examples',
    );
  });

  it('a validationSplit that holds out every example is refused, naming the split and the count, as Keras refuses it', async () => {
    // Keras trains on the first floor(n · (1 − validationSplit)) examples: none of 3 at 0.9
    const model = barNet();
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const { x, labels } = data();
    const three = new Tensor(x.data.slice(0, 3 * 64), [3, 8, 8, 1], 'float32');
    await expectConvlensRejection(
      model.fit(three, new Tensor(labels.slice(0, 3), [3], 'int32'), { validationSplit: 0.9 }),
      "fit: no training examples: validationSplit 0.9 holds out all 3 of x's examples (expected a split that leaves at least one: more data or a smaller validationSplit)",
    );
  });
});
