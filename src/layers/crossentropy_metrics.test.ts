import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Conv2D, Dense, Flatten, fromArtifacts, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

const LEARNING_RATE = 0.2;

/** A small softmax convnet, ours and tfjs', with the same random weights. */
function pair(seed: number): { ours: Sequential; theirs: tfl.Sequential } {
  const rng = caseRng('crossentropy metrics', seed);
  const ours = new Sequential([
    new Conv2D({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [5, 5, 1] }),
    new Flatten(),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  ours.setWeights(ours.weights.map((w) => f32(rng, w.shape, -0.8, 0.8)));
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [5, 5, 1] }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  theirs.setWeights(ours.getWeights().map(tfOf));
  return { ours, theirs };
}

describe('cross-entropy metrics in fit and evaluate', () => {
  for (const [loss, metric] of [
    ['categoricalCrossentropy', 'categoricalCrossentropy'],
    ['sparseCategoricalCrossentropy', 'sparseCategoricalCrossentropy'],
    ['meanSquaredError', 'categoricalCrossentropy'],
  ] as const) {
    it(`${metric} beside ${loss}: history and evaluate match tfjs-layers' metric, and the model saves and loads compiled both ways`, async () => {
      const { ours, theirs } = pair(loss.length);
      const rng = caseRng('crossentropy metrics data', loss.length);
      const x = f32(rng, [6, 5, 5, 1]);
      const labels = rng.ints(6, 0, 2);
      const sparse = loss === 'sparseCategoricalCrossentropy';
      const oneHot = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), 'float32');
      const y = sparse ? new Tensor(labels, [6], 'int32') : new Tensor(Float32Array.from(oneHot.dataSync()), [6, 3], 'float32');
      // tfjs' sparse loss and metric floor float labels
      const theirY = sparse ? tf.tensor1d(Array.from(labels), 'float32') : oneHot;
      ours.compile({ optimizer: new SGD({ learningRate: LEARNING_RATE }), loss, metrics: [metric] });
      theirs.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss, metrics: [metric] });
      const options = { epochs: 3, batchSize: 3, shuffle: false };
      const history = await ours.fit(x, y, options);
      const expected = await theirs.fit(tfOf(x), theirY, { ...options, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
      expectClose(history.history[metric], expected.history[metric] as number[], 1e-5, metric);
      const [theirLoss, theirMetric] = theirs.evaluate(tfOf(x), theirY) as tf.Scalar[];
      const expectedEvaluation = [theirLoss.dataSync()[0], theirMetric.dataSync()[0]];
      const evaluation = ours.evaluate(x, y);
      expectClose([evaluation.loss, evaluation[metric]], expectedEvaluation, 1e-5, 'evaluate');

      const { modelJson, weightData } = ours.toArtifacts();
      const inTfjs = await tfjsLoad(modelJson, weightData);
      expect(inTfjs.metricsNames).toEqual(['loss', metric]);
      const saved = await tfjsSaved(theirs, { includeOptimizer: true });
      const fromTfjs = fromArtifacts(saved.modelJson, saved.weightData);
      const loaded = fromTfjs.evaluate(x, y);
      // tfjs saves the metric by its Keras name, which then keys it
      const savedName = metric === 'categoricalCrossentropy' ? 'categorical_crossentropy' : 'sparse_categorical_crossentropy';
      expectClose([loaded.loss, loaded[savedName]], expectedEvaluation, 1e-5, 'loaded from tfjs');
    });
  }
});
