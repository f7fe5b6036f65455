import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { cast } from '../ops/cast.js';
import { toFloatHint } from '../ops/convert.js';
import { globalRandom } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkLabels, LOSSES, type LossName, type LossSettings, type LossSpec, lossSettings } from '../train/losses.js';
import type { KerasMetric } from '../train/metric_specs.js';
import {
  checkMetricLabels,
  type Metric,
  metricSum,
  metricsArg,
  rowWeightSum,
  savedMetricName,
  tfjsMetricName,
  weightedMetricNames,
} from '../train/metrics.js';
import { getOptimizer, type Optimizer } from '../train/optimizers.js';
import type { Callbacks, History, HistoryParams, Logs, TrainingModel } from './callbacks.js';
import type { DatasetEpochSteps, DatasetTrainer, Evaluation } from './dataset_training.js';
import { ARRAY_KEYS, type BatchKeys, checkBatchExamples } from './datasets.js';
import { type KerasScores, withKerasScores } from './evaluate_result.js';
import { epochLogger, progressLine, type StepCount } from './fit_progress.js';
import { type Layer, type Weight, Workspace } from './layer.js';
import {
  type ClassWeightArg,
  classRowWeights,
  classWeightTable,
  exampleRowWeights,
  oneSampleWeight,
  rowShapeOf,
  trainedOutputShape,
} from './loss_weights.js';
import { batchSizeArg, checkTensorArg, gather, inWorkspace, range, verboseArg } from './model_common.js';
import { type SavedTrainingConfig, trainingConfigOf } from './training_config.js';
import { addPenaltyGradients, applyConstraints, weightPenalty } from './weight_settings.js';

// compile, fit and evaluate for every model kind: the model gives its forward and backward passes
// (ModelPasses), and this loop does the rest, as Keras' Model.fit does for Sequential and Functional alike.

export interface CompileArgs {
  /** `'adam'`, `'adamw'`, `'sgd'`, `'rmsprop'`, `'adagrad'`, `'adadelta'`, `'adamax'` or an optimizer object; Keras' default is `'rmsprop'`. */
  optimizer?: string | Optimizer;
  /**
   * Keras' name of the loss, or `{ name, fromLogits, labelSmoothing }` (what `losses.*` make):
   * `fromLogits` for a model whose last layer gives logits (a linear layer), so the loss applies
   * the softmax or sigmoid itself, as Keras' `SparseCategoricalCrossentropy(from_logits=True)`;
   * `labelSmoothing` as Keras' `label_smoothing` of the categorical and binary cross-entropies.
   */
  loss: string | LossSpec;
  /** `['accuracy']`, or the one name alone (as tfjs accepts). */
  metrics?: string | (string | KerasMetric)[];
  /**
   * Keras' weighted_metrics: metrics weighted by fit's sampleWeight or classWeight (and evaluate's
   * and the validation data's sampleWeight), Σ w·metric / Σ w; logged by their names, or as
   * `weighted_<name>` where `metrics` has the name too.
   */
  weightedMetrics?: string | (string | KerasMetric)[];
}

/** evaluate's options for arrays. */
export interface EvaluateOptions {
  /** Keras' default is 32. */
  batchSize?: number;
  verbose?: 0 | 1 | 2;
  /** Keras' sample_weight: one weight per example of x, for the loss and compile's weightedMetrics. */
  sampleWeight?: Tensor;
}

/** evaluate's result: the loss, the accuracy (by the rule Keras picks for the loss), and compile's metrics (and weighted metrics) by their keys. */
export type EvaluateResult = { loss: number; accuracy: number } & Logs & KerasScores;

/** evaluate's accuracy, whatever compile's metrics: Keras' plain 'accuracy'. */
const ACCURACY: Metric = { key: 'accuracy', kind: 'accuracy' };

export interface FitArgs {
  epochs?: number;
  /** Keras' default is 32. */
  batchSize?: number;
  shuffle?: boolean;
  /** Fraction of the data, taken from the end before shuffling (as Keras does), held out for validation. */
  validationSplit?: number;
  /** `[x, y]`, or Keras' `[x, y, sampleWeight]` to weigh the validation loss. */
  validationData?: [Tensor, Tensor] | [Tensor, Tensor, Tensor];
  /**
   * Keras' and tfjs' class_weight: each class's weight in the loss, `{ 0: 1, 1: 5 }` (a class left
   * out weighs 1, as in Keras 3); the class of a label as Keras reads it (one-hot: its largest).
   * tfjs' `[{ 0: 1, 1: 5 }]` and `{ [outputName]: { 0: 1, 1: 5 } }` are read too, and give a
   * model of several outputs (a Functional one) its class weights per output.
   */
  classWeight?: ClassWeightArg;
  /** Keras' sample_weight: one weight per example of x (its loss times it, and compile's weightedMetrics; the metrics unweighted). */
  sampleWeight?: Tensor;
  /** An object of hooks, or a list of them (as tfjs and Keras take), called in order. */
  callbacks?: Callbacks | Callbacks[];
  /** 0 (the default) prints nothing; 1 draws Keras' progress bar on a terminal; 2 (or 1 elsewhere) prints a line per epoch, as Keras' `verbose=2` does. */
  verbose?: 0 | 1 | 2;
  /**
   * Keras' initial_epoch and tfjs' initialEpoch: the epoch to start from (from 0), to resume a
   * run; `epochs` is then the index to stop at, not a count (epochs 3 from 1 trains epochs 1 and 2).
   */
  initialEpoch?: number;
  /**
   * Keras' validation_freq: validate every this many epochs (3: after epochs 3, 6...), or after
   * the epochs listed, counted from 1 (`[1, 5, 10]`); by default every epoch.
   */
  validationFreq?: number | number[];
  /** The examples evaluated at a time for validation (Keras' validation_batch_size); by default batchSize. */
  validationBatchSize?: number;
  /**
   * tfjs' yieldEvery: when fit lets other tasks run (timers, I/O, a page's events, and the signal
   * handlers that stop training). 'auto' and 'batch' (the default): after every batch; 'epoch':
   * after every epoch; a number: after the batch that ends at least that many milliseconds since
   * the last; 'never': not until fit returns.
   */
  yieldEvery?: YieldEvery;
}

