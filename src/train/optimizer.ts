import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import { LearningRateSchedule, type SerializedSchedule, serializeSchedule } from './schedules.js';

/** A trainable variable: its values and the gradient the last backward pass left in it. */
export interface Variable {
  readonly name: string;
  readonly shape: number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

/**
 * A learning rate given as a function of no arguments (Keras' callable `learning_rate`): called
 * at each update for the rate it uses, and whenever the current rate is read.
 */
export type LearningRateFunction = () => number;

/** What an optimizer's learningRate may be: a number, a schedule or a function. */
export type LearningRate = number | LearningRateSchedule | LearningRateFunction;

/** An optimizer's settings in Keras' config keys; a learning-rate schedule as Keras serializes it. */
export type OptimizerSettings = Record<string, number | boolean | SerializedSchedule>;

/**
 * One tensor of an optimizer's state as tfjs' `optimizer.getWeights()` lists it: `iter` (the step
 * count, an int32 scalar) first, then each slot of each variable, named `<variable>/<slot>`.
 */
export interface OptimizerWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly values: Float32Array | Int32Array;
}

/** Updates variables in place from their gradients. */
export interface Optimizer {
  readonly name: string;
  step(variables: readonly Variable[]): void;
  getConfig(): OptimizerSettings;
  /** Called by fit after its last epoch (Keras' `finalize_variable_values`): the last change to the variables, if any. */
  finalizeVariableValues?(variables: readonly Variable[]): void;
  /** The state for `variables` (those step updates, in order) as tfjs' `getWeights` gives it, which a model saves with includeOptimizer. */
  getWeights?(variables: readonly Variable[]): OptimizerWeight[];
  /** Restores what getWeights gave, or tfjs' optimizer saved, for `variables` (tfjs' `setWeights`); checked before anything is set. */
  setWeights?(variables: readonly Variable[], weights: readonly OptimizerWeight[]): void;
}

/**
 * A slot of an optimizer's state (a value per weight of each variable) as tfjs holds it: its name
 * in tfjs (`m` in `dense/kernel/m`), and how to read and set it in a variable's state.
 */
export interface TfjsSlot<State> {
  readonly name: string;
  /** The slot's values as tfjs holds them (a new array). */
  get(state: State): Float32Array;
  /** Sets the slot from values as tfjs holds them. */
  set(state: State, values: Float32Array): void;
}

/** A slot that is one of the state's arrays, held as tfjs holds it. */
export function slot<State>(name: string, array: (state: State) => Float32Array): TfjsSlot<State> {
  return { name, get: (state) => array(state).slice(), set: (state, values) => array(state).set(values) };
}

/** Keras' gradient clipping, which every convlens optimizer takes; at most one of them, as in Keras 3. */
export interface ClipOptions {
  /** Each variable's gradient whose L2 norm exceeds this is scaled down to it (Keras' `clipnorm`). */
  clipnorm?: number;
  /** Each gradient value is clipped to [−clipvalue, clipvalue] (Keras' `clipvalue`). */
  clipvalue?: number;
  /** All the gradients are scaled down together when their joint L2 norm exceeds this (Keras' `global_clipnorm`). */
  globalClipnorm?: number;
}

const CLIP_KEYS = ['clipnorm', 'clipvalue', 'globalClipnorm'] as const;

/** The settings of Keras 3's base optimizer that every convlens optimizer takes. */
export interface OptimizerOptions extends ClipOptions {
  /**
   * A number; a schedule evaluated at each update's step count (Keras' `iterations`, from 0); or a
   * function of no arguments called at each update for its rate. A model compiled with a function
   * saves no compile settings (it cannot be written down), as with a schedule of one's own.
   */
  learningRate?: LearningRate;
  /**
   * Keras 3's decoupled weight decay: before each update, w ← w − w·weightDecay·η, with the update's
   * learning rate η (null or absent: none, Keras' None).
   */
  weightDecay?: number | null;
  /**
   * Keep an exponential moving average of the variables (Keras' `use_ema`), updated after each
   * step: a ← m·a + (1 − m)·w (a ← w while `iterations` is 0). fit overwrites the variables with it at
   * its end, and every `emaOverwriteFrequency` updates when that is set.
   */
  useEma?: boolean;
  /** The average's momentum m, in [0, 1] (Keras' `ema_momentum`, default 0.99). */
  emaMomentum?: number;
  /** Overwrite the variables with their average every this many updates (an integer ≥ 1; null: only at fit's end). */
  emaOverwriteFrequency?: number | null;
  /**
   * Update every this many steps (an integer ≥ 2), from the mean of the gradients of those steps,
   * summed in between (Keras' `gradient_accumulation_steps`; null or absent: every step).
   */
  gradientAccumulationSteps?: number | null;
}

