import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { metricImproves } from '../train/metrics.js';
import type { Optimizer } from '../train/optimizer.js';
import type { ModelArtifacts, SaveOptions } from './artifacts.js';
import type { WeightsArtifacts } from './weights_file.js';

/** What `fit` reports to callbacks and records per epoch: `loss`, `accuracy`, `val_loss`, `val_accuracy`. */
export type Logs = Record<string, number>;

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  /** How fit ran, as Keras' and tfjs' `history.params` give it. */
  params: HistoryParams;
}

/** fit's settings as its History records them (tfjs' fields; Keras 3 gives verbose, epochs and steps). */
export interface HistoryParams {
  epochs: number;
  initialEpoch: number;
  /** Batches per epoch; null when not known before training (a dataset without batchesPerEpoch). */
  steps: number | null;
  /** Examples per epoch, validation's held out; null for a dataset. */
  samples: number | null;
  /** null for a dataset, whose batches come made. */
  batchSize: number | null;
  verbose: 0 | 1 | 2;
  /** Whether fit validated (validationData or validationSplit). */
  doValidation: boolean;
  /** The logs recorded: loss, the metrics, and their val_ forms. */
  metrics: string[];
}

/** What a callback may do to the model being trained (Keras' `self.model`). */
export interface TrainingModel {
  stopTraining: boolean;
  /** The optimizer compile gave it (Keras' `model.optimizer`), whose learning rate a callback may set. */
  readonly optimizer?: Optimizer;
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
  /** The model as `save` writes it (modelCheckpoint's); fit's models have it. */
  toArtifacts?(options?: SaveOptions): ModelArtifacts;
  /** The weights as `saveWeights` writes them (modelCheckpoint's with saveWeightsOnly); fit's models have it. */
  toWeightsArtifacts?(): WeightsArtifacts;
  /** Writes the model to a folder or a Keras .h5 file (modelCheckpoint's to a Keras file); fit's models have it. */
  save?(path: string): Promise<void>;
  /** Writes the weights to a folder or a Keras .weights.h5 file (modelCheckpoint's to a Keras file); fit's models have it. */
  saveWeights?(path: string): Promise<void>;
}

/** fit's hooks, as tfjs and Keras call them; `setModel` gives a callback the model, before `onTrainBegin`. */
export interface Callbacks {
  setModel?: (model: TrainingModel) => void;
  onTrainBegin?: () => void | Promise<void>;
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  onBatchBegin?: (batch: number) => void | Promise<void>;
  onBatchEnd?: (batch: number, logs: Logs) => void | Promise<void>;
  onEpochEnd?: (epoch: number, logs: Logs) => void | Promise<void>;
  onTrainEnd?: (history: History) => void | Promise<void>;
  /**
   * convlens' own: a batch's gradients are NaN or infinite though its loss is finite, and fit takes
   * no step. Setting the model's `stopTraining` here ends training (TerminateOnNaN does); else fit
   * throws.
   */
  onGradientsOverflow?: (batch: number) => void | Promise<void>;
}

export interface EarlyStoppingArgs {
  /** The log to watch (default `'val_loss'`): `loss`, a compiled metric, or either with `val_`. */
  monitor?: string;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before training stops (default 0). */
  patience?: number;
  /** 1 (or 2, as fit's) prints when training stopped and which weights were restored (default 0). */
  verbose?: number;
  /** `'min'`, `'max'`, or `'auto'` (default): down for losses and errors, up for accuracies. */
  mode?: 'auto' | 'min' | 'max';
  /** A value to beat: epochs that do not beat it count against patience, even if they improve (null: none). */
  baseline?: number | null;
  /** At the end, set the weights of the best epoch seen (default false: the last epoch's stay). */
  restoreBestWeights?: boolean;
  /** Epochs to train before watching starts (default 0). */
  startFromEpoch?: number;
}

