import { ConvlensError, describeValue } from '../errors.js';
import { Adadelta } from '../train/adadelta.js';
import { Adagrad } from '../train/adagrad.js';
import { Adamax } from '../train/adamax.js';
import type { LossName } from '../train/losses.js';
import { isMetricName, type Metric, savedMetricName, tfjsMetricName } from '../train/metrics.js';
import { type ClipOptions, ClippingOptimizer, type OptimizerOptions } from '../train/optimizer.js';
import { Adam, AdamW, type Optimizer, RMSprop, SGD } from '../train/optimizers.js';
import { isKerasSchedule, LearningRateSchedule, scheduleFromConfig, serializeSchedule } from '../train/schedules.js';

/**
 * The compile settings a saved model carries, as tfjs-layers writes them in model.json
 * (`trainingConfig`; tensorflowjs_converter writes Keras' as `modelTopology.training_config`),
 * so that a loaded model is compiled again, as Keras' `load_model` and tfjs' `loadLayersModel` do.
 */
export interface TrainingConfig {
  /** One loss for every output, or (for several outputs) a list of one per output or an object keyed by output name. */
  loss: SavedLoss | SavedLoss[] | Record<string, SavedLoss>;
  /** Names for every output, or per output: an object keyed by output name or (Keras) a list of lists. */
  metrics?: string[] | string[][] | Record<string, string | string[]>;
  /** Keras' weighted_metrics, in the forms of `metrics` (tfjs-layers refuses to load a config that has them). */
  weighted_metrics?: string[] | string[][] | Record<string, string | string[]> | null;
  /** Keras' weights of each output's loss in the total (tfjs-layers refuses to load a config that has them). */
  loss_weights?: number[] | Record<string, number> | null;
  optimizer_config: { class_name: string; config: Record<string, unknown> };
}

/** Compile's settings to save, and whether tfjs-layers compiles the same from them (if not, they go where tfjs does not read them). */
export interface SavedTrainingConfig {
  config: TrainingConfig;
  tfjsReads: boolean;
}

type OptimizerConfig = TrainingConfig['optimizer_config'];

/** A loss as Keras saves it: its name, or a serialized object (`{ class_name, config: { from_logits } }`). */
export type SavedLoss = string | { class_name: string; config: { from_logits?: boolean; label_smoothing?: number } };

type OneLoss = string | { name: string; fromLogits?: boolean; labelSmoothing?: number };

/** What compile was given, in the form `compile` takes back (per output for a model of several). */
export interface CompileSettings {
  optimizer: Optimizer;
  loss: OneLoss | OneLoss[] | Record<string, OneLoss>;
  metrics: string[] | string[][] | Record<string, string | string[]>;
  weightedMetrics?: string[] | string[][] | Record<string, string | string[]>;
  lossWeights?: number[] | Record<string, number>;
}

const KERAS_LOSS: Record<LossName, string> = {
  binaryCrossentropy: 'binary_crossentropy',
  categoricalCrossentropy: 'categorical_crossentropy',
  sparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
  meanSquaredError: 'mean_squared_error',
};

/**
 * The model.json form of compile's settings, in the keys tfjs reads (`learningRate`, `beta1`);
 * tfjs cannot read a loss from logits or with label smoothing, which is then saved as Keras saves
 * it (`{ class_name, config }`), for convlens and Keras. Undefined for an optimizer of one's own.
 */
export function trainingConfigOf(settings: {
  optimizer: Optimizer;
  loss: LossName;
  fromLogits: boolean;
  labelSmoothing: number;
  metrics: string[];
  /** Keras' weighted_metrics, saved by the names compile was given. */
  weightedMetrics: string[];
}): SavedTrainingConfig | undefined {
  const { optimizer, loss, fromLogits, labelSmoothing, metrics, weightedMetrics } = settings;
  const saved = optimizerConfigOf(optimizer);
  if (!saved) return undefined;
  const plain = !fromLogits && !labelSmoothing && weightedMetrics.length === 0;
  const config: TrainingConfig = { loss: savedLossOf(loss, fromLogits, labelSmoothing), metrics, optimizer_config: saved.config };
  if (weightedMetrics.length > 0) config.weighted_metrics = weightedMetrics;
  return { config, tfjsReads: saved.tfjsReads && plain };
}

