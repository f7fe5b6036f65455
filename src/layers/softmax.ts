import { ConvlensError, describeValue } from '../errors.js';
import type { ActivationName } from '../train/gradients.js';
import { ActivationOnlyLayer } from './activation.js';
import { layerOptions } from './args.js';
import { batchShapeText, type LayerArgs } from './layer.js';
import type { Shape } from './shapes.js';

export interface SoftmaxLayerArgs extends LayerArgs {
  /** The axis whose values sum to 1: the last, -1 (Keras' and tfjs' default), or its index counting the batch axis. */
  axis?: number;
}

/**
 * Keras' Softmax layer (tfjs' `softmax` layer): the softmax over the last axis, computed as
 * `Activation('softmax')` computes it; as a model's last layer before a cross-entropy, training
 * takes the loss from its input, the logits, as Keras does (and as for a softmax activation).
 */
export class Softmax extends ActivationOnlyLayer {
  override readonly activation: ActivationName = 'softmax';
  readonly axis: number;

  constructor(args: SoftmaxLayerArgs = {}) {
    super('Softmax', 'softmax', layerOptions('Softmax', args, ['axis']));
    const { axis = -1 } = args;
    if (!Number.isInteger(axis)) throw new ConvlensError(`Softmax '${this.name}': axis must be an integer, got ${describeValue(axis)}`);
    this.axis = axis;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    // the batch axis counts in Keras' axis: the last of inputs of one example's rank r is r
    if (this.axis !== -1 && this.axis !== inputShape.length) {
      throw new ConvlensError(
        `${this.name} (Softmax): axis ${this.axis} is not supported for inputs of shape ${batchShapeText(inputShape)}: convlens takes the softmax over the last axis (-1, or ${inputShape.length})`,
      );
    }
    return inputShape;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), axis: this.axis };
  }
}
