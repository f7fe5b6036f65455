import { ConvlensError, checkOptions, describeValue } from '../errors.js';

/** A schedule's settings in Keras' config keys (`initial_learning_rate`, `decay_steps`). */
export type ScheduleConfig = Record<string, number | boolean | number[] | string | null>;

/** A schedule as Keras 3 saves it (`keras.optimizers.schedules.serialize`). */
export interface SerializedSchedule {
  module: 'keras.optimizers.schedules';
  class_name: string;
  config: ScheduleConfig;
  registered_name: null;
}

/**
 * Keras' `LearningRateSchedule`: an optimizer given one as its `learningRate` takes the schedule's
 * value at its step count (0 at the first step; Keras' `iterations`, but with gradient accumulation
 * the steps taken rather than the updates made, as Keras' `_iterations`). Subclass it for a schedule
 * of one's own (a model compiled with one saves no compile settings, as it cannot be read back).
 */
export abstract class LearningRateSchedule {
  /** Keras' class name, which a saved config names it by. */
  abstract readonly className: string;
  /** The learning rate at optimizer step `step` (Keras' `__call__(step)`). */
  abstract valueAt(step: number): number;
  /** The settings in Keras' config keys. */
  abstract getConfig(): ScheduleConfig;
}

/** Keras' form of a schedule in a saved optimizer config. */
export function serializeSchedule(schedule: LearningRateSchedule): SerializedSchedule {
  return { module: 'keras.optimizers.schedules', class_name: schedule.className, config: schedule.getConfig(), registered_name: null };
}

function checkFinite(op: string, name: string, value: unknown, min = Number.NEGATIVE_INFINITY): asserts value is number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= min)) {
    const bound = min === Number.NEGATIVE_INFINITY ? '' : ` ≥ ${min}`;
    throw new ConvlensError(`${op}: ${name} must be a finite number${bound}, got ${describeValue(value)}`);
  }
}

/** Keras requires decay steps > 0 (each schedule divides by them). */
function checkSteps(op: string, name: string, value: unknown): asserts value is number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new ConvlensError(`${op}: ${name} must be a finite number > 0, as Keras requires, got ${describeValue(value)}`);
  }
}

function checkFlag(op: string, name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ConvlensError(`${op}: ${name} must be true or false, got ${describeValue(value)}`);
}

function checkName(op: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new ConvlensError(`${op}: name must be a string, got ${describeValue(value)}`);
}

/** A required option's value, or a message naming it. */
function required<T>(op: string, options: object, key: string): T {
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) throw new ConvlensError(`${op}: ${key} is required`);
  return value as T;
}

/** The options of ExponentialDecay and InverseTimeDecay, which Keras gives the same settings. */
export interface DecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay at whole multiples of decaySteps only (step / decaySteps floored). */
  staircase?: boolean;
  name?: string;
}

export type ExponentialDecayOptions = DecayOptions;
export type InverseTimeDecayOptions = DecayOptions;

/** The settings ExponentialDecay and InverseTimeDecay share, and their progress through the decay. */
abstract class RateDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  protected constructor(op: string, options: DecayOptions) {
    super();
    checkOptions(op, options, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
    const { staircase = false, name = op } = options;
    const initialLearningRate = required<number>(op, options, 'initialLearningRate');
    const decaySteps = required<number>(op, options, 'decaySteps');
    const decayRate = required<number>(op, options, 'decayRate');
    checkFinite(op, 'initialLearningRate', initialLearningRate, 0);
    checkSteps(op, 'decaySteps', decaySteps);
    checkFinite(op, 'decayRate', decayRate, 0);
    checkFlag(op, 'staircase', staircase);
    checkName(op, name);
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = decaySteps;
    this.decayRate = decayRate;
    this.staircase = staircase;
    this.name = name;
  }

  /** step / decaySteps, floored when `staircase`. */
  protected progress(step: number): number {
    const p = step / this.decaySteps;
    return this.staircase ? Math.floor(p) : p;
  }

  getConfig(): ScheduleConfig {
    const { initialLearningRate, decaySteps, decayRate, staircase, name } = this;
    return { initial_learning_rate: initialLearningRate, decay_steps: decaySteps, decay_rate: decayRate, staircase, name };
  }
}

/** Keras' ExponentialDecay: initialLearningRate · decayRate^(step / decaySteps), the exponent floored when `staircase`. */
export class ExponentialDecay extends RateDecay {
  readonly className = 'ExponentialDecay';

  constructor(options: ExponentialDecayOptions) {
    super('ExponentialDecay', options);
  }

  valueAt(step: number): number {
    return this.initialLearningRate * this.decayRate ** this.progress(step);
  }
}

