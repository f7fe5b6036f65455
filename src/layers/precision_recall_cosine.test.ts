// tfjs-layers' r2Score calls tensors' chained ops (y.sub()), which the union package @tensorflow/tfjs registers
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Dense, fromArtifacts, functionalFromArtifacts, Input, model, resetNames, Sequential } from './index.js';

// compile's 'precision', 'recall', 'cosine' (cosine proximity), 'r2Score' and 'ce' (the loss's
// cross-entropy), which tfjs-layers has (recall, cosineProximity and r2Score as functions only), in
// fit, evaluate and saved models, against tfjs-layers.

beforeEach(() => resetNames());

const LEARNING_RATE = 0.05;

/**
 * A sigmoid model, ours and tfjs', with the same weights, and data whose large inputs saturate
 * many outputs to exactly 0 or 1: the only outputs tfjs' precision and recall count. (Trained with
 * the squared error: on saturated outputs tfjs' binary cross-entropy clips, convlens' takes the
 * logits, as Keras does.)
 */
function sigmoidPair(seed: number) {
  const rng = caseRng('precision recall fit', seed);
  const ours = new Sequential([new Dense({ units: 2, activation: 'sigmoid', inputShape: [3] })]);
  ours.setWeights(ours.weights.map((w) => f32(rng, w.shape, -1, 1)));
  const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, activation: 'sigmoid', inputShape: [3] })] });
  theirs.setWeights(ours.getWeights().map(tfOf));
  const x = f32(rng, [11, 3], -40, 40);
  const y = new Tensor(
    Float32Array.from({ length: 22 }, () => rng.pick([0, 1])),
    [11, 2],
    'float32',
  );
  return { ours, theirs, x, y };
}

/** The values of tfjs' evaluate, by its metrics' names. */
function tfjsEvaluation(model: tfl.LayersModel, x: Tensor, y: Tensor, batchSize: number): Record<string, number> {
  const values = model.evaluate(tfOf(x), tfOf(y), { batchSize }) as tf.Scalar[];
  return Object.fromEntries(model.metricsNames.map((name, i) => [name, values[i].dataSync()[0]]));
}

