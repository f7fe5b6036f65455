import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { LearningRateSchedule, type SerializedSchedule, serializeSchedule } from './schedules.js';

/** A trainable variable: its values and the gradient the last backward pass left in it. */
export interface Variable {
  readonly name: string;
  readonly shape: number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

/** An optimizer's settings in Keras' config keys; a learning-rate schedule as Keras serializes it. */
export type OptimizerSettings = Record<string, number | boolean | SerializedSchedule>;

/** Updates variables in place from their gradients. */
export interface Optimizer {
  readonly name: string;
  step(variables: readonly Variable[]): void;
  getConfig(): OptimizerSettings;
}

/** Keras' gradient clipping, which every convlens optimizer takes; at most one of them, as in Keras 3. */
export interface ClipOptions {
  /** Each variable's gradient whose L2 norm exceeds this is scaled down to it (Keras' `clipnorm`). */
  clipnorm?: number;
  /** Each gradient value is clipped to [−clipvalue, clipvalue] (Keras' `clipvalue`). */
  clipvalue?: number;
  /** All the gradients are scaled down together when their joint L2 norm exceeds this (Keras' `global_clipnorm`). */
  globalClipnorm?: number;
}

const CLIP_KEYS = ['clipnorm', 'clipvalue', 'globalClipnorm'] as const;

/** The settings of Keras 3's base optimizer that every convlens optimizer takes. */
export interface OptimizerOptions extends ClipOptions {
  /** A number, or a schedule evaluated at each update's step count (Keras' `iterations`, from 0). */
  learningRate?: number | LearningRateSchedule;
  /**
   * Keras 3's decoupled weight decay: before each update, w ← w − w·weightDecay·η, with the update's
   * learning rate η (null or absent: none, Keras' None).
   */
  weightDecay?: number | null;
}

/** Throws unless `value` is a learning rate: a finite number ≥ 0 or a schedule. */
function checkLearningRate(op: string, value: unknown): asserts value is number | LearningRateSchedule {
  if (value instanceof LearningRateSchedule) return;
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new ConvlensError(`${op}: learningRate must be a finite number ≥ 0 or a LearningRateSchedule, got ${describeValue(value)}`);
  }
}

/** Throws unless `value` is a finite number ≥ `min` (a learning rate, a decay, an epsilon). */
export function checkRate(op: string, value: unknown, name: string, min = 0): asserts value is number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= min)) {
    throw new ConvlensError(`${op}: ${name} must be a finite number ≥ ${min}, got ${describeValue(value)}`);
  }
}

/** Throws unless `value` is in [0, 1) (a decay rate or beta: 1 would never update its average), or [0, 1] when `oneAllowed` (a momentum). */
export function checkFraction(op: string, value: unknown, name: string, oneAllowed = false): asserts value is number {
  const ok = typeof value === 'number' && value >= 0 && (oneAllowed ? value <= 1 : value < 1);
  if (!ok) throw new ConvlensError(`${op}: ${name} must be a number in [0, 1${oneAllowed ? ']' : ')'}, got ${describeValue(value)}`);
}

/** Throws unless `value` is true or false. */
export function checkFlag(op: string, value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ConvlensError(`${op}: ${name} must be true or false, got ${describeValue(value)}`);
}

/**
 * The optimizers' common part, Keras 3's base optimizer: option checks, the learning rate (a number
 * or a schedule), the step count, and before each update Keras' gradient clipping (applied to each
 * variable's `grad` in place: the gradients the update then uses, as in Keras) and weight decay.
 */
export abstract class ClippingOptimizer<State> implements Optimizer {
  abstract readonly name: string;
  /** Each variable's slots (moments, accumulators), made at its first update. */
  private readonly states = new Map<Variable, State>();
  private rate: number | LearningRateSchedule;
  private updates = 0;
  readonly weightDecay?: number;
  readonly clipnorm?: number;
  readonly clipvalue?: number;
  readonly globalClipnorm?: number;

