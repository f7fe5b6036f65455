import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../test/helpers/tf.js';
import { tensor } from '../tensor/create.js';
import { argMax } from './arg_max.js';
import { confusionMatrix } from './confusion_matrix.js';

const CASES = 40;

describe(`confusionMatrix: ${CASES} random label and prediction lists against tfjs' tf.math.confusionMatrix`, () => {
  for (let i = 0; i < CASES; i++) {
    const rng = caseRng('confusionMatrix', i);
    const classes = rng.int(2, 12); // tfjs refuses 1 class (its oneHot needs depth 2)
    const n = rng.int(0, 300);
    it(`#${i}: ${n} examples, ${classes} classes`, () => {
      const labels = rng.ints(n, 0, classes - 1);
      // mostly right, as a trained model is: the diagonal and the rest both get counts
      const predictions = labels.map((l) => (rng.next() < 0.7 ? l : rng.int(0, classes - 1)));
      const ours = confusionMatrix(tensor(labels, [n], 'int32'), tensor(predictions, [n], 'int32'), classes);
      expect(ours.dtype).toBe('int32');
      expectMatchesTf(ours, tf.math.confusionMatrix(tf.tensor1d(labels, 'int32'), tf.tensor1d(predictions, 'int32'), classes), 0);
    });
  }

  it("counts as many classes as the largest seen, as TensorFlow's default num_classes", () => {
    // TensorFlow's documented example: tf.math.confusion_matrix([1, 2, 4], [2, 2, 4])
    expect(confusionMatrix([1, 2, 4], [2, 2, 4]).array()).toEqual([
      [0, 0, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 1],
    ]);
  });

  it("takes a model's argMax, uint8, bool and whole float32 classes, and [N, 1] columns", () => {
    const output = tensor([0.1, 0.9, 0.8, 0.2, 0.3, 0.7], [3, 2]);
    expect(confusionMatrix([1, 0, 0], argMax(output, 1)).array()).toEqual([
      [1, 1],
      [0, 1],
    ]);
    expect(confusionMatrix(tensor([1, 0], [2, 1], 'uint8'), tensor([true, true], [2], 'bool')).array()).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(confusionMatrix(tensor([2, 0], [2], 'float32'), [2, 2], 3).array()).toEqual([
      [0, 0, 1],
      [0, 0, 0],
      [0, 0, 1],
    ]);
  });

  it('refuses what TensorFlow refuses, and probabilities it would truncate, naming the value', () => {
    expectConvlensError(() => confusionMatrix([0, 3], [0, 1], 3), 'confusionMatrix: labels[1] is 3, not a class below numClasses 3');
    expectConvlensError(
      () => confusionMatrix([0, 1], [0, -1]),
      'confusionMatrix: predictions[1] is -1, not a class index (a whole number ≥ 0)',
    );
    expectConvlensError(
      () => confusionMatrix([0, 1], tensor([0.2, 0.7], [2])),
      'confusionMatrix: predictions[0] is 0.2, not a class index (a whole number ≥ 0) (for one sigmoid output per example, the classes are output > 0.5)',
    );
    expectConvlensError(
      () => confusionMatrix([0, 1], tensor([0.2, 0.8, 0.6, 0.4], [2, 2])),
      "confusionMatrix: predictions must be 1-D class indices, got shape [2, 2] (for a model's output of one row per example, take argMax(output, 1))",
    );
    expectConvlensError(
      () => confusionMatrix([0, 1, 1], [0, 1]),
      'confusionMatrix: labels and predictions must have the same length, got 3 labels and 2 predictions',
    );
    expectConvlensError(() => confusionMatrix([0], [0], 0), 'confusionMatrix: numClasses must be a whole number ≥ 1, got 0');
    // NaN and Infinity are no one sigmoid output: no hint about one
    expectConvlensError(
      () => confusionMatrix([0, Number.NaN], [0, 1]),
      'confusionMatrix: labels[1] is NaN, not a class index (a whole number ≥ 0)',
    );
    expectConvlensError(() => confusionMatrix([], []), 'confusionMatrix: no labels to count classes from (give numClasses)');
    expectConvlensError(
      () => confusionMatrix(undefined as never, [0]),
      "confusionMatrix: argument 'labels' is missing (expected a tensor)",
    );
    expect(confusionMatrix([], [], 2).array()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('refuses a class past int32, which wrapped around to a small one (2^32 counted as class 0)', () => {
    // TensorFlow refuses labels outside [0, num_classes); float32 holds 2^32 and 2^31 exactly
    expectConvlensError(
      () => confusionMatrix(tensor([0, 2 ** 32], [2], 'float32'), [0, 1], 2),
      'confusionMatrix: labels[1] is 4294967296, not a class index (at most 2147483647)',
    );
    expectConvlensError(
      () => confusionMatrix([0, 1], tensor([0, 2 ** 31], [2], 'float32'), 2),
      'confusionMatrix: predictions[1] is 2147483648, not a class index (at most 2147483647)',
    );
  });

  it('refuses the default numClasses of one stray large index rather than allocating gigabytes', () => {
    // 40001² int32 cells are 5.96 GiB, which an overcommitting machine hands out
    expectConvlensError(
      () => confusionMatrix([0, 1, 2], [0, 40000, 2]),
      'confusionMatrix: predictions[1] is 40000, so the default numClasses 40001 would make a 40001 × 40001 matrix (5.96 GiB); give numClasses if so many classes are meant',
    );
    expect(confusionMatrix([0, 1000], [0, 1000]).shape).toEqual([1001, 1001]);
  });
});
