import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Conv2D, Dense, type Functional, fromArtifacts, functionalFromArtifacts, Input, model, resetNames, Sequential } from './index.js';
import { gather, range } from './model_common.js';

// compile's weightedMetrics (Keras' weighted_metrics): metrics weighted by the sample weights (or
// fit's class weights, which Keras 3 turns into sample weights), Σ w·metric / Σ w over the pass,
// as Keras' Mean metric reduces them; named as Keras 3's CompileMetrics.result names them. tfjs
// lacks them: the expected values are Keras' formula over the predictions, computed with tfjs ops.

beforeEach(() => resetNames());

const N = 10;

const oneHot = (labels: ArrayLike<number>, classes: number) => {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return new Tensor(out, [labels.length, classes], 'float32');
};

const weightsOf = (values: ArrayLike<number>) => new Tensor(Float32Array.from(values), [values.length], 'float32');

/** A small softmax classifier of 3 classes with random weights. */
function classifier(rng: Rng): Sequential {
  const ours = new Sequential([
    new Dense({ units: 5, activation: 'tanh', inputShape: [4] }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  randomizeWeights(ours, rng);
  return ours;
}

/** Each example's categorical accuracy (1 or 0) and mean squared error, from the model's predictions. */
function perExample(predictions: Tensor, y: Tensor): { accuracy: Float32Array; mse: Float32Array } {
  const [p, t] = [tfOf(predictions), tfOf(y)];
  return {
    accuracy: tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(t, -1)), 'float32').dataSync() as Float32Array,
    mse: tf.mean(tf.square(tf.sub(p, t)), -1).dataSync() as Float32Array,
  };
}

/** Keras' weighted mean Σ w·v / Σ w (0 when the weights sum to 0, as its divide_no_nan); the plain mean without weights. */
function weightedMean(values: ArrayLike<number>, weights?: ArrayLike<number>): number {
  const w = weights ?? Array.from(values, () => 1);
  let [sum, total] = [0, 0];
  for (let i = 0; i < values.length; i++) {
    sum += w[i] * values[i];
    total += w[i];
  }
  return total === 0 ? 0 : sum / total;
}

describe('weightedMetrics on a model of one output', () => {
  it('evaluate: Σ w·metric / Σ w; the plain metrics unweighted; a name in both is logged as weighted_<name>, as Keras 3 does', () => {
    const rng = caseRng('weighted metrics evaluate', 0);
    const ours = classifier(rng);
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const w = rng.floats(N, 0, 3);
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'], weightedMetrics: ['accuracy', 'mse'] });
    const { accuracy, mse } = perExample(ours.predict(x) as Tensor, y);
    const result = ours.evaluate(x, y, { batchSize: 3, sampleWeight: weightsOf(w) });
    expect(Object.keys(result)).toEqual(['loss', 'accuracy', 'weighted_accuracy', 'mse']);
    expectClose(
      [result.accuracy, result.weighted_accuracy, result.mse],
      [weightedMean(accuracy), weightedMean(accuracy, w), weightedMean(mse, w)],
      1e-6,
    );
    // no weights: the weighted metrics are plain means
    const plain = ours.evaluate(x, y, { batchSize: 3 });
    expectClose([plain.weighted_accuracy, plain.mse], [weightedMean(accuracy), weightedMean(mse)], 1e-6, 'unweighted');
    // every weight 0: 0, as Keras' Mean (its loss is 0 too)
    const zero = ours.evaluate(x, y, { sampleWeight: weightsOf(new Float32Array(N)) });
    expect([zero.weighted_accuracy, zero.mse]).toEqual([0, 0]);
  });

  it('a weighted accuracy alone is evaluate’s accuracy, as in Keras', () => {
    const rng = caseRng('weighted metrics accuracy', 0);
    const ours = classifier(rng);
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const w = rng.floats(N, 0, 3);
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', weightedMetrics: ['accuracy'] });
    const { accuracy } = perExample(ours.predict(x) as Tensor, y);
    const result = ours.evaluate(x, y, { batchSize: 4, sampleWeight: weightsOf(w) });
    expect(Object.keys(result)).toEqual(['loss', 'accuracy']);
    expectClose(result.accuracy, weightedMean(accuracy, w), 1e-6);
  });

  it('fit: weighted by classWeight in training (Keras 3 makes them sample weights), the validation data by its own weights only', async () => {
    const rng = caseRng('weighted metrics fit', 0);
    const ours = classifier(rng);
    const labels = rng.ints(N, 0, 2);
    const [x, y] = [f32(rng, [N, 4]), oneHot(labels, 3)];
    const classWeight = { 0: 0.5, 1: 3, 2: 1.5 };
    // a learning rate of 0: every batch is predicted by the same weights
    ours.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'categoricalCrossentropy', weightedMetrics: ['acc', 'mse'] });
    const { accuracy, mse } = perExample(ours.predict(x) as Tensor, y);
    const byClass = Array.from(labels, (label) => classWeight[label as 0 | 1 | 2]);
    const validationWeights = rng.floats(N, 0, 2);
    const history = await ours.fit(x, y, { epochs: 2, batchSize: 4, classWeight, validationData: [x, y, weightsOf(validationWeights)] });
    expect(Object.keys(history.history)).toEqual(['loss', 'acc', 'mse', 'val_loss', 'val_acc', 'val_mse']);
    expectClose(history.history.acc, [weightedMean(accuracy, byClass), weightedMean(accuracy, byClass)], 1e-6, 'acc');
    expectClose(history.history.mse, [weightedMean(mse, byClass), weightedMean(mse, byClass)], 1e-6, 'mse');
    expectClose(history.history.val_acc[0], weightedMean(accuracy, validationWeights), 1e-6, 'val_acc');
    expectClose(history.history.val_mse[0], weightedMean(mse, validationWeights), 1e-6, 'val_mse');

    const sampleWeight = rng.floats(N, 0, 3);
    const split = await ours.fit(x, y, { epochs: 1, batchSize: 4, sampleWeight: weightsOf(sampleWeight), validationSplit: 0.3 });
    const [train, held] = [range(0, 7), range(7, N)];
    const pick = (values: ArrayLike<number>, indices: ArrayLike<number>) => Array.from(indices, (i) => values[i]);
    expectClose(split.history.mse[0], weightedMean(pick(mse, train), pick(sampleWeight, train)), 1e-6, 'mse, split');
    expectClose(split.history.val_mse[0], weightedMean(pick(mse, held), pick(sampleWeight, held)), 1e-6, 'val_mse, split');
  });

  it('an output of [N, H, W, C]: each example’s metric the mean over its pixels, weighed by its weight', () => {
    const rng = caseRng('weighted metrics pixels', 0);
    const ours = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', inputShape: [3, 3, 1] })]);
    randomizeWeights(ours, rng);
    const [x, y] = [f32(rng, [5, 3, 3, 1]), f32(rng, [5, 3, 3, 2])];
    const w = rng.floats(5, 0, 2);
    ours.compile({ optimizer: 'sgd', loss: 'mse', weightedMetrics: ['mae'] });
    const predictions = tfOf(ours.predict(x) as Tensor);
    const mae = tf.mean(tf.abs(tf.sub(predictions, tfOf(y))), [1, 2, 3]).dataSync();
    expectClose(ours.evaluate(x, y, { batchSize: 2, sampleWeight: weightsOf(w) }).mae, weightedMean(mae, w), 1e-6);
  });

  it('a dataset’s batch weights weigh them, as evaluate’s sampleWeight does', async () => {
    const rng = caseRng('weighted metrics dataset', 0);
    const ours = classifier(rng);
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const w = weightsOf(rng.floats(N, 0, 3));
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', weightedMetrics: ['accuracy'] });
    const batches = {
      async *[Symbol.asyncIterator]() {
        for (const part of [range(0, 4), range(4, N)]) yield [gather(x, part), gather(y, part), gather(w, part)];
      },
    };
    const onDataset = await ours.evaluate(batches as never);
    expectClose(onDataset.accuracy, ours.evaluate(x, y, { sampleWeight: w }).accuracy, 1e-7);
  });

  it('refuses names it does not know and anything but names, naming weightedMetrics', () => {
    const ours = classifier(caseRng('weighted metrics errors', 0));
    expectConvlensError(
      () => ours.compile({ loss: 'mse', weightedMetrics: ['auc'] }),
      /^compile: unknown metric in weightedMetrics "auc" \(supported: /,
    );
    expectConvlensError(
      () => ours.compile({ loss: 'mse', weightedMetrics: { accuracy: true } as never }),
      "compile: weightedMetrics must be a list of metric names (e.g. ['accuracy']), got { accuracy: true }",
    );
  });
});

