import { ConvlensError, describeValue } from '../errors.js';
import { globalRandom, Random } from '../tensor/random.js';
import { formatShape, sizeFromShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions, seedArg, shorthandOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';
import { isDeclarableShape, type Shape } from './shapes.js';

export interface DropoutLayerArgs extends LayerArgs {
  rate: number;
  /**
   * Seeds this layer's own generator, so its masks repeat from run to run (Keras' `seed`);
   * without one, the layer draws from the global generator that `setSeed` seeds.
   */
  seed?: number | null;
}

export interface DropoutArgs extends DropoutLayerArgs {
  /**
   * The mask's shape, batch axis first (Keras' `noise_shape`): 1 on an axis shares one draw along
   * it ([null, 1, 1, null] drops whole feature maps), null takes the input's size.
   */
  noiseShape?: (number | null)[] | null;
}

/**
 * What Keras' dropout layers share: while training, a random mask of 0 and 1 / (1 − rate)
 * multiplies the values (and their gradient); at inference the values pass through.
 */
export abstract class MaskedDropout extends Layer {
  readonly rate: number;
  readonly seed: number | undefined;
  private readonly generator: Random | undefined;
  private mask: Float32Array | undefined;

  /** `extraKeys`: the option keys a subclass takes besides the rate (it reads their values itself). */
  protected constructor(
    className: string,
    defaultName: string,
    args: number | DropoutLayerArgs,
    more?: Omit<DropoutLayerArgs, 'rate'>,
    extraKeys: readonly string[] = [],
  ) {
    const options = shorthandOptions<DropoutLayerArgs>(className, 'rate', args, more, typeof args === 'number');
    super(className, defaultName, layerOptions(className, options, ['rate', 'seed', ...extraKeys], { shorthand: 'a rate' }));
    if (!(typeof options.rate === 'number' && options.rate >= 0 && options.rate < 1)) {
      throw new ConvlensError(`${className} '${this.name}': rate must be a number in [0, 1), got ${describeValue(options.rate)}`);
    }
    this.rate = options.rate;
    this.seed = seedArg(`${className} '${this.name}'`, options.seed);
    this.generator = this.seed === undefined ? undefined : new Random(this.seed);
  }

  /** The mask for inputs of `shape`: each value `keep` with probability 1 − rate, else 0. */
  protected abstract drawMask(shape: readonly number[], keep: number, random: Random): Float32Array;

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    if (!training || this.rate === 0) {
      this.mask = undefined;
      return x;
    }
    this.mask = this.drawMask(x.shape, 1 / (1 - this.rate), this.generator ?? globalRandom());
    return new Tensor(times(x.data, this.mask), x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    return this.mask ? new Tensor(times(dy.data, this.mask), dy.shape, 'float32') : dy;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), rate: this.rate, seed: this.seed ?? null };
  }
}

function times(values: Float32Array, mask: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i] * mask[i];
  return out;
}

/**
 * Keras' Dropout: while training, zeroes each value with probability `rate` and scales the
 * rest by 1 / (1 − rate); at inference it passes values through.
 */
export class Dropout extends MaskedDropout {
  /** The mask's shape, batch axis first, as given (null sizes: the input's); undefined: the input's shape. */
  readonly noiseShape: (number | null)[] | undefined;

  constructor(args: number | DropoutArgs, more?: Omit<DropoutArgs, 'rate'>) {
    super('Dropout', 'dropout', args, more, ['noiseShape']);
    const noiseShape = (typeof args === 'number' ? more : args)?.noiseShape ?? undefined;
    if (noiseShape !== undefined && (!isDeclarableShape(noiseShape) || noiseShape.length === 0)) {
      throw new ConvlensError(
        `Dropout '${this.name}': noiseShape must be a list of positive integers or null (the input's size), batch axis first, got ${describeValue(noiseShape)}`,
      );
    }
    this.noiseShape = noiseShape && [...noiseShape];
  }

  override computeOutputShape(inputShape: Shape): Shape {
    const noise = this.noiseShape;
    if (noise && (noise.length !== inputShape.length + 1 || noise.slice(1).some((d, i) => !fitsAxis(d, inputShape[i])))) {
      throw new ConvlensError(
        `${this.name} (Dropout): noiseShape ${formatNoise(noise)} does not fit inputs [batch, ${inputShape.map((d) => d ?? 'null').join(', ')}]: each size must be 1, null or the input's`,
      );
    }
    return inputShape;
  }

  protected drawMask(shape: readonly number[], keep: number, random: Random): Float32Array {
    const noise = this.noiseShape?.map((d, i) => d ?? shape[i]) ?? shape;
    if (!noise.every((d, i) => d === 1 || d === shape[i])) {
      throw new ConvlensError(
        `${this.name} (Dropout): noiseShape ${formatNoise(this.noiseShape!)} does not fit a batch of shape ${formatShape(shape)}`,
      );
    }
    const draws = new Float32Array(sizeFromShape(noise));
    for (let i = 0; i < draws.length; i++) draws[i] = random.next() >= this.rate ? keep : 0;
    return broadcastTo(draws, noise, shape);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), noise_shape: this.noiseShape ?? null };
  }
}

/** Whether a noise size fits an input size: 1 (one draw along the axis), null (the input's) or the same size. */
const fitsAxis = (noise: number | null, size: number | null) => noise === null || noise === 1 || size === null || noise === size;

const formatNoise = (noise: readonly (number | null)[]) => `[${noise.map((d) => d ?? 'null').join(', ')}]`;

/** `values` of shape `from` (each axis 1 or `to`'s size) repeated along its axes of 1 to shape `to`. */
function broadcastTo(values: Float32Array, from: readonly number[], to: readonly number[]): Float32Array {
  if (from.every((d, i) => d === to[i])) return values;
  const out = new Float32Array(sizeFromShape(to));
  // the step in `values` for one step along each axis of `to` (0 along a broadcast axis)
  const steps = new Array<number>(to.length);
  for (let axis = to.length - 1, stride = 1; axis >= 0; axis--) {
    steps[axis] = from[axis] === 1 ? 0 : stride;
    stride *= from[axis];
  }
  const index = new Array<number>(to.length).fill(0);
  let source = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = values[source];
    // the next position of `to`, in row-major order, and its source
    for (let axis = to.length - 1; axis >= 0; axis--) {
      source += steps[axis];
      if (++index[axis] < to[axis]) break;
      source -= steps[axis] * to[axis];
      index[axis] = 0;
    }
  }
  return out;
}
