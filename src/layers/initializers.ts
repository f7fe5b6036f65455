import { ConvlensError, describeValue } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { globalRandom } from '../tensor/random.js';

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
  | 'randomUniform';

const NAMES: readonly InitializerName[] = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'lecunUniform',
  'lecunNormal',
  'truncatedNormal',
  'zeros',
  'ones',
  'randomNormal',
  'randomUniform',
];

/** Accepts Keras' snake_case names (`glorot_uniform`) as well as camelCase, in any case (tfjs' `leCunNormal`). */
export function initializerName(op: string, name: string): InitializerName {
  const key = String(name).replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  const found = NAMES.find((n) => n.toLowerCase() === key.toLowerCase());
  if (!found) throw new ConvlensError(`${op}: unknown initializer ${describeValue(name)} (expected one of ${NAMES.join(', ')})`);
  return found;
}

/** The class name the saved config gives it: Keras', or tfjs-layers' where they differ (tfjs reads these files). */
export function kerasInitializerClass(name: InitializerName): string {
  return {
    glorotUniform: 'GlorotUniform',
    glorotNormal: 'GlorotNormal',
    heUniform: 'HeUniform',
    heNormal: 'HeNormal',
    // tfjs' class names, which tfjs-layers loads; Keras' LecunNormal and LecunUniform read back the same
    lecunUniform: 'LeCunUniform',
    lecunNormal: 'LeCunNormal',
    truncatedNormal: 'TruncatedNormal',
    zeros: 'Zeros',
    ones: 'Ones',
    randomNormal: 'RandomNormal',
    randomUniform: 'RandomUniform',
  }[name];
}

/** Truncated normal as Keras draws it: resample beyond two standard deviations. */
function truncatedNormal(std: number): number {
  const random = globalRandom();
  for (;;) {
    const v = random.normal();
    if (Math.abs(v) <= 2) return v * std;
  }
}

/**
 * Fills a weight of `size` values with fan-in/fan-out from the weight's shape, as Keras does.
 * `weight` names it in the error when no array can hold it (`Dense({ units: 1e9 })`).
 * A bias (a vector) passes its length as both fans, as Keras' compute_fans takes a vector (kerasFans).
 */
export function initialize(name: InitializerName, size: number, fanIn: number, fanOut: number, weight: string): Float32Array {
  const random = globalRandom();
  const sample = sampler(name, fanIn, fanOut, random);
  const out = allocate('float32', size, weight);
  for (let i = 0; i < size; i++) out[i] = sample();
  return out;
}

/** Keras scales the truncated normal's deviation by this so the truncated spread matches. */
const TRUNCATION_SCALE = 0.87962566103423978;

function sampler(name: InitializerName, fanIn: number, fanOut: number, random: ReturnType<typeof globalRandom>): () => number {
  const uniform = (limit: number) => () => (2 * random.next() - 1) * limit;
  switch (name) {
    case 'zeros':
      return () => 0;
    case 'ones':
      return () => 1;
    case 'glorotUniform':
      return uniform(Math.sqrt(6 / (fanIn + fanOut)));
    case 'heUniform':
      return uniform(Math.sqrt(6 / fanIn));
    case 'glorotNormal':
      return () => truncatedNormal(Math.sqrt(2 / (fanIn + fanOut)) / TRUNCATION_SCALE);
    case 'heNormal':
      return () => truncatedNormal(Math.sqrt(2 / fanIn) / TRUNCATION_SCALE);
    case 'lecunUniform':
      return uniform(Math.sqrt(3 / fanIn));
    case 'lecunNormal':
      return () => truncatedNormal(Math.sqrt(1 / fanIn) / TRUNCATION_SCALE);
    case 'truncatedNormal':
      // Keras' TruncatedNormal(stddev=0.05): cut at two deviations, not rescaled
      return () => truncatedNormal(0.05);
    case 'randomNormal':
      return () => 0.05 * random.normal();
    case 'randomUniform':
      return uniform(0.05);
  }
}

/** Keras' fan-in and fan-out of a weight of `shape` (`compute_fans`): a vector's length is both. */
export function kerasFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptiveField, shape[shape.length - 1] * receptiveField];
}

/** Keras' config of an initializer, by convlens' name for it (the weights come from the file, so no settings). */
export function initializerConfig(name: InitializerName): { class_name: string; config: Record<string, never> } {
  return { class_name: kerasInitializerClass(name), config: {} };
}
