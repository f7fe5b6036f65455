import { backend } from '../backend/registry.js';
import type { BinaryOp } from '../backend/types.js';
import { ConvlensError } from '../errors.js';
import { fromValues } from '../tensor/create.js';
import { allocate, type DType, INTEGER_RANGE, upcast } from '../tensor/dtype.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast } from './cast.js';
import { asTensor, type TensorInput } from './convert.js';

/**
 * Converts an operand. Plain numbers and arrays beside a tensor take that tensor's dtype when
 * their values fit it, as Python scalars do in TensorFlow (`x * 2` keeps an int32 `x` int32);
 * values that do not fit (a fraction beside int32) stay float32 and promote the result.
 */
function operand(op: BinaryOp, arg: string, value: TensorInput, other: TensorInput): Tensor {
  if (value instanceof Tensor || ArrayBuffer.isView(value) || value == null || !(other instanceof Tensor)) return asTensor(op, arg, value);
  const t = fromValues(op, value, undefined, undefined, true, `'${arg}'`); // integers read exactly, as int32
  const range = other.dtype === 'int32' || other.dtype === 'uint8' ? INTEGER_RANGE[other.dtype] : undefined;
  const fits = other.dtype === 'float32' || (range && t.data.every((v) => Number.isInteger(v) && v >= range[0] && v <= range[1]));
  return fits ? cast(t, other.dtype) : t;
}

/** Element-wise binary op with NumPy broadcasting; operands are promoted to a common dtype. */
function binaryOp(op: BinaryOp, a: TensorInput, b: TensorInput, resultDType?: DType): Tensor {
  let ta = operand(op, 'a', a, b);
  let tb = operand(op, 'b', b, a);
  if (ta.dtype === 'bool' || tb.dtype === 'bool') {
    const arg = ta.dtype === 'bool' ? 'a' : 'b';
    throw new ConvlensError(`${op}: '${arg}' is bool, which has no arithmetic, as in TensorFlow (cast it to int32 or float32 first)`);
  }
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  const common = upcast(ta.dtype, tb.dtype);
  const dtype = resultDType ?? common;
  // integer operands of a float32 result (int32 / int32) are read exactly, and the quotient is
  // rounded once, from a double, as TensorFlow divides them in float64
  ta = cast(ta, common);
  tb = cast(tb, common);
  const out = allocate(
    dtype,
    shape.reduce((n, d) => n * d, 1),
    op,
  );
  backend().binary(op, ta.data, ta.shape, tb.data, tb.shape, out, shape);
  return new Tensor(out, shape, dtype);
}

export function add(a: TensorInput, b: TensorInput): Tensor {
  return binaryOp('add', a, b);
}

export function sub(a: TensorInput, b: TensorInput): Tensor {
  return binaryOp('sub', a, b);
}

export function mul(a: TensorInput, b: TensorInput): Tensor {
  return binaryOp('mul', a, b);
}

/** True division, as Python's `/` on tensors: integer operands give float32. */
export function div(a: TensorInput, b: TensorInput): Tensor {
  return binaryOp('div', a, b, 'float32');
}

export function maximum(a: TensorInput, b: TensorInput): Tensor {
  return binaryOp('maximum', a, b);
}

export function minimum(a: TensorInput, b: TensorInput): Tensor {
  return binaryOp('minimum', a, b);
}
