import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { byGlobalNorm, byNorm, byValue, compareWithTf, variable } from '../../test/helpers/optimizers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Adadelta, adadelta } from './adadelta.js';
import { Adagrad } from './adagrad.js';
import { Adamax } from './adamax.js';
import type { ClipOptions, ClippingOptimizer, LearningRate, Optimizer, OptimizerOptions } from './optimizer.js';
import { Adam, AdamW, adamw, getOptimizer, RMSprop, SGD } from './optimizers.js';
import { ExponentialDecay, InverseTimeDecay } from './schedules.js';

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
  const makers: [string, (learningRate: LearningRate, more?: OptimizerOptions) => ClippingOptimizer<unknown>][] = [
    ['sgd', (learningRate, more) => new SGD({ learningRate, momentum: 0.9, nesterov: true, ...more })],
    ['adam', (learningRate, more) => new Adam({ learningRate, amsgrad: true, ...more })],
    ['adamw', (learningRate, more) => new AdamW({ learningRate, weightDecay: 0.1, ...more })],
    ['rmsprop', (learningRate, more) => new RMSprop({ learningRate, momentum: 0.5, centered: true, ...more })],
    ['adagrad', (learningRate, more) => new Adagrad({ learningRate, ...more })],
    ['adadelta', (learningRate, more) => new Adadelta({ learningRate, ...more })],
    ['adamax', (learningRate, more) => new Adamax({ learningRate, decay: 0.1, weightDecay: 0.01, ...more })],
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

  it("every optimizer steps with a function's return, called once per update (not at accumulating steps), as one whose rate is set to it before each step", () => {
    for (const [name, make] of makers) {
      for (const every of [1, 2]) {
        const more = every === 1 ? {} : { gradientAccumulationSteps: every };
        let calls = 0;
        const ours = make(() => formula(calls++), more);
        const theirs = make(formula(0), more);
        const rng = caseRng(`function ${name} ${every}`, 0);
        const start = rng.floats(6);
        const [a, b] = [variable('a', start), variable('b', start)];
        for (let t = 0; t < 8; t++) {
          theirs.learningRate = formula(Math.floor(t / every));
          a.grad.set(rng.floats(6));
          b.grad.set(a.grad);
          ours.step([a]);
          theirs.step([b]);
          expect(Array.from(a.value), `${name} step ${t}`).toEqual(Array.from(b.value));
          expect(calls, `${name} calls after step ${t}`).toBe(Math.floor((t + 1) / every));
        }
      }
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
    }, 'sgd: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function () => number, got -1');
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
      /^adam: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function \(\) => number, got \{ valueAt: a function \}$/,
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

/** Float64 copies of `values`, one per variable. */
const f64 = (values: Float32Array[]) => values.map((v) => Float64Array.from(v));

describe("gradient accumulation (Keras 3's gradientAccumulationSteps)", () => {
  it('SGD with momentum and accumulation 3 is SGD on the mean of 3 steps’ gradients every third step; the weights stay put in between', () => {
    const [lr, mu, n] = [0.1, 0.9, 3];
    const rng = caseRng('sgd accumulation', 0);
    const starts = [rng.floats(4), rng.floats(2)];
    const vars = starts.map((s, i) => variable(`w${i}`, s));
    const ours = new SGD({ learningRate: lr, momentum: mu, gradientAccumulationSteps: n });
    const w = f64(starts);
    const velocity = starts.map((s) => new Float64Array(s.length));
    const sums = starts.map((s) => new Float64Array(s.length));
    for (let t = 0; t < 12; t++) {
      for (const [k, v] of vars.entries()) {
        v.grad.set(rng.floats(v.value.length));
        for (let i = 0; i < v.grad.length; i++) sums[k][i] += v.grad[i];
      }
      ours.step(vars);
      if ((t + 1) % n === 0) {
        for (const [k, wk] of w.entries()) {
          for (let i = 0; i < wk.length; i++) {
            velocity[k][i] = mu * velocity[k][i] - (lr * sums[k][i]) / n;
            wk[i] += velocity[k][i];
          }
          sums[k].fill(0);
        }
      }
      for (const [k, v] of vars.entries()) expectClose(v.value, w[k], 1e-6, `step ${t} ${v.name}`);
      // Keras' iterations counts the updates
      expect(ours.iterations, `iterations after step ${t}`).toBe(Math.floor((t + 1) / n));
    }
  });

  it("AdamW with accumulation 2, clipnorm and a schedule: clipped mean gradient, decay, Adam's bias correction by update, the schedule at the step taken", () => {
    const [n, wd, b1, b2, eps, clip] = [2, 0.1, 0.9, 0.999, 1e-7, 0.5];
    const formula = (step: number) => 0.05 * 0.5 ** (step / 3); // ExponentialDecay(0.05, 3, 0.5)
    const rate = new ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 3, decayRate: 0.5 });
    const ours = new AdamW({ learningRate: rate, weightDecay: wd, clipnorm: clip, gradientAccumulationSteps: n });
    const rng = caseRng('adamw accumulation', 0);
    const start = rng.floats(5);
    const v = variable('w', start);
    const [w, m, s, sum] = [Float64Array.from(start), new Float64Array(5), new Float64Array(5), new Float64Array(5)];
    let updates = 0;
    for (let t = 0; t < 10; t++) {
      v.grad.set(rng.floats(5, -2, 2));
      for (let i = 0; i < 5; i++) sum[i] += v.grad[i];
      expect(ours.currentLearningRate, `learning rate at step ${t}`).toBeCloseTo(formula(t), 12);
      ours.step([v]);
      if ((t + 1) % n !== 0) continue;
      updates++;
      const mean = Array.from(sum, (g) => g / n);
      const norm = Math.sqrt(mean.reduce((acc, g) => acc + g * g, 0));
      const g = mean.map((x) => (x * clip) / Math.max(norm, clip));
      const lr = formula(t);
      const alpha = (lr * Math.sqrt(1 - b2 ** updates)) / (1 - b1 ** updates);
      for (let i = 0; i < 5; i++) {
        w[i] -= w[i] * wd * lr;
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i];
        w[i] -= (alpha * m[i]) / (Math.sqrt(s[i]) + eps);
      }
      sum.fill(0);
      expectClose(v.value, w, 1e-5, `update ${updates}`);
    }
    expect(ours.iterations).toBe(5);
  });
});