export type YieldEvery = 'auto' | 'batch' | 'epoch' | 'never' | number;

export const FIT_KEYS = [
  'epochs',
  'batchSize',
  'shuffle',
  'validationSplit',
  'validationData',
  'classWeight',
  'sampleWeight',
  'callbacks',
  'verbose',
  'initialEpoch',
  'validationFreq',
  'validationBatchSize',
  'yieldEvery',
];
const CALLBACK_KEYS = [
  'setModel',
  'onTrainBegin',
  'onEpochBegin',
  'onBatchBegin',
  'onBatchEnd',
  'onEpochEnd',
  'onTrainEnd',
  'onGradientsOverflow',
];

interface Compiled extends LossSettings {
  optimizer: Optimizer;
  /** compile's metrics, keyed in logs and history as it named them (`accuracy`, `acc`, `mse`...). */
  metrics: Metric[];
  /** compile's weightedMetrics, and their keys in logs and history (Keras': see weightedMetricNames). */
  weightedMetrics: Metric[];
  weightedKeys: string[];
  /** Whether the warning of a fromLogits loss after a softmax/sigmoid was given. */
  warnedLogits?: boolean;
}

/** Checks one object of fit's hooks: known names, each a function (a misspelt hook would never run). */
function checkCallbacks(where: string, callbacks: unknown): asserts callbacks is Callbacks {
  // an object of a class (EarlyStopping) has settings of its own beside its hooks
  const instance = typeof callbacks === 'object' && callbacks !== null && Object.getPrototypeOf(callbacks) !== Object.prototype;
  if (!instance) checkOptions(where, callbacks, CALLBACK_KEYS);
  for (const key of CALLBACK_KEYS) {
    const value = (callbacks as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'function') {
      throw new ConvlensError(`${where}: ${key} must be a function, got ${describeValue(value)}`);
    }
  }
}

/** fit's callbacks, one object or a list, checked and made into one object that calls each in turn. */
export function callbackHooks(callbacks: unknown): Callbacks {
  if (!Array.isArray(callbacks)) {
    checkCallbacks('fit (callbacks)', callbacks);
    return callbacks;
  }
  for (const [i, c] of callbacks.entries()) checkCallbacks(`fit (callbacks[${i}])`, c);
  const list = callbacks as Callbacks[];
  return {
    setModel: (model) => {
      for (const c of list) c.setModel?.(model);
    },
    onTrainBegin: async () => {
      for (const c of list) await c.onTrainBegin?.();
    },
    onEpochBegin: async (epoch) => {
      for (const c of list) await c.onEpochBegin?.(epoch);
    },
    onBatchBegin: async (batch) => {
      for (const c of list) await c.onBatchBegin?.(batch);
    },
    onBatchEnd: async (batch, logs) => {
      for (const c of list) await c.onBatchEnd?.(batch, logs);
    },
    onEpochEnd: async (epoch, logs) => {
      for (const c of list) await c.onEpochEnd?.(epoch, logs);
    },
    onTrainEnd: async (history) => {
      for (const c of list) await c.onTrainEnd?.(history);
    },
    onGradientsOverflow: async (batch) => {
      for (const c of list) await c.onGradientsOverflow?.(batch);
    },
  };
}

/**
 * Resolves after other tasks have had their turn: Node's setImmediate, or a message to itself in
 * a browser (setTimeout would wait at least 4 ms once nested).
 */
export function nextTask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * A fit argument only trainOnBatch gives (a symbol: no user's options object has it): one step,
 * without fit's last change to the weights (finalizeVariableValues), as Keras' train_on_batch.
 */
export const ONE_STEP = Symbol('trainOnBatch');

/** What runEpochs needs of fit's options, for arrays or a dataset. */
export interface EpochSettings {
  /** The epoch to stop before (from 0), and the one to start from. */
  epochs: number;
  initialEpoch: number;
  /** Whether the epoch (from 0) ends with validation. */
  validates: (epoch: number) => boolean;
  /** Whether fit ends with the optimizer's last change to the weights (not for trainOnBatch's step). */
  finalize: boolean;
  /** The batches in an epoch, for `verbose`'s progress bar, when known before the first epoch. */
  epochSteps: StepCount;
  /** fit's callbacks, with the epoch logger first when `verbose`. */
  callbacks: Callbacks;
  /** fit's classWeight as given (the model kind checks it against its output). */
  classWeight?: unknown;
  /** fit's verbose level, as History's params record it. */
  verbose: 0 | 1 | 2;
  /** Whether fit lets other tasks run now: after a batch (`epochEnd` false) or an epoch. */
  yieldsAfter: (epochEnd: boolean) => boolean;
}

/** fit's options checked: what every model kind's epochs run with. */
export interface FitSettings extends EpochSettings {
  shuffle: boolean;
  batchSize: number;
  /** The fraction of the examples held out for validation, from the end (0 for none). */
  validationSplit: number;
  validationBatchSize: number;
}

/** Checks fit's epochs, initialEpoch, validationFreq, callbacks and verbose. */
export function epochSettings(
  args: Pick<FitArgs, 'epochs' | 'initialEpoch' | 'validationFreq' | 'callbacks' | 'verbose' | 'classWeight' | 'yieldEvery'>,
): EpochSettings {
  const { epochs = 1, initialEpoch = 0, callbacks: given = {}, verbose, classWeight } = args;
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new ConvlensError(`fit: epochs must be a non-negative integer, got ${describeValue(epochs)}`);
  }
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) {
    throw new ConvlensError(`fit: initialEpoch must be a non-negative integer (an epoch index from 0), got ${describeValue(initialEpoch)}`);
  }
  const validates = validationFreqArg(args.validationFreq);
  const userCallbacks = callbackHooks(given);
  const level = verboseArg('fit', verbose);
  const epochSteps: StepCount = {};
  const callbacks = level ? callbackHooks([epochLogger(epochs, level, epochSteps), userCallbacks]) : userCallbacks;
  const finalize = !(args as { [ONE_STEP]?: boolean })[ONE_STEP];
  const yieldsAfter = yieldRule(args.yieldEvery);
  return { epochs, initialEpoch, validates, finalize, epochSteps, callbacks, classWeight, verbose: level, yieldsAfter };
}

