import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Activation, BatchNormalization, Conv2D, Dense, Flatten, fromArtifacts, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

/**
 * Conv2D → BatchNormalization → ReLU → Dense in both libraries, ours seeded, with random gamma,
 * beta and moving statistics (variances positive) copied into tfjs.
 */
function twins(rng: Rng, bn: { momentum?: number; epsilon?: number; center?: boolean; scale?: boolean } = {}) {
  const ours = new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [5, 5, 2] }),
    new BatchNormalization(bn),
    new Activation('relu'),
    new Flatten(),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [5, 5, 2] }),
      tfl.layers.batchNormalization(bn),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const norm = ours.getLayer(1);
  norm.setWeights(
    norm.weights.map((w) => {
      const variance = w.name.endsWith('moving_variance');
      return new Tensor(rng.floats(4, variance ? 0.2 : -1, variance ? 2 : 1), [4], 'float32');
    }),
  );
  // tfjs' model-wide order puts every layer's trainable weights first: copy layer by layer
  theirs.layers.forEach((layer, i) => {
    layer.setWeights(ours.getLayer(i).getWeights().map(tfOf));
  });
  return { ours, theirs };
}

forEachBackend(() => {
  describe('BatchNormalization against tfjs-layers', () => {
    it('predict uses the moving mean and variance (inference), with or without center and scale', () => {
      for (const [c, bn] of [{}, { center: false }, { scale: false, epsilon: 0.1 }, { epsilon: 0 }].entries()) {
        setSeed(40 + c);
        const rng = caseRng('bn predict', c);
        const { ours, theirs } = twins(rng, bn);
        const x = f32(rng, [3, 5, 5, 2]);
        expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, `case ${c}`);
      }
    });

    it('fit normalises by each batch and moves the statistics: losses and every weight, moving ones included, after 3 epochs', async () => {
      setSeed(44);
      const rng = caseRng('bn fit', 0);
      const { ours, theirs } = twins(rng, { momentum: 0.8 });
      const x = f32(rng, [8, 5, 5, 2]);
      const labels = rng.ints(8, 0, 2);
      const y = new Float32Array(8 * 3);
      labels.forEach((l, i) => {
        y[i * 3 + l] = 1;
      });
      const yt = new Tensor(y, [8, 3], 'float32');
      ours.compile({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.5 }), loss: 'categoricalCrossentropy' });
      theirs.compile({ optimizer: tf.train.momentum(0.1, 0.5), loss: 'categoricalCrossentropy' });
      // two batches of 4 per epoch: the statistics move twice an epoch
      const history = await ours.fit(x, yt, { epochs: 3, batchSize: 4, shuffle: false });
      const expected = await theirs.fit(tfOf(x), tfOf(yt), { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
      const theirWeights = theirs.layers.flatMap((layer) => layer.getWeights());
      for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirWeights[i].dataSync(), 1e-4, ours.weights[i].name);
      // and evaluate (inference) agrees afterwards
      const loss = theirs.evaluate(tfOf(x), tfOf(yt)) as tf.Scalar;
      expectClose([ours.evaluate(x, yt).loss], [loss.dataSync()[0]], 1e-5, 'evaluate');
    });
  });
});

