import { ConvlensError, checkOptions, describeValue, type OptionsForm } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { globalRandom, Random } from '../tensor/random.js';
import { formatShape, sizeFromShape } from '../tensor/shape.js';
import { seedArg } from './args.js';

export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'lecunUniform'
  | 'lecunNormal'
  | 'truncatedNormal'
  | 'zeros'
  | 'ones'
  | 'randomNormal'
  | 'randomUniform'
  | 'constant'
  | 'varianceScaling'
  | 'orthogonal'
  | 'identity';

/** Which fans VarianceScaling divides its scale by (Keras' `mode`). */
export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
/** How VarianceScaling draws (Keras' `distribution`; Keras 2's and tfjs' `normal` is the truncated one). */
export type VarianceDistribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

/** Every setting an initializer can take, each used by some kinds only (see SPECS). */
export interface InitializerSettings {
  value?: number;
  mean?: number;
  stddev?: number;
  minval?: number;
  maxval?: number;
  scale?: number;
  mode?: FanMode;
  distribution?: VarianceDistribution;
  gain?: number;
  /** Draws from a generator of its own, so the same seed gives the same weights (Keras' and tfjs' `seed`). */
  seed?: number;
}

type SettingKey = Exclude<keyof InitializerSettings, 'seed'>;

/**
 * Each kind's Keras class name (tfjs' where they differ: tfjs-layers reads these files), its
 * settings with Keras 3's defaults, and whether it draws (and so takes a seed). The LeCun kinds are
 * saved as the VarianceScaling they are (SAVED_AS_VARIANCE_SCALING), so their names here are only
 * what `Initializer.className` reports.
 */
const SPECS: Record<InitializerName, { className: string; defaults: Partial<Record<SettingKey, number | string>>; draws: boolean }> = {
  glorotUniform: { className: 'GlorotUniform', defaults: {}, draws: true },
  glorotNormal: { className: 'GlorotNormal', defaults: {}, draws: true },
  heUniform: { className: 'HeUniform', defaults: {}, draws: true },
  heNormal: { className: 'HeNormal', defaults: {}, draws: true },
  // Keras 3's class names (tfjs-layers reads only its own LeCunUniform and LeCunNormal)
  lecunUniform: { className: 'LecunUniform', defaults: {}, draws: true },
  lecunNormal: { className: 'LecunNormal', defaults: {}, draws: true },
  truncatedNormal: { className: 'TruncatedNormal', defaults: { mean: 0, stddev: 0.05 }, draws: true },
  zeros: { className: 'Zeros', defaults: {}, draws: false },
  ones: { className: 'Ones', defaults: {}, draws: false },
  randomNormal: { className: 'RandomNormal', defaults: { mean: 0, stddev: 0.05 }, draws: true },
  randomUniform: { className: 'RandomUniform', defaults: { minval: -0.05, maxval: 0.05 }, draws: true },
  constant: { className: 'Constant', defaults: { value: 0 }, draws: false },
  varianceScaling: {
    className: 'VarianceScaling',
    defaults: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
    draws: true,
  },
  orthogonal: { className: 'Orthogonal', defaults: { gain: 1 }, draws: true },
  identity: { className: 'Identity', defaults: { gain: 1 }, draws: false },
};

const NAMES = Object.keys(SPECS) as InitializerName[];