export interface PiecewiseConstantDecayOptions {
  /** Steps, strictly increasing, at which the rate changes. */
  boundaries: number[];
  /** One more rate than boundaries: values[0] up to boundaries[0] (included), …, the last after the last boundary. */
  values: number[];
  name?: string;
}

/** Keras' PiecewiseConstantDecay: values[0] while step ≤ boundaries[0], values[i] while step ≤ boundaries[i], then the last. */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = 'PiecewiseConstantDecay';
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name: string;

  constructor(options: PiecewiseConstantDecayOptions) {
    const op = 'PiecewiseConstantDecay';
    super();
    checkOptions(op, options, ['boundaries', 'values', 'name']);
    const { name = 'PiecewiseConstant' } = options;
    const boundaries = required<unknown>(op, options, 'boundaries');
    const values = required<unknown>(op, options, 'values');
    const numbers = (list: unknown) => Array.isArray(list) && list.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!numbers(boundaries) || (boundaries as number[]).length === 0) {
      throw new ConvlensError(`${op}: boundaries must be a non-empty array of finite numbers, got ${describeValue(boundaries)}`);
    }
    const steps = boundaries as number[];
    if (steps.some((b, i) => i > 0 && b <= steps[i - 1])) {
      throw new ConvlensError(`${op}: boundaries must be strictly increasing, got ${describeValue(steps)}`);
    }
    if (!numbers(values) || (values as number[]).some((v) => v < 0)) {
      throw new ConvlensError(`${op}: values must be an array of finite numbers ≥ 0, got ${describeValue(values)}`);
    }
    const rates = values as number[];
    if (rates.length !== steps.length + 1) {
      throw new ConvlensError(
        `${op}: values must have one more entry than boundaries (${steps.length + 1}), got ${rates.length}: ${describeValue(rates)}`,
      );
    }
    checkName(op, name);
    this.boundaries = [...steps];
    this.values = [...rates];
    this.name = name;
  }

  valueAt(step: number): number {
    const { boundaries, values } = this;
    for (let i = 0; i < boundaries.length; i++) if (step <= boundaries[i]) return values[i];
    return values[boundaries.length];
  }

  getConfig(): ScheduleConfig {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}

export interface PolynomialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** The rate reached at decaySteps (default 0.0001). */
  endLearningRate?: number;
  /** The polynomial's power (default 1: linear). */
  power?: number;
  /** Start again past decaySteps, over the first multiple of decaySteps beyond the step. */
  cycle?: boolean;
  name?: string;
}

/**
 * Keras' PolynomialDecay: (initial − end)·(1 − step/decaySteps)^power + end, the step held at
 * decaySteps, or with `cycle` decaySteps stretched to the first multiple not below the step.
 */
export class PolynomialDecay extends LearningRateSchedule {
  readonly className = 'PolynomialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  readonly name: string;

  constructor(options: PolynomialDecayOptions) {
    const op = 'PolynomialDecay';
    super();
    checkOptions(op, options, ['initialLearningRate', 'decaySteps', 'endLearningRate', 'power', 'cycle', 'name']);
    const { endLearningRate = 0.0001, power = 1, cycle = false, name = op } = options;
    const initialLearningRate = required<number>(op, options, 'initialLearningRate');
    const decaySteps = required<number>(op, options, 'decaySteps');
    checkFinite(op, 'initialLearningRate', initialLearningRate, 0);
    checkSteps(op, 'decaySteps', decaySteps);
    checkFinite(op, 'endLearningRate', endLearningRate, 0);
    checkFinite(op, 'power', power);
    checkFlag(op, 'cycle', cycle);
    checkName(op, name);
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = decaySteps;
    this.endLearningRate = endLearningRate;
    this.power = power;
    this.cycle = cycle;
    this.name = name;
  }

  valueAt(step: number): number {
    let decaySteps = this.decaySteps;
    let at = step;
    if (this.cycle) decaySteps *= step === 0 ? 1 : Math.ceil(step / decaySteps);
    else at = Math.min(step, decaySteps);
    const p = at / decaySteps;
    return (this.initialLearningRate - this.endLearningRate) * (1 - p) ** this.power + this.endLearningRate;
  }

  getConfig(): ScheduleConfig {
    const { initialLearningRate, decaySteps, endLearningRate, power, cycle, name } = this;
    return { initial_learning_rate: initialLearningRate, decay_steps: decaySteps, end_learning_rate: endLearningRate, power, cycle, name };
  }
}

/** Keras' InverseTimeDecay: initialLearningRate / (1 + decayRate · step/decaySteps), the ratio floored when `staircase`. */
export class InverseTimeDecay extends RateDecay {
  readonly className = 'InverseTimeDecay';

  constructor(options: InverseTimeDecayOptions) {
    super('InverseTimeDecay', options);
  }

