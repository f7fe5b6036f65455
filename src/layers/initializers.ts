import { ConvlensError } from '../errors.js';
import { globalRandom } from '../tensor/random.js';

export type InitializerName =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'zeros'
  | 'ones'
  | 'randomNormal'
  | 'randomUniform';

const NAMES: readonly InitializerName[] = [
  'glorotUniform',
  'glorotNormal',
  'heUniform',
  'heNormal',
  'zeros',
  'ones',
  'randomNormal',
  'randomUniform',
];

/** Accepts Keras' snake_case names (`glorot_uniform`) as well as camelCase. */
export function initializerName(op: string, name: string): InitializerName {
  const key = String(name).replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  const found = NAMES.find((n) => n.toLowerCase() === key.toLowerCase());
  if (!found) throw new ConvlensError(`${op}: unknown initializer ${JSON.stringify(name)} (expected one of ${NAMES.join(', ')})`);
  return found;
}

/** Keras' snake_case class name for the saved config. */
export function kerasInitializerClass(name: InitializerName): string {
  return {
    glorotUniform: 'GlorotUniform',
    glorotNormal: 'GlorotNormal',
    heUniform: 'HeUniform',
    heNormal: 'HeNormal',
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

/** Fills a weight of `size` values with fan-in/fan-out from the weight's shape, as Keras does. */
export function initialize(name: InitializerName, size: number, fanIn: number, fanOut: number): Float32Array {
  const out = new Float32Array(size);
  const random = globalRandom();
  const uniform = (limit: number) => out.forEach((_, i) => (out[i] = (2 * random.next() - 1) * limit));
  switch (name) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'glorotUniform':
      uniform(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'heUniform':
      uniform(Math.sqrt(6 / fanIn));
      break;
    // Keras scales the truncated normal's deviation by 0.8796 so the truncated spread matches.
    case 'glorotNormal':
      out.forEach((_, i) => (out[i] = truncatedNormal(Math.sqrt(2 / (fanIn + fanOut)) / 0.87962566103423978)));
      break;
    case 'heNormal':
      out.forEach((_, i) => (out[i] = truncatedNormal(Math.sqrt(2 / fanIn) / 0.87962566103423978)));
      break;
    case 'randomNormal':
      out.forEach((_, i) => (out[i] = 0.05 * random.normal()));
      break;
    case 'randomUniform':
      uniform(0.05);
      break;
  }
  return out;
}
