import { backend } from '../backend/registry.js';
import type { Conv2DInfo } from '../backend/types.js';
import { ConvlensError, describeValue } from '../errors.js';
import { conv2dTransposeInfo, conv2dTransposeNHWC } from '../ops/nn/conv2d_transpose.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { type ActivationName, activationGrad } from '../train/gradients.js';
import { applyActivation, gradientNeedsInput, keepsLogits } from './activations.js';
import { asLayerError, layerOptions } from './args.js';
import { CONV_OPTION_KEYS, type ConvLayerOptions, convSettings } from './conv_settings.js';
import { type InitializerName, initialize, kerasInitializerClass } from './initializers.js';
import { Layer, type LayerArgs, type Weight } from './layer.js';

export interface Conv2DTransposeLayerArgs extends LayerArgs, ConvLayerOptions {
  /** Keras' output_padding: only null (the default), the output size Keras works out from the padding. */
  outputPadding?: null;
}

/**
 * Keras' Conv2DTranspose ("deconvolution"): each input value spreads `filters` kernels' worth of
 * products into an output `strides` times larger, which is how decoders and generators grow an
 * image back. The gradient of Conv2D with respect to its input, run forward: kernel
 * [kh, kw, filters, inChannels], plus a bias, then the activation.
 */
export class Conv2DTranspose extends Layer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  private kernel: Weight | undefined;
  private bias: Weight | undefined;
  private cache: { x: Tensor<'float32'>; y: Tensor<'float32'>; z?: Tensor<'float32'>; info: Conv2DInfo } | undefined;
  protected override readonly exampleRank = 3;

  constructor(args: Conv2DTransposeLayerArgs) {
    super(
      'Conv2DTranspose',
      'conv2d_transpose',
      layerOptions('Conv2DTranspose', args, [...CONV_OPTION_KEYS, 'outputPadding'], {
        positional: "Keras' Conv2DTranspose(16, 3) is new Conv2DTranspose({ filters: 16, kernelSize: 3 })",
      }),
    );
    const where = `Conv2DTranspose '${this.name}'`;
    const settings = convSettings(where, args);
    if (args.outputPadding !== undefined && args.outputPadding !== null) {
      throw new ConvlensError(
        `${where}: outputPadding ${describeValue(args.outputPadding)} is not supported (only null: the size padding gives)`,
      );
    }
    this.filters = settings.filters;
    this.kernelSize = settings.kernelSize;
    this.strides = settings.strides;
    this.padding = settings.padding;
    this.dilationRate = settings.dilationRate;
    this.activation = settings.activation;
    this.useBias = settings.useBias;
    this.kernelInitializer = settings.kernelInitializer;
    this.biasInitializer = settings.biasInitializer;
  }

  /** Keras' output size along one axis: `size × stride`, plus what a VALID window sticks out past the last stride. */
  private outputLength(size: number, axis: 0 | 1): number {
    const window = (this.kernelSize[axis] - 1) * this.dilationRate[axis] + 1;
    const stride = this.strides[axis];
    return this.padding === 'same' ? size * stride : size * stride + Math.max(window - stride, 0);
  }

  private info(batchShape: number[]): Conv2DInfo {
    const [batch, height, width, channels] = batchShape;
    const outputShape = [batch, this.outputLength(height, 0), this.outputLength(width, 1), this.filters];
    try {
      return conv2dTransposeInfo(
        { strides: this.strides, dilations: this.dilationRate, padding: this.padding },
        batchShape,
        [...this.kernelSize, this.filters, channels],
        outputShape,
      );
    } catch (error) {
      return asLayerError(this, error);
    }
  }

  computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length !== 3) {
      throw new ConvlensError(
        `${this.name} (Conv2DTranspose): expected inputs of shape (height, width, channels), got ${describeValue(inputShape)}`,
      );
    }
    // the convolution this layer runs backwards takes the output to the input
    const info = this.info([1, ...inputShape]);
    return [info.inHeight, info.inWidth, this.filters];
  }

  override build(inputShape: number[]): void {
    super.build(inputShape);
    const [kh, kw] = this.kernelSize;
    const channels = inputShape[2];
    const shape = [kh, kw, this.filters, channels];
    // Keras reads the fans off the kernel's shape: its last two axes, times the window
    const values = initialize(
      this.kernelInitializer,
      kh * kw * this.filters * channels,
      kh * kw * this.filters,
      kh * kw * channels,
      `${this.name}: kernel ${formatShape(shape)}`,
    );
    this.kernel = this.addWeight('kernel', shape, values);
    if (this.useBias) {
      const bias = initialize(this.biasInitializer, this.filters, 1, 1, `${this.name}: bias [${this.filters}]`);
      this.bias = this.addWeight('bias', [this.filters], bias);
    }
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const info = this.info(x.shape);
    const { batch, inHeight, inWidth, inChannels } = info;
    const out = this.buffer('out', batch * inHeight * inWidth * inChannels).fill(0);
    conv2dTransposeNHWC(x.data, this.kernel!.value, info, out);
    if (this.bias) addBias(out, this.bias.value);
    const z = new Tensor(out, [batch, inHeight, inWidth, inChannels], 'float32');
    const y = applyActivation(this.activation, z);
    this.logits = keepsLogits(this.activation) ? z : undefined;
    this.cache = training ? { x, y, z: gradientNeedsInput(this.activation) ? z : undefined, info } : undefined;
    return y;
  }

  /**
   * The convolution's roles swapped: the input gradient is conv2d of the output gradient, the
   * kernel gradient is conv2d's filter gradient with the output gradient as its input.
   */
  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (Conv2DTranspose): backward needs a forward pass in training mode first`);
    const { x, y, z, info } = this.cache;
    const expected = [info.batch, info.inHeight, info.inWidth, info.inChannels];
    if (dy.rank !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
      throw new ConvlensError(`${this.name} (Conv2DTranspose): gradient of shape [${dy.shape}] does not match the output [${expected}]`);
    }
    const dz = preActivation ? dy : activationGrad(this.activation, y, dy, z);
    backend().conv2dBackpropFilter(dz.data, x.data, info, this.kernel!.grad);
    if (this.bias) sumPerChannel(dz.data, this.bias.grad);
    if (!needInputGrad) return undefined;
    const dx = this.buffer('dx', x.size);
    if (dx.length > 0) backend().conv2d(dz.data, this.kernel!.value, info, dx);
    return new Tensor(dx, x.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.baseConfig(),
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: this.dilationRate,
      output_padding: null,
      activation: this.activation,
      use_bias: this.useBias,
      kernel_initializer: { class_name: kerasInitializerClass(this.kernelInitializer), config: {} },
      bias_initializer: { class_name: kerasInitializerClass(this.biasInitializer), config: {} },
    };
  }
}

/** Adds `bias` to each pixel of NHWC `out` (channels last, so the bias repeats every `bias.length`). */
function addBias(out: Float32Array, bias: Float32Array): void {
  for (let i = 0; i < out.length; i += bias.length) {
    for (let c = 0; c < bias.length; c++) out[i + c] += bias[c];
  }
}

/** `into[c]` = the sum of NHWC `values` over every pixel of channel c. */
function sumPerChannel(values: Float32Array, into: Float32Array): void {
  const sums = new Float64Array(into.length);
  for (let i = 0; i < values.length; i += into.length) {
    for (let c = 0; c < into.length; c++) sums[c] += values[i + c];
  }
  into.set(sums);
}