/** The settings every optimizer takes but its learning rate (its own come before them, the clip bounds after). */
const BASE_KEYS = ['weightDecay', 'useEma', 'emaMomentum', 'emaOverwriteFrequency', 'gradientAccumulationSteps'];

/** What excludeFromWeightDecay takes: variables, and names (regular expressions) of variables, as Keras' method. */
export interface WeightDecayExclusions {
  /** These variables are not decayed. */
  varList?: readonly Variable[];
  /** A variable whose name any of these regular expressions finds a match in is not decayed (`'bias'`: every bias). */
  varNames?: readonly string[];
}

/** Throws unless `value` is a learning rate: a finite number ≥ 0, a schedule or a function. */
function checkLearningRate(op: string, value: unknown): asserts value is LearningRate {
  if (value instanceof LearningRateSchedule || typeof value === 'function') return;
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new ConvlensError(
      `${op}: learningRate must be a finite number ≥ 0, a LearningRateSchedule or a function () => number, got ${describeValue(value)}`,
    );
  }
}

/** Throws unless `value` is a finite number ≥ `min` (a learning rate, a decay, an epsilon). */
export function checkRate(op: string, value: unknown, name: string, min = 0): asserts value is number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= min)) {
    throw new ConvlensError(`${op}: ${name} must be a finite number ≥ ${min}, got ${describeValue(value)}`);
  }
}

/** Throws unless `value` is in [0, 1) (a decay rate or beta: 1 would never update its average), or [0, 1] when `oneAllowed` (a momentum). */
export function checkFraction(op: string, value: unknown, name: string, oneAllowed = false): asserts value is number {
  const ok = typeof value === 'number' && value >= 0 && (oneAllowed ? value <= 1 : value < 1);
  if (!ok) throw new ConvlensError(`${op}: ${name} must be a number in [0, 1${oneAllowed ? ']' : ')'}, got ${describeValue(value)}`);
}

/** Throws unless `value` is null, undefined or an integer ≥ `min`; gives undefined for null. */
function optionalCount(op: string, value: unknown, name: string, min: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
    throw new ConvlensError(`${op}: ${name} must be an integer ≥ ${min} or null, got ${describeValue(value)}`);
  }
  return value;
}

/** Throws unless `value` is true or false. */
export function checkFlag(op: string, value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ConvlensError(`${op}: ${name} must be true or false, got ${describeValue(value)}`);
}

/**
 * The optimizers' common part, Keras 3's base optimizer: option checks, the learning rate (a number
 * or a schedule), the step count, and around each update Keras' gradient accumulation, gradient
 * clipping (applied to each variable's `grad` in place: the gradients the update then uses, as in
 * Keras), weight decay and moving average of the variables.
 */
export abstract class ClippingOptimizer<State> implements Optimizer {
  abstract readonly name: string;
  /** Each variable's slots (moments, accumulators), made at its first update. */
  private readonly states = new Map<Variable, State>();
  /** Each variable's moving average (useEma) and its summed gradients (gradientAccumulationSteps), made at its first step. */
  private readonly averages = new Map<Variable, Float32Array>();
  private readonly accumulated = new Map<Variable, Float32Array>();
  private rate: LearningRate;
  /** The steps taken so far, updates or not (Keras' `_iterations`). */
  private steps = 0;
  /** What excludeFromWeightDecay set, and each variable's verdict once known (Keras caches it too). */
  private excludedVariables = new Set<Variable>();
  private excludedNames: RegExp | undefined;
  private readonly decayVerdicts = new Map<Variable, boolean>();
  readonly weightDecay?: number;
  readonly clipnorm?: number;
  readonly clipvalue?: number;
  readonly globalClipnorm?: number;
  readonly useEma: boolean;
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency?: number;
  readonly gradientAccumulationSteps?: number;

