import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Dense, resetNames, Sequential } from '../layers/index.js';
import { Tensor } from '../tensor/tensor.js';
import {
  BinaryCrossentropy,
  CategoricalCrossentropy,
  type LossSpec,
  MeanSquaredError,
  SparseCategoricalCrossentropy,
} from './loss_specs.js';

// Keras' loss classes as its tutorials write them (`loss=keras.losses.BinaryCrossentropy(from_logits=True)`):
// compile takes an instance, and evaluate gives tfjs-core's losses of the model's outputs.

beforeEach(() => resetNames());

/** A linear model of `units` outputs with random weights, and its outputs (logits) for 6 examples. */
function logitsModel(rng: Rng, units: number) {
  const net = new Sequential([new Dense({ units, inputShape: [3] })]);
  randomizeWeights(net, rng);
  const x = f32(rng, [6, 3]);
  return { net, x, logits: tfOf(net.predict(x)) };
}

const lossOf = (net: Sequential, loss: LossSpec, x: Tensor, y: Tensor) => {
  net.compile({ optimizer: 'sgd', loss });
  return net.evaluate(x, y).loss;
};

describe("Keras' loss classes", () => {
  it('SparseCategoricalCrossentropy and CategoricalCrossentropy (from logits, with label smoothing) give tfjs-core’s softmaxCrossEntropy', () => {
    const rng = caseRng('loss classes categorical', 0);
    const { net, x, logits } = logitsModel(rng, 3);
    const classes = [0, 2, 1, 1, 0, 2];
    const sparse = new Tensor(Int32Array.from(classes), [6], 'int32');
    const oneHot = tf.oneHot(classes, 3);
    const expected = tf.losses.softmaxCrossEntropy(oneHot, logits).dataSync()[0];
    expectClose([lossOf(net, new SparseCategoricalCrossentropy({ fromLogits: true }), x, sparse)], [expected], 1e-5);
    const labels = new Tensor(Float32Array.from(oneHot.dataSync()), [6, 3], 'float32');
    const smoothed = tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, 0.2).dataSync()[0];
    expectClose([lossOf(net, new CategoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.2 }), x, labels)], [smoothed], 1e-5);
  });

  it('BinaryCrossentropy from logits gives sigmoidCrossEntropy; MeanSquaredError meanSquaredError', () => {
    const rng = caseRng('loss classes binary', 0);
    const { net, x, logits } = logitsModel(rng, 1);
    const labels = new Tensor(Float32Array.from([1, 0, 0, 1, 1, 0]), [6, 1], 'float32');
    const expected = tf.losses.sigmoidCrossEntropy(tfOf(labels), logits).dataSync()[0];
    expectClose([lossOf(net, new BinaryCrossentropy({ fromLogits: true }), x, labels)], [expected], 1e-5);
    const squared = tf.losses.meanSquaredError(tfOf(labels), logits).dataSync()[0];
    expectClose([lossOf(net, new MeanSquaredError(), x, labels)], [squared], 1e-5);
  });

  it('are saved with the model as the specs of the factories are', () => {
    const net = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    net.compile({ optimizer: 'adam', loss: new CategoricalCrossentropy({ labelSmoothing: 0.1 }) });
    const again = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    again.compile({ optimizer: 'adam', loss: { name: 'categoricalCrossentropy', labelSmoothing: 0.1 } });
    expect(net.toArtifacts().modelJson.trainingConfig).toEqual(again.toArtifacts().modelJson.trainingConfig);
  });

  it('check their options as the factories do, naming the class', () => {
    expectConvlensError(
      () => new SparseCategoricalCrossentropy({ from_logits: true } as never),
      "losses.SparseCategoricalCrossentropy: unknown option 'from_logits' (did you mean 'fromLogits'?)",
    );
    expectConvlensError(
      () => new BinaryCrossentropy({ labelSmoothing: 2 }),
      'losses.BinaryCrossentropy: labelSmoothing must be a number from 0 to 1, got 2',
    );
  });
});
