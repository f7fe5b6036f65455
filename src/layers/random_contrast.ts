import { Tensor } from '../tensor/tensor.js';
import { layerOptions, shorthandOptions } from './args.js';
import { factorRange, RANDOM_KEYS, RandomImageLayer, type RandomImageLayerArgs, valueRangeArg } from './random_image_layer.js';

export interface RandomContrastLayerArgs extends RandomImageLayerArgs {
  /**
   * How much the contrast may change: f (in [0, 1]) draws each image's contrast factor from
   * [1 − f, 1 + f]; a pair [lower, upper] from [1 − lower, 1 + upper].
   */
  factor: number | [number, number];
  /** The range the pixel values have, which the output is clipped to (default [0, 255]). */
  valueRange?: [number, number];
}

/**
 * Keras' RandomContrast: while training, each image gets a contrast factor f drawn uniformly from
 * [1 − lower, 1 + upper], and every value x becomes (x − m) · f + m, m the mean of its channel in
 * that image, clipped to `valueRange`; at inference the images pass through.
 */
export class RandomContrast extends RandomImageLayer {
  /** The factor's bounds [lower, upper]: contrast factors are drawn from [1 − lower, 1 + upper]. */
  readonly factor: [number, number];
  readonly valueRange: [number, number];
  /** The last training pass's factor for each image, and which outputs were not clipped. */
  private factors: Float64Array | undefined;
  private passed: Uint8Array | undefined;

  /** `new RandomContrast(0.1)`, or an options object. */
  constructor(args: number | [number, number] | RandomContrastLayerArgs, more?: Omit<RandomContrastLayerArgs, 'factor'>) {
    const options = shorthandOptions<RandomContrastLayerArgs>(
      'RandomContrast',
      'factor',
      args,
      more,
      typeof args === 'number' || Array.isArray(args),
    );
    super(
      'RandomContrast',
      'random_contrast',
      layerOptions('RandomContrast', options, ['factor', 'valueRange', ...RANDOM_KEYS], { shorthand: 'a factor' }),
    );
    this.factor = factorRange(this.where, 'factor', options.factor, 0, 1, (f) => [f, f]);
    this.valueRange = valueRangeArg(this.where, options.valueRange ?? [0, 255]);
  }

  protected augment(x: Tensor<'float32'>): Tensor<'float32'> {
    const [batch, height, width, channels] = x.shape;
    const [lower, upper] = this.factor;
    const random = this.random;
    // Keras draws float32 factors
    const factors = Float64Array.from({ length: batch }, () => Math.fround(1 - lower + (upper + lower) * random.next()));
    const out = this.buffer('out', x.size);
    const passed = new Uint8Array(x.size);
    adjustContrast(x.data, x.shape, factors, this.valueRange, out, passed);
    this.factors = factors;
    this.passed = passed;
    return new Tensor(out, [batch, height, width, channels], 'float32');
  }

  /** d/dx of (x − m) f + m, m the channel's mean: f at x itself, plus (1 − f) / (height · width) through m. */
  protected augmentBackward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const dx = this.buffer('dx', dy.size);
    adjustContrastBackward(dy.data, dy.shape, this.factors!, this.passed!, dx);
    return new Tensor(dx, dy.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.randomConfig(), factor: [...this.factor], value_range: [...this.valueRange] };
  }
}

/** The channel means of each image: [batch, channels]. */
function channelMeans(x: ArrayLike<number>, [batch, height, width, channels]: readonly number[]): Float64Array {
  const means = new Float64Array(batch * channels);
  const pixels = height * width;
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < pixels; p++) {
      const i = (n * pixels + p) * channels;
      for (let c = 0; c < channels; c++) means[n * channels + c] += x[i + c];
    }
  }
  for (let j = 0; j < means.length; j++) means[j] /= pixels;
  return means;
}

/**
 * (x − m) · f + m for image n's factor f and channel means m, clipped to `range`; `passed` marks
 * the values the clip left alone (where the gradient goes through).
 */
export function adjustContrast(
  x: ArrayLike<number>,
  shape: readonly number[],
  factors: ArrayLike<number>,
  [low, high]: readonly [number, number],
  out: Float32Array | Float64Array,
  passed: Uint8Array,
): void {
  const [batch, height, width, channels] = shape;
  const means = channelMeans(x, shape);
  const pixels = height * width;
  for (let n = 0; n < batch; n++) {
    const f = factors[n];
    for (let p = 0; p < pixels; p++) {
      const i = (n * pixels + p) * channels;
      for (let c = 0; c < channels; c++) {
        const m = means[n * channels + c];
        const z = (x[i + c] - m) * f + m;
        passed[i + c] = z >= low && z <= high ? 1 : 0;
        out[i + c] = Math.min(Math.max(z, low), high);
      }
    }
  }
}

/** The gradient of adjustContrast in x: g = dy where not clipped, then f · g + (1 − f) · mean(g) over the channel. */
export function adjustContrastBackward(
  dy: ArrayLike<number>,
  shape: readonly number[],
  factors: ArrayLike<number>,
  passed: Uint8Array,
  dx: Float32Array | Float64Array,
): void {
  const [batch, height, width, channels] = shape;
  const pixels = height * width;
  const sums = new Float64Array(batch * channels);
  for (let n = 0; n < batch; n++) {
    for (let p = 0; p < pixels; p++) {
      const i = (n * pixels + p) * channels;
      for (let c = 0; c < channels; c++) if (passed[i + c]) sums[n * channels + c] += dy[i + c];
    }
  }
  for (let n = 0; n < batch; n++) {
    const f = factors[n];
    for (let p = 0; p < pixels; p++) {
      const i = (n * pixels + p) * channels;
      for (let c = 0; c < channels; c++) {
        const g = passed[i + c] ? dy[i + c] : 0;
        dx[i + c] = f * g + ((1 - f) * sums[n * channels + c]) / pixels;
      }
    }
  }
}
