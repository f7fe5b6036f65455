import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import type { Callbacks, History, Logs } from './callbacks.js';
import {
  type BatchArrays,
  type BatchDataset,
  type BatchKeys,
  BatchReader,
  type BatchWeights,
  checkDataset,
  eachBatch,
  fromTfjsArrays,
  isDataset,
  readBatch,
} from './datasets.js';
import { progressLine } from './fit_progress.js';
import type { ClassWeightArg } from './loss_weights.js';
import { verboseArg } from './model_common.js';
import { type BatchPlace, type EpochData, type EpochSettings, epochSettings, placeName, type YieldEvery } from './training_loop.js';

// fit and evaluate on a dataset for every model kind, as tfjs-layers' fitDataset and
// evaluateDataset (and Keras' fit and evaluate on a dataset) run them: the model kind checks,
// trains on and evaluates one batch (DatasetTrainer); this reads the dataset and runs the epochs.

/** fit's options for a dataset: the batches and their order are the dataset's. */
export interface DatasetFitArgs {
  epochs?: number;
  /**
   * tfjs' batchesPerEpoch (Keras' steps_per_epoch): an epoch ends after this many batches, and the
   * next goes on with the same iteration of the dataset, which must give batchesPerEpoch × epochs
   * batches (training stops, with a warning, where it runs out). By default, an epoch is an iteration.
   */
  batchesPerEpoch?: number;
  /** Keras' name of batchesPerEpoch (`steps_per_epoch`). */
  stepsPerEpoch?: number;
  /**
   * Evaluated at each epoch's end (its `val_` logs): a dataset, or arrays `[x, y]` as evaluate
   * takes them (tfjs tensors too), as tfjs' fitDataset takes both; Keras' `[x, y, sampleWeight]`
   * weighs the validation loss and weighted metrics.
   */
  validationData?: BatchDataset | [BatchArrays, BatchArrays] | [BatchArrays, BatchArrays, BatchWeights];
  /** For a validation dataset: the batches evaluated, from a new iteration at each epoch's end (by default all). */
  validationBatches?: number;
  /** Keras' name of validationBatches (`validation_steps`). */
  validationSteps?: number;
  /** For validation arrays: the examples evaluated at a time (tfjs' default, 32). */
  validationBatchSize?: number;
  /**
   * tfjs' and Keras' class_weight: each class's weight in the training loss (and weighted
   * metrics), `{ 0: 1, 1: 5 }` (a class left out weighs 1). Not with batches that carry weights.
   */
  classWeight?: ClassWeightArg;
  callbacks?: Callbacks | Callbacks[];
  verbose?: 0 | 1 | 2;
  /** As array fit's: the epoch to start from, `epochs` the one to stop before. */
  initialEpoch?: number;
  /** As array fit's: validate every this many epochs, or after the epochs listed (from 1). */
  validationFreq?: number | number[];
  /** As array fit's (tfjs' yieldEvery): when other tasks run, 'batch' (the default), 'epoch', 'never' or every n ms. */
  yieldEvery?: YieldEvery;
}

/** evaluate's options for a dataset (whose batches are its own). */
export interface DatasetEvaluateOptions {
  verbose?: 0 | 1 | 2;
  /** tfjs' evaluateDataset `batches`: evaluate the first this many batches of an iteration (by default all). */
  batches?: number;
  /** Keras' name of batches (evaluate's `steps`). */
  steps?: number;
}

/** The batches an evaluation or an epoch is cut to, and the option that set it (for messages). */
export interface BatchLimit {
  batches: number;
  name: string;
}

/** One pass of evaluation over checked batches: each added, then the logs (`val_` ones in fit) and evaluate's result. */
export interface Evaluation<Batch, Result extends Logs> {
  add(batch: Batch): void;
  logs(): Logs;
  result(): Result;
}

/** A fit's batches from a dataset, for the model kind's epochs: each checked by `batch`, in the model's workspace. */
export interface DatasetEpochSteps<Batch> extends EpochData<unknown> {
  /** A batch checked (its messages naming `place`). */
  batch(data: unknown, place: BatchPlace): Batch;
}

