import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { Dense, fromArtifacts, resetNames, Sequential } from '../layers/index.js';
import { Tensor } from '../tensor/tensor.js';
import { BinaryAccuracy, CategoricalAccuracy, MeanAbsoluteError } from './metric_specs.js';

// Keras' metric classes in compile (`metrics=[keras.metrics.BinaryAccuracy(name="acc")]`): logged
// under their name, computed as tfjs-layers' metrics of the same kind.

beforeEach(() => resetNames());

const scores = (result: tf.Scalar | tf.Scalar[]) => (Array.isArray(result) ? result : [result]).map((s) => s.dataSync()[0]);

describe("Keras' metric classes", () => {
  it("BinaryAccuracy({ name: 'acc' }) logs 'acc' and 'val_acc' with tfjs-layers' binaryAccuracy", async () => {
    const rng = caseRng('metric classes binary', 0);
    const ours = new Sequential([new Dense({ units: 1, activation: 'sigmoid', inputShape: [3] })]);
    randomizeWeights(ours, rng);
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [3] })] });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const x = f32(rng, [10, 3]);
    const y = new Tensor(Float32Array.from([1, 0, 1, 1, 0, 0, 1, 0, 1, 0]), [10, 1], 'float32');
    ours.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: [new BinaryAccuracy({ name: 'acc' }), new MeanAbsoluteError()] });
    theirs.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['binaryAccuracy', 'mae'] });
    const score = ours.evaluate(x, y);
    expect(Object.keys(score)).toEqual(['loss', 'acc', 'mean_absolute_error', 'accuracy']);
    expectClose([...score], scores(theirs.evaluate(tfOf(x), tfOf(y)) as tf.Scalar[]), 1e-5);
    const history = await ours.fit(x, y, { epochs: 1, validationData: [x, y] });
    expect(Object.keys(history.history).sort()).toEqual([
      'acc',
      'loss',
      'mean_absolute_error',
      'val_acc',
      'val_loss',
      'val_mean_absolute_error',
    ]);
  });

  it("CategoricalAccuracy() logs Keras' default name, categorical_accuracy, with tfjs-layers' categoricalAccuracy", () => {
    const rng = caseRng('metric classes categorical', 0);
    const ours = new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    randomizeWeights(ours, rng);
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const x = f32(rng, [9, 4]);
    const y = new Tensor(
      Float32Array.from({ length: 27 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
      [9, 3],
      'float32',
    );
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: [new CategoricalAccuracy()] });
    theirs.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['categoricalAccuracy'] });
    const score = ours.evaluate(x, y);
    expect(Object.keys(score)).toEqual(['loss', 'categorical_accuracy', 'accuracy']);
    expectClose([...score], scores(theirs.evaluate(tfOf(x), tfOf(y)) as tf.Scalar[]), 1e-5);
  });

  it('are saved by the name of their kind (the config holds names), and load back as that metric', () => {
    const net = new Sequential([new Dense({ units: 1, activation: 'sigmoid', inputShape: [3] })]);
    net.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: [new BinaryAccuracy({ name: 'acc' })] });
    const { modelJson, weightData } = net.toArtifacts();
    expect(modelJson.trainingConfig?.metrics).toEqual(['binaryAccuracy']);
    const loaded = fromArtifacts(modelJson, weightData);
    const score = loaded.evaluate(
      new Tensor(Float32Array.from([1, 2, 3]), [1, 3], 'float32'),
      new Tensor(Float32Array.from([1]), [1, 1], 'float32'),
    );
    expect(Object.keys(score)).toEqual(['loss', 'binaryAccuracy', 'accuracy']);
  });

  it('check their options, naming the class', () => {
    expectConvlensError(
      () => new BinaryAccuracy({ threshold: 0.7 } as never),
      "metrics.BinaryAccuracy: unknown option 'threshold' (expected one of name)",
    );
    expectConvlensError(
      () => new CategoricalAccuracy({ name: '' }),
      'metrics.CategoricalAccuracy: name must be a non-empty string, got ""',
    );
  });
});
