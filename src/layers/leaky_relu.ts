import { ConvlensError, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Shape } from './shapes.js';

export interface LeakyReLULayerArgs extends LayerArgs {
  /** The slope for negative inputs (default 0.3, as Keras; Keras 3 calls it negative_slope). */
  alpha?: number;
}

/** Keras' LeakyReLU: x where x > 0, alpha · x elsewhere (TensorFlow's leaky_relu). */
export class LeakyReLU extends Layer {
  readonly alpha: number;
  private input: Tensor<'float32'> | undefined;

  constructor(args: LeakyReLULayerArgs = {}) {
    super('LeakyReLU', 'leaky_re_lu', layerOptions('LeakyReLU', args, ['alpha']));
    const { alpha = 0.3 } = args;
    if (!(typeof alpha === 'number' && Number.isFinite(alpha))) {
      throw new ConvlensError(`LeakyReLU '${this.name}': alpha must be a finite number, got ${describeValue(alpha)}`);
    }
    this.alpha = alpha;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const out = this.buffer('out', x.size);
    for (let i = 0; i < x.size; i++) out[i] = x.data[i] > 0 ? x.data[i] : this.alpha * x.data[i];
    this.input = training ? x : undefined;
    return new Tensor(out, x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!this.input) throw new ConvlensError(`${this.name} (LeakyReLU): backward needs a forward pass in training mode first`);
    if (!needInputGrad) return undefined;
    const x = this.input.data;
    const dx = this.buffer('dx', dy.size);
    for (let i = 0; i < dy.size; i++) dx[i] = x[i] > 0 ? dy.data[i] : this.alpha * dy.data[i];
    return new Tensor(dx, dy.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    // tfjs and tf.keras read alpha (Keras 3 too, beside its negative_slope)
    return { ...this.baseConfig(), alpha: this.alpha };
  }
}
