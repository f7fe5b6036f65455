import type { Tensor } from '../../tensor/tensor.js';
import { type Pool2DArgs, pool2d } from './pool_util.js';

/**
 * TensorFlow's `tf.nn.max_pool2d`: the largest value in each window; padded cells never win.
 * float32 input gives float32; int32 input (as TensorFlow also pools) gives int32, exactly.
 */
export function maxPool2d(args: Pool2DArgs & { input: Tensor<'int32'> }): Tensor<'int32'>;
export function maxPool2d(args: Pool2DArgs): Tensor<'float32'>;
export function maxPool2d(args: Pool2DArgs): Tensor<'float32' | 'int32'> {
  return pool2d('maxPool2d', 'maxPool', args);
}
