import { ConvlensError, checkOptions, describeValue } from '../errors.js';

// Keras' weight constraints, applied to a weight after each optimizer step as Keras' optimizers
// apply them (tfjs-layers keeps them in the model but its fit never applies them).

/** Keras' backend epsilon, added to the norms the constraints divide by. */
const EPSILON = 1e-7;

type ConstraintConfig = { class_name: string; config: Record<string, number | number[]> };

/** A rule a weight is projected onto after each optimizer step. */
export abstract class Constraint {
  abstract readonly className: string;

  /** Projects `values` (a weight of `shape`) in place. */
  abstract apply(values: Float32Array, shape: readonly number[]): void;

  /** Keras' config (snake_case keys), as tfjs and Keras save it. */
  abstract getConfig(): ConstraintConfig;

  /** Throws, naming the option, unless the constraint suits a weight of `rank` axes (its axes exist). */
  check(_where: string, _rank: number): void {}
}

/** Keras' NonNeg: negative values become 0. */
export class NonNeg extends Constraint {
  readonly className = 'NonNeg';

  apply(values: Float32Array): void {
    for (let i = 0; i < values.length; i++) if (values[i] < 0) values[i] = 0;
  }

  getConfig(): ConstraintConfig {
    return { class_name: 'NonNeg', config: {} };
  }
}

/**
 * A constraint that rescales the values along `axis` (Keras': an axis or a list of them, 0 by
 * default: each unit's incoming weights for a Dense kernel; [0, 1, 2] for a Conv2D's filters) so
 * that their L2 norm becomes `target(norm)`.
 */
abstract class NormConstraint extends Constraint {
  readonly axis: number | readonly number[];
  /** For each weight shape, each value's group (the values sharing one norm). */
  private readonly groupsByShape = new Map<string, { of: Int32Array; count: number }>();

  constructor(where: string, axis: unknown) {
    super();
    const axes = Array.isArray(axis) ? axis : [axis];
    if (axes.length === 0 || !axes.every(Number.isInteger) || new Set(axes).size !== axes.length) {
      throw new ConvlensError(`${where}: axis must be an integer or a list of distinct integers, got ${describeValue(axis)}`);
    }
    this.axis = Array.isArray(axis) ? Object.freeze([...axis]) : (axis as number);
  }

  /** The norm the values of a group are scaled to, from their norm now. */
  protected abstract target(norm: number): number;

  override check(where: string, rank: number): void {
    const axes = Array.isArray(this.axis) ? this.axis : [this.axis];
    const bad = axes.find((a) => a < -rank || a >= rank);
    if (bad !== undefined) {
      throw new ConvlensError(`${where}: ${this.className}'s axis ${bad} does not exist in a weight of ${rank} axes`);
    }
  }

  apply(values: Float32Array, shape: readonly number[]): void {
    const groups = this.groups(shape);
    const squares = new Float64Array(groups.count);
    for (let i = 0; i < values.length; i++) squares[groups.of[i]] += values[i] * values[i];
    const scales = squares.map((s) => {
      const norm = Math.sqrt(s);
      return this.target(norm) / (EPSILON + norm);
    });
    for (let i = 0; i < values.length; i++) values[i] *= scales[groups.of[i]];
  }

  /** The group of each value of a weight of `shape`: its index along the axes not reduced. */
  private groups(shape: readonly number[]): { of: Int32Array; count: number } {
    const key = shape.join(',');
    const known = this.groupsByShape.get(key);
    if (known) return known;
    const rank = shape.length;
    const reduced = new Set((Array.isArray(this.axis) ? this.axis : [this.axis]).map((a: number) => (a < 0 ? a + rank : a)));
    const size = shape.reduce((a, b) => a * b, 1);
    const of = new Int32Array(size);
    let count = 1;
    for (let i = 0; i < size; i++) {
      let rest = i;
      let group = 0;
      let stride = 1;
      for (let axis = rank - 1; axis >= 0; axis--) {
        const coordinate = rest % shape[axis];
        rest = Math.floor(rest / shape[axis]);
        if (reduced.has(axis)) continue;
        group += coordinate * stride;
        stride *= shape[axis];
      }
      of[i] = group;
      count = stride;
    }
    const groups = { of, count };
    this.groupsByShape.set(key, groups);
    return groups;
  }
}

/** Checks a constraint's number option: finite and ≥ 0 (Keras' norms and rates are). */
function nonNegative(where: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConvlensError(`${where}: ${key} must be a finite number ≥ 0, got ${describeValue(value)}`);
  }
  return value;
}

