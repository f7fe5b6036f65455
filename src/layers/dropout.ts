import { ConvlensError, describeValue } from '../errors.js';
import { mul } from '../ops/arithmetic.js';
import { globalRandom, Random } from '../tensor/random.js';
import { formatShape, shapeSizes, sizeFromShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions, seedArg, shorthandOptions } from './args.js';
import { Layer, type LayerArgs, trainingBehaviour } from './layer.js';
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
  /** The last training forward's mask, of the noise shape: multiplied in by broadcasting, as the gradient is. */
  private mask: Tensor<'float32'> | undefined;

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

  /** The mask's shape for a batch of `shape`: the batch's own (one draw per value), or 1 on the axes along which one draw is shared. */
  protected abstract maskShape(shape: readonly number[]): number[];

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    if (!trainingBehaviour(training) || this.rate === 0) {
      this.mask = undefined;
      return x;
    }
    // each cell of the noise shape, in row-major order: 1 / (1 − rate) with probability 1 − rate, else 0
    const noise = this.maskShape(x.shape);
    const keep = 1 / (1 - this.rate);
    const random = this.generator ?? globalRandom();
    const draws = new Float32Array(sizeFromShape(noise));
    for (let i = 0; i < draws.length; i++) draws[i] = random.next() >= this.rate ? keep : 0;
    this.mask = new Tensor(draws, noise, 'float32');
    return mul(x, this.mask) as Tensor<'float32'>;
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    return this.mask ? (mul(dy, this.mask) as Tensor<'float32'>) : dy;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), rate: this.rate, seed: this.seed ?? null };
  }
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
        `${this.name} (Dropout): noiseShape ${formatShape(noise)} does not fit inputs [batch, ${shapeSizes(inputShape)}]: each size must be 1, null or the input's`,
      );
    }
    return inputShape;
  }

  protected maskShape(shape: readonly number[]): number[] {
    const noise = this.noiseShape?.map((d, i) => d ?? shape[i]) ?? [...shape];
    if (!noise.every((d, i) => d === 1 || d === shape[i])) {
      throw new ConvlensError(
        `${this.name} (Dropout): noiseShape ${formatShape(this.noiseShape!)} does not fit a batch of shape ${formatShape(shape)}`,
      );
    }
    return noise;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), noise_shape: this.noiseShape ?? null };
  }
}

/** Whether a noise size fits an input size: 1 (one draw along the axis), null (the input's) or the same size. */
const fitsAxis = (noise: number | null, size: number | null) => noise === null || noise === 1 || size === null || noise === size;
