import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { compareWithTf, variable } from '../../test/helpers/optimizers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Adadelta, adadelta } from './adadelta.js';
import { Adagrad, adagrad } from './adagrad.js';
import { Adamax, adamax } from './adamax.js';
import { Adam, AdamW, adam, getOptimizer, type Optimizer, RMSprop, SGD, sgd } from './optimizers.js';
import { ExponentialDecay } from './schedules.js';

describe('SGD', () => {
  it('plain steps match tf.train.sgd', () => {
    compareWithTf(new SGD({ learningRate: 0.1 }), tf.train.sgd(0.1), 5, 'sgd');
  });

  it('momentum steps match tf.train.momentum (Keras: v ← μv − ηg, w ← w + v)', () => {
    const worst = compareWithTf(new SGD({ learningRate: 0.05, momentum: 0.9 }), tf.train.momentum(0.05, 0.9), 6, 'momentum');
    if (process.env.CONVLENS_REPORT) console.log(`max |diff| SGD momentum vs tf.train.momentum: ${worst.toExponential(2)}`);
  });

  it('Nesterov momentum matches tf.train.momentum(useNesterov)', () => {
    compareWithTf(new SGD({ learningRate: 0.05, momentum: 0.8, nesterov: true }), tf.train.momentum(0.05, 0.8, true), 6, 'nesterov');
  });
});

