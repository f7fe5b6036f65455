import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { removeTempDirs, tempDir } from '../../test/cli/helpers.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { Callbacks } from './callbacks.js';
import { Add, Dense, model as functionalModel, Input, loadFunctional, loadModel, Sequential } from './index.js';
import { ModelCheckpoint, modelCheckpoint } from './model_checkpoint.js';

afterAll(removeTempDirs);

const values = (weights: Tensor[]) => weights.map((w) => Array.from(w.data));

/** A compiled Dense model and 10 examples of a linear problem. */
function problem() {
  const rng = caseRng('model checkpoint', 0);
  const model = new Sequential([new Dense({ units: 1, inputShape: [3] })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = new Tensor(rng.floats(30, -1, 1), [10, 3], 'float32');
  const y = new Tensor(rng.floats(10, -1, 1), [10, 1], 'float32');
  return { model, x, y };
}

/** A callback that records the model's weights at each epoch's end (and batch's, by 'epoch-batch' from 1). */
class WeightsRecorder implements Callbacks {
  readonly atEpoch: number[][][] = [];
  readonly atBatch = new Map<string, number[][]>();
  private epoch = 0;

  constructor(private readonly model: { getWeights(): Tensor[] }) {}

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  onBatchEnd(batch: number): void {
    this.atBatch.set(`${this.epoch + 1}-${batch + 1}`, values(this.model.getWeights()));
  }

  onEpochEnd(): void {
    this.atEpoch.push(values(this.model.getWeights()));
  }
}

const savedWeights = async (dir: string) => values((await loadModel(dir)).getWeights());
const modelJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));

