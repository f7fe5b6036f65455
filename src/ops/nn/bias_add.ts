import { backend } from '../../backend/registry.js';
import { ConvlensError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkDataFormat, type DataFormat } from '../conv_util.js';
import { asTensor, checkFloat, checkRank, type TensorInput } from '../convert.js';

/** Adds a per-channel bias: along the last axis (NHWC) or axis 1 (NCHW). */
export function biasAdd(value: TensorInput, bias: TensorInput, dataFormat?: DataFormat): Tensor<'float32'> {
  const format = checkDataFormat('biasAdd', dataFormat);
  const v = asTensor('biasAdd', 'value', value, 'float32');
  const b = asTensor('biasAdd', 'bias', bias, 'float32');
  checkFloat('biasAdd', 'value', v);
  checkFloat('biasAdd', 'bias', b);
  checkRank('biasAdd', 'bias', b, [1]);
  if (v.rank < 2) throw new ConvlensError(`biasAdd: 'value' must have rank 2 or more, got rank ${v.rank}`);
  const channelAxis = format === 'NCHW' ? 1 : v.rank - 1;
  if (v.shape[channelAxis] !== b.shape[0]) {
    throw new ConvlensError(
      `biasAdd: bias length ${b.shape[0]} does not match the ${v.shape[channelAxis]} channels of 'value' (axis ${channelAxis})`,
    );
  }
  // Broadcast the bias as [C] (NHWC) or [C, 1, ..., 1] (NCHW).
  const biasShape = format === 'NCHW' ? [b.shape[0], ...new Array<number>(v.rank - 2).fill(1)] : b.shape;
  const out = new Float32Array(v.size);
  backend().binary('add', v.data, v.shape, b.data, biasShape, out, v.shape);
  return new Tensor(out, v.shape, 'float32');
}
