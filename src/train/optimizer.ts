import { ConvlensError, checkOptions, describeValue } from '../errors.js';

/** A trainable variable: its values and the gradient the last backward pass left in it. */
export interface Variable {
  readonly name: string;
  readonly shape: number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

/** Updates variables in place from their gradients. */
export interface Optimizer {
  readonly name: string;
  step(variables: readonly Variable[]): void;
  getConfig(): Record<string, number | boolean>;
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
 * The optimizers' common part: option checks and Keras' gradient clipping, applied to each
 * variable's `grad` in place before the update (the gradients the update then uses, as in Keras).
 */
export abstract class ClippingOptimizer<State> implements Optimizer {
  abstract readonly name: string;
  /** Each variable's slots (moments, accumulators), made at its first update. */
  private readonly states = new Map<Variable, State>();
  readonly clipnorm?: number;
  readonly clipvalue?: number;
  readonly globalClipnorm?: number;

  /** Checks `options` (an object of `keys` and the clip options) and takes the clip options. */
  protected constructor(op: string, options: ClipOptions, keys: readonly string[]) {
    checkOptions(op, options, [...keys, ...CLIP_KEYS]);
    const given = CLIP_KEYS.filter((key) => options[key] !== undefined);
    for (const key of given) {
      const value = options[key];
      if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
        throw new ConvlensError(`${op}: ${key} must be a finite number > 0, got ${describeValue(value)}`);
      }
    }
    if (given.length > 1)
      throw new ConvlensError(`${op}: set one of clipnorm, clipvalue and globalClipnorm, as Keras does, got ${given.join(' and ')}`);
    this.clipnorm = options.clipnorm;
    this.clipvalue = options.clipvalue;
    this.globalClipnorm = options.globalClipnorm;
  }

  step(variables: readonly Variable[]): void {
    this.clip(variables);
    this.update(variables);
  }

  /** One update of every variable from its (clipped) gradient. */
  protected abstract update(variables: readonly Variable[]): void;

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

  abstract getConfig(): Record<string, number | boolean>;

  /** The clip setting in Keras' config keys, if any. */
  protected clipConfig(): Record<string, number> {
    const { clipnorm, clipvalue, globalClipnorm } = this;
    if (clipnorm !== undefined) return { clipnorm };
    if (clipvalue !== undefined) return { clipvalue };
    return globalClipnorm === undefined ? {} : { global_clipnorm: globalClipnorm };
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
