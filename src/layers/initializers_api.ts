import { type FanMode, Initializer, makeInitializer, type VarianceDistribution } from './initializers.js';

// The `initializers` namespace: tfjs' `tf.initializers.*` functions (and Keras' classes), each
// making an Initializer that a layer's kernelInitializer, biasInitializer (and the like) take
// instead of a name. Values are drawn as Keras draws them, when the layer is built.

export type { FanMode, VarianceDistribution };
export { Initializer };

export interface SeedArgs {
  /** Draws from a generator of its own: the same seed gives the same values (left out: the global one, see setSeed). */
  seed?: number | null;
}

export interface ConstantArgs {
  /** The value of every element (0 when left out, as Keras' Constant). */
  value?: number;
}

export interface RandomNormalArgs extends SeedArgs {
  /** 0 when left out. */
  mean?: number;
  /** 0.05 when left out, as in Keras and tfjs. */
  stddev?: number;
}

export interface RandomUniformArgs extends SeedArgs {
  /** -0.05 when left out. */
  minval?: number;
  /** 0.05 when left out. */
  maxval?: number;
}

export interface VarianceScalingArgs extends SeedArgs {
  /** Positive; 1 when left out. */
  scale?: number;
  /** Which fans divide the scale: 'fan_in' (default), 'fan_out' or 'fan_avg' (tfjs' 'fanIn'... too). */
  mode?: FanMode | 'fanIn' | 'fanOut' | 'fanAvg';
  /**
   * 'truncated_normal' (default; Keras 2's and tfjs' 'normal'), 'untruncated_normal' or 'uniform'.
   * The truncated normal's deviation is divided by 0.8796 so that after cutting at two deviations
   * the spread is √(scale / fan), as in Keras.
   */
  distribution?: VarianceDistribution | 'normal' | 'truncatedNormal' | 'untruncatedNormal';
}

export interface GainArgs {
  /** Multiplies the matrix (1 when left out). */
  gain?: number;
}

/** Zeros and Ones take no settings: an options object given (`ones({ value: 2 })`) must be empty, not ignored. */
export type NoArgs = Record<string, never>;

/** Every value 0 (Keras' Zeros). */
export const zeros = (args: NoArgs = {}): Initializer => makeInitializer('initializers.zeros', 'zeros', args);

/** Every value 1 (Keras' Ones). */
export const ones = (args: NoArgs = {}): Initializer => makeInitializer('initializers.ones', 'ones', args);

/** Every value `value` (Keras' Constant): `constant(0.1)` or tfjs' `constant({ value: 0.1 })`. */
export function constant(args: number | ConstantArgs = {}): Initializer {
  // a value that is neither is refused saying both forms
  const form = { shorthand: 'a number (the value)' };
  return makeInitializer('initializers.constant', 'constant', typeof args === 'number' ? { value: args } : args, form);
}

/** Normal draws of mean `mean` and deviation `stddev` (Keras' RandomNormal). */
export const randomNormal = (args: RandomNormalArgs = {}): Initializer =>
  makeInitializer('initializers.randomNormal', 'randomNormal', args);

/** Uniform draws in [minval, maxval) (Keras' RandomUniform). */
export const randomUniform = (args: RandomUniformArgs = {}): Initializer =>
  makeInitializer('initializers.randomUniform', 'randomUniform', args);

/** Normal draws of mean `mean` and deviation `stddev`, redrawn beyond two deviations (Keras' TruncatedNormal). */
export const truncatedNormal = (args: RandomNormalArgs = {}): Initializer =>
  makeInitializer('initializers.truncatedNormal', 'truncatedNormal', args);

/** Draws of variance scale / fan, the fan picked by `mode` from the weight's shape (Keras' VarianceScaling). */
export const varianceScaling = (args: VarianceScalingArgs = {}): Initializer =>
  makeInitializer('initializers.varianceScaling', 'varianceScaling', args);

/** Uniform within ±√(6 / (fan_in + fan_out)): Keras' default kernel initializer. */
export const glorotUniform = (args: SeedArgs = {}): Initializer => makeInitializer('initializers.glorotUniform', 'glorotUniform', args);

/** Truncated normal of deviation √(2 / (fan_in + fan_out)). */
export const glorotNormal = (args: SeedArgs = {}): Initializer => makeInitializer('initializers.glorotNormal', 'glorotNormal', args);

/** Uniform within ±√(6 / fan_in). */
export const heUniform = (args: SeedArgs = {}): Initializer => makeInitializer('initializers.heUniform', 'heUniform', args);

/** Truncated normal of deviation √(2 / fan_in). */
export const heNormal = (args: SeedArgs = {}): Initializer => makeInitializer('initializers.heNormal', 'heNormal', args);

/** Uniform within ±√(3 / fan_in) (tfjs' name; Keras' LecunUniform). */
export const leCunUniform = (args: SeedArgs = {}): Initializer => makeInitializer('initializers.leCunUniform', 'lecunUniform', args);

/** Truncated normal of deviation √(1 / fan_in) (tfjs' name; Keras' LecunNormal). */
export const leCunNormal = (args: SeedArgs = {}): Initializer => makeInitializer('initializers.leCunNormal', 'lecunNormal', args);

/** Keras' spelling of leCunUniform. */
export const lecunUniform = leCunUniform;
/** Keras' spelling of leCunNormal. */
export const lecunNormal = leCunNormal;

/**
 * A matrix with orthonormal columns (or rows, when wider than tall) times `gain`, from the QR
 * decomposition of a normal draw (Keras' Orthogonal). A weight of more axes is seen as (all axes
 * but the last) × last, as Keras does; a bias (one axis) is refused.
 */
export const orthogonal = (args: GainArgs & SeedArgs = {}): Initializer => makeInitializer('initializers.orthogonal', 'orthogonal', args);

/** `gain` on the diagonal, 0 elsewhere, for a 2-D weight such as a Dense kernel (Keras' Identity). */
export const identity = (args: GainArgs = {}): Initializer => makeInitializer('initializers.identity', 'identity', args);
