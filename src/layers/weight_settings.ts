import { ConvlensError, describeValue } from '../errors.js';
import { Constraint, type ConstraintIdentifier, MaxNorm, MinMaxNorm, NonNeg, UnitNorm } from '../train/constraints.js';
import { L1L2, l1, l1l2, l2, type Regularizer, type RegularizerIdentifier } from '../train/regularizers.js';
import type { WeightSettings } from './layer.js';

// The penalties and constraints layers take for their weights (Keras' kernel_regularizer,
// kernel_constraint, ...) and for their output (activity_regularizer): options, checks and configs.

/** How layers' options and Keras' configs name a weight: `kernelRegularizer`, `depthwise_constraint`... */
export type WeightRole = 'kernel' | 'bias' | 'depthwise' | 'pointwise' | 'beta' | 'gamma';

/** A layer's options for the penalties and constraints of its weights `R` (`kernelRegularizer`, `kernelConstraint`...). */
export type WeightPenaltyOptions<R extends WeightRole> = { [K in `${R}Regularizer`]?: RegularizerIdentifier | null } & {
  [K in `${R}Constraint`]?: ConstraintIdentifier | null;
};

/** Keras' `activityRegularizer`: a penalty on the layer's output. */
export interface ActivityOptions {
  activityRegularizer?: RegularizerIdentifier | null;
}

/** The option keys for the weights `roles`. */
export function penaltyKeys(roles: readonly WeightRole[]): string[] {
  return roles.flatMap((role) => [`${role}Regularizer`, `${role}Constraint`]);
}

/** One weight's regularizer and constraint from a layer's options, checked for a weight of `rank` axes (`where` names the layer). */
export function weightSettings(where: string, args: object, role: WeightRole, rank: number): WeightSettings {
  const options = args as Record<string, unknown>;
  return {
    regularizer: regularizerArg(where, `${role}Regularizer`, options[`${role}Regularizer`]),
    constraint: constraintArg(where, `${role}Constraint`, options[`${role}Constraint`], rank),
  };
}

/** The layer's activity regularizer from its options. */
export function activityArg(where: string, args: ActivityOptions): Regularizer | undefined {
  return regularizerArg(where, 'activityRegularizer', args.activityRegularizer);
}

/** Keras' config keys for a weight's settings (`kernel_regularizer`, `kernel_constraint`), where set. */
export function weightSettingsConfig(role: WeightRole, settings: WeightSettings): Record<string, unknown> {
  return {
    ...(settings.regularizer ? { [`${role}_regularizer`]: settings.regularizer.getConfig() } : {}),
    ...(settings.constraint ? { [`${role}_constraint`]: settings.constraint.getConfig() } : {}),
  };
}

/** Keras' `activity_regularizer` key, where set. */
export function activityConfig(regularizer: Regularizer | undefined): Record<string, unknown> {
  return regularizer ? { activity_regularizer: regularizer.getConfig() } : {};
}

/**
 * A saved layer config's penalties and constraints for the weights `roles` (and its activity
 * regularizer), as the layer's options; the layer checks them. Throws a message without the layer
 * (which the reader adds) for a class convlens lacks.
 */
export function savedPenalties(config: Record<string, unknown>, roles: readonly WeightRole[]): Record<string, Regularizer | Constraint> {
  const options: Record<string, Regularizer | Constraint> = {};
  const set = (key: string, value: Regularizer | Constraint | undefined) => {
    if (value) options[key] = value;
  };
  for (const role of roles) {
    set(`${role}Regularizer`, regularizerFromConfig(`${role}_regularizer`, config[`${role}_regularizer`]));
    set(`${role}Constraint`, constraintFromConfig(`${role}_constraint`, config[`${role}_constraint`]));
  }
  set('activityRegularizer', regularizerFromConfig('activity_regularizer', config.activity_regularizer));
  return options;
}

const BY_NAME: Record<string, () => L1L2> = { l1: () => l1(), l2: () => l2(), l1l2: () => l1l2() };

/** A layer's regularizer option (`where` and `key` name it in errors): undefined or null for none. */
function regularizerArg(where: string, key: string, value: unknown): Regularizer | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof L1L2) return value;
  const name = typeof value === 'string' ? value.replace(/_/g, '').toLowerCase() : undefined;
  if (name !== undefined && Object.hasOwn(BY_NAME, name)) return BY_NAME[name]();
  throw new ConvlensError(
    `${where}: ${key} must be 'l1', 'l2', 'l1l2' or a regularizer (regularizers.l2(0.01), regularizers.l1l2({ l1, l2 })), got ${describeValue(value)}`,
  );
}