/** What the loops over a dataset need of a model kind's training (ModelTraining, MultiOutputTraining); `Batch` is a checked batch. */
export interface DatasetTrainer<Batch, Result extends Logs> {
  /** The model's name, for messages. */
  readonly modelName: string;
  /** Throws unless the model is compiled; `op` names the call. */
  requireCompiled(op: string): unknown;
  /** Runs `train` as the model's one fit at a time. */
  whileFitting(train: () => Promise<History>): Promise<History>;
  /**
   * A batch's arrays (`x` and `y`, named by `keys`, and the examples' weights if given) checked
   * as fit checks arrays, the model built for them; `op` names it.
   */
  checkBatch(op: string, x: unknown, y: unknown, keys: BatchKeys, sampleWeight?: unknown): Batch;
  /** fit's epochs over the dataset's batches, with the model kind's sums and logs. */
  fitBatches(settings: EpochSettings, steps: DatasetEpochSteps<Batch>): Promise<History>;
  /** A pass of evaluation; `op` names the call (the loss is checked against the model for it). */
  evaluation(op: string): Evaluation<Batch, Result>;
  /** fit's validationData given as arrays (with their examples' weights, if given), checked now (`op` naming them): their logs, `batchSize` examples at a time. */
  validationArrays(op: string, x: unknown, y: unknown, batchSize: number, sampleWeight?: unknown): () => Logs;
}

/** Array fit's options that a dataset decides itself, each with where it is set instead. */
const DATASET_DECIDES: Record<string, string> = {
  batchSize: "the dataset's batches set it (imageDatasetFromDirectory's batchSize)",
  shuffle: 'the dataset shuffles itself (imageDatasetFromDirectory reshuffles each epoch with its seed)',
  validationSplit: "split the dataset instead (imageDatasetFromDirectory's validationSplit and subset)",
  sampleWeight: "a dataset's batches carry their weights: [x, y, sampleWeight] or { xs, ys, sampleWeight }",
};

const FIT_KEYS = [
  'epochs',
  'batchesPerEpoch',
  'stepsPerEpoch',
  'validationData',
  'validationBatches',
  'validationSteps',
  'validationBatchSize',
  'classWeight',
  'callbacks',
  'verbose',
  'initialEpoch',
  'validationFreq',
  'yieldEvery',
];

/** tfjs' default validationBatchSize for validation arrays (Keras' for data without a batch size). */
const VALIDATION_BATCH_SIZE = 32;

type Validation = { dataset: BatchDataset; limit?: BatchLimit } | { arrays: [unknown, unknown, unknown]; batchSize: number };

interface DatasetFitSettings extends EpochSettings {
  perEpoch?: BatchLimit;
  validation?: Validation;
}

/** A count of batches given by tfjs' name or Keras' (not both), checked: a positive integer. */
function batchLimit(where: string, options: object, tfjsName: string, kerasName: string): BatchLimit | undefined {
  const given = [tfjsName, kerasName].filter((name) => (options as Record<string, unknown>)[name] !== undefined);
  if (given.length === 2) throw new ConvlensError(`${where}: give ${tfjsName} (tfjs' name) or ${kerasName} (Keras'), not both`);
  if (given.length === 0) return undefined;
  const [name] = given;
  const value = (options as Record<string, unknown>)[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConvlensError(`${where}: ${name} must be a positive integer (a number of batches), got ${describeValue(value)}`);
  }
  return { batches: value, name };
}

/** Checks fit's options for a dataset; `where` begins the messages (the call and the model). */
function datasetFitSettings(where: string, args: unknown): DatasetFitSettings {
  const refused = typeof args === 'object' && args !== null ? Object.keys(args).find((key) => key in DATASET_DECIDES) : undefined;
  if (refused) throw new ConvlensError(`fit: ${refused} is not an option when training on a dataset: ${DATASET_DECIDES[refused]}`);
  checkOptions('fit', args, FIT_KEYS);
  const options = args as DatasetFitArgs;
  const perEpoch = batchLimit(where, options, 'batchesPerEpoch', 'stepsPerEpoch');
  const settings = { ...epochSettings(options), perEpoch, validation: validationSettings(where, options) };
  settings.epochSteps.steps = perEpoch?.batches;
  return settings;
}