/** fit's yieldEvery checked, as when fit yields: after a batch or at an epoch's end (see FitArgs.yieldEvery). */
function yieldRule(value: unknown): (epochEnd: boolean) => boolean {
  if (value === undefined || value === 'auto' || value === 'batch') return () => true;
  if (value === 'epoch') return (epochEnd) => epochEnd;
  if (value === 'never') return () => false;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    let last = performance.now();
    return () => {
      if (performance.now() - last < value) return false;
      last = performance.now();
      return true;
    };
  }
  throw new ConvlensError(
    `fit: yieldEvery must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds (0 or more), got ${describeValue(value)}`,
  );
}

/** validationFreq checked, as whether an epoch (from 0) is validated: Keras' _should_eval. */
function validationFreqArg(freq: unknown): (epoch: number) => boolean {
  if (freq === undefined) return () => true;
  if (typeof freq === 'number' && Number.isInteger(freq) && freq >= 1) return (epoch) => (epoch + 1) % freq === 0;
  if (Array.isArray(freq) && freq.every((e) => Number.isInteger(e) && e >= 1)) return (epoch) => freq.includes(epoch + 1);
  throw new ConvlensError(
    `fit: validationFreq must be a positive integer (validate every that many epochs) or a list of epochs counted from 1, got ${describeValue(freq)}`,
  );
}

/** Checks fit's options (but validationData, which each model kind reads its own way). */
export function fitSettings(args: unknown): FitSettings {
  checkOptions('fit', args, FIT_KEYS);
  const { shuffle = true, validationSplit = 0, batchSize: size } = args as FitArgs;
  if (typeof shuffle !== 'boolean') throw new ConvlensError(`fit: shuffle must be true or false, got ${describeValue(shuffle)}`);
  const batchSize = batchSizeArg('fit', size);
  if (!(typeof validationSplit === 'number' && validationSplit >= 0 && validationSplit < 1)) {
    throw new ConvlensError(`fit: validationSplit must be in [0, 1), got ${describeValue(validationSplit)}`);
  }
  const { validationBatchSize = batchSize } = args as FitArgs;
  if (!Number.isInteger(validationBatchSize) || validationBatchSize < 1) {
    throw new ConvlensError(`fit: validationBatchSize must be a positive integer, got ${describeValue(validationBatchSize)}`);
  }
  return { ...epochSettings(args as FitArgs), shuffle, batchSize, validationSplit, validationBatchSize };
}

/**
 * The arrays (all with the same examples) split as Keras' validationSplit does: the last `split`
 * of the examples held out, before shuffling.
 */
export function splitOff(arrays: readonly Tensor[], split: number): { train: Tensor[]; validation: Tensor[] } {
  const n = arrays[0].shape[0];
  const cut = Math.floor(n * (1 - split));
  return { train: arrays.map((t) => gather(t, range(0, cut))), validation: arrays.map((t) => gather(t, range(cut, n))) };
}

/** The error for a fit with nothing to train on: an empty x, or a validationSplit that holds out every example (Keras refuses both). */
export function noTrainingExamples(x: Tensor, validationSplit: number | undefined): ConvlensError {
  const n = x.shape[0];
  if (n === 0 || validationSplit === undefined) return new ConvlensError(`fit: no training examples (x has shape ${formatShape(x.shape)})`);
  return new ConvlensError(
    `fit: no training examples: validationSplit ${validationSplit} holds out all ${n} of x's examples (expected a split that leaves at least one: more data or a smaller validationSplit)`,
  );
}

/** A fit's data: each epoch's batches (of arrays or a dataset), and the validation data's logs. */
export interface EpochData<Batch> {
  /** The epoch's batches, asked for after onEpochBegin. */
  batches(): Iterable<Batch> | AsyncIterable<Batch>;
  /** Whether another epoch has batches, asked before it begins (a dataset read on across epochs can run out); by default it has. */
  more?(): Promise<boolean>;
  /** The validation data's logs (keys without `val_`), when there is validation data. */
  validation?: () => Logs | Promise<Logs>;
}

/** A model kind's part of fit's epochs: the weights it trains, one batch's gradients, and the epoch's sums and logs. */
export interface EpochSteps<Batch, Sums> {
  optimizer: Optimizer;
  /**
   * The trainable weights, stepped by the optimizer, then projected by their constraints: asked
   * after each batch's gradients, as a model built by its first batch (a dataset's) has none before.
   */
  variables(): readonly Weight[];
  /** Sums for an epoch, cleared. */
  newSums(): Sums;
  /**
   * Fills the variables' gradients for one batch and adds it to `sums`; returns its number of
   * examples. `place` is for its errors.
   */
  gradients(batch: Batch, place: BatchPlace, sums: Sums): number;
  /** The epoch's logs from its sums, over `seen` examples. */
  logs(sums: Sums, seen: number): Logs;
}

/** The batches of an epoch over arrays of `examples` examples: indices, shuffled by the global generator when `shuffle`. */
export function* indexBatches(examples: number, { shuffle, batchSize }: FitSettings): Generator<Int32Array> {
  const order = range(0, examples);
  if (shuffle) globalRandom().shuffle(order);
  for (let start = 0; start < order.length; start += batchSize) yield order.subarray(start, Math.min(order.length, start + batchSize));
}

/** Where a batch is in fit, for its errors: epoch and batch from 0. */
export interface BatchPlace {
  epoch: number;
  batch: number;
}

export const placeName = ({ epoch, batch }: BatchPlace) => `epoch ${epoch + 1}, batch ${batch + 1}`;
const placeText = (place: BatchPlace) => `at ${placeName(place)}`;

/** fit's error for a batch whose loss is NaN or infinite; runEpochs lets callbacks (terminateOnNaN) end training instead. */
export class LossDiverged extends ConvlensError {
  constructor(
    readonly loss: number,
    place: BatchPlace,
  ) {
    super(`fit: the loss became ${loss} ${placeText(place)} (try a lower learning rate or check the data for NaN)`);
  }
}

/** Throws if a batch's loss diverged: a float32 loss, as TensorFlow's (one beyond 3.4e38 has already diverged). */
export function checkLoss(loss: number, place: BatchPlace): void {
  if (!Number.isFinite(Math.fround(loss))) throw new LossDiverged(Math.fround(loss), place);
}

