import { backend } from '../../backend/registry.js';
import type { UnaryOp } from '../../backend/types.js';
import { ConvlensError } from '../../errors.js';
import { allocateOutput } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { asTensor, checkFloat, type TensorInput } from '../convert.js';

/** Applies an element-wise function; `floatOnly` ops reject integer tensors as TensorFlow does. */
export function elementwise(op: string, kernel: UnaryOp, x: TensorInput, floatOnly: boolean): Tensor {
  const t = asTensor(op, 'x', x, 'float32');
  if (floatOnly) checkFloat(op, 'x', t);
  // TensorFlow's Relu has no bool kernel either; uint8 and int32 it has
  if (t.dtype === 'bool')
    throw new ConvlensError(`${op}: 'x' is bool, which ${op} does not take, as in TensorFlow (cast it to float32 first)`);
  const out = allocateOutput(t.dtype, t.size, op);
  backend().unary(kernel, t.data, out);
  return new Tensor(out, t.shape, t.dtype);
}
