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
    if (this.raiseError) {
      throw new ConvlensError(`${WHERE}: the loss became ${loss} at epoch ${this.epoch + 1}, batch ${batch + 1}: training stopped`);
    }
    if (!this.model) throw new ConvlensError(`${WHERE}: give it to fit in callbacks (it has no model to stop)`);
    console.log(`Batch ${batch}: Invalid loss, terminating training`);
    this.model.stopTraining = true;
  }
}

/** `new TerminateOnNaN(args)`, in tfjs' style of factory. */
export function terminateOnNaN(args?: TerminateOnNaNArgs): TerminateOnNaN {
  return new TerminateOnNaN(args);
}
