import { ConvlensError, describeValue } from '../errors.js';
import { bilinearWeights } from '../image/resize.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions, positivePair } from './args.js';
import { ImageLayer, type ImageLayerArgs } from './image_layer.js';
import { mapSize, type Shape, shapeSize } from './shapes.js';

/** The most float32 values one example's array may hold here. */
const MAX_VALUES = 2 ** 31 - 1;

export type UpSamplingInterpolation = 'nearest' | 'bilinear';

export interface UpSampling2DLayerArgs extends ImageLayerArgs {
  /** How many times larger each image gets, down and across: n or [rows, cols] (default 2). */
  size?: number | [number, number];
  /** 'nearest' (the default: each pixel repeated) or 'bilinear'. */
  interpolation?: UpSamplingInterpolation;
}

/** Where each output row (or column) reads from, and with what weight, in bilinear interpolation. */
type Weights = ReturnType<typeof bilinearWeights>;

/** The input pixels (flat indices of their first channel) one output pixel is made from, and the weights between them. */
interface Taps {
  nearest: boolean;
  topLeft: number;
  topRight: number;
  bottomLeft: number;
  bottomRight: number;
  /** How far down from the top row, and right from the left column (0..1). */
  dy: number;
  dx: number;
}

/**
 * Keras' UpSampling2D: each image `size` times larger. 'nearest' repeats every pixel; 'bilinear'
 * interpolates as Keras does, with TensorFlow 2's `tf.image.resize` (half-pixel centres, as
 * `image.resize` computes it). TensorFlow.js' own layer interpolates without half-pixel centres,
 * so its bilinear output differs from Keras' and from this one.
 */
export class UpSampling2D extends ImageLayer {
  readonly size: [number, number];
  readonly interpolation: UpSamplingInterpolation;
  /** The interpolation weights for the last size seen, down and across (see weightsFor). */
  private rows: (Weights & { size: number }) | undefined;
  private cols: (Weights & { size: number }) | undefined;

  constructor(args: UpSampling2DLayerArgs = {}) {
    super('UpSampling2D', 'up_sampling2d', layerOptions('UpSampling2D', args, ['size', 'interpolation', 'dataFormat']));
    const where = `UpSampling2D '${this.name}'`;
    this.size = positivePair(where, 'size', args.size ?? 2);
    const interpolation = args.interpolation ?? 'nearest';
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
      throw new ConvlensError(`${where}: interpolation must be 'nearest' or 'bilinear', got ${describeValue(interpolation)}`);
    }
    this.interpolation = interpolation;
  }

  protected outputShapeNHWC(inputShape: Shape): Shape {
    const shape = [mapSize(inputShape[0], (h) => h * this.size[0]), mapSize(inputShape[1], (w) => w * this.size[1]), inputShape[2]];
    if ((shapeSize(shape) ?? 0) > MAX_VALUES) {
      throw new ConvlensError(
        `${this.name} (UpSampling2D): size [${this.size}] makes each example [${this.exampleInLayout(shape).join(', ')}], more values than an array holds`,
      );
    }
    return shape;
  }

  /** The interpolation's weights down and across for inputs of `height` × `width`, made again when the size changes. */
  private weightsFor(height: number, width: number): { rows: Weights; cols: Weights } {
    const [sh, sw] = this.size;
    if (this.rows?.size !== height) this.rows = { size: height, ...bilinearWeights(height * sh, height, 1 / sh) };
    if (this.cols?.size !== width) this.cols = { size: width, ...bilinearWeights(width * sw, width, 1 / sw) };
    return { rows: this.rows, cols: this.cols };
  }

  protected forwardNHWC(x: Tensor<'float32'>): Tensor<'float32'> {
    const [batch, height, width, channels] = x.shape;
    const [outHeight, outWidth] = this.batchOutputNHWC([height, width, channels]);
    const out = this.buffer('out', batch * outHeight * outWidth * channels);
    const src = x.data;
    this.eachPixel(x.shape, (o, t) => {
      for (let c = 0; c < channels; c++) {
        if (t.nearest) {
          out[o + c] = src[t.topLeft + c];
          continue;
        }
        // as TensorFlow interpolates: along the row, then between the rows
        const top = src[t.topLeft + c] + (src[t.topRight + c] - src[t.topLeft + c]) * t.dx;
        const bottom = src[t.bottomLeft + c] + (src[t.bottomRight + c] - src[t.bottomLeft + c]) * t.dx;
        out[o + c] = top + (bottom - top) * t.dy;
      }
    });
    return new Tensor(out, [batch, outHeight, outWidth, channels], 'float32');
  }

  /** Each output pixel's gradient goes back to the input pixels it was made from, in the same shares. */
  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    const [batch, outHeight, outWidth, channels] = dy.shape;
    const shape = [batch, outHeight / this.size[0], outWidth / this.size[1], channels];
    const dx = this.buffer(
      'dx',
      shape.reduce((a, b) => a * b, 1),
    ).fill(0);
    const grad = dy.data;
    this.eachPixel(shape, (o, t) => {
      for (let c = 0; c < channels; c++) {
        const g = grad[o + c];
        if (t.nearest) {
          dx[t.topLeft + c] += g;
          continue;
        }
        dx[t.topLeft + c] += g * (1 - t.dy) * (1 - t.dx);
        dx[t.topRight + c] += g * (1 - t.dy) * t.dx;
        dx[t.bottomLeft + c] += g * t.dy * (1 - t.dx);
        dx[t.bottomRight + c] += g * t.dy * t.dx;
      }
    });
    return new Tensor(dx, shape, 'float32');
  }

  /**
   * Calls `f` for each output pixel (the index `o` of its first channel) with where its values
   * come from: the input pixel it repeats (nearest), or the four around it and the weights
   * between them (bilinear). Input shape [batch, height, width, channels].
   */
  private eachPixel([batch, height, width, channels]: number[], f: (o: number, taps: Taps) => void): void {
    const [sh, sw] = this.size;
    const { rows, cols } = this.weightsFor(height, width);
    const nearest = this.interpolation === 'nearest';
    const taps: Taps = { nearest, topLeft: 0, topRight: 0, bottomLeft: 0, bottomRight: 0, dy: 0, dx: 0 };
    const rowLength = width * channels;
    let o = 0;
    for (let n = 0; n < batch; n++) {
      const image = n * height * rowLength;
      for (let y = 0; y < height * sh; y++) {
        const top = image + (nearest ? Math.floor(y / sh) : rows.lower[y]) * rowLength;
        const bottom = image + rows.upper[y] * rowLength;
        taps.dy = rows.lerp[y];
        for (let x = 0; x < width * sw; x++, o += channels) {
          const left = (nearest ? Math.floor(x / sw) : cols.lower[x]) * channels;
          const right = cols.upper[x] * channels;
          taps.topLeft = top + left;
          taps.topRight = top + right;
          taps.bottomLeft = bottom + left;
          taps.bottomRight = bottom + right;
          taps.dx = cols.lerp[x];
          f(o, taps);
        }
      }
    }
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), size: this.size, data_format: this.dataFormat, interpolation: this.interpolation };
  }
}
