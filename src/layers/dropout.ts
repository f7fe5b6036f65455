import { ConvlensError, describeValue } from '../errors.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { sizeFromShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions, shorthandOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Shape } from './shapes.js';

export interface DropoutLayerArgs extends LayerArgs {
  rate: number;
}

/**
 * What Keras' dropout layers share: while training, a random mask of 0 and 1 / (1 − rate)
 * multiplies the values (and their gradient); at inference the values pass through.
 */
export abstract class MaskedDropout extends Layer {
  readonly rate: number;
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
    super(className, defaultName, layerOptions(className, options, ['rate', ...extraKeys], { shorthand: 'a rate' }));
    if (!(typeof options.rate === 'number' && options.rate >= 0 && options.rate < 1)) {
      throw new ConvlensError(`${className} '${this.name}': rate must be a number in [0, 1), got ${describeValue(options.rate)}`);
    }
    this.rate = options.rate;
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
    this.mask = this.drawMask(x.shape, 1 / (1 - this.rate), globalRandom());
    return new Tensor(times(x.data, this.mask), x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    return this.mask ? new Tensor(times(dy.data, this.mask), dy.shape, 'float32') : dy;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), rate: this.rate };
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
  constructor(args: number | DropoutLayerArgs, more?: Omit<DropoutLayerArgs, 'rate'>) {
    super('Dropout', 'dropout', args, more);
  }

  protected drawMask(shape: readonly number[], keep: number, random: Random): Float32Array {
    const mask = new Float32Array(sizeFromShape(shape));
    for (let i = 0; i < mask.length; i++) mask[i] = random.next() >= this.rate ? keep : 0;
    return mask;
  }
}
