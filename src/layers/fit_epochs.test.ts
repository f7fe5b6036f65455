import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import type { History } from './callbacks.js';
import { Dense, Input, model, resetNames, Sequential } from './index.js';

// fit's epoch options: initialEpoch (Keras' initial_epoch, tfjs' initialEpoch) against tfjs-layers;
// validationFreq (Keras' validation_freq, which tfjs lacks) against Keras' documented rule, a run
// that validates every epoch; validationBatchSize (Keras' validation_batch_size) against tfjs' evaluate.

beforeEach(() => resetNames());

const rng = caseRng('fit epochs', 0);
const x = f32(rng, [12, 5]);
const y = new Tensor(
  Float32Array.from({ length: 36 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
  [12, 3],
  'float32',
);
const valX = f32(rng, [7, 5]);
const valY = new Tensor(
  Float32Array.from({ length: 21 }, (_, i) => (i % 3 === (Math.floor(i / 3) + 1) % 3 ? 1 : 0)),
  [7, 3],
  'float32',
);

function network(): Sequential {
  const net = new Sequential([
    new Dense({ units: 4, activation: 'tanh', inputShape: [5] }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  randomizeWeights(net.layers[0], caseRng('fit epochs weights', 1));
  randomizeWeights(net.layers[1], caseRng('fit epochs weights', 2));
  net.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return net;
}

async function twins(): Promise<{ ours: Sequential; theirs: tfl.LayersModel }> {
  const ours = network();
  const { modelJson, weightData } = ours.toArtifacts();
  const theirs = await tfjsLoad(modelJson, weightData);
  theirs.compile({ optimizer: tf.train.sgd(0.3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return { ours, theirs };
}

/** The epochs each hook saw, as `name epoch`. */
function epochLog(): { seen: string[]; hooks: { onEpochBegin(e: number): void; onEpochEnd(e: number): void } } {
  const seen: string[] = [];
  return { seen, hooks: { onEpochBegin: (e) => void seen.push(`begin ${e}`), onEpochEnd: (e) => void seen.push(`end ${e}`) } };
}

describe('fit: initialEpoch', () => {
  it('resumes at that epoch and stops before `epochs`, as tfjs-layers: the same epochs, callbacks, losses and weights', async () => {
    const { ours, theirs } = await twins();
    const options = { epochs: 4, initialEpoch: 2, batchSize: 5, shuffle: false, validationData: [valX, valY] as [Tensor, Tensor] };
    const ourLog = epochLog();
    const theirLog = epochLog();
    const history = await ours.fit(x, y, { ...options, callbacks: ourLog.hooks });
    const expected = await theirs.fit(tfOf(x), tfOf(y), {
      ...options,
      validationData: [tfOf(valX), tfOf(valY)],
      verbose: 0,
      callbacks: {
        onEpochBegin: async (e) => theirLog.hooks.onEpochBegin(e),
        onEpochEnd: async (e) => theirLog.hooks.onEpochEnd(e),
      },
    });
    expect(history.epoch).toEqual(expected.epoch);
    expect(history.epoch).toEqual([2, 3]);
    expect(ourLog.seen).toEqual(theirLog.seen);
    for (const key of ['loss', 'val_loss']) expectClose(history.history[key], expected.history[key] as number[], 1e-5, key);
    const theirWeights = theirs.getWeights();
    for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirWeights[i].dataSync(), 1e-5, ours.weights[i].name);
  });

  it('on a dataset too; initialEpoch at or past epochs trains nothing', async () => {
    const net = network();
    const before = net.getWeights().map((w) => Array.from(w.data));
    const dataset = {
      async *[Symbol.asyncIterator]() {
        yield { xs: x, ys: y };
      },
    };
    const log = epochLog();
    const history = await net.fit(dataset, { epochs: 3, initialEpoch: 1, callbacks: log.hooks });
    expect(history.epoch).toEqual([1, 2]);
    expect(log.seen).toEqual(['begin 1', 'end 1', 'begin 2', 'end 2']);

    const idle = network();
    expect((await idle.fit(x, y, { epochs: 2, initialEpoch: 2 })).epoch).toEqual([]);
    expect(idle.getWeights().map((w) => Array.from(w.data))).toEqual(before);
  });
});

describe('fit: validationFreq', () => {
  /** val_loss of a run that validates every epoch: what a run validating less often must log at its epochs. */
  async function everyEpoch(epochs: number): Promise<History> {
    return network().fit(x, y, { epochs, batchSize: 4, shuffle: false, validationData: [valX, valY] });
  }

  it("validates after every n-th epoch, or after the epochs listed (from 1), as Keras' validation_freq: the same values, at those epochs only", async () => {
    const full = await everyEpoch(6);
    const options = { epochs: 6, batchSize: 4, shuffle: false, validationData: [valX, valY] as [Tensor, Tensor] };

    const third = await network().fit(x, y, { ...options, validationFreq: 3 });
    expect(third.history.loss).toEqual(full.history.loss);
    expect(third.history.val_loss).toEqual([full.history.val_loss[2], full.history.val_loss[5]]);
    expect(third.history.val_accuracy).toEqual([full.history.val_accuracy[2], full.history.val_accuracy[5]]);

    const listed = await network().fit(x, y, { ...options, validationFreq: [1, 4] });
    expect(listed.history.val_loss).toEqual([full.history.val_loss[0], full.history.val_loss[3]]);
  });

  it('the logs of an epoch without validation have no val_ keys; with a validationSplit too', async () => {
    const seen: string[][] = [];
    await network().fit(x, y, {
      epochs: 2,
      validationSplit: 0.25,
      validationFreq: 2,
      callbacks: { onEpochEnd: (_, logs) => void seen.push(Object.keys(logs ?? {}).sort()) },
    });
    expect(seen).toEqual([
      ['accuracy', 'loss'],
      ['accuracy', 'loss', 'val_accuracy', 'val_loss'],
    ]);
  });

  it('a functional model of two outputs, as a Sequential', async () => {
    const input = Input({ shape: [5] });
    const hidden = new Dense({ units: 4, activation: 'tanh' }).apply(input);
    const net = model({
      inputs: input,
      outputs: [new Dense({ units: 3, activation: 'softmax', name: 'a' }).apply(hidden), new Dense({ units: 1, name: 'b' }).apply(hidden)],
    });
    net.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    const targets = [y, f32(rng, [12, 1])];
    const history = await net.fit(x, targets, { epochs: 4, validationSplit: 0.25, validationFreq: 2 });
    expect(history.history.loss).toHaveLength(4);
    expect(history.history.val_loss).toHaveLength(2);
  });
});

describe('fit: validationBatchSize', () => {
  it("evaluates the validation data that many examples at a time (by default batchSize): val_loss as tfjs' evaluate gives it", async () => {
    for (const validationBatchSize of [undefined, 2, 3, 100]) {
      resetNames();
      const { ours, theirs } = await twins();
      const history = await ours.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, validationData: [valX, valY], validationBatchSize });
      await theirs.fit(tfOf(x), tfOf(y), { epochs: 1, batchSize: 4, shuffle: false, verbose: 0 });
      const [loss] = theirs.evaluate(tfOf(valX), tfOf(valY), { batchSize: 7 }) as tf.Scalar[];
      expectClose(history.history.val_loss, [loss.dataSync()[0]], 1e-5, `validationBatchSize ${validationBatchSize}`);
    }
  });
});

describe('fit: bad epoch options', () => {
  it('are ConvlensErrors naming the option and what it takes', async () => {
    const net = network();
    const cases: [Record<string, unknown>, string | RegExp][] = [
      [{ initialEpoch: -1 }, 'fit: initialEpoch must be a non-negative integer (an epoch index from 0), got -1'],
      [{ initialEpoch: 1.5 }, 'fit: initialEpoch must be a non-negative integer (an epoch index from 0), got 1.5'],
      [
        { validationFreq: 0 },
        /^fit: validationFreq must be a positive integer \(validate every that many epochs\) or a list of epochs counted from 1, got 0$/,
      ],
      [{ validationFreq: [0, 2] }, /^fit: validationFreq must be .*, got \[0, 2\]$/],
      [{ validationFreq: 'epoch' }, /^fit: validationFreq must be .*, got "epoch"$/],
      [{ validationBatchSize: 0 }, 'fit: validationBatchSize must be a positive integer, got 0'],
      [{ initial_epoch: 1 }, "fit: unknown option 'initial_epoch' (did you mean 'initialEpoch'?)"],
    ];
    for (const [options, message] of cases) await expectConvlensRejection(net.fit(x, y, options as never), message);
  });
});

describe('fit: history.params', () => {
  it("records fit's settings as tfjs-layers does (epochs, initialEpoch, samples after the split, batchSize, doValidation), with the batches per epoch and the logs' names", async () => {
    const { ours, theirs } = await twins();
    const options = { epochs: 3, initialEpoch: 1, batchSize: 4, validationSplit: 0.25, shuffle: false };
    const { params } = await ours.fit(x, y, options);
    const expected = (await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 })).params;
    for (const key of ['epochs', 'initialEpoch', 'samples', 'batchSize', 'doValidation'] as const) {
      expect(params[key], key).toEqual(expected[key]);
    }
    // 9 examples after the split, in batches of 4 (tfjs leaves steps out for arrays; Keras 3 counts them)
    expect(params.steps).toBe(3);
    expect(params.verbose).toBe(0);
    expect(params.metrics).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
  });

  it('on a dataset: no samples or batch size, and steps only when batchesPerEpoch gives them', async () => {
    const dataset = {
      async *[Symbol.asyncIterator]() {
        yield { xs: x, ys: y };
      },
    };
    const { params } = await network().fit(dataset, { epochs: 2 });
    expect(params).toEqual({
      epochs: 2,
      initialEpoch: 0,
      steps: null,
      samples: null,
      batchSize: null,
      verbose: 0,
      doValidation: false,
      metrics: ['loss', 'accuracy'],
    });
    const counted = await network().fit(dataset, { epochs: 1, batchesPerEpoch: 1 });
    expect(counted.params.steps).toBe(1);
    // named before training, as tfjs does: also when no epoch runs, or none is validated
    expect((await network().fit(x, y, { epochs: 1, initialEpoch: 1 })).params.metrics).toEqual(['loss', 'accuracy']);
    const skipped = await network().fit(x, y, { epochs: 1, validationData: [valX, valY], validationFreq: 2 });
    expect(skipped.params.metrics).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
  });
});

describe("fit: yieldEvery (tfjs')", () => {
  /** Where in fit a task queued before it ran: the hook that first saw it done. */
  async function whenOtherTasksRun(yieldEvery?: unknown): Promise<string> {
    let ran = false;
    let seenAt = 'after fit';
    const see = (where: string) => {
      if (ran && seenAt === 'after fit') seenAt = where;
    };
    setImmediate(() => {
      ran = true;
    });
    await network().fit(x, y, {
      epochs: 2,
      batchSize: 4,
      yieldEvery: yieldEvery as never,
      callbacks: {
        onBatchBegin: (b) => see(`batch ${b}`),
        onEpochBegin: (e) => see(`epoch ${e}`),
      },
    });
    return seenAt;
  }

  it("lets other tasks run after every batch by default ('auto', 'batch', 0 ms), after each epoch, or not until fit returns", async () => {
    for (const every of [undefined, 'auto', 'batch', 0]) expect(await whenOtherTasksRun(every), String(every)).toBe('batch 1');
    expect(await whenOtherTasksRun('epoch')).toBe('epoch 1');
    expect(await whenOtherTasksRun('never')).toBe('after fit');
    // a long interval: none within this short fit
    expect(await whenOtherTasksRun(60_000)).toBe('after fit');
  });

  it('is checked, and taken on a dataset too', async () => {
    await expectConvlensRejection(
      network().fit(x, y, { yieldEvery: 'sometimes' as never }),
      "fit: yieldEvery must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds (0 or more), got \"sometimes\"",
    );
    const dataset = {
      async *[Symbol.asyncIterator]() {
        yield { xs: x, ys: y };
      },
    };
    expect((await network().fit(dataset, { epochs: 1, yieldEvery: 'never' })).epoch).toEqual([0]);
  });
});
