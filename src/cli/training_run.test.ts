import { describe, expect, it, vi } from 'vitest';
import { Dense } from '../layers/dense.js';
import { Sequential } from '../layers/sequential.js';
import { tensor } from '../tensor/create.js';
import { fitWithProgress } from './training_run.js';

/** One epoch of a one-unit model on four examples, the progress bar's text kept off the test's output. */
async function shortRun() {
  const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const x = tensor([
    [0, 1],
    [1, 0],
    [1, 1],
    [0, 0],
  ]);
  const y = tensor([[1], [0], [1], [0]]);
  return fitWithProgress(model, { x, y, batchSize: 2, validationData: [x, y] }, 1);
}

describe('fitWithProgress: a stop signal after training', () => {
  it('is noted while the results are written, not the default that kills the command half-way through its files', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const before = process.listenerCount('SIGINT');
      const beforeTerm = process.listenerCount('SIGTERM');
      const run = await shortRun();
      expect(run.stoppedBy).toBeUndefined();
      // a listener is there, so a real Ctrl-C does not end the process while the model is written
      expect(process.listenerCount('SIGINT')).toBe(before + 1);
      process.emit('SIGINT', 'SIGINT');
      expect(stderr).toHaveBeenCalledWith(
        'Stopped by SIGINT after training: writing what the model learned first (again to quit at once)\n',
      );
      // the second Ctrl-C finds no listener of the run's: it quits at once
      expect(process.listenerCount('SIGINT')).toBe(before);
      expect(run.finish()).toBe('SIGINT'); // the command's exit code: 130
      expect(process.listenerCount('SIGTERM')).toBe(beforeTerm); // nothing left behind
      const quiet = await shortRun();
      expect(quiet.finish()).toBeUndefined();
      expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([before, beforeTerm]);
    } finally {
      stderr.mockRestore();
    }
  });
});