  valueAt(step: number): number {
    return this.initialLearningRate / (1 + this.decayRate * this.progress(step));
  }
}

/** CosineDecay's factor: from 1 to alpha as `fraction` goes from 0 to 1. */
function cosineDecayed(fraction: number, alpha: number): number {
  return (1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * fraction)) + alpha;
}

export interface CosineDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** The rate at the end of the decay, as a fraction of the rate it decays from (default 0). */
  alpha?: number;
  /** Warm up linearly from initialLearningRate to this over warmupSteps, then decay from it (default null: no warm-up). */
  warmupTarget?: number | null;
  /** The warm-up's length in steps (default 0). */
  warmupSteps?: number;
  name?: string;
}

/**
 * Keras' CosineDecay (SGDR without restarts), with Keras' optional linear warm-up: up to warmupSteps
 * the rate goes linearly from initialLearningRate to warmupTarget, then decays from it (or, without a
 * target, from initialLearningRate) by (1 − α)·½(1 + cos(π·t/decaySteps)) + α, t held at decaySteps.
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;
  readonly name: string;

  constructor(options: CosineDecayOptions) {
    const op = 'CosineDecay';
    super();
    checkOptions(op, options, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps', 'name']);
    const { alpha = 0, warmupSteps = 0, name = op } = options;
    const warmupTarget = options.warmupTarget ?? null;
    const initialLearningRate = required<number>(op, options, 'initialLearningRate');
    const decaySteps = required<number>(op, options, 'decaySteps');
    checkFinite(op, 'initialLearningRate', initialLearningRate, 0);
    checkSteps(op, 'decaySteps', decaySteps);
    checkFinite(op, 'alpha', alpha);
    if (warmupTarget !== null) checkFinite(op, 'warmupTarget', warmupTarget, 0);
    checkFinite(op, 'warmupSteps', warmupSteps, 0);
    checkName(op, name);
    this.initialLearningRate = initialLearningRate;
    this.decaySteps = decaySteps;
    this.alpha = alpha;
    this.warmupTarget = warmupTarget;
    this.warmupSteps = warmupSteps;
    this.name = name;
  }

  valueAt(step: number): number {
    const { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps } = this;
    if (warmupTarget === null) return initialLearningRate * cosineDecayed(Math.min(step, decaySteps) / decaySteps, alpha);
    const at = Math.min(step, decaySteps + warmupSteps);
    if (at < warmupSteps) return (warmupTarget - initialLearningRate) * (at / warmupSteps) + initialLearningRate;
    return warmupTarget * cosineDecayed((at - warmupSteps) / decaySteps, alpha);
  }

  getConfig(): ScheduleConfig {
    const { initialLearningRate, decaySteps, alpha, name, warmupTarget, warmupSteps } = this;
    return {
      initial_learning_rate: initialLearningRate,
      decay_steps: decaySteps,
      alpha,
      name,
      warmup_target: warmupTarget,
      warmup_steps: warmupSteps,
    };
  }
}

export interface CosineDecayRestartsOptions {
  initialLearningRate: number;
  /** The first period's length in steps. */
  firstDecaySteps: number;
  /** Each period is tMul times the one before (default 2). */
  tMul?: number;
  /** Each period starts at mMul times the rate the one before started at (default 1). */
  mMul?: number;
  /** The rate at the end of a period, as a fraction of initialLearningRate (default 0). */
  alpha?: number;
  name?: string;
}

/** Keras' CosineDecayRestarts (SGDR): cosine decays over periods of firstDecaySteps·tMulⁱ, the i-th from initialLearningRate·mMulⁱ. */
export class CosineDecayRestarts extends LearningRateSchedule {
  readonly className = 'CosineDecayRestarts';
  readonly initialLearningRate: number;
  readonly firstDecaySteps: number;
  readonly tMul: number;
  readonly mMul: number;
  readonly alpha: number;
  readonly name: string;

  constructor(options: CosineDecayRestartsOptions) {
    const op = 'CosineDecayRestarts';
    super();
    checkOptions(op, options, ['initialLearningRate', 'firstDecaySteps', 'tMul', 'mMul', 'alpha', 'name']);
    const { tMul = 2, mMul = 1, alpha = 0, name = 'SGDRDecay' } = options;
    const initialLearningRate = required<number>(op, options, 'initialLearningRate');
    const firstDecaySteps = required<number>(op, options, 'firstDecaySteps');
    checkFinite(op, 'initialLearningRate', initialLearningRate, 0);
    checkSteps(op, 'firstDecaySteps', firstDecaySteps);
    checkSteps(op, 'tMul', tMul);
    checkFinite(op, 'mMul', mMul, 0);
    checkFinite(op, 'alpha', alpha);
    checkName(op, name);
    this.initialLearningRate = initialLearningRate;
    this.firstDecaySteps = firstDecaySteps;
    this.tMul = tMul;
    this.mMul = mMul;
    this.alpha = alpha;
    this.name = name;
  }

