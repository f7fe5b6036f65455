import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { type DataFormat, dataFormatArg, type ImageDataFormat, layerOptions } from './args.js';
import { moveAxis, moveShapeAxis } from './image_layer.js';
import { Layer, type LayerArgs } from './layer.js';
import { type Shape, shapeSize } from './shapes.js';

export interface FlattenLayerArgs extends LayerArgs {
  /**
   * 'channels_last' (the default) flattens each example as it is; 'channels_first' moves its
   * channels (first) axis last before, as Keras and TensorFlow.js do, so that the order of the
   * values is the channels-last one.
   */
  dataFormat?: DataFormat;
}

/** Keras' Flatten: each example becomes one vector (the batch axis stays). */
export class Flatten extends Layer {
  readonly dataFormat: ImageDataFormat;

  /** One example's shape in the last forward pass (the input's sizes may be free). */
  private exampleShape: number[] | undefined;

  constructor(args: FlattenLayerArgs = {}) {
    super('Flatten', 'flatten', layerOptions('Flatten', args, ['dataFormat']));
    this.dataFormat = dataFormatArg(`Flatten '${this.name}'`, args.dataFormat);
  }

  /** Whether the channels axis moves last first: channels-first examples of more than one axis. */
  private movesChannels(exampleRank: number): boolean {
    return this.dataFormat === 'channels_first' && exampleRank > 1;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [shapeSize(inputShape)];
  }

  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    this.exampleShape = x.shape.slice(1);
    const values = this.movesChannels(x.rank - 1) ? moveAxis(x, 1, x.rank - 1, this.buffer('channelsLast', x.size)).data : x.data;
    return new Tensor(values, [x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)], 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    const inputShape = this.exampleShape;
    if (!inputShape) throw new ConvlensError(`${this.name} (Flatten): backward needs a forward pass first`);
    if (!this.movesChannels(inputShape.length)) return new Tensor(dy.data, [dy.shape[0], ...inputShape], 'float32');
    const channelsLast = new Tensor(dy.data, [dy.shape[0], ...moveShapeAxis(inputShape, 0, inputShape.length - 1)], 'float32');
    return moveAxis(channelsLast, channelsLast.rank - 1, 1, this.buffer('dx', dy.size));
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), data_format: this.dataFormat };
  }
}
