import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions } from './args.js';
import { type BorderPairs, type Borders2D, borderPairs, copyInner } from './borders.js';
import { ImageLayer, type ImageLayerArgs } from './image_layer.js';
import { mapSize, type Shape, shapeSize } from './shapes.js';

/** The most float32 values one example's array may hold here. */
const MAX_VALUES = 2 ** 31 - 1;

/** n (all sides), [rows, cols] (each on both sides) or [[top, bottom], [left, right]], as Keras takes it. */
export type Padding2D = Borders2D;

export interface ZeroPadding2DLayerArgs extends ImageLayerArgs {
  /** Rows and columns of zeros to add (default 1 on every side). */
  padding?: Padding2D;
}

/** Keras' ZeroPadding2D: rows of zeros above and below each image, columns left and right. */
export class ZeroPadding2D extends ImageLayer {
  /** [[top, bottom], [left, right]]. */
  readonly padding: BorderPairs;

  constructor(args: ZeroPadding2DLayerArgs = {}) {
    super('ZeroPadding2D', 'zero_padding2d', layerOptions('ZeroPadding2D', args, ['padding', 'dataFormat']));
    const where = `ZeroPadding2D '${this.name}'`;
    this.padding = borderPairs(where, 'padding', args.padding ?? 1);
  }

  protected outputShapeNHWC(inputShape: Shape): Shape {
    const [[top, bottom], [left, right]] = this.padding;
    const shape = [mapSize(inputShape[0], (h) => h + top + bottom), mapSize(inputShape[1], (w) => w + left + right), inputShape[2]];
    if ((shapeSize(shape) ?? 0) > MAX_VALUES) {
      throw new ConvlensError(
        `${this.name} (ZeroPadding2D): padding ${JSON.stringify(this.padding)} makes each example [${this.exampleInLayout(shape).join(', ')}], more values than an array holds`,
      );
    }
    return shape;
  }

  protected forwardNHWC(x: Tensor<'float32'>): Tensor<'float32'> {
    const [batch, height, width, channels] = x.shape;
    const [outHeight, outWidth] = this.batchOutputNHWC([height, width, channels]);
    const out = this.buffer('out', batch * outHeight * outWidth * channels).fill(0);
    copyInner(x.data, out, [batch, height, width, channels], this.padding, 'pad');
    return new Tensor(out, [batch, outHeight, outWidth, channels], 'float32');
  }

  /** The gradient of padding is a crop: the zeros take no part in what follows. */
  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    const [batch, outHeight, outWidth, channels] = dy.shape;
    const [[top, bottom], [left, right]] = this.padding;
    const [height, width] = [outHeight - top - bottom, outWidth - left - right];
    const dx = this.buffer('dx', batch * height * width * channels);
    copyInner(dy.data, dx, [batch, height, width, channels], this.padding, 'crop');
    return new Tensor(dx, [batch, height, width, channels], 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), padding: this.padding, data_format: this.dataFormat };
  }
}
