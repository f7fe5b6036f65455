import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Tensor } from '../tensor/tensor.js';
import { binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy } from '../train/loss_specs.js';
import { SGD } from '../train/optimizers.js';
import { Dense, fromArtifacts, functionalFromArtifacts, Input, model, resetNames, Sequential } from './index.js';

// Keras' label_smoothing of the categorical and binary cross-entropies (targets t·(1 − s) + s/C,
// or + s/2 for binary), which tfjs-layers' losses lack: checked against tfjs-core's
// softmaxCrossEntropy and sigmoidCrossEntropy (whose labelSmoothing is Keras'), and against
// tfjs-layers trained with the smoothed targets in its loss function.

beforeEach(() => resetNames());

const oneHot = (rng: Rng, n: number, classes: number) => {
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) out[i * classes + rng.int(0, classes - 1)] = 1;
  return new Tensor(out, [n, classes], 'float32');
};

const binaryLabels = (rng: Rng, shape: number[]) => new Tensor(Float32Array.from(rng.ints(shape[0] * shape[1], 0, 1)), shape, 'float32');

/** A Dense model with random weights: `units` outputs through `activation`. */
function dense(rng: Rng, units: number, activation: 'linear' | 'softmax' | 'sigmoid'): Sequential {
  const net = new Sequential([new Dense({ units: 4, activation: 'tanh', inputShape: [3] }), new Dense({ units, activation })]);
  randomizeWeights(net, rng);
  return net;
}