  valueAt(step: number): number {
    const { tMul, mMul } = this;
    let fraction = step / this.firstDecaySteps;
    let restart: number;
    if (tMul === 1) {
      restart = Math.floor(fraction);
      fraction -= restart;
    } else {
      // periods of 1, tMul, tMul², …: the restart whose geometric sum the fraction has passed
      restart = Math.floor(Math.log(1 - fraction * (1 - tMul)) / Math.log(tMul));
      const passed = (1 - tMul ** restart) / (1 - tMul);
      fraction = (fraction - passed) / tMul ** restart;
    }
    return this.initialLearningRate * (mMul ** restart * (1 - this.alpha) * 0.5 * (1 + Math.cos(Math.PI * fraction)) + this.alpha);
  }

  getConfig(): ScheduleConfig {
    const { initialLearningRate, firstDecaySteps, tMul, mMul, alpha, name } = this;
    return { initial_learning_rate: initialLearningRate, first_decay_steps: firstDecaySteps, t_mul: tMul, m_mul: mMul, alpha, name };
  }
}

/** Each Keras schedule's config keys, with the option each is given as. */
const CONFIG_KEYS: Record<string, [Record<string, string>, (options: never) => LearningRateSchedule]> = {
  ExponentialDecay: [
    { initial_learning_rate: 'initialLearningRate', decay_steps: 'decaySteps', decay_rate: 'decayRate', staircase: 'staircase' },
    (o: ExponentialDecayOptions) => new ExponentialDecay(o),
  ],
  PiecewiseConstantDecay: [
    { boundaries: 'boundaries', values: 'values' },
    (o: PiecewiseConstantDecayOptions) => new PiecewiseConstantDecay(o),
  ],
  PolynomialDecay: [
    {
      initial_learning_rate: 'initialLearningRate',
      decay_steps: 'decaySteps',
      end_learning_rate: 'endLearningRate',
      power: 'power',
      cycle: 'cycle',
    },
    (o: PolynomialDecayOptions) => new PolynomialDecay(o),
  ],
  InverseTimeDecay: [
    { initial_learning_rate: 'initialLearningRate', decay_steps: 'decaySteps', decay_rate: 'decayRate', staircase: 'staircase' },
    (o: InverseTimeDecayOptions) => new InverseTimeDecay(o),
  ],
  CosineDecay: [
    {
      initial_learning_rate: 'initialLearningRate',
      decay_steps: 'decaySteps',
      alpha: 'alpha',
      warmup_target: 'warmupTarget',
      warmup_steps: 'warmupSteps',
    },
    (o: CosineDecayOptions) => new CosineDecay(o),
  ],
  CosineDecayRestarts: [
    { initial_learning_rate: 'initialLearningRate', first_decay_steps: 'firstDecaySteps', t_mul: 'tMul', m_mul: 'mMul', alpha: 'alpha' },
    (o: CosineDecayRestartsOptions) => new CosineDecayRestarts(o),
  ],
};

/** Whether `schedule` is one of Keras' (a saved config can name it), not one of one's own. */
export function isKerasSchedule(schedule: LearningRateSchedule): boolean {
  return [ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay, CosineDecayRestarts].some(
    (kind) => schedule.constructor === kind,
  );
}

/**
 * A schedule from its saved form: Keras 3's `{ module, class_name, config, registered_name }` or
 * tf.keras 2's `{ class_name, config }`; a string saying what is not supported otherwise.
 */
export function scheduleFromConfig(raw: unknown): LearningRateSchedule | string {
  const saved = raw as { module?: unknown; class_name?: unknown; config?: unknown } | null;
  const known = typeof saved?.class_name === 'string' && Object.hasOwn(CONFIG_KEYS, saved.class_name);
  const module = saved?.module;
  if (!known || (module !== undefined && module !== null && module !== 'keras.optimizers.schedules')) {
    return `the learning-rate schedule ${describeValue(saved?.class_name ?? raw)}`;
  }
  const className = saved.class_name as string;
  const [keys, make] = CONFIG_KEYS[className];
  const config = (saved.config ?? {}) as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    // Keras writes None for an unset name or warm-up target
    if (value === null) continue;
    if (key === 'name') options.name = value;
    else if (Object.hasOwn(keys, key)) options[keys[key]] = value;
    else return `the learning-rate schedule ${className} with ${key} ${describeValue(value)}`;
  }
  try {
    return make(options as never);
  } catch (error) {
    if (error instanceof ConvlensError) return error.message;
    throw error;
  }
}