/** fit's validationData for a dataset, checked with the options that go with its kind. */
function validationSettings(where: string, options: DatasetFitArgs): Validation | undefined {
  const { validationData: data, validationBatchSize: batchSize } = options;
  const limit = batchLimit(where, options, 'validationBatches', 'validationSteps');
  if (data === undefined) {
    const orphan = limit?.name ?? (batchSize !== undefined ? 'validationBatchSize' : undefined);
    if (orphan) throw new ConvlensError(`${where}: ${orphan} is for validationData, which is not given`);
    return undefined;
  }
  if (isDataset(data)) {
    if (batchSize !== undefined) {
      throw new ConvlensError(
        `${where}: validationBatchSize is for validationData given as arrays [x, y]; a validation dataset's batches are its own (validationBatches limits how many are evaluated)`,
      );
    }
    return { dataset: data, limit };
  }
  if (!Array.isArray(data) || (data.length !== 2 && data.length !== 3)) {
    throw new ConvlensError(
      `${where}: validationData must be a dataset (an async iterable or a tf.data Dataset of { x, y } batches) or arrays [x, y] or [x, y, sampleWeight], got ${describeValue(data)}`,
    );
  }
  if (limit) {
    throw new ConvlensError(
      `${where}: ${limit.name} is for a validation dataset; validationData given as arrays [x, y] is evaluated validationBatchSize examples at a time`,
    );
  }
  if (batchSize !== undefined && (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1)) {
    throw new ConvlensError(`${where}: validationBatchSize must be a positive integer, got ${describeValue(batchSize)}`);
  }
  return { arrays: [data[0], data[1], data[2]], batchSize: batchSize ?? VALIDATION_BATCH_SIZE };
}

/** Checks evaluate's options for a dataset: verbose, and the batches to evaluate. */
function datasetEvaluateSettings(where: string, options: unknown): { verbose: 0 | 1 | 2; limit?: BatchLimit } {
  rejectBatchSize('evaluate', options);
  checkOptions('evaluate', options, ['verbose', 'batches', 'steps']);
  return {
    verbose: verboseArg('evaluate', (options as DatasetEvaluateOptions).verbose),
    limit: batchLimit(where, options as object, 'batches', 'steps'),
  };
}

function rejectBatchSize(op: string, options: unknown): void {
  if (typeof options === 'object' && options !== null && 'batchSize' in options) {
    throw new ConvlensError(`${op}: batchSize is not an option for a dataset: ${DATASET_DECIDES.batchSize}`);
  }
}

/** Checks predict's options for a dataset (verbose alone: the dataset makes its batches); returns its verbose. */
export function datasetVerbose(op: 'predict', options: unknown): 0 | 1 | 2 {
  rejectBatchSize(op, options);
  checkOptions(op, options, ['verbose']);
  return verboseArg(op, (options as { verbose?: unknown }).verbose);
}

/** A dataset's batch read (its tfjs tensors taken in) and checked by the model kind; `op` names it. */
function checkedBatch<Batch>(trainer: DatasetTrainer<Batch, Logs>, op: string, data: unknown): Batch {
  const { x, y, sampleWeight, keys } = readBatch(op, data, 'required');
  return trainer.checkBatch(op, x, y, keys, sampleWeight);
}

/**
 * tfjs' fitDataset (Keras' fit on a dataset) for any model kind: epochs over the dataset's
 * batches, each checked as it comes, and validation at each epoch's end.
 */
export function fitOnDataset<Batch, Result extends Logs>(
  trainer: DatasetTrainer<Batch, Result>,
  dataset: unknown,
  args: unknown = {},
): Promise<History> {
  return trainer.whileFitting(async () => {
    trainer.requireCompiled('fit');
    checkDataset('fit', dataset);
    const where = `fit: model '${trainer.modelName}'`;
    const settings = datasetFitSettings(where, args);
    const epochs = new EpochBatches(where, dataset, settings);
    try {
      return await trainer.fitBatches(settings, {
        batches: () => epochs.epoch(),
        batch: (data, place) => checkedBatch(trainer, `fit (${placeName(place)})`, data),
        more: () => epochs.more(),
        validation: settings.validation && validationLogs(trainer, settings.validation),
      });
    } finally {
      await epochs.close();
    }
  });
}

/** The validation data's logs, for each epoch's end: arrays checked now, a dataset's batches as they come. */
function validationLogs<Batch, Result extends Logs>(
  trainer: DatasetTrainer<Batch, Result>,
  validation: Validation,
): () => Logs | Promise<Logs> {
  const op = 'fit (validationData)';
  if ('arrays' in validation) {
    const [x, y, weights] = validation.arrays.map((arrays, i) => fromTfjsArrays(op, ['x', 'y', 'sampleWeight'][i], arrays));
    return trainer.validationArrays(op, x, y, validation.batchSize, weights);
  }
  return async () => {
    const evaluation = trainer.evaluation('fit');
    await evaluatePass(trainer, evaluation, op, validation.dataset, validation.limit);
    return evaluation.logs();
  };
}

