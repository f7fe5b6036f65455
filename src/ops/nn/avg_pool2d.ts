import type { Tensor } from '../../tensor/tensor.js';
import { type Pool2DArgs, pool2d } from './pool_util.js';

/** TensorFlow's `tf.nn.avg_pool2d`: the mean of each window over its unpadded cells only. */
export function avgPool2d(args: Pool2DArgs): Tensor<'float32'> {
  return pool2d('avgPool2d', 'avgPool', args) as Tensor<'float32'>;
}
