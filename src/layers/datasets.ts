import { ConvlensError, describeValue } from '../errors.js';
import { STORAGE } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

// What fit, evaluate and predict take instead of arrays, and how they read it: an async iterable
// of batches (convlens' own, an ImageBatchDataset) or a tf.data Dataset (its `iterator()`, as
// tfjs-layers' fitDataset reads it), whose batches may hold tfjs tensors.

/**
 * A TensorFlow.js tensor in a batch: read with `dataSync()` into a convlens tensor, then disposed
 * of, as tfjs' fitDataset disposes of each batch once it has trained on it.
 */
export interface TfjsTensor {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly isDisposed: boolean;
  dataSync(): unknown;
  dispose(): void;
}

/** A batch's array: a convlens tensor, or a tfjs one. */
export type BatchArray = Tensor | TfjsTensor;

/** A batch's arrays: one, a list in the model's input (or output) order, or an object keyed by input (or output) name. */
export type BatchArrays = BatchArray | BatchArray[] | Record<string, BatchArray>;

/**
 * A batch's sample weights (Keras' sample_weight): one array of a weight per example, or for a
 * model of several outputs, a list of one per output (null for an unweighted one) or an object
 * keyed by output name.
 */
export type BatchWeights = BatchArray | (BatchArray | null)[] | Record<string, BatchArray | null>;

/**
 * One batch of a dataset: the inputs, their labels and, if any, the examples' weights, as
 * convlens' `{ x, y, sampleWeight }`, tfjs-layers' `{ xs, ys }` (with `sampleWeight` too), or
 * Keras' tuple `[x, y, sampleWeight]` (`[x, y]`, or `[x]` for predict). The labels are required
 * to train or evaluate (a dataset without labels has none).
 */
export type DataBatch =
  | { x: BatchArrays; y?: BatchArrays; sampleWeight?: BatchWeights }
  | { xs: BatchArrays; ys?: BatchArrays; sampleWeight?: BatchWeights }
  | [BatchArrays]
  | [BatchArrays, BatchArrays]
  | [BatchArrays, BatchArrays, BatchWeights];

/** What a tf.data Dataset's `iterator()` gives: `next()` resolves to `{ value, done }`. */
export interface TfjsIterator {
  next(): Promise<IteratorResult<unknown>> | IteratorResult<unknown>;
}

/** A TensorFlow.js `tf.data` Dataset, as tfjs-layers' fitDataset reads one: each `iterator()` an iteration of it. */
export interface TfjsDataset {
  iterator(): Promise<TfjsIterator> | TfjsIterator;
}

/**
 * What fit, evaluate and predict take instead of arrays: an async iterable of batches, or a tfjs
 * `tf.data` Dataset (whose batches are checked as they come); each iteration is an epoch.
 */
export type BatchDataset = AsyncIterable<DataBatch> | TfjsDataset;

/** The keys a batch gives its inputs and labels under: convlens' `x`, `y` or tfjs' `xs`, `ys` (they name them in messages). */
export interface BatchKeys {
  x: 'x' | 'xs';
  y: 'y' | 'ys';
}

/** Arrays given to fit and evaluate themselves are named as their arguments. */
export const ARRAY_KEYS: BatchKeys = { x: 'x', y: 'y' };

/** Whether `data` is a dataset (an async iterable, or a tf.data Dataset) rather than arrays. */
export function isDataset(data: unknown): data is BatchDataset {
  if (typeof data !== 'object' || data === null) return false;
  return (
    typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || typeof (data as TfjsDataset).iterator === 'function'
  );
}

/** Throws unless `dataset` is one (fit, evaluate and predict take arrays or a dataset); predict's batches need no labels. */
export function checkDataset(op: 'fit' | 'evaluate' | 'predict', dataset: unknown): asserts dataset is BatchDataset {
  if (!isDataset(dataset)) {
    const batches = op === 'predict' ? '{ x }' : '{ x, y }';
    throw new ConvlensError(
      `${op}: expected a dataset (an async iterable or a tf.data Dataset of ${batches} batches), got ${describeValue(dataset)}`,
    );
  }
}

/**
 * fit(dataset, options) and evaluate(dataset, options) called as with arrays: `second` is the
 * options, and nothing follows (a dataset's batches carry their labels).
 */
export function datasetCallOptions<T>(op: 'fit' | 'evaluate', second: unknown, third: unknown): T | undefined {
  if (second instanceof Tensor || third !== undefined) {
    throw new ConvlensError(`${op}: with a dataset, call ${op}(dataset, options): its batches carry the labels`);
  }
  return second as T | undefined;
}