describe('ModelCheckpoint', () => {
  it('saves Keras files: a .h5 model and, with saveWeightsOnly, a .weights.h5, as the epoch left the model', async () => {
    const { model, x, y } = problem();
    const dir = tempDir();
    const recorder = new WeightsRecorder(model);
    const whole = modelCheckpoint({ filepath: join(dir, 'e{epoch}.h5') });
    const weights = modelCheckpoint({ filepath: join(dir, 'e{epoch}.weights.h5'), saveWeightsOnly: true });
    await model.fit(x, y, { epochs: 2, batchSize: 5, callbacks: [whole, weights, recorder] });
    expect(readdirSync(dir).sort()).toEqual(['e1.h5', 'e1.weights.h5', 'e2.h5', 'e2.weights.h5']);
    expect(await savedWeights(join(dir, 'e1.h5'))).toEqual(recorder.atEpoch[0]);
    expect((await loadModel(join(dir, 'e2.h5'))).trainingConfig()?.loss).toBe('mean_squared_error');
    await model.loadWeights(join(dir, 'e1.weights.h5'));
    expect(values(model.getWeights())).toEqual(recorder.atEpoch[0]);
  });

  it("saves the model at each epoch's end, in the folder its filepath names (Keras' fields, the epoch from 1), as it was then", async () => {
    const { model, x, y } = problem();
    const dir = tempDir();
    const recorder = new WeightsRecorder(model);
    const checkpoint = modelCheckpoint({ filepath: join(dir, 'ckpt', 'e{epoch:02d}-{loss:.3f}') });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 5, callbacks: [checkpoint, recorder] });
    const names = history.history.loss.map((loss, epoch) => `e0${epoch + 1}-${loss.toFixed(3)}`);
    // nothing else: no temporary folder is left behind
    expect(readdirSync(join(dir, 'ckpt')).sort()).toEqual(names);
    for (const [epoch, name] of names.entries()) {
      expect(await savedWeights(join(dir, 'ckpt', name))).toEqual(recorder.atEpoch[epoch]);
    }
    // the whole model, compiled as it was; weights only are what saveWeights writes, read by loadWeights
    expect(modelJson(join(dir, 'ckpt', names[0])).trainingConfig.loss).toBe('mean_squared_error');
    const weightsOnly = new ModelCheckpoint({ filepath: join(dir, 'weights'), saveWeightsOnly: true });
    await model.fit(x, y, { epochs: 1, callbacks: [weightsOnly] });
    expect(readdirSync(join(dir, 'weights')).sort()).toEqual(['weights.bin', 'weights.json']);
    const trained = values(model.getWeights());
    model.setWeights(model.getWeights().map((w) => new Tensor(new Float32Array(w.size), w.shape, 'float32')));
    await model.loadWeights(join(dir, 'weights'));
    expect(values(model.getWeights())).toEqual(trained);
    // a functional model of two branches, as loadFunctional reads it back
    const input = Input({ shape: [3] });
    const sum = new Add().apply([new Dense({ units: 1 }).apply(input), new Dense({ units: 1 }).apply(input)]);
    const branched = functionalModel({ inputs: input, outputs: sum });
    branched.compile({ optimizer: 'sgd', loss: 'mse' });
    const branchedRecorder = new WeightsRecorder(branched);
    await branched.fit(x, y, { epochs: 2, callbacks: [modelCheckpoint({ filepath: join(dir, 'branched-{epoch}') }), branchedRecorder] });
    for (const epoch of [1, 2]) {
      const saved = await loadFunctional(join(dir, `branched-${epoch}`));
      expect(values(saved.getWeights())).toEqual(branchedRecorder.atEpoch[epoch - 1]);
    }
  });

  it('with saveBestOnly keeps the model of the best epoch by the monitored log (lower for a loss, higher with max)', async () => {
    const { model } = problem();
    const dir = tempDir();
    /** Runs epochs whose weights are all `epoch` and whose logs are `logs`, as fit would: what each folder holds. */
    const drive = async (checkpoint: ModelCheckpoint, monitored: number[]) => {
      checkpoint.setModel(model);
      for (const [epoch, value] of monitored.entries()) {
        model.setWeights(model.getWeights().map((w) => new Tensor(new Float32Array(w.data.length).fill(epoch), w.shape, 'float32')));
        checkpoint.onEpochBegin(epoch);
        await checkpoint.onEpochEnd(epoch, { loss: 1, val_loss: value, val_accuracy: value });
      }
    };
    const epochOf = async (folder: string) => (await savedWeights(join(dir, folder)))[0][0];
    await drive(new ModelCheckpoint({ filepath: join(dir, 'best'), saveBestOnly: true }), [0.5, 0.3, 0.4, 0.2, 0.25]);
    expect(await epochOf('best')).toBe(3);
    // named by epoch: the epochs that improved on the best before them
    await drive(new ModelCheckpoint({ filepath: join(dir, 'min', '{epoch}'), saveBestOnly: true }), [0.5, 0.3, 0.4, 0.2, 0.25]);
    expect(readdirSync(join(dir, 'min')).sort()).toEqual(['1', '2', '4']);
    const checkpoint = new ModelCheckpoint({ filepath: join(dir, 'max', '{epoch}'), saveBestOnly: true, monitor: 'val_accuracy' });
    await drive(checkpoint, [0.5, 0.3, 0.6, 0.6, 0.9]);
    expect(readdirSync(join(dir, 'max')).sort()).toEqual(['1', '3', '5']);
    expect(checkpoint.best).toBe(0.9);
    // a first value that does not beat the threshold is not saved
    const threshold = new ModelCheckpoint({ filepath: join(dir, 'threshold', '{epoch}'), saveBestOnly: true, initialValueThreshold: 0.35 });
    await drive(threshold, [0.5, 0.3, 0.4]);
    expect(readdirSync(join(dir, 'threshold'))).toEqual(['2']);
    expect(await epochOf(join('threshold', '2'))).toBe(1);
  });

  it('with saveBestOnly in a real fit: a loss that falls at every epoch, watched with max, leaves the first epoch saved', async () => {
    const { model, x, y } = problem();
    const dir = tempDir();
    const recorder = new WeightsRecorder(model);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const checkpoint = new ModelCheckpoint({ filepath: join(dir, 'best'), monitor: 'loss', mode: 'max', saveBestOnly: true, verbose: 1 });
      // one batch per epoch and a small step: gradient descent on a quadratic, so the loss falls
      const history = await model.fit(x, y, { epochs: 3, batchSize: 10, callbacks: [checkpoint, recorder] });
      const { loss } = history.history;
      expect(loss[1] < loss[0] && loss[2] < loss[1]).toBe(true);
      expect(await savedWeights(join(dir, 'best'))).toEqual(recorder.atEpoch[0]);
      expect(log.mock.calls.map((call) => call[0])).toEqual([
        `Epoch 1: loss improved from None to ${loss[0].toFixed(5)}, saving model to ${join(dir, 'best')}`,
        `Epoch 2: loss did not improve from ${loss[0].toFixed(5)}`,
        `Epoch 3: loss did not improve from ${loss[0].toFixed(5)}`,
      ]);
    } finally {
      log.mockRestore();
    }
  });

  it('with saveFreq n saves after every n batches, counted across epochs, named by epoch and batch from 1', async () => {
    const { model, x, y } = problem();
    const dir = tempDir();
    const recorder = new WeightsRecorder(model);
    const checkpoint = new ModelCheckpoint({ filepath: join(dir, '{epoch}-{batch}'), saveFreq: 3 });
    // 5 batches an epoch: batches 3, 6 and 9 of the 10 are batch 3 of epoch 1, and 1 and 4 of epoch 2
    await model.fit(x, y, { epochs: 2, batchSize: 2, callbacks: [checkpoint, recorder] });
    expect(readdirSync(dir).sort()).toEqual(['1-3', '2-1', '2-4']);
    for (const name of ['1-3', '2-1', '2-4']) expect(await savedWeights(join(dir, name))).toEqual(recorder.atBatch.get(name));
  });

  it('with includeOptimizer, training resumed from a checkpoint goes on as fitting straight through (Adam); without, it does not', async () => {
    const dir = tempDir();
    const adamProblem = () => {
      setSeed(7); // the same initial weights each time
      const { model, x, y } = problem();
      model.compile({ optimizer: 'adam', loss: 'mse' });
      return { model, x, y };
    };
    const straight = adamProblem();
    await straight.model.fit(straight.x, straight.y, { epochs: 3, batchSize: 5, shuffle: false });
    const resumed = async (includeOptimizer: boolean) => {
      const { model, x, y } = adamProblem();
      const filepath = join(dir, `${includeOptimizer}-{epoch}`);
      await model.fit(x, y, { epochs: 2, batchSize: 5, shuffle: false, callbacks: [modelCheckpoint({ filepath, includeOptimizer })] });
      const loaded = await loadModel(join(dir, `${includeOptimizer}-2`));
      await loaded.fit(x, y, { epochs: 1, batchSize: 5, shuffle: false });
      return loaded.getWeights().flatMap((w) => Array.from(w.data));
    };
    const expected = straight.model.getWeights().flatMap((w) => Array.from(w.data));
    const withState = await resumed(true);
    expect(Math.max(...withState.map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-6);
    // Adam started afresh takes other steps: the check above can fail
    const afresh = await resumed(false);
    expect(Math.max(...afresh.map((v, i) => Math.abs(v - expected[i])))).toBeGreaterThan(1e-4);
  });

  it('names what is wrong: settings, a filepath for a file, a field fit does not log, a folder it cannot write', async () => {
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'ckpt.h5', includeOptimizer: true }),
      "modelCheckpoint: includeOptimizer saves to a folder in the TensorFlow.js Layers format, but convlens' .h5 files hold no optimizer state",
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'ckpt', includeOptimizer: true, saveWeightsOnly: true }),
      'modelCheckpoint: includeOptimizer saves to a folder in the TensorFlow.js Layers format, but saveWeightsOnly saves the weights alone',
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'ckpt', includeOptimizer: 'yes' as never }),
      'modelCheckpoint: includeOptimizer must be true or false, got "yes"',
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'ckpt/best.keras' }),
      "modelCheckpoint: filepath 'ckpt/best.keras' ends in .keras, but convlens saves a model in a .h5 file (a Keras HDF5 model) or a folder in the TensorFlow.js Layers format (model.json and weights.bin), as model.save does: give a path such as 'ckpt/best.h5' or 'ckpt/best'",
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'ckpt.h5', saveWeightsOnly: true }),
      /ends in \.h5, but convlens saves weights in a \.weights\.h5 file .* such as 'ckpt\.weights\.h5' or 'ckpt'$/,
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'ckpt.weights.h5' }),
      /ends in \.weights\.h5, but convlens saves a model in a \.h5 file/,
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: '' }),
      `modelCheckpoint: filepath must be a folder path such as 'checkpoints/epoch-{epoch:02d}', got ""`,
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'c', saveFreq: 0 }),
      "modelCheckpoint: saveFreq must be 'epoch' or a whole number of batches ≥ 1, got 0",
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'c', saveFreq: 'batch' as never }),
      /saveFreq must be 'epoch' or a whole number/,
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'c', save_best_only: true } as never),
      /modelCheckpoint: unknown option 'save_best_only' \(did you mean 'saveBestOnly'\?\)/,
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'c', saveBestOnly: 1 as never }),
      'modelCheckpoint: saveBestOnly must be true or false, got 1',
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'c', mode: 'up' as never }),
      `modelCheckpoint: mode must be 'auto', 'min' or 'max', got "up"`,
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'c', monitor: 'val_auc', saveBestOnly: true }),
      /modelCheckpoint: cannot tell whether 'val_auc' should go down or up: give mode 'min' or 'max'/,
    );
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'c', initialValueThreshold: Number.NaN }),
      /initialValueThreshold must be a finite number or null, got NaN/,
    );
    // a field's format is checked before training
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'ckpt-{val_loss:02d}' }),
      "modelCheckpoint: filepath 'ckpt-{val_loss:02d}': '{val_loss:02d}': 'd' formats an integer, and this value is a float (use '.0f')",
    );
    expectConvlensError(() => new ModelCheckpoint({ filepath: 'ckpt-{epoch' }), /filepath 'ckpt-\{epoch' has a single '\{'/);
    expectConvlensError(
      () => new ModelCheckpoint({ filepath: 'ckpt-{batch}' }),
      "modelCheckpoint: filepath 'ckpt-{batch}' names '{batch}', which is filled in only when saving every saveFreq batches",
    );
    const { model, x, y } = problem();
    const dir = tempDir();
    await expectConvlensRejection(
      model.fit(x, y, { epochs: 1, callbacks: new ModelCheckpoint({ filepath: join(dir, '{epoch}-{val_loss:.2f}') }) }),
      `modelCheckpoint: filepath '${join(dir, '{epoch}-{val_loss:.2f}')}' names '{val_loss}', which is not among the values it is filled with (epoch, loss)`,
    );
    writeFileSync(join(dir, 'file'), 'not a folder');
    await expectConvlensRejection(
      model.fit(x, y, { epochs: 1, callbacks: new ModelCheckpoint({ filepath: join(dir, 'file', 'ckpt') }) }),
      new RegExp(`^modelCheckpoint: could not write the model to ${join(dir, 'file', 'ckpt')}: ENOTDIR`),
    );
    await expect(new ModelCheckpoint({ filepath: 'c' }).onEpochEnd(0, { loss: 1 })).rejects.toThrow(/give it to fit in callbacks/);
  });
});

