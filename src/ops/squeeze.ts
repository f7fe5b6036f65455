import { ConvlensError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { formatShape, normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { asTensor, type TensorInput } from './convert.js';

/**
 * Removes length-1 axes: all of them, or only those in `axis` (which must have length 1).
 * An empty `axis` list means all, as TensorFlow's default `axis=[]` does, and so does null, as
 * TensorFlow's `axis=None` and tfjs' null do.
 */
export function squeeze<D extends DType>(x: Tensor<D>, axis?: number | number[] | null): Tensor<D>;
export function squeeze(x: TensorInput, axis?: number | number[] | null): Tensor;
export function squeeze(x: TensorInput, axis?: number | number[] | null): Tensor {
  const t = asTensor('squeeze', 'x', x);
  const given = axis === undefined || axis === null ? [] : Array.isArray(axis) ? Array.from(axis) : [axis]; // Array.from: a hole is read as undefined, not skipped
  if (given.length === 0)
    return new Tensor(
      t.data,
      t.shape.filter((d) => d !== 1),
      t.dtype,
    );
  const axes = given.map((a) => normalizeAxis('squeeze', a, t.rank));
  for (const a of axes) {
    if (t.shape[a] !== 1) throw new ConvlensError(`squeeze: axis ${a} of shape ${formatShape(t.shape)} has size ${t.shape[a]}, expected 1`);
  }
  return new Tensor(
    t.data,
    t.shape.filter((_, i) => !axes.includes(i)),
    t.dtype,
  );
}