/** Whether every gradient is finite: checked before the optimizer's step, which an overflowed one would spoil. */
function gradientsFinite(variables: readonly { grad: ArrayLike<number> }[]): boolean {
  return variables.every((v) => firstNonFinite(v.grad) < 0);
}

/** fit's error for a batch whose gradients overflowed (its loss finite), when no callback (terminateOnNaN) ended training instead. */
function gradientsOverflowed(place: BatchPlace): ConvlensError {
  return new ConvlensError(
    `fit: the gradients overflowed ${placeText(place)}; the weights are left as they were before this batch (try a lower learning rate)`,
  );
}

/** Why a dataset that gave batches in the first epoch gives none in a later one, most likely. */
const USED_UP =
  " (each epoch is a new iteration of the dataset, and an async generator's object is used up after one: give an object whose [Symbol.asyncIterator]() starts a new one, or batchesPerEpoch to read one iteration across the epochs)";

/**
 * fit's epochs, as Keras runs them for every model kind and for arrays or a dataset: `data`'s
 * batches, each one's gradients (`steps`) checked and stepped by the optimizer, callbacks,
 * `stopTraining`, validation at each epoch's end, the optimizer's last change to the weights
 * (finalizeVariableValues) and the history.
 */
export async function runEpochs<Batch, Sums>(
  model: TrainingModel,
  settings: EpochSettings,
  data: EpochData<Batch>,
  steps: EpochSteps<Batch, Sums>,
): Promise<History> {
  const { epochs, initialEpoch, callbacks, epochSteps } = settings;
  const params: HistoryParams = {
    epochs,
    initialEpoch,
    steps: epochSteps.steps ?? null,
    samples: epochSteps.samples ?? null,
    batchSize: epochSteps.batchSize ?? null,
    verbose: settings.verbose,
    doValidation: data.validation !== undefined,
    metrics: [],
  };
  // named before training, as tfjs does: the logs' keys (of sums of no batch yet), and their val_ forms when validating
  const names = Object.keys(steps.logs(steps.newSums(), 0));
  params.metrics = params.doValidation ? [...names, ...names.map((key) => `val_${key}`)] : names;
  const history: History = { epoch: [], history: {}, params };
  model.stopTraining = false;
  callbacks.setModel?.(model);
  await callbacks.onTrainBegin?.();
  for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    if (epoch > initialEpoch && data.more && !(await data.more())) break;
    await callbacks.onEpochBegin?.(epoch);
    const batches = data.batches();
    const sums = steps.newSums();
    let seen = 0;
    let batch = 0;
    let diverged = false;
    for await (const given of batches) {
      const place = { epoch, batch };
      await callbacks.onBatchBegin?.(batch);
      try {
        seen += steps.gradients(given, place, sums);
      } catch (error) {
        if (!(error instanceof LossDiverged)) throw error;
        // the batch is reported with its loss, without its step: a callback (terminateOnNaN) may end training instead of the error
        await callbacks.onBatchEnd?.(batch, { ...steps.logs(sums, seen), loss: error.loss });
        if (!model.stopTraining) throw error;
        diverged = true;
        break;
      }
      const variables = steps.variables();
      if (!gradientsFinite(variables)) {
        // no step: a callback (terminateOnNaN) may end training here instead of the error, as for a NaN loss
        await callbacks.onGradientsOverflow?.(batch);
        if (!model.stopTraining) throw gradientsOverflowed(place);
        diverged = true;
        break;
      }
      steps.optimizer.step(variables);
      applyConstraints(variables);
      await callbacks.onBatchEnd?.(batch, steps.logs(sums, seen));
      // timers, I/O and signal handlers run between batches (so can stopTraining)
      if (settings.yieldsAfter(false)) await nextTask();
      if (model.stopTraining) break;
      batch++;
    }
    if (diverged) break; // that epoch has no loss to log
    // a mean over no examples would be NaN: only a dataset can be empty (arrays are checked before)
    if (seen === 0)
      throw new ConvlensError(`fit: the dataset gave no examples in epoch ${epoch + 1}${epoch > initialEpoch ? USED_UP : ''}`);
    const logs = steps.logs(sums, seen);
    if (data.validation && settings.validates(epoch))
      for (const [key, value] of Object.entries(await data.validation())) logs[`val_${key}`] = value;
    await callbacks.onEpochEnd?.(epoch, logs);
    // after the callbacks, as Keras' History: what they add (learning_rate) is recorded too
    history.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) history.history[key] = [...(history.history[key] ?? []), value];
    if (model.stopTraining) break;
    if (settings.yieldsAfter(true)) await nextTask();
  }
  // Keras' fit does this before on_train_end: with useEma, the weights become their moving averages
  if (epochs > initialEpoch && settings.finalize) steps.optimizer.finalizeVariableValues?.(steps.variables());
  await callbacks.onTrainEnd?.(history);
  return history;
}

/** What the training loop needs of a model: its layers and its forward and backward passes. */
export interface ModelPasses {
  /** The model, as callbacks get it (`stopTraining` is read after every batch), and its name for messages. */
  readonly model: TrainingModel & { readonly name: string };
  /** Every layer, each once (their trainable weights updated; a nested model's layers compute in the workspace too). */
  layers(): readonly Layer[];
  /** The layer whose output is the model's (in a nested model, at any depth): its activation and logits feed the loss. */
  outputLayer(): Layer | undefined;
  /** The output's name, as sampleWeight may key its weights by (by default, the output layer's). */
  outputName?(): string;
  /** Builds the layers for inputs of `batchShape` (the batch axis first); throws naming `op` if there are none. */
  ensureBuilt(op: string, batchShape: readonly number[]): void;
  /** Checks all of `x` against the model's input; `op` prefixes the message when given. */
  checkInputData(x: Tensor, op?: string): void;
  /** Whether the model's input goes first into a layer that casts integers (Keras' Rescaling and augmentation layers): it then takes uint8 pixels. */
  takesIntegerInput?(): boolean;
  /**
   * A dataset batch's inputs and labels (given under `keys`) as the one input's and output's
   * arrays; a Functional model takes them in a list of one or keyed by name too. Without it, they
   * are taken as given.
   */
  oneArrays?(op: string, x: unknown, y: unknown, keys: BatchKeys): [unknown, unknown];
  forward(x: Tensor, training: boolean): Tensor<'float32'>;
  /**
   * Fills the weights' gradients from the loss's gradient with respect to the output (of the
   * output layer's shape, the batch first), taken through its softmax/sigmoid already when
   * `preActivation`.
   */
  backward(dy: Tensor<'float32'>, preActivation: boolean): void;
}

