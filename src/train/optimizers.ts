import { ConvlensError, describeValue } from '../errors.js';
import { Adadelta } from './adadelta.js';
import { Adagrad } from './adagrad.js';
import { Adamax } from './adamax.js';
import {
  ClippingOptimizer,
  checkFlag,
  checkFraction,
  checkRate,
  type LearningRate,
  type Optimizer,
  type OptimizerOptions,
  type OptimizerSettings,
  optionsOf,
  slot,
  type TfjsSlot,
  type Variable,
  withDefault,
} from './optimizer.js';

export type {
  ClipOptions,
  LearningRate,
  LearningRateFunction,
  Optimizer,
  OptimizerOptions,
  OptimizerSettings,
  OptimizerWeight,
  Variable,
} from './optimizer.js';

export interface SgdOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
}

/** Keras' SGD: v ← μ·v − η·g; w ← w + v (Nesterov: w ← w + μ·v − η·g). */
export class SGD extends ClippingOptimizer<Float32Array> {
  readonly name = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(given: SgdOptions | LearningRate = {}) {
    const options = optionsOf(given);
    super('sgd', options, ['momentum', 'nesterov'], 0.01);
    const { momentum = 0, nesterov = false } = options;
    checkFraction('sgd', momentum, 'momentum', true);
    checkFlag('sgd', nesterov, 'nesterov');
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  protected newState(length: number): Float32Array {
    return new Float32Array(length);
  }

  protected update(variables: readonly Variable[], lr: number): void {
    const mu = this.momentum;
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      if (mu === 0) {
        for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
        continue;
      }
      const v = this.stateOf(variable);
      for (let i = 0; i < w.length; i++) {
        v[i] = mu * v[i] - lr * g[i];
        w[i] += this.nesterov ? mu * v[i] - lr * g[i] : v[i];
      }
    }
  }

  getConfig(): OptimizerSettings {
    return { learning_rate: this.learningRateConfig(), momentum: this.momentum, nesterov: this.nesterov, ...this.sharedConfig() };
  }

  /**
   * tfjs' SGD has no slots; its Momentum (momentum or nesterov) an accumulator a ← μa + g with
   * w ← w − η·a, which is our velocity v = −η·a at the current learning rate η.
   */
  protected tfjsSlots(): readonly TfjsSlot<Float32Array>[] {
    if (this.momentum === 0 && !this.nesterov) return [];
    return [
      {
        name: 'momentum',
        get: (v) => {
          const lr = this.currentLearningRate;
          // with no learning rate, no step has moved the velocity from 0
          return v.map((x) => (lr === 0 ? 0 : -x / lr));
        },
        set: (v, a) => {
          const lr = this.currentLearningRate;
          for (let i = 0; i < v.length; i++) v[i] = -lr * a[i];
        },
      },
    ];
  }
}

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Divide by the largest second moment seen so far (Reddi et al.'s AMSGrad, Keras' `amsgrad`); tfjs lacks it. */
  amsgrad?: boolean;
}

