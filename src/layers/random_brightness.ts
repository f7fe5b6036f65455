import { Tensor } from '../tensor/tensor.js';
import { layerOptions, shorthandOptions } from './args.js';
import { factorRange, RANDOM_KEYS, RandomImageLayer, type RandomImageLayerArgs, valueRangeArg } from './random_image_layer.js';

export interface RandomBrightnessLayerArgs extends RandomImageLayerArgs {
  /**
   * How much brighter or darker, as a fraction of the value range: f (in [−1, 1]) draws each
   * image's shift from [−|f|, |f|]; a pair [lower, upper] from that range (−1 black, 1 white).
   */
  factor: number | [number, number];
  /** The range the pixel values have (default [0, 255]): the shift is scaled to it, the output clipped to it. */
  valueRange?: [number, number];
}

/**
 * Keras' RandomBrightness: while training, each image gets a shift δ = u · (high − low), u drawn
 * uniformly from [lower, upper], added to every value, and the result clipped to `valueRange`
 * [low, high]; at inference the images pass through.
 */
export class RandomBrightness extends RandomImageLayer {
  readonly factor: [number, number];
  readonly valueRange: [number, number];
  /** Which outputs of the last training pass were not clipped. */
  private passed: Uint8Array | undefined;

  /** `new RandomBrightness(0.2)`, or an options object. */
  constructor(args: number | [number, number] | RandomBrightnessLayerArgs, more?: Omit<RandomBrightnessLayerArgs, 'factor'>) {
    const options = shorthandOptions<RandomBrightnessLayerArgs>(
      'RandomBrightness',
      'factor',
      args,
      more,
      typeof args === 'number' || Array.isArray(args),
    );
    super(
      'RandomBrightness',
      'random_brightness',
      layerOptions('RandomBrightness', options, ['factor', 'valueRange', ...RANDOM_KEYS], { shorthand: 'a factor' }),
    );
    this.factor = factorRange(this.where, 'factor', options.factor, -1, 1, (f) => [-f, f]);
    // Keras sorts the range
    const range = options.valueRange;
    this.valueRange = valueRangeArg(this.where, Array.isArray(range) && range[0] > range[1] ? [range[1], range[0]] : (range ?? [0, 255]));
  }

  protected augment(x: Tensor<'float32'>): Tensor<'float32'> {
    const [batch, height, width, channels] = x.shape;
    const [lower, upper] = this.factor;
    const [low, high] = this.valueRange;
    const random = this.random;
    // float32, as Keras adds the shift to float32 images
    const deltas = Float64Array.from({ length: batch }, () => Math.fround((lower + (upper - lower) * random.next()) * (high - low)));
    const out = this.buffer('out', x.size);
    const passed = new Uint8Array(x.size);
    adjustBrightness(x.data, x.shape, deltas, this.valueRange, out, passed);
    this.passed = passed;
    return new Tensor(out, [batch, height, width, channels], 'float32');
  }

  /** The shift is a constant: the gradient passes where the output was not clipped. */
  protected augmentBackward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const dx = this.buffer('dx', dy.size);
    for (let i = 0; i < dy.size; i++) dx[i] = this.passed![i] ? dy.data[i] : 0;
    return new Tensor(dx, dy.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.randomConfig(), factor: [...this.factor], value_range: [...this.valueRange] };
  }
}

/** x + δ for image n's shift δ, clipped to `range`; `passed` marks the values the clip left alone. */
export function adjustBrightness(
  x: ArrayLike<number>,
  [batch, height, width, channels]: readonly number[],
  deltas: ArrayLike<number>,
  [low, high]: readonly [number, number],
  out: Float32Array | Float64Array,
  passed: Uint8Array,
): void {
  const size = height * width * channels;
  for (let n = 0; n < batch; n++) {
    for (let i = n * size; i < (n + 1) * size; i++) {
      const z = x[i] + deltas[n];
      passed[i] = z >= low && z <= high ? 1 : 0;
      out[i] = Math.min(Math.max(z, low), high);
    }
  }
}
