import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam, SGD } from '../train/optimizers.js';
import { ExponentialDecay, PiecewiseConstantDecay } from '../train/schedules.js';
import type { Logs, TrainingModel } from './callbacks.js';
import { Dense, fromArtifacts, Input, model, resetNames, Sequential } from './index.js';
import { LearningRateScheduler, ReduceLROnPlateau } from './lr_callbacks.js';

beforeEach(() => resetNames());

/** A tfjs-layers softmax classifier and convlens' copy of it (the same weights), with 12 examples of 4 features in 3 classes. */
async function twinModels(seed: string): Promise<{ ours: Sequential; theirs: tfl.LayersModel; x: Tensor; y: Tensor }> {
  const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
  const saved = await tfjsSaved(theirs);
  const ours = fromArtifacts(saved.modelJson, saved.weightData);
  const rng = caseRng(seed, 0);
  const labels = rng.ints(12, 0, 2);
  const y = new Tensor(
    Float32Array.from({ length: 36 }, (_, i) => (labels[Math.floor(i / 3)] === i % 3 ? 1 : 0)),
    [12, 3],
    'float32',
  );
  return { ours, theirs, x: f32(rng, [12, 4]), y };
}

function expectSameWeights(ours: Sequential, theirs: tfl.LayersModel, what: string): void {
  const ourWeights = ours.getWeights();
  for (const [i, w] of theirs.getWeights().entries()) expectClose(ourWeights[i], w.dataSync(), 1e-5, `${what} weight ${i}`);
}

const options = { epochs: 3, batchSize: 4, shuffle: false };

describe('fit with a learning-rate schedule', () => {
  it("steps at the schedule's rate for each batch (step 0 first): tfjs-layers' fit given the formula's rate after each batch", async () => {
    const { ours, theirs, x, y } = await twinModels('fit schedule');
    const formula = (step: number) => 0.5 * 0.6 ** Math.floor(step / 2); // ExponentialDecay(0.5, 2, 0.6, staircase), Keras' formula
    ours.compile({
      optimizer: new SGD({
        learningRate: new ExponentialDecay({ initialLearningRate: 0.5, decaySteps: 2, decayRate: 0.6, staircase: true }),
      }),
      loss: 'categoricalCrossentropy',
    });
    const sgd = tf.train.sgd(formula(0));
    theirs.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    let step = 0;
    const history = await ours.fit(x, y, options);
    const expected = await theirs.fit(tfOf(x), tfOf(y), {
      ...options,
      verbose: 0,
      callbacks: { onBatchEnd: async () => sgd.setLearningRate(formula(++step)) },
    });
    expect(step).toBe(9);
    expect((ours.optimizer as SGD).iterations).toBe(9);
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expectSameWeights(ours, theirs, 'sgd schedule');
  });

  it('an Adam with a schedule trains as one whose rate a callback sets to the formula before each batch', async () => {
    const { ours, x, y } = await twinModels('fit adam schedule');
    const twin = fromArtifacts(ours.toArtifacts().modelJson, ours.toArtifacts().weightData);
    const rates = [0.05, 0.02, 0.01];
    const formula = (step: number) => (step <= 3 ? rates[0] : step <= 5 ? rates[1] : rates[2]); // PiecewiseConstantDecay([3, 5], rates)
    ours.compile({ optimizer: new Adam({ learningRate: new PiecewiseConstantDecay({ boundaries: [3, 5], values: rates }) }), loss: 'mse' });
    const byHand = new Adam({ learningRate: formula(0) });
    twin.compile({ optimizer: byHand, loss: 'mse' });
    await ours.fit(x, y, options);
    await twin.fit(x, y, {
      ...options,
      callbacks: {
        onBatchEnd: () => {
          byHand.learningRate = formula(byHand.iterations);
        },
      },
    });
    expect(ours.getWeights().map((w) => Array.from(w.data))).toEqual(twin.getWeights().map((w) => Array.from(w.data)));
  });
});