/** Keras' Adam: bias-corrected step size, epsilon added to √v (defaults 1e-3, 0.9, 0.999, 1e-7). */
export class Adam extends ClippingOptimizer<{ m: Float32Array; v: Float32Array; vMax?: Float32Array }> {
  /** 'adam', or 'adamw' for AdamW. */
  readonly name: string = 'adam';
  /** The name its messages go by, before `name` is set (AdamW's differs). */
  protected static readonly opName: string = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  constructor(given: AdamOptions | LearningRate = {}) {
    const op = new.target.opName;
    const options = optionsOf(given);
    super(op, options, ['beta1', 'beta2', 'epsilon', 'amsgrad'], 0.001);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, amsgrad = false } = options;
    checkFraction(op, beta1, 'beta1');
    checkFraction(op, beta2, 'beta2');
    checkRate(op, epsilon, 'epsilon');
    checkFlag(op, amsgrad, 'amsgrad');
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.amsgrad = amsgrad;
  }

  protected newState(length: number) {
    return { m: new Float32Array(length), v: new Float32Array(length), vMax: this.amsgrad ? new Float32Array(length) : undefined };
  }

  protected update(variables: readonly Variable[], lr: number): void {
    const { beta1: b1, beta2: b2, epsilon } = this;
    const t = this.iterations + 1;
    const stepSize = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      const { m, v, vMax } = this.stateOf(variable);
      if (vMax) {
        for (let i = 0; i < w.length; i++) {
          m[i] = b1 * m[i] + (1 - b1) * g[i];
          v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
          if (v[i] > vMax[i]) vMax[i] = v[i];
          w[i] -= (stepSize * m[i]) / (Math.sqrt(vMax[i]) + epsilon);
        }
        continue;
      }
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + epsilon);
      }
    }
  }

  getConfig(): OptimizerSettings {
    const { beta1, beta2, epsilon, amsgrad } = this;
    return { learning_rate: this.learningRateConfig(), beta_1: beta1, beta_2: beta2, epsilon, amsgrad, ...this.sharedConfig() };
  }

  /** tfjs' Adam: the first moments m, then the second moments v, as ours (uncorrected). */
  protected tfjsSlots(): readonly TfjsSlot<{ m: Float32Array; v: Float32Array }>[] | string {
    if (this.amsgrad) return 'amsgrad (the largest second moments; tfjs has no AMSGrad)';
    return [slot('m', (s) => s.m), slot('v', (s) => s.v)];
  }
}

/** Keras 3's AdamW: Adam with its decoupled weight decay on (default 0.004), which it requires. */
export class AdamW extends Adam {
  override readonly name: string = 'adamw';
  protected static override readonly opName: string = 'adamw';

  constructor(learningRateOrOptions: AdamOptions | LearningRate = {}) {
    const options = optionsOf(learningRateOrOptions);
    const given = typeof options === 'object' && options !== null ? options.weightDecay : undefined;
    if (given === null)
      throw new ConvlensError('adamw: weightDecay must be a finite number ≥ 0 (AdamW requires one, as in Keras), got null');
    super(withDefault(options, 'weightDecay', 0.004));
  }
}

export interface RmspropOptions extends OptimizerOptions {
  /** Discount of the running mean of squared gradients (tfjs calls it `decay`). */
  rho?: number;
  momentum?: number;
  epsilon?: number;
  /** Divide by the gradients' estimated variance rather than their mean square. */
  centered?: boolean;
}

/**
 * Keras' RMSprop (defaults 1e-3, ρ 0.9, no momentum, ε 1e-7): s ← ρs + (1 − ρ)g²; Δ = η·g/√(s + ε)
 * (centered: √(s − ḡ² + ε), with ḡ ← ρḡ + (1 − ρ)g); with momentum, v ← μv + Δ and w ← w − v,
 * else w ← w − Δ. tfjs' rmsprop is the same update.
 */
export class RMSprop extends ClippingOptimizer<{ meanSquare: Float32Array; meanGrad?: Float32Array; velocity?: Float32Array }> {
  readonly name = 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(given: RmspropOptions | LearningRate = {}) {
    const options = optionsOf(given);
    super('rmsprop', options, ['rho', 'momentum', 'epsilon', 'centered'], 0.001);
    const { rho = 0.9, momentum = 0, epsilon = 1e-7, centered = false } = options;
    checkFraction('rmsprop', rho, 'rho');
    checkFraction('rmsprop', momentum, 'momentum', true);
    checkRate('rmsprop', epsilon, 'epsilon');
    checkFlag('rmsprop', centered, 'centered');
    this.rho = rho;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.centered = centered;
  }

  protected newState(length: number) {
    return {
      meanSquare: new Float32Array(length),
      meanGrad: this.centered ? new Float32Array(length) : undefined,
      velocity: this.momentum > 0 ? new Float32Array(length) : undefined,
    };
  }

