import { ConvlensError, describeValue } from '../errors.js';
import { globalRandom } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';

export interface DropoutLayerArgs extends LayerArgs {
  rate: number;
}

/**
 * Keras' Dropout: while training, zeroes each value with probability `rate` and scales the
 * rest by 1 / (1 − rate); at inference it passes values through.
 */
export class Dropout extends Layer {
  readonly rate: number;
  private mask: Float32Array | undefined;

  constructor(args: number | DropoutLayerArgs) {
    const options = typeof args === 'number' ? { rate: args } : args;
    super('Dropout', 'dropout', layerOptions('Dropout', options, ['rate'], { shorthand: 'a rate' }));
    if (!(typeof options.rate === 'number' && options.rate >= 0 && options.rate < 1)) {
      throw new ConvlensError(`Dropout '${this.name}': rate must be a number in [0, 1), got ${describeValue(options.rate)}`);
    }
    this.rate = options.rate;
  }

  computeOutputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    if (!training || this.rate === 0) {
      this.mask = undefined;
      return x;
    }
    const random = globalRandom();
    const scale = 1 / (1 - this.rate);
    const mask = new Float32Array(x.size);
    const out = new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      mask[i] = random.next() >= this.rate ? scale : 0;
      out[i] = x.data[i] * mask[i];
    }
    this.mask = mask;
    return new Tensor(out, x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    const mask = this.mask;
    if (!mask) return dy;
    const out = new Float32Array(dy.size);
    for (let i = 0; i < out.length; i++) out[i] = dy.data[i] * mask[i];
    return new Tensor(out, dy.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), rate: this.rate };
  }
}
