import { describe, expect, it } from 'vitest';
import { expectClose, reportDiff } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { compareWithTf, variable } from '../../test/helpers/optimizers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Adadelta, adadelta } from './adadelta.js';

describe('Adadelta', () => {
  it('the tfjs-style factory steps as tf.train.adadelta on the same gradients', () => {
    const worst = compareWithTf(adadelta(), tf.train.adadelta(), 8, 'adadelta', { rtol: 1e-5 });
    reportDiff('train.adadelta vs tf.train.adadelta', worst);
    compareWithTf(adadelta({ learningRate: 1, rho: 0.9, epsilon: 1e-6 }), tf.train.adadelta(1, 0.9, 1e-6), 8, 'adadelta lr 1', {
      rtol: 1e-5,
    });
    compareWithTf(new Adadelta({ learningRate: 0.5, tfjsUpdate: true }), tf.train.adadelta(0.5), 8, 'adadelta class, tfjs update', {
      rtol: 1e-5,
    });
  });

  it("the class follows Keras' documented update (float64 reference), which divides by this step's RMS of the gradients", () => {
    const [lr, rho, eps] = [1, 0.9, 1e-6];
    const rng = caseRng('adadelta formula', 0);
    const w0 = rng.floats(6);
    const v = variable('w', w0);
    const optimizer = new Adadelta({ learningRate: lr, rho, epsilon: eps });
    expect(optimizer.tfjsUpdate).toBe(false);
    const w = Float64Array.from(w0);
    const [meanSquareGrad, meanSquareDelta] = [new Float64Array(6), new Float64Array(6)];
    for (let t = 1; t <= 10; t++) {
      v.grad.set(rng.floats(6));
      optimizer.step([v]);
      // keras.optimizers.Adadelta: a ← ρa + (1 − ρ)g²; Δ = −√(d + ε)·g/√(a + ε); d ← ρd + (1 − ρ)Δ²; w ← w + lr·Δ
      for (let i = 0; i < 6; i++) {
        const g = v.grad[i];
        meanSquareGrad[i] = rho * meanSquareGrad[i] + (1 - rho) * g * g;
        const delta = (-Math.sqrt(meanSquareDelta[i] + eps) * g) / Math.sqrt(meanSquareGrad[i] + eps);
        meanSquareDelta[i] = rho * meanSquareDelta[i] + (1 - rho) * delta * delta;
        w[i] += lr * delta;
      }
      expectClose(v.value, w, 1e-5, `step ${t}`);
    }
  });

  it("tfjs' first step is plain SGD, Keras' a step of about η·√(ε/(1 − ρ)) against the gradient", () => {
    const keras = variable('keras', Float32Array.of(1, 1));
    const tfjs = variable('tfjs', Float32Array.of(1, 1));
    for (const v of [keras, tfjs]) v.grad.set([0.5, -2]);
    new Adadelta({ learningRate: 1 }).step([keras]);
    adadelta({ learningRate: 1 }).step([tfjs]);
    expectClose(tfjs.value, [1 - 0.5, 1 + 2], 1e-6);
    const step = (g: number) => (Math.sqrt(1e-7) * g) / Math.sqrt(0.05 * g * g + 1e-7);
    expectClose(keras.value, [1 - step(0.5), 1 - step(-2)], 1e-6);
  });

  it("defaults to Keras' and tfjs' (1e-3, ρ 0.95, ε 1e-7) and refuses bad settings, naming the option", () => {
    expect(new Adadelta().getConfig()).toEqual({ learning_rate: 0.001, rho: 0.95, epsilon: 1e-7 });
    expect(adadelta().getConfig()).toEqual({ learning_rate: 0.001, rho: 0.95, epsilon: 1e-7 });
    expect(adadelta().tfjsUpdate).toBe(true);
    expect(adadelta({ tfjsUpdate: false }).tfjsUpdate).toBe(false);
    expectConvlensError(() => new Adadelta({ rho: 1 }), 'adadelta: rho must be a number in [0, 1), got 1');
    expectConvlensError(() => adadelta({ rho: -0.5 }), 'adadelta: rho must be a number in [0, 1), got -0.5');
    expectConvlensError(() => new Adadelta({ rho: Number.NaN }), 'adadelta: rho must be a number in [0, 1), got NaN');
    expectConvlensError(
      () => new Adadelta({ learningRate: -1 }),
      'adadelta: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function () => number, got -1',
    );
    expectConvlensError(
      () => new Adadelta({ epsilon: Number.POSITIVE_INFINITY }),
      'adadelta: epsilon must be a finite number ≥ 0, got Infinity',
    );
    expectConvlensError(() => new Adadelta({ tfjsUpdate: 1 as never }), 'adadelta: tfjsUpdate must be true or false, got 1');
    expectConvlensError(() => adadelta([] as never), /^adadelta: expected a learning rate or an options object/);
  });
});
