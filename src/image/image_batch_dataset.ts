import { checkNumber } from '../errors.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

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

  /** The batches of epoch `epoch` (from 0), the same for the same seed whenever it is asked for. */
  epoch(epoch: number): AsyncGenerator<ImageBatch> {
    checkNumber('ImageBatchDataset.epoch', 'epoch', epoch, { min: 0, integer: true });
    return this.batches(this.epochOrder(epoch));
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
