import type { Tensor } from '../../tensor/tensor.js';
import { type Pool2DArgs, pool2d } from './pool_util.js';

/** TensorFlow's `tf.nn.max_pool2d`: the largest value in each window; padded cells never win. */
export function maxPool2d(args: Pool2DArgs): Tensor<'float32'> {
  return pool2d('maxPool2d', 'maxPool', args);
}
