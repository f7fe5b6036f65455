import { backend } from '../backend/registry.js';
import type { BinaryOp } from '../backend/types.js';
import { allocate, type DType, upcast } from '../tensor/dtype.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast } from './cast.js';
import { asTensor, type TensorInput } from './convert.js';

/** Element-wise binary op with NumPy broadcasting; operands are promoted to a common dtype. */
function binaryOp(op: BinaryOp, a: TensorInput, b: TensorInput, resultDType?: DType): Tensor {
  let ta = asTensor(op, 'a', a);
  let tb = asTensor(op, 'b', b);
  const shape = broadcastShapes(op, ta.shape, tb.shape);
  let dtype = resultDType ?? upcast(ta.dtype, tb.dtype);
  if (dtype === 'bool') dtype = 'uint8';
  ta = cast(ta, dtype);
  tb = cast(tb, dtype);
  const out = allocate(
    dtype,
    shape.reduce((n, d) => n * d, 1),
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
