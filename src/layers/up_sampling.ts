import { ConvlensError, describeValue } from '../errors.js';
import { bilinearWeights } from '../image/resize.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions, positivePair } from './args.js';
import { ImageLayer, type ImageLayerArgs } from './image_layer.js';

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
  private rows: Weights | undefined;
  private cols: Weights | undefined;

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

  protected outputShapeNHWC(inputShape: number[]): number[] {
    const shape = [inputShape[0] * this.size[0], inputShape[1] * this.size[1], inputShape[2]];
    if (shape[0] * shape[1] * shape[2] > MAX_VALUES) {
      throw new ConvlensError(
        `${this.name} (UpSampling2D): size [${this.size}] makes each example [${this.exampleInLayout(shape).join(', ')}], more values than an array holds`,
      );
    }
    return shape;
  }

  override build(inputShape: number[]): void {
    super.build(inputShape);
    const [height, width] = this.exampleNHWC(inputShape);
    const [outHeight, outWidth] = this.exampleNHWC(this.outputShape!);
    this.rows = bilinearWeights(outHeight, height, height / outHeight);
    this.cols = bilinearWeights(outWidth, width, width / outWidth);
  }

  protected forwardNHWC(x: Tensor<'float32'>): Tensor<'float32'> {
    const [batch, height, width, channels] = x.shape;
    const [outHeight, outWidth] = this.outputShapeNHWC([height, width, channels]);
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
    const shape = [dy.shape[0], ...this.exampleNHWC(this.inputShape!)];
    const channels = shape[3];
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
    const rows = this.rows!;
    const cols = this.cols!;
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