/** The VarianceScaling each of Keras' named variance initializers is (keras.initializers). */
const VARIANCE_FORMS: Partial<Record<InitializerName, { scale: number; mode: FanMode; distribution: VarianceDistribution }>> = {
  glorotUniform: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  glorotNormal: { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' },
  heUniform: { scale: 2, mode: 'fan_in', distribution: 'uniform' },
  heNormal: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' },
  lecunUniform: { scale: 1, mode: 'fan_in', distribution: 'uniform' },
  lecunNormal: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
};

/**
 * Kinds saved as their VarianceScaling: no class name reads in both tfjs-layers 4.x (which
 * registers LeCunUniform and LeCunNormal only) and Keras 3 (whose keras/src/initializers/__init__.py
 * has LecunUniform, LecunNormal and VarianceScaling, no LeCun*), but VarianceScaling reads in both.
 */
const SAVED_AS_VARIANCE_SCALING: ReadonlySet<InitializerName> = new Set(['lecunUniform', 'lecunNormal']);

/**
 * A saved VarianceScaling's distribution: the truncated normal as `normal`, which Keras 2 and 3
 * read as `truncated_normal` and tfjs-layers as its truncated normal (tfjs reads `truncated_normal`
 * as `truncatedNormal`, which its VarianceScaling then draws as a uniform).
 */
const savedDistribution = (distribution: VarianceDistribution): string => (distribution === 'truncated_normal' ? 'normal' : distribution);

/**
 * An initializer with its settings (`initializers.randomNormal({ stddev: 0.01 })`), what a
 * layer's `kernelInitializer` (and the like) takes besides a name. Made by the functions of the
 * `initializers` namespace, which check the settings.
 */
export class Initializer {
  /** Keras 3's class name of its kind (`LecunNormal`); its saved config may name the VarianceScaling it is instead. */
  readonly className: string;

  readonly name: InitializerName;
  readonly settings: Readonly<InitializerSettings>;

  /** Checks its settings as the `initializers` functions do: the class is public, so a JavaScript caller may pass anything. */
  constructor(name: InitializerName, settings: Readonly<InitializerSettings> = {}) {
    this.name = initializerName('new Initializer', name);
    this.settings = checkedSettings('new Initializer', this.name, settings);
    this.className = SPECS[this.name].className;
  }

  /** Keras' config (its keys and Keras 3's spellings), as a layer's config holds it; tfjs-layers reads it too. */
  getConfig(): { class_name: string; config: Record<string, number | string | null> } {
    const seed = this.settings.seed ?? null;
    const form = VARIANCE_FORMS[this.name];
    if (form && SAVED_AS_VARIANCE_SCALING.has(this.name)) {
      return { class_name: 'VarianceScaling', config: { ...form, distribution: savedDistribution(form.distribution), seed } };
    }
    const { defaults, draws } = SPECS[this.name];
    const config: Record<string, number | string | null> = {};
    for (const key of Object.keys(defaults) as SettingKey[]) config[key] = this.settings[key] ?? (defaults[key] as number | string);
    if (typeof config.distribution === 'string') config.distribution = savedDistribution(config.distribution as VarianceDistribution);
    if (draws) config.seed = seed;
    return { class_name: this.className, config };
  }
}

/** Accepts Keras' snake_case names (`glorot_uniform`) as well as camelCase, in any case (tfjs' `leCunNormal`). */
export function initializerName(op: string, name: string): InitializerName {
  const key = String(name).replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  const found = NAMES.find((n) => n.toLowerCase() === key.toLowerCase());
  if (!found) throw new ConvlensError(`${op}: unknown initializer ${describeValue(name)} (expected one of ${NAMES.join(', ')})`);
  return found;
}

/**
 * A layer's initializer option (`key` names it in errors, `where` the layer): a name, kept as the
 * name, or an `Initializer` from the `initializers` namespace.
 */
export function initializerArg(where: string, key: string, value: unknown, fallback: InitializerName): InitializerName | Initializer {
  if (value === undefined || value === null) return fallback;
  if (value instanceof Initializer) return value;
  // the option named too: a layer takes several initializers
  if (typeof value === 'string') return initializerName(`${where}: ${key}`, value);
  throw new ConvlensError(
    `${where}: ${key} must be an initializer's name ('glorotUniform') or one made by initializers.* (initializers.randomNormal({ stddev: 0.01 })), got ${describeValue(value)}`,
  );
}

/** Keras' config of a layer's initializer: its settings, Keras' defaults for those left out (as Keras writes them). */
export function initializerConfig(init: InitializerName | Initializer): {
  class_name: string;
  config: Record<string, number | string | null>;
} {
  return (init instanceof Initializer ? init : new Initializer(init, {})).getConfig();
}

/** Keras' mode and distribution spellings, and tfjs' (`fanIn`, `normal`, `truncatedNormal`). */
const MODES: Record<string, FanMode> = { fanin: 'fan_in', fanout: 'fan_out', fanavg: 'fan_avg' };
const DISTRIBUTIONS: Record<string, VarianceDistribution> = {
  normal: 'truncated_normal',
  truncatednormal: 'truncated_normal',
  untruncatednormal: 'untruncated_normal',
  uniform: 'uniform',
};

function spelled<T>(where: string, key: string, value: unknown, table: Record<string, T>): T {
  const found = typeof value === 'string' ? table[value.replace(/_/g, '').toLowerCase()] : undefined;
  if (found === undefined) {
    const names = [...new Set(Object.values(table))].map((v) => `'${v}'`);
    throw new ConvlensError(`${where}: ${key} must be one of ${names.join(', ')}, got ${describeValue(value)}`);
  }
  return found;
}

function finite(where: string, key: string, value: unknown, check?: (v: number) => string | undefined): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConvlensError(`${where}: ${key} must be a finite number, got ${describeValue(value)}`);
  }
  const problem = check?.(value);
  if (problem) throw new ConvlensError(`${where}: ${key} ${problem}, got ${value}`);
  return value;
}