export interface MaxNormArgs {
  /** The largest norm (Keras' default 2). */
  maxValue?: number;
  /** The axis or axes a norm is taken over (Keras' default 0). */
  axis?: number | number[];
}

/** Keras' MaxNorm: values along `axis` scaled down where their norm exceeds `maxValue`. */
export class MaxNorm extends NormConstraint {
  readonly className = 'MaxNorm';
  readonly maxValue: number;

  constructor(args: MaxNormArgs = {}, where = 'constraints.maxNorm') {
    checkOptions(where, args, ['maxValue', 'axis']);
    super(where, args.axis ?? 0);
    this.maxValue = nonNegative(where, 'maxValue', args.maxValue ?? 2);
  }

  protected target(norm: number): number {
    return Math.min(norm, this.maxValue);
  }

  getConfig(): ConstraintConfig {
    return { class_name: 'MaxNorm', config: { max_value: this.maxValue, axis: this.axis as number | number[] } };
  }
}

export interface UnitNormArgs {
  /** The axis or axes a norm is taken over (Keras' default 0). */
  axis?: number | number[];
}

/** Keras' UnitNorm: values along `axis` divided by their norm. */
export class UnitNorm extends NormConstraint {
  readonly className = 'UnitNorm';

  constructor(args: UnitNormArgs = {}, where = 'constraints.unitNorm') {
    checkOptions(where, args, ['axis']);
    super(where, args.axis ?? 0);
  }

  protected target(): number {
    return 1;
  }

  getConfig(): ConstraintConfig {
    return { class_name: 'UnitNorm', config: { axis: this.axis as number | number[] } };
  }
}

export interface MinMaxNormArgs {
  /** Keras' defaults: 0, 1, rate 1 (strict), axis 0. */
  minValue?: number;
  maxValue?: number;
  /** How far towards the range a step moves the norm: 1 enforces it at once. */
  rate?: number;
  axis?: number | number[];
}

/** Keras' MinMaxNorm: the norm along `axis` moved `rate` of the way into [minValue, maxValue]. */
export class MinMaxNorm extends NormConstraint {
  readonly className = 'MinMaxNorm';
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;

  constructor(args: MinMaxNormArgs = {}, where = 'constraints.minMaxNorm') {
    checkOptions(where, args, ['minValue', 'maxValue', 'rate', 'axis']);
    super(where, args.axis ?? 0);
    this.minValue = nonNegative(where, 'minValue', args.minValue ?? 0);
    this.maxValue = nonNegative(where, 'maxValue', args.maxValue ?? 1);
    this.rate = nonNegative(where, 'rate', args.rate ?? 1);
    if (this.minValue > this.maxValue) {
      throw new ConvlensError(`${where}: minValue ${this.minValue} is above maxValue ${this.maxValue}`);
    }
    if (this.rate > 1) throw new ConvlensError(`${where}: rate must be from 0 to 1, got ${this.rate}`);
  }

  protected target(norm: number): number {
    return this.rate * Math.min(Math.max(norm, this.minValue), this.maxValue) + (1 - this.rate) * norm;
  }

  getConfig(): ConstraintConfig {
    const { minValue, maxValue, rate } = this;
    return { class_name: 'MinMaxNorm', config: { min_value: minValue, max_value: maxValue, rate, axis: this.axis as number | number[] } };
  }
}

/** tfjs' factories: `constraints.maxNorm({ maxValue, axis })`, `nonNeg()`, `unitNorm({ axis })`, `minMaxNorm({ ... })`. */
export function maxNorm(args?: MaxNormArgs): MaxNorm {
  return new MaxNorm(args);
}

export function nonNeg(): NonNeg {
  return new NonNeg();
}

export function unitNorm(args?: UnitNormArgs): UnitNorm {
  return new UnitNorm(args);
}

export function minMaxNorm(args?: MinMaxNormArgs): MinMaxNorm {
  return new MinMaxNorm(args);
}

/** What a layer takes as a constraint: tfjs' or Keras' name (with the defaults) or a constraint. */
export type ConstraintIdentifier =
  | 'maxNorm'
  | 'minMaxNorm'
  | 'nonNeg'
  | 'unitNorm'
  | 'max_norm'
  | 'min_max_norm'
  | 'non_neg'
  | 'unit_norm'
  | Constraint;
