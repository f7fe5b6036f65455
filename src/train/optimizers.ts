import { ConvlensError, describeValue } from '../errors.js';
import { Adadelta } from './adadelta.js';
import { Adagrad } from './adagrad.js';
import { Adamax } from './adamax.js';
import { type ClipOptions, ClippingOptimizer, checkFlag, checkFraction, checkRate, type Optimizer, type Variable } from './optimizer.js';

export type { ClipOptions, Optimizer, Variable } from './optimizer.js';

export interface SgdOptions extends ClipOptions {
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
}

/** Keras' SGD: v ← μ·v − η·g; w ← w + v (Nesterov: w ← w + μ·v − η·g). */
export class SGD extends ClippingOptimizer<Float32Array> {
  readonly name = 'sgd';
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SgdOptions = {}) {
    super('sgd', options, ['learningRate', 'momentum', 'nesterov']);
    const { learningRate = 0.01, momentum = 0, nesterov = false } = options;
    checkRate('sgd', learningRate, 'learningRate');
    checkFraction('sgd', momentum, 'momentum', true);
    checkFlag('sgd', nesterov, 'nesterov');
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  protected newState(length: number): Float32Array {
    return new Float32Array(length);
  }

  protected update(variables: readonly Variable[]): void {
    const { learningRate: lr, momentum: mu } = this;
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

  getConfig(): Record<string, number | boolean> {
    return { learning_rate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov, ...this.clipConfig() };
  }
}

export interface AdamOptions extends ClipOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Divide by the largest second moment seen so far (Reddi et al.'s AMSGrad, Keras' `amsgrad`); tfjs lacks it. */
  amsgrad?: boolean;
}

/** Keras' Adam: bias-corrected step size, epsilon added to √v (defaults 1e-3, 0.9, 0.999, 1e-7). */
export class Adam extends ClippingOptimizer<{ m: Float32Array; v: Float32Array; vMax?: Float32Array }> {
  readonly name = 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  private iterations = 0;

  constructor(options: AdamOptions = {}) {
    super('adam', options, ['learningRate', 'beta1', 'beta2', 'epsilon', 'amsgrad']);
    const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, amsgrad = false } = options;
    checkRate('adam', learningRate, 'learningRate');
    checkFraction('adam', beta1, 'beta1');
    checkFraction('adam', beta2, 'beta2');
    checkRate('adam', epsilon, 'epsilon');
    checkFlag('adam', amsgrad, 'amsgrad');
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.amsgrad = amsgrad;
  }

  protected newState(length: number) {
    return { m: new Float32Array(length), v: new Float32Array(length), vMax: this.amsgrad ? new Float32Array(length) : undefined };
  }

  protected update(variables: readonly Variable[]): void {
    this.iterations++;
    const { beta1: b1, beta2: b2, epsilon } = this;
    const stepSize = (this.learningRate * Math.sqrt(1 - b2 ** this.iterations)) / (1 - b1 ** this.iterations);
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

  getConfig(): Record<string, number | boolean> {
    const { learningRate, beta1, beta2, epsilon, amsgrad } = this;
    return { learning_rate: learningRate, beta_1: beta1, beta_2: beta2, epsilon, amsgrad, ...this.clipConfig() };
  }
}

export interface RmspropOptions extends ClipOptions {
  learningRate?: number;
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
  readonly learningRate: number;
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(options: RmspropOptions = {}) {
    super('rmsprop', options, ['learningRate', 'rho', 'momentum', 'epsilon', 'centered']);
    const { learningRate = 0.001, rho = 0.9, momentum = 0, epsilon = 1e-7, centered = false } = options;
    checkRate('rmsprop', learningRate, 'learningRate');
    checkFraction('rmsprop', rho, 'rho');
    checkFraction('rmsprop', momentum, 'momentum', true);
    checkRate('rmsprop', epsilon, 'epsilon');
    checkFlag('rmsprop', centered, 'centered');
    this.learningRate = learningRate;
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

  protected update(variables: readonly Variable[]): void {
    const { learningRate: lr, rho, momentum: mu, epsilon } = this;
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

  getConfig(): Record<string, number | boolean> {
    const { learningRate, rho, momentum, epsilon, centered } = this;
    return { learning_rate: learningRate, rho, momentum, epsilon, centered, ...this.clipConfig() };
  }
}

/** Keras-style factories: `train.sgd({ learningRate, momentum })`, `train.adam({ learningRate })`. */
export function sgd(options?: SgdOptions): SGD {
  return new SGD(options);
}

export function adam(options?: AdamOptions): Adam {
  return new Adam(options);
}

export function rmsprop(options?: RmspropOptions): RMSprop {
  return new RMSprop(options);
}

/** The optimizers by the names compile takes, with Keras' defaults (tfjs-layers' names differ for some, see the README). */
const BY_NAME = new Map<string, () => Optimizer>([
  ['adam', () => new Adam()],
  ['sgd', () => new SGD()],
  ['rmsprop', () => new RMSprop()],
  ['adagrad', () => new Adagrad()],
  ['adadelta', () => new Adadelta()],
  ['adamax', () => new Adamax()],
]);

const NAMES = [...BY_NAME.keys()].map((name) => `'${name}'`).join(', ');

/** An optimizer from a name (`'adam'`, `'sgd'`, `'rmsprop'`, `'adagrad'`, `'adadelta'`, `'adamax'`, with Keras' defaults) or the object itself. */
export function getOptimizer(optimizer: string | Optimizer): Optimizer {
  if (typeof optimizer !== 'string') {
    if (optimizer && typeof optimizer.step === 'function') return optimizer;
    throw new ConvlensError(`compile: optimizer must be one of ${NAMES} or an optimizer object, got ${describeValue(optimizer)}`);
  }
  const make = BY_NAME.get(optimizer.toLowerCase());
  if (!make) throw new ConvlensError(`compile: unknown optimizer ${describeValue(optimizer)} (expected one of ${NAMES})`);
  return make();
}
