import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import type { LearningRate } from '../train/optimizer.js';
import { LearningRateSchedule } from '../train/schedules.js';
import type { Callbacks, Logs, TrainingModel } from './callbacks.js';

/** An optimizer whose learning rate a callback reads and sets: convlens' own, or one of one's own with a number `learningRate`. */
interface RateHolder {
  readonly name: string;
  learningRate: LearningRate;
  /** The rate the next update uses, where it differs from a number `learningRate` (a schedule's, a function's). */
  readonly currentLearningRate?: number;
}

/** The model's optimizer, which must have a learning rate (Keras: 'Optimizer must have a "learning_rate" attribute'). */
function rateHolder(op: string, model: TrainingModel | undefined): RateHolder {
  if (!model) throw new ConvlensError(`${op}: give it to fit in callbacks (it has no model whose learning rate to set)`);
  const optimizer = model.optimizer as Partial<RateHolder> | undefined;
  const rate = optimizer?.learningRate;
  if (!optimizer || !(typeof rate === 'number' || typeof rate === 'function' || rate instanceof LearningRateSchedule)) {
    throw new ConvlensError(`${op}: the model's optimizer has no learningRate to set, got ${describeValue(optimizer)}`);
  }
  return optimizer as RateHolder;
}

/** The learning rate the optimizer's next update uses (Keras' `optimizer.learning_rate`). */
function currentRate(optimizer: RateHolder): number {
  return optimizer.currentLearningRate ?? (optimizer.learningRate as number);
}

/** Throws if the optimizer's learning rate is a schedule or a function, which Keras refuses to set to a number. */
function checkSettable(op: string, optimizer: RateHolder): void {
  const rate = optimizer.learningRate;
  if (typeof rate !== 'number') {
    const what = rate instanceof LearningRateSchedule ? `the schedule ${rate.className}` : 'a function';
    throw new ConvlensError(
      `${op}: the optimizer's learning rate is ${what}, which cannot be set (as in Keras): compile with an optimizer whose learningRate is a number`,
    );
  }
}

function checkVerbose(op: string, verbose: unknown): asserts verbose is number {
  if (!(typeof verbose === 'number' && Number.isInteger(verbose) && verbose >= 0)) {
    throw new ConvlensError(`${op}: verbose must be 0 (silent) or more (print each change), got ${describeValue(verbose)}`);
  }
}

/** Keras' `LearningRateScheduler`'s schedule: the learning rate for `epoch` (from 0), given the current one. */
export type EpochSchedule = (epoch: number, learningRate: number) => number;

/**
 * Keras 3's `LearningRateScheduler`: at each epoch's beginning, sets the optimizer's learning rate
 * to `schedule(epoch, learningRate)`; each epoch's logs (and the history) get `learning_rate`.
 * `verbose` 1 prints each setting. The optimizer's rate must be a number, not a schedule or a function.
 */
export class LearningRateScheduler implements Callbacks {
  readonly schedule: EpochSchedule;
  readonly verbose: number;
  private model?: TrainingModel;

