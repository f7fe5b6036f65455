import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { byGlobalNorm, byNorm, byValue, compareWithTf, variable } from '../../test/helpers/optimizers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Adadelta, adadelta } from './adadelta.js';
import { Adagrad } from './adagrad.js';
import { Adamax } from './adamax.js';
import type { ClipOptions, ClippingOptimizer, Optimizer } from './optimizer.js';
import { Adam, AdamW, adamw, getOptimizer, RMSprop, SGD } from './optimizers.js';
import { ExponentialDecay, InverseTimeDecay, type LearningRateSchedule } from './schedules.js';

describe('gradient clipping (Keras: clipnorm, globalClipnorm, clipvalue)', () => {
  it("clips before each optimizer's update, as Keras' formulas computed with tfjs ops and fed to tfjs' optimizer", () => {
    // gradients up to 3 in size: ‖g‖ of the 7-value variable is near 4.6, of the 3-value one near 3
    const optimizers: [string, (clip: ClipOptions) => Optimizer, () => tf.Optimizer][] = [
      ['sgd', (clip) => new SGD({ learningRate: 0.1, momentum: 0.9, ...clip }), () => tf.train.momentum(0.1, 0.9)],
      ['adam', (clip) => new Adam({ learningRate: 0.01, ...clip }), () => tf.train.adam(0.01, 0.9, 0.999, 1e-7)],
      ['rmsprop', (clip) => new RMSprop({ learningRate: 0.01, ...clip }), () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7)],
      ['adagrad', (clip) => new Adagrad({ learningRate: 0.1, ...clip }), () => tf.train.adagrad(0.1)],
      ['adadelta', (clip) => adadelta({ learningRate: 1, ...clip }), () => tf.train.adadelta(1)],
      ['adamax', (clip) => new Adamax({ learningRate: 0.01, ...clip }), () => tf.train.adamax(0.01, 0.9, 0.999, 1e-7)],
    ];
    for (const [name, ours, theirs] of optimizers) {
      const options = { rtol: 1e-5, gradScale: 3 };
      compareWithTf(ours({ clipnorm: 2 }), theirs(), 6, `${name} clipnorm`, { ...options, transform: byNorm(2) });
      compareWithTf(ours({ globalClipnorm: 2.5 }), theirs(), 6, `${name} globalClipnorm`, { ...options, transform: byGlobalNorm(2.5) });
      compareWithTf(ours({ clipvalue: 0.5 }), theirs(), 6, `${name} clipvalue`, { ...options, transform: byValue(0.5) });
    }
  });

  it('by hand: norm 5 clipped to 1, a global norm of 13 to 2.6, values to ±1; gradients within the bounds and zeros pass unchanged', () => {
    const stepped = (clip: ClipOptions, grads: number[][]) => {
      const vars = grads.map((g, i) => {
        const v = variable(`w${i}`, new Float32Array(g.length));
        v.grad.set(g);
        return v;
      });
      new SGD({ learningRate: 1, ...clip }).step(vars);
      return vars.map((v) => Array.from(v.value));
    };
    // SGD with η = 1 from zero: the weights are minus the clipped gradients
    expectClose(
      stepped({ clipnorm: 1 }, [
        [3, 4],
        [0.3, 0.4],
        [0, 0],
      ]).flat(),
      [-0.6, -0.8, -0.3, -0.4, 0, 0],
      1e-6,
    );
    expectClose(stepped({ globalClipnorm: 2.6 }, [[3, 4], [12]]).flat(), [-0.6, -0.8, -2.4], 1e-6);
    expectClose(stepped({ globalClipnorm: 20 }, [[3, 4], [12]]).flat(), [-3, -4, -12], 1e-6);
    expectClose(stepped({ globalClipnorm: 1 }, [[0, 0], [0]]).flat(), [0, 0, 0], 0);
    expectClose(stepped({ clipvalue: 1 }, [[3, -0.5], [-7]]).flat(), [-1, 0.5, 1], 1e-6);
  });

  it('the clip settings are in getConfig, by Keras’ names', () => {
    expect(new Adam({ clipnorm: 1 }).getConfig()).toMatchObject({ clipnorm: 1 });
    expect(new SGD({ clipvalue: 0.5 }).getConfig()).toEqual({ learning_rate: 0.01, momentum: 0, nesterov: false, clipvalue: 0.5 });
    expect(new Adadelta({ globalClipnorm: 2 }).getConfig()).toEqual({ learning_rate: 0.001, rho: 0.95, epsilon: 1e-7, global_clipnorm: 2 });
  });

  it('every optimizer refuses a clip bound ≤ 0, NaN or infinite, or two bounds at once, naming itself and the option', () => {
    const makers: [string, (clip: ClipOptions) => unknown][] = [
      ['sgd', (clip) => new SGD(clip)],
      ['adam', (clip) => new Adam(clip)],
      ['rmsprop', (clip) => new RMSprop(clip)],
      ['adagrad', (clip) => new Adagrad(clip)],
      ['adadelta', (clip) => new Adadelta(clip)],
      ['adamax', (clip) => new Adamax(clip)],
    ];
    for (const [name, make] of makers) {
      expectConvlensError(() => make({ clipnorm: 0 }), `${name}: clipnorm must be a finite number > 0, got 0`);
      expectConvlensError(() => make({ clipvalue: -1 }), `${name}: clipvalue must be a finite number > 0, got -1`);
      expectConvlensError(() => make({ globalClipnorm: Number.NaN }), `${name}: globalClipnorm must be a finite number > 0, got NaN`);
      expectConvlensError(
        () => make({ clipnorm: Number.POSITIVE_INFINITY }),
        `${name}: clipnorm must be a finite number > 0, got Infinity`,
      );
      expectConvlensError(() => make({ clipnorm: null as never }), `${name}: clipnorm must be a finite number > 0, got null`);
      expectConvlensError(
        () => make({ clipnorm: 1, clipvalue: 1 }),
        `${name}: set one of clipnorm, clipvalue and globalClipnorm, as Keras does, got clipnorm and clipvalue`,
      );
      expectConvlensError(
        () => make({ global_clipnorm: 1 } as never),
        `${name}: unknown option 'global_clipnorm' (did you mean 'globalClipnorm'?)`,
      );
    }
  });
});

