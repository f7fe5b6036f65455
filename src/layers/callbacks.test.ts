import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it, vi } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import '../../test/helpers/tf.js'; // tfjs' CPU backend, which its models need
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { EarlyStopping, earlyStopping, type TrainingModel } from './callbacks.js';
import { Dense, Sequential } from './index.js';

/** A stand-in for the model: its weights are one number, the epoch that set them. */
function fakeModel(): TrainingModel & { weightsEpoch: number; restored: number[] } {
  const model = {
    stopTraining: false,
    weightsEpoch: -1,
    restored: [] as number[],
    getWeights: () => [new Tensor(Float32Array.of(model.weightsEpoch), [1], 'float32')],
    setWeights: (w: Tensor[]) => {
      model.restored.push(w[0].data[0]);
    },
  };
  return model;
}

/** Runs a callback over a sequence of logs as fit would: the epoch at which it stopped training, or -1. */
function stopEpoch(callback: EarlyStopping, monitor: string, values: number[]): { stopped: number; model: ReturnType<typeof fakeModel> } {
  const model = fakeModel();
  callback.setModel(model);
  callback.onTrainBegin();
  let stopped = -1;
  for (const [epoch, value] of values.entries()) {
    model.weightsEpoch = epoch;
    callback.onEpochEnd(epoch, { loss: 1, [monitor]: value });
    if (model.stopTraining) {
      stopped = epoch;
      break;
    }
  }
  callback.onTrainEnd();
  return { stopped, model };
}

