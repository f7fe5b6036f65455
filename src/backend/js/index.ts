import type { Backend } from '../types.js';
import { batchNorm, batchNormBackward, channelMoments } from './batch_norm.js';
import { conv2d } from './conv2d.js';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv2d_backprop.js';
import { depthwiseConv2d, depthwiseConv2dBackpropFilter, depthwiseConv2dBackpropInput } from './depthwise_conv2d.js';
import { binary, unary } from './elementwise.js';
import { conv2dBackward, maxPoolBackward, residentBuffer } from './layer_grads.js';
import { matMul } from './matmul.js';
import { matMulTransposed } from './matmul_transposed.js';
import { avgPool, maxPool } from './pool.js';
import { avgPoolBackprop, maxPoolBackprop } from './pool_backprop.js';
import { reduce, softmax } from './reduce.js';
import { transpose } from './transpose.js';

/** The reference backend: plain TypeScript, small enough to check by reading. */
export const jsBackend: Backend = {
  name: 'js',
  conv2d,
  maxPool,
  avgPool,
  conv2dBackpropInput,
  conv2dBackpropFilter,
  depthwiseConv2d,
  depthwiseConv2dBackpropInput,
  depthwiseConv2dBackpropFilter,
  maxPoolBackprop,
  avgPoolBackprop,
  unary,
  binary,
  reduce,
  transpose,
  matMul,
  matMulTransposed,
  softmax,
  conv2dBackward,
  maxPoolBackward,
  channelMoments,
  batchNorm,
  batchNormBackward,
  residentBuffer,
};
