import { describe, expect, it } from 'vitest';
import { expectClose, reportDiff } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { compareWithTf, variable } from '../../test/helpers/optimizers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Adagrad, adagrad } from './adagrad.js';

describe('Adagrad', () => {
  it('steps match tf.train.adagrad on the same gradients (its ε is the backend’s 1e-7, our default)', () => {
    const worst = compareWithTf(new Adagrad({ learningRate: 0.05 }), tf.train.adagrad(0.05), 8, 'adagrad', { rtol: 1e-5 });
    reportDiff('Adagrad vs tf.train.adagrad', worst);
    compareWithTf(adagrad({ learningRate: 0.2, initialAccumulatorValue: 0.5 }), tf.train.adagrad(0.2, 0.5), 8, 'adagrad acc 0.5', {
      rtol: 1e-5,
    });
    // accumulators from 0: the first step is η·sign(g), whatever the gradient's size
    compareWithTf(new Adagrad({ learningRate: 0.01, initialAccumulatorValue: 0 }), tf.train.adagrad(0.01, 0), 6, 'adagrad acc 0', {
      rtol: 1e-5,
      gradScale: 1e-3,
    });
  });

  it("follows Keras' documented update with another ε (float64 reference)", () => {
    const [lr, initial, eps] = [0.1, 0.2, 1e-3];
    const rng = caseRng('adagrad formula', 0);
    const w0 = rng.floats(6);
    const v = variable('w', w0);
    const optimizer = new Adagrad({ learningRate: lr, initialAccumulatorValue: initial, epsilon: eps });
    const w = Float64Array.from(w0);
    const accumulator = new Float64Array(6).fill(initial);
    for (let t = 1; t <= 10; t++) {
      v.grad.set(rng.floats(6, -0.1, 0.1));
      optimizer.step([v]);
      // keras.optimizers.Adagrad: a ← a + g²; w ← w − lr·g/√(a + ε)
      for (let i = 0; i < 6; i++) {
        const g = v.grad[i];
        accumulator[i] += g * g;
        w[i] -= (lr * g) / Math.sqrt(accumulator[i] + eps);
      }
      expectClose(v.value, w, 1e-6, `step ${t}`);
    }
  });

  it("takes Keras' defaults as a class, tfjs' as the factory (whose learning rate is required, as in tf.train.adagrad)", () => {
    expect(new Adagrad().getConfig()).toEqual({ learning_rate: 0.001, initial_accumulator_value: 0.1, epsilon: 1e-7 });
    expect(adagrad({ learningRate: 0.3 }).getConfig()).toEqual({ learning_rate: 0.3, initial_accumulator_value: 0.1, epsilon: 1e-7 });
    const required = "adagrad: learningRate is required, as in tf.train.adagrad (new Adagrad() defaults to Keras' 0.001)";
    expectConvlensError(() => adagrad(undefined as never), required);
    expectConvlensError(() => adagrad({} as never), required);
    expectConvlensError(() => adagrad(null as never), /^adagrad: expected a learning rate or an options object/);
  });

  it('refuses bad settings, naming the option', () => {
    expectConvlensError(
      () => new Adagrad({ learningRate: -0.1 }),
      'adagrad: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function () => number, got -0.1',
    );
    expectConvlensError(
      () => new Adagrad({ initialAccumulatorValue: Number.NaN }),
      'adagrad: initialAccumulatorValue must be a finite number ≥ 0, got NaN',
    );
    expectConvlensError(() => new Adagrad({ epsilon: -1e-7 }), 'adagrad: epsilon must be a finite number ≥ 0, got -1e-7');
    expectConvlensError(
      () => new Adagrad({ initial_accumulator_value: 0.1 } as never),
      "adagrad: unknown option 'initial_accumulator_value' (did you mean 'initialAccumulatorValue'?)",
    );
  });
});
