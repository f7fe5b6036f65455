import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTensorArg, concatBatches, inWorkspace, type PredictSpace, verboseArg } from './model_common.js';
import { type BatchDataset, isDataset } from './training_loop.js';

/** predict's options for a dataset (whose batches are its own). */
export interface DatasetPredictOptions {
  /** Taken, as predict takes it on arrays; prints nothing. */
  verbose?: 0 | 1 | 2;
}

/** How a model computes for `predictOnDataset`: a batch's outputs (one per model output), and a check of a batch against its input. */
export interface DatasetRunner extends PredictSpace {
  /** Builds the model if needed and checks `x` against its input; `op` begins the message. */
  checkInput(x: Tensor, op: string): void;
  run(x: Tensor): Tensor<'float32'>[];
}

/**
 * Keras' `predict(dataset)`: one iteration of the dataset, each batch's `x` run in inference mode
 * (its labels, if any, unused) in the model's workspace, as evaluate runs it (so the memory for
 * the activations does not grow with the number of batches while garbage awaits collection), and
 * each output's batches concatenated in the order they came.
 * A dataset that reshuffles at every iteration gives that iteration's order (an ImageBatchDataset's
 * `epoch(0)` gives its `filePaths`' order).
 */
export async function predictOnDataset(runner: DatasetRunner, dataset: unknown, options: unknown = {}): Promise<Tensor<'float32'>[]> {
  if (!isDataset(dataset)) {
    throw new ConvlensError(`predict: expected a dataset (async iterable of { x } batches), got ${describeValue(dataset)}`);
  }
  if (typeof options === 'object' && options !== null && 'batchSize' in options) {
    throw new ConvlensError("predict: batchSize is not an option for a dataset: the dataset's batches set it");
  }
  checkOptions('predict', options, ['verbose']);
  verboseArg('predict', (options as DatasetPredictOptions).verbose);
  const parts: Tensor<'float32'>[][] = [];
  for await (const batch of dataset as BatchDataset) {
    const op = `predict (batch ${parts.length + 1})`;
    const x = batchInput(op, batch);
    runner.checkInput(x, op);
    // copied out of the workspace, which the next batch overwrites
    parts.push(
      inWorkspace(runner.workspace, runner.layers(), () => runner.run(x).map((t) => new Tensor(t.data.slice(), t.shape, 'float32'))),
    );
  }
  if (parts.length === 0) throw new ConvlensError('predict: the dataset gave no examples');
  return parts[0].map((_, k) => concatBatches(parts.map((p) => p[k])));
}

function batchInput(op: string, batch: unknown): Tensor {
  if (typeof batch !== 'object' || batch === null)
    throw new ConvlensError(`${op}: a batch must be { x } or { x, y }, got ${describeValue(batch)}`);
  const { x } = batch as { x?: unknown };
  checkTensorArg(op, 'x', x);
  if (x.rank === 0) throw new ConvlensError(`${op}: x must have a batch axis, got a scalar`);
  return x;
}
