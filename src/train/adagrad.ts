import { ConvlensError } from '../errors.js';
import {
  ClippingOptimizer,
  checkRate,
  type LearningRate,
  type OptimizerOptions,
  type OptimizerSettings,
  optionsOf,
  slot,
  type Variable,
} from './optimizer.js';

export interface AdagradOptions extends OptimizerOptions {
  /** The accumulators' starting value (Keras' `initial_accumulator_value`, tfjs' `initialAccumulatorValue`). */
  initialAccumulatorValue?: number;
  epsilon?: number;
}

/**
 * Keras' Adagrad (defaults 1e-3, accumulators from 0.1, ε 1e-7): a ← a + g²; w ← w − η·g/√(a + ε).
 * tfjs' adagrad is the same update with ε fixed at its backend's 1e-7. (tf.keras 2's legacy
 * Adagrad added ε to √a instead.)
 */
export class Adagrad extends ClippingOptimizer<Float32Array> {
  readonly name = 'adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(given: AdagradOptions | LearningRate = {}) {
    const options = optionsOf(given);
    super('adagrad', options, ['initialAccumulatorValue', 'epsilon'], 0.001);
    const { initialAccumulatorValue = 0.1, epsilon = 1e-7 } = options;
    checkRate('adagrad', initialAccumulatorValue, 'initialAccumulatorValue');
    checkRate('adagrad', epsilon, 'epsilon');
    this.initialAccumulatorValue = initialAccumulatorValue;
    this.epsilon = epsilon;
  }

  protected newState(length: number): Float32Array {
    return new Float32Array(length).fill(this.initialAccumulatorValue);
  }

  protected update(variables: readonly Variable[], lr: number): void {
    const { epsilon } = this;
    for (const variable of variables) {
      const { value: w, grad: g } = variable;
      const a = this.stateOf(variable);
      for (let i = 0; i < w.length; i++) {
        a[i] += g[i] * g[i];
        w[i] -= (lr * g[i]) / Math.sqrt(a[i] + epsilon);
      }
    }
  }

  /** tfjs' Adagrad: the sums of squared gradients (accumulator), from initialAccumulatorValue as ours. */
  protected tfjsSlots() {
    return [slot('accumulator', (s: Float32Array) => s)];
  }

  getConfig(): OptimizerSettings {
    const { initialAccumulatorValue, epsilon } = this;
    return {
      learning_rate: this.learningRateConfig(),
      initial_accumulator_value: initialAccumulatorValue,
      epsilon,
      ...this.sharedConfig(),
    };
  }
}

/**
 * tfjs-style factory, as `tf.train.adagrad(learningRate, initialAccumulatorValue)`: the learning
 * rate is required, as there (`new Adagrad()` takes Keras' 0.001; tfjs-layers' name 'adagrad' 0.01).
 */
export function adagrad(learningRateOrOptions: (AdagradOptions & { learningRate: number }) | number): Adagrad {
  const options = optionsOf(learningRateOrOptions);
  const given = typeof options === 'object' && options !== null ? options.learningRate !== undefined : options !== undefined;
  if (!given) throw new ConvlensError("adagrad: learningRate is required, as in tf.train.adagrad (new Adagrad() defaults to Keras' 0.001)");
  return new Adagrad(options);
}