type Step = { done: true } | { done: false; value: unknown };

/**
 * One iteration of a dataset, read a batch at a time: what every loop over a dataset reads, so
 * that an iteration can go on across fit's epochs (batchesPerEpoch). `where` begins its messages
 * (the call and the model).
 */
export class BatchReader {
  private finished = false;

  private constructor(
    private readonly where: string,
    private readonly iterator: TfjsIterator & { return?(): unknown },
  ) {}

  /** Starts an iteration of `dataset`: `[Symbol.asyncIterator]()`, or a tf.data Dataset's `iterator()`. */
  static async open(where: string, dataset: BatchDataset): Promise<BatchReader> {
    const [method, iterator] =
      Symbol.asyncIterator in dataset
        ? ['[Symbol.asyncIterator]()', dataset[Symbol.asyncIterator]()]
        : ['iterator()', await dataset.iterator()];
    if (typeof (iterator as Partial<TfjsIterator> | null)?.next !== 'function') {
      throw new ConvlensError(
        `${where}: the dataset's ${method} gave ${describeValue(iterator)}, which has no next() method (an iterator whose next() gives { value, done } was expected)`,
      );
    }
    return new BatchReader(where, iterator);
  }

  /** The next batch, or `done` at the end of the iteration. */
  async next(): Promise<Step> {
    if (this.finished) return { done: true };
    const result: unknown = await this.iterator.next();
    if (typeof result !== 'object' || result === null || !('done' in result)) {
      throw new ConvlensError(
        `${this.where}: the dataset's iterator gave ${describeValue(result)} from next(), expected { value, done } (or a promise of it)`,
      );
    }
    if (result.done) {
      this.finished = true;
      return { done: true };
    }
    return { done: false, value: (result as { value?: unknown }).value };
  }

  /** Ends the iteration early, as `for await` does on a break: an async generator's `finally` runs. */
  async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.iterator.return?.();
  }
}

/**
 * Calls `fn` on each batch of one iteration of `dataset` (at most `limit`, which warns when the
 * dataset runs out before; `limitName` is the option that set it), the iteration ended if `fn`
 * throws; resolves to the number of batches. `where` begins the messages.
 */
export async function eachBatch(
  where: string,
  dataset: BatchDataset,
  fn: (batch: unknown, index: number) => void,
  limit?: { batches: number; name: string },
): Promise<number> {
  const reader = await BatchReader.open(where, dataset);
  let count = 0;
  try {
    for (; limit === undefined || count < limit.batches; count++) {
      const step = await reader.next();
      if (step.done) {
        if (limit !== undefined && count > 0) {
          console.warn(
            `convlens: ${where}: the dataset ran out after ${count} batches, fewer than ${limit.name} (${limit.batches}); the result is over those ${count}`,
          );
        }
        return count;
      }
      fn(step.value, count);
    }
    return count;
  } finally {
    await reader.close();
  }
}

/** A dataset batch read: its inputs, labels and examples' weights (each undefined if not given), with the keys they came under. */
export interface ReadBatch {
  x: unknown;
  y: unknown;
  sampleWeight: unknown;
  keys: BatchKeys;
}

/** A batch as its parts, from Keras' tuple `[x, y, sampleWeight]` or an object; undefined for anything else (a mix of `x` and `xs` too). */
function batchParts(batch: unknown): ReadBatch | undefined {
  if (Array.isArray(batch)) {
    if (batch.length < 1 || batch.length > 3) return undefined;
    return { x: batch[0], y: batch[1], sampleWeight: batch[2], keys: ARRAY_KEYS };
  }
  const fields = typeof batch === 'object' && batch !== null ? (batch as Record<string, unknown>) : {};
  const has = (key: string) => fields[key] !== undefined;
  const keys: BatchKeys = has('xs') ? { x: 'xs', y: 'ys' } : ARRAY_KEYS;
  const mixed = keys.x === 'xs' ? has('x') || has('y') : has('ys');
  if (mixed) return undefined;
  return { x: fields[keys.x], y: fields[keys.y], sampleWeight: fields.sampleWeight, keys };
}

/**
 * A dataset batch's inputs, labels and examples' weights (`y` undefined when it has none and
 * `labels` is `'unused'`), with the keys they came under; anything but `{ x, y, sampleWeight }`,
 * `{ xs, ys, sampleWeight }` (the weights optional) or `[x, y, sampleWeight]` (`[x, y]`) is
 * refused, naming the batch by `op`. tfjs tensors in them are read into convlens tensors and
 * disposed of (labels and weights that are unused too).
 */
