/**
 * The public `train` namespace: the optimizers compile takes (Keras' names and defaults). The
 * gradient kernels and losses the training loop uses are internal: they take the ops' internal
 * geometry and leave argument checks to compile and fit.
 */
export {
  Adam,
  type AdamOptions,
  adam,
  type Optimizer,
  RMSprop,
  type RmspropOptions,
  rmsprop,
  SGD,
  type SgdOptions,
  sgd,
  type Variable,
} from './optimizers.js';
