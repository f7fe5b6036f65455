import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { booleanArg } from './args.js';
import { writeModelDir } from './artifacts.js';
import { type Callbacks, direction, type Logs, type TrainingModel } from './callbacks.js';
import { fieldNames, formatPython } from './python_format.js';
import { writeWeightsDir } from './weights_file.js';

export interface ModelCheckpointArgs {
  /**
   * The folder to save the model in, as `model.save` writes it (model.json and weights.bin; with
   * saveWeightsOnly as `model.saveWeights` does, weights.json and weights.bin), or a Keras file:
   * `.h5` (Keras 2's HDF5 model), with saveWeightsOnly `.weights.h5` (Keras 3's weights file),
   * with Keras' fields filled in: `'ckpt/epoch-{epoch:02d}-{val_loss:.2f}'` (the epoch from 1, as
   * Keras names it; `{batch}` from 1 too, when saving every saveFreq batches; any log by name).
   */
  filepath: string;
  /** The log that saveBestOnly watches (default `'val_loss'`): `loss`, a compiled metric, or either with `val_`. */
  monitor?: string;
  /** 1 (or more) prints each save, and each epoch saveBestOnly skips (default 0). */
  verbose?: number;
  /** Save only when the monitored log beats the best seen so far (default false: every time). */
  saveBestOnly?: boolean;
  /** Save the weights alone, as `model.saveWeights` writes them (default false); see ModelCheckpoint. */
  saveWeightsOnly?: boolean;
  /**
   * Save the optimizer's state with the model, as `model.save(folder, { includeOptimizer: true })`
   * does (default false), so that training resumed from a checkpoint goes on as if never stopped,
   * as from a Keras checkpoint. A folder's only: convlens' .h5 files hold no optimizer state.
   */
  includeOptimizer?: boolean;
  /** `'min'`, `'max'`, or `'auto'` (default): down for losses and errors, up for accuracies. */
  mode?: 'auto' | 'min' | 'max';
  /** `'epoch'` (default): save at the end of each epoch; a number n: after every n batches, counted across epochs. */
  saveFreq?: 'epoch' | number;
  /** The value the first save must beat with saveBestOnly (null, the default: the first is saved). */
  initialValueThreshold?: number | null;
}

const KEYS = [
  'filepath',
  'monitor',
  'verbose',
  'saveBestOnly',
  'saveWeightsOnly',
  'includeOptimizer',
  'mode',
  'saveFreq',
  'initialValueThreshold',
];
const WHERE = 'modelCheckpoint';

/**
 * Keras 3's `ModelCheckpoint`: saves the model during `fit`, at each epoch's end or every
 * `saveFreq` batches, to a folder named by `filepath`'s fields, optionally only when the monitored
 * log improves. Each save is all or nothing, as `model.save`'s: a folder holds a whole model or
 * none. convlens writes what `model.save` writes to `filepath`: the TensorFlow.js Layers folder
 * that `layers.loadModel` reads, or for a name ending in `.h5` Keras 2's HDF5 model file (not
 * `.keras`, which convlens does not write; with saveWeightsOnly, `.weights.h5`, Keras 3's weights
 * file, as Keras requires). With `saveWeightsOnly` the folder holds what
 * `model.saveWeights` writes (weights.json and weights.bin, no topology nor compile's settings),
 * which `model.loadWeights(folder)` reads into a model built the same way, as Keras' `load_weights`.
 */
export class ModelCheckpoint implements Callbacks {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly includeOptimizer: boolean;
  readonly saveFreq: 'epoch' | number;
  /** The best monitored value saved so far; kept from one fit to the next, as Keras keeps it. */
  best: number | undefined;
  private readonly up: boolean;
  private model?: TrainingModel;
  private epoch = 0;
  private batchesSinceSave = 0;
  private warned = false;

