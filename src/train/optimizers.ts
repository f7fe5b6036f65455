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

function checkRate(op: string, value: number, name: string, min = 0): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= min)) {
    throw new ConvlensError(`${op}: ${name} must be a finite number ≥ ${min}, got ${describeValue(value)}`);
  }
}

const SGD_KEYS = ['learningRate', 'momentum', 'nesterov'];
const ADAM_KEYS = ['learningRate', 'beta1', 'beta2', 'epsilon'];
const RMSPROP_KEYS = ['learningRate', 'rho', 'momentum', 'epsilon', 'centered'];

export interface SgdOptions {
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
}

/** Keras' SGD: v ← μ·v − η·g; w ← w + v (Nesterov: w ← w + μ·v − η·g). */
export class SGD implements Optimizer {
  readonly name = 'sgd';
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly velocity = new Map<Variable, Float32Array>();

  constructor(options: SgdOptions = {}) {
    checkOptions('sgd', options, SGD_KEYS);
    const { learningRate = 0.01, momentum = 0, nesterov = false } = options;
    checkRate('sgd', learningRate, 'learningRate');
    checkRate('sgd', momentum, 'momentum');
    if (momentum > 1) throw new ConvlensError(`sgd: momentum must be from 0 to 1, as in Keras, got ${momentum}`);
    if (typeof nesterov !== 'boolean') throw new ConvlensError(`sgd: nesterov must be true or false, got ${describeValue(nesterov)}`);
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  step(variables: readonly Variable[]): void {
    const { learningRate: lr, momentum: mu } = this;
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      if (mu === 0) {
        for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
        continue;
      }
      const v = this.velocity.get(variable) ?? new Float32Array(w.length);
      this.velocity.set(variable, v);
      for (let i = 0; i < w.length; i++) {
        v[i] = mu * v[i] - lr * g[i];
        w[i] += this.nesterov ? mu * v[i] - lr * g[i] : v[i];
      }
    }
  }

  getConfig(): Record<string, number | boolean> {
    return { learning_rate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov };
  }
}

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Keras' Adam: bias-corrected step size, epsilon added to √v (defaults 1e-3, 0.9, 0.999, 1e-7). */
export class Adam implements Optimizer {
  readonly name = 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private iterations = 0;
  private readonly moments = new Map<Variable, { m: Float32Array; v: Float32Array }>();

  constructor(options: AdamOptions = {}) {
    checkOptions('adam', options, ADAM_KEYS);
    const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = options;
    checkRate('adam', learningRate, 'learningRate');
    checkRate('adam', beta1, 'beta1');
    checkRate('adam', beta2, 'beta2');
    checkRate('adam', epsilon, 'epsilon');
    if (beta1 >= 1 || beta2 >= 1) throw new ConvlensError(`adam: beta1 and beta2 must be below 1, got ${beta1} and ${beta2}`);
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  step(variables: readonly Variable[]): void {
    this.iterations++;
    const { beta1: b1, beta2: b2, epsilon } = this;
    const stepSize = (this.learningRate * Math.sqrt(1 - b2 ** this.iterations)) / (1 - b1 ** this.iterations);
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      const state = this.moments.get(variable) ?? { m: new Float32Array(w.length), v: new Float32Array(w.length) };
      this.moments.set(variable, state);
      const { m, v } = state;
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + epsilon);
      }
    }
  }

  getConfig(): Record<string, number | boolean> {
    return { learning_rate: this.learningRate, beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}

export interface RmspropOptions {
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
export class RMSprop implements Optimizer {
  readonly name = 'rmsprop';
  readonly learningRate: number;
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  private readonly slots = new Map<Variable, { meanSquare: Float32Array; meanGrad?: Float32Array; velocity?: Float32Array }>();

  constructor(options: RmspropOptions = {}) {
    checkOptions('rmsprop', options, RMSPROP_KEYS);
    const { learningRate = 0.001, rho = 0.9, momentum = 0, epsilon = 1e-7, centered = false } = options;
    checkRate('rmsprop', learningRate, 'learningRate');
    checkRate('rmsprop', rho, 'rho');
    checkRate('rmsprop', momentum, 'momentum');
    checkRate('rmsprop', epsilon, 'epsilon');
    if (rho > 1 || momentum > 1) throw new ConvlensError(`rmsprop: rho and momentum must be from 0 to 1, got ${rho} and ${momentum}`);
    if (typeof centered !== 'boolean') throw new ConvlensError(`rmsprop: centered must be true or false, got ${describeValue(centered)}`);
    this.learningRate = learningRate;
    this.rho = rho;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.centered = centered;
  }

  private slotsOf(variable: Variable) {
    let slots = this.slots.get(variable);
    if (!slots) {
      const n = variable.value.length;
      slots = {
        meanSquare: new Float32Array(n),
        meanGrad: this.centered ? new Float32Array(n) : undefined,
        velocity: this.momentum > 0 ? new Float32Array(n) : undefined,
      };
      this.slots.set(variable, slots);
    }
    return slots;
  }

  step(variables: readonly Variable[]): void {
    const { learningRate: lr, rho, momentum: mu, epsilon } = this;
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      const { meanSquare: s, meanGrad: gBar, velocity: v } = this.slotsOf(variable);
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
    return { learning_rate: this.learningRate, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
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

/** An optimizer from a name (`'adam'`, `'sgd'`, `'rmsprop'`, with Keras' defaults) or the object itself. */
export function getOptimizer(optimizer: string | Optimizer): Optimizer {
  if (typeof optimizer !== 'string') {
    if (optimizer && typeof optimizer.step === 'function') return optimizer;
    throw new ConvlensError(`compile: optimizer must be 'adam', 'sgd', 'rmsprop' or an optimizer object, got ${describeValue(optimizer)}`);
  }
  switch (optimizer.toLowerCase()) {
    case 'adam':
      return new Adam();
    case 'sgd':
      return new SGD();
    case 'rmsprop':
      return new RMSprop();
    default:
      throw new ConvlensError(`compile: unknown optimizer ${describeValue(optimizer)} (expected 'adam', 'sgd' or 'rmsprop')`);
  }
}
