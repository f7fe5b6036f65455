import { ConvlensError, describeValue, everyItem } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { formatShape, MAX_RANK, sizeFromShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { asTensor, type TensorInput } from './convert.js';

/** Same values, new shape; one dimension may be -1 and is then inferred. Shares the data. */
export function reshape<D extends DType>(x: Tensor<D>, shape: number[]): Tensor<D>;
export function reshape(x: TensorInput, shape: number[]): Tensor;
export function reshape(x: TensorInput, shape: number[]): Tensor {
  const t = asTensor('reshape', 'x', x);
  if (!Array.isArray(shape) || !everyItem(shape, (d) => Number.isInteger(d) && d >= -1)) {
    throw new ConvlensError(`reshape: shape ${describeValue(shape)} must be a list of non-negative integers with at most one -1`);
  }
  // messages show the shape asked for with describeValue, shortened: it is the user's and may be any length
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1)
    throw new ConvlensError(`reshape: shape ${describeValue(shape)} has ${unknown} -1 entries (at most one can be inferred)`);
  const known = sizeFromShape(shape.filter((d) => d !== -1));
  let resolved = shape;
  if (unknown === 1) {
    if (known === 0 || t.size % known !== 0) {
      throw new ConvlensError(`reshape: cannot reshape ${t.size} values of shape ${formatShape(t.shape)} into ${describeValue(shape)}`);
    }
    resolved = shape.map((d) => (d === -1 ? t.size / known : d));
  } else if (known !== t.size) {
    throw new ConvlensError(
      `reshape: cannot reshape ${t.size} values of shape ${formatShape(t.shape)} into ${describeValue(shape)} (${known} values)`,
    );
  }
  // after the size checks, which say more when the values do not fit either
  if (shape.length > MAX_RANK) {
    throw new ConvlensError(
      `reshape: shape ${describeValue(shape)} has rank ${shape.length}, more than TensorFlow's largest rank, ${MAX_RANK}`,
    );
  }
  return new Tensor(t.data, resolved, t.dtype);
}
