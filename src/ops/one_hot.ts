import { ConvlensError, checkNumber, describeValue } from '../errors.js';
import { fromValues } from '../tensor/create.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { TensorInput } from './convert.js';
import { asTensor } from './convert.js';
import { reshape } from './reshape.js';

/**
 * `tf.one_hot`: class indices of any shape to float32 rows of length `depth` on a new last axis,
 * `onValue` at each index and `offValue` elsewhere (Keras' `to_categorical` is `toCategorical` below).
 * An index outside [0, depth) gives a row of `offValue`, as in TensorFlow.
 */
export function oneHot(indices: TensorInput, depth: number, onValue = 1, offValue = 0): Tensor<'float32'> {
  // plain integers are class indices (int32), as tf.constant reads them
  const t = Array.isArray(indices)
    ? fromValues('oneHot', indices, undefined, undefined, true, "'indices'")
    : asTensor('oneHot', 'indices', indices);
  if (t.dtype !== 'int32' && t.dtype !== 'uint8') {
    throw new ConvlensError(`oneHot: indices must be int32 or uint8 class indices, got ${t.dtype} (cast(indices, 'int32') truncates them)`);
  }
  if (!Number.isInteger(depth) || depth < 0)
    throw new ConvlensError(`oneHot: depth must be a whole number >= 0, got ${describeValue(depth)}`);
  checkNumber('oneHot', 'onValue', onValue);
  checkNumber('oneHot', 'offValue', offValue);
  const out = allocate('float32', t.size * depth, 'oneHot');
  if (offValue !== 0) out.fill(offValue);
  for (let i = 0; i < t.size; i++) {
    const index = t.data[i];
    if (index >= 0 && index < depth) out[i * depth + index] = onValue;
  }
  return new Tensor(out, [...t.shape, depth], 'float32');
}

/**
 * Keras' `keras.utils.to_categorical(y, num_classes)`: class indices to one-hot float32 rows, a
 * trailing axis of 1 dropped first (CIFAR's labels `[N, 1]` give `[N, classes]`, where `oneHot`
 * gives `[N, 1, classes]`), `numClasses` by default the largest index + 1. An index outside
 * [0, numClasses) is an error, as in Keras.
 */
export function toCategorical(y: TensorInput, numClasses?: number): Tensor<'float32'> {
  let t = Array.isArray(y) ? fromValues('toCategorical', y, undefined, undefined, true, "'y'") : asTensor('toCategorical', 'y', y);
  if (t.dtype === 'float32') t = wholeNumbers(t);
  if (t.dtype !== 'int32' && t.dtype !== 'uint8') {
    throw new ConvlensError(`toCategorical: y must be class indices (int32, uint8, or whole numbers in float32), got ${t.dtype}`);
  }
  const indices = t.data as Int32Array | Uint8Array;
  let largest = -1;
  for (const index of indices) largest = Math.max(largest, index);
  const classes = numClasses ?? largest + 1;
  if (!Number.isInteger(classes) || classes < 1) {
    throw new ConvlensError(`toCategorical: numClasses must be a whole number >= 1, got ${describeValue(numClasses)}`);
  }
  const bad = indices.findIndex((index) => index < 0 || index >= classes);
  if (bad >= 0) {
    throw new ConvlensError(
      `toCategorical: class ${indices[bad]} (at flat index ${bad}) is outside [0, ${classes}) of numClasses ${classes}`,
    );
  }
  const shape = t.rank > 1 && t.shape[t.rank - 1] === 1 ? t.shape.slice(0, -1) : t.shape;
  return oneHot(reshape(t, shape), classes);
}

/** Float labels that are whole numbers (Keras' to_categorical casts them: `[0., 1., 2.]` are classes), as int32; a fraction is an error. */
function wholeNumbers(t: Tensor): Tensor {
  const bad = (t.data as Float32Array).findIndex((v) => !Number.isInteger(v));
  if (bad >= 0) {
    throw new ConvlensError(
      `toCategorical: y holds ${t.data[bad]} at flat index ${bad}, which is not a class index (class indices are whole numbers)`,
    );
  }
  return new Tensor(Int32Array.from(t.data as Float32Array), t.shape, 'int32');
}
