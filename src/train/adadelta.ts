import {
  ClippingOptimizer,
  checkFlag,
  checkFraction,
  checkRate,
  type LearningRate,
  type OptimizerOptions,
  type OptimizerSettings,
  optionsOf,
  slot,
  type Variable,
  withDefault,
} from './optimizer.js';

export interface AdadeltaOptions extends OptimizerOptions {
  /** Discount of the running means of squared gradients and updates. */
  rho?: number;
  epsilon?: number;
  /**
   * Update as tfjs' `tf.train.adadelta` does: scale by the RMS of the gradients up to the previous
   * step, where Keras, TensorFlow and Zeiler's paper include this step's. Default false for
   * `new Adadelta()`, true for `train.adadelta()`.
   */
  tfjsUpdate?: boolean;
}

/**
 * Keras' Adadelta (defaults 1e-3, ρ 0.95, ε 1e-7): a ← ρa + (1 − ρ)g²; Δ = g·√(d + ε)/√(a + ε);
 * d ← ρd + (1 − ρ)Δ²; w ← w − η·Δ. With `tfjsUpdate`, Δ takes `a` before this step's g²,
 * as tfjs computes it (its first step is then plain SGD, w ← w − η·g).
 */
export class Adadelta extends ClippingOptimizer<{ meanSquareGrad: Float32Array; meanSquareUpdate: Float32Array }> {
  readonly name = 'adadelta';
  readonly rho: number;
  readonly epsilon: number;
  readonly tfjsUpdate: boolean;

  constructor(given: AdadeltaOptions | LearningRate = {}) {
    const options = optionsOf(given);
    super('adadelta', options, ['rho', 'epsilon', 'tfjsUpdate'], 0.001);
    const { rho = 0.95, epsilon = 1e-7, tfjsUpdate = false } = options;
    checkFraction('adadelta', rho, 'rho');
    checkRate('adadelta', epsilon, 'epsilon');
    checkFlag('adadelta', tfjsUpdate, 'tfjsUpdate');
    this.rho = rho;
    this.epsilon = epsilon;
    this.tfjsUpdate = tfjsUpdate;
  }

  protected newState(length: number) {
    return { meanSquareGrad: new Float32Array(length), meanSquareUpdate: new Float32Array(length) };
  }

  protected update(variables: readonly Variable[], lr: number): void {
    const { rho, epsilon, tfjsUpdate } = this;
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      const { meanSquareGrad: a, meanSquareUpdate: d } = this.stateOf(variable);
      for (let i = 0; i < w.length; i++) {
        const before = a[i];
        a[i] = rho * a[i] + (1 - rho) * g[i] * g[i];
        const delta = (g[i] * Math.sqrt(d[i] + epsilon)) / Math.sqrt((tfjsUpdate ? before : a[i]) + epsilon);
        d[i] = rho * d[i] + (1 - rho) * delta * delta;
        w[i] -= lr * delta;
      }
    }
  }

  /** tfjs' Adadelta: the mean squared gradients (accum_grad), then the mean squared updates (accum_var). */
  protected tfjsSlots() {
    type State = { meanSquareGrad: Float32Array; meanSquareUpdate: Float32Array };
    return [slot('accum_grad', (s: State) => s.meanSquareGrad), slot('accum_var', (s: State) => s.meanSquareUpdate)];
  }

  getConfig(): OptimizerSettings {
    const { rho, epsilon } = this;
    return { learning_rate: this.learningRateConfig(), rho, epsilon, ...this.sharedConfig() };
  }
}

/** tfjs-style factory, as `tf.train.adadelta(learningRate, rho, epsilon)`: its defaults (Keras' too) and its update (see `tfjsUpdate`). */
export function adadelta(options?: AdadeltaOptions | LearningRate): Adadelta {
  return new Adadelta(withDefault(options === undefined ? options : optionsOf(options), 'tfjsUpdate', true));
}
