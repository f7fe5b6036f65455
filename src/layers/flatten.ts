import { Tensor } from '../tensor/tensor.js';
import { checkDataFormat, type DataFormat, layerOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';

export interface FlattenLayerArgs extends LayerArgs {
  /** Only 'channels_last' (the default): channels-first would flatten in another order. */
  dataFormat?: DataFormat;
}

/** Keras' Flatten: each example becomes one vector (the batch axis stays). */
export class Flatten extends Layer {
  constructor(args: FlattenLayerArgs = {}) {
    super('Flatten', 'flatten', layerOptions('Flatten', args, ['dataFormat']));
    checkDataFormat(`Flatten '${this.name}'`, args.dataFormat);
  }

  computeOutputShape(inputShape: number[]): number[] {
    return [inputShape.reduce((a, b) => a * b, 1)];
  }

  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    return new Tensor(x.data, [x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)], 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    return needInputGrad ? new Tensor(dy.data, [dy.shape[0], ...this.inputShape!], 'float32') : undefined;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), data_format: 'channels_last' };
  }
}