  /** Checks `options` (an object of `keys` and the base optimizer's options) and takes the base's; `defaultRate` is the learning rate's default. */
  protected constructor(op: string, options: OptimizerOptions, keys: readonly string[], defaultRate: number) {
    checkOptions(op, options, ['learningRate', ...keys, ...BASE_KEYS, ...CLIP_KEYS], { shorthand: 'a learning rate' });
    const given = CLIP_KEYS.filter((key) => options[key] !== undefined);
    for (const key of given) {
      const value = options[key];
      if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
        throw new ConvlensError(`${op}: ${key} must be a finite number > 0, got ${describeValue(value)}`);
      }
    }
    if (given.length > 1)
      throw new ConvlensError(`${op}: set one of clipnorm, clipvalue and globalClipnorm, as Keras does, got ${given.join(' and ')}`);
    const { learningRate = defaultRate, useEma = false, emaMomentum = 0.99 } = options;
    checkLearningRate(op, learningRate);
    const weightDecay = options.weightDecay ?? undefined;
    if (weightDecay !== undefined) checkRate(op, weightDecay, 'weightDecay');
    checkFlag(op, useEma, 'useEma');
    checkFraction(op, emaMomentum, 'emaMomentum', true);
    this.emaOverwriteFrequency = optionalCount(op, options.emaOverwriteFrequency, 'emaOverwriteFrequency', 1);
    this.gradientAccumulationSteps = optionalCount(op, options.gradientAccumulationSteps, 'gradientAccumulationSteps', 2);
    this.rate = learningRate;
    this.weightDecay = weightDecay;
    this.clipnorm = options.clipnorm;
    this.clipvalue = options.clipvalue;
    this.globalClipnorm = options.globalClipnorm;
    this.useEma = useEma;
    this.emaMomentum = emaMomentum;
  }

  /** The learning rate as set: a number, a schedule or a function. */
  get learningRate(): LearningRate {
    return this.rate;
  }

  /**
   * Sets the learning rate (a callback's, between updates). A schedule or a function may replace
   * anything; a number cannot replace either, as in Keras (whose rate is then no variable to assign).
   */
  set learningRate(value: LearningRate) {
    const rate = this.rate;
    if (typeof rate !== 'number' && typeof value === 'number') {
      const what = rate instanceof LearningRateSchedule ? `the schedule ${rate.className}` : 'a function';
      throw new ConvlensError(
        `${this.name}: the learning rate is ${what}, which cannot be set to a number (as in Keras): give the optimizer a number learningRate to change it while training, got ${describeValue(value)}`,
      );
    }
    checkLearningRate(this.name, value);
    this.rate = value;
  }

  /**
   * The learning rate the next update uses (Keras' `optimizer.learning_rate`): the schedule's at the
   * steps taken (with gradient accumulation too, as Keras: not at `iterations`), the function's
   * return (called on each read, as Keras calls it), or the number.
   */
  get currentLearningRate(): number {
    const rate = this.rate;
    if (rate instanceof LearningRateSchedule) return rate.valueAt(this.steps);
    if (typeof rate === 'number') return rate;
    const value: unknown = rate();
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw new ConvlensError(
        `${this.name}: the learningRate function returned ${describeValue(value)} at step ${this.steps}, expected a finite number ≥ 0`,
      );
    }
    return value;
  }

  /** The updates made so far (Keras' `iterations`): the steps taken, over gradientAccumulationSteps (rounded down) when set. */
  get iterations(): number {
    const every = this.gradientAccumulationSteps;
    return every === undefined ? this.steps : Math.floor(this.steps / every);
  }

  /** Keras' `apply`: an update, or with gradient accumulation a sum of the gradients until an update; then the moving average. */
  step(variables: readonly Variable[]): void {
    const every = this.gradientAccumulationSteps;
    if (every === undefined || (this.steps + 1) % every === 0) {
      if (every !== undefined) this.takeAccumulatedMean(variables, every);
      this.clip(variables);
      const learningRate = this.currentLearningRate;
      if (this.weightDecay) this.decayWeights(variables, this.weightDecay * learningRate);
      this.update(variables, learningRate);
    } else {
      this.accumulate(variables);
    }
    if (this.useEma) this.updateAverages(variables);
    this.steps++;
  }

  /** Keras' `finalize_variable_values`, which fit calls at its end: with useEma, each variable takes its moving average. */
  finalizeVariableValues(variables: readonly Variable[]): void {
    if (this.useEma) this.overwriteWithAverages(variables);
  }

  /**
   * Keras' `exclude_from_weight_decay`: the variables of `varList`, and those whose name any of
   * `varNames` (regular expressions, searched as Python's `re.search`) matches, are not decayed. Each
   * call replaces the last one's exclusions. A name is the weight's path (`dense/bias`), as Keras
   * names a weight under TensorFlow.
   */
  excludeFromWeightDecay(exclusions: WeightDecayExclusions): void {
    const op = `${this.name}.excludeFromWeightDecay`;
    checkOptions(op, exclusions, ['varList', 'varNames']);
    const { varList = [], varNames = [] } = exclusions;
    if (!Array.isArray(varList) || !varList.every((v) => v?.value instanceof Float32Array)) {
      throw new ConvlensError(`${op}: varList must be a list of variables (a model's trainableWeights), got ${describeValue(varList)}`);
    }
    if (!Array.isArray(varNames) || !varNames.every((name) => typeof name === 'string')) {
      throw new ConvlensError(`${op}: varNames must be a list of strings, got ${describeValue(varNames)}`);
    }
    let pattern: RegExp | undefined;
    try {
      pattern = varNames.length > 0 ? new RegExp(varNames.join('|')) : undefined;
    } catch (error) {
      throw new ConvlensError(`${op}: varNames must be regular expressions, got ${describeValue(varNames)} (${(error as Error).message})`);
    }
    this.excludedVariables = new Set(varList);
    this.excludedNames = pattern;
    this.decayVerdicts.clear();
  }

  /** One update of every variable from its (clipped) gradient, at `learningRate`; `iterations` counts the updates before it. */
  protected abstract update(variables: readonly Variable[], learningRate: number): void;

  /** A new variable's slots, for `length` weights. */
  protected abstract newState(length: number): State;

  /** `variable`'s slots, made by newState at its first update. */
  protected stateOf(variable: Variable): State {
    let state = this.states.get(variable);
    if (state === undefined) {
      state = this.newState(variable.value.length);
      this.states.set(variable, state);
    }
    return state;
  }

  abstract getConfig(): OptimizerSettings;

  /**
   * The learning rate in Keras' config: the number, or the schedule as Keras serializes it. A
   * function cannot be written down (Keras saves a Python function by its module and name, which
   * has no counterpart here): an error.
   */
  protected learningRateConfig(): number | SerializedSchedule {
    const rate = this.rate;
    if (rate instanceof LearningRateSchedule) return serializeSchedule(rate);
    if (typeof rate === 'number') return rate;
    throw new ConvlensError(
      `${this.name}.getConfig: the learning rate is a function, which a config cannot hold: give a number or a LearningRateSchedule to save it`,
    );
  }

  /** The weight decay, clip, moving-average and accumulation settings in Keras' config keys, those that are set. */
  protected sharedConfig(): Record<string, number | boolean> {
    const { weightDecay, clipnorm, clipvalue, globalClipnorm } = this;
    const config: Record<string, number | boolean> = {};
    if (weightDecay !== undefined) config.weight_decay = weightDecay;
    if (clipnorm !== undefined) config.clipnorm = clipnorm;
    if (clipvalue !== undefined) config.clipvalue = clipvalue;
    if (globalClipnorm !== undefined) config.global_clipnorm = globalClipnorm;
    return { ...config, ...this.averagingConfig() };
  }

  /** The moving-average and accumulation settings in Keras' config keys, those in use (Keras writes the rest as None or False). */
  averagingConfig(): Record<string, number | boolean> {
    const { useEma, emaMomentum, emaOverwriteFrequency, gradientAccumulationSteps } = this;
    const config: Record<string, number | boolean> = {};
    if (useEma) {
      config.use_ema = true;
      config.ema_momentum = emaMomentum;
      if (emaOverwriteFrequency !== undefined) config.ema_overwrite_frequency = emaOverwriteFrequency;
    }
    if (gradientAccumulationSteps !== undefined) config.gradient_accumulation_steps = gradientAccumulationSteps;
    return config;
  }

  /**
   * tfjs' slots of this optimizer's state, in the order its getWeights lists them (every
   * variable's first slot, then every variable's second...); or why tfjs' format cannot hold the
   * state (tfjs saves no Adamax state, has no AMSGrad...).
   */
  protected abstract tfjsSlots(): readonly TfjsSlot<State>[] | string;

  /** The slots, or an error saying why the state cannot be saved or restored in tfjs' format. */
  private savableSlots(op: string): readonly TfjsSlot<State>[] {
    const slots = this.tfjsSlots();
    let reason = typeof slots === 'string' ? slots : undefined;
    if (this.useEma) reason = 'useEma (the moving averages of the variables)';
    else if (this.gradientAccumulationSteps !== undefined) reason = 'gradientAccumulationSteps (the summed gradients)';
    if (reason !== undefined || typeof slots === 'string') {
      throw new ConvlensError(`${op}: the TensorFlow.js format has no place for the state of ${this.name} with ${reason}`);
    }
    return slots;
  }

  /**
   * tfjs' `getWeights`: `iter` (the steps taken) as an int32 scalar, then, once a step made them,
   * each slot of each of `variables` (all of one slot, then the next), named `<variable>/<slot>`.
   */
  getWeights(variables: readonly Variable[]): OptimizerWeight[] {
    const slots = this.savableSlots(`${this.name}.getWeights`);
    const iter: OptimizerWeight = { name: 'iter', shape: [], dtype: 'int32', values: Int32Array.of(this.steps) };
    if (!variables.some((v) => this.states.has(v))) return [iter];
    return [
      iter,
      ...slots.flatMap((slot) =>
        variables.map((v) => ({
          name: `${v.name}/${slot.name}`,
          shape: [...v.shape],
          dtype: 'float32' as const,
          values: slot.get(this.stateOf(v)),
        })),
      ),
    ];
  }

  /**
   * tfjs' `setWeights`: the step count from `iter`, the first, then each slot of each of
   * `variables` in getWeights' order, or none (the slots start again from their initial values,
   * as in tfjs). The count and every shape are checked before anything is set.
   */
  setWeights(variables: readonly Variable[], weights: readonly OptimizerWeight[]): void {
    const op = `${this.name}.setWeights`;
    const slots = this.savableSlots(op);
    const given: unknown = weights;
    if (!Array.isArray(given) || given.length === 0) {
      throw new ConvlensError(`${op}: expected a list of weights starting with the step count 'iter', got ${describeValue(given)}`);
    }
    const [iter, ...rest] = weights;
    const steps = iter.values?.[0];
    if (iter.shape?.length !== 0 || !(Number.isInteger(steps) && steps >= 0)) {
      throw new ConvlensError(
        `${op}: the first weight must be the step count 'iter', a scalar integer ≥ 0, got ${describeValue(iter.name)} of shape ${formatShape(iter.shape ?? [])} holding ${describeValue(steps)}`,
      );
    }
    const expected = slots.length * variables.length;
    if (rest.length !== 0 && rest.length !== expected) {
      const each =
        slots.length > 0
          ? `${slots.map((s) => s.name).join(', ')} for each of the ${variables.length} trainable weights`
          : 'it has no slots';
      throw new ConvlensError(`${op}: got ${rest.length} weights after 'iter', expected ${expected} (${each}) or none`);
    }
    rest.forEach((weight, i) => {
      const variable = variables[i % variables.length];
      const same = weight.shape.length === variable.shape.length && weight.shape.every((d, j) => d === variable.shape[j]);
      if (!same || weight.dtype !== 'float32' || weight.values?.length !== variable.value.length) {
        throw new ConvlensError(
          `${op}: weight ${i + 1} ${describeValue(weight.name)} (${slots[Math.floor(i / variables.length)].name} of ${variable.name}) has shape ${formatShape(weight.shape)}, dtype ${weight.dtype} and ${weight.values?.length} values, expected ${formatShape(variable.shape)}, float32 and ${variable.value.length}`,
        );
      }
    });
    this.steps = steps;
    this.states.clear();
    // after the step count: a slot's conversion may use the learning rate at this step (SGD's)
    slots.forEach((slot, k) => {
      variables.forEach((variable, j) => {
        if (rest.length > 0) slot.set(this.stateOf(variable), rest[k * variables.length + j].values as Float32Array);
      });
    });
  }

  /** Keras' `_clip_gradients`: g·c/max(‖g‖, c) per variable, g·c·min(1/‖G‖, 1/c) over all, or clip(g, −c, c). */
  private clip(variables: readonly Variable[]): void {
    const { clipnorm, clipvalue, globalClipnorm } = this;
    if (clipnorm !== undefined) {
      for (const { grad } of variables) scale(grad, clipnorm / Math.max(Math.sqrt(sumOfSquares(grad)), clipnorm));
    } else if (globalClipnorm !== undefined) {
      let total = 0;
      for (const { grad } of variables) total += sumOfSquares(grad);
      const norm = Math.sqrt(total);
      // as Keras: an infinite or NaN norm makes the factor NaN, rather than a silent rescale
      const factor = globalClipnorm * Math.min(1 / norm, 1 / globalClipnorm) + (norm - norm);
      for (const { grad } of variables) scale(grad, factor);
    } else if (clipvalue !== undefined) {
      for (const { grad } of variables) {
        for (let i = 0; i < grad.length; i++) grad[i] = Math.min(Math.max(grad[i], -clipvalue), clipvalue);
      }
    }
  }

  /** Keras' `_apply_weight_decay`: w ← w − w·(weight decay·learning rate), for the variables not excluded. */
  private decayWeights(variables: readonly Variable[], factor: number): void {
    for (const variable of variables) {
      if (!this.isDecayed(variable)) continue;
      const w = variable.value;
      for (let i = 0; i < w.length; i++) w[i] -= w[i] * factor;
    }
  }

  /** Whether `variable` is decayed (Keras' `_use_weight_decay`): not when excludeFromWeightDecay named it. */
  private isDecayed(variable: Variable): boolean {
    let decayed = this.decayVerdicts.get(variable);
    if (decayed === undefined) {
      decayed = !this.excludedVariables.has(variable) && !this.excludedNames?.test(variable.name);
      this.decayVerdicts.set(variable, decayed);
    }
    return decayed;
  }

  /** A step without an update: each gradient is added to its sum. */
  private accumulate(variables: readonly Variable[]): void {
    for (const variable of variables) {
      const sum = slotOf(this.accumulated, variable);
      const g = variable.grad;
      for (let i = 0; i < g.length; i++) sum[i] += g[i];
    }
  }

  /** An update after accumulation: each gradient becomes (g + sum)/`count`, as Keras', and its sum starts again from 0. */
  private takeAccumulatedMean(variables: readonly Variable[], count: number): void {
    for (const variable of variables) {
      const sum = slotOf(this.accumulated, variable);
      const g = variable.grad;
      // the sum rounded to float32 before the division, as Keras' (g + acc_g) / steps
      for (let i = 0; i < g.length; i++) g[i] = Math.fround(g[i] + sum[i]) / count;
      sum.fill(0);
    }
  }

  /**
   * Keras' `_update_model_variables_moving_average`, after every step (an update or not): a ← m·a +
   * (1 − m)·w, with m = 0 while `iterations` is 0; then, every emaOverwriteFrequency updates (at
   * each step while `iterations` + 1 is a multiple of it, as Keras), w ← a.
   */
  private updateAverages(variables: readonly Variable[]): void {
    const momentum = this.iterations === 0 ? 0 : this.emaMomentum;
    for (const variable of variables) {
      const average = slotOf(this.averages, variable);
      const w = variable.value;
      for (let i = 0; i < w.length; i++) average[i] = momentum * average[i] + (1 - momentum) * w[i];
    }
    const every = this.emaOverwriteFrequency;
    if (every !== undefined && (this.iterations + 1) % every === 0) this.overwriteWithAverages(variables);
  }

  /** Keras' `_overwrite_model_variables_with_average_value`: each variable that has an average takes it. */
  private overwriteWithAverages(variables: readonly Variable[]): void {
    for (const variable of variables) {
      const average = this.averages.get(variable);
      if (average) variable.value.set(average);
    }
  }
}