/**
 * Checks `options` for an initializer of kind `name` (`where` names the function in errors) and
 * makes it: only the kind's own settings (SPECS), each checked; the left-out ones take Keras'
 * defaults when used.
 */
export function makeInitializer(where: string, name: InitializerName, options: unknown = {}, form?: OptionsForm): Initializer {
  return new Initializer(name, checkedSettings(where, name, options, form));
}

/** makeInitializer's checks, which the Initializer constructor runs too (then passing, on settings checked already). */
function checkedSettings(where: string, name: InitializerName, options: unknown, form?: OptionsForm): InitializerSettings {
  const { defaults, draws } = SPECS[name];
  const keys = [...Object.keys(defaults), ...(draws ? ['seed'] : [])];
  if (keys.length === 0) {
    // Zeros and Ones: checkOptions would list no keys to expect
    const empty = typeof options === 'object' && options !== null && Object.keys(options).length === 0 && !Array.isArray(options);
    if (!empty) throw new ConvlensError(`${where}: takes no settings (expected nothing or {}), got ${describeValue(options)}`);
  }
  checkOptions(where, options, keys, form);
  const given = options as Record<string, unknown>;
  const settings: InitializerSettings = {};
  for (const key of Object.keys(given)) {
    const value = given[key];
    if (value === undefined || (key === 'seed' && value === null)) continue;
    switch (key) {
      case 'mode':
        settings.mode = spelled(where, key, value, MODES);
        break;
      case 'distribution':
        settings.distribution = spelled(where, key, value, DISTRIBUTIONS);
        break;
      case 'seed':
        settings.seed = seedArg(where, value);
        break;
      case 'stddev':
        settings.stddev = finite(where, key, value, (v) => (v < 0 ? 'must be ≥ 0' : undefined));
        break;
      case 'scale':
        settings.scale = finite(where, key, value, (v) => (v <= 0 ? 'must be positive' : undefined));
        break;
      default:
        settings[key as 'value' | 'mean' | 'minval' | 'maxval' | 'gain'] = finite(where, key, value);
    }
  }
  const { minval = -0.05, maxval = 0.05 } = settings;
  if (minval > maxval) throw new ConvlensError(`${where}: minval ${minval} is above maxval ${maxval}`);
  return settings;
}

/**
 * A layer's initializer from a saved config (Keras' or tfjs' `{ class_name, config }`) for a weight
 * of `rank` axes: its name when it has no settings of its own (so names round-trip), an
 * Initializer when it has; undefined for a class convlens does not draw, settings it cannot read,
 * or a kind that cannot fill the weight (an Orthogonal bias): the weights come from the file, so
 * loading must not fail on drawing them.
 */
