import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { booleanArg, layerOptions } from './args.js';
import { ImageLayer, type ImageLayerArgs } from './image_layer.js';
import type { Shape } from './shapes.js';

export interface GlobalPool2DLayerArgs extends ImageLayerArgs {
  /** Keep the height and width axes, as 1 (output [batch, 1, 1, channels], or [batch, channels, 1, 1] channels-first); default false: [batch, channels]. */
  keepdims?: boolean;
}

const KEYS = ['dataFormat', 'keepdims'];

/** One value per channel of each image: the mean or the largest of its height × width values. */
abstract class GlobalPool2D extends ImageLayer {
  readonly keepdims: boolean;
  private cache: { x: Tensor<'float32'>; outputs: Float32Array } | undefined;

  constructor(
    className: string,
    defaultName: string,
    private readonly kind: 'max' | 'avg',
    args: GlobalPool2DLayerArgs,
  ) {
    super(className, defaultName, layerOptions(className, args, KEYS));
    const where = `${className} '${this.name}'`;
    this.keepdims = booleanArg(where, 'keepdims', args.keepdims, false);
  }

  protected outputShapeNHWC(inputShape: Shape): Shape {
    const channels = inputShape[2];
    return this.keepdims ? [1, 1, channels] : [channels];
  }

  protected forwardNHWC(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const [batch, height, width, channels] = x.shape;
    const area = height * width;
    const out = this.buffer('out', batch * channels);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        let acc = this.kind === 'max' ? Number.NEGATIVE_INFINITY : 0;
        for (let p = 0, i = n * area * channels + c; p < area; p++, i += channels) {
          const v = x.data[i];
          // NaN wins a max, as in TensorFlow
          acc = this.kind === 'avg' ? acc + v : v > acc || Number.isNaN(v) ? v : acc;
        }
        out[n * channels + c] = this.kind === 'avg' ? acc / area : area > 0 ? acc : Number.NEGATIVE_INFINITY;
      }
    }
    this.cache = training ? { x, outputs: out } : undefined;
    return new Tensor(out, this.keepdims ? [batch, 1, 1, channels] : [batch, channels], 'float32');
  }

  /**
   * Average: each value gets dy / (height × width). Max: the gradient goes to the values equal to
   * the maximum, shared among them when several are, as TensorFlow's gradient of reduce_max does.
   */
  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (${this.className}): backward needs a forward pass in training mode first`);
    if (!needInputGrad) return undefined;
    const { x, outputs } = this.cache;
    const [batch, height, width, channels] = x.shape;
    const area = height * width;
    const dx = this.buffer('dx', x.size);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        const g = dy.data[n * channels + c];
        const first = n * area * channels + c;
        if (this.kind === 'avg') {
          for (let p = 0, i = first; p < area; p++, i += channels) dx[i] = g / area;
          continue;
        }
        const max = outputs[n * channels + c];
        let ties = 0;
        for (let p = 0, i = first; p < area; p++, i += channels) if (x.data[i] === max) ties++;
        // a NaN maximum equals nothing: 0 / 0 everywhere, as in TensorFlow
        for (let p = 0, i = first; p < area; p++, i += channels) dx[i] = ties === 0 ? Number.NaN : x.data[i] === max ? g / ties : 0;
      }
    }
    return new Tensor(dx, x.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    // keepdims only when set: Keras reads it; tfjs-layers (4.x) ignores it, and would drop the 1 × 1 axes
    return { ...this.baseConfig(), data_format: this.dataFormat, ...(this.keepdims ? { keepdims: true } : {}) };
  }
}

/** Keras' GlobalAveragePooling2D (GlobalAvgPool2D): each channel's mean over the image, [batch, channels]. */
export class GlobalAveragePooling2D extends GlobalPool2D {
  constructor(args: GlobalPool2DLayerArgs = {}) {
    super('GlobalAveragePooling2D', 'global_average_pooling2d', 'avg', args);
  }
}

/** Keras' GlobalMaxPooling2D (GlobalMaxPool2D): each channel's largest value over the image, [batch, channels]. */
export class GlobalMaxPooling2D extends GlobalPool2D {
  constructor(args: GlobalPool2DLayerArgs = {}) {
    super('GlobalMaxPooling2D', 'global_max_pooling2d', 'max', args);
  }
}
