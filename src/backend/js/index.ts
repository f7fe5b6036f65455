import type { Backend } from '../types.js';
import { conv2d } from './conv2d.js';
import { binary, unary } from './elementwise.js';
import { matMul } from './matmul.js';
import { avgPool, maxPool } from './pool.js';
import { reduce, softmax } from './reduce.js';
import { transpose } from './transpose.js';

/** The reference backend: plain TypeScript, small enough to check by reading. */
export const jsBackend: Backend = {
  name: 'js',
  conv2d,
  maxPool,
  avgPool,
  unary,
  binary,
  reduce,
  transpose,
  matMul,
  softmax,
};