describe('Adam', () => {
  // Keras adds ε to √v and folds the bias corrections into the step size; tfjs adds ε to √v̂.
  // In tfjs' terms ours uses ε/√(1 − β₂ᵗ) (3.2e-6 at step 1): a difference of about
  // lr·ε/(√(1 − β₂)·|g|) per step, under 1e-5 for the gradients here (|g| up to 1, lr 0.01).
  // The formula test below checks Keras' form exactly.
  it('steps match tf.train.adam(lr, 0.9, 0.999, 1e-7) on the same gradients', () => {
    const worst = compareWithTf(new Adam({ learningRate: 0.01 }), tf.train.adam(0.01, 0.9, 0.999, 1e-7), 8, 'adam', { rtol: 1e-5 });
    if (process.env.CONVLENS_REPORT) console.log(`max |diff| Adam vs tf.train.adam: ${worst.toExponential(2)}`);
  });

  it("follows Keras' documented update exactly (float64 reference, tiny gradients included)", () => {
    const [lr, b1, b2, eps] = [0.002, 0.8, 0.99, 1e-7];
    const rng = caseRng('adam formula', 0);
    const w0 = rng.floats(5);
    const v = variable('w', w0);
    const adam = new Adam({ learningRate: lr, beta1: b1, beta2: b2, epsilon: eps });
    const w = Float64Array.from(w0);
    const m = new Float64Array(5);
    const s = new Float64Array(5);
    for (let t = 1; t <= 10; t++) {
      v.grad.set(rng.floats(5, -1e-6, 1e-6));
      adam.step([v]);
      // keras.optimizers.Adam: α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; w ← w − α·m/(√v + ε).
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      for (let i = 0; i < 5; i++) {
        const g = v.grad[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        s[i] = b2 * s[i] + (1 - b2) * g * g;
        w[i] -= (alpha * m[i]) / (Math.sqrt(s[i]) + eps);
      }
      expectClose(v.value, w, 1e-6, `step ${t}`);
    }
  });

  it('keeps separate moments per variable and defaults to Keras (1e-3, 0.9, 0.999, 1e-7)', () => {
    const adam = getOptimizer('adam') as Adam;
    expect(adam.getConfig()).toEqual({ learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false });
    const a = variable('a', Float32Array.of(1));
    const b = variable('b', Float32Array.of(1));
    a.grad[0] = 1;
    b.grad[0] = -1;
    adam.step([a, b]);
    // The first Adam step moves each weight by about the learning rate, against its gradient.
    expectClose(a.value, [1 - 0.001], 1e-6);
    expectClose(b.value, [1 + 0.001], 1e-6);
  });

  it("amsgrad follows Keras' documented update (v̂ ← max(v̂, v) divides instead of v), which tfjs lacks", () => {
    const [lr, b1, b2, eps] = [0.01, 0.9, 0.99, 1e-7];
    const rng = caseRng('amsgrad formula', 0);
    const w0 = rng.floats(6);
    const v = variable('w', w0);
    const adam = new Adam({ learningRate: lr, beta2: b2, amsgrad: true });
    expect(adam.getConfig()).toMatchObject({ amsgrad: true });
    const w = Float64Array.from(w0);
    const [m, s, sMax] = [new Float64Array(6), new Float64Array(6), new Float64Array(6)];
    let differs = false;
    for (let t = 1; t <= 12; t++) {
      // gradients shrinking over the steps, so that v falls below its largest value and v̂ tells
      v.grad.set(rng.floats(6, -2 / t, 2 / t));
      adam.step([v]);
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      for (let i = 0; i < 6; i++) {
        const g = v.grad[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        s[i] = b2 * s[i] + (1 - b2) * g * g;
        sMax[i] = Math.max(sMax[i], s[i]);
        differs ||= sMax[i] > s[i] * 1.01;
        w[i] -= (alpha * m[i]) / (Math.sqrt(sMax[i]) + eps);
      }
      expectClose(v.value, w, 1e-6, `step ${t}`);
    }
    expect(differs, 'the steps reach a v below its maximum').toBe(true);
  });
});

describe('RMSprop', () => {
  // Keras 3's RMSprop and tfjs' rmsprop both put ε inside the square root. Centered, tfjs takes
  // √(s − (ḡ² + ε)) where Keras takes √(s − ḡ² + ε): the same at the default ε 1e-7 within these
  // tolerances, so the comparison keeps it; the formula test below checks Keras' form at a larger ε.
  it('steps match tf.train.rmsprop: plain, with momentum, centered, and both', () => {
    compareWithTf(new RMSprop({ learningRate: 0.01 }), tf.train.rmsprop(0.01, 0.9, 0, 1e-7), 8, 'rmsprop', { rtol: 1e-5 });
    compareWithTf(new RMSprop({ learningRate: 0.01, momentum: 0.8 }), tf.train.rmsprop(0.01, 0.9, 0.8, 1e-7), 8, 'rmsprop momentum', {
      rtol: 1e-5,
    });
    compareWithTf(
      new RMSprop({ learningRate: 0.01, rho: 0.7, centered: true }),
      tf.train.rmsprop(0.01, 0.7, 0, 1e-7, true),
      8,
      'rmsprop centered',
      { rtol: 1e-5 },
    );
    compareWithTf(
      new RMSprop({ learningRate: 0.005, rho: 0.8, momentum: 0.5, centered: true }),
      tf.train.rmsprop(0.005, 0.8, 0.5, 1e-7, true),
      8,
      'rmsprop centered momentum',
      { rtol: 1e-5 },
    );
  });

  it("follows Keras' documented update exactly (float64 reference)", () => {
    const [lr, rho, mu, eps] = [0.003, 0.85, 0.6, 1e-6];
    const rng = caseRng('rmsprop formula', 0);
    const w0 = rng.floats(6);
    const v = variable('w', w0);
    const rmsprop = new RMSprop({ learningRate: lr, rho, momentum: mu, epsilon: eps, centered: true });
    const w = Float64Array.from(w0);
    const [velocity, average, momentum] = [new Float64Array(6), new Float64Array(6), new Float64Array(6)];
    for (let t = 1; t <= 10; t++) {
      // gradients so small that ε weighs in the denominator
      v.grad.set(rng.floats(6, -1e-3, 1e-3));
      rmsprop.step([v]);
      // keras.optimizers.RMSprop: s ← ρs + (1 − ρ)g²; ḡ ← ρḡ + (1 − ρ)g; Δ = lr·g/√(s − ḡ² + ε); m ← μm + Δ; w ← w − m.
      for (let i = 0; i < 6; i++) {
        const g = v.grad[i];
        velocity[i] = rho * velocity[i] + (1 - rho) * g * g;
        average[i] = rho * average[i] + (1 - rho) * g;
        momentum[i] = mu * momentum[i] + (lr * g) / Math.sqrt(velocity[i] - average[i] ** 2 + eps);
        w[i] -= momentum[i];
      }
      expectClose(v.value, w, 1e-5, `step ${t}`);
    }
  });

  it("defaults to Keras' (1e-3, ρ 0.9, no momentum, ε 1e-7) and by name", () => {
    const rmsprop = getOptimizer('rmsprop') as RMSprop;
    expect(rmsprop).toBeInstanceOf(RMSprop);
    expect(rmsprop.getConfig()).toEqual({ learning_rate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
    // the first step moves a weight by lr/√(1 − ρ) against its gradient, whatever its size
    const a = variable('a', Float32Array.of(1));
    a.grad[0] = 5;
    rmsprop.step([a]);
    expectClose(a.value, [1 - 0.001 / Math.sqrt(0.1)], 1e-6);
  });

  it('refuses bad settings with clear messages', () => {
    expectConvlensError(() => new RMSprop({ rho: 1.5 }), 'rmsprop: rho must be a number in [0, 1), got 1.5');
    expectConvlensError(() => new RMSprop({ rho: 1 }), 'rmsprop: rho must be a number in [0, 1), got 1');
    expectConvlensError(() => new RMSprop({ momentum: -0.1 }), 'rmsprop: momentum must be a number in [0, 1], got -0.1');
    expectConvlensError(() => new RMSprop({ epsilon: -1 }), 'rmsprop: epsilon must be a finite number ≥ 0, got -1');
    expectConvlensError(() => new RMSprop({ centered: 1 as never }), 'rmsprop: centered must be true or false, got 1');
    expectConvlensError(() => new RMSprop({ decay: 0.9 } as never), /^rmsprop: unknown option 'decay'/);
  });
});

describe('getOptimizer', () => {
  it('accepts names and objects, and rejects the rest with a clear message', () => {
    expect(getOptimizer('SGD')).toBeInstanceOf(SGD);
    const sgd = new SGD({ learningRate: 0.5 });
    expect(getOptimizer(sgd)).toBe(sgd);
    expect(getOptimizer('RMSprop')).toBeInstanceOf(RMSprop);
    // Keras' names and defaults (tfjs-layers' 'adagrad', 'adadelta' and 'adamax' take other learning rates)
    expect(getOptimizer('Adagrad').getConfig()).toEqual({ learning_rate: 0.001, initial_accumulator_value: 0.1, epsilon: 1e-7 });
    expect(getOptimizer('adadelta').getConfig()).toEqual({ learning_rate: 0.001, rho: 0.95, epsilon: 1e-7 });
    expect((getOptimizer('adadelta') as Adadelta).tfjsUpdate).toBe(false);
    expect(getOptimizer('ADAMAX').getConfig()).toEqual({ learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 });
    expect(getOptimizer('adagrad')).toBeInstanceOf(Adagrad);
    expect(getOptimizer('adamax')).toBeInstanceOf(Adamax);
    const names = "'adam', 'adamw', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'";
    expectConvlensError(() => getOptimizer('nadam'), `compile: unknown optimizer "nadam" (expected one of ${names})`);
    expectConvlensError(() => getOptimizer('constructor'), `compile: unknown optimizer "constructor" (expected one of ${names})`);
    expectConvlensError(
      () => new SGD({ learningRate: -1 }),
      /sgd: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function \(\) => number, got -1/,
    );
    expectConvlensError(() => new Adam({ beta1: 1 }), 'adam: beta1 must be a number in [0, 1), got 1');
    expectConvlensError(() => new Adam({ beta2: Number.NaN }), 'adam: beta2 must be a number in [0, 1), got NaN');
    expectConvlensError(() => new Adam({ amsgrad: 'yes' as never }), 'adam: amsgrad must be true or false, got "yes"');
    expectConvlensError(() => new SGD({ momentum: 1.5 }), 'sgd: momentum must be a number in [0, 1], got 1.5');
  });
});

describe('optimizer options', () => {
  it('unknown or misspelt keys, null and non-boolean flags are clear errors', () => {
    expectConvlensError(
      () => new SGD({ learning_rate: 0.1 } as never),
      "sgd: unknown option 'learning_rate' (did you mean 'learningRate'?)",
    );
    expectConvlensError(
      () => new Adam({ lr: 0.1 } as never),
      "adam: unknown option 'lr' (expected one of learningRate, beta1, beta2, epsilon, amsgrad, weightDecay, useEma, emaMomentum, emaOverwriteFrequency, gradientAccumulationSteps, clipnorm, clipvalue, globalClipnorm)",
    );
    expectConvlensError(
      () => new SGD(null as never),
      'sgd: expected a learning rate or an options object ({ learningRate, momentum, nesterov, weightDecay, useEma, emaMomentum, emaOverwriteFrequency, gradientAccumulationSteps, clipnorm, clipvalue, globalClipnorm }), got null',
    );
    expectConvlensError(
      () => new Adam(null as never),
      'adam: expected a learning rate or an options object ({ learningRate, beta1, beta2, epsilon, amsgrad, weightDecay, useEma, emaMomentum, emaOverwriteFrequency, gradientAccumulationSteps, clipnorm, clipvalue, globalClipnorm }), got null',
    );
    expectConvlensError(() => new SGD({ nesterov: 'yes' as never }), 'sgd: nesterov must be true or false, got "yes"');
    expectConvlensError(
      () => new Adam({ learningRate: Number.NaN }),
      'adam: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function () => number, got NaN',
    );
    expectConvlensError(
      () => getOptimizer({ name: 'adam' } as never),
      "compile: optimizer must be one of 'adam', 'adamw', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax' or an optimizer object, got { name: \"adam\" }",
    );
    for (const tfjsOptimizer of [tf.train.sgd(0.1), tf.train.adam(0.01)]) {
      expectConvlensError(
        () => getOptimizer(tfjsOptimizer as never),
        new RegExp(
          `^compile: optimizer is a TensorFlow.js optimizer \\(an? ${tfjsOptimizer.constructor.name}\\), which cannot update convlens' weights: use convlens' own, e.g. train.sgd\\(\\{ learningRate: 0.1 \\}\\) for tf.train.sgd\\(0.1\\)`,
        ),
      );
    }
    expect(new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }).getConfig()).toEqual({
      learning_rate: 0.1,
      momentum: 0.9,
      nesterov: true,
    });
  });
});

describe("the learning rate alone, as Keras' Adam(3e-4) and tfjs' tf.train.adam(3e-4) give it", () => {
  it('steps as tfjs does with that rate, for the classes and the factories', () => {
    compareWithTf(new SGD(0.1), tf.train.sgd(0.1), 3, 'sgd alone');
    compareWithTf(sgd(0.1), tf.train.sgd(0.1), 3, 'sgd factory alone');
    compareWithTf(new Adam(0.01), tf.train.adam(0.01, 0.9, 0.999, 1e-7), 3, 'adam alone', { rtol: 1e-5 });
    compareWithTf(adam(0.01), tf.train.adam(0.01, 0.9, 0.999, 1e-7), 3, 'adam factory alone', { rtol: 1e-5 });
    compareWithTf(new RMSprop(0.01), tf.train.rmsprop(0.01, 0.9, 0, 1e-7), 3, 'rmsprop alone', { rtol: 1e-5 });
    compareWithTf(adagrad(0.1), tf.train.adagrad(0.1, 0.1), 3, 'adagrad factory alone', { rtol: 1e-5 });
  });

  it('is the learningRate option: the other settings keep their defaults (the factories their tfjs ones)', () => {
    const ways: [Optimizer, Optimizer][] = [
      [new Adam(3e-4), new Adam({ learningRate: 3e-4 })],
      [new AdamW(0.002), new AdamW({ learningRate: 0.002 })],
      [new Adamax(0.01), new Adamax({ learningRate: 0.01 })],
      [adamax(0.01), adamax({ learningRate: 0.01 })],
      [new Adagrad(0.05), new Adagrad({ learningRate: 0.05 })],
      [adadelta(0.5), adadelta({ learningRate: 0.5 })],
      [new Adadelta(0.5), new Adadelta({ learningRate: 0.5 })],
    ];
    for (const [alone, given] of ways) expect(alone.getConfig()).toEqual(given.getConfig());
    expect(new Adam(3e-4).getConfig().learning_rate).toBe(3e-4);
    const schedule = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(new SGD(schedule).learningRate).toBe(schedule);
  });

  it('anything else is refused naming both forms', () => {
    expectConvlensError(
      () => new Adam('3e-4' as never),
      'adam: expected a learning rate or an options object ({ learningRate, beta1, beta2, epsilon, amsgrad, weightDecay, useEma, emaMomentum, emaOverwriteFrequency, gradientAccumulationSteps, clipnorm, clipvalue, globalClipnorm }), got "3e-4"',
    );
    expectConvlensError(
      () => new SGD(-1),
      'sgd: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function () => number, got -1',
    );
  });
});