  constructor(schedule: EpochSchedule, verbose = 0) {
    const op = 'LearningRateScheduler';
    if (typeof schedule !== 'function') {
      throw new ConvlensError(`${op}: schedule must be a function (epoch, learningRate) => learningRate, got ${describeValue(schedule)}`);
    }
    checkVerbose(op, verbose);
    this.schedule = schedule;
    this.verbose = verbose;
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onEpochBegin(epoch: number): void {
    const op = 'LearningRateScheduler';
    const optimizer = rateHolder(op, this.model);
    checkSettable(op, optimizer);
    const rate = this.schedule(epoch, currentRate(optimizer));
    if (!(typeof rate === 'number' && Number.isFinite(rate) && rate >= 0)) {
      throw new ConvlensError(`${op}: schedule must return a finite number ≥ 0, got ${describeValue(rate)} for epoch ${epoch}`);
    }
    optimizer.learningRate = rate;
    if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${rate}.`);
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs.learning_rate = currentRate(rateHolder('LearningRateScheduler', this.model));
  }
}

export interface ReduceLROnPlateauArgs {
  /** The log to watch (default `'val_loss'`). */
  monitor?: string;
  /** The learning rate is multiplied by this on a plateau (default 0.1; from 0 up to, not including, 1). */
  factor?: number;
  /** Epochs without improvement before the rate is reduced (default 10). */
  patience?: number;
  /** 1 prints each reduction (default 0). */
  verbose?: number;
  /** `'min'`, `'max'`, or `'auto'` (default): up for a monitor whose name has 'acc' in it, else down, as Keras decides. */
  mode?: 'auto' | 'min' | 'max';
  /** The least change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs after a reduction before counting epochs without improvement again (default 0). */
  cooldown?: number;
  /** The rate is not reduced below this (default 0). */
  minLr?: number;
}

const PLATEAU_KEYS = ['monitor', 'factor', 'patience', 'verbose', 'mode', 'minDelta', 'cooldown', 'minLr'];

/**
 * Keras 3's `ReduceLROnPlateau`: at an epoch's end, once the monitored log has not improved by more
 * than `minDelta` for `patience` epochs, multiplies the optimizer's learning rate by `factor` (not
 * below `minLr`), then waits `cooldown` epochs. Each epoch's logs (and the history) get
 * `learning_rate`. Reducing a rate that is a schedule or a function is an error, as in Keras.
 */
export class ReduceLROnPlateau implements Callbacks {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  /** Larger is better for the monitored log. */
  private readonly up: boolean;
  private model?: TrainingModel;
  private best = Number.NaN; // set by onTrainBegin
  private wait = 0;
  private cooldownLeft = 0;
  private warned = false;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    const op = 'ReduceLROnPlateau';
    checkOptions(op, args, PLATEAU_KEYS);
    const {
      monitor = 'val_loss',
      factor = 0.1,
      patience = 10,
      verbose = 0,
      mode = 'auto',
      minDelta = 1e-4,
      cooldown = 0,
      minLr = 0,
    } = args;
    if (typeof monitor !== 'string' || monitor === '') {
      throw new ConvlensError(`${op}: monitor must be a log's name such as 'val_loss', got ${describeValue(monitor)}`);
    }
    if (!(typeof factor === 'number' && factor >= 0 && factor < 1)) {
      throw new ConvlensError(
        `${op}: factor must be a number in [0, 1) (Keras does not support a factor ≥ 1), got ${describeValue(factor)}`,
      );
    }
    for (const [name, value] of [
      ['patience', patience],
      ['cooldown', cooldown],
    ] as const) {
      if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
        throw new ConvlensError(`${op}: ${name} must be a whole number ≥ 0, got ${describeValue(value)}`);
      }
    }
    checkVerbose(op, verbose);
    if (!(typeof minDelta === 'number' && Number.isFinite(minDelta))) {
      throw new ConvlensError(`${op}: minDelta must be a finite number, got ${describeValue(minDelta)}`);
    }
    if (!(typeof minLr === 'number' && Number.isFinite(minLr) && minLr >= 0)) {
      throw new ConvlensError(`${op}: minLr must be a finite number ≥ 0, got ${describeValue(minLr)}`);
    }
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
      throw new ConvlensError(`${op}: mode must be 'auto', 'min' or 'max', got ${describeValue(mode)}`);
    }
    this.up = mode === 'max' || (mode === 'auto' && monitor.includes('acc'));
    this.monitor = monitor;
    this.factor = factor;
    this.patience = patience;
    this.verbose = verbose;
    this.minDelta = minDelta;
    this.cooldown = cooldown;
    this.minLr = minLr;
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    // the same callback may serve several fits, as in Keras
    this.best = this.up ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    this.wait = 0;
    this.cooldownLeft = 0;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const op = 'ReduceLROnPlateau';
    const optimizer = rateHolder(op, this.model);
    logs.learning_rate = currentRate(optimizer);
    const current = logs[this.monitor];
    if (current === undefined) {
      if (!this.warned) {
        console.warn(
          `convlens: ReduceLROnPlateau watches '${this.monitor}', which epoch ${epoch + 1}'s logs lack (they have ${Object.keys(logs).join(', ')}): an epoch without it leaves the learning rate as it is`,
        );
        this.warned = true;
      }
      return;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    const improved = this.up ? current > this.best + this.minDelta : current < this.best - this.minDelta;
    if (improved) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait++;
    if (this.wait < this.patience) return;
    const old = currentRate(optimizer);
    if (old <= this.minLr) return;
    checkSettable(op, optimizer);
    const rate = Math.max(old * this.factor, this.minLr);
    optimizer.learningRate = rate;
    if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${rate}.`);
    this.cooldownLeft = this.cooldown;
    this.wait = 0;
  }
}
