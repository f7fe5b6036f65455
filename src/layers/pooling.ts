import { backend } from '../backend/registry.js';
import type { Pool2DInfo } from '../backend/types.js';
import { ConvlensError } from '../errors.js';
import { pool2dInfo } from '../ops/nn/pool_util.js';
import { Tensor } from '../tensor/tensor.js';
import { avgPoolGrad } from '../train/gradients.js';
import { asLayerError, layerOptions, paddingArg, positivePair, shorthandOptions } from './args.js';
import { ImageLayer, type ImageLayerArgs, keepFreeSizes } from './image_layer.js';
import type { Shape } from './shapes.js';

export interface Pool2DLayerArgs extends ImageLayerArgs {
  /** Window size; Keras' default is 2. */
  poolSize?: number | [number, number];
  /** Defaults to the pool size (non-overlapping windows). */
  strides?: number | [number, number];
  /** Keras' default is 'valid'. */
  padding?: 'valid' | 'same' | 'VALID' | 'SAME';
}

type PoolKind = 'max' | 'avg';

const KEYS = ['poolSize', 'strides', 'padding', 'dataFormat'];

/** A pool size alone (Keras' `MaxPool2D(3)`) as the options it stands for; anything else must be an options object. */
function poolOptions(className: string, args: number | [number, number] | Pool2DLayerArgs, more: unknown): Pool2DLayerArgs {
  const options = shorthandOptions<Pool2DLayerArgs>(className, 'poolSize', args, more, typeof args === 'number' || Array.isArray(args));
  return layerOptions(className, options, KEYS, { shorthand: 'a pool size (n or [h, w])' });
}

abstract class Pool2D extends ImageLayer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  private cache: { x: Tensor<'float32'>; info: Pool2DInfo } | undefined;

  constructor(
    className: string,
    defaultName: string,
    private readonly kind: PoolKind,
    args: number | [number, number] | Pool2DLayerArgs,
    more?: Omit<Pool2DLayerArgs, 'poolSize'>,
  ) {
    const options = poolOptions(className, args, more);
    super(className, defaultName, options);
    const where = `${className} '${this.name}'`;
    this.poolSize = positivePair(where, 'poolSize', options.poolSize ?? 2);
    this.strides = positivePair(where, 'strides', options.strides ?? this.poolSize);
    this.padding = paddingArg(where, options.padding);
  }

  private info(batchShape: number[]): Pool2DInfo {
    try {
      // the op's name, as a convolution's errors give theirs: the layer's class already leads the message
      const op = this.kind === 'max' ? 'maxPool2d' : 'avgPool2d';
      return pool2dInfo(op, { ksize: this.poolSize, strides: this.strides, padding: this.padding }, batchShape, 'NHWC');
    } catch (error) {
      return asLayerError(this, error);
    }
  }

  protected outputShapeNHWC(inputShape: Shape): Shape {
    return keepFreeSizes(inputShape, (known) => {
      const info = this.info([1, ...known]);
      return [info.outHeight, info.outWidth, info.channels];
    });
  }

  protected forwardNHWC(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const info = this.info(x.shape);
    const out = this.buffer('out', info.batch * info.outHeight * info.outWidth * info.channels);
    if (out.length > 0) backend()[this.kind === 'max' ? 'maxPool' : 'avgPool'](x.data, info, out);
    this.cache = training ? { x, info } : undefined;
    return new Tensor(out, [info.batch, info.outHeight, info.outWidth, info.channels], 'float32');
  }

  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (${this.className}): backward needs a forward pass in training mode first`);
    if (!needInputGrad) return undefined;
    const { x, info } = this.cache;
    return this.kind === 'max' ? this.maxPoolBackward(dy, false) : avgPoolGrad(x.shape, dy, info);
  }

  /**
   * The gradient with respect to the input of the ReLU that produced this layer's input (max
   * pooling only): max pooling's gradient masked where the input is not positive, in one pass.
   * The model uses it when a ReLU layer feeds this one, and skips that layer's own ReLU gradient.
   */
  backwardThroughRelu(dy: Tensor<'float32'>): Tensor<'float32'> {
    if (this.kind !== 'max') throw new ConvlensError(`${this.name} (${this.className}): backwardThroughRelu is for max pooling`);
    return this.gradientNHWC(dy, (nhwc) => this.maxPoolBackward(nhwc, true));
  }

  private maxPoolBackward(dy: Tensor<'float32'>, reluMask: boolean): Tensor<'float32'> {
    if (!this.cache) throw new ConvlensError(`${this.name} (${this.className}): backward needs a forward pass in training mode first`);
    const { x, info } = this.cache;
    const expected = [info.batch, info.outHeight, info.outWidth, info.channels];
    if (dy.rank !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
      throw new ConvlensError(`${this.name} (${this.className}): gradient of shape [${dy.shape}] does not match the output [${expected}]`);
    }
    const dx = this.buffer('dx', x.size);
    backend().maxPoolBackward(x.data, dy.data, info, dx, reluMask);
    return new Tensor(dx, x.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), pool_size: this.poolSize, strides: this.strides, padding: this.padding, data_format: this.dataFormat };
  }
}

/**
 * Keras' MaxPool2D (MaxPooling2D): the largest value in each window. As in Keras, a pool size
 * alone may stand for the options: `new MaxPool2D(3)` or `new MaxPool2D([3, 2])` is
 * `new MaxPool2D({ poolSize: 3 })` (or `[3, 2]`).
 */
export class MaxPool2D extends Pool2D {
  constructor(args: number | [number, number] | Pool2DLayerArgs = {}, more?: Omit<Pool2DLayerArgs, 'poolSize'>) {
    super('MaxPooling2D', 'max_pooling2d', 'max', args, more);
  }
}

/**
 * Keras' AvgPool2D (AveragePooling2D): the mean of each window's unpadded cells. As in Keras, a
 * pool size alone may stand for the options: `new AvgPool2D(3)` is `new AvgPool2D({ poolSize: 3 })`.
 */
export class AvgPool2D extends Pool2D {
  constructor(args: number | [number, number] | Pool2DLayerArgs = {}, more?: Omit<Pool2DLayerArgs, 'poolSize'>) {
    super('AveragePooling2D', 'average_pooling2d', 'avg', args, more);
  }
}