/** A loss as Keras saves it: by name, or, from logits or with label smoothing, as its class and settings. */
function savedLossOf(loss: LossName, fromLogits: boolean, labelSmoothing = 0): SavedLoss {
  if (!fromLogits && !labelSmoothing) return KERAS_LOSS[loss];
  const kerasClass = loss[0].toUpperCase() + loss.slice(1); // Keras' class of the loss: CategoricalCrossentropy
  const smoothing = labelSmoothing ? { label_smoothing: labelSmoothing } : {};
  return { class_name: kerasClass, config: { from_logits: fromLogits, ...smoothing } };
}

/** One output's compile settings, as a model of several outputs saves them. */
export interface OutputSettings {
  name: string;
  loss: LossName;
  fromLogits: boolean;
  labelSmoothing?: number;
  weight: number;
  metrics: Metric[];
  weightedMetrics: Metric[];
}

/**
 * The saved form of a model of several outputs' compile settings, as Keras and tfjs-layers write
 * them: keyed by output name when `byName` (`loss` and `metrics` objects, and Keras' `loss_weights`
 * unless all are 1), else in the outputs' order (an output that is a shared layer's later
 * application has no name of its own in tfjs, which names it after the layer). `tfjsReads` says
 * whether tfjs-layers can compile from it: it refuses `loss_weights`, lacks losses from logits and
 * some metrics, and takes a list of metrics as every output's. Undefined for an optimizer of one's own.
 */
export function outputsTrainingConfigOf(
  optimizer: Optimizer,
  outputs: readonly OutputSettings[],
  byName: boolean,
): SavedTrainingConfig | undefined {
  const saved = optimizerConfigOf(optimizer);
  if (!saved) return undefined;
  let tfjsReads = saved.tfjsReads;
  const losses: SavedLoss[] = [];
  const metrics: string[][] = [];
  const weighted = outputs.map((out) => out.weightedMetrics.map(savedMetricName));
  for (const out of outputs) {
    const plain = !out.fromLogits && !out.labelSmoothing;
    losses.push(savedLossOf(out.loss, out.fromLogits, out.labelSmoothing));
    const tfjsNames = out.metrics.map((metric) => tfjsMetricName(metric, out.loss));
    if (!plain || tfjsNames.includes(undefined)) tfjsReads = false;
    metrics.push(tfjsNames.map((name, k) => name ?? savedMetricName(out.metrics[k])));
  }
  const weights = outputs.map((out) => out.weight);
  const config: TrainingConfig = { loss: losses, metrics, optimizer_config: saved.config };
  const anyWeighted = weighted.some((names) => names.length > 0);
  if (byName) {
    const keyed = <T>(values: T[]) => Object.fromEntries(outputs.map((out, i) => [out.name, values[i]]));
    const keyedNames = (lists: string[][]) =>
      Object.fromEntries(
        outputs.flatMap((out, i) => (lists[i].length === 0 ? [] : [[out.name, lists[i].length === 1 ? lists[i][0] : lists[i]]])),
      );
    config.loss = keyed(losses);
    config.metrics = keyedNames(metrics);
    if (anyWeighted) config.weighted_metrics = keyedNames(weighted);
    if (weights.some((w) => w !== 1)) config.loss_weights = keyed(weights);
  } else {
    const same = (lists: string[][]) => lists.every((names) => names.join() === lists[0].join());
    // one list is every output's metrics, in tfjs and Keras alike; else Keras' list of lists, which tfjs lacks
    if (same(metrics)) config.metrics = metrics[0];
    else tfjsReads = false;
    if (anyWeighted) config.weighted_metrics = same(weighted) ? weighted[0] : weighted;
    if (weights.some((w) => w !== 1)) config.loss_weights = weights;
  }
  if (config.loss_weights || config.weighted_metrics) tfjsReads = false;
  return { config, tfjsReads };
}

/**
 * The optimizer as a saved model carries it, and whether tfjs trains by the same rule when it
 * compiles the model from it. As tfjs writes it (its class, camelCase settings), with the settings
 * tfjs lacks added in Keras' names (clipping, `amsgrad`, `weight_decay`, `use_ema` and its settings,
 * `gradient_accumulation_steps`, Adagrad's `epsilon`, which
 * tfjs fixes at 1e-7) and a learning-rate schedule as Keras serializes it; AdamW and an Adadelta with
 * Keras' update, which tfjs lacks, as Keras writes them (snake_case settings, which is how an
 * Adadelta is told from tfjs' on loading). Undefined for an optimizer or a schedule of one's own,
 * and for a learning rate that is a function.
 */