/** Two heads named `names` on a shared hidden layer: a softmax of 3 classes and a linear regression of 2; random weights. */
function twoHeads(rng: Rng, names = ['a', 'b']): Functional {
  const input = Input({ shape: [4] });
  const hidden = new Dense({ units: 5, activation: 'tanh' }).apply(input);
  const ours = model({
    inputs: input,
    outputs: [
      new Dense({ units: 3, activation: 'softmax', name: names[0] }).apply(hidden),
      new Dense({ units: 2, name: names[1] }).apply(hidden),
    ],
  });
  randomizeWeights(ours, rng);
  return ours;
}

describe('weightedMetrics on a model of several outputs', () => {
  it('per output, by each output’s weights (one array weighs all); named <output>_<name>, or <output>_weighted_<name>', () => {
    const rng = caseRng('weighted metrics multi', 0);
    const ours = twoHeads(rng);
    const [x, ya, yb] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3), f32(rng, [N, 2])];
    const [wa, wb] = [rng.floats(N, 0, 3), rng.floats(N, 0, 3)];
    ours.compile({
      optimizer: 'sgd',
      loss: ['categoricalCrossentropy', 'mse'],
      metrics: { a: ['accuracy'] },
      weightedMetrics: { a: 'accuracy', b: ['mse'] },
    });
    const [pa, pb] = ours.predict(x) as Tensor[];
    const accuracy = perExample(pa, ya).accuracy;
    const mse = perExample(pb, yb).mse;
    const result = ours.evaluate(x, [ya, yb], { batchSize: 4, sampleWeight: { a: weightsOf(wa), b: weightsOf(wb) } }) as Record<
      string,
      number
    >;
    expect(Object.keys(result)).toEqual(['loss', 'a_loss', 'b_loss', 'a_accuracy', 'a_weighted_accuracy', 'b_mse']);
    expectClose(
      [result.a_accuracy, result.a_weighted_accuracy, result.b_mse],
      [weightedMean(accuracy), weightedMean(accuracy, wa), weightedMean(mse, wb)],
      1e-6,
    );
    const oneForAll = ours.evaluate(x, [ya, yb], { sampleWeight: weightsOf(wa) }) as Record<string, number>;
    expectClose([oneForAll.a_weighted_accuracy, oneForAll.b_mse], [weightedMean(accuracy, wa), weightedMean(mse, wa)], 1e-6, 'one array');
  });

  it('a clash with another output’s names adds Keras’ counter: _1', () => {
    const ours = twoHeads(caseRng('weighted metrics names', 0), ['a', 'a_weighted']);
    ours.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mse'], weightedMetrics: { a: ['mse'] } });
    const rng = caseRng('weighted metrics names data', 0);
    const result = ours.evaluate(f32(rng, [4, 4]), [f32(rng, [4, 3]), f32(rng, [4, 2])]);
    expect(Object.keys(result)).toEqual(['loss', 'a_loss', 'a_weighted_loss', 'a_mse', 'a_weighted_mse', 'a_weighted_mse_1']);
    expect(result.a_weighted_mse_1).toBe(result.a_mse);
  });

  it('refuses a key that is no output', () => {
    const ours = twoHeads(caseRng('weighted metrics multi errors', 0));
    expectConvlensError(
      () => ours.compile({ loss: 'mse', weightedMetrics: { c: ['mse'] } }),
      /^compile: weightedMetrics has the key 'c', which is not an output of model/,
    );
  });
});

