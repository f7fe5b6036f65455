import { ConvlensError, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions } from './args.js';
import { type BorderPairs, type Borders2D, borderPairs, copyInner } from './borders.js';
import { ImageLayer, type ImageLayerArgs } from './image_layer.js';
import { mapSize, type Shape } from './shapes.js';

export interface Cropping2DLayerArgs extends ImageLayerArgs {
  /** Rows and columns to remove: n (all sides), [rows, cols] or [[top, bottom], [left, right]] (Keras' default 0). */
  cropping?: Borders2D;
}

/** Keras' Cropping2D: rows removed above and below each image, columns left and right (ZeroPadding2D's inverse). */
export class Cropping2D extends ImageLayer {
  /** [[top, bottom], [left, right]]. */
  readonly cropping: BorderPairs;

  constructor(args: Cropping2DLayerArgs = {}) {
    super('Cropping2D', 'cropping2d', layerOptions('Cropping2D', args, ['cropping', 'dataFormat']));
    const where = `Cropping2D '${this.name}'`;
    this.cropping = borderPairs(where, 'cropping', args.cropping ?? 0);
  }

  protected outputShapeNHWC(inputShape: Shape): Shape {
    const [height, width, channels] = inputShape;
    const [[top, bottom], [left, right]] = this.cropping;
    const shape = [mapSize(height, (h) => h - top - bottom), mapSize(width, (w) => w - left - right), channels];
    // Keras refuses a crop that leaves no row or no column (of a free size, when a batch comes)
    if ((shape[0] !== null && shape[0] < 1) || (shape[1] !== null && shape[1] < 1)) {
      throw new ConvlensError(
        `${this.name} (Cropping2D): cropping ${describeValue(this.cropping)} leaves nothing of inputs of shape (${this.exampleInLayout(inputShape).join(', ')}): top + bottom (${top + bottom}) must be less than the height ${height}, and left + right (${left + right}) less than the width ${width}`,
      );
    }
    return shape;
  }

  protected forwardNHWC(x: Tensor<'float32'>): Tensor<'float32'> {
    const [batch, height, width, channels] = x.shape;
    const [outHeight, outWidth] = this.batchOutputNHWC([height, width, channels]);
    const out = this.buffer('out', batch * outHeight * outWidth * channels);
    copyInner(x.data, out, [batch, outHeight, outWidth, channels], this.cropping, 'crop');
    return new Tensor(out, [batch, outHeight, outWidth, channels], 'float32');
  }

  /** The gradient of a crop is the crop's gradient padded back with zeros: the cropped cells reach nothing. */
  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    const [batch, outHeight, outWidth, channels] = dy.shape;
    const [[top, bottom], [left, right]] = this.cropping;
    const [height, width] = [outHeight + top + bottom, outWidth + left + right];
    const dx = this.buffer('dx', batch * height * width * channels).fill(0);
    copyInner(dy.data, dx, [batch, outHeight, outWidth, channels], this.cropping, 'pad');
    return new Tensor(dx, [batch, height, width, channels], 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), cropping: this.cropping, data_format: this.dataFormat };
  }
}
