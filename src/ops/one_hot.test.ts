import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { tensor } from '../tensor/create.js';
import { oneHot, toCategorical } from './one_hot.js';

const CASES = 40;

describe(`oneHot: ${CASES} random index tensors against tfjs (out-of-range indices included)`, () => {
  for (let i = 0; i < CASES; i++) {
    const rng = caseRng('oneHot', i);
    const shape = rng.shape(0, 3, 0, 5);
    const depth = rng.int(2, 6); // tfjs refuses depths 0 and 1, which TensorFlow takes (tested below)
    const [on, off] = rng.bool() ? [1, 0] : [rng.float(-2, 2), rng.float(-2, 2)];
    it(`#${i} [${shape}] depth ${depth} on ${on} off ${off}`, () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const indices = tensor(rng.ints(size, -2, depth + 1), shape, 'int32');
      expectMatchesTf(
        oneHot(indices, depth, on, off),
        tf.oneHot(toTf(indices), depth, on, off, 'float32'),
        1e-7,
        `oneHot #${i} seed ${rng.seed}`,
      );
    });
  }

  it("is Keras' to_categorical for a list of class indices", () => {
    expect(oneHot([0, 2, 1], 3).array()).toEqual([
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ]);
    expect(oneHot(tensor(Uint8Array.of(1), [1], 'uint8'), 2).dtype).toBe('float32');
  });

  it('takes depth 1 and 0, as tf.one_hot does', () => {
    expect(oneHot([0, 1, -1], 1).array()).toEqual([[1], [0], [0]]);
    expect(oneHot([0, 1], 0).shape).toEqual([2, 0]);
  });

  it('names what is wrong', () => {
    expectConvlensError(
      () => oneHot([0.5], 2),
      "oneHot: indices must be int32 or uint8 class indices, got float32 (cast(indices, 'int32') truncates them)",
    );
    expectConvlensError(() => oneHot([1], -1), 'oneHot: depth must be a whole number >= 0, got -1');
    expectConvlensError(() => oneHot([1], 2, Number.NaN), /^oneHot: onValue must be a number/);
  });
});

// Keras' documented to_categorical: `to_categorical([0, 1, 2, 3], num_classes=4)` is the 4×4
// identity; labels of shape (N, 1) give (N, num_classes); num_classes defaults to max(y) + 1.
describe("toCategorical: Keras' keras.utils.to_categorical", () => {
  it("gives Keras' documented one-hot rows, float32", () => {
    const rows = toCategorical([0, 1, 2, 3], 4);
    expect(rows.dtype).toBe('float32');
    expect(rows.array()).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
  });

  it("drops a trailing axis of 1 (CIFAR's [N, 1] labels) and counts the classes when not told", () => {
    const labels = tensor(Uint8Array.of(3, 0, 1), [3, 1], 'uint8');
    expect(toCategorical(labels).array()).toEqual([
      [0, 0, 0, 1],
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    expect(toCategorical(labels, 10).shape).toEqual([3, 10]);
    expect(toCategorical(tensor(Int32Array.of(0, 1, 1, 0), [2, 2], 'int32'), 2).shape).toEqual([2, 2, 2]);
  });

  it('takes float labels that are whole numbers, as Keras casts them (np.array(y, dtype="int64"))', () => {
    const floats = tensor(Float32Array.of(2, 0, 1), [3, 1], 'float32');
    expect(toCategorical(floats).array()).toEqual(toCategorical(tensor(Int32Array.of(2, 0, 1), [3, 1], 'int32')).array());
    expect(toCategorical(tensor(Float32Array.of(1, 0), [2], 'float32'), 3).array()).toEqual([
      [0, 1, 0],
      [1, 0, 0],
    ]);
    expectConvlensError(
      () => toCategorical(tensor(Float32Array.of(1, Number.NaN), [2], 'float32')),
      'toCategorical: y holds NaN at flat index 1, which is not a class index (class indices are whole numbers)',
    );
  });

  it('names what is wrong', () => {
    expectConvlensError(() => toCategorical([1, 4], 3), 'toCategorical: class 4 (at flat index 1) is outside [0, 3) of numClasses 3');
    expectConvlensError(() => toCategorical([-1], 2), 'toCategorical: class -1 (at flat index 0) is outside [0, 2) of numClasses 2');
    expectConvlensError(
      () => toCategorical([0.5]),
      'toCategorical: y holds 0.5 at flat index 0, which is not a class index (class indices are whole numbers)',
    );
    expectConvlensError(() => toCategorical([0], 0), 'toCategorical: numClasses must be a whole number >= 1, got 0');
  });
});