type LossMode = { fused: boolean; fromLogits: boolean };

/**
 * How a pass (a fit, an evaluation) computes each batch's loss: its mode, the trainable weights
 * whose penalties it adds, and fit's class weights (a weight for each class index), if any.
 */
interface LossPass extends LossMode {
  penalized: readonly Weight[];
  classTable?: Float64Array;
}

/** A model's compile settings and its fit and evaluate, over the passes it gives (on a dataset, through dataset_training.ts). */
export class ModelTraining implements DatasetTrainer<OneBatch, EvaluateResult> {
  private compiled: Compiled | undefined;
  /** The buffers every batch of fit and evaluate computes in, reused from batch to batch (predict has its own, an InferenceWorkspace). */
  readonly workspace = new Workspace();
  private fitting = false;

  constructor(private readonly passes: ModelPasses) {}

  compile(args: CompileArgs): void {
    this.checkNotFitting('compile');
    checkOptions('compile', args, ['optimizer', 'loss', 'metrics', 'weightedMetrics']);
    const metrics = metricsArg(args.metrics);
    const weightedMetrics = metricsArg(args.weightedMetrics, 'weightedMetrics');
    const [weightedKeys] = weightedMetricNames(
      metrics.map((m) => m.key),
      [{ prefix: '', metrics: weightedMetrics }],
    );
    const optimizer = getOptimizer(args.optimizer === undefined ? 'rmsprop' : args.optimizer);
    this.compiled = { optimizer, ...lossArg(args.loss), metrics, weightedMetrics, weightedKeys };
  }

  /** The optimizer compile gave, if compiled. */
  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  /** compile's settings as a saved model carries them, and whether tfjs-layers can read them (undefined before compile). */
  trainingConfig(): SavedTrainingConfig | undefined {
    if (!this.compiled) return undefined;
    const { optimizer, loss, fromLogits, labelSmoothing, metrics, weightedMetrics } = this.compiled;
    const tfjsNames = metrics.map((metric) => tfjsMetricName(metric, loss));
    // a metric tfjs lacks would make the model fail to load there: then all are saved as compile
    // named them, where tfjs does not read them
    const tfjsLacks = tfjsNames.includes(undefined);
    const names = tfjsLacks ? metrics.map(savedMetricName) : (tfjsNames as string[]);
    const weighted = weightedMetrics.map(savedMetricName);
    const saved = trainingConfigOf({ optimizer, loss, fromLogits, labelSmoothing, metrics: names, weightedMetrics: weighted });
    return saved && tfjsLacks ? { ...saved, tfjsReads: false } : saved;
  }

  /** A model that is training keeps its layers, loss and optimizer until fit returns. */
  checkNotFitting(op: string): void {
    if (this.fitting) throw new ConvlensError(`${op}: this model is training (await the running fit first)`);
  }

  get modelName(): string {
    return this.passes.model.name;
  }

  requireCompiled(op: string): Compiled {
    if (!this.compiled) throw new ConvlensError(`${op}: compile the model first (model.compile({ optimizer, loss }))`);
    return this.compiled;
  }

  private outputLayer(): Layer {
    return this.passes.outputLayer()!;
  }

  /**
   * Softmax + cross-entropy (and sigmoid + binary cross-entropy) are computed together from the
   * last layer's logits, as Keras does: stable for confident predictions, and a simpler gradient.
   */
  private fusedActivation(loss: LossName): boolean {
    const activation = this.lastActivation();
    if (activation === 'softmax') return loss === 'categoricalCrossentropy' || loss === 'sparseCategoricalCrossentropy';
    return activation === 'sigmoid' && loss === 'binaryCrossentropy';
  }

  private lastActivation(): string | undefined {
    return this.passes.outputLayer()?.activation;
  }

  /**
   * How the loss reads the model's outputs, checked once per fit or evaluate, before any work: from
   * the last layer's logits when it applies the loss's softmax/sigmoid (`fused`), or from outputs
   * that are logits (`fromLogits`). A `fromLogits` loss after its own softmax/sigmoid is what Keras
   * warns of and then computes from the logits; after the other one, it is refused.
   */
  private lossMode(op: string): LossMode {
    const compiled = this.requireCompiled(op);
    const fused = this.fusedActivation(compiled.loss);
    const activation = this.lastActivation();
    if (!compiled.fromLogits) return { fused, fromLogits: false };
    if (fused) {
      if (!compiled.warnedLogits) {
        compiled.warnedLogits = true;
        console.warn(
          `convlens: ${compiled.loss} was compiled with fromLogits, but the last layer applies ${activation} and so gives probabilities; the loss uses its logits, as Keras does`,
        );
      }
      return { fused, fromLogits: false };
    }
    if (activation === 'softmax' || activation === 'sigmoid') {
      throw new ConvlensError(
        `${op}: ${compiled.loss} takes logits (fromLogits), but the last layer applies ${activation}: make it linear, or compile without fromLogits`,
      );
    }
    return { fused, fromLogits: true };
  }

  /**
   * A pass's loss settings (see lossMode), the trainable weights whose penalties its loss adds,
   * and fit's class weights checked against the output (`classWeight`, fit's as given).
   */
  private lossPass(op: string, classWeight?: unknown): LossPass {
    const penalized = this.passes
      .layers()
      .flatMap((l) => l.trainableWeights)
      .filter((w) => w.regularizer);
    if (classWeight === undefined || classWeight === null) return { ...this.lossMode(op), penalized };
    const output = this.outputLayer();
    const classes = trainedOutputShape(op, output.name, output.outputShape!).at(-1) ?? 1;
    return { ...this.lossMode(op), penalized, classTable: classWeightTable(classWeight, classes, output.name) };
  }

  /**
   * lossPass, taken at the first batch, once a dataset's first batch has built the model (before,
   * it has no weights to penalize, nor an output whose classes classWeight is checked against).
   */
  private builtPass(op: string, classWeight?: unknown): () => LossPass {
    let pass: LossPass | undefined;
    return () => {
      pass ??= this.lossPass(op, classWeight);
      return pass;
    };
  }

