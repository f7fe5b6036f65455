import { ConvlensError, checkOptions } from '../errors.js';
import { booleanArg } from './args.js';
import type { Callbacks, Logs, TrainingModel } from './callbacks.js';

export interface TerminateOnNaNArgs {
  /** Throw a ConvlensError instead of ending training quietly (default false), as Keras 3's `raise_error`. */
  raiseError?: boolean;
}

const WHERE = 'terminateOnNaN';

/**
 * Keras 3's `TerminateOnNaN`: when a batch's loss is NaN or infinite, training ends after that
 * batch, within its epoch, and `fit` returns the history of the epochs before it (onTrainEnd runs).
 * Without it, convlens' `fit` throws a ConvlensError at that batch. The batch's step is not taken,
 * so the weights are those before it, where Keras' are already NaN; and its epoch is not recorded.
 * A batch whose loss is finite but whose gradients are NaN or infinite ends training alike (fit
 * takes no step with them, where Keras' step would make the next batch's loss NaN).
 */
export class TerminateOnNaN implements Callbacks {
  readonly raiseError: boolean;
  private model?: TrainingModel;
  private epoch = 0;

  constructor(args: TerminateOnNaNArgs = {}) {
    checkOptions(WHERE, args, ['raiseError']);
    this.raiseError = booleanArg(WHERE, 'raiseError', args.raiseError, false);
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const { loss } = logs;
    if (loss === undefined || Number.isFinite(loss)) return;
    this.terminate(batch, `the loss became ${loss}`, 'loss');
  }

  onGradientsOverflow(batch: number): void {
    this.terminate(batch, 'the gradients became NaN or infinite', 'gradients');
  }

  /** Ends training at `batch` (Keras' line names it from 0), or throws with raiseError: `what` happened, the `invalid` value. */
  private terminate(batch: number, what: string, invalid: 'loss' | 'gradients'): void {
    if (this.raiseError) {
      throw new ConvlensError(`${WHERE}: ${what} at epoch ${this.epoch + 1}, batch ${batch + 1}: training stopped`);
    }
    if (!this.model) throw new ConvlensError(`${WHERE}: give it to fit in callbacks (it has no model to stop)`);
    console.log(`Batch ${batch}: Invalid ${invalid}, terminating training`);
    this.model.stopTraining = true;
  }
}

/** `new TerminateOnNaN(args)`, in tfjs' style of factory. */
export function terminateOnNaN(args?: TerminateOnNaNArgs): TerminateOnNaN {
  return new TerminateOnNaN(args);
}
