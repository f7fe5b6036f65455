import { backend } from '../backend/registry.js';
import type { Conv2DInfo } from '../backend/types.js';
import { ConvlensError, describeValue } from '../errors.js';
import type { Padding, Window2D } from '../ops/conv_util.js';
import { conv2dInfo } from '../ops/nn/conv2d.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { type ActivationName, activationGrad } from '../train/gradients.js';
import { applyActivation, gradientNeedsInput, keepsLogits } from './activations.js';
import { asLayerError, layerOptions } from './args.js';
import { CONV_OPTION_KEYS, type ConvLayerOptions, convSettings } from './conv_settings.js';
import { type InitializerName, initialize, kerasInitializerClass } from './initializers.js';
import { Layer, type LayerArgs, type Weight } from './layer.js';

export interface Conv2DLayerArgs extends LayerArgs, ConvLayerOptions {}

/** Keras' Conv2D: `filters` kernels of `kernelSize` slid over the input, plus a bias, then the activation. */
export class Conv2D extends Layer {
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
  /** What backward needs: the input, the output, and the pre-activation values z where the activation's gradient needs them. */
  private cache: { x: Tensor<'float32'>; y: Tensor<'float32'>; z?: Tensor<'float32'>; info: Conv2DInfo } | undefined;
  protected override readonly exampleRank = 3;

  constructor(args: Conv2DLayerArgs) {
    super(
      'Conv2D',
      'conv2d',
      layerOptions('Conv2D', args, CONV_OPTION_KEYS, { positional: "Keras' Conv2D(16, 3) is new Conv2D({ filters: 16, kernelSize: 3 })" }),
    );
    const settings = convSettings(`Conv2D '${this.name}'`, args);
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

  private info(batchShape: number[]): Conv2DInfo {
    const shape = [...this.kernelSize, batchShape[3], this.filters];
    try {
      return conv2dInfo(
        { strides: this.strides as Window2D, dilations: this.dilationRate as Window2D, padding: this.padding as Padding },
        batchShape,
        shape,
        'NHWC',
      );
    } catch (error) {
      return asLayerError(this, error);
    }
  }

  computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length !== 3) {
      throw new ConvlensError(
        `${this.name} (Conv2D): expected inputs of shape (height, width, channels), got ${describeValue(inputShape)}`,
      );
    }
    const info = this.info([1, ...inputShape]);
    return [info.outHeight, info.outWidth, this.filters];
  }

  override build(inputShape: number[]): void {
    super.build(inputShape);
    const [kh, kw] = this.kernelSize;
    const channels = inputShape[2];
    const size = kh * kw * channels * this.filters;
    this.kernel = this.addWeight(
      'kernel',
      [kh, kw, channels, this.filters],
      initialize(
        this.kernelInitializer,
        size,
        kh * kw * channels,
        kh * kw * this.filters,
        `${this.name}: kernel ${formatShape([kh, kw, channels, this.filters])}`,
      ),
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        'bias',
        [this.filters],
        initialize(this.biasInitializer, this.filters, 1, 1, `${this.name}: bias [${this.filters}]`),
      );
    }
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const info = this.info(x.shape);
    // ReLU and the bias are fused into the convolution's epilogue; other activations follow it.
    const fused = this.activation === 'relu' ? 'relu' : 'linear';
    const { batch, outHeight, outWidth, outChannels } = info;
    const out = this.buffer('out', batch * outHeight * outWidth * outChannels);
    if (out.length > 0) backend().conv2d(x.data, this.kernel!.value, info, out, { bias: this.bias?.value, activation: fused });
    const z = new Tensor(out, [batch, outHeight, outWidth, outChannels], 'float32');
    const y = fused === 'linear' ? applyActivation(this.activation, z) : z;
    this.logits = keepsLogits(this.activation) ? z : undefined;
    this.cache = training ? { x, y, z: gradientNeedsInput(this.activation) ? z : undefined, info } : undefined;
    return y;
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (Conv2D): backward needs a forward pass in training mode first`);
    const { x, y, z, info } = this.cache;
    const expected = [info.batch, info.outHeight, info.outWidth, info.outChannels];
    if (dy.rank !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
      throw new ConvlensError(`${this.name} (Conv2D): gradient of shape [${dy.shape}] does not match the output [${expected}]`);
    }
    // ReLU's gradient is applied by the backend on the way (one pass in wasm); others here
    const relu = !preActivation && this.activation === 'relu';
    const dz = preActivation || relu ? dy : activationGrad(this.activation, y, dy, z);
    const dx = needInputGrad ? this.buffer('dx', x.size) : undefined;
    backend().conv2dBackward(x.data, this.kernel!.value, dz.data, info, {
      dFilters: this.kernel!.grad,
      dBias: this.bias?.grad,
      dx,
      reluOutput: relu ? y.data : undefined,
    });
    return dx ? new Tensor(dx, x.shape, 'float32') : undefined;
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
      activation: this.activation,
      use_bias: this.useBias,
      kernel_initializer: { class_name: kerasInitializerClass(this.kernelInitializer), config: {} },
      bias_initializer: { class_name: kerasInitializerClass(this.biasInitializer), config: {} },
    };
  }
}