export function initializerFromConfig(value: unknown, rank: number): InitializerName | Initializer | undefined {
  const { class_name: className, config = {} } = (value ?? {}) as { class_name?: unknown; config?: unknown };
  if (typeof className !== 'string' || typeof config !== 'object' || config === null) return undefined;
  try {
    const name = initializerName('', className);
    if (rankProblem(name, rank)) return undefined;
    const { defaults, draws } = SPECS[name];
    const known = [...Object.keys(defaults), ...(draws ? ['seed'] : [])];
    // Keras 3 and tfjs write keys this kind does not take (a dtype, say): left out
    const options = Object.fromEntries(Object.entries(config).filter(([key]) => known.includes(key)));
    // Keras 3 saves a SeedGenerator seed as its config ({ class_name: 'SeedGenerator', ... }): it
    // draws anew at each call, so unseeded here; that (or a seed convlens cannot take) loses only
    // the seed, not the file's other settings
    if (!(Number.isSafeInteger(options.seed) && (options.seed as number) >= 0)) delete options.seed;
    return canonical(makeInitializer('', name, options));
  } catch {
    return undefined;
  }
}

/**
 * The name of an initializer whose settings are all its defaults, so names round-trip. A
 * VarianceScaling stays one (the same as LeCunNormal, say, but Keras and tfjs both read it).
 */
function canonical(init: Initializer): InitializerName | Initializer {
  const { name, settings } = init;
  const { defaults } = SPECS[name];
  const same = (Object.keys(settings) as (keyof InitializerSettings)[]).every(
    (key) => key !== 'seed' && settings[key] === defaults[key as SettingKey],
  );
  return same ? name : init;
}

/** Truncated normal as Keras draws it: resample beyond two standard deviations of the mean. */
function truncatedNormal(random: Random, mean: number, std: number): number {
  for (;;) {
    const v = random.normal();
    if (Math.abs(v) <= 2) return mean + v * std;
  }
}

/** Keras scales the truncated normal's deviation by this so the truncated spread matches. */
const TRUNCATION_SCALE = 0.87962566103423978;

/**
 * The values of a weight of `shape` (`weight` names it in errors: `dense: kernel`), drawn as Keras
 * draws them; fans come from the shape (Keras' compute_fans: a vector's length is both).
 */
export function initialize(init: InitializerName | Initializer, shape: readonly number[], weight: string): Float32Array {
  const { name, settings } = init instanceof Initializer ? init : { name: init, settings: {} as InitializerSettings };
  const label = `${weight} ${formatShape(shape)}`;
  const out = allocate('float32', sizeFromShape(shape), label);
  const random = settings.seed === undefined ? globalRandom() : new Random(settings.seed);
  if (name === 'orthogonal') return orthogonalInto(out, shape, settings.gain ?? 1, random, label);
  if (name === 'identity') return identityInto(out, shape, settings.gain ?? 1, label);
  const sample = sampler(name, settings, kerasFans(shape), random);
  for (let i = 0; i < out.length; i++) out[i] = sample();
  return out;
}

function sampler(name: InitializerName, settings: InitializerSettings, fans: [number, number], random: Random): () => number {
  const form = VARIANCE_FORMS[name];
  if (form || name === 'varianceScaling') {
    const { scale = 1, mode = 'fan_in', distribution = 'truncated_normal' } = form ?? settings;
    return varianceSampler(scale, mode, distribution, fans, random);
  }
  switch (name) {
    case 'zeros':
      return () => 0;
    case 'ones':
      return () => 1;
    case 'constant': {
      const value = settings.value ?? 0;
      return () => value;
    }
    case 'truncatedNormal': {
      // Keras' TruncatedNormal: cut at two deviations, not rescaled
      const { mean = 0, stddev = 0.05 } = settings;
      return () => truncatedNormal(random, mean, stddev);
    }
    case 'randomNormal': {
      const { mean = 0, stddev = 0.05 } = settings;
      return () => mean + stddev * random.normal();
    }
    default: {
      const { minval = -0.05, maxval = 0.05 } = settings;
      return uniform(random, minval, maxval);
    }
  }
}