export function readBatch(op: string, batch: unknown, labels: 'required' | 'unused'): ReadBatch {
  const parts = batchParts(batch);
  if (parts?.x === undefined) {
    const forms =
      labels === 'required'
        ? "{ x, y }, tfjs' { xs, ys } (either with sampleWeight) or [x, y] ([x, y, sampleWeight])"
        : "{ x }, tfjs' { xs } or [x] (labels and weights, if given, are not used)";
    throw new ConvlensError(`${op}: a batch must be ${forms}, got ${describeValue(batch)}`);
  }
  const { keys } = parts;
  if ((batch as Record<string, unknown>).sample_weight !== undefined) {
    throw new ConvlensError(`${op}: a batch's weights go under sampleWeight (convlens' and tfjs' camelCase), got sample_weight`);
  }
  if (labels === 'required' && parts.y === undefined) {
    throw new ConvlensError(`${op}: the batch has no labels (${keys.y}); training and evaluating need them`);
  }
  try {
    const x = fromTfjsArrays(op, keys.x, parts.x);
    if (labels === 'unused') return { x, y: parts.y, sampleWeight: parts.sampleWeight, keys };
    const y = fromTfjsArrays(op, keys.y, parts.y);
    return { x, y, sampleWeight: fromTfjsArrays(op, 'sampleWeight', parts.sampleWeight), keys };
  } finally {
    // after all are read: one tfjs tensor may be both the inputs and the labels (an autoencoder's)
    const read = [parts.x, parts.y, parts.sampleWeight].flatMap(tfjsTensorsIn);
    for (const t of new Set(read)) t.dispose();
  }
}

/** Whether `value` is a TensorFlow.js tensor (what tfjs' `tf.data` batches hold). */
function isTfjsTensor(value: unknown): value is TfjsTensor {
  if (typeof value !== 'object' || value === null || value instanceof Tensor) return false;
  const t = value as Partial<TfjsTensor>;
  return typeof t.dataSync === 'function' && typeof t.dispose === 'function' && Array.isArray(t.shape) && typeof t.dtype === 'string';
}

function tfjsTensorsIn(arrays: unknown): TfjsTensor[] {
  if (isTfjsTensor(arrays)) return [arrays];
  const values = Array.isArray(arrays) ? arrays : typeof arrays === 'object' && arrays !== null ? Object.values(arrays) : [];
  return values.filter(isTfjsTensor);
}

/**
 * Arrays as a batch or fit's validationData gives them (one, a list or an object keyed by name),
 * each tfjs tensor among them read into a convlens one (a copy); `arg` names them.
 */
export function fromTfjsArrays(op: string, arg: string, arrays: unknown): unknown {
  const one = (value: unknown, name: string) => (isTfjsTensor(value) ? fromTfjs(op, name, value) : value);
  if (Array.isArray(arrays)) return arrays.map((value, i) => one(value, `${arg}[${i}]`));
  if (typeof arrays === 'object' && arrays !== null && !isTfjsTensor(arrays) && Object.getPrototypeOf(arrays) === Object.prototype) {
    return Object.fromEntries(Object.entries(arrays).map(([name, value]) => [name, one(value, `${arg}.${name}`)]));
  }
  return one(arrays, arg);
}

/** tfjs' dtypes convlens holds the same way. */
const TFJS_DTYPES = ['float32', 'int32', 'bool'] as const;

function fromTfjs(op: string, arg: string, t: TfjsTensor): Tensor {
  if (t.isDisposed) throw new ConvlensError(`${op}: ${arg} is a tfjs tensor that was disposed of (each batch needs tensors of its own)`);
  const dtype = TFJS_DTYPES.find((d) => d === t.dtype);
  if (!dtype) {
    throw new ConvlensError(
      `${op}: ${arg} is a tfjs tensor of dtype ${t.dtype} (shape ${formatShape(t.shape)}); float32, int32 or bool expected`,
    );
  }
  // a copy: a batch's tensors are disposed of next, and a backend may lend its own buffer
  const values = t.dataSync() as ArrayLike<number>;
  const data = new STORAGE[dtype](values.length);
  data.set(values);
  return new Tensor(data, t.shape, dtype);
}

/** Throws if a dataset's batch or validation arrays (its first input `x`, given under `arg`) has no examples: its mean loss would be NaN. */
export function checkBatchExamples(op: string, arg: string, x: Tensor): void {
  if (x.shape[0] === 0) throw new ConvlensError(`${op}: no examples (${arg} has shape ${formatShape(x.shape)})`);
}
