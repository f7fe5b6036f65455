import { backend } from '../backend/registry.js';
import type { ReduceOp } from '../backend/types.js';
import { ConvlensError, describeValue } from '../errors.js';
import { allocate, type DType } from '../tensor/dtype.js';
import { normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast } from './cast.js';
import { asTensor, type TensorInput } from './convert.js';
import { transpose } from './transpose.js';

/** What max and min of an empty axis are, per dtype, as in TensorFlow (tf.reduce_max([]) is -inf). */
const EMPTY: Record<'max' | 'min', Record<DType, number>> = {
  max: { float32: Number.NEGATIVE_INFINITY, int32: -(2 ** 31), uint8: 0, bool: 0 },
  min: { float32: Number.POSITIVE_INFINITY, int32: 2 ** 31 - 1, uint8: 255, bool: 1 },
};

/** An input laid out for reducing: the reduced axes moved last, so each reduction is over a contiguous run. */
interface Reduction {
  moved: Tensor;
  reduceSize: number;
  outSize: number;
  shape: number[];
}

/** An axis argument: null, as TensorFlow's `axis=None` and tfjs' null, means every axis, as leaving it out does. */
type Axis = number | number[] | null | undefined;

function prepare(op: string, t: Tensor, axis: Axis, keepDims: boolean | null): Reduction {
  // null is TensorFlow's keepdims=None, which it reads as False
  if (keepDims !== null && typeof keepDims !== 'boolean') {
    throw new ConvlensError(`${op}: keepDims must be true or false, got ${describeValue(keepDims)}`);
  }
  const axes =
    axis === undefined || axis === null
      ? t.shape.map((_, i) => i)
      : (Array.isArray(axis) ? Array.from(axis) : [axis]).map((a) => normalizeAxis(op, a, t.rank)); // a hole is read as undefined
  if (new Set(axes).size !== axes.length) throw new ConvlensError(`${op}: axis ${describeValue(axis)} repeats an axis`);
  const kept = t.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...[...axes].sort((a, b) => a - b)];
  return {
    moved: perm.every((p, i) => p === i) ? t : transpose(t, perm),
    reduceSize: axes.reduce((n, a) => n * t.shape[a], 1),
    outSize: kept.reduce((n, a) => n * t.shape[a], 1),
    shape: keepDims ? t.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((a) => t.shape[a]),
  };
}

function reduceOp(op: string, kind: ReduceOp, x: TensorInput, axis: Axis, keepDims: boolean | null, dtype: (d: DType) => DType): Tensor {
  const input = asTensor(op, 'x', x);
  const outDType = dtype(input.dtype);
  const { moved, reduceSize, outSize, shape } = prepare(op, cast(input, outDType), axis, keepDims);
  const out = allocate(outDType, outSize);
  // over nothing, TensorFlow gives the reduction's identity: -inf for max, the dtype's lowest for integers
  if (reduceSize === 0 && kind !== 'sum') out.fill(EMPTY[kind as 'max' | 'min'][outDType]);
  else backend().reduce(kind, moved.data, reduceSize, out);
  return new Tensor(out, shape, outDType);
}

/**
 * The mean of an int32 or uint8 tensor as TensorFlow's eager tf.reduce_mean gives it: the same
 * dtype, the exact sum divided by the count and truncated toward zero (its docs: the mean of
 * [1, 0, 1, 0] is 0).
 */
function integerMean(t: Tensor, axis: Axis, keepDims: boolean | null): Tensor {
  const { moved, reduceSize, outSize, shape } = prepare('mean', t, axis, keepDims);
  const out = allocate(t.dtype, outSize);
  for (let o = 0; o < outSize; o++) {
    let total = 0;
    for (let i = o * reduceSize; i < (o + 1) * reduceSize; i++) total += moved.data[i];
    out[o] = reduceSize > 0 ? Math.trunc(total / reduceSize) : 0;
  }
  return new Tensor(out, shape, t.dtype);
}

// TensorFlow's reduce_sum keeps the input's dtype (a uint8 sum wraps past 255); bool, which TensorFlow
// does not sum, counts as int32, as in tfjs
const sumType = (d: DType): DType => (d === 'bool' ? 'int32' : d);
// max and min of bool stay bool (any and all), as in TensorFlow.js
const sameType = (d: DType): DType => d;

/** Sum over `axis` (all axes by default), in the input's dtype (uint8 wraps, as in TensorFlow); bool counts as int32. */
export function sum(x: TensorInput, axis?: number | number[] | null, keepDims: boolean | null = false): Tensor {
  return reduceOp('sum', 'sum', x, axis, keepDims, sumType);
}

/**
 * Mean over `axis`. float32 and bool give float32 (bool: the fraction true); int32 and uint8 keep
 * their dtype, truncated, as in TensorFlow (TensorFlow.js gives float32 there; TensorFlow wins).
 */
export function mean(x: TensorInput, axis?: number | number[] | null, keepDims: boolean | null = false): Tensor {
  const t = asTensor('mean', 'x', x);
  if (t.dtype === 'int32' || t.dtype === 'uint8') return integerMean(t, axis, keepDims);
  const total = reduceOp('mean', 'sum', t, axis, keepDims, () => 'float32');
  const count = t.size / Math.max(1, total.size);
  const out = total.data as Float32Array;
  for (let i = 0; i < out.length; i++) out[i] /= count;
  return total;
}

export function max(x: TensorInput, axis?: number | number[] | null, keepDims: boolean | null = false): Tensor {
  return reduceOp('max', 'max', x, axis, keepDims, sameType);
}

export function min(x: TensorInput, axis?: number | number[] | null, keepDims: boolean | null = false): Tensor {
  return reduceOp('min', 'min', x, axis, keepDims, sameType);
}
