import { ConvlensError, checkNumber, describeValue } from '../errors.js';
import { allocate } from './dtype.js';
import { invalidShapeMessage, isValidShape, sizeFromShape } from './shape.js';
import { Tensor } from './tensor.js';

/**
 * A small seedable generator (sfc32, seeded through splitmix32): fast, 128 bits of state, and
 * the same stream on every platform, so a seeded run is reproducible anywhere.
 */
export class Random {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private spare: number | undefined;

  constructor(seed: number = Date.now() ^ (Math.random() * 2 ** 32)) {
    if (!Number.isFinite(seed)) throw new ConvlensError(`Random: seed must be a finite number, got ${describeValue(seed)}`);
    // the bits above 32 count too (Keras' seeds are any integer): 1 and 2^32 + 1 differ; a seed below 2^32 keeps its stream
    const high = Math.abs(seed) >= 2 ** 32 ? Math.floor(seed / 2 ** 32) : 0;
    let s = (seed >>> 0) ^ Math.imul(high | 0, 0x85ebca6b);
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** A uniform number in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** A standard normal sample (Box–Muller, using both outputs). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    const u = 1 - this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `items` in place (Fisher–Yates). */
  shuffle<T>(items: T[] | Int32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
  }
}

let global = new Random();

/** Seeds the generator that initializers, dropout and shuffling use by default. */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new ConvlensError(`setSeed: seed must be a finite number, got ${describeValue(seed)}`);
  global = new Random(seed);
}

/** The shared default generator. */
export function globalRandom(): Random {
  return global;
}

/**
 * Runs `work` and puts the shared generator back in the state it had (in place: whoever holds it
 * sees that state): for work whose random draws are thrown away, which must not shift later ones.
 */
export function withoutDrawing<T>(work: () => T): T {
  const saved = Object.assign(Object.create(Random.prototype), global) as Random;
  try {
    return work();
  } finally {
    Object.assign(global, saved);
  }
}

function checkArguments(op: string, shape: number[], numbers: Record<string, number>, random: Random): void {
  if (!isValidShape(shape)) throw new ConvlensError(invalidShapeMessage(op, shape));
  for (const [name, value] of Object.entries(numbers)) checkNumber(op, name, value);
  if (!(random instanceof Random))
    throw new ConvlensError(`${op}: random must be a Random (new Random(seed)), got ${describeValue(random)}`);
}

/** Uniform float32 values in [minval, maxval). */
export function randomUniform(shape: number[], minval = 0, maxval = 1, random: Random = global): Tensor<'float32'> {
  checkArguments('randomUniform', shape, { minval, maxval }, random);
  if (!(maxval > minval)) throw new ConvlensError(`randomUniform: maxval ${maxval} must be greater than minval ${minval}`);
  const data = allocate('float32', sizeFromShape(shape), 'randomUniform');
  for (let i = 0; i < data.length; i++) data[i] = minval + (maxval - minval) * random.next();
  return new Tensor(data, shape, 'float32');
}

/** Normal float32 values with the given mean and standard deviation. */
export function randomNormal(shape: number[], mean = 0, stddev = 1, random: Random = global): Tensor<'float32'> {
  checkArguments('randomNormal', shape, { mean, stddev }, random);
  if (!(stddev >= 0)) throw new ConvlensError(`randomNormal: stddev must be non-negative, got ${stddev}`);
  const data = allocate('float32', sizeFromShape(shape), 'randomNormal');
  for (let i = 0; i < data.length; i++) data[i] = mean + stddev * random.normal();
  return new Tensor(data, shape, 'float32');
}