  protected update(variables: readonly Variable[], lr: number): void {
    const { rho, momentum: mu, epsilon } = this;
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      const { meanSquare: s, meanGrad: gBar, velocity: v } = this.stateOf(variable);
      for (let i = 0; i < w.length; i++) {
        s[i] = rho * s[i] + (1 - rho) * g[i] * g[i];
        let denominator = s[i] + epsilon;
        if (gBar) {
          gBar[i] = rho * gBar[i] + (1 - rho) * g[i];
          denominator -= gBar[i] * gBar[i];
        }
        const increment = (lr * g[i]) / Math.sqrt(denominator);
        if (v) {
          v[i] = mu * v[i] + increment;
          w[i] -= v[i];
        } else {
          w[i] -= increment;
        }
      }
    }
  }

  getConfig(): OptimizerSettings {
    const { rho, momentum, epsilon, centered } = this;
    return { learning_rate: this.learningRateConfig(), rho, momentum, epsilon, centered, ...this.sharedConfig() };
  }

  /**
   * tfjs' RMSProp: the mean squares (rms), the momentum accumulators (which tfjs keeps without
   * momentum too, unused then: zeros here) and, centered, the mean gradients (mg).
   */
  protected tfjsSlots() {
    type State = { meanSquare: Float32Array; meanGrad?: Float32Array; velocity?: Float32Array };
    const slots: TfjsSlot<State>[] = [
      slot('rms', (s: State) => s.meanSquare),
      {
        name: 'momentum',
        get: (s) => (s.velocity ? s.velocity.slice() : new Float32Array(s.meanSquare.length)),
        set: (s, values) => s.velocity?.set(values),
      },
    ];
    if (this.centered) slots.push(slot('mg', (s: State) => s.meanGrad!));
    return slots;
  }
}

/** Keras-style factories: `train.sgd({ learningRate, momentum })`, `train.adam({ learningRate })`. */
export function sgd(options?: SgdOptions | LearningRate): SGD {
  return new SGD(options);
}

export function adam(options?: AdamOptions | LearningRate): Adam {
  return new Adam(options);
}

export function rmsprop(options?: RmspropOptions | LearningRate): RMSprop {
  return new RMSprop(options);
}

export function adamw(options?: AdamOptions | LearningRate): AdamW {
  return new AdamW(options);
}

/** The optimizers by the names compile takes, with Keras' defaults (tfjs-layers' names differ for some, see docs/layers.md). */
const BY_NAME = new Map<string, () => Optimizer>([
  ['adam', () => new Adam()],
  ['adamw', () => new AdamW()],
  ['sgd', () => new SGD()],
  ['rmsprop', () => new RMSprop()],
  ['adagrad', () => new Adagrad()],
  ['adadelta', () => new Adadelta()],
  ['adamax', () => new Adamax()],
]);

const NAMES = [...BY_NAME.keys()].map((name) => `'${name}'`).join(', ');

/** A tf.train optimizer (tfjs-core's SGDOptimizer, AdamOptimizer...): it has applyGradients and minimize. */
function isTfjsOptimizer(value: unknown): boolean {
  const candidate = value as { applyGradients?: unknown; minimize?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.applyGradients === 'function' &&
    typeof candidate.minimize === 'function'
  );
}

/** An optimizer from a name (`'adam'`, `'adamw'`, `'sgd'`, `'rmsprop'`, `'adagrad'`, `'adadelta'`, `'adamax'`, with Keras' defaults) or the object itself. */
export function getOptimizer(optimizer: string | Optimizer): Optimizer {
  if (typeof optimizer !== 'string') {
    if (optimizer && typeof optimizer.step === 'function') return optimizer;
    if (isTfjsOptimizer(optimizer)) {
      throw new ConvlensError(
        `compile: optimizer is a TensorFlow.js optimizer (${describeValue(optimizer)}), which cannot update convlens' weights: use convlens' own, e.g. train.sgd({ learningRate: 0.1 }) for tf.train.sgd(0.1), train.adam({ learningRate }) for tf.train.adam(learningRate), or a name (${NAMES})`,
      );
    }
    throw new ConvlensError(`compile: optimizer must be one of ${NAMES} or an optimizer object, got ${describeValue(optimizer)}`);
  }
  const make = BY_NAME.get(optimizer.toLowerCase());
  if (!make) throw new ConvlensError(`compile: unknown optimizer ${describeValue(optimizer)} (expected one of ${NAMES})`);
  return make();
}