function optimizerConfigOf(optimizer: Optimizer): { config: OptimizerConfig; tfjsReads: boolean } | undefined {
  const rate = optimizer instanceof ClippingOptimizer ? optimizer.learningRate : undefined;
  // a function cannot be written down, nor a schedule of one's own read back
  if (typeof rate === 'function' || (rate instanceof LearningRateSchedule && !isKerasSchedule(rate))) return undefined;
  if (optimizer instanceof AdamW) return { config: { class_name: 'AdamW', config: optimizer.getConfig() }, tfjsReads: false };
  if (optimizer instanceof Adadelta && !optimizer.tfjsUpdate) {
    return { config: { class_name: 'Adadelta', config: optimizer.getConfig() }, tfjsReads: false };
  }
  const tfjs = tfjsOptimizerConfig(optimizer);
  if (!tfjs) return undefined;
  const lacking = settingsTfjsLacks(optimizer);
  const config = { ...tfjs.config, ...lacking };
  if (rate instanceof LearningRateSchedule) config.learningRate = serializeSchedule(rate);
  return {
    config: { class_name: tfjs.class_name, config },
    tfjsReads: Object.keys(lacking).length === 0 && !(rate instanceof LearningRateSchedule),
  };
}

/** The optimizer as tfjs writes it (its class and camelCase settings); undefined for one of one's own. */
function tfjsOptimizerConfig(optimizer: Optimizer): OptimizerConfig | undefined {
  if (optimizer instanceof Adam) {
    const { learningRate, beta1, beta2, epsilon } = optimizer;
    return { class_name: 'Adam', config: { learningRate, beta1, beta2, epsilon } };
  }
  if (optimizer instanceof SGD) {
    const { learningRate, momentum, nesterov } = optimizer;
    return momentum === 0 && !nesterov
      ? { class_name: 'SGD', config: { learningRate } }
      : { class_name: 'Momentum', config: { learningRate, momentum, useNesterov: nesterov } };
  }
  if (optimizer instanceof RMSprop) {
    const { learningRate, rho, momentum, epsilon, centered } = optimizer;
    return { class_name: 'RMSProp', config: { learningRate, decay: rho, momentum, epsilon, centered } };
  }
  if (optimizer instanceof Adagrad) {
    const { learningRate, initialAccumulatorValue } = optimizer;
    return { class_name: 'Adagrad', config: { learningRate, initialAccumulatorValue } };
  }
  if (optimizer instanceof Adadelta) {
    const { learningRate, rho, epsilon } = optimizer;
    return { class_name: 'Adadelta', config: { learningRate, rho, epsilon } };
  }
  if (optimizer instanceof Adamax) {
    const { learningRate, beta1, beta2, epsilon, decay } = optimizer;
    return { class_name: 'Adamax', config: { learningRate, beta1, beta2, epsilon, decay } };
  }
  return undefined;
}

/** The ε tfjs' Adagrad always uses (its CPU backend's float32 epsilon). */
const TFJS_EPSILON = 1e-7;

/** The settings of a convlens optimizer that change its update and that tfjs' lacks, in Keras' names. */
function settingsTfjsLacks(optimizer: Optimizer): Record<string, number | boolean> {
  const lacking: Record<string, number | boolean> = {};
  if (optimizer instanceof ClippingOptimizer) {
    const { weightDecay, clipnorm, clipvalue, globalClipnorm } = optimizer;
    if (weightDecay) lacking.weight_decay = weightDecay;
    if (clipnorm !== undefined) lacking.clipnorm = clipnorm;
    if (clipvalue !== undefined) lacking.clipvalue = clipvalue;
    if (globalClipnorm !== undefined) lacking.global_clipnorm = globalClipnorm;
    Object.assign(lacking, optimizer.averagingConfig());
  }
  if (optimizer instanceof Adam && optimizer.amsgrad) lacking.amsgrad = true;
  if (optimizer instanceof Adagrad && optimizer.epsilon !== TFJS_EPSILON) lacking.epsilon = optimizer.epsilon;
  return lacking;
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
  const optimizer = optimizerFrom(String(optimizerConfig.class_name), optimizerConfig.config ?? {});
  if (typeof optimizer === 'string') return optimizer;
  const loss = perOutput(config.loss, savedLoss);
  if (loss === undefined) return `loss ${describeValue(config.loss)}`;
  // tfjs writes a model compiled without metrics as `metrics: {}`
  const noMetrics = typeof config.metrics !== 'string' && Object.keys(config.metrics ?? {}).length === 0;
  const metrics = noMetrics ? [] : perOutput(config.metrics, metricNames);
  if (metrics === undefined) return `metrics ${describeValue(config.metrics)}`;
  const settings: CompileSettings = { optimizer, loss, metrics };
  // Keras writes weighted_metrics: null when compile had none
  const weighted = config.weighted_metrics ?? undefined;
  if (weighted !== undefined && (typeof weighted === 'string' || Object.keys(weighted).length > 0)) {
    const weightedMetrics = perOutput(weighted, metricNames);
    if (weightedMetrics === undefined) return `weighted_metrics ${describeValue(weighted)}`;
    settings.weightedMetrics = weightedMetrics;
  }
  const lossWeights = config.loss_weights ?? undefined;
  if (lossWeights === undefined) return settings;
  if (perOutput(lossWeights, (w) => (typeof w === 'number' ? w : undefined)) === undefined) {
    return `loss_weights ${describeValue(lossWeights)}`;
  }
  return { ...settings, lossWeights };
}

