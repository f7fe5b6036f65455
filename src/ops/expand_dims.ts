import { ConvlensError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { formatShape, MAX_RANK, normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { asTensor, type TensorInput } from './convert.js';

/** Inserts a length-1 axis at `axis` (negative counts from the end, -1 appends). */
export function expandDims<D extends DType>(x: Tensor<D>, axis?: number): Tensor<D>;
export function expandDims(x: TensorInput, axis?: number): Tensor;
export function expandDims(x: TensorInput, axis = 0): Tensor {
  const t = asTensor('expandDims', 'x', x);
  const a = normalizeAxis('expandDims', axis, t.rank + 1, t.rank);
  if (t.rank >= MAX_RANK) {
    throw new ConvlensError(
      `expandDims: x of shape ${formatShape(t.shape)} has rank ${t.rank}: one more axis would exceed TensorFlow's largest rank, ${MAX_RANK}`,
    );
  }
  const shape = [...t.shape];
  shape.splice(a, 0, 1);
  return new Tensor(t.data, shape, t.dtype);
}
