import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import {
  CosineDecay,
  CosineDecayRestarts,
  ExponentialDecay,
  InverseTimeDecay,
  type LearningRateSchedule,
  PiecewiseConstantDecay,
  PolynomialDecay,
  scheduleFromConfig,
  serializeSchedule,
} from './schedules.js';

const STEPS = [0, 1, 2, 5, 9, 10, 11, 17, 20, 29, 30, 31, 55, 100, 1000];

/** The schedule's values at STEPS against `expected` (Keras' documented formula, in float64). */
function expectValues(schedule: LearningRateSchedule, expected: (step: number) => number, label: string): void {
  expectClose(
    STEPS.map((step) => schedule.valueAt(step)),
    STEPS.map(expected),
    1e-12,
    label,
  );
}

describe("learning-rate schedules (keras.optimizers.schedules' formulas)", () => {
  it('ExponentialDecay: initial · rate^(step / decaySteps), the exponent floored with staircase', () => {
    const smooth = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expectValues(smooth, (step) => 0.1 * 0.5 ** (step / 10), 'smooth');
    const stairs = new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expectValues(stairs, (step) => 0.1 * 0.5 ** Math.floor(step / 10), 'staircase');
    // by hand: halved every 10 steps
    expect([stairs.valueAt(9), stairs.valueAt(10), stairs.valueAt(25)]).toEqual([0.1, 0.05, 0.025]);
  });

  it('PiecewiseConstantDecay: values[0] up to and at boundaries[0], values[i] after boundaries[i-1] up to boundaries[i]', () => {
    const schedule = new PiecewiseConstantDecay({ boundaries: [10, 30], values: [1, 0.5, 0.1] });
    expect(STEPS.map((step) => schedule.valueAt(step))).toEqual(STEPS.map((step) => (step <= 10 ? 1 : step <= 30 ? 0.5 : 0.1)));
    const one = new PiecewiseConstantDecay({ boundaries: [0], values: [0.3, 0.2] });
    expect([one.valueAt(0), one.valueAt(1)]).toEqual([0.3, 0.2]);
  });

  it('PolynomialDecay: (initial − end)(1 − step/decaySteps)^power + end, held at the end or cycling over multiples of decaySteps', () => {
    const [initial, end, power] = [0.1, 0.01, 0.5];
    const held = new PolynomialDecay({ initialLearningRate: initial, decaySteps: 20, endLearningRate: end, power });
    expectValues(held, (step) => (initial - end) * (1 - Math.min(step, 20) / 20) ** power + end, 'held');
    const cycling = new PolynomialDecay({ initialLearningRate: initial, decaySteps: 20, endLearningRate: end, power, cycle: true });
    expectValues(
      cycling,
      (step) => {
        const steps = 20 * (step === 0 ? 1 : Math.ceil(step / 20));
        return (initial - end) * (1 - step / steps) ** power + end;
      },
      'cycle',
    );
    // Keras' defaults: end 1e-4, power 1 (linear)
    expect(new PolynomialDecay({ initialLearningRate: 1, decaySteps: 4 }).valueAt(2)).toBeCloseTo(0.50005, 15);
  });

  it('InverseTimeDecay: initial / (1 + rate · step/decaySteps), the ratio floored with staircase', () => {
    const smooth = new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5 });
    expectValues(smooth, (step) => 0.1 / (1 + (0.5 * step) / 5), 'smooth');
    const stairs = new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5, staircase: true });
    expectValues(stairs, (step) => 0.1 / (1 + 0.5 * Math.floor(step / 5)), 'staircase');
  });

  it('CosineDecay: ½(1 + cos(π·step/decaySteps)) scaled into [alpha, 1], after a linear warm-up to warmupTarget when given', () => {
    const decayed = (step: number, steps: number, alpha: number) => (1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * step) / steps)) + alpha;
    const plain = new CosineDecay({ initialLearningRate: 0.2, decaySteps: 30, alpha: 0.1 });
    expectValues(plain, (step) => 0.2 * decayed(Math.min(step, 30), 30, 0.1), 'no warm-up');
    expect(plain.valueAt(15)).toBeCloseTo(0.2 * 0.55, 15);
    const warm = new CosineDecay({ initialLearningRate: 0, decaySteps: 20, warmupTarget: 0.1, warmupSteps: 10 });
    expectValues(
      warm,
      (step) => {
        const at = Math.min(step, 30);
        return at < 10 ? 0.1 * (at / 10) : 0.1 * decayed(at - 10, 20, 0);
      },
      'warm-up',
    );
    expect([warm.valueAt(5), warm.valueAt(10)]).toEqual([0.05, 0.1]);
  });

  it('CosineDecayRestarts: periods of firstDecaySteps·tMulⁱ, each starting at initial·mMulⁱ', () => {
    // the restarts by hand: periods [0, 10), [10, 30), [30, 70) for tMul 2
    const reference = (step: number, first: number, tMul: number, mMul: number, alpha: number) => {
      let [start, length, i] = [0, first, 0];
      while (step >= start + length) {
        start += length;
        length *= tMul;
        i++;
      }
      const fraction = (step - start) / length;
      return 0.5 * (mMul ** i * (1 - alpha) * (1 + Math.cos(Math.PI * fraction))) + alpha;
    };
    const schedule = new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, mMul: 0.5, alpha: 0.05 });
    expectValues(schedule, (step) => 0.1 * reference(step, 10, 2, 0.5, 0.05), 'tMul 2');
    const even = new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, tMul: 1 });
    expectValues(even, (step) => 0.1 * reference(step, 10, 1, 1, 0), 'tMul 1');
    expect([even.valueAt(10), even.valueAt(20)]).toEqual([0.1, 0.1]);
  });

  it("saves as Keras 3 serializes a schedule, and reads it back (tf.keras 2's form without module too)", () => {
    const schedules: LearningRateSchedule[] = [
      new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true }),
      new PiecewiseConstantDecay({ boundaries: [10, 30], values: [1, 0.5, 0.1] }),
      new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 20, cycle: true }),
      new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5 }),
      new CosineDecay({ initialLearningRate: 0, decaySteps: 20, warmupTarget: 0.1, warmupSteps: 10 }),
      new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, mMul: 0.5 }),
    ];
    for (const schedule of schedules) {
      const saved = serializeSchedule(schedule);
      const back = scheduleFromConfig(JSON.parse(JSON.stringify(saved)));
      expect(back, schedule.className).toEqual(schedule);
      const { module: _, registered_name: __, ...tfKeras2 } = saved;
      expect(scheduleFromConfig(tfKeras2)).toEqual(schedule);
    }
    // as keras.optimizers.schedules.serialize writes ExponentialDecay(0.1, 100000, 0.96, staircase=True)
    expect(serializeSchedule(schedules[0])).toEqual({
      module: 'keras.optimizers.schedules',
      class_name: 'ExponentialDecay',
      config: { initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5, staircase: true, name: 'ExponentialDecay' },
      registered_name: null,
    });
    expect(serializeSchedule(schedules[4]).config).toEqual({
      initial_learning_rate: 0,
      decay_steps: 20,
      alpha: 0,
      name: 'CosineDecay',
      warmup_target: 0.1,
      warmup_steps: 10,
    });
    expect(serializeSchedule(schedules[5]).config).toEqual({
      initial_learning_rate: 0.1,
      first_decay_steps: 10,
      t_mul: 2,
      m_mul: 0.5,
      alpha: 0,
      name: 'SGDRDecay',
    });
    // Keras writes None for an unset warm-up target or name
    const noTarget = { class_name: 'CosineDecay', config: { initial_learning_rate: 0.1, decay_steps: 5, warmup_target: null, name: null } };
    expect(scheduleFromConfig(noTarget)).toEqual(new CosineDecay({ initialLearningRate: 0.1, decaySteps: 5 }));
  });

  it('refuses bad settings, naming the schedule and the option', () => {
    expectConvlensError(
      () => new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }),
      'ExponentialDecay: decaySteps must be a finite number > 0, as Keras requires, got 0',
    );
    expectConvlensError(
      () => new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10 } as never),
      'ExponentialDecay: decayRate is required',
    );
    expectConvlensError(
      () => new ExponentialDecay({ initial_learning_rate: 0.1 } as never),
      "ExponentialDecay: unknown option 'initial_learning_rate' (did you mean 'initialLearningRate'?)",
    );
    expectConvlensError(
      () => new InverseTimeDecay({ initialLearningRate: -1, decaySteps: 1, decayRate: 1 }),
      'InverseTimeDecay: initialLearningRate must be a finite number ≥ 0, got -1',
    );
    expectConvlensError(
      () => new PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, cycle: 'yes' as never }),
      'PolynomialDecay: cycle must be true or false, got "yes"',
    );
    expectConvlensError(
      () => new PiecewiseConstantDecay({ boundaries: [10, 20], values: [1, 0.5] }),
      'PiecewiseConstantDecay: values must have one more entry than boundaries (3), got 2: [1, 0.5]',
    );
    expectConvlensError(
      () => new PiecewiseConstantDecay({ boundaries: [20, 10], values: [1, 0.5, 0.1] }),
      'PiecewiseConstantDecay: boundaries must be strictly increasing, got [20, 10]',
    );
    expectConvlensError(
      () => new PiecewiseConstantDecay({ boundaries: [], values: [1] }),
      'PiecewiseConstantDecay: boundaries must be a non-empty array of finite numbers, got []',
    );
    expectConvlensError(
      () => new CosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmupTarget: Number.NaN }),
      'CosineDecay: warmupTarget must be a finite number ≥ 0, got NaN',
    );
    expectConvlensError(
      () => new CosineDecayRestarts({ initialLearningRate: 0.1, firstDecaySteps: 10, tMul: 0 }),
      'CosineDecayRestarts: tMul must be a finite number > 0, as Keras requires, got 0',
    );
    expect(scheduleFromConfig({ class_name: 'WarmUp', config: {} })).toBe('the learning-rate schedule "WarmUp"');
  });
});