/** A saved learning rate: a number, or a schedule as Keras serializes it; a string saying what is not supported otherwise. */
function learningRateOf(className: string, c: Record<string, unknown>): number | LearningRateSchedule | undefined | string {
  const rate = c.learningRate ?? c.learning_rate ?? c.lr;
  if (rate === undefined || rate === null || typeof rate === 'number') return rate ?? undefined;
  const schedule = scheduleFromConfig(rate);
  // a setting the schedule refuses is its own message; one convlens lacks is named with the optimizer
  return typeof schedule === 'string' && schedule.startsWith('the ') ? `${className} with ${schedule}` : schedule;
}

/**
 * The optimizer of a saved config, tfjs' (camelCase, its class names) or Keras' (snake_case), with
 * Keras' learning-rate schedules, weight decay, clipping, moving average, gradient accumulation and
 * Adam's `amsgrad`; a string saying what
 * is not supported otherwise.
 */
function optimizerFrom(className: string, c: Record<string, unknown>): Optimizer | string {
  const unsupported = unsupportedSetting(className, c);
  if (unsupported) return unsupported;
  const clip = clipSettingsOf(className, c);
  if (typeof clip === 'string') return clip;
  const learningRate = learningRateOf(className, c);
  if (typeof learningRate === 'string') return learningRate;
  const weightDecay = c.weight_decay ?? c.weightDecay;
  if (weightDecay !== undefined && weightDecay !== null && typeof weightDecay !== 'number') {
    return `${className} with weight_decay ${describeValue(weightDecay)}`;
  }
  const averaging = averagingSettingsOf(className, c);
  if (typeof averaging === 'string') return averaging;
  const shared = { learningRate, ...clip, ...averaging, ...(typeof weightDecay === 'number' ? { weightDecay } : {}) };
  const [beta1, beta2, epsilon] = [numberOf(c, 'beta1', 'beta_1'), numberOf(c, 'beta2', 'beta_2'), numberOf(c, 'epsilon')];
  try {
    switch (className) {
      case 'Adam':
        return new Adam({ beta1, beta2, epsilon, amsgrad: c.amsgrad === true, ...shared });
      case 'AdamW':
        return new AdamW({ beta1, beta2, epsilon, amsgrad: c.amsgrad === true, ...shared });
      case 'SGD':
      case 'Momentum': {
        const nesterov = c.useNesterov === true || c.nesterov === true;
        return new SGD({ momentum: numberOf(c, 'momentum'), nesterov, ...shared });
      }
      case 'RMSProp': // tfjs' name, whose `decay` is Keras' rho
      case 'RMSprop': {
        // Keras', whose `decay` (tf.keras 2) is a learning-rate decay
        const rho = className === 'RMSProp' ? numberOf(c, 'decay') : numberOf(c, 'rho');
        return new RMSprop({ rho, momentum: numberOf(c, 'momentum'), epsilon, centered: c.centered === true, ...shared });
      }
      case 'Adagrad': {
        const initialAccumulatorValue = numberOf(c, 'initialAccumulatorValue', 'initial_accumulator_value');
        return new Adagrad({ initialAccumulatorValue, epsilon, ...shared });
      }
      case 'Adadelta':
        // tfjs writes `learningRate`, Keras `learning_rate`: each trained by its own update
        return new Adadelta({ rho: numberOf(c, 'rho'), epsilon, tfjsUpdate: 'learningRate' in c, ...shared });
      case 'Adamax':
        // tfjs' `decay` and tf.keras 2's are the same learning-rate decay
        return new Adamax({ beta1, beta2, epsilon, decay: numberOf(c, 'decay'), ...shared });
      default:
        return `optimizer ${describeValue(className)}`;
    }
  } catch (error) {
    if (error instanceof ConvlensError) return error.message;
    throw error;
  }
}

