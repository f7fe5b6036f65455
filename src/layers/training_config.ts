import { describeValue } from '../errors.js';
import type { LossName } from '../train/losses.js';
import { isMetricName } from '../train/metrics.js';
import { Adam, type Optimizer, RMSprop, SGD } from '../train/optimizers.js';

/**
 * The compile settings a saved model carries, as tfjs-layers writes them in model.json
 * (`trainingConfig`; tensorflowjs_converter writes Keras' as `modelTopology.training_config`),
 * so that a loaded model is compiled again, as Keras' `load_model` and tfjs' `loadLayersModel` do.
 */
export interface TrainingConfig {
  loss: string;
  metrics?: string[];
  optimizer_config: { class_name: string; config: Record<string, unknown> };
}

/** What compile was given, in the form `compile` takes back. */
export interface CompileSettings {
  optimizer: Optimizer;
  loss: string | { name: string; fromLogits?: boolean };
  metrics: string[];
}

const KERAS_LOSS: Record<LossName, string> = {
  binaryCrossentropy: 'binary_crossentropy',
  categoricalCrossentropy: 'categorical_crossentropy',
  sparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
  meanSquaredError: 'mean_squared_error',
};

/**
 * The model.json form of compile's settings, in the keys tfjs reads (`learningRate`, `beta1`):
 * undefined for what tfjs could not compile back (a loss from logits, an optimizer of one's own).
 */
export function trainingConfigOf(settings: {
  optimizer: Optimizer;
  loss: LossName;
  fromLogits: boolean;
  metrics: string[];
}): TrainingConfig | undefined {
  const { optimizer, loss, fromLogits, metrics } = settings;
  if (fromLogits) return undefined;
  let optimizerConfig: TrainingConfig['optimizer_config'];
  if (optimizer instanceof Adam) {
    const { learningRate, beta1, beta2, epsilon } = optimizer;
    optimizerConfig = { class_name: 'Adam', config: { learningRate, beta1, beta2, epsilon } };
  } else if (optimizer instanceof SGD) {
    const { learningRate, momentum, nesterov } = optimizer;
    optimizerConfig =
      momentum === 0 && !nesterov
        ? { class_name: 'SGD', config: { learningRate } }
        : { class_name: 'Momentum', config: { learningRate, momentum, useNesterov: nesterov } };
  } else if (optimizer instanceof RMSprop) {
    const { learningRate, rho, momentum, epsilon, centered } = optimizer;
    optimizerConfig = { class_name: 'RMSProp', config: { learningRate, decay: rho, momentum, epsilon, centered } };
  } else {
    return undefined;
  }
  return { loss: KERAS_LOSS[loss], metrics, optimizer_config: optimizerConfig };
}

/** A number from a config under any of `keys` (tfjs' camelCase or Keras' snake_case), if there is one. */
function numberOf(config: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const key of keys) if (typeof config[key] === 'number') return config[key] as number;
  return undefined;
}

/**
 * Compile settings from a saved training configuration, tfjs' or Keras'; a string saying what
 * is not supported otherwise (the model then loads uncompiled).
 */
export function compileSettingsFrom(raw: unknown): CompileSettings | string {
  const config = raw as Partial<TrainingConfig> & { loss?: unknown };
  const optimizerConfig = config?.optimizer_config as { class_name?: unknown; config?: Record<string, unknown> } | undefined;
  if (!optimizerConfig || typeof optimizerConfig !== 'object') return 'no optimizer_config';
  const c = optimizerConfig.config ?? {};
  const learningRate = numberOf(c, 'learningRate', 'learning_rate', 'lr');
  let optimizer: Optimizer;
  switch (optimizerConfig.class_name) {
    case 'Adam':
      if (c.amsgrad === true) return 'Adam with amsgrad';
      optimizer = new Adam({
        learningRate,
        beta1: numberOf(c, 'beta1', 'beta_1'),
        beta2: numberOf(c, 'beta2', 'beta_2'),
        epsilon: numberOf(c, 'epsilon'),
      });
      break;
    case 'SGD':
    case 'Momentum':
      optimizer = new SGD({
        learningRate,
        momentum: numberOf(c, 'momentum'),
        nesterov: c.useNesterov === true || c.nesterov === true,
      });
      break;
    case 'RMSProp': // tfjs' name, whose `decay` is Keras' rho
    case 'RMSprop': // Keras', whose `decay` (tf.keras 2) is a learning-rate decay
      optimizer = new RMSprop({
        learningRate,
        rho: optimizerConfig.class_name === 'RMSProp' ? numberOf(c, 'decay') : numberOf(c, 'rho'),
        momentum: numberOf(c, 'momentum'),
        epsilon: numberOf(c, 'epsilon'),
        centered: c.centered === true,
      });
      break;
    default:
      return `optimizer ${describeValue(optimizerConfig.class_name)}`;
  }
  // Keras 3 and tf.keras may write the loss as a serialized object: { class_name, config: { from_logits } }
  let loss: CompileSettings['loss'];
  if (typeof config.loss === 'string') loss = config.loss;
  else {
    const object = config.loss as { class_name?: unknown; config?: { from_logits?: unknown } } | undefined;
    if (typeof object?.class_name !== 'string') return `loss ${describeValue(config.loss)}`;
    loss = { name: object.class_name, fromLogits: object.config?.from_logits === true };
  }
  const metrics = Array.isArray(config.metrics) ? config.metrics : [];
  if (!metrics.every(isMetricName)) return `metrics ${describeValue(metrics)}`;
  return { optimizer, loss, metrics };
}
