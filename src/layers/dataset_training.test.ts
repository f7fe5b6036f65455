import * as tfd from '@tensorflow/tfjs-data';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { backend } from '../backend/index.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { l2 } from '../train/regularizers.js';
import type { History } from './callbacks.js';
import type { BatchDataset, DataBatch } from './datasets.js';
import { Add, Conv2D, Dense, Flatten, type Functional, Input, model, resetNames, Sequential } from './index.js';
import { gather, range } from './model_common.js';

// fit and evaluate on tfjs' tf.data datasets (tfjs-data), with tfjs-layers' fitDataset options
// (batchesPerEpoch, validationBatches, tensors as validationData with validationBatchSize) and
// evaluateDataset's batches, against tfjs-layers on the same datasets and weights.

beforeEach(() => resetNames());

const N = 20;
const BATCH = 4; // 5 batches

const oneHot = (rng: Rng, n: number, classes: number) => {
  const data = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) data[i * classes + rng.int(0, classes - 1)] = 1;
  return new Tensor(data, [n, classes], 'float32');
};

/** Examples [from, to) of `t`. */
const rows = (t: Tensor, from: number, to: number) => gather(t, range(from, to));

/** Images and their one-hot labels. */
function examples(seed: number, n = N) {
  const rng = caseRng('dataset training data', seed);
  return { x: f32(rng, [n, 5, 5, 1]), y: oneHot(rng, n, 3) };
}

/** A tf.data Dataset of these examples in order, batched as tfjs-data batches them (`zip`, then `batch`). */
function tfData(x: Tensor, y: Tensor, batchSize = BATCH) {
  const batches = tfd.zip({ xs: tfd.array(tf.unstack(tfOf(x))), ys: tfd.array(tf.unstack(tfOf(y))) }).batch(batchSize);
  return batches as tfd.Dataset<tf.TensorContainerObject>;
}

