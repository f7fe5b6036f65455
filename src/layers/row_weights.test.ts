import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Conv2D, Input, model, resetNames, Sequential } from './index.js';

// Keras' sample_weight of one weight per row of an output that has several per example (a pixel of
// a map [N, H, W, C]: weights [N, H, W]): the loss is Σ w·loss / rows, Keras'
// sum_over_batch_size; checked against tfjs-layers trained with a loss that weighs each pixel
// itself (the weights given to it as one more channel of the labels), and against tfjs ops.

beforeEach(() => resetNames());

const N = 4;
const rng = caseRng('row weights', 0);
const x = f32(rng, [N, 6, 6, 1]);
const targets = f32(rng, [N, 6, 6, 2]);
const pixelWeights = f32(rng, [N, 6, 6], 0, 2);

function network(activation?: 'softmax'): Sequential {
  const net = new Sequential([
    new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', inputShape: [6, 6, 1] }),
    new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', activation }),
  ]);
  for (const [i, layer] of net.layers.entries()) randomizeWeights(layer, caseRng('row weights model', i));
  return net;
}

/** Mean squared error over the last axis, times each pixel's weight (the labels' last channel). */
const weightedMse = (yTrue: tf.Tensor, yPred: tf.Tensor) => {
  const [values, weights] = tf.split(yTrue, [2, 1], -1);
  return tf.mul(tf.mean(tf.squaredDifference(values, yPred), -1), tf.squeeze(weights, [-1]));
};

describe('sampleWeight per row of the output', () => {
  it('fit with [N, H, W] weights trains as tfjs-layers stepped by SGD on each pixel-weighted batch loss: the same losses and weights', async () => {
    const ours = network();
    const { modelJson, weightData } = ours.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    ours.compile({ optimizer: new SGD({ learningRate: 0.2 }), loss: 'meanSquaredError' });
    const history = await ours.fit(x, targets, { epochs: 3, batchSize: 2, shuffle: false, sampleWeight: pixelWeights });

    const optimizer = tf.train.sgd(0.2);
    const packed = tf.concat([tfOf(targets), tf.expandDims(tfOf(pixelWeights), -1)], -1);
    const expectedLoss: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      const losses = [0, 2].map((start) => {
        const batch = (t: tf.Tensor) => tf.slice(t, start, 2);
        const step = () => tf.mean(weightedMse(batch(packed), theirs.apply(batch(tfOf(x)), { training: true }) as tf.Tensor)) as tf.Scalar;
        return optimizer.minimize(step, true)!.dataSync()[0];
      });
      expectedLoss.push((losses[0] + losses[1]) / 2);
    }
    expectClose(history.history.loss, expectedLoss, 1e-5, 'loss');
    const theirWeights = theirs.getWeights();
    for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirWeights[i].dataSync(), 1e-5, ours.weights[i].name);
  });

  it("evaluate's loss and weighted accuracy with [N, H, W, 1] weights (the last axis squeezed, as Keras does), against tfjs ops", () => {
    const net = network('softmax');
    net.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', weightedMetrics: ['accuracy'] });
    const labels = new Tensor(
      Int32Array.from({ length: N * 36 }, () => rng.int(0, 1)),
      [N, 6, 6],
      'int32',
    );
    const result = net.evaluate(x, labels, { sampleWeight: new Tensor(pixelWeights.data, [N, 6, 6, 1], 'float32') });
    const probs = tfOf(net.predict(x));
    const w = tfOf(pixelWeights);
    const picked = tf.sum(tf.mul(probs, tf.oneHot(tfOf(labels), 2)), -1);
    const loss = tf.mean(tf.mul(tf.neg(tf.log(picked)), w)).dataSync()[0];
    const correct = tf.cast(tf.equal(tf.argMax(probs, -1), tfOf(labels)), 'float32');
    const accuracy = tf.div(tf.sum(tf.mul(correct, w)), tf.sum(w)).dataSync()[0];
    // weightedMetrics' accuracy is logged as 'accuracy', as Keras names it when compile has no plain one
    expectClose([result.loss, result.accuracy], [loss, accuracy], 1e-5);
    const unweighted = tf.mean(correct).dataSync()[0];
    expect(Math.abs(unweighted - accuracy)).toBeGreaterThan(1e-3);
  });

  it('a functional model takes them too; one weight per example still weighs all its rows', async () => {
    const input = Input({ shape: [6, 6, 1] });
    const out = new Conv2D({ filters: 2, kernelSize: 3, padding: 'same' }).apply(input);
    const functional = model({ inputs: input, outputs: out });
    const sequential = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', inputShape: [6, 6, 1] })]);
    sequential.setWeights(functional.getWeights());
    for (const net of [functional, sequential]) net.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const perPixel = functional.evaluate(x, targets, { sampleWeight: pixelWeights }).loss;
    expect(sequential.evaluate(x, targets, { sampleWeight: pixelWeights }).loss).toBeCloseTo(perPixel, 6);
    const perExample = new Tensor(Float32Array.from([0.5, 1, 1.5, 2]), [N], 'float32');
    const spread = new Tensor(
      Float32Array.from({ length: N * 36 }, (_, i) => perExample.data[Math.floor(i / 36)]),
      [N, 6, 6],
      'float32',
    );
    expect(sequential.evaluate(x, targets, { sampleWeight: perExample }).loss).toBeCloseTo(
      sequential.evaluate(x, targets, { sampleWeight: spread }).loss,
      6,
    );
  });

  it('weights of another shape, or not finite, are named with the shapes that would do', async () => {
    const net = network();
    net.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expectConvlensError(
      () => net.evaluate(x, targets, { sampleWeight: f32(rng, [N, 5, 6]) }),
      'evaluate: sampleWeight has shape [4, 5, 6], expected one weight per example: [4], or one per row of the output (its shape without the last axis): [4, 6, 6]',
    );
    const bad = new Tensor(Float32Array.from(pixelWeights.data), [N, 6, 6], 'float32');
    bad.data[40] = Number.NaN;
    await expectConvlensRejection(
      net.fit(x, targets, { sampleWeight: bad }),
      'fit: sampleWeight holds NaN for example 1 (at flat index 40); weights must be finite numbers ≥ 0',
    );
  });
});