/**
 * A regularizer from a saved layer config: tfjs' and Keras' `{ class_name: 'L1L2' | 'L1' | 'L2',
 * config }` (a factor left out is Keras' class default), or a name. Throws a message (without
 * the layer, which the reader adds) for another class.
 */
export function regularizerFromConfig(key: string, saved: unknown): Regularizer | undefined {
  if (saved === undefined || saved === null || typeof saved === 'string') return regularizerArg(key, key, saved);
  const { class_name: className, config = {} } = saved as { class_name?: unknown; config?: Record<string, unknown> };
  const read = (name: string, fallback: number) => (config[name] ?? fallback) as number;
  switch (className) {
    case 'L1L2':
      return new L1L2({ l1: read('l1', 0), l2: read('l2', 0) }, key);
    case 'L1':
      return new L1L2({ l1: read('l1', 0.01), l2: 0 }, key);
    case 'L2':
      return new L1L2({ l1: 0, l2: read('l2', 0.01) }, key);
    default:
      throw new ConvlensError(`${key} ${describeValue(className)} is not supported (only L1, L2 and L1L2)`);
  }
}

/** The penalties of `weights` that have a regularizer (their values now). */
export function weightPenalty(weights: readonly { value: Float32Array; regularizer?: Regularizer }[]): number {
  let total = 0;
  for (const w of weights) if (w.regularizer) total += w.regularizer.penalty(w.value);
  return total;
}

/** Adds each regularized weight's penalty gradient to the gradient its backward pass left. */
export function addPenaltyGradients(weights: readonly { value: Float32Array; grad: Float32Array; regularizer?: Regularizer }[]): void {
  for (const w of weights) w.regularizer?.addGradient(w.value, w.grad);
}

/** Constructors by Keras' class name, lower case: what names and saved configs say. */
const BY_CLASS: Record<string, (where: string, config: Record<string, unknown>) => Constraint> = {
  maxnorm: (where, c) => new MaxNorm({ maxValue: c.max_value as number | undefined, axis: c.axis as number | undefined }, where),
  unitnorm: (where, c) => new UnitNorm({ axis: c.axis as number | undefined }, where),
  minmaxnorm: (where, c) =>
    new MinMaxNorm(
      {
        minValue: c.min_value as number | undefined,
        maxValue: c.max_value as number | undefined,
        rate: c.rate as number | undefined,
        axis: c.axis as number | undefined,
      },
      where,
    ),
  nonneg: () => new NonNeg(),
};

/** The constraint a name stands for (tfjs' `maxNorm`, Keras' `max_norm` or `MaxNorm`), with its defaults. */
function byName(where: string, name: unknown): Constraint | undefined {
  const key = typeof name === 'string' ? name.replace(/_/g, '').toLowerCase() : '';
  return Object.hasOwn(BY_CLASS, key) ? BY_CLASS[key](where, {}) : undefined;
}

/**
 * A layer's constraint option for a weight of `rank` axes (`where` and `key` name it in errors):
 * undefined or null for none.
 */
function constraintArg(where: string, key: string, value: unknown, rank: number): Constraint | undefined {
  if (value === undefined || value === null) return undefined;
  const constraint = value instanceof Constraint ? value : byName(`${where}: ${key}`, value);
  if (!constraint) {
    throw new ConvlensError(
      `${where}: ${key} must be 'maxNorm', 'minMaxNorm', 'nonNeg', 'unitNorm' or a constraint (constraints.maxNorm({ maxValue: 2 })), got ${describeValue(value)}`,
    );
  }
  constraint.check(`${where}: ${key}`, rank);
  return constraint;
}

/**
 * A constraint from a saved layer config: `{ class_name, config }` with Keras' snake_case keys, or
 * a name. Throws a message without the layer (which the reader adds) for another class; the layer
 * checks it against its weight.
 */
export function constraintFromConfig(key: string, saved: unknown): Constraint | undefined {
  if (saved === undefined || saved === null) return undefined;
  const { class_name: className, config = {} } = (typeof saved === 'string' ? { class_name: saved } : saved) as {
    class_name?: unknown;
    config?: Record<string, unknown>;
  };
  // Keras writes a setting left at its default as null
  const settings = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v ?? undefined]));
  const name = typeof className === 'string' ? className.replace(/_/g, '').toLowerCase() : '';
  if (!Object.hasOwn(BY_CLASS, name)) {
    throw new ConvlensError(`${key} ${describeValue(className)} is not supported (only MaxNorm, MinMaxNorm, NonNeg and UnitNorm)`);
  }
  return BY_CLASS[name](key, settings);
}

/** Projects each weight that has a constraint, as Keras does after every optimizer step. */
export function applyConstraints(weights: readonly { value: Float32Array; shape: readonly number[]; constraint?: Constraint }[]): void {
  for (const w of weights) w.constraint?.apply(w.value, w.shape);
}
