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

/** Keras-style factories: `train.sgd({ learningRate, momentum })`, `train.adam({ learningRate })`. */
export function sgd(options?: SgdOptions): SGD {
  return new SGD(options);
}

export function adam(options?: AdamOptions): Adam {
  return new Adam(options);
}

/** An optimizer from a name (`'adam'`, `'sgd'`, with Keras' defaults) or the object itself. */
export function getOptimizer(optimizer: string | Optimizer): Optimizer {
  if (typeof optimizer !== 'string') {
    if (optimizer && typeof optimizer.step === 'function') return optimizer;
    throw new ConvlensError(`compile: optimizer must be 'adam', 'sgd' or an optimizer object, got ${describeValue(optimizer)}`);
  }
  switch (optimizer.toLowerCase()) {
    case 'adam':
      return new Adam();
    case 'sgd':
      return new SGD();
    default:
      throw new ConvlensError(`compile: unknown optimizer ${describeValue(optimizer)} (expected 'adam' or 'sgd')`);
  }
}