/**
 * Keras 3's moving average of the variables, transliterated in float64 (base_optimizer.py): after
 * each step a ← m·a + (1 − m)·w with m = 0 while `iterations` (steps // accumulation) is 0, then
 * w ← a when (iterations + 1) % frequency is 0.
 */
function kerasEma(w: Float64Array, average: Float64Array, iterations: number, momentum: number, frequency?: number): void {
  const m = iterations === 0 ? 0 : momentum;
  for (let i = 0; i < w.length; i++) average[i] = m * average[i] + (1 - m) * w[i];
  if (frequency !== undefined && (iterations + 1) % frequency === 0) w.set(average);
}

describe("moving average of the variables (Keras 3's useEma, emaMomentum, emaOverwriteFrequency)", () => {
  it('SGD keeps its own weights and the average a ← m·a + (1 − m)·w (a ← w at the first update); finalizeVariableValues sets the weights to it', () => {
    const [lr, m] = [0.2, 0.8];
    const rng = caseRng('sgd ema', 0);
    const start = rng.floats(6);
    const v = variable('w', start);
    const ours = new SGD({ learningRate: lr, useEma: true, emaMomentum: m });
    const [w, average] = [Float64Array.from(start), new Float64Array(6)];
    for (let t = 0; t < 7; t++) {
      v.grad.set(rng.floats(6));
      ours.step([v]);
      for (let i = 0; i < 6; i++) w[i] -= lr * v.grad[i];
      kerasEma(w, average, t, m);
      expectClose(v.value, w, 1e-6, `step ${t}`);
    }
    ours.finalizeVariableValues([v]);
    expectClose(v.value, average, 1e-6, 'finalized');
    // without useEma, finalizing changes nothing
    const plain = new SGD({ learningRate: lr });
    plain.step([v]);
    const before = v.value.slice();
    plain.finalizeVariableValues([v]);
    expect(v.value).toEqual(before);
  });

  it('Adam overwrites its weights with the average every emaOverwriteFrequency updates, and goes on from there', () => {
    const [lr, m, every, b1, b2, eps] = [0.05, 0.9, 3, 0.9, 0.999, 1e-7];
    const rng = caseRng('adam ema overwrite', 0);
    const start = rng.floats(4);
    const v = variable('w', start);
    const ours = new Adam({ learningRate: lr, useEma: true, emaMomentum: m, emaOverwriteFrequency: every });
    const [w, average, m1, m2] = [Float64Array.from(start), new Float64Array(4), new Float64Array(4), new Float64Array(4)];
    for (let t = 0; t < 10; t++) {
      v.grad.set(rng.floats(4));
      ours.step([v]);
      const alpha = (lr * Math.sqrt(1 - b2 ** (t + 1))) / (1 - b1 ** (t + 1));
      for (let i = 0; i < 4; i++) {
        const g = v.grad[i];
        m1[i] = b1 * m1[i] + (1 - b1) * g;
        m2[i] = b2 * m2[i] + (1 - b2) * g * g;
        w[i] -= (alpha * m1[i]) / (Math.sqrt(m2[i]) + eps);
      }
      kerasEma(w, average, t, m, every);
      expectClose(v.value, w, 1e-5, `step ${t}`);
    }
  });

  it("with gradient accumulation, the average moves at every step and counts Keras' iterations (updates): overwriting at each step of an update's window", () => {
    const [lr, m, n, every] = [0.3, 0.7, 2, 2];
    const rng = caseRng('ema accumulation', 0);
    const start = rng.floats(3);
    const v = variable('w', start);
    const ours = new SGD({ learningRate: lr, useEma: true, emaMomentum: m, emaOverwriteFrequency: every, gradientAccumulationSteps: n });
    const [w, average, sum] = [Float64Array.from(start), new Float64Array(3), new Float64Array(3)];
    for (let t = 0; t < 9; t++) {
      v.grad.set(rng.floats(3));
      for (let i = 0; i < 3; i++) sum[i] += v.grad[i];
      ours.step([v]); // at an update, it leaves the mean gradient in grad
      if ((t + 1) % n === 0) {
        for (let i = 0; i < 3; i++) w[i] -= (lr * sum[i]) / n;
        sum.fill(0);
      }
      kerasEma(w, average, Math.floor(t / n), m, every);
      expectClose(v.value, w, 1e-6, `step ${t}`);
    }
  });

  it('the settings are checked, each error naming the optimizer, the option, what it got and what it takes', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ useEma: 'yes' }, 'sgd: useEma must be true or false, got "yes"'],
      [{ useEma: true, emaMomentum: 1.5 }, 'sgd: emaMomentum must be a number in [0, 1], got 1.5'],
      [{ emaMomentum: -0.1 }, 'sgd: emaMomentum must be a number in [0, 1], got -0.1'],
      [{ emaMomentum: Number.NaN }, 'sgd: emaMomentum must be a number in [0, 1], got NaN'],
      [{ useEma: true, emaOverwriteFrequency: 0 }, 'sgd: emaOverwriteFrequency must be an integer ≥ 1 or null, got 0'],
      [{ useEma: true, emaOverwriteFrequency: 2.5 }, 'sgd: emaOverwriteFrequency must be an integer ≥ 1 or null, got 2.5'],
      [{ gradientAccumulationSteps: 1 }, 'sgd: gradientAccumulationSteps must be an integer ≥ 2 or null, got 1'],
      [{ gradientAccumulationSteps: '4' }, 'sgd: gradientAccumulationSteps must be an integer ≥ 2 or null, got "4"'],
    ];
    for (const [options, message] of cases) expectConvlensError(() => new SGD(options as never), message);
    const off = new SGD({ emaOverwriteFrequency: null, gradientAccumulationSteps: null });
    expect([off.useEma, off.emaMomentum, off.emaOverwriteFrequency, off.gradientAccumulationSteps]).toEqual([
      false,
      0.99,
      undefined,
      undefined,
    ]);
    expect(new Adam({ useEma: true, emaOverwriteFrequency: 4, gradientAccumulationSteps: 8 }).getConfig()).toMatchObject({
      use_ema: true,
      ema_momentum: 0.99,
      ema_overwrite_frequency: 4,
      gradient_accumulation_steps: 8,
    });
    expect(off.getConfig()).not.toHaveProperty('use_ema');
  });
});