/** Our network and tfjs-layers' with the same weights, compiled for SGD. */
async function sameNets(seed: number): Promise<{ ours: Sequential; theirs: tfl.LayersModel }> {
  const ours = new Sequential([
    new Conv2D({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [5, 5, 1] }),
    new Flatten(),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  randomizeWeights(ours, caseRng('dataset training weights', seed));
  const { modelJson, weightData } = ours.toArtifacts();
  const theirs = await tfjsLoad(modelJson, weightData);
  ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return { ours, theirs };
}

/** Our history's logs against tfjs-layers' (which names accuracy `acc`), epoch by epoch as far as tfjs logged them. */
function expectSameHistory(ours: History, theirs: tfl.History, keys: string[]): void {
  for (const key of keys) {
    const expected = theirs.history[key.replace('accuracy', 'acc')] as number[];
    expectClose(ours.history[key].slice(0, expected.length), expected, 1e-5, key);
  }
}

function expectSameWeights(ours: Sequential | Functional, theirs: tfl.LayersModel): void {
  const expected = theirs.getWeights();
  for (const [i, w] of ours.getWeights().entries()) expectClose(w, expected[i].dataSync(), 1e-4, ours.weights[i].name);
}

/** `dataset` with its iterator() calls counted. */
function counted(dataset: tfd.Dataset<tf.TensorContainerObject>) {
  const counts = { iterations: 0 };
  const iterator = () => {
    counts.iterations++;
    return dataset.iterator();
  };
  return { counts, dataset: { iterator } };
}

/** console.warn's messages from convlens (tfjs-layers' own warnings are left out). */
function convlensWarnings() {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  return {
    messages: () => warn.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith('convlens: ')),
    restore: () => warn.mockRestore(),
  };
}

afterEach(() => vi.restoreAllMocks());

describe("fit and evaluate on a tf.data Dataset, as tfjs-layers' fitDataset and evaluateDataset", () => {
  it('trains, validates, evaluates and predicts on tfjs-data datasets (tfjs tensors in their batches), each tfjs tensor disposed of', async () => {
    const { ours, theirs } = await sameNets(1);
    const { x, y } = examples(1);
    const validation = examples(2, 7);
    const [train, val] = [tfData(x, y), tfData(validation.x, validation.y, 3)];
    const tensorsBefore = tf.memory().numTensors;
    const history = await ours.fit(train, { epochs: 3, validationData: val });
    const evaluated = await ours.evaluateDataset(val);
    expect(await ours.evaluate(val)).toEqual(evaluated);
    const predicted = (await ours.predict(train)) as Tensor<'float32'>;
    expect(Array.from((await ours.predictDataset(train)).data)).toEqual(Array.from(predicted.data));
    // tfjs' fitDataset disposes of each batch once used: so does convlens (the datasets' own tensors stay)
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    const expected = await theirs.fitDataset(train, { epochs: 3, validationData: val, verbose: 0 });
    expectSameHistory(history, expected, ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(history.epoch).toEqual(expected.epoch);
    expectSameWeights(ours, theirs);
    const [loss, accuracy] = (await theirs.evaluateDataset(val, {})) as tf.Scalar[];
    expectClose([evaluated.loss, evaluated.accuracy], [loss.dataSync()[0], accuracy.dataSync()[0]], 1e-5, 'evaluateDataset');
    expectClose(predicted, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
  });

  it('trains a model of two inputs and two outputs on batches of tfjs tensors keyed by name, as tfjs-layers does', async () => {
    const a = Input({ shape: [4], name: 'a' });
    const b = Input({ shape: [4], name: 'b' });
    const trunk = new Dense({ units: 6, activation: 'relu', name: 'trunk' }).apply(new Add({ name: 'sum' }).apply([a, b]));
    const cls = new Dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(trunk);
    const reg = new Dense({ units: 2, name: 'reg' }).apply(trunk);
    const ours = model({ inputs: [a, b], outputs: [cls, reg], name: 'two_heads' });
    randomizeWeights(ours, caseRng('dataset training weights', 2));
    const { modelJson, weightData } = ours.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    const loss = ['categoricalCrossentropy', 'meanSquaredError'];
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss });

    const rng = caseRng('dataset training data', 3);
    const n = 30; // 6 batches: 3 epochs of 2
    const [xa, xb, yc, yr] = [f32(rng, [n, 4]), f32(rng, [n, 4]), oneHot(rng, n, 3), f32(rng, [n, 2])];
    const column = (t: Tensor) => tfd.array(tf.unstack(tfOf(t)));
    const train = tfd
      .zip({ xs: tfd.zip({ b: column(xb), a: column(xa) }), ys: tfd.zip({ reg: column(yr), cls: column(yc) }) })
      .batch(5) as tfd.Dataset<tf.TensorContainerObject>;
    const history = await ours.fit(train, { epochs: 3, batchesPerEpoch: 2, validationData: [{ a: xa, b: xb }, [yc, yr]] });
    const expected = await theirs.fitDataset(train, { epochs: 3, batchesPerEpoch: 2, verbose: 0 });
    expectSameHistory(history, expected, ['loss', 'cls_loss', 'reg_loss']);
    expectSameWeights(ours, theirs);
    // validation arrays (tfjs' are one place off for several outputs): as evaluate gives them, 32 examples at a time
    const evaluated = ours.evaluate([xa, xb], [yc, yr], { batchSize: 32 });
    expect(['val_loss', 'val_cls_loss', 'val_reg_loss'].map((key) => history.history[key][2])).toEqual(Object.values(evaluated));

    const ourEvaluation = await ours.evaluateDataset(train, { batches: 2 });
    const theirEvaluation = (await theirs.evaluateDataset(train, { batches: 2 })) as tf.Scalar[];
    // tfjs-layers' evaluate of a model of several outputs lists the first output's loss once more, first
    expectClose(
      Object.values(ourEvaluation),
      theirEvaluation.slice(1).map((s) => s.dataSync()[0]),
      1e-5,
      'evaluateDataset',
    );
    const [probabilities, scores] = (await ours.predict(train)) as Tensor<'float32'>[];
    const [theirProbabilities, theirScores] = theirs.predict([tfOf(xa), tfOf(xb)]) as tf.Tensor[];
    expectClose(probabilities, theirProbabilities.dataSync(), 1e-5, 'cls');
    expectClose(scores, theirScores.dataSync(), 1e-5, 'reg');
  });
});

describe('a model its first batch builds (a Sequential given no inputShape)', () => {
  it("trains its weights, with their penalties and classWeight, as tfjs-layers' fitDataset; evaluates with the penalties", async () => {
    const rng = caseRng('dataset training unbuilt', 1);
    const x = f32(rng, [N, 4]);
    const y = oneHot(rng, N, 3);
    const dense = { units: 3, activation: 'softmax', kernelInitializer: 'ones' } as const;
    const unbuilt = () => {
      const net = new Sequential([new Dense({ ...dense, kernelRegularizer: l2(0.1) })]);
      net.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
      return net;
    };
    // Keras' loss of equal outputs: ln 3, plus 0.1·Σw² over the 4×3 kernel of ones
    const { loss } = await unbuilt().evaluateDataset(tfData(x, y));
    expectClose([loss], [Math.log(3) + 0.1 * 12], 1e-6, 'evaluateDataset');

    const ours = unbuilt();
    const theirs = tfl.sequential({
      layers: [tfl.layers.dense({ ...dense, inputShape: [4], kernelRegularizer: tfl.regularizers.l2({ l2: 0.1 }) })],
    });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const classWeight = { 0: 1, 1: 3, 2: 0.5 };
    const history = await ours.fit(tfData(x, y), { epochs: 2, classWeight });
    const expected = await theirs.fitDataset(tfData(x, y), { epochs: 2, classWeight, verbose: 0 });
    expectSameHistory(history, expected, ['loss']);
    expectSameWeights(ours, theirs);
  });
});

describe('batchesPerEpoch (Keras: stepsPerEpoch): epochs of so many batches, read on from one iteration of the dataset', () => {
  it("reads on across epochs without a new iteration, as tfjs' fitDataset; stepsPerEpoch is the same", async () => {
    const { x, y } = examples(3);
    const validation = examples(4, 6);
    const { ours, theirs } = await sameNets(3);
    const mine = counted(tfData(x, y));
    const history = await ours.fit(mine.dataset, { epochs: 2, batchesPerEpoch: 2, validationData: tfData(validation.x, validation.y, 2) });
    expect(mine.counts.iterations).toBe(1);
    const tfjs = counted(tfData(x, y));
    const expected = await theirs.fitDataset(tfjs.dataset as never, {
      epochs: 2,
      batchesPerEpoch: 2,
      validationData: tfData(validation.x, validation.y, 2),
      verbose: 0,
    });
    expect(tfjs.counts.iterations).toBe(1);
    expectSameHistory(history, expected, ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expectSameWeights(ours, theirs);

    const keras = (await sameNets(3)).ours;
    expect(await keras.fit(tfData(x, y), { epochs: 2, stepsPerEpoch: 2, validationData: tfData(validation.x, validation.y, 2) })).toEqual(
      history,
    );
  });

  it('stops where the dataset runs out, with a warning (as tfjs), after the epoch it ran out in', async () => {
    const { x, y } = examples(5);
    const { ours, theirs } = await sameNets(5);
    const warnings = convlensWarnings();
    const epochsBegun: number[] = [];
    // 5 batches for 3 epochs of 2: the third has 1
    const history = await ours.fit(tfData(x, y), {
      epochs: 3,
      batchesPerEpoch: 2,
      callbacks: { onEpochBegin: (epoch) => void epochsBegun.push(epoch) },
    });
    expect(warnings.messages()).toEqual([
      `convlens: fit: model '${ours.name}': the dataset ran out after 5 batches, short of batchesPerEpoch × epochs (2 × 3 = 6); training ends with epoch 3, which had 1 of its 2 batches. Give a dataset that repeats (tfjs-data's dataset.repeat()) or fewer batches per epoch`,
    ]);
    expect([history.epoch, epochsBegun]).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    const expected = await theirs.fitDataset(tfData(x, y), { epochs: 3, batchesPerEpoch: 2, verbose: 0 });
    expectSameHistory(history, expected, ['loss', 'accuracy']);
    expect(expected.history.loss).toHaveLength(3);
    expectSameWeights(ours, theirs);

    // 4 batches: it runs out as the third epoch would begin, which then does not (tfjs logs it, empty)
    const exact = await sameNets(6);
    const fourBatches = examples(6, 16);
    const stoppedEarly = await exact.ours.fit(tfData(fourBatches.x, fourBatches.y), { epochs: 3, stepsPerEpoch: 2 });
    expect(stoppedEarly.epoch).toEqual([0, 1]);
    expect(warnings.messages()[1]).toMatch(
      /ran out after 4 batches, short of stepsPerEpoch × epochs \(2 × 3 = 6\); training ends with epoch 2\. /,
    );
    const theirs4 = await exact.theirs.fitDataset(tfData(fourBatches.x, fourBatches.y), { epochs: 3, batchesPerEpoch: 2, verbose: 0 });
    expectSameHistory(stoppedEarly, theirs4, ['loss', 'accuracy']);
    expectSameWeights(exact.ours, exact.theirs);
    warnings.restore();
  });

  it('ends the iteration it read from when fit ends (an async generator is closed), and reads no batch beyond', async () => {
    const { x, y } = examples(7);
    const state = { drawn: 0, closed: 0 };
    const endless: AsyncIterable<DataBatch> = {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            const start = (state.drawn++ * BATCH) % N;
            yield { x: rows(x, start, start + BATCH), y: rows(y, start, start + BATCH) };
          }
        } finally {
          state.closed++;
        }
      },
    };
    const { ours } = await sameNets(7);
    const history = await ours.fit(endless, { epochs: 3, batchesPerEpoch: 4 });
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(state).toEqual({ drawn: 12, closed: 1 });
    const stopping = await ours.fit(endless, {
      epochs: 3,
      batchesPerEpoch: 4,
      callbacks: {
        onBatchEnd: (batch) => {
          if (batch === 1) ours.stopTraining = true;
        },
      },
    });
    expect(stopping.epoch).toEqual([0]);
    expect(state).toEqual({ drawn: 14, closed: 2 });
  });
});

