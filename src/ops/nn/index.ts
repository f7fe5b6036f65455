import { avgPool2d } from './avg_pool2d.js';
import { biasAdd } from './bias_add.js';
import { conv2d } from './conv2d.js';
import { conv2dTranspose } from './conv2d_transpose.js';
import { depthwiseConv2d } from './depthwise_conv2d.js';
import { maxPool2d } from './max_pool2d.js';
import { relu } from './relu.js';
import { separableConv2d } from './separable_conv2d.js';
import { sigmoid } from './sigmoid.js';
import { softmax } from './softmax.js';
import { tanh } from './tanh.js';

export type { Conv2DArgs } from './conv2d.js';
export type { Conv2DTransposeArgs } from './conv2d_transpose.js';
export type { DepthwiseConv2DArgs } from './depthwise_conv2d.js';
export type { Pool2DArgs } from './pool_util.js';
export type { SeparableConv2DArgs } from './separable_conv2d.js';

/** TensorFlow's `tf.nn`, in camelCase. `maxPool`/`avgPool` are aliases of the 2-D versions. */
export const nn = {
  conv2d,
  conv2dTranspose,
  depthwiseConv2d,
  separableConv2d,
  relu,
  maxPool2d,
  maxPool: maxPool2d,
  avgPool2d,
  avgPool: avgPool2d,
  biasAdd,
  sigmoid,
  tanh,
  softmax,
};