  /** Keras' `ModelCheckpoint(filepath, monitor=..., ...)`: the path alone, or first with the other options after it. */
  constructor(filepath: string, more?: Omit<ModelCheckpointArgs, 'filepath'>);
  constructor(args: ModelCheckpointArgs);
  constructor(pathOrArgs: string | ModelCheckpointArgs, more: Omit<ModelCheckpointArgs, 'filepath'> = {}) {
    if (typeof pathOrArgs === 'string' && typeof more === 'object' && more !== null && 'filepath' in more) {
      throw new ConvlensError(
        `${WHERE}: the filepath is given twice, '${pathOrArgs}' first and ${describeValue(more.filepath)} among the options`,
      );
    }
    if (typeof pathOrArgs === 'string')
      checkOptions(
        WHERE,
        more,
        KEYS.filter((key) => key !== 'filepath'),
      );
    const args = typeof pathOrArgs === 'string' ? { ...more, filepath: pathOrArgs } : pathOrArgs;
    checkOptions(WHERE, args, KEYS, { shorthand: 'a file path' });
    const { filepath, monitor = 'val_loss', verbose = 0, mode = 'auto', saveFreq = 'epoch' } = args;
    if (typeof filepath !== 'string' || filepath === '') {
      throw new ConvlensError(
        `${WHERE}: filepath must be a folder path such as 'checkpoints/epoch-{epoch:02d}', got ${describeValue(filepath)}`,
      );
    }
    checkFileName(filepath, args.saveWeightsOnly === true);
    if (typeof monitor !== 'string' || monitor === '') {
      throw new ConvlensError(`${WHERE}: monitor must be a log's name such as 'val_loss', got ${describeValue(monitor)}`);
    }
    if (!(Number.isInteger(verbose) && verbose >= 0)) {
      throw new ConvlensError(`${WHERE}: verbose must be 0 (silent) or more (print each save), got ${describeValue(verbose)}`);
    }
    if (saveFreq !== 'epoch' && !(Number.isInteger(saveFreq) && saveFreq >= 1)) {
      throw new ConvlensError(`${WHERE}: saveFreq must be 'epoch' or a whole number of batches ≥ 1, got ${describeValue(saveFreq)}`);
    }
    const threshold = args.initialValueThreshold ?? undefined; // null is Keras' None
    if (threshold !== undefined && !(typeof threshold === 'number' && Number.isFinite(threshold))) {
      throw new ConvlensError(`${WHERE}: initialValueThreshold must be a finite number or null, got ${describeValue(threshold)}`);
    }
    checkFilepath(filepath, saveFreq);
    this.saveBestOnly = booleanArg(WHERE, 'saveBestOnly', args.saveBestOnly, false);
    this.saveWeightsOnly = booleanArg(WHERE, 'saveWeightsOnly', args.saveWeightsOnly, false);
    this.includeOptimizer = booleanArg(WHERE, 'includeOptimizer', args.includeOptimizer, false);
    if (this.includeOptimizer && (this.saveWeightsOnly || isKerasFileName(filepath))) {
      const instead = this.saveWeightsOnly ? 'saveWeightsOnly saves the weights alone' : "convlens' .h5 files hold no optimizer state";
      throw new ConvlensError(`${WHERE}: includeOptimizer saves to a folder in the TensorFlow.js Layers format, but ${instead}`);
    }
    // the direction matters only to saveBestOnly: any monitor will do without it
    this.up = this.saveBestOnly ? direction(monitor, mode, WHERE) : checkMode(mode);
    this.filepath = filepath;
    this.monitor = monitor;
    this.verbose = verbose;
    this.saveFreq = saveFreq;
    this.best = threshold;
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  async onBatchEnd(batch: number, logs: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') return;
    this.batchesSinceSave++;
    if (this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    await this.save(this.epoch, batch, logs);
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') await this.save(epoch, undefined, logs);
  }

  /** Saves the model to the folder `filepath` names now, unless saveBestOnly and the monitored log did not improve. */
  private async save(epoch: number, batch: number | undefined, logs: Logs): Promise<void> {
    // from 1, as Keras names them
    const ints: Record<string, number> = batch === undefined ? { epoch: epoch + 1 } : { epoch: epoch + 1, batch: batch + 1 };
    const path = formatPython(this.filepath, { ints, floats: logs }, `${WHERE}: filepath`);
    if (!this.shouldSave(epoch, logs, path)) return;
    const model = this.savableModel();
    const written = isKerasFileName(path)
      ? this.saveKerasFile(path)
      : this.saveWeightsOnly
        ? writeWeightsDir(path, model.toWeightsArtifacts())
        : writeModelDir(path, model.toArtifacts(this.includeOptimizer ? { includeOptimizer: true } : undefined));
    await written.catch((error: unknown) => {
      if (!(error instanceof ConvlensError)) throw error;
      throw new ConvlensError(`${WHERE}: ${error.message.replace(/^(save|saveWeights): /, '')}`, { cause: error });
    });
  }

  /** Keras' rule: always, or with saveBestOnly when the monitored log beats the best (or is missing, with a warning). */
  private shouldSave(epoch: number, logs: Logs, path: string): boolean {
    if (!this.saveBestOnly) {
      if (this.verbose) console.log(`Epoch ${epoch + 1}: saving model to ${path}`);
      return true;
    }
    const current = logs[this.monitor];
    if (current === undefined) {
      if (!this.warned) {
        console.warn(
          `convlens: ${WHERE} saves the best model by '${this.monitor}', which epoch ${epoch + 1}'s logs lack (they have ${Object.keys(logs).join(', ')}): such an epoch is saved, as Keras saves it`,
        );
        this.warned = true;
      }
      return true;
    }
    const best = this.best === undefined ? 'None' : pythonFixed(this.best);
    if (this.best === undefined || (this.up ? current > this.best : current < this.best)) {
      if (this.verbose)
        console.log(`Epoch ${epoch + 1}: ${this.monitor} improved from ${best} to ${pythonFixed(current)}, saving model to ${path}`);
      this.best = current;
      return true;
    }
    if (this.verbose) console.log(`Epoch ${epoch + 1}: ${this.monitor} did not improve from ${best}`);
    return false;
  }

  /** A Keras file (.h5, .weights.h5), as the model's own save and saveWeights write it. */
  private async saveKerasFile(path: string): Promise<void> {
    const model = this.model;
    const save = this.saveWeightsOnly ? model?.saveWeights : model?.save;
    if (!save) throw new ConvlensError(`${WHERE}: the model cannot save a Keras file (it has no save or saveWeights): give a folder path`);
    await save.call(model, path);
  }

  /** The model fit gave it, with what its save and saveWeights write. */
  private savableModel(): Required<Pick<TrainingModel, 'toArtifacts' | 'toWeightsArtifacts'>> {
    const model = this.model;
    if (!model?.toArtifacts || !model.toWeightsArtifacts)
      throw new ConvlensError(`${WHERE}: give it to fit in callbacks (it has no model to save)`);
    return model as Required<Pick<TrainingModel, 'toArtifacts' | 'toWeightsArtifacts'>>;
  }
}

const isKerasFileName = (path: string) => /\.(h5|hdf5)$/i.test(path);

/**
 * Refuses a file name convlens does not save to: .keras and .json; with saveWeightsOnly, a Keras
 * name other than .weights.h5 (as Keras 3 requires); without it, .weights.h5 (a weights file's name).
 */
function checkFileName(filepath: string, weightsOnly: boolean): void {
  const extension = /\.(keras|h5|hdf5|json)$/i.exec(filepath);
  const weightsFile = /\.weights\.h5$/i.test(filepath);
  if (!extension) return;
  const kind = extension[1].toLowerCase();
  if (weightsOnly ? weightsFile : (kind === 'h5' || kind === 'hdf5') && !weightsFile) return;
  const folder = filepath.slice(0, -extension[0].length).replace(/\.weights$/, '');
  const saved = weightsOnly
    ? "weights in a .weights.h5 file (Keras 3's weights file) or a folder (weights.json and weights.bin), as model.saveWeights does"
    : 'a model in a .h5 file (a Keras HDF5 model) or a folder in the TensorFlow.js Layers format (model.json and weights.bin), as model.save does';
  throw new ConvlensError(
    `${WHERE}: filepath '${filepath}' ends in .${weightsFile ? 'weights.h5' : extension[1]}, but convlens saves ${saved}: give a path such as '${folder}${weightsOnly ? '.weights.h5' : '.h5'}' or '${folder}'`,
  );
}

/** `new ModelCheckpoint(args)`, in tfjs' style of factory. */
export function modelCheckpoint(filepath: string, more?: Omit<ModelCheckpointArgs, 'filepath'>): ModelCheckpoint;
export function modelCheckpoint(args: ModelCheckpointArgs): ModelCheckpoint;
export function modelCheckpoint(pathOrArgs: string | ModelCheckpointArgs, more?: Omit<ModelCheckpointArgs, 'filepath'>): ModelCheckpoint {
  return typeof pathOrArgs === 'string' ? new ModelCheckpoint(pathOrArgs, more) : new ModelCheckpoint(pathOrArgs);
}

/**
 * Formats `filepath` once with stand-ins (the epoch and batch 1, every other field a log of 0), so
 * that a field's format that cannot work (`{loss:d}`, a lone brace) is refused before training.
 */
function checkFilepath(filepath: string, saveFreq: 'epoch' | number): void {
  const names = fieldNames(filepath);
  if (saveFreq === 'epoch' && names.includes('batch')) {
    throw new ConvlensError(`${WHERE}: filepath '${filepath}' names '{batch}', which is filled in only when saving every saveFreq batches`);
  }
  const logs = Object.fromEntries(names.filter((name) => name !== 'epoch' && name !== 'batch').map((name) => [name, 0]));
  formatPython(filepath, { ints: { epoch: 1, batch: 1 }, floats: logs }, `${WHERE}: filepath`);
}

/** `value` as Keras' messages write it (Python's `:.5f`: `nan`, ties to even). */
const pythonFixed = (value: number) => formatPython('{value:.5f}', { ints: {}, floats: { value } }, WHERE);

/** Checks `mode` where no direction is needed; its direction when it names one. */
function checkMode(mode: unknown): boolean {
  if (mode === 'auto' || mode === 'min' || mode === 'max') return mode === 'max';
  throw new ConvlensError(`${WHERE}: mode must be 'auto', 'min' or 'max', got ${describeValue(mode)}`);
}