  /** Checks `options` (an object of `keys` and the base optimizer's options) and takes the base's; `defaultRate` is the learning rate's default. */
  protected constructor(op: string, options: OptimizerOptions, keys: readonly string[], defaultRate: number) {
    checkOptions(op, options, ['learningRate', ...keys, 'weightDecay', ...CLIP_KEYS]);
    const given = CLIP_KEYS.filter((key) => options[key] !== undefined);
    for (const key of given) {
      const value = options[key];
      if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
        throw new ConvlensError(`${op}: ${key} must be a finite number > 0, got ${describeValue(value)}`);
      }
    }
    if (given.length > 1)
      throw new ConvlensError(`${op}: set one of clipnorm, clipvalue and globalClipnorm, as Keras does, got ${given.join(' and ')}`);
    const { learningRate = defaultRate } = options;
    checkLearningRate(op, learningRate);
    const weightDecay = options.weightDecay ?? undefined;
    if (weightDecay !== undefined) checkRate(op, weightDecay, 'weightDecay');
    this.rate = learningRate;
    this.weightDecay = weightDecay;
    this.clipnorm = options.clipnorm;
    this.clipvalue = options.clipvalue;
    this.globalClipnorm = options.globalClipnorm;
  }

  /** The learning rate as set: a number, or a schedule. */
  get learningRate(): number | LearningRateSchedule {
    return this.rate;
  }

  /** Sets the learning rate (a callback's, between updates); a number cannot replace a schedule, as in Keras. */
  set learningRate(value: number | LearningRateSchedule) {
    const rate = this.rate;
    if (rate instanceof LearningRateSchedule && !(value instanceof LearningRateSchedule)) {
      throw new ConvlensError(
        `${this.name}: the learning rate is the schedule ${rate.className}, which cannot be set to a number (as in Keras): give the optimizer a number learningRate to change it while training, got ${describeValue(value)}`,
      );
    }
    checkLearningRate(this.name, value);
    this.rate = value;
  }

  /** The learning rate the next update uses (Keras' `optimizer.learning_rate`): the schedule's at `iterations`, or the number. */
  get currentLearningRate(): number {
    const rate = this.rate;
    return rate instanceof LearningRateSchedule ? rate.valueAt(this.updates) : rate;
  }

  /** The updates made so far (Keras' `iterations`). */
  get iterations(): number {
    return this.updates;
  }

  step(variables: readonly Variable[]): void {
    this.clip(variables);
    const learningRate = this.currentLearningRate;
    if (this.weightDecay) decayWeights(variables, this.weightDecay * learningRate);
    this.update(variables, learningRate);
    this.updates++;
  }

  /** One update of every variable from its (clipped) gradient, at `learningRate`; `iterations` counts the updates before it. */
  protected abstract update(variables: readonly Variable[], learningRate: number): void;

  /** A new variable's slots, for `length` weights. */
  protected abstract newState(length: number): State;

  /** `variable`'s slots, made by newState at its first update. */
  protected stateOf(variable: Variable): State {
    let state = this.states.get(variable);
    if (state === undefined) {
      state = this.newState(variable.value.length);
      this.states.set(variable, state);
    }
    return state;
  }

  abstract getConfig(): OptimizerSettings;

  /** The learning rate in Keras' config: the number, or the schedule as Keras serializes it. */
  protected learningRateConfig(): number | SerializedSchedule {
    const rate = this.rate;
    return rate instanceof LearningRateSchedule ? serializeSchedule(rate) : rate;
  }

  /** The weight decay and clip settings in Keras' config keys, those that are set. */
  protected sharedConfig(): Record<string, number> {
    const { weightDecay, clipnorm, clipvalue, globalClipnorm } = this;
    const config: Record<string, number> = {};
    if (weightDecay !== undefined) config.weight_decay = weightDecay;
    if (clipnorm !== undefined) config.clipnorm = clipnorm;
    if (clipvalue !== undefined) config.clipvalue = clipvalue;
    if (globalClipnorm !== undefined) config.global_clipnorm = globalClipnorm;
    return config;
  }

  /** Keras' `_clip_gradients`: g·c/max(‖g‖, c) per variable, g·c·min(1/‖G‖, 1/c) over all, or clip(g, −c, c). */
  private clip(variables: readonly Variable[]): void {
    const { clipnorm, clipvalue, globalClipnorm } = this;
    if (clipnorm !== undefined) {
      for (const { grad } of variables) scale(grad, clipnorm / Math.max(Math.sqrt(sumOfSquares(grad)), clipnorm));
    } else if (globalClipnorm !== undefined) {
      let total = 0;
      for (const { grad } of variables) total += sumOfSquares(grad);
      const norm = Math.sqrt(total);
      // as Keras: an infinite or NaN norm makes the factor NaN, rather than a silent rescale
      const factor = globalClipnorm * Math.min(1 / norm, 1 / globalClipnorm) + (norm - norm);
      for (const { grad } of variables) scale(grad, factor);
    } else if (clipvalue !== undefined) {
      for (const { grad } of variables) {
        for (let i = 0; i < grad.length; i++) grad[i] = Math.min(Math.max(grad[i], -clipvalue), clipvalue);
      }
    }
  }
}

function sumOfSquares(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return sum;
}

/** Keras' `_apply_weight_decay`: w ← w − w·(weight decay·learning rate). */
function decayWeights(variables: readonly Variable[], factor: number): void {
  for (const { value: w } of variables) {
    for (let i = 0; i < w.length; i++) w[i] -= w[i] * factor;
  }
}

function scale(values: Float32Array, factor: number): void {
  if (factor === 1) return;
  for (let i = 0; i < values.length; i++) values[i] *= factor;
}

/**
 * `options` with `key` set to `value` where it is not given: a tfjs-style factory's default where
 * it differs from Keras' class. Anything but an object is passed on for the constructor to refuse.
 */
export function withDefault<T extends object, K extends keyof T>(options: T | undefined, key: K, value: T[K]): T | undefined {
  if (options === undefined) return { [key]: value } as T;
  const plain = typeof options === 'object' && options !== null && !Array.isArray(options);
  return plain && options[key] === undefined ? { ...options, [key]: value } : options;
}
