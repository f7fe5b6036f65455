import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { f32, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Dense, resetNames, Sequential } from './index.js';

// fit with Keras 3's gradient accumulation and moving average, against tfjs-layers' plain SGD fit
// (which lacks both) stepped by hand and Keras' formulas computed in float64 on its weights.

beforeEach(() => resetNames());

/** A small softmax classifier, convlens' and tfjs' with the same starting weights, and 6 examples of it. */
function models(seed: string) {
  setSeed(7);
  const rng = caseRng(seed, 0);
  const ours = new Sequential([
    new Dense({ units: 4, activation: 'relu', inputShape: [3] }),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
  const theirs = tfl.sequential({
    layers: [tfl.layers.dense({ units: 4, activation: 'relu', inputShape: [3] }), tfl.layers.dense({ units: 2, activation: 'softmax' })],
  });
  theirs.setWeights(ours.getWeights().map(tfOf));
  const labels = rng.ints(6, 0, 1);
  const y = new Tensor(
    Float32Array.from({ length: 12 }, (_, i) => (labels[Math.floor(i / 2)] === i % 2 ? 1 : 0)),
    [6, 2],
    'float32',
  );
  return { ours, theirs, x: f32(rng, [6, 3]), y };
}

const weightsOf = (model: tfl.LayersModel) => model.getWeights().map((w) => Float64Array.from(w.dataSync()));

describe('fit with gradientAccumulationSteps', () => {
  it("3 batches of 2 with accumulation 3 train as tfjs' SGD on batches of 6 (the mean of the 3 batches' gradients), epoch losses too", async () => {
    const { ours, theirs, x, y } = models('fit accumulation');
    ours.compile({ optimizer: new SGD({ learningRate: 0.5, gradientAccumulationSteps: 3 }), loss: 'categoricalCrossentropy' });
    theirs.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    const history = await ours.fit(x, y, { epochs: 4, batchSize: 2, shuffle: false });
    const expected = await theirs.fit(tfOf(x), tfOf(y), { epochs: 4, batchSize: 6, shuffle: false, verbose: 0 });
    // the weights change only at each epoch's third batch: every batch's loss is at the epoch's starting weights
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirs.getWeights()[i].dataSync(), 1e-5, ours.weights[i].name);
  });
});

describe('fit with useEma', () => {
  for (const frequency of [undefined, 2]) {
    it(`ends with the weights' moving average (Keras' finalize_variable_values)${frequency ? ', overwritten with it every 2 updates' : ''}`, async () => {
      const { ours, theirs, x, y } = models(`fit ema ${frequency}`);
      const momentum = 0.8;
      const optimizer = new SGD({ learningRate: 0.5, useEma: true, emaMomentum: momentum, emaOverwriteFrequency: frequency });
      ours.compile({ optimizer, loss: 'categoricalCrossentropy' });
      theirs.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
      const steps = 5;
      await ours.fit(x, y, { epochs: steps, batchSize: 6, shuffle: false });
      // tfjs one step at a time, the average by Keras' formula: a ← w at the first update, then a ← m·a + (1 − m)·w
      let average: Float64Array[] = [];
      for (let t = 0; t < steps; t++) {
        await theirs.fit(tfOf(x), tfOf(y), { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
        const w = weightsOf(theirs);
        average = t === 0 ? w : average.map((a, k) => a.map((value, i) => momentum * value + (1 - momentum) * w[k][i]));
        if (frequency && (t + 1) % frequency === 0) {
          theirs.setWeights(average.map((a, k) => tf.tensor(Float32Array.from(a), theirs.getWeights()[k].shape)));
        }
      }
      for (const [i, w] of ours.getWeights().entries()) expectClose(w, average[i], 1e-5, ours.weights[i].name);
      expect(optimizer.iterations).toBe(steps);
    });
  }
});
