import { checkOptions, renamed } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { History } from './callbacks.js';
import { type FitArgs, ONE_STEP } from './training_loop.js';
import type { MultiInputs } from './training_multi.js';

/** trainOnBatch's options: fit's weights for the batch's examples (as the model's fit takes them) or classes. */
export type TrainOnBatchOptions<Weights = Tensor> = { sampleWeight?: Weights } & Pick<FitArgs, 'classWeight'>;

/** The examples in `x` (a tensor, or a list or object of one per input); 1 when it is none of those (fit names the problem). */
export function exampleCount(x: MultiInputs): number {
  const first = x instanceof Tensor ? x : Array.isArray(x) ? x[0] : typeof x === 'object' && x !== null ? Object.values(x)[0] : undefined;
  return first instanceof Tensor && first.rank > 0 && first.shape[0] > 0 ? first.shape[0] : 1;
}

/**
 * tfjs' and Keras' trainOnBatch, through the model's `fit`: one optimizer step on all the examples
 * given, in order, without callbacks or fit's last change to the weights; resolves to the loss
 * before the step, or to it and the other values fit logs (each output's loss, compile's
 * metrics), in their order, as Keras' train_on_batch lists them.
 */
export async function trainOnBatch<X extends MultiInputs, Y, A extends object>(
  fitModel: (x: X, y: Y, args: A) => Promise<History>,
  x: X,
  y: Y,
  options: object = {},
): Promise<number | number[]> {
  checkOptions('trainOnBatch', options, ['sampleWeight', 'classWeight']);
  const args = { ...options, epochs: 1, batchSize: exampleCount(x), shuffle: false, [ONE_STEP]: true };
  let history: History;
  try {
    history = await fitModel(x, y, args as unknown as A);
  } catch (error) {
    throw renamed(error, 'fit', 'trainOnBatch');
  }
  const values = Object.values(history.history).map((list) => list[0]);
  return values.length === 1 ? values[0] : values;
}
