import { backend } from '../backend/registry.js';
import { ConvlensError, checkArray, describeValue } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { asTensor, type TensorInput } from './convert.js';

/** Permutes the axes of `x`: output axis i is input axis perm[i] (default, or null as TensorFlow's `perm=None`: reversed). */
export function transpose<D extends DType>(x: Tensor<D>, perm?: number[] | null): Tensor<D>;
export function transpose(x: TensorInput, perm?: number[] | null): Tensor;
export function transpose(x: TensorInput, perm?: number[] | null): Tensor {
  const t = asTensor('transpose', 'x', x);
  if (perm !== undefined && perm !== null) checkArray('transpose', 'perm', perm, 'axes');
  const order = perm ?? t.shape.map((_, i) => t.rank - 1 - i);
  const sorted = [...order].sort((a, b) => a - b);
  if (order.length !== t.rank || !sorted.every((v, i) => v === i)) {
    throw new ConvlensError(`transpose: perm ${describeValue(perm)} is not a permutation of the ${t.rank} axes of a rank-${t.rank} tensor`);
  }
  const out = allocate(t.dtype, t.size, 'transpose');
  backend().transpose(t.data, t.shape, order, out);
  return new Tensor(
    out,
    order.map((p) => t.shape[p]),
    t.dtype,
  );
}
