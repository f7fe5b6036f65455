import type { Tensor } from '../../tensor/tensor.js';
import type { TensorInput } from '../convert.js';
import { elementwise } from './activation_util.js';

export function tanh(x: TensorInput): Tensor<'float32'> {
  return <Tensor<'float32'>>elementwise('tanh', 'tanh', x, true);
}