describe("learning rate (Keras 3's base optimizer: a number or a schedule, set between updates)", () => {
  const formula = (step: number) => 0.05 * 0.5 ** (step / 3); // ExponentialDecay(0.05, 3, 0.5), Keras' formula
  const schedule = () => new ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 3, decayRate: 0.5 });
  const makers: [string, (learningRate: number | LearningRateSchedule) => ClippingOptimizer<unknown>][] = [
    ['sgd', (learningRate) => new SGD({ learningRate, momentum: 0.9, nesterov: true })],
    ['adam', (learningRate) => new Adam({ learningRate, amsgrad: true })],
    ['adamw', (learningRate) => new AdamW({ learningRate, weightDecay: 0.1 })],
    ['rmsprop', (learningRate) => new RMSprop({ learningRate, momentum: 0.5, centered: true })],
    ['adagrad', (learningRate) => new Adagrad({ learningRate })],
    ['adadelta', (learningRate) => new Adadelta({ learningRate })],
    ['adamax', (learningRate) => new Adamax({ learningRate, decay: 0.1, weightDecay: 0.01 })],
  ];

  it("every optimizer steps with the schedule's rate at its step count (0 at the first update), as one whose rate is set to it before each step", () => {
    for (const [name, make] of makers) {
      const scheduled = make(schedule());
      const stepped = make(formula(0));
      const rng = caseRng(`schedule ${name}`, 0);
      const start = rng.floats(6);
      const [a, b] = [variable('a', start), variable('b', start)];
      for (let t = 0; t < 8; t++) {
        expect(scheduled.iterations).toBe(t);
        expectClose(scheduled.currentLearningRate, formula(t), 1e-15, `${name} rate at step ${t}`);
        stepped.learningRate = formula(t);
        a.grad.set(rng.floats(6));
        b.grad.set(a.grad);
        scheduled.step([a]);
        stepped.step([b]);
        expect(Array.from(a.value), `${name} step ${t}`).toEqual(Array.from(b.value));
      }
      expect(scheduled.learningRate).toBeInstanceOf(ExponentialDecay);
    }
  });

  it('SGD with a schedule matches tf.train.sgd given the formula’s rate before each step', () => {
    const ours = new SGD({ learningRate: schedule() });
    const theirs = tf.train.sgd(formula(0));
    const rng = caseRng('sgd schedule tfjs', 0);
    const start = rng.floats(5);
    const v = variable('w', start);
    const tv = tf.variable(tf.tensor1d(start), true, 'sgd_schedule_w');
    for (let t = 0; t < 10; t++) {
      v.grad.set(rng.floats(5));
      theirs.setLearningRate(formula(t));
      theirs.applyGradients({ [tv.name]: tf.tensor1d(v.grad) });
      ours.step([v]);
      expectClose(v.value, tv.dataSync(), 1e-6, `step ${t}`);
    }
  });

  it('a number may be set between updates, and a schedule in place of either; a number over a schedule is refused, as Keras does', () => {
    const sgd = new SGD({ learningRate: 0.1 });
    sgd.learningRate = 0.2;
    expect(sgd.learningRate).toBe(0.2);
    expect(sgd.getConfig()).toMatchObject({ learning_rate: 0.2 });
    expectConvlensError(() => {
      sgd.learningRate = -1;
    }, 'sgd: learningRate must be a finite number ≥ 0 or a LearningRateSchedule, got -1');
    sgd.learningRate = schedule();
    expect(sgd.currentLearningRate).toBe(0.05);
    expectConvlensError(() => {
      sgd.learningRate = 0.01;
    }, 'sgd: the learning rate is the schedule ExponentialDecay, which cannot be set to a number (as in Keras): give the optimizer a number learningRate to change it while training, got 0.01');
    expect(new Adam({ learningRate: schedule() }).getConfig().learning_rate).toEqual({
      module: 'keras.optimizers.schedules',
      class_name: 'ExponentialDecay',
      config: { initial_learning_rate: 0.05, decay_steps: 3, decay_rate: 0.5, staircase: false, name: 'ExponentialDecay' },
      registered_name: null,
    });
    expectConvlensError(
      () => new Adam({ learningRate: { valueAt: () => 1 } as never }),
      /^adam: learningRate must be a finite number ≥ 0 or a LearningRateSchedule, got \{ valueAt: a function \}$/,
    );
  });
});

