import { ConvlensError } from '../errors.js';
import { exampleCountOf } from '../image/image_batch_dataset.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { datasetVerbose } from './dataset_training.js';
import { type BatchDataset, checkDataset, eachBatch, readBatch } from './datasets.js';
import { inWorkspace, type PredictSpace } from './model_common.js';

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
 * output's batches joined in the order they came.
 * A dataset that reshuffles at every iteration gives that iteration's order (an ImageBatchDataset's
 * `epoch(0)` gives its `filePaths`' order).
 */
export async function predictOnDataset(runner: DatasetRunner, dataset: unknown, options: unknown = {}): Promise<Tensor<'float32'>[]> {
  checkDataset('predict', dataset);
  datasetVerbose('predict', options);
  let outputs: OutputRows[] = [];
  await eachBatch(`predict: model '${runner.modelName}'`, dataset, (batch, i) => {
    const op = `predict (batch ${i + 1})`;
    const { x, keys } = readBatch(op, batch, 'unused');
    const xs = runner.inputs(op, x, keys.x);
    // written out of the workspace, which the next batch overwrites
    inWorkspace(runner.workspace, [runner.model], () => {
      const ys = runner.run(xs);
      if (i === 0) outputs = ys.map((y) => new OutputRows(y, rowsBound(dataset, y.shape[0])));
      ys.forEach((y, k) => {
        outputs[k].append(y, `${op}: model '${runner.modelName}'${ys.length > 1 ? `, output ${k}` : ''}`);
      });
    });
  });
  if (outputs.length === 0) throw new ConvlensError('predict: the dataset gave no examples');
  return outputs.map((rows) => rows.result());
}

/**
 * The most examples the dataset will give, if it says: an ImageBatchDataset's (or its `epoch(k)`'s)
 * `exampleCount`, or a tf.data Dataset's `size` (its number of batches) times the first batch's `firstRows`.
 */
function rowsBound(dataset: BatchDataset, firstRows: number): number | undefined {
  const examples = exampleCountOf(dataset);
  if (examples !== undefined) return examples;
  // a tf.data Dataset's size is null when unknown and Infinity when repeated
  const { size } = dataset as { size?: unknown };
  const tfjs = !(Symbol.asyncIterator in dataset);
  return tfjs && typeof size === 'number' && Number.isSafeInteger(size) ? size * firstRows : undefined;
}

/**
 * One output's batches, each copied once out of the workspace: into one array of `bound` examples
 * when the dataset tells how many it gives (the result is then that array, or its first rows when
 * fewer came), else each into an array of its own, joined at the end (a second copy) when there
 * are several. A batch beyond the bound goes on as the latter.
 */
class OutputRows {
  /** The shape of an example (the output's shape without the batch axis). */
  private readonly exampleShape: number[];
  private readonly exampleSize: number;
  /** The array of `bound` examples, while the batches fit in it. */
  private whole: Float32Array | undefined;
  private parts: Float32Array[] = [];
  private rows = 0;

  constructor(first: Tensor<'float32'>, bound: number | undefined) {
    this.exampleShape = first.shape.slice(1);
    this.exampleSize = this.exampleShape.reduce((a, b) => a * b, 1);
    if (bound !== undefined && bound >= first.shape[0]) this.whole = new Float32Array(bound * this.exampleSize);
  }

  /** Copies `batch` after the rows so far; it must have the first's example shape (`where` starts the message). */
  append(batch: Tensor<'float32'>, where: string): void {
    // a model of free input sizes computes each batch at its own: its outputs may differ from batch to batch
    const exampleShape = batch.shape.slice(1);
    if (!shapesEqual(exampleShape, this.exampleShape)) {
      throw new ConvlensError(
        `${where}: outputs examples of shape ${formatShape(exampleShape)}, the first batch's ${formatShape(this.exampleShape)}: batches of other sizes cannot be joined into one output (predict them apart)`,
      );
    }
    const start = this.rows * this.exampleSize;
    if (this.whole && start + batch.size > this.whole.length) {
      // more examples than the dataset said: the rows so far become the first part (a view, no copy)
      this.parts.push(this.whole.subarray(0, start));
      this.whole = undefined;
    }
    if (this.whole) this.whole.set(batch.data, start);
    else this.parts.push(batch.data.slice());
    this.rows += batch.shape[0];
  }

  /** The output over every batch. */
  result(): Tensor<'float32'> {
    const length = this.rows * this.exampleSize;
    const shape = [this.rows, ...this.exampleShape];
    if (this.whole) return new Tensor(length === this.whole.length ? this.whole : this.whole.subarray(0, length), shape, 'float32');
    if (this.parts.length === 1) return new Tensor(this.parts[0], shape, 'float32');
    const joined = new Float32Array(length);
    let offset = 0;
    for (const part of this.parts) {
      joined.set(part, offset);
      offset += part.length;
    }
    return new Tensor(joined, shape, 'float32');
  }
}
