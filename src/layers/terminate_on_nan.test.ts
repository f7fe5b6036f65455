import { describe, expect, it, vi } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import type { Callbacks, History, Logs } from './callbacks.js';
import { Dense, Sequential } from './index.js';
import { TerminateOnNaN, terminateOnNaN } from './terminate_on_nan.js';

/** Two models of the same weights, and data on which SGD at learning rate 0.3 diverges after some epochs. */
function divergingTwins() {
  const rng = caseRng('terminate on nan', 0);
  const net = () => new Sequential([new Dense({ units: 1, inputShape: [3] })]);
  const [a, b] = [net(), net()];
  b.setWeights(a.getWeights());
  for (const model of [a, b]) model.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'mse' });
  const x = new Tensor(rng.floats(30, -3, 3), [10, 3], 'float32');
  const y = new Tensor(rng.floats(10, -1, 1), [10, 1], 'float32');
  return { a, b, x, y };
}

/** Records what fit reports: each batch's loss by epoch, and the history onTrainEnd gets. */
class Reports implements Callbacks {
  readonly losses: number[][] = [];
  ended?: History;

  onEpochBegin(): void {
    this.losses.push([]);
  }

  onBatchEnd(_batch: number, logs: Logs): void {
    this.losses[this.losses.length - 1].push(logs.loss);
  }

  onTrainEnd(history: History): void {
    this.ended = history;
  }
}

describe('TerminateOnNaN', () => {
  it('ends a diverging fit after the batch whose loss is infinite, within its epoch, where fit would throw', async () => {
    const { a, b, x, y } = divergingTwins();
    const settings = { epochs: 100, batchSize: 2, shuffle: false };
    const error = await a.fit(x, y, settings).then(
      () => undefined,
      (e: Error) => e.message,
    );
    const [, epoch, batch] = (/^fit: the loss became Infinity at epoch (\d+), batch (\d+)/.exec(error ?? '') ?? []).map(Number);
    expect(epoch, error).toBeGreaterThan(1);
    const reports = new Reports();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const history = await b.fit(x, y, { ...settings, callbacks: [terminateOnNaN(), reports] });
      // the epochs before it are recorded, and onTrainEnd gets them
      expect(history.epoch).toEqual(Array.from({ length: epoch - 1 }, (_, i) => i));
      expect(reports.ended).toBe(history);
      // its epoch's batches up to it were reported, the last with the infinite loss, and no batch after it
      const last = reports.losses[epoch - 1];
      expect(reports.losses).toHaveLength(epoch);
      expect(last).toHaveLength(batch);
      expect(batch).toBeLessThan(5); // of the epoch's 5: the batches after it are not run
      expect(last.slice(0, -1).every(Number.isFinite) && last[batch - 1] === Number.POSITIVE_INFINITY).toBe(true);
      expect(log.mock.calls).toEqual([[`Batch ${batch - 1}: Invalid loss, terminating training`]]);
    } finally {
      log.mockRestore();
    }
    // that batch's step is not taken: the weights are those fit leaves when it throws
    expect(b.getWeights().map((w) => Array.from(w.data))).toEqual(a.getWeights().map((w) => Array.from(w.data)));
  });

  it('with raiseError throws a ConvlensError naming the batch; a finite or missing loss goes by', async () => {
    const { b, x, y } = divergingTwins();
    await expect(
      b.fit(x, y, { epochs: 100, batchSize: 2, shuffle: false, callbacks: terminateOnNaN({ raiseError: true }) }),
    ).rejects.toThrow(/^terminateOnNaN: the loss became Infinity at epoch \d+, batch \d+: training stopped$/);
    const callback = new TerminateOnNaN();
    const model = { stopTraining: false, getWeights: () => [], setWeights: () => {} };
    callback.setModel(model);
    callback.onBatchEnd(0, { loss: 1e30 });
    callback.onBatchEnd(1, { accuracy: Number.NaN });
    expect(model.stopTraining).toBe(false);
    expectConvlensError(
      () => new TerminateOnNaN({ raise_error: true } as never),
      /terminateOnNaN: unknown option 'raise_error' \(did you mean 'raiseError'\?\)/,
    );
    expectConvlensError(
      () => new TerminateOnNaN({ raiseError: 'yes' as never }),
      'terminateOnNaN: raiseError must be true or false, got "yes"',
    );
  });
});
