import { describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
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

  describe('a finite loss whose gradients overflow', () => {
    // Dense(1) from w = 0, b = 0 at learning rate 0.25 on (x 1e30, y 0) then (x 0, y 1e9), one a batch:
    // epoch 1's first loss is 0, its second 1e18 (b ← 0.25·2·1e9 = 5e8); epoch 2's first batch has
    // the prediction 5e8, a loss of 2.5e17, and a kernel gradient 2·5e8·1e30 = 1e39, beyond float32
    const x = new Tensor(Float32Array.of(1e30, 0), [2, 1], 'float32');
    const y = new Tensor(Float32Array.of(0, 1e9), [2, 1], 'float32');
    const settings = { epochs: 3, batchSize: 1, shuffle: false };
    const overflowing = () => {
      const net = new Sequential([new Dense({ units: 1, inputShape: [1] })]);
      net.setWeights([new Tensor(Float32Array.of(0), [1, 1], 'float32'), new Tensor(Float32Array.of(0), [1], 'float32')]);
      net.compile({ optimizer: new SGD({ learningRate: 0.25 }), loss: 'mse' });
      return net;
    };
    /** The two examples, one a batch, as a dataset each iteration of which is an epoch. */
    const dataset = {
      async *[Symbol.asyncIterator]() {
        yield { x: new Tensor(Float32Array.of(1e30), [1, 1], 'float32'), y: new Tensor(Float32Array.of(0), [1, 1], 'float32') };
        yield { x: new Tensor(Float32Array.of(0), [1, 1], 'float32'), y: new Tensor(Float32Array.of(1e9), [1, 1], 'float32') };
      },
    };
    const weightsBefore = [[0], [5e8]];
    const weightsOf = (net: Sequential) => net.getWeights().map((w) => Array.from(w.data));

    it('without TerminateOnNaN fit throws at that batch, arrays or a dataset, the weights as before it', async () => {
      for (const train of [(net: Sequential) => net.fit(x, y, settings), (net: Sequential) => net.fit(dataset, { epochs: 3 })]) {
        const net = overflowing();
        await expect(train(net)).rejects.toThrow(
          'fit: the gradients overflowed at epoch 2, batch 1; the weights are left as they were before this batch (try a lower learning rate)',
        );
        expect(weightsOf(net)).toEqual(weightsBefore);
      }
    });

    it('with it fit stops there as for a NaN loss: the epochs before it recorded, with validation, no step, one line naming the batch', async () => {
      const runs: [string, (net: Sequential, callbacks: Callbacks[]) => Promise<History>][] = [
        ['arrays', (net, callbacks) => net.fit(x, y, { ...settings, callbacks })],
        ['arrays, validationData', (net, callbacks) => net.fit(x, y, { ...settings, validationData: [x, y], callbacks })],
        ['a dataset', (net, callbacks) => net.fit(dataset, { epochs: 3, callbacks })],
        ['a dataset, validationData', (net, callbacks) => net.fit(dataset, { epochs: 3, validationData: dataset, callbacks })],
      ];
      for (const [what, train] of runs) {
        const net = overflowing();
        const reports = new Reports();
        const log = vi.spyOn(console, 'log').mockImplementation(() => {});
        let history: History;
        try {
          history = await train(net, [terminateOnNaN(), reports]);
          expect(log.mock.calls, what).toEqual([['Batch 0: Invalid gradients, terminating training']]);
        } finally {
          log.mockRestore();
        }
        expect(net.stopTraining, what).toBe(true);
        // epoch 1: mean of losses 0 and 1e18; validated after its steps, at b = 5e8: both losses 2.5e17
        const expected: Record<string, number[]> = { loss: [5e17] };
        if (what.includes('validation')) expected.val_loss = [2.5e17];
        expect(history.epoch, what).toEqual([0]);
        expect(Object.keys(history.history).sort(), what).toEqual(Object.keys(expected).sort());
        for (const [key, values] of Object.entries(expected)) expectClose(history.history[key], values, 1e-6, `${what} ${key}`);
        expect(reports.ended, what).toBe(history);
        // the batches' logs are the epoch's running means; epoch 2's overflowing batch is not reported as ended, and none after it runs
        expect(reports.losses, what).toEqual([[0, 5e17], []]);
        expect(weightsOf(net), what).toEqual(weightsBefore);
      }
    });

    it("with raiseError it throws naming the batch; a callback of one's own may stop training there too", async () => {
      await expect(overflowing().fit(x, y, { ...settings, callbacks: terminateOnNaN({ raiseError: true }) })).rejects.toThrow(
        'terminateOnNaN: the gradients became NaN or infinite at epoch 2, batch 1: training stopped',
      );
      const net = overflowing();
      const seen: number[] = [];
      const history = await net.fit(x, y, {
        ...settings,
        callbacks: {
          onGradientsOverflow: (batch) => {
            seen.push(batch);
            net.stopTraining = true;
          },
        },
      });
      expect(seen).toEqual([0]);
      expect(history.epoch).toEqual([0]);
    });
  });
});
