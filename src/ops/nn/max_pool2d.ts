import type { Tensor } from '../../tensor/tensor.js';
import { type MaxPoolDType, type Pool2DArgs, pool2d } from './pool_util.js';

/**
 * TensorFlow's `tf.nn.max_pool2d`: the largest value in each window; padded cells never win.
 * float32 input gives float32; int32 and uint8 input (as TensorFlow also pools them: a decoded
 * image pools as it is) keep their dtype, exactly.
 */
export function maxPool2d(args: Pool2DArgs & { input: Tensor<'int32'> }): Tensor<'int32'>;
export function maxPool2d(args: Pool2DArgs & { input: Tensor<'uint8'> }): Tensor<'uint8'>;
export function maxPool2d(args: Pool2DArgs): Tensor<'float32'>;
export function maxPool2d(args: Pool2DArgs): Tensor<MaxPoolDType> {
  return pool2d('maxPool2d', 'maxPool', args);
}