describe('validation and evaluation cut to so many batches; arrays as validationData', () => {
  it("validationBatches (validationSteps) and evaluate's batches (steps) take each iteration's first batches, as tfjs", async () => {
    const { x, y } = examples(8);
    const validation = examples(9, 9);
    const val = tfData(validation.x, validation.y, 2); // 5 batches, the last of 1
    const { ours, theirs } = await sameNets(8);
    const history = await ours.fit(tfData(x, y), { epochs: 2, validationData: val, validationBatches: 2 });
    const expected = await theirs.fitDataset(tfData(x, y), { epochs: 2, validationData: val, validationBatches: 2, verbose: 0 });
    expectSameHistory(history, expected, ['loss', 'val_loss', 'val_accuracy']);
    const keras = (await sameNets(8)).ours;
    expect(await keras.fit(tfData(x, y), { epochs: 2, validationData: val, validationSteps: 2 })).toEqual(history);

    const firstTwo = await ours.evaluateDataset(val, { batches: 2 });
    const [loss, accuracy] = (await theirs.evaluateDataset(val, { batches: 2 })) as tf.Scalar[];
    expectClose([firstTwo.loss, firstTwo.accuracy], [loss.dataSync()[0], accuracy.dataSync()[0]], 1e-5, 'evaluateDataset batches');
    expect(await ours.evaluate(val, { steps: 2 })).toEqual(firstTwo);
    expect(firstTwo).toEqual(ours.evaluate(rows(validation.x, 0, 4), rows(validation.y, 0, 4), { batchSize: 2 }));

    const warnings = convlensWarnings();
    expect(await ours.evaluateDataset(val, { batches: 9 })).toEqual(await ours.evaluateDataset(val));
    expect(warnings.messages()).toEqual([
      `convlens: evaluate: model '${ours.name}': the dataset ran out after 5 batches, fewer than batches (9); the result is over those 5`,
    ]);
    warnings.restore();
  });

  it("takes arrays [x, y] as validationData (convlens or tfjs tensors), validationBatchSize examples at a time (tfjs' default 32)", async () => {
    const { x, y } = examples(10);
    const validation = examples(11, 40);
    const { ours, theirs } = await sameNets(10);
    const history = await ours.fit(tfData(x, y), { epochs: 2, validationData: [validation.x, validation.y], validationBatchSize: 7 });
    const expected = await theirs.fitDataset(tfData(x, y), {
      epochs: 2,
      validationData: [tfOf(validation.x), tfOf(validation.y)],
      validationBatchSize: 7,
      verbose: 0,
    });
    expectSameHistory(history, expected, ['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expectSameWeights(ours, theirs);
    const lastValidation = ours.evaluate(validation.x, validation.y, { batchSize: 7 });
    expect([history.history.val_loss[1], history.history.val_accuracy[1]]).toEqual([lastValidation.loss, lastValidation.accuracy]);

    // tfjs tensors, and the default batch size: evaluate's, 32 at a time
    const tfjsValidation = [tfOf(validation.x), tfOf(validation.y)] as const;
    const byDefault = await ours.fit(tfData(x, y), { epochs: 1, validationData: [tfjsValidation[0], tfjsValidation[1]] });
    const evaluated = ours.evaluate(validation.x, validation.y, { batchSize: 32 });
    expect(byDefault.history.val_loss).toEqual([evaluated.loss]);
    expect(tfjsValidation.every((t) => !t.isDisposed)).toBe(true); // not a dataset's: the caller's to dispose of
  });
});

describe('refuses bad options and datasets, naming the model, the option and what was expected', () => {
  it('refuses counts of batches that are not positive integers, options for the other kind of validation data, and bad validationData', async () => {
    const { ours } = await sameNets(12);
    const { x, y } = examples(12, 8);
    const train = tfData(x, y);
    const where = `fit: model '${ours.name}'`;
    for (const bad of [0, -1, 1.5, '2', Number.NaN]) {
      await expectConvlensRejection(
        ours.fit(train, { batchesPerEpoch: bad as number }),
        new RegExp(`^${where}: batchesPerEpoch must be a positive integer \\(a number of batches\\), got `),
      );
    }
    await expectConvlensRejection(
      ours.fit(train, { stepsPerEpoch: 0 }),
      `${where}: stepsPerEpoch must be a positive integer (a number of batches), got 0`,
    );
    await expectConvlensRejection(
      ours.fit(train, { batchesPerEpoch: 2, stepsPerEpoch: 2 }),
      `${where}: give batchesPerEpoch (tfjs' name) or stepsPerEpoch (Keras'), not both`,
    );
    await expectConvlensRejection(
      ours.fit(train, { validationBatches: 2 }),
      `${where}: validationBatches is for validationData, which is not given`,
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: train, validationBatches: 0.5 }),
      `${where}: validationBatches must be a positive integer (a number of batches), got 0.5`,
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: train, validationBatchSize: 4 }),
      `${where}: validationBatchSize is for validationData given as arrays [x, y]; a validation dataset's batches are its own (validationBatches limits how many are evaluated)`,
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: [x, y], validationSteps: 2 }),
      `${where}: validationSteps is for a validation dataset; validationData given as arrays [x, y] is evaluated validationBatchSize examples at a time`,
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: [x, y], validationBatchSize: 0 }),
      `${where}: validationBatchSize must be a positive integer, got 0`,
    );
    await expectConvlensRejection(
      ours.evaluate(train, { batches: 0 }),
      `evaluate: model '${ours.name}': batches must be a positive integer (a number of batches), got 0`,
    );
    await expectConvlensRejection(
      ours.evaluateDataset(train, { batchez: 2 } as never),
      "evaluate: unknown option 'batchez' (did you mean 'batches'?)",
    );

    // validationData of the wrong shapes: not a pair or a triple with sample weights, weights that do not fit, arrays that do not fit
    await expectConvlensRejection(
      ours.fit(train, { validationData: [x, y, y, y] as never }),
      `${where}: validationData must be a dataset (an async iterable or a tf.data Dataset of { x, y } batches) or arrays [x, y] or [x, y, sampleWeight], got [a Tensor, a Tensor, a Tensor, a Tensor]`,
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: [x, y, y] as never }),
      'fit (validationData): sampleWeight has shape [8, 3], expected one weight per example: [8]',
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: [x, rows(y, 0, 5)] }),
      /^fit \(validationData\): x has 8 examples .* but y has 5/,
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: [f32(caseRng('bad', 0), [8, 4, 4, 1]), y] }),
      /^fit \(validationData\): .*4, 4, 1/,
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: [rows(x, 0, 0), rows(y, 0, 0)] }),
      'fit (validationData): no examples (x has shape [0, 5, 5, 1])',
    );
    await expectConvlensRejection(
      ours.fit(train, { validationData: [tf.tensor([['a']]), y] as never }),
      'fit (validationData): x is a tfjs tensor of dtype string (shape [1, 1]); float32, int32 or bool expected',
    );
  });

  it('refuses a dataset whose iterator does not follow the protocol (no next(), not { value, done }), naming the model', async () => {
    const { ours } = await sameNets(13);
    const { x, y } = examples(13, 4);
    const noNext = { iterator: async () => ({ nxt: () => ({ value: { xs: x, ys: y }, done: false }) }) };
    await expectConvlensRejection(
      ours.fit(noNext as never),
      `fit: model '${ours.name}': the dataset's iterator() gave { nxt: a function }, which has no next() method (an iterator whose next() gives { value, done } was expected)`,
    );
    await expectConvlensRejection(
      ours.evaluate({ iterator: () => null } as never),
      `evaluate: model '${ours.name}': the dataset's iterator() gave null, which has no next() method (an iterator whose next() gives { value, done } was expected)`,
    );
    const notIterable = { [Symbol.asyncIterator]: () => ({}) } as unknown as BatchDataset;
    await expectConvlensRejection(
      ours.predict(notIterable),
      /^predict: model '.*': the dataset's \[Symbol\.asyncIterator\]\(\) gave \{\}, which has no next\(\) method/,
    );
    const badStep = { iterator: () => ({ next: async () => ({ xs: x, ys: y }) }) };
    await expectConvlensRejection(
      ours.fit(badStep as never, { epochs: 1 }),
      `fit: model '${ours.name}': the dataset's iterator gave { xs: a Tensor, ys: a Tensor } from next(), expected { value, done } (or a promise of it)`,
    );
    await expectConvlensRejection(
      ours.fitDataset({ iterator: 3 } as never),
      /^fit: expected a dataset \(an async iterable or a tf\.data Dataset of \{ x, y \} batches\), got /,
    );

    // a batch of tfjs tensors disposed of before it is read
    const disposed = tfOf(x);
    disposed.dispose();
    await expectConvlensRejection(
      ours.fit({ iterator: () => ({ next: () => ({ value: { xs: disposed, ys: tfOf(y) }, done: false }) }) }),
      'fit (epoch 1, batch 1): xs is a tfjs tensor that was disposed of (each batch needs tensors of its own)',
    );
    await ours.fit(tfData(x, y)); // the model is not left training
  });
});

describe('memory', () => {
  it('computes every batch in the buffers of the first, batchesPerEpoch, validation arrays and predict too', async () => {
    const { ours } = await sameNets(14);
    const { x, y } = examples(14);
    const validation = examples(15, 9);
    const options = {
      epochs: 3,
      batchesPerEpoch: 2,
      validationData: [validation.x, validation.y] as [Tensor, Tensor],
      validationBatchSize: 4,
    };
    const made = vi.spyOn(backend(), 'residentBuffer');
    await ours.fit(tfData(x, y).repeat(), { ...options, epochs: 1 });
    await ours.predict(tfData(x, y)); // predict computes in buffers of its own (inference_workspace.ts)
    expect(made.mock.calls.length, 'buffers of the first fit and predict').toBeGreaterThan(0);
    made.mockClear();
    await ours.fit(tfData(x, y).repeat(), options);
    await ours.evaluate(tfData(x, y), { batches: 3 });
    await ours.predict(tfData(x, y));
    expect(made.mock.calls.length, 'buffers made after the first fit and predict').toBe(0);
  });
});
