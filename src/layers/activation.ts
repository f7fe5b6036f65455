import { ConvlensError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ActivationName } from '../train/gradients.js';
import { type ActivationIdentifier, activationName } from './activations.js';
import { layerOptions, shorthandOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Shape } from './shapes.js';

export interface ActivationLayerArgs extends LayerArgs {
  activation: ActivationIdentifier;
}

/**
 * A layer that applies its `activation` and nothing else (Activation, Softmax): the output, and
 * the input where the activation's gradient needs it (gelu, swish, mish, hard_sigmoid), are kept
 * in training for the backward pass.
 */
export abstract class ActivationOnlyLayer extends Layer {
  private keptOutput: Tensor<'float32'> | undefined;
  private keptInput: Tensor<'float32'> | undefined;

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const { y, preActivation } = this.activate(x);
    this.keptOutput = training ? y : undefined;
    this.keptInput = training ? preActivation : undefined;
    return y;
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    if (preActivation) return dy;
    if (!this.keptOutput) throw new ConvlensError(`${this.name} (${this.className}): backward needs a forward pass in training mode first`);
    return this.activationGradient(dy, this.keptOutput, this.keptInput, false);
  }
}

/** Keras' Activation layer: `new Activation('relu')` or `new Activation({ activation: 'relu' })`. */
export class Activation extends ActivationOnlyLayer {
  override readonly activation: ActivationName;

  constructor(args: ActivationIdentifier | ActivationLayerArgs, more?: Omit<ActivationLayerArgs, 'activation'>) {
    const options = shorthandOptions<ActivationLayerArgs>('Activation', 'activation', args, more, typeof args === 'string');
    super('Activation', 'activation', layerOptions('Activation', options, ['activation'], { shorthand: 'an activation name' }));
    if (options.activation === undefined)
      throw new ConvlensError(`Activation '${this.name}': an activation name is required (e.g. 'relu')`);
    this.activation = activationName(`Activation '${this.name}'`, options.activation);
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), activation: this.activation };
  }
}