/** Uniform in [minval, maxval); a symmetric range as (2u − 1)·limit, as convlens always drew it, so seeded models stay the same. */
function uniform(random: Random, minval: number, maxval: number): () => number {
  if (minval === -maxval) return () => (2 * random.next() - 1) * maxval;
  return () => minval + (maxval - minval) * random.next();
}

/** Keras' VarianceScaling: scale over the fans the mode picks (at least 1), then drawn by the distribution. */
function varianceSampler(
  scale: number,
  mode: FanMode,
  distribution: VarianceDistribution,
  [fanIn, fanOut]: [number, number],
  random: Random,
): () => number {
  const fan = Math.max(1, mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2);
  // one rounding each, as convlens always computed √(6 / (fan_in + fan_out)) and the like
  if (distribution === 'uniform') {
    const limit = Math.sqrt((3 * scale) / fan);
    return uniform(random, -limit, limit);
  }
  if (distribution === 'untruncated_normal') {
    const std = Math.sqrt(scale / fan);
    return () => std * random.normal();
  }
  const std = Math.sqrt(scale / fan) / TRUNCATION_SCALE;
  return () => truncatedNormal(random, 0, std);
}

/** What Orthogonal and Identity need of a weight of `rank` axes they cannot fill (Keras refuses it too), or undefined. */
function rankProblem(name: InitializerName, rank: number): string | undefined {
  if (name === 'identity' && rank !== 2) return 'exactly 2 axes (a Dense kernel)';
  if (name === 'orthogonal' && rank < 2) return 'at least 2 axes (not a bias)';
  return undefined;
}

/** A weight seen as Keras sees it for Orthogonal and Identity: rows (all axes but the last) × columns. */
function matrixOf(shape: readonly number[], kind: 'orthogonal' | 'identity', label: string): [number, number] {
  const need = rankProblem(kind, shape.length);
  if (need) throw new ConvlensError(`${label}: the ${kind} initializer needs a weight of ${need}, as in Keras`);
  const cols = shape[shape.length - 1];
  return [cols === 0 ? 0 : sizeFromShape(shape) / cols, cols];
}

/**
 * Keras' Orthogonal: the Q of a QR decomposition of a normal matrix of (larger, smaller) of the
 * weight's rows and columns, signed so R's diagonal is positive, transposed when the weight is
 * wider than tall, times `gain`. Gram–Schmidt in float64 gives that Q directly (its R has a
 * positive diagonal): block by block of BLOCK columns, each block first taken off the columns
 * before it together (projectBlock), then its columns one by one (orthonormalizeColumn).
 */
function orthogonalInto(out: Float32Array, shape: readonly number[], gain: number, random: Random, label: string): Float32Array {
  const [rows, cols] = matrixOf(shape, 'orthogonal', label);
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  // column j of the tall × narrow matrix at q[j * tall ...], drawn row by row as Keras' matrix is
  const q = workMatrix(tall * narrow, label);
  for (let i = 0; i < tall; i++) for (let j = 0; j < narrow; j++) q[j * tall + i] = random.normal();
  const coefficients = new Float64Array(BLOCK * narrow);
  for (let j0 = 0; j0 < narrow; j0 += BLOCK) {
    // a last, narrower block goes column by column over all the columns before it
    const whole = j0 + BLOCK <= narrow;
    if (whole) projectBlock(q, tall, j0, coefficients);
    for (let j = j0; j < Math.min(j0 + BLOCK, narrow); j++) orthonormalizeColumn(q, tall, j, whole ? j0 : 0, coefficients);
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? q[c * tall + r] : q[r * tall + c]);
  }
  return out;
}

/** Columns taken off the ones before them together, so that each of those is read once per block (memory, not arithmetic, bounds this). */
const BLOCK = 4;

/**
 * Classical Gram–Schmidt repeats its projection when it took most of the vector away: its norm
 * fell below 1/√2 of what it was (Daniel, Gragg, Kaufman and Stewart's test), the case where one
 * pass leaves it measurably unorthogonal; a second pass is then enough ("twice is enough").
 */