describe("ModelCheckpoint(filepath, options), as Keras' callbacks.ModelCheckpoint('save_at_{epoch}.h5')", () => {
  it('saves what the options form saves, and refuses the path given twice', async () => {
    const { model, x, y } = problem();
    const dir = tempDir();
    const recorder = new WeightsRecorder(model);
    const positional = new ModelCheckpoint(join(dir, 'save_at_{epoch}.h5'));
    const best = modelCheckpoint(join(dir, 'best'), { monitor: 'loss', saveBestOnly: true });
    await model.fit(x, y, { epochs: 2, batchSize: 5, callbacks: [positional, best, recorder] });
    expect(readdirSync(dir).sort()).toEqual(['best', 'save_at_1.h5', 'save_at_2.h5']);
    expect(await savedWeights(join(dir, 'save_at_2.h5'))).toEqual(recorder.atEpoch[1]);
    expect(best.monitor).toBe('loss');
    expectConvlensError(
      () => new ModelCheckpoint('a', { filepath: 'b' } as never),
      'modelCheckpoint: the filepath is given twice, \'a\' first and "b" among the options',
    );
    expectConvlensError(
      () => new ModelCheckpoint('a', { save_best_only: true } as never),
      "modelCheckpoint: unknown option 'save_best_only' (did you mean 'saveBestOnly'?)",
    );
  });
});