describe('fit with a learning rate given as a function', () => {
  /** Rates that change at every call, and a function that gives them in turn, counting its calls. */
  const ratesInTurn = (rates: number[]) => {
    const counter = { calls: 0 };
    return { counter, rate: () => rates[counter.calls++ % rates.length] };
  };
  const rates = [0.5, 0.2, 0.35, 0.05, 0.4];

  it("SGD steps at the function's return, called once per batch: tfjs-layers' fit given those rates before each batch", async () => {
    const { ours, theirs, x, y } = await twinModels('fit rate function sgd');
    const { counter, rate } = ratesInTurn(rates);
    const sgd = new SGD({ learningRate: rate });
    ours.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    const theirSgd = tf.train.sgd(rates[0]);
    theirs.compile({ optimizer: theirSgd, loss: 'categoricalCrossentropy' });
    let step = 0;
    const history = await ours.fit(x, y, options);
    const expected = await theirs.fit(tfOf(x), tfOf(y), {
      ...options,
      verbose: 0,
      callbacks: { onBatchBegin: async () => theirSgd.setLearningRate(rates[step++ % rates.length]) },
    });
    expect(counter.calls).toBe(9);
    expect(sgd.learningRate).toBe(rate);
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expectSameWeights(ours, theirs, 'sgd rate function');
  });

  it("Adam with a function matches tf.train.adam whose rate is set to the function's return before each batch", async () => {
    const { ours, theirs, x, y } = await twinModels('fit rate function adam');
    const small = rates.map((r) => r / 10);
    const { counter, rate } = ratesInTurn(small);
    // an ε too small to matter: tfjs adds it to √v̂, Keras to √v
    ours.compile({ optimizer: new Adam({ learningRate: rate, epsilon: 1e-12 }), loss: 'categoricalCrossentropy' });
    const adam = tf.train.adam(small[0], 0.9, 0.999, 1e-12);
    theirs.compile({ optimizer: adam, loss: 'categoricalCrossentropy' });
    let step = 0;
    const history = await ours.fit(x, y, options);
    const expected = await theirs.fit(tfOf(x), tfOf(y), {
      ...options,
      verbose: 0,
      callbacks: {
        // tfjs' Adam has no setter: its update reads this field at each step
        onBatchBegin: async () => {
          (adam as unknown as { learningRate: number }).learningRate = small[step++ % small.length];
        },
      },
    });
    expect(counter.calls).toBe(9);
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expectSameWeights(ours, theirs, 'adam rate function');
  });

  it("a model compiled with one trains but saves no compile settings, as with a schedule of one's own; getConfig names the problem", async () => {
    const { ours, x, y } = await twinModels('save rate function');
    const adam = new Adam({ learningRate: () => 0.01 });
    ours.compile({ optimizer: adam, loss: 'mse' });
    expect(ours.trainingConfig()).toBeUndefined();
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.trainingConfig).toBeUndefined();
    expect(modelJson.modelTopology.training_config).toBeUndefined();
    await ours.fit(x, y, { epochs: 1 });
    const loaded = fromArtifacts(modelJson, weightData);
    expect(loaded.optimizer).toBeUndefined();
    expectConvlensError(
      () => adam.getConfig(),
      'adam.getConfig: the learning rate is a function, which a config cannot hold: give a number or a LearningRateSchedule to save it',
    );
  });

  it('a return that is not a finite number ≥ 0 stops fit with an error naming the optimizer, what it returned and the step; the weights stay', async () => {
    for (const [bad, shown] of [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [-0.1, '-0.1'],
      ['0.1', '"0.1"'],
      [undefined, 'undefined'],
    ] as const) {
      const { ours, x, y } = await twinModels(`bad rate ${shown}`);
      let calls = 0;
      ours.compile({ optimizer: new SGD({ learningRate: () => (calls++ < 2 ? 0.1 : (bad as number)) }), loss: 'mse' });
      const before: number[][] = [];
      await expectConvlensRejection(
        ours.fit(x, y, {
          ...options,
          callbacks: { onBatchBegin: () => void before.push(...ours.getWeights().map((w) => Array.from(w.data))) },
        }),
        `sgd: the learningRate function returned ${shown} at step 2, expected a finite number ≥ 0`,
      );
      expect(ours.getWeights().map((w) => Array.from(w.data))).toEqual(before.slice(-2));
    }
  });

  it("LearningRateScheduler and ReduceLROnPlateau refuse to set it, as Keras' setter does; the optimizer's setter refuses a number over it", async () => {
    const { ours, x, y } = await twinModels('set rate function');
    ours.compile({ optimizer: new SGD({ learningRate: () => 0.1 }), loss: 'mse' });
    await expectConvlensRejection(
      ours.fit(x, y, { callbacks: [new LearningRateScheduler((_, rate) => rate)] }),
      "LearningRateScheduler: the optimizer's learning rate is a function, which cannot be set (as in Keras): compile with an optimizer whose learningRate is a number",
    );
    await expectConvlensRejection(
      ours.fit(x, y, { epochs: 2, callbacks: [new ReduceLROnPlateau({ monitor: 'loss', mode: 'max', patience: 1, minDelta: 10 })] }),
      "ReduceLROnPlateau: the optimizer's learning rate is a function, which cannot be set (as in Keras): compile with an optimizer whose learningRate is a number",
    );
    const sgd = new SGD({ learningRate: 0.1 });
    const halving = () => 0.05;
    sgd.learningRate = halving;
    expect(sgd.learningRate).toBe(halving);
    expect(sgd.currentLearningRate).toBe(0.05);
    expectConvlensError(() => {
      sgd.learningRate = 0.2;
    }, 'sgd: the learning rate is a function, which cannot be set to a number (as in Keras): give the optimizer a number learningRate to change it while training, got 0.2');
    sgd.learningRate = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5 });
    expect(sgd.currentLearningRate).toBe(0.1);
  });
});