const needsSecondPass = (before: number, after: number): boolean => after < before * Math.SQRT1_2;

const columnNorm = (q: Float64Array, tall: number, j: number): number => Math.sqrt(dotWith(q, j * tall, j * tall, tall));

/**
 * Makes column j of the column-major `q` (columns of length `tall`) a unit vector orthogonal to
 * the columns before it, all orthonormal already, the ones before `from` taken away already (by
 * projectBlock): classical Gram–Schmidt against columns [from, j), and when that takes most of
 * it away once more against all of [0, j).
 */
function orthonormalizeColumn(q: Float64Array, tall: number, j: number, from: number, coefficients: Float64Array): void {
  let norm = columnNorm(q, tall, j);
  for (let pass = 0, first = from; pass < 2 && first < j; pass++, first = 0) {
    projectionCoefficients(q, tall, first, j, coefficients);
    subtractProjection(q, tall, first, j, coefficients);
    const before = norm;
    norm = columnNorm(q, tall, j);
    if (!needsSecondPass(before, norm)) break;
  }
  const start = j * tall;
  for (let i = start; i < start + tall; i++) q[i] /= norm;
}

/** Takes the (orthonormal) columns before j0 off the BLOCK columns from j0, twice when that took most of one away. */
function projectBlock(q: Float64Array, tall: number, j0: number, coefficients: Float64Array): void {
  if (j0 === 0) return;
  const norms = (): number[] => Array.from({ length: BLOCK }, (_, t) => columnNorm(q, tall, j0 + t));
  const before = norms();
  blockCoefficients(q, tall, j0, coefficients);
  subtractBlockProjection(q, tall, j0, coefficients);
  const after = norms();
  if (after.some((norm, t) => needsSecondPass(before[t], norm))) {
    blockCoefficients(q, tall, j0, coefficients);
    subtractBlockProjection(q, tall, j0, coefficients);
  }
}

/**
 * h[t * j0 + k] = column k · column j0 + t for k < j0 (even: a multiple of BLOCK) and the BLOCK
 * targets t: two columns against all four targets per sweep, eight sums in flight.
 */
function blockCoefficients(q: Float64Array, tall: number, j0: number, h: Float64Array): void {
  const t0 = j0 * tall;
  const t1 = t0 + tall;
  const t2 = t1 + tall;
  const t3 = t2 + tall;
  for (let k = 0; k < j0; k += 2) {
    const b0 = k * tall;
    const b1 = b0 + tall;
    let s00 = 0,
      s01 = 0,
      s02 = 0,
      s03 = 0,
      s10 = 0,
      s11 = 0,
      s12 = 0,
      s13 = 0;
    for (let i = 0; i < tall; i++) {
      const x = q[b0 + i];
      const y = q[b1 + i];
      const v0 = q[t0 + i];
      const v1 = q[t1 + i];
      const v2 = q[t2 + i];
      const v3 = q[t3 + i];
      s00 += x * v0;
      s01 += x * v1;
      s02 += x * v2;
      s03 += x * v3;
      s10 += y * v0;
      s11 += y * v1;
      s12 += y * v2;
      s13 += y * v3;
    }
    h[k] = s00;
    h[j0 + k] = s01;
    h[2 * j0 + k] = s02;
    h[3 * j0 + k] = s03;
    h[k + 1] = s10;
    h[j0 + k + 1] = s11;
    h[2 * j0 + k + 1] = s12;
    h[3 * j0 + k + 1] = s13;
  }
}

