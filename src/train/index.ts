/**
 * The public `train` namespace: the optimizers compile takes (Keras' classes and defaults; the
 * lower-case factories take tfjs' defaults where they differ). The gradient kernels and losses
 * the training loop uses are internal: they take the ops' internal geometry and leave argument
 * checks to compile and fit.
 */
export { Adadelta, type AdadeltaOptions, adadelta } from './adadelta.js';
export { Adagrad, type AdagradOptions, adagrad } from './adagrad.js';
export { Adamax, type AdamaxOptions, adamax } from './adamax.js';
export {
  Adam,
  type AdamOptions,
  AdamW,
  adam,
  adamw,
  type ClipOptions,
  type LearningRate,
  type LearningRateFunction,
  type Optimizer,
  type OptimizerOptions,
  type OptimizerSettings,
  type OptimizerWeight,
  RMSprop,
  type RmspropOptions,
  rmsprop,
  SGD,
  type SgdOptions,
  sgd,
  type Variable,
} from './optimizers.js';
export {
  CosineDecay,
  type CosineDecayOptions,
  CosineDecayRestarts,
  type CosineDecayRestartsOptions,
  ExponentialDecay,
  type ExponentialDecayOptions,
  InverseTimeDecay,
  type InverseTimeDecayOptions,
  LearningRateSchedule,
  PiecewiseConstantDecay,
  type PiecewiseConstantDecayOptions,
  PolynomialDecay,
  type PolynomialDecayOptions,
  type ScheduleConfig,
  type SerializedSchedule,
} from './schedules.js';