describe('precision, recall, cosine proximity and ce in fit and evaluate', () => {
  it("history (val_ too) and evaluate match tfjs-layers': each batch's value averaged by batch size, over uneven batches", async () => {
    const between: number[] = [];
    for (let seed = 0; seed < 3; seed++) {
      const { ours, theirs, x, y } = sigmoidPair(seed);
      ours.compile({
        optimizer: new SGD({ learningRate: LEARNING_RATE }),
        loss: 'meanSquaredError',
        metrics: ['precision', 'recall', 'cosine', 'ce'],
      });
      theirs.compile({
        optimizer: tf.train.sgd(LEARNING_RATE),
        loss: 'meanSquaredError',
        metrics: ['precision', tfl.metrics.recall, 'cosine', 'ce'],
      });
      const validation = sigmoidPair(seed + 10);
      const options = { epochs: 3, batchSize: 4, shuffle: false };
      const history = await ours.fit(x, y, { ...options, validationData: [validation.x, validation.y] });
      const expected = await theirs.fit(tfOf(x), tfOf(y), {
        ...options,
        validationData: [tfOf(validation.x), tfOf(validation.y)],
        verbose: 0,
      });
      expect(Object.keys(history.history).sort()).toEqual(Object.keys(expected.history).sort());
      for (const key of Object.keys(expected.history)) {
        expectClose(history.history[key], expected.history[key] as number[], 1e-5, `seed ${seed} ${key}`);
      }
      between.push(...[...history.history.precision, ...history.history.recall].filter((v) => v > 0 && v < 1));
      const theirEvaluation = tfjsEvaluation(theirs, x, y, 3);
      const evaluation = ours.evaluate(x, y, { batchSize: 3 });
      for (const key of theirs.metricsNames) expectClose([evaluation[key]], [theirEvaluation[key]], 1e-5, `seed ${seed} evaluate ${key}`);
    }
    // the data gives precisions and recalls other than 0 and 1
    expect(between.length).toBeGreaterThan(3);
  });

  it("cosineProximity (tfjs' function's name) and cosine_proximity key the history as written, with tfjs' values", async () => {
    const { ours, theirs, x, y } = sigmoidPair(5);
    ours.compile({
      optimizer: new SGD({ learningRate: LEARNING_RATE }),
      loss: 'meanSquaredError',
      metrics: ['cosineProximity', 'cosine_proximity'],
    });
    theirs.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'meanSquaredError', metrics: [tfl.metrics.cosineProximity] });
    const options = { epochs: 2, batchSize: 5, shuffle: false };
    const history = await ours.fit(x, y, options);
    const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 });
    expect(Object.keys(history.history)).toEqual(['loss', 'cosineProximity', 'cosine_proximity']);
    expectClose(history.history.cosineProximity, expected.history.cosineProximity as number[], 1e-5, 'cosineProximity');
    expectClose(history.history.cosine_proximity, expected.history.cosineProximity as number[], 1e-5, 'cosine_proximity');
  });

  it("cosine_similarity (Keras 3's) is the cosine itself: Keras' documented example, and minus tfjs' proximity in fit", async () => {
    // a linear model that outputs its input: evaluate gives the metric of y against x
    const identity = new Sequential([new Dense({ units: 2, useBias: false, inputShape: [2] })]);
    identity.setWeights([new Tensor(new Float32Array([1, 0, 0, 1]), [2, 2], 'float32')]);
    identity.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['cosine_similarity', 'cosineProximity'] });
    const yTrue = new Tensor(new Float32Array([0, 1, 1, 1]), [2, 2], 'float32');
    const yPred = new Tensor(new Float32Array([1, 0, 1, 1]), [2, 2], 'float32');
    // keras.metrics.CosineSimilarity: [[0, 1], [1, 1]] against [[1, 0], [1, 1]] gives 0.49999997
    const result = identity.evaluate(yPred, yTrue);
    expect(result.cosine_similarity).toBeCloseTo(0.5, 6);
    expect(result.cosineProximity).toBeCloseTo(-0.5, 6);
    // a norm below √1e-7 is floored at 1e-7 by Keras 3 (keras.ops.normalize), at √1e-7 by tfjs' proximity
    const tiny = identity.evaluate(
      new Tensor(new Float32Array([1e-5, 0]), [1, 2], 'float32'),
      new Tensor(new Float32Array([1, 0]), [1, 2], 'float32'),
    );
    expect(tiny.cosine_similarity).toBeCloseTo(1, 5);
    expect(tiny.cosineProximity).toBeCloseTo(-1e-5 / Math.sqrt(1e-7), 4);

    // outputs and labels of norms well above √1e-7, where the two floors agree (sigmoidPair's saturate to 0)
    const rng = caseRng('cosine similarity fit', 0);
    const ours = new Sequential([new Dense({ units: 3, inputShape: [4] })]);
    ours.setWeights(ours.weights.map((w) => f32(rng, w.shape, -1, 1)));
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4] })] });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const [x, y] = [f32(rng, [10, 4], -1, 1), f32(rng, [10, 3], 0.1, 1)];
    ours.compile({ optimizer: new SGD({ learningRate: LEARNING_RATE }), loss: 'meanSquaredError', metrics: ['cosine_similarity'] });
    theirs.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'meanSquaredError', metrics: [tfl.metrics.cosineProximity] });
    const options = { epochs: 2, batchSize: 4, shuffle: false };
    const history = await ours.fit(x, y, options);
    const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 });
    expectClose(
      history.history.cosine_similarity,
      (expected.history.cosineProximity as number[]).map((v) => -v),
      1e-5,
      'cosine_similarity',
    );
  });

  it("r2Score (tfjs' function's name) matches tfjs' per-batch R² in fit and evaluate; a tfjs model saved with it (as r2_score) loads compiled", async () => {
    const { ours, theirs, x } = sigmoidPair(6);
    const y = f32(caseRng('r2 targets', 0), [11, 2], 0, 1);
    ours.compile({ optimizer: new SGD({ learningRate: LEARNING_RATE }), loss: 'meanSquaredError', metrics: ['r2Score'] });
    theirs.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'meanSquaredError', metrics: [tfl.metrics.r2Score] });
    const options = { epochs: 2, batchSize: 4, shuffle: false };
    const history = await ours.fit(x, y, options);
    const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 });
    expectClose(history.history.r2Score, expected.history.r2Score as number[], 1e-5, 'r2Score');
    const theirEvaluation = tfjsEvaluation(theirs, x, y, 5);
    expectClose([ours.evaluate(x, y, { batchSize: 5 }).r2Score], [theirEvaluation.r2Score], 1e-5, 'evaluate');
    const saved = await tfjsSaved(theirs, { includeOptimizer: true });
    expect((saved.modelJson.trainingConfig as { metrics: string[] }).metrics).toEqual(['r2_score']);
    const loaded = fromArtifacts(saved.modelJson, saved.weightData);
    expectClose([loaded.evaluate(x, y, { batchSize: 5 }).r2_score], [theirEvaluation.r2Score], 1e-5, 'loaded');
  });

  it("a model of two outputs logs each output's, <output>_precision and <output>_recall, as tfjs does, and saves them", async () => {
    const rng = caseRng('precision recall two outputs', 0);
    const input = Input({ shape: [3], name: 'in' });
    const ours = model({
      inputs: input,
      outputs: [
        new Dense({ units: 2, activation: 'sigmoid', name: 'a' }).apply(input),
        new Dense({ units: 1, activation: 'sigmoid', name: 'b' }).apply(input),
      ],
    });
    ours.setWeights(ours.getWeights().map((w) => f32(rng, w.shape, -1, 1)));
    const tInput = tfl.input({ shape: [3], name: 'in' });
    const heads = [
      tfl.layers.dense({ units: 2, activation: 'sigmoid', name: 'a' }),
      tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'b' }),
    ];
    const theirs = tfl.model({ inputs: tInput, outputs: heads.map((head) => head.apply(tInput) as tfl.SymbolicTensor) });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const x = f32(rng, [9, 3], -40, 40);
    const labels = (units: number) =>
      new Tensor(
        Float32Array.from({ length: 9 * units }, () => rng.pick([0, 1])),
        [9, units],
        'float32',
      );
    const ys = [labels(2), labels(1)];
    ours.compile({
      optimizer: new SGD({ learningRate: LEARNING_RATE }),
      loss: 'meanSquaredError',
      metrics: { a: 'precision', b: 'recall' },
    });
    theirs.compile({
      optimizer: tf.train.sgd(LEARNING_RATE),
      loss: 'meanSquaredError',
      metrics: { a: 'precision', b: tfl.metrics.recall },
    });
    const options = { epochs: 2, batchSize: 4, shuffle: false };
    const history = await ours.fit(x, ys, options);
    const expected = await theirs.fit(tfOf(x), ys.map(tfOf), { ...options, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(Object.keys(expected.history).sort());
    for (const key of ['a_precision', 'b_recall']) {
      expectClose(history.history[key], expected.history[key] as number[], 1e-5, key);
    }
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.modelTopology.training_config?.metrics).toEqual({ a: 'precision', b: 'recall' });
    expect(functionalFromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData).trainingConfig()).toEqual(ours.trainingConfig());
  });

  it('unknown names are refused listing the metrics there are', () => {
    const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    expectConvlensError(
      () => model.compile({ loss: 'meanSquaredError', metrics: ['precision', 'auc'] }),
      /^compile: unknown metric "auc" \(supported: .*'crossentropy', 'precision', 'recall', 'cosine_proximity', 'cosine_similarity', 'r2_score' \(also as 'acc', 'ce', 'cosine'/,
    );
    expectConvlensError(
      () => model.compile({ loss: 'meanSquaredError', metrics: ['Recall'] }),
      /^compile: unknown metric "Recall" \(did you mean 'recall'\?\)/,
    );
  });
});