describe("excludeFromWeightDecay (Keras 3's exclude_from_weight_decay)", () => {
  /** Which of four variables SGD decays after excludeFromWeightDecay is given `varNames` and the variables at `listed`. */
  const decayed = (varNames?: string[], listed: number[] = []) => {
    const vars = ['dense/kernel', 'dense/bias', 'conv2d/kernel', 'conv2d/bias'].map((name) => variable(name, Float32Array.of(1, -2)));
    const ours = new SGD({ learningRate: 0.5, weightDecay: 0.2 });
    if (varNames || listed.length > 0) ours.excludeFromWeightDecay({ varNames, varList: listed.map((i) => vars[i]) });
    ours.step(vars); // zero gradients: only the decay moves a weight, by the factor 1 − 0.2·0.5
    return vars.map((v) => v.value[0] === Math.fround(0.9));
  };

  it('skips the variables listed and those whose name a regular expression of varNames matches anywhere, as re.search', () => {
    expect(decayed()).toEqual([true, true, true, true]);
    expect(decayed(['bias'])).toEqual([true, false, true, false]);
    expect(decayed(['^conv', 'dense/k'])).toEqual([false, true, false, false]);
    expect(decayed(['kernel$'], [1])).toEqual([false, false, false, true]);
    expect(decayed([], [2])).toEqual([true, true, false, true]);
    expect(decayed([])).toEqual([true, true, true, true]);
  });

  it('each call replaces the last, taking effect at the next step', () => {
    const v = variable('dense/bias', Float32Array.of(1));
    const ours = new SGD({ learningRate: 1, weightDecay: 0.5 });
    ours.excludeFromWeightDecay({ varNames: ['bias'] });
    ours.step([v]);
    expect(v.value[0]).toBe(1);
    ours.excludeFromWeightDecay({ varNames: ['kernel'] });
    ours.step([v]);
    expect(v.value[0]).toBe(0.5);
  });

  it('refuses what is not a list of variables or of regular expressions', () => {
    const ours = new Adam();
    expectConvlensError(
      () => ours.excludeFromWeightDecay({ varNames: 'bias' } as never),
      'adam.excludeFromWeightDecay: varNames must be a list of strings, got "bias"',
    );
    expectConvlensError(
      () => ours.excludeFromWeightDecay({ varNames: ['(bias'] }),
      /^adam\.excludeFromWeightDecay: varNames must be regular expressions, got \["\(bias"\] \(Invalid regular expression/,
    );
    expectConvlensError(
      () => ours.excludeFromWeightDecay({ varList: [3] } as never),
      /^adam\.excludeFromWeightDecay: varList must be a list of variables \(a model's trainableWeights\), got \[3\]$/,
    );
    expectConvlensError(() => ours.excludeFromWeightDecay({ names: [] } as never), /^adam\.excludeFromWeightDecay: unknown option 'names'/);
  });
});