/** `variable`'s buffer in `slots`, zeros at first. */
function slotOf(slots: Map<Variable, Float32Array>, variable: Variable): Float32Array {
  let slot = slots.get(variable);
  if (slot === undefined) {
    slot = new Float32Array(variable.value.length);
    slots.set(variable, slot);
  }
  return slot;
}

function sumOfSquares(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return sum;
}

function scale(values: Float32Array, factor: number): void {
  if (factor === 1) return;
  for (let i = 0; i < values.length; i++) values[i] *= factor;
}

/**
 * An optimizer's options, or its learning rate alone, as Keras' `Adam(3e-4)` and tfjs'
 * `tf.train.adam(3e-4)` give it (a number, a schedule or a function), as `{ learningRate }`.
 */
export function optionsOf<T extends OptimizerOptions>(given: T | LearningRate): T {
  const isRate = typeof given === 'number' || typeof given === 'function' || given instanceof LearningRateSchedule;
  return isRate ? ({ learningRate: given } as T) : given;
}

/**
 * `options` with `key` set to `value` where it is not given: a tfjs-style factory's default where
 * it differs from Keras' class. Anything but an object is passed on for the constructor to refuse.
 */
export function withDefault<T extends object, K extends keyof T>(options: T | undefined, key: K, value: T[K]): T | undefined {
  if (options === undefined) return { [key]: value } as T;
  const plain = typeof options === 'object' && options !== null && !Array.isArray(options);
  return plain && options[key] === undefined ? { ...options, [key]: value } : options;
}