describe('saved with precision, recall, cosine proximity or ce', () => {
  it('tfjs compiles a model saved with precision, cosine and ce; convlens reads it back compiled', async () => {
    const { ours, x, y } = sigmoidPair(1);
    ours.compile({
      optimizer: new SGD({ learningRate: LEARNING_RATE }),
      loss: 'meanSquaredError',
      metrics: ['precision', 'cosine_proximity', 'ce'],
    });
    const { modelJson, weightData } = ours.toArtifacts();
    // cosine_proximity under the name tfjs compiles it by, as mean_squared_error is saved as mse
    expect(modelJson.trainingConfig?.metrics).toEqual(['precision', 'cosine', 'ce']);
    const inTfjs = await tfjsLoad(modelJson, weightData);
    expect(inTfjs.metricsNames).toEqual(['loss', 'precision', 'cosine', 'ce']);
    const expected = tfjsEvaluation(inTfjs, x, y, 4);
    const again = fromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData).evaluate(x, y, { batchSize: 4 });
    for (const key of inTfjs.metricsNames) expectClose([again[key]], [expected[key]], 1e-5, key);
  });

  it('with recall, which tfjs cannot compile by name, the settings go where tfjs does not read them, and convlens loads it compiled', async () => {
    const { ours, x, y } = sigmoidPair(2);
    ours.compile({ optimizer: new SGD({ learningRate: LEARNING_RATE }), loss: 'meanSquaredError', metrics: ['recall', 'mse'] });
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.trainingConfig).toBeUndefined();
    expect(modelJson.modelTopology.training_config?.metrics).toEqual(['recall', 'mse']);
    // tfjs loads it (uncompiled); convlens compiled, keyed as compiled
    const inTfjs = await tfjsLoad(modelJson, weightData);
    expect(inTfjs.outputs[0].shape).toEqual([null, 2]);
    const loaded = fromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(loaded.trainingConfig()).toEqual(ours.trainingConfig());
    expect(loaded.evaluate(x, y)).toEqual(ours.evaluate(x, y));
  });

  it("a tfjs model saved with precision, tf.metrics.recall, 'cosine', tf.metrics.cosineProximity and 'ce' (which tfjs itself cannot load back) loads compiled, without a warning", async () => {
    const { theirs, x, y } = sigmoidPair(3);
    theirs.compile({
      optimizer: tf.train.sgd(LEARNING_RATE),
      loss: 'meanSquaredError',
      metrics: ['precision', tfl.metrics.recall, 'cosine', tfl.metrics.cosineProximity, 'ce'],
    });
    const saved = await tfjsSaved(theirs, { includeOptimizer: true });
    expect((saved.modelJson.trainingConfig as { metrics: string[] }).metrics).toEqual([
      'precision',
      'recall',
      'cosine',
      'cosine_proximity',
      'ce',
    ]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const loaded = fromArtifacts(saved.modelJson, saved.weightData);
      expect(warn).not.toHaveBeenCalled();
      const expected = tfjsEvaluation(theirs, x, y, 32);
      const evaluation = loaded.evaluate(x, y);
      // tfjs keys its functions by their names (cosineProximity), convlens by the saved snake_case name
      for (const [ours, key] of [
        ['precision', 'precision'],
        ['recall', 'recall'],
        ['cosine', 'cosine'],
        ['cosine_proximity', 'cosineProximity'],
        ['ce', 'ce'],
        ['loss', 'loss'],
      ]) {
        expectClose([evaluation[ours]], [expected[key]], 1e-5, ours);
      }
    } finally {
      warn.mockRestore();
    }
  });
});
