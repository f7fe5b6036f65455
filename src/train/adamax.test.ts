import { describe, expect, it } from 'vitest';
import { reportDiff } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { compareWithTf } from '../../test/helpers/optimizers.js';
import { tf } from '../../test/helpers/tf.js';
import { Adamax, adamax } from './adamax.js';

describe('Adamax', () => {
  // Keras' Adamax (m ← β₁m + (1 − β₁)g; u ← max(β₂u, |g|); w ← w − η/(1 − β₁ᵗ)·m/(u + ε)) is tfjs' update
  it('steps match tf.train.adamax on the same gradients, with and without its learning-rate decay', () => {
    const worst = compareWithTf(new Adamax({ learningRate: 0.01 }), tf.train.adamax(0.01, 0.9, 0.999, 1e-7), 8, 'adamax', { rtol: 1e-5 });
    reportDiff('Adamax vs tf.train.adamax', worst);
    compareWithTf(
      new Adamax({ learningRate: 0.05, beta1: 0.8, beta2: 0.9, epsilon: 1e-4, decay: 0.3 }),
      tf.train.adamax(0.05, 0.8, 0.9, 1e-4, 0.3),
      8,
      'adamax decay',
      { rtol: 1e-5 },
    );
    // shrinking gradients, so that u keeps an earlier, larger |g|
    compareWithTf(new Adamax({ learningRate: 0.01, beta2: 0.5 }), tf.train.adamax(0.01, 0.9, 0.5, 1e-7), 6, 'adamax small', {
      rtol: 1e-5,
      gradScale: 1e-3,
    });
  });

  it("the tfjs-style factory takes tfjs' defaults (learning rate 0.002), the class Keras' (0.001)", () => {
    compareWithTf(adamax(), tf.train.adamax(), 6, 'adamax defaults', { rtol: 1e-5 });
    expect(adamax().getConfig()).toEqual({ learning_rate: 0.002, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 });
    expect(adamax({ beta1: 0.5 }).learningRate).toBe(0.002);
    expect(new Adamax().getConfig()).toEqual({ learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 });
    expect(new Adamax({ decay: 0.01 }).getConfig()).toMatchObject({ decay: 0.01 });
  });

  it('refuses bad settings, naming the option', () => {
    expectConvlensError(
      () => new Adamax({ learningRate: -0.002 }),
      'adamax: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function () => number, got -0.002',
    );
    expectConvlensError(() => adamax({ beta1: 1 }), 'adamax: beta1 must be a number in [0, 1), got 1');
    expectConvlensError(() => new Adamax({ beta2: -0.1 }), 'adamax: beta2 must be a number in [0, 1), got -0.1');
    expectConvlensError(() => new Adamax({ decay: Number.NaN }), 'adamax: decay must be a finite number ≥ 0, got NaN');
    expectConvlensError(() => adamax({ beta_1: 0.9 } as never), "adamax: unknown option 'beta_1' (did you mean 'beta1'?)");
  });
});