/** Keras' clip settings, in Keras' names: a bound it applies (a number > 0), or off (None, False, 0 or less, as Keras takes them). */
function clipSettingsOf(className: string, c: Record<string, unknown>): ClipOptions | string {
  const clip: ClipOptions = {};
  for (const [key, option] of [
    ['clipnorm', 'clipnorm'],
    ['clipvalue', 'clipvalue'],
    ['global_clipnorm', 'globalClipnorm'],
  ] as const) {
    const value = c[key];
    if (typeof value === 'number' && value > 0) clip[option] = value;
    else if (value !== undefined && value !== null && value !== false && typeof value !== 'number') {
      return `${className} with ${key} ${describeValue(value)}`;
    }
  }
  return clip;
}

/** What of a saved optimizer config convlens would not apply (trained on without it, the model would learn otherwise), if anything. */
function unsupportedSetting(className: string, config: Record<string, unknown>): string | undefined {
  // tf.keras 2's learning-rate decay, which convlens has for Adamax only, as tfjs (tfjs' RMSProp `decay` is Keras' rho)
  if (className === 'RMSProp' || className === 'Adamax') return undefined;
  const decay = config.decay;
  return decay === undefined || decay === null || decay === false || decay === 0
    ? undefined
    : `${className} with decay ${describeValue(decay)}`;
}

/**
 * Keras 3's moving-average and gradient-accumulation settings, which Keras writes in every config
 * (unused as None or False); a string saying what is not supported otherwise. Keras reads the
 * moving average's settings only with `use_ema`, and an `ema_overwrite_frequency` or
 * `gradient_accumulation_steps` of 0 as None.
 */
function averagingSettingsOf(className: string, c: Record<string, unknown>): OptimizerOptions | string {
  const useEma = c.use_ema ?? false;
  if (typeof useEma !== 'boolean') return `${className} with use_ema ${describeValue(useEma)}`;
  const steps = c.gradient_accumulation_steps || undefined;
  const settings: OptimizerOptions = steps === undefined ? {} : { gradientAccumulationSteps: steps as number };
  if (!useEma) return settings;
  const frequency = c.ema_overwrite_frequency || undefined;
  return {
    ...settings,
    useEma,
    ...(c.ema_momentum === undefined ? {} : { emaMomentum: c.ema_momentum as number }),
    ...(frequency === undefined ? {} : { emaOverwriteFrequency: frequency as number }),
  };
}

/**
 * A saved setting read with `read`: one for every output, or per output (a list or an object
 * keyed by output name); undefined if any part is unreadable.
 */
function perOutput<T>(raw: unknown, read: (value: unknown) => T | undefined): T | T[] | Record<string, T> | undefined {
  const one = read(raw);
  if (one !== undefined) return one;
  if (Array.isArray(raw)) {
    const list = raw.map(read);
    return list.every((v) => v !== undefined) ? (list as T[]) : undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const entries = Object.entries(raw).map(([key, value]) => [key, read(value)] as const);
  return entries.every(([, v]) => v !== undefined) ? (Object.fromEntries(entries) as Record<string, T>) : undefined;
}

/** A Keras loss's settings at the values that compute what convlens' losses compute (the mean over examples, every class). */
const NEUTRAL_LOSS_SETTINGS: Record<string, readonly unknown[]> = {
  reduction: [undefined, 'auto', 'sum_over_batch_size'],
  axis: [undefined, null, -1],
  ignore_class: [undefined, null],
};

/**
 * A loss as Keras saves it: its name, or (Keras 3 and tf.keras) a serialized object `{ class_name,
 * config: { from_logits, label_smoothing } }` (compile checks the smoothing); undefined for settings
 * that would change it (another reduction or axis, an ignored class), which convlens lacks.
 */
function savedLoss(raw: unknown): OneLoss | undefined {
  if (typeof raw === 'string') return raw;
  const object = raw as { class_name?: unknown; config?: Record<string, unknown> } | null;
  if (typeof object?.class_name !== 'string') return undefined;
  const config = object.config ?? {};
  if (Object.entries(NEUTRAL_LOSS_SETTINGS).some(([key, neutral]) => !neutral.includes(config[key]))) return undefined;
  const smoothing = config.label_smoothing ?? 0;
  return {
    name: object.class_name,
    fromLogits: config.from_logits === true,
    ...(smoothing === 0 ? {} : { labelSmoothing: smoothing as number }),
  };
}

/** Metric names compile takes: a list of them, or one alone. */
function metricNames(raw: unknown): string[] | undefined {
  const list = typeof raw === 'string' ? [raw] : raw;
  return Array.isArray(list) && list.every(isMetricName) ? list : undefined;
}