  /**
   * Loss, gradient and metric sums for one batch (evaluate's accuracy first, then compile's
   * metrics, then its weighted metrics and their weights' sum); runs the forward pass in training
   * mode when asked. The loss and the weighted metrics are weighted by the pass's class weights or
   * the examples' `weights` (the other metrics are not, as in Keras); the loss has the weights'
   * and outputs' penalties added, as Keras' logged loss has.
   */
  private lossOf(x: Tensor, y: Tensor, training: boolean, pass: LossPass, weights?: ArrayLike<number>): BatchResult {
    const { loss, labelSmoothing, metrics, weightedMetrics } = this.requireCompiled(training ? 'fit' : 'evaluate');
    const { fused, fromLogits } = pass;
    const outputs = this.passes.forward(x, training);
    const predictions = fused ? this.outputLayer().logits! : outputs;
    const rows = outputs.size / (outputs.rank > 1 ? outputs.shape[outputs.rank - 1] : 1);
    const rowWeights = pass.classTable ? classRowWeights(pass.classTable, y, rows) : weights && exampleRowWeights(weights, rows);
    const result = LOSSES[loss](y, predictions, { fromLogits: fused || fromLogits, labelSmoothing, weights: rowWeights });
    const penalty = weightPenalty(pass.penalized) + this.workspace.activityPenalty;
    // evaluate's accuracy is computed once, also for compile's 'accuracy' (or 'acc')
    const accuracy = metricSum(ACCURACY, loss, y, outputs, fromLogits);
    const metricSums = [accuracy, ...metrics.map((m) => (m.kind === 'accuracy' ? accuracy : metricSum(m, loss, y, outputs, fromLogits)))];
    const weightedSums = weightedMetrics.map((m) => metricSum(m, loss, y, outputs, fromLogits, rowWeights));
    const weightSum = rowWeightSum(rowWeights, rows, x.shape[0]);
    return { loss: result.loss + penalty, metricSums, weightedSums, weightSum, grad: result.grad, fused };
  }

  /** Checks `y` against the loss and every metric (weighted or not), for outputs of the model's shape. */
  /** `named`: the loss's own messages start with `op` too (to tell validationData's labels from y's). */
  private checkLabelsFor(op: string, loss: LossName, y: Tensor, named = false): void {
    const output = this.outputLayer();
    const outputShape = [y.shape[0], ...trainedOutputShape(op, output.name, output.outputShape!)];
    try {
      checkLabels(loss, y, outputShape);
    } catch (error) {
      if (named && error instanceof ConvlensError) throw new ConvlensError(`${op}: ${error.message}`);
      throw error;
    }
    const { metrics = [], weightedMetrics = [] } = this.compiled ?? {};
    for (const metric of [...metrics, ...weightedMetrics]) checkMetricLabels(op, metric, loss, y, outputShape);
  }

  /** Checks `x` and `y` (named by `keys` in messages) as arrays of the same examples, of finite numbers. */
  private checkData(op: string, givenX: unknown, y: unknown, keys = ARRAY_KEYS): { x: Tensor; y: Tensor } {
    checkTensorArg(op, keys.x, givenX);
    let x: Tensor = givenX;
    checkTensorArg(op, keys.y, y);
    if (x.rank === 0 || y.rank === 0 || x.shape[0] !== y.shape[0]) {
      throw new ConvlensError(
        `${op}: ${keys.x} has ${x.shape[0] ?? 0} examples (shape ${formatShape(x.shape)}) but ${keys.y} has ${y.shape[0] ?? 0} (shape ${formatShape(y.shape)})`,
      );
    }
    if (x.dtype !== 'float32' && !this.passes.takesIntegerInput?.()) {
      throw new ConvlensError(`${op}: ${keys.x} must be float32, got ${x.dtype} (${toFloatHint(x.dtype, true)})`);
    }
    // integer pixels for a model that casts them: cast once here, as its first layer would each batch
    if (x.dtype !== 'float32') x = cast(x, 'float32');
    // a NaN or infinity in the data would only show as a NaN loss, batches later, without saying where
    for (const [arg, t] of [
      [keys.x, x],
      [keys.y, y],
    ] as const) {
      const i = firstNonFinite(t.data);
      if (i >= 0) {
        const example = Math.floor(i / (t.size / t.shape[0]));
        throw new ConvlensError(
          `${op}: ${arg} holds ${t.data[i]} in example ${example} (at flat index ${i}); the data must be finite numbers`,
        );
      }
    }
    return { x, y };
  }

  /** Trains the model with mini-batch gradient descent; resolves to the per-epoch history. */
  async fit(x: Tensor, y: Tensor, args: FitArgs = {}): Promise<History> {
    return this.whileFitting(() => this.train(x, y, args));
  }

  async whileFitting(train: () => Promise<History>): Promise<History> {
    this.checkNotFitting('fit');
    this.fitting = true;
    try {
      return await train();
    } finally {
      this.fitting = false;
    }
  }

