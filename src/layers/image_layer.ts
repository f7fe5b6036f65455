import { backend } from '../backend/registry.js';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { ActivationName } from '../train/gradients.js';
import { type DataFormat, dataFormatArg, type ImageDataFormat } from './args.js';
import { batchShapeText, Layer, type LayerArgs } from './layer.js';
import type { Shape } from './shapes.js';

/** `x` with its axis `from` moved to position `to` (the others keep their order), written into `out`. */
export function moveAxis(x: Tensor<'float32'>, from: number, to: number, out: Float32Array): Tensor<'float32'> {
  const order = x.shape.map((_, i) => i).filter((i) => i !== from);
  order.splice(to, 0, from);
  backend().transpose(x.data, x.shape, order, out);
  return new Tensor(
    out,
    order.map((i) => x.shape[i]),
    'float32',
  );
}

/** One example's shape with its axis `from` moved to position `to`. */
export function moveShapeAxis<D extends number | null>(shape: readonly D[], from: number, to: number): D[] {
  const moved = shape.filter((_, i) => i !== from);
  moved.splice(to, 0, shape[from]);
  return moved;
}

/** The size a free height or width is given to compute an output's shape: larger than any window, so that no size check fails on it. */
const FREE_SIZE_PROBE = 1 << 14;

/**
 * The output shape `outputOf` computes for an example shape with free sizes (null), for a layer
 * whose output keeps its input's axes (convolution, pooling, padding): computed with a probe size
 * in their place, the output's size on those axes then free too.
 */
export function keepFreeSizes(shape: Shape, outputOf: (known: number[]) => number[]): Shape {
  const output: Shape = outputOf(shape.map((d) => d ?? FREE_SIZE_PROBE));
  return output.map((d, i) => (shape[i] === null ? null : d));
}

/** What a layer on images takes besides its own options. */
export interface ImageLayerArgs extends LayerArgs {
  /**
   * 'channels_last' (the default: inputs [batch, height, width, channels]) or 'channels_first'
   * ([batch, channels, height, width]), in Keras' or tfjs' spelling.
   */
  dataFormat?: DataFormat;
}

/**
 * A layer on images that computes channels-last, and takes Keras' data_format as Keras and
 * TensorFlow.js do: channels-first inputs, outputs and gradients are transposed to and from the
 * channels-last computation (the `...NHWC` methods), which a channels-last layer runs directly.
 * Its shapes (inputShape, outputShape) are in its own layout; its weights are the same in both.
 */
export abstract class ImageLayer extends Layer {
  readonly dataFormat: ImageDataFormat;
  protected override readonly exampleRank = 3;

  constructor(className: string, defaultName: string, args: ImageLayerArgs) {
    super(className, defaultName, args);
    this.dataFormat = dataFormatArg(`${className} '${this.name}'`, args.dataFormat);
  }

  /** The output's shape for one example [height, width, channels] (a free size of the input may leave one of the output's free). */
  protected abstract outputShapeNHWC(inputShape: Shape): Shape;

  protected abstract forwardNHWC(x: Tensor<'float32'>, training: boolean): Tensor<'float32'>;

  protected abstract backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation: boolean): Tensor<'float32'> | undefined;

  private get channelsFirst(): boolean {
    return this.dataFormat === 'channels_first';
  }

  /**
   * The layer's activation, but (log) softmax channels-first: Keras and tfjs take that softmax over
   * the output's last axis, the width, where this layer computes its activation over the channels.
   */
  protected imageActivation(where: string, activation: ActivationName): ActivationName {
    if ((activation === 'softmax' || activation === 'log_softmax') && this.channelsFirst) {
      throw new ConvlensError(
        `${where}: activation '${activation}' is not supported with dataFormat 'channels_first' (Keras takes that softmax over the last axis, the width, where convlens computes activations over the channels)`,
      );
    }
    return activation;
  }

  protected override get imageAxes(): string {
    return this.channelsFirst ? 'channels, height, width' : super.imageAxes;
  }

  /** One example's shape [height, width, channels] from this layer's layout (shapes of other ranks are the same in both). */
  protected exampleNHWC<D extends number | null>(shape: readonly D[]): D[] {
    return this.channelsFirst && shape.length === 3 ? moveShapeAxis(shape, 0, 2) : [...shape];
  }

  /** A batch in this layer's layout as NHWC (itself when channels-last), in the buffer `key`. */
  private toNHWC(x: Tensor<'float32'>, key: string): Tensor<'float32'> {
    return this.channelsFirst && x.rank === 4 ? moveAxis(x, 1, 3, this.buffer(key, x.size)) : x;
  }

  /** An NHWC batch in this layer's layout (itself when channels-last), in the buffer `key`. */
  private fromNHWC(x: Tensor<'float32'>, key: string): Tensor<'float32'> {
    return this.channelsFirst && x.rank === 4 ? moveAxis(x, 3, 1, this.buffer(key, x.size)) : x;
  }

  /** One example's shape [height, width, channels] in this layer's layout (exampleNHWC's inverse). */
  protected exampleInLayout<D extends number | null>(shape: readonly D[]): D[] {
    return this.channelsFirst && shape.length === 3 ? moveShapeAxis(shape, 2, 0) : [...shape];
  }

  computeOutputShape(inputShape: Shape): Shape {
    this.checkImageShape(inputShape);
    return this.exampleInLayout(this.outputShapeNHWC(this.exampleNHWC(inputShape)));
  }

  /** The output's shape [height, width, channels] for one example of a batch, whose sizes are all known. */
  protected batchOutputNHWC(inputShape: number[]): number[] {
    return this.outputShapeNHWC(inputShape) as number[];
  }

  /** The size of the input's channels, which a layer with weights for each channel needs known. */
  protected knownChannels(inputShape: Shape): number {
    const channels = this.exampleNHWC(inputShape)[2];
    if (channels === null) {
      throw new ConvlensError(
        `${this.name} (${this.className}): the input's channels must be known, got ${batchShapeText(inputShape)} (only the height and width may be free)`,
      );
    }
    return channels;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const y = this.fromNHWC(this.forwardNHWC(this.toNHWC(x, 'inputNHWC'), training), 'output');
    // training reads a softmax's or sigmoid's logits in the output's layout
    if (this.logits) this.logits = this.fromNHWC(this.logits, 'logits');
    return y;
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    return this.gradientNHWC(dy, (nhwc) => this.backwardNHWC(nhwc, needInputGrad, preActivation));
  }

  /** The input's gradient from `backward`, an NHWC computation, given the output's in this layer's layout. */
  protected gradientNHWC<T extends Tensor<'float32'> | undefined>(dy: Tensor<'float32'>, backward: (nhwc: Tensor<'float32'>) => T): T {
    const dx = backward(this.toNHWC(dy, 'gradientNHWC'));
    return (dx && this.fromNHWC(dx, 'inputGradient')) as T;
  }
}
