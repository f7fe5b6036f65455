import { constant } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';

// The lesson's kernels, with the values of Kaggle's learntools `visiontools` (int32 like
// `tf.constant` of Python ints, except blur, whose values are fractions).

/** Edge detection: responds where a pixel differs from its eight neighbours. */
export const edge: Tensor = constant([
  [-1, -1, -1],
  [-1, 8, -1],
  [-1, -1, -1],
]);

/** A 3×3 binomial blur; its values sum to 1, so brightness is kept. */
export const blur: Tensor = constant([
  [0.0625, 0.125, 0.0625],
  [0.125, 0.25, 0.125],
  [0.0625, 0.125, 0.0625],
]);

/** Bottom Sobel: responds to edges that are brighter below than above. */
export const bottomSobel: Tensor = constant([
  [-1, -2, -1],
  [0, 0, 0],
  [1, 2, 1],
]);

/** Emboss (south-east): a relief lit from the top left. */
export const emboss: Tensor = constant([
  [-2, -1, 0],
  [-1, 1, 1],
  [0, 1, 2],
]);

/** Sharpen: the pixel minus its four neighbours' excess. */
export const sharpen: Tensor = constant([
  [0, -1, 0],
  [-1, 5, -1],
  [0, -1, 0],
]);