/** One iteration of `dataset` (cut to `limit`) evaluated, each batch checked as it comes; resolves to the number of batches. */
async function evaluatePass<Batch, Result extends Logs>(
  trainer: DatasetTrainer<Batch, Result>,
  evaluation: Evaluation<Batch, Result>,
  op: string,
  dataset: BatchDataset,
  limit?: BatchLimit,
): Promise<number> {
  const add = (data: unknown, i: number) => evaluation.add(checkedBatch(trainer, `${op} (batch ${i + 1})`, data));
  const batches = await eachBatch(`${op}: model '${trainer.modelName}'`, dataset, add, limit);
  if (batches === 0) throw new ConvlensError(`${op}: the dataset gave no examples`);
  return batches;
}

/** tfjs' evaluateDataset (Keras' evaluate on a dataset) for any model kind: over one iteration, or its first `batches`. */
export async function evaluateOnDataset<Batch, Result extends Logs>(
  trainer: DatasetTrainer<Batch, Result>,
  dataset: unknown,
  options: unknown = {},
): Promise<Result> {
  trainer.requireCompiled('evaluate');
  checkDataset('evaluate', dataset);
  const { verbose, limit } = datasetEvaluateSettings(`evaluate: model '${trainer.modelName}'`, options);
  const started = performance.now();
  const evaluation = trainer.evaluation('evaluate');
  const batches = await evaluatePass(trainer, evaluation, 'evaluate', dataset, limit);
  if (verbose) console.log(progressLine(batches, performance.now() - started, evaluation.logs()));
  return evaluation.result();
}

/**
 * fit's batches, epoch by epoch: a new iteration of the dataset each epoch or, with
 * batchesPerEpoch, that many batches of one iteration read on from epoch to epoch (as tfjs'
 * fitDataset and Keras' steps_per_epoch read it). Where that iteration runs out, it warns, as
 * tfjs does, and no epoch follows.
 */
class EpochBatches {
  private reader?: BatchReader;
  /** The next epoch's first batch, read by more(). */
  private ahead?: Awaited<ReturnType<BatchReader['next']>>;
  private read = 0;
  private epochs = 0;
  private inEpoch = 0;
  private ranOut = false;

  constructor(
    private readonly where: string,
    private readonly dataset: BatchDataset,
    private readonly settings: DatasetFitSettings,
  ) {}

  async more(): Promise<boolean> {
    if (!this.settings.perEpoch) return true;
    if (!this.ranOut) this.ahead = await this.nextBatch();
    return !this.ranOut;
  }

  async *epoch(): AsyncGenerator<unknown> {
    this.epochs++;
    this.inEpoch = 0;
    const { perEpoch } = this.settings;
    if (!perEpoch) {
      const reader = await BatchReader.open(this.where, this.dataset);
      try {
        for (let step = await reader.next(); !step.done; step = await reader.next()) yield step.value;
      } finally {
        await reader.close(); // fit stopped within the epoch
      }
      return;
    }
    while (this.inEpoch < perEpoch.batches) {
      const step = this.ahead ?? (await this.nextBatch());
      this.ahead = undefined;
      if (step.done) return;
      this.inEpoch++;
      yield step.value;
    }
  }

  /** The shared iteration's next batch; warns the first time it runs out, unless it gave none (fit then fails for no examples). */
  private async nextBatch(): ReturnType<BatchReader['next']> {
    this.reader ??= await BatchReader.open(this.where, this.dataset);
    const step = await this.reader.next();
    if (!step.done) {
      this.read++;
      return step;
    }
    if (!this.ranOut && this.read > 0) this.warnRanOut();
    this.ranOut = true;
    return step;
  }

  private warnRanOut(): void {
    const { perEpoch, epochs } = this.settings as Required<DatasetFitSettings>;
    const partial = this.inEpoch < perEpoch.batches ? `, which had ${this.inEpoch} of its ${perEpoch.batches} batches` : '';
    console.warn(
      `convlens: ${this.where}: the dataset ran out after ${this.read} batches, short of ${perEpoch.name} × epochs (${perEpoch.batches} × ${epochs} = ${perEpoch.batches * epochs}); training ends with epoch ${this.epochs}${partial}. Give a dataset that repeats (tfjs-data's dataset.repeat()) or fewer batches per epoch`,
    );
  }

  async close(): Promise<void> {
    await this.reader?.close();
  }
}