describe('label smoothing', () => {
  it('from logits: evaluate gives tfjs-core’s softmaxCrossEntropy and sigmoidCrossEntropy with their labelSmoothing', () => {
    const rng = caseRng('label smoothing logits', 0);
    const x = f32(rng, [7, 3]);
    const categorical = dense(rng, 4, 'linear');
    const y = oneHot(rng, 7, 4);
    categorical.compile({ optimizer: 'sgd', loss: categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.2 }) });
    const logits = tfOf(categorical.predict(x));
    expectClose(
      categorical.evaluate(x, y).loss,
      tf.losses.softmaxCrossEntropy(tfOf(y), logits, undefined, 0.2).dataSync()[0],
      1e-6,
      'categorical',
    );

    const binary = dense(rng, 3, 'linear');
    const labels = binaryLabels(rng, [7, 3]);
    binary.compile({ optimizer: 'sgd', loss: binaryCrossentropy({ fromLogits: true, labelSmoothing: 0.3 }) });
    const binaryLogits = tfOf(binary.predict(x));
    expectClose(
      binary.evaluate(x, labels).loss,
      tf.losses.sigmoidCrossEntropy(tfOf(labels), binaryLogits, undefined, 0.3).dataSync()[0],
      1e-6,
      'binary',
    );
  });

  it.each([
    ['softmax, categorical cross-entropy', 'softmax', 3, 0.1],
    ['sigmoid, binary cross-entropy', 'sigmoid', 2, 0.25],
  ] as const)(
    '%s of probabilities: fit matches tfjs-layers with the smoothed targets in its loss, over 3 epochs of 3 batches',
    async (_, activation, units, smoothing) => {
      const rng = caseRng('label smoothing fit', units);
      const ours = dense(rng, units, activation);
      const theirs = tfl.sequential({
        layers: [tfl.layers.dense({ units: 4, activation: 'tanh', inputShape: [3] }), tfl.layers.dense({ units, activation })],
      });
      theirs.setWeights(ours.getWeights().map(tfOf));
      const categorical = activation === 'softmax';
      const [x, y] = [f32(rng, [9, 3]), categorical ? oneHot(rng, 9, units) : binaryLabels(rng, [9, units])];
      // Keras' smoothing: towards 1/C for the categorical, 1/2 for the binary
      const smoothed = (t: tf.Tensor) => tf.add(tf.mul(t, 1 - smoothing), smoothing / (categorical ? units : 2));
      const loss = categorical ? tfl.metrics.categoricalCrossentropy : tfl.metrics.binaryCrossentropy;
      ours.compile({
        optimizer: new SGD({ learningRate: 0.5 }),
        loss: categorical ? categoricalCrossentropy({ labelSmoothing: smoothing }) : binaryCrossentropy({ labelSmoothing: smoothing }),
      });
      theirs.compile({ optimizer: tf.train.sgd(0.5), loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => loss(smoothed(yTrue), yPred) });
      const options = { epochs: 3, batchSize: 3, shuffle: false };
      const history = await ours.fit(x, y, options);
      const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 });
      expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
      for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirs.getWeights()[i].dataSync(), 1e-4, ours.weights[i].name);
    },
  );

  it('is read from a saved Keras training_config (a sparse loss’s is refused with a warning), and a model of several outputs saves and reads its own', () => {
    const rng = caseRng('label smoothing saved', 0);
    const ours = dense(rng, 3, 'softmax');
    const [x, y] = [f32(rng, [5, 3]), oneHot(rng, 5, 3)];
    ours.compile({ optimizer: 'sgd', loss: categoricalCrossentropy({ labelSmoothing: 0.15 }) });
    // tfjs' trainingConfig has no place for it: saved as Keras saves it, which tfjs ignores, and read back compiled
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.trainingConfig).toBeUndefined();
    expect((modelJson.modelTopology as { training_config: { loss: unknown } }).training_config.loss).toEqual({
      class_name: 'CategoricalCrossentropy',
      config: { from_logits: false, label_smoothing: 0.15 },
    });
    const reloaded = fromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
    expectClose(reloaded.evaluate(x, y).loss, ours.evaluate(x, y).loss, 1e-7, 'reloaded');
    expect(reloaded.trainingConfig()).toEqual(ours.trainingConfig());
    const keras = (config: Record<string, unknown>, className = 'CategoricalCrossentropy') => ({
      ...modelJson,
      modelTopology: {
        ...(modelJson.modelTopology as object),
        training_config: {
          loss: { class_name: className, config: { reduction: 'sum_over_batch_size', from_logits: false, axis: -1, ...config } },
          optimizer_config: { class_name: 'SGD', config: { learning_rate: 0.01 } },
        },
      },
    });
    const loaded = fromArtifacts(keras({ label_smoothing: 0.15 }), weightData);
    expectClose(loaded.evaluate(x, y).loss, ours.evaluate(x, y).loss, 1e-7, 'loaded');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(fromArtifacts(keras({ label_smoothing: 0.1 }, 'SparseCategoricalCrossentropy'), weightData).trainingConfig()).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(
        "convlens: the model's saved compile settings are not restored (compile: loss.labelSmoothing is for categoricalCrossentropy and binaryCrossentropy, as in Keras, not sparseCategoricalCrossentropy (categoricalCrossentropy of one-hot labels takes it)); compile it before fit or evaluate",
      );
    } finally {
      warn.mockRestore();
    }

    const input = Input({ shape: [3] });
    const two = model({
      inputs: input,
      outputs: [
        new Dense({ units: 3, activation: 'softmax', name: 'a' }).apply(input),
        new Dense({ units: 2, activation: 'sigmoid', name: 'b' }).apply(input),
      ],
    });
    two.compile({
      optimizer: 'sgd',
      loss: { a: categoricalCrossentropy({ labelSmoothing: 0.2 }), b: binaryCrossentropy({ labelSmoothing: 0.1 }) },
    });
    const again = functionalFromArtifacts(two.toArtifacts());
    const labels = [y, binaryLabels(rng, [5, 2])];
    expectClose(Object.values(again.evaluate(x, labels)), Object.values(two.evaluate(x, labels)), 1e-7, 'two outputs reloaded');
    expect((two.toArtifacts().modelJson.modelTopology as { training_config: { loss: unknown } }).training_config.loss).toEqual({
      a: { class_name: 'CategoricalCrossentropy', config: { from_logits: false, label_smoothing: 0.2 } },
      b: { class_name: 'BinaryCrossentropy', config: { from_logits: false, label_smoothing: 0.1 } },
    });
  });

  it('refuses what Keras refuses, naming the loss and the setting', () => {
    expectConvlensError(
      () => categoricalCrossentropy({ labelSmoothing: 1.5 }),
      'losses.categoricalCrossentropy: labelSmoothing must be a number from 0 to 1, got 1.5',
    );
    expectConvlensError(
      () => binaryCrossentropy({ labelSmoothing: '0.1' as never }),
      'losses.binaryCrossentropy: labelSmoothing must be a number from 0 to 1, got "0.1"',
    );
    expectConvlensError(
      () => sparseCategoricalCrossentropy({ labelSmoothing: 0.1 } as never),
      "losses.sparseCategoricalCrossentropy: unknown option 'labelSmoothing' (expected one of fromLogits)",
    );
    const net = dense(caseRng('label smoothing errors', 0), 2, 'softmax');
    expectConvlensError(
      () => net.compile({ optimizer: 'sgd', loss: { name: 'mse', labelSmoothing: 0.1 } }),
      'compile: loss.labelSmoothing is for categoricalCrossentropy and binaryCrossentropy, as in Keras, not meanSquaredError',
    );
    expectConvlensError(
      () => net.compile({ optimizer: 'sgd', loss: { name: 'categoricalCrossentropy', smoothing: 0.1 } as never }),
      /^compile \(loss\): unknown option 'smoothing'/,
    );
  });
});
