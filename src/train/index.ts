export * from './gradients.js';
export * from './losses.js';
export {
  Adam,
  type AdamOptions,
  adam,
  getOptimizer,
  type Optimizer,
  RMSprop,
  type RmspropOptions,
  rmsprop,
  SGD,
  type SgdOptions,
  sgd,
  type Variable,
} from './optimizers.js';
