import type { Tensor } from '../../tensor/tensor.js';
import type { TensorInput } from '../convert.js';
import { elementwise } from './activation_util.js';

/** 1 / (1 + exp(-x)), computed without overflow for large |x|. */
export function sigmoid(x: TensorInput): Tensor<'float32'> {
  return <Tensor<'float32'>>elementwise('sigmoid', 'sigmoid', x, true);
}