const EARLY_STOPPING_KEYS = ['monitor', 'minDelta', 'patience', 'verbose', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch'];

/**
 * Keras 3's `EarlyStopping` callback: stops `fit` once the monitored log has not improved for
 * `patience` epochs, optionally restoring the best epoch's weights. Give it in fit's `callbacks`.
 */
export class EarlyStopping implements Callbacks {
  readonly monitor: string;
  readonly patience: number;
  readonly verbose: number;
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  /** The epoch at which training was stopped (0 if it was not). */
  stoppedEpoch = 0;
  /** The best epoch seen in the last fit. */
  bestEpoch = 0;
  /** Larger is better for the monitored log. */
  private readonly up: boolean;
  private readonly improves: (value: number, reference: number) => boolean;
  private model?: TrainingModel;
  private best = Number.NaN; // set by onTrainBegin
  private wait = 0;
  private bestWeights?: Tensor[];
  private warned = false;

  constructor(args: EarlyStoppingArgs = {}) {
    checkOptions('earlyStopping', args, EARLY_STOPPING_KEYS);
    const { monitor = 'val_loss', minDelta = 0, patience = 0, verbose = 0, mode = 'auto', startFromEpoch = 0 } = args;
    // null is Keras' None: no baseline
    const baseline = args.baseline ?? undefined;
    const { restoreBestWeights = false } = args;
    if (typeof monitor !== 'string' || monitor === '') {
      throw new ConvlensError(`earlyStopping: monitor must be a log's name such as 'val_loss', got ${describeValue(monitor)}`);
    }
    count('patience', patience);
    count('startFromEpoch', startFromEpoch);
    if (!(typeof minDelta === 'number' && Number.isFinite(minDelta))) {
      throw new ConvlensError(`earlyStopping: minDelta must be a finite number, got ${describeValue(minDelta)}`);
    }
    if (baseline !== undefined && !(typeof baseline === 'number' && Number.isFinite(baseline))) {
      throw new ConvlensError(`earlyStopping: baseline must be a finite number, got ${describeValue(baseline)}`);
    }
    if (!(Number.isInteger(verbose) && verbose >= 0)) {
      throw new ConvlensError(`earlyStopping: verbose must be 0 (silent) or more (print when it stops), got ${describeValue(verbose)}`);
    }
    if (typeof restoreBestWeights !== 'boolean') {
      throw new ConvlensError(`earlyStopping: restoreBestWeights must be true or false, got ${describeValue(restoreBestWeights)}`);
    }
    const up = direction(monitor, mode);
    this.up = up;
    const delta = Math.abs(minDelta);
    // an improvement beats the reference by more than minDelta, in the monitor's direction
    this.improves = up ? (value, reference) => value - delta > reference : (value, reference) => value + delta < reference;
    this.monitor = monitor;
    this.patience = patience;
    this.verbose = verbose;
    this.baseline = baseline;
    this.restoreBestWeights = restoreBestWeights;
    this.startFromEpoch = startFromEpoch;
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    // the same callback may serve several fits, as in Keras
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = 0;
    this.bestWeights = undefined;
    this.best = this.up ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const model = this.requireModel();
    const current = logs[this.monitor];
    if (current === undefined) {
      if (!this.warned) {
        console.warn(
          `convlens: earlyStopping watches '${this.monitor}', which epoch ${epoch + 1}'s logs lack (they have ${Object.keys(logs).join(', ')}): an epoch without it does not count`,
        );
        this.warned = true;
      }
      return;
    }
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === undefined) {
      this.bestWeights = model.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait++;
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = model.getWeights();
      // only an epoch that also beats the baseline restarts the wait
      if (this.baseline === undefined || this.improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights) {
      if (this.verbose) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.requireModel().setWeights(this.bestWeights);
    }
  }

  private requireModel(): TrainingModel {
    if (!this.model) throw new ConvlensError('earlyStopping: give it to fit in callbacks (it has no model to watch)');
    return this.model;
  }
}

/** tfjs' factory: `earlyStopping({ monitor, patience })` is `new EarlyStopping(...)`. */
export function earlyStopping(args?: EarlyStoppingArgs): EarlyStopping {
  return new EarlyStopping(args);
}

function count(name: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
    throw new ConvlensError(`earlyStopping: ${name} must be a whole number ≥ 0, got ${describeValue(value)}`);
  }
}

/** Whether larger is better for `monitor` under `mode`; 'auto' goes by the metric's name (an output's too), as Keras 3 does. */
export function direction(monitor: string, mode: unknown, where = 'earlyStopping'): boolean {
  if (mode === 'max') return true;
  if (mode === 'min') return false;
  if (mode !== 'auto') throw new ConvlensError(`${where}: mode must be 'auto', 'min' or 'max', got ${describeValue(mode)}`);
  const name = monitor.replace(/^val_/, '');
  // a model of several outputs logs '<output>_loss' and '<output>_<metric>': the part after an underscore
  const way = metricImproves(name) ?? [...name.matchAll(/_/g)].map((m) => metricImproves(name.slice(m.index + 1))).find(Boolean);
  if (way === undefined) {
    throw new ConvlensError(
      `${where}: cannot tell whether '${monitor}' should go down or up: give mode 'min' or 'max' (or watch loss or a compiled metric)`,
    );
  }
  return way === 'up';
}