describe("weight decay (Keras 3's decoupled w ← w − w·weightDecay·η before each update)", () => {
  it('plain SGD with weight decay is tf.train.sgd given the L2 gradient g + weightDecay·w', () => {
    const ours = new SGD({ learningRate: 0.1, weightDecay: 0.3 });
    const theirs = tf.train.sgd(0.1);
    const rng = caseRng('sgd weight decay', 0);
    const start = rng.floats(6);
    const v = variable('w', start);
    const tv = tf.variable(tf.tensor1d(start), true, 'sgd_decay_w');
    for (let t = 0; t < 6; t++) {
      v.grad.set(rng.floats(6));
      const l2 = tf.add(tf.tensor1d(v.grad), tf.mul(tv, 0.3));
      theirs.applyGradients({ [tv.name]: l2 as tf.Tensor });
      ours.step([v]);
      expectClose(v.value, tv.dataSync(), 1e-6, `step ${t}`);
    }
  });

  it("decays with the update's learning rate (a schedule's at the step), then updates: SGD with momentum and AdamW against float64 references", () => {
    const formula = (step: number) => 0.02 / (1 + (0.5 * step) / 2); // InverseTimeDecay(0.02, 2, 0.5)
    const rate = new InverseTimeDecay({ initialLearningRate: 0.02, decaySteps: 2, decayRate: 0.5 });
    const [wd, mu, b1, b2, eps] = [0.05, 0.8, 0.9, 0.999, 1e-7];
    const rng = caseRng('weight decay formula', 0);
    const start = rng.floats(5);
    const [s, a] = [variable('s', start), variable('a', start)];
    const sgd = new SGD({ learningRate: rate, momentum: mu, weightDecay: wd });
    const adamw = new AdamW({ learningRate: rate, weightDecay: wd });
    const [ws, velocity] = [Float64Array.from(start), new Float64Array(5)];
    const [wa, m, v] = [Float64Array.from(start), new Float64Array(5), new Float64Array(5)];
    for (let t = 0; t < 8; t++) {
      s.grad.set(rng.floats(5));
      a.grad.set(s.grad);
      sgd.step([s]);
      adamw.step([a]);
      const lr = formula(t);
      const alpha = (lr * Math.sqrt(1 - b2 ** (t + 1))) / (1 - b1 ** (t + 1));
      for (let i = 0; i < 5; i++) {
        const g = s.grad[i];
        ws[i] -= ws[i] * wd * lr;
        velocity[i] = mu * velocity[i] - lr * g;
        ws[i] += velocity[i];
        wa[i] -= wa[i] * wd * lr;
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        wa[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + eps);
      }
      expectClose(s.value, ws, 1e-6, `sgd step ${t}`);
      expectClose(a.value, wa, 1e-6, `adamw step ${t}`);
    }
  });

  it("AdamW takes Keras' defaults (weight decay 0.004) and name; weight_decay is in every optimizer's config when set", () => {
    const byName = getOptimizer('AdamW');
    expect(byName).toBeInstanceOf(AdamW);
    expect(byName.name).toBe('adamw');
    expect(byName.getConfig()).toEqual({
      learning_rate: 0.001,
      beta_1: 0.9,
      beta_2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
      weight_decay: 0.004,
    });
    expect(adamw({ weightDecay: 0.01 }).weightDecay).toBe(0.01);
    expect(new SGD({ weightDecay: 0.1 }).getConfig()).toEqual({ learning_rate: 0.01, momentum: 0, nesterov: false, weight_decay: 0.1 });
    // null is Keras' None: no weight decay
    expect(new Adam({ weightDecay: null }).getConfig()).not.toHaveProperty('weight_decay');
    expectConvlensError(
      () => new AdamW({ weightDecay: null }),
      'adamw: weightDecay must be a finite number ≥ 0 (AdamW requires one, as in Keras), got null',
    );
    expectConvlensError(() => new AdamW({ beta1: 2 }), 'adamw: beta1 must be a number in [0, 1), got 2');
    expectConvlensError(() => new RMSprop({ weightDecay: -0.1 }), 'rmsprop: weightDecay must be a finite number ≥ 0, got -0.1');
    expectConvlensError(
      () => new AdamW({ weight_decay: 0.1 } as never),
      "adamw: unknown option 'weight_decay' (did you mean 'weightDecay'?)",
    );
  });
});