describe('weightedMetrics in saved compile settings: Keras’ weighted_metrics', () => {
  it('saved where Keras puts them (tfjs refuses them and loads the model uncompiled); convlens loads them back', async () => {
    const rng = caseRng('weighted metrics saved', 0);
    const ours = classifier(rng);
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'], weightedMetrics: ['accuracy', 'mse'] });
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.trainingConfig).toBeUndefined();
    expect(modelJson.modelTopology.training_config?.weighted_metrics).toEqual(['accuracy', 'mse']);
    const loaded = fromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(loaded.trainingConfig()).toEqual(ours.trainingConfig());
    const [x, y] = [f32(rng, [N, 4]), oneHot(rng.ints(N, 0, 2), 3)];
    const w = weightsOf(rng.floats(N, 0, 3));
    expect(loaded.evaluate(x, y, { sampleWeight: w })).toEqual(ours.evaluate(x, y, { sampleWeight: w }));
    expect((await tfjsLoad(modelJson, weightData)).optimizer).toBeUndefined();
  });

  it('a model of several outputs keyed by output name; Keras’ weighted_metrics: null is none', () => {
    const ours = twoHeads(caseRng('weighted metrics saved multi', 0));
    ours.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'], weightedMetrics: { a: ['accuracy'], b: ['mae', 'mse'] } });
    const { modelJson, weightData } = ours.toArtifacts();
    const saved = modelJson.modelTopology.training_config!;
    expect(saved.weighted_metrics).toEqual({ a: 'accuracy', b: ['mae', 'mse'] });
    const loaded = functionalFromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(loaded.trainingConfig()).toEqual(saved);
    const keras = JSON.parse(JSON.stringify(modelJson));
    keras.modelTopology.training_config.weighted_metrics = null;
    expect(functionalFromArtifacts(keras, weightData).trainingConfig()?.weighted_metrics).toBeUndefined();
  });

  it('weighted_metrics convlens cannot compile leave the model uncompiled, with a warning naming them', () => {
    const ours = classifier(caseRng('weighted metrics saved bad', 0));
    ours.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', weightedMetrics: ['accuracy'] });
    const { modelJson, weightData } = ours.toArtifacts();
    modelJson.modelTopology.training_config!.weighted_metrics = ['auc'];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(fromArtifacts(modelJson, weightData).trainingConfig()).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(
        `convlens: the model's saved compile settings are not restored (weighted_metrics ["auc"]); compile it before fit or evaluate`,
      );
    } finally {
      warn.mockRestore();
    }
  });
});
