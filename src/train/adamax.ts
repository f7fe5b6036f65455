import {
  ClippingOptimizer,
  checkFraction,
  checkRate,
  type LearningRate,
  type OptimizerOptions,
  type OptimizerSettings,
  optionsOf,
  type Variable,
  withDefault,
} from './optimizer.js';

export interface AdamaxOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** tfjs' learning-rate decay: step t uses η/(1 + decay·(t − 1)) (tf.keras 2's `decay` too; Keras 3 has none). */
  decay?: number;
}

/**
 * Keras' Adamax (defaults 1e-3, 0.9, 0.999, ε 1e-7): m ← β₁m + (1 − β₁)g; u ← max(β₂u, |g|);
 * w ← w − η/(1 − β₁ᵗ)·m/(u + ε). tfjs' adamax is the same update (its factory defaults to η 2e-3).
 */
export class Adamax extends ClippingOptimizer<{ m: Float32Array; u: Float32Array }> {
  readonly name = 'adamax';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly decay: number;

  constructor(given: AdamaxOptions | LearningRate = {}) {
    const options = optionsOf(given);
    super('adamax', options, ['beta1', 'beta2', 'epsilon', 'decay'], 0.001);
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, decay = 0 } = options;
    checkFraction('adamax', beta1, 'beta1');
    checkFraction('adamax', beta2, 'beta2');
    checkRate('adamax', epsilon, 'epsilon');
    checkRate('adamax', decay, 'decay');
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.decay = decay;
  }

  protected newState(length: number) {
    return { m: new Float32Array(length), u: new Float32Array(length) };
  }

  protected update(variables: readonly Variable[], lr: number): void {
    const { beta1: b1, beta2: b2, epsilon } = this;
    const t = this.iterations + 1;
    const stepSize = lr / (1 + this.decay * (t - 1)) / (1 - b1 ** t);
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      const { m, u } = this.stateOf(variable);
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        u[i] = Math.max(b2 * u[i], Math.abs(g[i]));
        w[i] -= (stepSize * m[i]) / (u[i] + epsilon);
      }
    }
  }

  getConfig(): OptimizerSettings {
    const { beta1, beta2, epsilon, decay } = this;
    const config = { learning_rate: this.learningRateConfig(), beta_1: beta1, beta_2: beta2, epsilon, ...this.sharedConfig() };
    return decay === 0 ? config : { ...config, decay };
  }

  /** tfjs-layers saves no Adamax state (its getWeights throws 'not implemented'). */
  protected tfjsSlots(): string {
    return 'its moments (tfjs-layers saves no Adamax state: its getWeights is not implemented)';
  }
}

/** tfjs-style factory, as `tf.train.adamax(learningRate, beta1, beta2, epsilon, decay)`: its learning rate defaults to tfjs' 0.002 (Keras' Adamax to 0.001). */
export function adamax(options?: AdamaxOptions | LearningRate): Adamax {
  return new Adamax(withDefault(options === undefined ? options : optionsOf(options), 'learningRate', 0.002));
}
