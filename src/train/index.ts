export * from './gradients.js';
export * from './losses.js';
export { Adam, type AdamOptions, adam, getOptimizer, type Optimizer, SGD, type SgdOptions, sgd, type Variable } from './optimizers.js';
