import * as tfd from '@tensorflow/tfjs-data';
import { describe, expect, it, vi } from 'vitest';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32 } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { type BatchDataset, BatchReader, eachBatch, isDataset, readBatch } from './datasets.js';

// How fit, evaluate and predict read a dataset: an async iterable's or a tf.data Dataset's
// iterator, a batch at a time, and tfjs tensors in its batches read into convlens ones.

const values = (t: unknown) => {
  const { data, shape, dtype } = t as Tensor;
  return { data: Array.from(data), shape, dtype, convlens: t instanceof Tensor };
};

describe('readBatch: a batch of tfjs tensors', () => {
  it('reads float32, int32 and bool tfjs tensors (alone, in lists, keyed by name) into convlens tensors of the same values', () => {
    const image = tf.tensor([0.5, -1, 2, 3], [2, 2]);
    const meta = tf.tensor([1, 2], [2, 1]);
    const classes = tf.tensor([2, 0], [2], 'int32');
    const flags = tf.tensor([true, false], [2], 'bool');
    const { x, y, keys } = readBatch('fit (epoch 1, batch 1)', { xs: { image, meta }, ys: [classes, flags] }, 'required');
    expect(keys).toEqual({ x: 'xs', y: 'ys' });
    const { image: ours, meta: ourMeta } = x as Record<string, Tensor>;
    expect([values(ours), values(ourMeta)]).toEqual([
      { data: [0.5, -1, 2, 3], shape: [2, 2], dtype: 'float32', convlens: true },
      { data: [1, 2], shape: [2, 1], dtype: 'float32', convlens: true },
    ]);
    expect((y as Tensor[]).map(values)).toEqual([
      { data: [2, 0], shape: [2], dtype: 'int32', convlens: true },
      { data: [1, 0], shape: [2], dtype: 'bool', convlens: true },
    ]);
    // as tfjs' fitDataset disposes of a batch once it has trained on it
    expect([image, meta, classes, flags].every((t) => t.isDisposed)).toBe(true);
  });

  it('disposes of a tensor given as both inputs and labels once, after reading both; convlens tensors pass as they are', () => {
    const same = tf.tensor([1, 2, 3], [3, 1]);
    const dispose = vi.spyOn(same, 'dispose');
    const { x, y } = readBatch('fit', { x: same, y: same }, 'required');
    expect([values(x), values(y)]).toEqual([
      { data: [1, 2, 3], shape: [3, 1], dtype: 'float32', convlens: true },
      { data: [1, 2, 3], shape: [3, 1], dtype: 'float32', convlens: true },
    ]);
    expect(dispose).toHaveBeenCalledTimes(1);

    const ours = f32(caseRng('datasets', 0), [2, 3]);
    expect(readBatch('fit', { x: [ours], y: { out: ours } }, 'required')).toEqual({
      x: [ours],
      y: { out: ours },
      keys: { x: 'x', y: 'y' },
    });
  });

  it('disposes of labels that predict does not use; refuses a disposed tensor or one of a dtype convlens does not hold', () => {
    const labels = tf.tensor([1, 0], [2, 1]);
    const { y } = readBatch('predict (batch 1)', { xs: tf.tensor([1, 2], [2, 1]), ys: labels }, 'unused');
    expect([y === labels, labels.isDisposed]).toEqual([true, true]);

    const disposed = tf.tensor([1], [1, 1]);
    disposed.dispose();
    expectConvlensError(
      () => readBatch('evaluate (batch 3)', { xs: [tf.tensor([1], [1, 1]), disposed], ys: tf.tensor([1], [1, 1]) }, 'required'),
      'evaluate (batch 3): xs[1] is a tfjs tensor that was disposed of (each batch needs tensors of its own)',
    );
    expectConvlensError(
      () => readBatch('fit (epoch 2, batch 1)', { x: tf.tensor([1], [1, 1]), y: { out: tf.complex([1], [2]) } }, 'required'),
      'fit (epoch 2, batch 1): y.out is a tfjs tensor of dtype complex64 (shape [1]); float32, int32 or bool expected',
    );
  });
});

describe('BatchReader and eachBatch: one iteration of a dataset', () => {
  it('reads a tf.data Dataset (iterator() and next() as promises or not), and ends at done, ignoring its value', async () => {
    const dataset = tfd.array([1, 2, 3]);
    expect(isDataset(dataset)).toBe(true);
    const seen: unknown[] = [];
    expect(await eachBatch('predict', dataset, (batch) => void seen.push(batch))).toBe(3);
    expect(seen).toEqual([1, 2, 3]);

    let i = 0;
    const plain = { iterator: () => ({ next: () => (i < 2 ? { value: i++, done: false } : { value: 'returned', done: true }) }) };
    seen.length = 0;
    expect(await eachBatch('predict', plain, (batch) => void seen.push(batch))).toBe(2);
    expect(seen).toEqual([0, 1]);
  });

  it('ends an async generator it stops reading (a limit reached, or a batch that fails), not one that finished', async () => {
    const state = { closed: 0, drawn: 0 };
    const numbers = {
      async *[Symbol.asyncIterator]() {
        try {
          for (let k = 0; k < 4; k++) yield state.drawn++;
        } finally {
          state.closed++;
        }
      },
    } as unknown as BatchDataset; // batches of numbers: what is read, unchecked
    expect(await eachBatch('evaluate', numbers, () => undefined, { batches: 2, name: 'batches' })).toBe(2);
    expect(state).toEqual({ closed: 1, drawn: 2 });
    await expect(
      eachBatch('evaluate', numbers, () => {
        throw new Error('bad batch');
      }),
    ).rejects.toThrow('bad batch');
    expect(state).toEqual({ closed: 2, drawn: 3 });
    const whole = await BatchReader.open('fit', numbers);
    while (!(await whole.next()).done);
    await whole.close();
    expect(state.closed).toBe(3); // once, by the generator itself

    await expectConvlensRejection(
      BatchReader.open("fit: model 'm'", { iterator: async () => ({ next: 1 }) } as never),
      "fit: model 'm': the dataset's iterator() gave { next: 1 }, which has no next() method (an iterator whose next() gives { value, done } was expected)",
    );
  });
});