describe('LearningRateScheduler (Keras 3)', () => {
  it("sets the rate schedule(epoch, rate) gives at each epoch's beginning and logs it as learning_rate, as tfjs-layers' fit given those rates", async () => {
    const { ours, theirs, x, y } = await twinModels('scheduler');
    const seen: [number, number][] = [];
    const schedule = (epoch: number, rate: number) => {
      seen.push([epoch, rate]);
      return epoch < 2 ? rate : rate * 0.5;
    };
    ours.compile({ optimizer: new SGD({ learningRate: 0.4 }), loss: 'categoricalCrossentropy' });
    const sgd = tf.train.sgd(0.4);
    theirs.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    let history: Awaited<ReturnType<Sequential['fit']>>;
    try {
      history = await ours.fit(x, y, { ...options, epochs: 4, callbacks: [new LearningRateScheduler(schedule, 1)] });
      expect(log.mock.calls.map((call) => call[0])).toEqual([
        'Epoch 1: LearningRateScheduler setting learning rate to 0.4.',
        'Epoch 2: LearningRateScheduler setting learning rate to 0.4.',
        'Epoch 3: LearningRateScheduler setting learning rate to 0.2.',
        'Epoch 4: LearningRateScheduler setting learning rate to 0.1.',
      ]);
    } finally {
      log.mockRestore();
    }
    expect(seen).toEqual([
      [0, 0.4],
      [1, 0.4],
      [2, 0.4],
      [3, 0.2],
    ]);
    expect(history.history.learning_rate).toEqual([0.4, 0.4, 0.2, 0.1]);
    const rates = [0.4, 0.4, 0.2, 0.1];
    const expected = await theirs.fit(tfOf(x), tfOf(y), {
      ...options,
      epochs: 4,
      verbose: 0,
      callbacks: { onEpochBegin: async (epoch) => sgd.setLearningRate(rates[epoch]) },
    });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expectSameWeights(ours, theirs, 'scheduler');
  });

  it('refuses an optimizer whose rate is a schedule, as Keras does, a schedule that returns no rate, and bad arguments', async () => {
    const { ours, x, y } = await twinModels('scheduler errors');
    ours.compile({
      optimizer: new SGD({ learningRate: new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5 }) }),
      loss: 'mse',
    });
    await expectConvlensRejection(
      ours.fit(x, y, { callbacks: [new LearningRateScheduler((_, rate) => rate)] }),
      "LearningRateScheduler: the optimizer's learning rate is the schedule ExponentialDecay, which cannot be set (as in Keras): compile with an optimizer whose learningRate is a number",
    );
    ours.compile({ optimizer: new SGD(), loss: 'mse' });
    await expectConvlensRejection(
      ours.fit(x, y, { callbacks: [new LearningRateScheduler(() => Number.NaN)] }),
      'LearningRateScheduler: schedule must return a finite number ≥ 0, got NaN for epoch 0',
    );
    expectConvlensError(
      () => new LearningRateScheduler(0.1 as never),
      'LearningRateScheduler: schedule must be a function (epoch, learningRate) => learningRate, got 0.1',
    );
    expectConvlensError(
      () => new LearningRateScheduler((_, r) => r, -1),
      'LearningRateScheduler: verbose must be 0 (silent) or more (print each change), got -1',
    );
    expectConvlensError(
      () => new LearningRateScheduler((_, r) => r).onEpochBegin(0),
      'LearningRateScheduler: give it to fit in callbacks (it has no model whose learning rate to set)',
    );
  });
});