  private async train(givenX: Tensor, y: Tensor, args: FitArgs): Promise<History> {
    const { loss } = this.requireCompiled('fit');
    const { x } = this.checkData('fit', givenX, y);
    const settings = fitSettings(args);
    // built first: per-row sample weights are checked against the output's shape
    this.passes.ensureBuilt('fit', x.shape);
    const sampleWeight = this.sampleWeightOf('fit', args.sampleWeight, x.shape[0]);
    if (sampleWeight && settings.classWeight !== undefined) throw new ConvlensError(`fit: ${BOTH_WEIGHTS}`);
    // As in Keras: validationData wins; otherwise the last `split` of the examples (and of their weights), before shuffling.
    const arrays = sampleWeight ? [x, y, sampleWeight] : [x, y];
    const split =
      args.validationData === undefined && settings.validationSplit > 0 ? splitOff(arrays, settings.validationSplit) : undefined;
    const [trainX, trainY] = split?.train ?? arrays;
    const trainWeight: Tensor | undefined = (split?.train ?? arrays)[2];
    const validation = split
      ? { x: split.validation[0], y: split.validation[1], weight: split.validation[2] as Tensor | undefined }
      : this.validationData(args.validationData);
    if (trainX.shape[0] === 0) throw noTrainingExamples(x, split && settings.validationSplit);
    if (validation?.x.shape[0] === 0) throw new ConvlensError('fit: the validation data has no examples');

    this.passes.checkInputData(trainX);
    if (validation) this.passes.checkInputData(validation.x, 'fit (validationData)');
    // Bad labels fail here, naming indices into the data as given (all of y, before a validationSplit
    // takes its last examples), rather than in some shuffled batch.
    this.checkLabelsFor('fit', loss, split ? y : trainY);
    if (validation && !split) this.checkLabelsFor('fit (validationData)', loss, validation.y, true);
    const pass = this.lossPass('fit', settings.classWeight);
    // class weights weigh the training loss only, as in Keras
    const validationPass = { ...pass, classTable: undefined };
    const exampleSize = trainX.size / trainX.shape[0];
    Object.assign(settings.epochSteps, {
      steps: Math.ceil(trainX.shape[0] / settings.batchSize),
      samples: trainX.shape[0],
      batchSize: settings.batchSize,
    });
    return this.runTraining(settings, () => pass, {
      batches: () => indexBatches(trainX.shape[0], settings),
      batch: (indices) => ({
        x: gather(trainX, indices, this.workspace.get(this, 'x', indices.length * exampleSize)),
        y: gather(trainY, indices),
        weight: trainWeight && gather(trainWeight, indices),
      }),
      // the data was checked with the training data
      validation:
        validation &&
        (() => this.sumsLogs(this.meanLoss(validation.x, validation.y, settings.validationBatchSize, validationPass, validation.weight))),
    });
  }

  /** The sampleWeight given for `examples` examples, checked (`op` names the call): one array, or a list of one or an object keyed by the output's name. */
  private sampleWeightOf(op: string, value: unknown, examples: number): Tensor | undefined {
    const outputName = this.passes.outputName?.() ?? this.outputLayer().name;
    const output = this.outputLayer();
    const rowShape = rowShapeOf(trainedOutputShape(op, output.name, output.outputShape ?? []));
    return oneSampleWeight(op, 'sampleWeight', value, `model '${this.modelName}'`, { name: outputName, rowShape }, examples);
  }

  /** fit's validationData checked: [x, y] or Keras' [x, y, sampleWeight]; undefined when not given. */
  private validationData(given: unknown): OneBatch | undefined {
    if (given === undefined) return undefined;
    if (!Array.isArray(given) || (given.length !== 2 && given.length !== 3)) {
      throw new ConvlensError(`fit: validationData must be [x, y] or [x, y, sampleWeight] of Tensors, got ${describeValue(given)}`);
    }
    const { x, y } = this.checkData('fit (validationData)', given[0], given[1]);
    return { x, y, weight: this.sampleWeightOf('fit (validationData)', given[2], x.shape[0]) };
  }

  fitBatches(settings: EpochSettings, steps: DatasetEpochSteps<OneBatch>): Promise<History> {
    this.lossMode('fit'); // a bad fromLogits fails before the first batch
    const withClassWeight = settings.classWeight !== undefined && settings.classWeight !== null;
    return this.runTraining(settings, this.builtPass('fit', settings.classWeight), {
      ...steps,
      batch: (batch, place) => {
        const checked = steps.batch(batch, place);
        if (checked.weight && withClassWeight) throw new ConvlensError(`fit (${placeName(place)}): ${BOTH_WEIGHTS}`);
        return checked;
      },
    });
  }

  /** fit's epochs over batches: each one's gradients (with the weights' penalties'), the epoch's sums and logs. */
  private runTraining<Batch>(
    settings: EpochSettings,
    pass: () => LossPass,
    data: EpochData<Batch> & {
      /** A batch's x, y and its examples' weights (if any), to be computed in the workspace. */
      batch(batch: Batch, place: BatchPlace): OneBatch;
    },
  ): Promise<History> {
    const { optimizer } = this.requireCompiled('fit');
    return runEpochs(this.passes.model, settings, data, {
      optimizer,
      variables: () => this.passes.layers().flatMap((l) => l.trainableWeights),
      newSums: () => this.passSums(),
      gradients: (batch, place, sums) =>
        this.withWorkspace(() => {
          const { x, y, weight } = data.batch(batch, place);
          const batchPass = pass();
          const result = this.lossOf(x, y, true, batchPass, weight?.data);
          checkLoss(result.loss, place);
          this.backward(result.grad, result.fused);
          addPenaltyGradients(batchPass.penalized);
          sums.add(result, x.shape[0]);
          return x.shape[0];
        }),
      logs: (sums) => this.sumsLogs(sums),
    });
  }

  /**
   * A dataset's batch (or validation arrays) checked as fit and evaluate check arrays, the model
   * built for it, with its examples' weights if given; `keys` name them and `op` the call.
   */
  checkBatch(op: string, givenX: unknown, givenY: unknown, keys: BatchKeys, sampleWeight?: unknown): OneBatch {
    const { loss } = this.requireCompiled(op);
    const [arrayX, arrayY] = this.passes.oneArrays?.(op, givenX, givenY, keys) ?? [givenX, givenY];
    const { x, y } = this.checkData(op, arrayX, arrayY, keys);
    checkBatchExamples(op, keys.x, x);
    this.passes.ensureBuilt(op, x.shape);
    this.passes.checkInputData(x, op);
    this.checkLabelsFor(op, loss, y);
    return { x, y, weight: this.sampleWeightOf(op, sampleWeight, x.shape[0]) };
  }

  evaluation(op: string): Evaluation<OneBatch, EvaluateResult> {
    const pass = this.builtPass(op);
    const sums = this.passSums();
    return {
      add: ({ x, y, weight }) =>
        sums.add(
          this.withWorkspace(() => this.lossOf(x, y, false, pass(), weight?.data)),
          x.shape[0],
        ),
      logs: () => this.sumsLogs(sums),
      result: () => this.evaluateResult(sums),
    };
  }

  validationArrays(op: string, x: unknown, y: unknown, batchSize: number, sampleWeight?: unknown): () => Logs {
    const batch = this.checkBatch(op, x, y, ARRAY_KEYS, sampleWeight);
    const pass = this.lossPass('fit');
    return () => this.sumsLogs(this.meanLoss(batch.x, batch.y, batchSize, pass, batch.weight));
  }

