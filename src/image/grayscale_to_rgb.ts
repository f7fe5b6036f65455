import { ConvlensError } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { allocate } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Gray → RGB as TensorFlow's `tf.image.grayscale_to_rgb`: the last axis (1) is repeated 3 times.
 * Rank ≥ 2 (`[H, W, 1]`, `[N, H, W, 1]`, ...); keeps the dtype and the values.
 */
export function grayscaleToRgb(images: TensorInput): Tensor {
  const op = 'grayscaleToRgb';
  const t = asTensor(op, 'images', images);
  if (t.rank < 2 || t.shape[t.rank - 1] !== 1) {
    throw new ConvlensError(`${op}: images must be at least rank 2 with 1 channel on the last axis, got shape ${formatShape(t.shape)}`);
  }
  const out = allocate(t.dtype, t.size * 3, op);
  for (let i = 0; i < t.size; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = t.data[i];
  return new Tensor(out, [...t.shape.slice(0, -1), 3], t.dtype);
}
