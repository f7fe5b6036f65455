import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import type { Callbacks } from './callbacks.js';

/** The hooks a LambdaCallback runs: any of fit's, as fit calls them. */
export type LambdaCallbackArgs = Omit<Callbacks, 'setModel'>;

const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;
const WHERE = 'lambdaCallback';

/**
 * Keras 3's `LambdaCallback` (tfjs' `CustomCallback`): a callback of the functions given, each run
 * where fit runs that hook: `onEpochEnd: (epoch, logs) => ...`. Keras' `on_train_batch_begin`
 * and `on_train_batch_end` are `onBatchBegin` and `onBatchEnd`; `onTrainEnd` gets the history.
 */
export class LambdaCallback implements Callbacks {
  onTrainBegin?: Callbacks['onTrainBegin'];
  onEpochBegin?: Callbacks['onEpochBegin'];
  onBatchBegin?: Callbacks['onBatchBegin'];
  onBatchEnd?: Callbacks['onBatchEnd'];
  onEpochEnd?: Callbacks['onEpochEnd'];
  onTrainEnd?: Callbacks['onTrainEnd'];

  constructor(args: LambdaCallbackArgs = {}) {
    checkOptions(WHERE, args, HOOKS);
    for (const hook of HOOKS) {
      const value: unknown = args[hook];
      if (value !== undefined && typeof value !== 'function') {
        throw new ConvlensError(`${WHERE}: ${hook} must be a function, got ${describeValue(value)}`);
      }
    }
    Object.assign(this, args);
  }
}

/** `new LambdaCallback(args)`, in tfjs' style of factory. */
export function lambdaCallback(args?: LambdaCallbackArgs): LambdaCallback {
  return new LambdaCallback(args);
}