  private passSums(): PassSums {
    const compiled = this.compiled;
    return new PassSums(1 + (compiled?.metrics.length ?? 0), compiled?.weightedMetrics.length ?? 0);
  }

  private withWorkspace<T>(fn: () => T): T {
    return inWorkspace(this.workspace, this.passes.layers(), fn);
  }

  /** A pass's logs: the mean loss, then compile's metrics by their keys (not evaluate's accuracy, `metrics[0]`), then its weighted metrics. */
  private sumsLogs(sums: PassSums): Logs {
    const logs: Logs = { loss: sums.loss / sums.examples };
    const compiled = this.compiled;
    compiled?.metrics.forEach((metric, i) => {
      logs[metric.key] = sums.metrics[i + 1] / sums.examples;
    });
    compiled?.weightedKeys.forEach((key, i) => {
      logs[key] = sums.weightedMean(i);
    });
    return logs;
  }

  /** The loss's gradient as a tensor of the output's shape, taken back through the model. */
  private backward(grad: Float32Array, fused: boolean): void {
    const outputShape = this.outputLayer().outputShape as number[]; // known: the labels were checked against it
    const batch = grad.length / outputShape.reduce((a, b) => a * b, 1);
    // the top layer's softmax/sigmoid is already in the loss's gradient
    this.passes.backward(new Tensor(grad, [batch, ...outputShape], 'float32'), fused);
  }

  /**
   * Mean loss and accuracy (by the rule Keras picks for the loss) over `x`, `batchSize` examples
   * at a time, and compile's other metrics by their keys.
   */
  evaluate(givenX: Tensor, y: Tensor, options: EvaluateOptions = {}): EvaluateResult {
    const { loss } = this.requireCompiled('evaluate');
    const { x } = this.checkData('evaluate', givenX, y);
    checkOptions('evaluate', options, ['batchSize', 'verbose', 'sampleWeight']);
    const batchSize = batchSizeArg('evaluate', options.batchSize);
    const verbose = verboseArg('evaluate', options.verbose);
    // A mean over no examples is undefined (fit refuses empty data likewise).
    if (x.shape[0] === 0) throw new ConvlensError(`evaluate: no examples (x has shape ${formatShape(x.shape)})`);
    this.passes.ensureBuilt('evaluate', x.shape);
    const sampleWeight = this.sampleWeightOf('evaluate', options.sampleWeight, x.shape[0]);
    const started = performance.now();
    this.passes.checkInputData(x);
    this.checkLabelsFor('evaluate', loss, y);
    const sums = this.meanLoss(x, y, batchSize, this.lossPass('evaluate'), sampleWeight);
    if (verbose) console.log(progressLine(sums.batches, performance.now() - started, this.sumsLogs(sums)));
    return this.evaluateResult(sums);
  }

  /**
   * evaluate's result from its sums: the logs, with evaluate's accuracy, unless a weighted metric
   * is logged as `accuracy` (compile's weightedMetrics has it and its metrics not): Keras'
   * evaluate gives that one.
   */
  private evaluateResult(sums: PassSums): EvaluateResult {
    const logs = this.sumsLogs(sums);
    const result: { loss: number; accuracy: number } & Logs = {
      ...logs,
      loss: logs.loss,
      accuracy: logs.accuracy ?? sums.metrics[0] / sums.examples,
    };
    return withKerasScores(result, Object.keys(logs));
  }

  /** evaluate's loop, on data already checked (fit's validation data, once per epoch), its loss weighted by `sampleWeight` if given. */
  private meanLoss(x: Tensor, y: Tensor, batchSize: number, pass: LossPass, sampleWeight?: Tensor): PassSums {
    const sums = this.passSums();
    const n = x.shape[0];
    for (let start = 0; start < n; start += batchSize) {
      const indices = range(start, Math.min(n, start + batchSize));
      const result = this.withWorkspace(() => {
        const bx = gather(x, indices, this.workspace.get(this, 'x', indices.length * (x.size / x.shape[0])));
        return this.lossOf(bx, gather(y, indices), false, pass, sampleWeight && gather(sampleWeight, indices).data);
      });
      sums.add(result, indices.length);
    }
    return sums;
  }
}

/** A batch of a model of one input and output: its inputs, labels and, if given, its examples' weights. */
export type OneBatch = { x: Tensor; y: Tensor; weight?: Tensor };

/** A batch's loss (with its gradient) and metric sums (see lossOf). */
interface BatchResult {
  loss: number;
  metricSums: number[];
  weightedSums: number[];
  weightSum: number;
  grad: Float32Array;
  fused: boolean;
}

/** Keras 3 refuses class and sample weights together (class weights become sample weights). */
export const BOTH_WEIGHTS = 'give classWeight or sampleWeight, not both (as in Keras 3: fold the class weights into the sample weights)';

/**
 * Sums over a pass's batches: the loss and each metric (evaluate's accuracy first), each times its
 * batch's size, and the count; each weighted metric's Σ w·metric and the weights' Σ w.
 */
class PassSums {
  loss = 0;
  examples = 0;
  batches = 0;
  weights = 0;
  readonly metrics: Float64Array;
  readonly weighted: Float64Array;

  constructor(metricCount: number, weightedCount: number) {
    this.metrics = new Float64Array(metricCount);
    this.weighted = new Float64Array(weightedCount);
  }

  add(result: Pick<BatchResult, 'loss' | 'metricSums' | 'weightedSums' | 'weightSum'>, examples: number): void {
    this.loss += result.loss * examples;
    result.metricSums.forEach((sum, i) => {
      this.metrics[i] += sum;
    });
    result.weightedSums.forEach((sum, i) => {
      this.weighted[i] += sum;
    });
    this.weights += result.weightSum;
    this.examples += examples;
    this.batches++;
  }

  /** The `i`th weighted metric's Σ w·metric / Σ w; 0 when every weight is 0 (Keras' Mean divides with divide_no_nan). */
  weightedMean(i: number): number {
    return this.weights === 0 ? 0 : this.weighted[i] / this.weights;
  }
}

export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** compile's `loss`: a name, or `{ name, fromLogits, labelSmoothing }` for the cross-entropies. */
export function lossArg(arg: CompileArgs['loss']): LossSettings {
  return lossSettings('compile', arg, 'loss.');
}
