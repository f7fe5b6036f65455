import { checkNumber } from '../errors.js';
import { Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/** One batch of an ImageBatchDataset: its images, their labels (undefined without labels) and files. */
export interface ImageBatch {
  /** float32 `[batch, height, width, channels]`, pixel values in 0..255. */
  x: Tensor<'float32'>;
  y: Tensor | undefined;
  filePaths: string[];
}

/** What an ImageBatchDataset is made of: its files, in their order, and how to decode some of them. */
export interface ImageBatchSource {
  /** The files, as indices into `load`'s listing, in the order of the first epoch. */
  order: number[];
  /** Every file's path, by index. */
  paths: readonly string[];
  classNames: string[];
  batchSize: number;
  /** Reshuffle at every epoch after the first, from `seed`. */
  shuffle: boolean;
  seed: number;
  /** Decodes and resizes the files at `indices` into one batch. */
  load(indices: number[]): Promise<ImageBatch>;
}

/**
 * Keras' batched image dataset (what `image_dataset_from_directory` returns with a `batch_size`):
 * an async iterable of `{ x, y }` batches, each decoded when it is reached, so memory holds about
 * one batch, not the folder. Every iteration is an epoch, as a `tf.data` dataset with
 * `reshuffle_each_iteration`: the first gives the files in `filePaths`' order (the order of the
 * whole-tensor dataset for the same options), later ones, with `shuffle`, a new permutation drawn
 * from the seed and the epoch's number (all of the files: not Keras' buffer of `8 × batchSize`).
 * `model.fit(dataset, { epochs, validationData })` trains on it.
 */
export class ImageBatchDataset implements AsyncIterable<ImageBatch> {
  readonly classNames: string[];
  /** The files, in the first epoch's order. */
  readonly filePaths: string[];
  readonly batchSize: number;
  private iterations = 0;

  constructor(private readonly source: ImageBatchSource) {
    this.classNames = [...source.classNames];
    this.filePaths = source.order.map((i) => source.paths[i]);
    this.batchSize = source.batchSize;
  }

  /** The number of images. */
  get exampleCount(): number {
    return this.source.order.length;
  }

  /** The number of batches per epoch (Keras' `len(dataset)`); the last may be smaller. */
  get batchCount(): number {
    return Math.ceil(this.exampleCount / this.batchSize);
  }

  /** The next epoch's batches: each `for await` over the dataset is one epoch. */
  [Symbol.asyncIterator](): AsyncGenerator<ImageBatch> {
    return this.epoch(this.iterations++);
  }

  /**
   * Keras' `dataset.cache()`: a dataset of the same files, batches and epochs (from epoch 0) that
   * keeps every image once it is decoded, so later epochs read no file. Memory then grows to the
   * whole subset's, `exampleCount × height × width × channels × 4` bytes, as the whole-tensor
   * dataset takes; for a folder larger than memory, iterate the dataset itself.
   */
  cache(): ImageBatchDataset {
    const kept = new Map<number, ImageBatch>();
    const { load } = this.source;
    return new ImageBatchDataset({
      ...this.source,
      load: async (indices) => {
        const missing = indices.filter((i) => !kept.has(i));
        if (missing.length > 0) {
          const decoded = await load(missing);
          for (const [n, i] of missing.entries()) kept.set(i, exampleOf(decoded, n));
        }
        return joinExamples(indices.map((i) => kept.get(i)!));
      },
    });
  }

  /** The batches of epoch `epoch` (from 0), the same for the same seed whenever it is asked for. */
  epoch(epoch: number): AsyncGenerator<ImageBatch> {
    checkNumber('ImageBatchDataset.epoch', 'epoch', epoch, { min: 0, integer: true });
    const batches = this.batches(this.epochOrder(epoch));
    epochExamples.set(batches, this.exampleCount);
    return batches;
  }

  private async *batches(order: number[]): AsyncGenerator<ImageBatch> {
    for (let start = 0; start < order.length; start += this.batchSize) {
      yield await this.source.load(order.slice(start, start + this.batchSize));
    }
  }

  private epochOrder(epoch: number): number[] {
    const order = [...this.source.order];
    // the seed and epoch mixed (by the golden ratio's 32 bits) into the seed of that epoch's permutation
    if (this.source.shuffle && epoch > 0) new Random((this.source.seed ^ Math.imul(epoch, 0x9e3779b9)) >>> 0).shuffle(order);
    return order;
  }
}

/** The number of images of each epoch's batches that `epoch` gave, for exampleCountOf. */
const epochExamples = new WeakMap<AsyncGenerator<ImageBatch>, number>();

/**
 * The number of examples `dataset` gives, when it is an ImageBatchDataset or an iteration of one
 * (its `epoch(k)`): what predict sizes its outputs by. Undefined for any other dataset.
 */
export function exampleCountOf(dataset: unknown): number | undefined {
  if (dataset instanceof ImageBatchDataset) return dataset.exampleCount;
  return epochExamples.get(dataset as AsyncGenerator<ImageBatch>);
}

/** Example `n` of a batch, as a batch of one (its own copy: the batch's memory can go). */
function exampleOf(batch: ImageBatch, n: number): ImageBatch {
  return { x: rowOf(batch.x, n), y: batch.y && rowOf(batch.y, n), filePaths: [batch.filePaths[n]] };
}

function rowOf<T extends Tensor>(t: T, n: number): T {
  const size = t.size / t.shape[0];
  return new Tensor(t.data.slice(n * size, (n + 1) * size), [1, ...t.shape.slice(1)], t.dtype) as T;
}

/** Batches of one joined into one batch, in order. */
function joinExamples(examples: ImageBatch[]): ImageBatch {
  const join = <T extends Tensor>(rows: T[]): T => {
    const data = new (rows[0].data.constructor as Float32ArrayConstructor)(rows.reduce((n, r) => n + r.size, 0));
    rows.forEach((r, k) => {
      data.set(r.data, k * r.size);
    });
    return new Tensor(data as T['data'], [rows.length, ...rows[0].shape.slice(1)], rows[0].dtype) as T;
  };
  const [first] = examples;
  return {
    x: join(examples.map((e) => e.x)),
    y: first.y && join(examples.map((e) => e.y!)),
    filePaths: examples.flatMap((e) => e.filePaths),
  };
}
