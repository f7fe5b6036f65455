import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { datasetVerbose } from './dataset_training.js';
import { checkDataset, eachBatch, readBatch } from './datasets.js';
import { concatBatches, inWorkspace, type PredictSpace } from './model_common.js';

/** predict's options for a dataset (whose batches are its own). */
export interface DatasetPredictOptions {
  /** Taken, as predict takes it on arrays; prints nothing. */
  verbose?: 0 | 1 | 2;
}

/** How a model computes for `predictOnDataset`: a batch's inputs checked, and its outputs (one per model output). */
export interface DatasetRunner extends PredictSpace {
  /** The model's name, for messages. */
  readonly modelName: string;
  /**
   * A batch's inputs (given under `arg`, `x` or `xs`) checked against the model's, which is built
   * for them if need be, as a list in its input order; `op` begins the messages.
   */
  inputs(op: string, x: unknown, arg: string): Tensor[];
  run(xs: Tensor[]): Tensor<'float32'>[];
}

/**
 * Keras' `predict(dataset)`: one iteration of the dataset, each batch's inputs (`x` or tfjs' `xs`:
 * a tensor, a list or an object keyed by input name) run in inference mode (its labels, if any,
 * unused) in the model's inference workspace, as predict on arrays runs it (so the memory for the
 * activations does not grow with the number of batches while garbage awaits collection), and each
 * output's batches concatenated in the order they came.
 * A dataset that reshuffles at every iteration gives that iteration's order (an ImageBatchDataset's
 * `epoch(0)` gives its `filePaths`' order).
 */
export async function predictOnDataset(runner: DatasetRunner, dataset: unknown, options: unknown = {}): Promise<Tensor<'float32'>[]> {
  checkDataset('predict', dataset);
  datasetVerbose('predict', options);
  const parts: Tensor<'float32'>[][] = [];
  await eachBatch(`predict: model '${runner.modelName}'`, dataset, (batch, i) => {
    const op = `predict (batch ${i + 1})`;
    const { x, keys } = readBatch(op, batch, 'unused');
    const xs = runner.inputs(op, x, keys.x);
    // copied out of the workspace, which the next batch overwrites
    parts.push(
      inWorkspace(runner.workspace, [runner.model], () => runner.run(xs).map((t) => new Tensor(t.data.slice(), t.shape, 'float32'))),
    );
  });
  if (parts.length === 0) throw new ConvlensError('predict: the dataset gave no examples');
  // the number of examples is known only now: several batches are joined (a copy), one is the result as it is
  return parts.length === 1 ? parts[0] : parts[0].map((_, k) => concatBatches(parts.map((p) => p[k])));
}
