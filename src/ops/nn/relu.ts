import type { DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { TensorInput } from '../convert.js';
import { elementwise } from './activation_util.js';

/** max(x, 0), element-wise: the lesson's "detect" step. Keeps the dtype. */
export function relu<D extends DType>(features: Tensor<D>): Tensor<D>;
export function relu(features: TensorInput): Tensor;
export function relu(features: TensorInput): Tensor {
  return elementwise('relu', 'relu', features, false);
}