describe('EarlyStopping', () => {
  it("stops where tfjs' earlyStopping stops, on random histories (no baseline: where Keras 3 and tfjs agree)", async () => {
    for (let c = 0; c < 300; c++) {
      const rng = caseRng('early stopping', c);
      const monitor = rng.pick(['val_loss', 'val_acc', 'loss', 'accuracy']);
      const mode = rng.pick(['auto', 'min', 'max'] as const);
      const patience = rng.int(0, 3);
      const minDelta = rng.pick([0, 0, 0.01, 0.05]);
      // values on a coarse grid, so that ties and exact minDelta steps occur
      const values = Array.from({ length: 12 }, () => Math.round(rng.float(0, 1) * 20) / 20);
      const theirs = tfl.callbacks.earlyStopping({ monitor, mode, patience, minDelta });
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1] })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      model.stopTraining = false;
      theirs.setModel(model);
      await theirs.onTrainBegin();
      let expected = -1;
      for (const [epoch, value] of values.entries()) {
        await theirs.onEpochEnd(epoch, { [monitor]: value });
        if (model.stopTraining) {
          expected = epoch;
          break;
        }
      }
      const ours = stopEpoch(new EarlyStopping({ monitor, mode, patience, minDelta }), monitor, values);
      expect(ours.stopped, `case ${c}: ${JSON.stringify({ monitor, mode, patience, minDelta, values })}`).toBe(expected);
    }
  });

  it("Keras 3's rules: a baseline to beat, no stop at epoch 0, startFromEpoch, and the best weights restored", () => {
    // an epoch that improves never stops training; one that does not counts every epoch since the
    // last that beat the baseline too: here none did, so patience 2 runs out one epoch sooner
    expect(stopEpoch(new EarlyStopping({ patience: 2 }), 'val_loss', [0.9, 0.95, 0.97, 0.99]).stopped).toBe(2);
    expect(stopEpoch(new EarlyStopping({ baseline: 0.5, patience: 2 }), 'val_loss', [0.9, 0.95, 0.97, 0.99]).stopped).toBe(1);
    expect(stopEpoch(new EarlyStopping({ baseline: 0.5, patience: 2 }), 'val_loss', [0.9, 0.8, 0.7, 0.6]).stopped).toBe(-1);
    // epoch 0 does not stop, even when it is no improvement (a NaN loss)
    expect(stopEpoch(new EarlyStopping({ patience: 0 }), 'val_loss', [Number.NaN, Number.NaN]).stopped).toBe(1);
    // beating it restarts the wait: 0.4 at epoch 2, then two epochs without improvement
    expect(stopEpoch(new EarlyStopping({ baseline: 0.5, patience: 2 }), 'val_loss', [0.9, 0.8, 0.4, 0.45, 0.42, 0.41]).stopped).toBe(4);
    // watching starts at epoch 3: the rise before it does not count
    expect(stopEpoch(new EarlyStopping({ startFromEpoch: 3, patience: 1 }), 'val_loss', [0.1, 0.5, 0.9, 0.8, 0.85]).stopped).toBe(4);
    // the best epoch's weights (epoch 1, accuracy 0.9) are set back when training ends, stopped or not
    const best = stopEpoch(
      new EarlyStopping({ monitor: 'val_accuracy', patience: 2, restoreBestWeights: true }),
      'val_accuracy',
      [0.5, 0.9, 0.7, 0.8, 0.6],
    );
    expect([best.stopped, best.model.restored]).toEqual([3, [1]]);
    const ran = stopEpoch(
      new EarlyStopping({ monitor: 'val_accuracy', patience: 9, restoreBestWeights: true }),
      'val_accuracy',
      [0.5, 0.9, 0.7],
    );
    expect([ran.stopped, ran.model.restored]).toEqual([-1, [1]]);
    expect(stopEpoch(new EarlyStopping({ patience: 1 }), 'val_loss', [0.5, 0.6, 0.4]).model.restored).toEqual([]);
  });

  it('stops a real fit and restores its best weights (the docs example: a loss that does not fall)', async () => {
    setSeed(3);
    const rng = caseRng('early fit', 0);
    const x = new Tensor(rng.floats(40, -1, 1), [10, 4], 'float32');
    const y = new Tensor(rng.floats(10, -1, 1), [10, 1], 'float32');
    const net = () => new Sequential([new Dense({ units: 1, inputShape: [4] })]);
    const model = net();
    const first = net();
    first.setWeights(model.getWeights());
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    first.compile({ optimizer: 'sgd', loss: 'mse' });
    // no fall of the loss by 100: epoch 0 is the best, and patience 1 stops training at epoch 1
    const stopper = earlyStopping({ monitor: 'loss', minDelta: 100, patience: 1, restoreBestWeights: true });
    const history = await model.fit(x, y, { epochs: 10, batchSize: 10, shuffle: false, callbacks: [stopper] });
    expect(history.epoch).toEqual([0, 1]);
    expect(stopper.stoppedEpoch).toBe(1);
    // the weights are those after one epoch, as a twin trained for one epoch has them
    await first.fit(x, y, { epochs: 1, batchSize: 10, shuffle: false });
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(first.getWeights().map((w) => Array.from(w.data)));
  });

  it('names what is wrong: settings, a monitor it cannot judge, one fit does not log', async () => {
    expectConvlensError(
      () => new EarlyStopping({ monitor: 'val_auc' }),
      /cannot tell whether 'val_auc' should go down or up: give mode 'min' or 'max'/,
    );
    expect(new EarlyStopping({ monitor: 'val_auc', mode: 'max' }).monitor).toBe('val_auc');
    expectConvlensError(() => new EarlyStopping({ patience: -1 }), 'earlyStopping: patience must be a whole number ≥ 0, got -1');
    expectConvlensError(() => new EarlyStopping({ mode: 'up' as never }), `earlyStopping: mode must be 'auto', 'min' or 'max', got "up"`);
    expectConvlensError(
      () => new EarlyStopping({ min_delta: 0.1 } as never),
      /earlyStopping: unknown option 'min_delta' \(did you mean 'minDelta'\?\)/,
    );
    expectConvlensError(() => new EarlyStopping({ baseline: Number.NaN }), 'earlyStopping: baseline must be a finite number, got NaN');
    // Keras' None and fit's verbose 2 are taken
    expect(new EarlyStopping({ baseline: null, verbose: 2 }).baseline).toBeUndefined();
    expectConvlensError(() => new EarlyStopping({ verbose: -1 }), /verbose must be 0 \(silent\) or more/);
    expectConvlensError(() => new EarlyStopping().onEpochEnd(0, { val_loss: 1 }), /give it to fit in callbacks/);
    // val_loss without validation data: said once, and training runs its epochs
    const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const x = new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2], 'float32');
      const history = await model.fit(x, new Tensor(Float32Array.of(1, 0), [2, 1], 'float32'), { epochs: 3, callbacks: earlyStopping() });
      expect(history.epoch).toHaveLength(3);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/earlyStopping watches 'val_loss', which epoch 1's logs lack \(they have loss\)/);
    } finally {
      warn.mockRestore();
    }
  });
});