describe('BatchNormalization', () => {
  it('trains only gamma and beta, and summary counts the moving statistics as non-trainable, as Keras does', () => {
    const model = new Sequential([new BatchNormalization({ inputShape: [3] })]);
    expect(model.weights.map((w) => w.name)).toEqual([
      'batch_normalization/gamma',
      'batch_normalization/beta',
      'batch_normalization/moving_mean',
      'batch_normalization/moving_variance',
    ]);
    expect(model.getLayer(0).trainableWeights.map((w) => w.name)).toEqual(['batch_normalization/gamma', 'batch_normalization/beta']);
    const text = model.summary(null);
    expect(text).toContain('Total params: 12');
    expect(text).toContain('Trainable params: 6');
    expect(text).toContain('Non-trainable params: 6');
  });

  it("nonTrainableWeights: the moving statistics, and a frozen layer's weights, as tfjs-layers lists them", async () => {
    const model = new Sequential([new Dense({ units: 3, inputShape: [2] }), new BatchNormalization(), new Dense({ units: 1 })]);
    const theirs = await tfjsLoad(model.toArtifacts().modelJson, model.toArtifacts().weightData);
    const names = (ws: { name: string }[]) => ws.map((w) => w.name);
    for (const frozen of [undefined, 2]) {
      if (frozen !== undefined) {
        model.getLayer(frozen).trainable = false;
        theirs.layers[frozen].trainable = false;
      }
      for (const [i, layer] of model.layers.entries()) {
        expect(names(layer.nonTrainableWeights), `layer ${i}`).toEqual(names(theirs.layers[i].nonTrainableWeights));
      }
      expect(names(model.nonTrainableWeights).sort()).toEqual(names(theirs.nonTrainableWeights).sort());
    }
    expect(names(model.nonTrainableWeights)).toEqual([
      'batch_normalization/moving_mean',
      'batch_normalization/moving_variance',
      'dense_1/kernel',
      'dense_1/bias',
    ]);
  });

  it('a tfjs-layers model with it opens in convlens and predicts the same; ours opens in tfjs', async () => {
    setSeed(45);
    const rng = caseRng('bn load', 0);
    const { ours, theirs } = twins(rng);
    let saved: tf.io.ModelArtifacts | undefined;
    await theirs.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = fromArtifacts(
      { modelTopology: saved!.modelTopology, weightsManifest: [{ paths: [], weights: saved!.weightSpecs }] },
      saved!.weightData as ArrayBuffer,
    );
    const x = f32(rng, [2, 5, 5, 2]);
    expectClose(loaded.predict(x), ours.predict(x), 1e-6, 'tfjs → convlens');
    const { modelJson, weightData } = ours.toArtifacts();
    const back = await tfjsLoad(modelJson, weightData);
    expectClose(ours.predict(x), (back.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'convlens → tfjs');
  });

  it("frozen (trainable: false), it runs as at inference even in fit, as Keras 3's does: its statistics stay", async () => {
    setSeed(46);
    const rng = caseRng('bn frozen', 0);
    const { ours } = twins(rng);
    const norm = ours.getLayer(1);
    norm.trainable = false;
    const before = norm.getWeights().map((w) => Array.from(w.data));
    const x = f32(rng, [6, 5, 5, 2]);
    const y = new Tensor(Int32Array.from(rng.ints(6, 0, 2)), [6], 'int32');
    ours.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const start = ours.evaluate(x, y).loss;
    const history = await ours.fit(x, y, { epochs: 2, batchSize: 6, shuffle: false });
    // the first epoch's loss is the model's before any update: normalised by the moving statistics
    expectClose([history.history.loss[0]], [start], 1e-6, 'first loss');
    expect(norm.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    expect(history.history.loss[1]).toBeLessThan(history.history.loss[0]);
  });

  it('names what is wrong', () => {
    expectConvlensError(
      () => new BatchNormalization({ momentum: 2 }),
      "BatchNormalization 'batch_normalization': momentum must be a number from 0 to 1, got 2",
    );
    expectConvlensError(() => new BatchNormalization({ epsilon: -1e-3 }), /epsilon must be a finite number >= 0, got -0.001/);
    expectConvlensError(
      () => new BatchNormalization({ axis: 0, name: 'b' }),
      "BatchNormalization 'b': axis must be the features axis' index (not the batch's, 0), or -1 for the last, got 0",
    );
    expectConvlensError(
      () => new Sequential([new BatchNormalization({ axis: 4, inputShape: [4, 4, 2], name: 'b' })]),
      "b (BatchNormalization): axis 4 is not an axis of inputs [batch, 4, 4, 2] other than the batch's",
    );
    expectConvlensError(
      () => new Sequential([new BatchNormalization({ axis: -4, inputShape: [4, 4, 2], name: 'b' })]),
      "b (BatchNormalization): axis -4 is not an axis of inputs [batch, 4, 4, 2] other than the batch's",
    );
    // Keras' axis 3 for images is the last one, also as a list of one
    expect(new Sequential([new BatchNormalization({ axis: 3, inputShape: [4, 4, 2] })]).outputShape).toEqual([4, 4, 2]);
    expect(new Sequential([new BatchNormalization({ axis: [3], inputShape: [4, 4, 2] })]).outputShape).toEqual([4, 4, 2]);
    expectConvlensError(
      () => new BatchNormalization({ momentun: 0.9 } as never),
      /^BatchNormalization: unknown option 'momentun' \(did you mean 'momentum'\?\)$/,
    );
  });
});