/** A model as fit gives callbacks, with `optimizer`. */
const modelWith = (optimizer: unknown): TrainingModel =>
  ({ stopTraining: false, optimizer, getWeights: () => [], setWeights: () => {} }) as unknown as TrainingModel;

describe('ReduceLROnPlateau (Keras 3)', () => {
  it("follows Keras' rule epoch by epoch: patience, minDelta, cooldown and minLr (worked by hand)", () => {
    const sgd = new SGD({ learningRate: 1 });
    const callback = new ReduceLROnPlateau({ patience: 2, factor: 0.5, cooldown: 1, minLr: 0.1, minDelta: 0.01 });
    callback.setModel(modelWith(sgd));
    callback.onTrainBegin();
    const losses = [1, 0.9, 0.895, 0.899, 0.88, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];
    const logged: number[] = [];
    const after: number[] = [];
    for (const [epoch, loss] of losses.entries()) {
      const logs: Logs = { loss, val_loss: loss };
      callback.onEpochEnd(epoch, logs);
      logged.push(logs.learning_rate);
      after.push(sgd.learningRate as number);
    }
    // e2 and e3 fail to beat 0.9 by 0.01: halved after e3; e4 (cooldown) beats it; then halved every two epochs down to minLr
    expect(after).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1, 0.1, 0.1]);
    // Keras logs the rate the epoch trained with, before reducing it
    expect(logged).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1, 0.1]);
  });

  it("'auto' watches a monitor with 'acc' in its name for increases, as Keras decides; min and max as given", () => {
    for (const [args, values, reduced] of [
      [{ monitor: 'val_accuracy' }, [0.5, 0.6, 0.55], true],
      [{ monitor: 'val_accuracy' }, [0.5, 0.4, 0.3], true],
      [{ monitor: 'val_accuracy', mode: 'min' }, [0.5, 0.4, 0.3], false],
      [{ monitor: 'val_loss', mode: 'max' }, [0.5, 0.6, 0.7], false],
    ] as const) {
      const sgd = new SGD({ learningRate: 1 });
      const callback = new ReduceLROnPlateau({ ...args, patience: 1, minDelta: 0 });
      callback.setModel(modelWith(sgd));
      callback.onTrainBegin();
      for (const [epoch, value] of values.entries()) callback.onEpochEnd(epoch, { [args.monitor]: value });
      expect((sgd.learningRate as number) < 1, JSON.stringify([args, values])).toBe(reduced);
    }
  });

  it("in fit, reduces the rate at an epoch's end and logs learning_rate, as tfjs-layers' fit given those rates", async () => {
    const { ours, theirs, x, y } = await twinModels('plateau fit');
    ours.compile({ optimizer: new SGD({ learningRate: 0.4 }), loss: 'categoricalCrossentropy' });
    const sgd = tf.train.sgd(0.4);
    theirs.compile({ optimizer: sgd, loss: 'categoricalCrossentropy' });
    // mode 'max' on a falling loss: no epoch after the first improves, so each halves the rate (patience 1)
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    let history: Awaited<ReturnType<Sequential['fit']>>;
    try {
      const plateau = new ReduceLROnPlateau({ monitor: 'loss', mode: 'max', patience: 1, factor: 0.5, minDelta: 0, verbose: 1 });
      history = await ours.fit(x, y, { ...options, epochs: 4, callbacks: [plateau] });
      expect(log.mock.calls.map((call) => call[0])).toEqual([
        'Epoch 2: ReduceLROnPlateau reducing learning rate to 0.2.',
        'Epoch 3: ReduceLROnPlateau reducing learning rate to 0.1.',
        'Epoch 4: ReduceLROnPlateau reducing learning rate to 0.05.',
      ]);
    } finally {
      log.mockRestore();
    }
    expect(history.history.learning_rate).toEqual([0.4, 0.4, 0.2, 0.1]);
    const expected = await theirs.fit(tfOf(x), tfOf(y), {
      ...options,
      epochs: 4,
      verbose: 0,
      callbacks: { onEpochEnd: async (epoch) => sgd.setLearningRate(epoch === 0 ? 0.4 : 0.4 * 0.5 ** epoch) },
    });
    const losses = expected.history.loss as number[];
    expect(
      losses.every((loss, i) => i === 0 || loss < losses[i - 1]),
      'the loss falls every epoch',
    ).toBe(true);
    expectClose(history.history.loss, losses, 1e-5, 'loss');
    expectSameWeights(ours, theirs, 'plateau');
  });

  it('refuses to reduce a rate that is a schedule, as Keras does, warns once of a monitor fit does not log, and refuses bad arguments', async () => {
    const { ours, x, y } = await twinModels('plateau errors');
    ours.compile({
      optimizer: new SGD({ learningRate: new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5 }) }),
      loss: 'mse',
    });
    await expectConvlensRejection(
      // no epoch beats the first by 10: the second reduces (after two steps, one batch each)
      ours.fit(x, y, { epochs: 3, callbacks: [new ReduceLROnPlateau({ monitor: 'loss', mode: 'max', patience: 1, minDelta: 10 })] }),
      "ReduceLROnPlateau: the optimizer's learning rate is the schedule ExponentialDecay, which cannot be set (as in Keras): compile with an optimizer whose learningRate is a number",
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const history = await ours.fit(x, y, { epochs: 2, callbacks: [new ReduceLROnPlateau()] });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toBe(
        "convlens: ReduceLROnPlateau watches 'val_loss', which epoch 1's logs lack (they have loss, learning_rate): an epoch without it leaves the learning rate as it is",
      );
      // the rate the next step takes, the schedule's at the step count: 3 and 4 after the two steps above
      expectClose(history.history.learning_rate, [0.1 * 0.5 ** (3 / 5), 0.1 * 0.5 ** (4 / 5)], 1e-12, 'logged rates');
    } finally {
      warn.mockRestore();
    }
    expectConvlensError(
      () => new ReduceLROnPlateau({ factor: 1 }),
      'ReduceLROnPlateau: factor must be a number in [0, 1) (Keras does not support a factor ≥ 1), got 1',
    );
    expectConvlensError(() => new ReduceLROnPlateau({ patience: 1.5 }), 'ReduceLROnPlateau: patience must be a whole number ≥ 0, got 1.5');
    expectConvlensError(() => new ReduceLROnPlateau({ minLr: -1 }), 'ReduceLROnPlateau: minLr must be a finite number ≥ 0, got -1');
    expectConvlensError(
      () => new ReduceLROnPlateau({ mode: 'up' as never }),
      `ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', got "up"`,
    );
    expectConvlensError(
      () => new ReduceLROnPlateau({ min_lr: 0.1 } as never),
      "ReduceLROnPlateau: unknown option 'min_lr' (did you mean 'minLr'?)",
    );
  });
});

describe('model.optimizer', () => {
  it("is compile's optimizer (Keras' model.optimizer), for Sequential and Functional models of one output or several; undefined before compile", () => {
    const a = Input({ shape: [4], name: 'a' });
    const one = model({ inputs: a, outputs: new Dense({ units: 2, name: 'one' }).apply(a) });
    const two = model({ inputs: a, outputs: [new Dense({ units: 2, name: 'p' }).apply(a), new Dense({ units: 3, name: 'q' }).apply(a)] });
    const sequential = new Sequential([new Dense({ units: 2, inputShape: [4] })]);
    for (const m of [sequential, one, two]) {
      expect(m.optimizer).toBeUndefined();
      const sgd = new SGD();
      m.compile({ optimizer: sgd, loss: 'mse' });
      expect(m.optimizer).toBe(sgd);
    }
  });
});