/** Target t −= Σ h[t * j0 + k] · column k over k < j0, for the BLOCK targets from j0, two columns per sweep. */
function subtractBlockProjection(q: Float64Array, tall: number, j0: number, h: Float64Array): void {
  const t0 = j0 * tall;
  const t1 = t0 + tall;
  const t2 = t1 + tall;
  const t3 = t2 + tall;
  for (let k = 0; k < j0; k += 2) {
    const b0 = k * tall;
    const b1 = b0 + tall;
    const x0 = h[k],
      y0 = h[k + 1],
      x1 = h[j0 + k],
      y1 = h[j0 + k + 1];
    const x2 = h[2 * j0 + k],
      y2 = h[2 * j0 + k + 1],
      x3 = h[3 * j0 + k],
      y3 = h[3 * j0 + k + 1];
    for (let i = 0; i < tall; i++) {
      const x = q[b0 + i];
      const y = q[b1 + i];
      q[t0 + i] -= x0 * x + y0 * y;
      q[t1 + i] -= x1 * x + y1 * y;
      q[t2 + i] -= x2 * x + y2 * y;
      q[t3 + i] -= x3 * x + y3 * y;
    }
  }
}

/** The dot product of q's `length` values from `a` and from `b`. */
function dotWith(q: Float64Array, a: number, b: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += q[a + i] * q[b + i];
  return sum;
}

/** coefficients[k] = column k · column j for every k in [from, j), four at a time (four sums in flight, column j read once per four). */
function projectionCoefficients(q: Float64Array, tall: number, from: number, j: number, coefficients: Float64Array): void {
  const v = j * tall;
  let k = from;
  for (; k + 4 <= j; k += 4) {
    const b0 = k * tall;
    const b1 = b0 + tall;
    const b2 = b1 + tall;
    const b3 = b2 + tall;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < tall; i++) {
      const x = q[v + i];
      s0 += q[b0 + i] * x;
      s1 += q[b1 + i] * x;
      s2 += q[b2 + i] * x;
      s3 += q[b3 + i] * x;
    }
    coefficients[k] = s0;
    coefficients[k + 1] = s1;
    coefficients[k + 2] = s2;
    coefficients[k + 3] = s3;
  }
  for (; k < j; k++) coefficients[k] = dotWith(q, k * tall, v, tall);
}

/** Column j −= Σ coefficients[k] · column k over k in [from, j), four columns per sweep of column j. */
function subtractProjection(q: Float64Array, tall: number, from: number, j: number, coefficients: Float64Array): void {
  const v = j * tall;
  let k = from;
  for (; k + 4 <= j; k += 4) {
    const b0 = k * tall;
    const b1 = b0 + tall;
    const b2 = b1 + tall;
    const b3 = b2 + tall;
    const h0 = coefficients[k];
    const h1 = coefficients[k + 1];
    const h2 = coefficients[k + 2];
    const h3 = coefficients[k + 3];
    for (let i = 0; i < tall; i++) q[v + i] -= h0 * q[b0 + i] + h1 * q[b1 + i] + h2 * q[b2 + i] + h3 * q[b3 + i];
  }
  for (; k < j; k++) {
    const h = coefficients[k];
    const b = k * tall;
    for (let i = 0; i < tall; i++) q[v + i] -= h * q[b + i];
  }
}

/**
 * Orthogonal's float64 work matrix, twice the weight's bytes: one no array can hold (when the
 * weight itself could be) is a ConvlensError naming the weight, as allocate's, not a RangeError.
 */
function workMatrix(size: number, label: string): Float64Array {
  try {
    return new Float64Array(size);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const gigabytes = (size * 8) / 2 ** 30;
    throw new ConvlensError(
      `${label}: cannot allocate the orthogonal initializer's ${size.toExponential(2)} float64 work values (${gigabytes.toPrecision(3)} GiB): the weight is too large`,
      { cause: error },
    );
  }
}

/** Keras' Identity: gain on the diagonal of a 2-D weight (any rows and columns), 0 elsewhere. */
function identityInto(out: Float32Array, shape: readonly number[], gain: number, label: string): Float32Array {
  const [rows, cols] = matrixOf(shape, 'identity', label);
  for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = gain;
  return out;
}

/** Keras' fan-in and fan-out of a weight of `shape` (`compute_fans`): a vector's length is both. */
export function kerasFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptiveField, shape[shape.length - 1] * receptiveField];
}
