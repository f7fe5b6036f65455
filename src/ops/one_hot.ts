import { ConvlensError, checkNumber, describeValue } from '../errors.js';
import { fromValues } from '../tensor/create.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { TensorInput } from './convert.js';
import { asTensor } from './convert.js';

/**
 * `tf.one_hot`: class indices of any shape to float32 rows of length `depth` on a new last axis,
 * `onValue` at each index and `offValue` elsewhere (Keras' `to_categorical` is `oneHot(y, classes)`).
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
