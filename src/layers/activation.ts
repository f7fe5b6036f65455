import { ConvlensError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ActivationName } from '../train/gradients.js';
import { type ActivationIdentifier, activationName } from './activations.js';
import { layerOptions, shorthandOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';

export interface ActivationLayerArgs extends LayerArgs {
  activation: ActivationIdentifier;
}

/** Keras' Activation layer: `new Activation('relu')` or `new Activation({ activation: 'relu' })`. */
export class Activation extends Layer {
  override readonly activation: ActivationName;
  private output: Tensor<'float32'> | undefined;
  /** The input, kept in training where the activation's gradient needs it (gelu, swish, mish, hard_sigmoid). */
  private input: Tensor<'float32'> | undefined;

  constructor(args: ActivationIdentifier | ActivationLayerArgs, more?: Omit<ActivationLayerArgs, 'activation'>) {
    const options = shorthandOptions<ActivationLayerArgs>('Activation', 'activation', args, more, typeof args === 'string');
    super('Activation', 'activation', layerOptions('Activation', options, ['activation'], { shorthand: 'an activation name' }));
    if (options.activation === undefined)
      throw new ConvlensError(`Activation '${this.name}': an activation name is required (e.g. 'relu')`);
    this.activation = activationName(`Activation '${this.name}'`, options.activation);
  }

  computeOutputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const { y, preActivation } = this.activate(x);
    this.output = training ? y : undefined;
    this.input = training ? preActivation : undefined;
    return y;
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    if (preActivation) return dy;
    if (!this.output) throw new ConvlensError(`${this.name} (Activation): backward needs a forward pass in training mode first`);
    return this.activationGradient(dy, this.output, this.input, false);
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), activation: this.activation };
  }
}
