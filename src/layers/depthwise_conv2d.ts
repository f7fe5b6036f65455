import { backend } from '../backend/registry.js';
import type { DepthwiseConv2DInfo } from '../backend/types.js';
import { ConvlensError } from '../errors.js';
import { depthwiseConv2dInfo } from '../ops/nn/depthwise_conv2d.js';
import { Tensor } from '../tensor/tensor.js';
import { type ActivationName, biasGrad } from '../train/gradients.js';
import { type ActivationIdentifier, activationName } from './activations.js';
import { asLayerError, booleanArg, layerOptions } from './args.js';
import { type ConvWindowOptions, convWindowSettings, positiveInteger, windowConfig } from './conv_layer.js';
import { ImageLayer, keepFreeSizes } from './image_layer.js';
import { type Initializer, type InitializerName, initialize, initializerArg, initializerConfig } from './initializers.js';
import { type LayerArgs, type Weight, type WeightSettings, weightGradientsWanted } from './layer.js';
import type { Shape } from './shapes.js';
import {
  type ActivityOptions,
  activityArg,
  activityConfig,
  penaltyKeys,
  type WeightPenaltyOptions,
  weightSettings,
  weightSettingsConfig,
} from './weight_settings.js';

export interface DepthwiseConv2DLayerArgs
  extends LayerArgs,
    ConvWindowOptions,
    WeightPenaltyOptions<'depthwise' | 'bias'>,
    ActivityOptions {
  /** Output channels per input channel (Keras' default 1). */
  depthMultiplier?: number;
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  depthwiseInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
}

const KEYS = [
  'kernelSize',
  'strides',
  'padding',
  'depthMultiplier',
  'dataFormat',
  'dilationRate',
  'activation',
  'useBias',
  'depthwiseInitializer',
  'biasInitializer',
  ...penaltyKeys(['depthwise', 'bias']),
  'activityRegularizer',
];

/**
 * Keras' DepthwiseConv2D: each input channel convolved with its own `depthMultiplier` kernels
 * (output channel c · depthMultiplier + m, as TensorFlow's depthwise_conv2d), plus a bias, then
 * the activation. Weights `depthwise_kernel` [kh, kw, channels, depthMultiplier] and `bias`
 * [channels · depthMultiplier], named as tfjs-layers and Keras 2 name them.
 */
export class DepthwiseConv2D extends ImageLayer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly depthMultiplier: number;
  readonly dilationRate: [number, number];
  override readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly depthwiseInitializer: InitializerName | Initializer;
  readonly biasInitializer: InitializerName | Initializer;
  /** The depthwise kernel's penalty and constraint (Keras' `depthwise_regularizer`, `depthwise_constraint`). */
  readonly depthwiseSettings: WeightSettings;
  /** The bias's penalty and constraint. */
  readonly biasSettings: WeightSettings;
  private kernel: Weight | undefined;
  private bias: Weight | undefined;
  private cache: { x: Tensor<'float32'>; y: Tensor<'float32'>; z?: Tensor<'float32'>; info: DepthwiseConv2DInfo } | undefined;

  constructor(args: DepthwiseConv2DLayerArgs) {
    super(
      'DepthwiseConv2D',
      'depthwise_conv2d',
      layerOptions('DepthwiseConv2D', args, KEYS, { positional: "Keras' DepthwiseConv2D(3) is new DepthwiseConv2D({ kernelSize: 3 })" }),
    );
    const where = `DepthwiseConv2D '${this.name}'`;
    ({
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dilationRate: this.dilationRate,
    } = convWindowSettings(where, args));
    this.depthMultiplier = positiveInteger(where, 'depthMultiplier', args.depthMultiplier ?? 1);
    this.activation = this.imageActivation(where, activationName(where, args.activation));
    this.useBias = booleanArg(where, 'useBias', args.useBias, true);
    this.depthwiseInitializer = initializerArg(where, 'depthwiseInitializer', args.depthwiseInitializer, 'glorotUniform');
    this.biasInitializer = initializerArg(where, 'biasInitializer', args.biasInitializer, 'zeros');
    this.depthwiseSettings = weightSettings(where, args, 'depthwise', 4);
    this.biasSettings = weightSettings(where, args, 'bias', 1);
    this.activityRegularizerValue = activityArg(where, args);
  }

  private info(batchShape: number[]): DepthwiseConv2DInfo {
    const filterShape = [...this.kernelSize, batchShape[3], this.depthMultiplier];
    try {
      return depthwiseConv2dInfo(
        { strides: this.strides, dilations: this.dilationRate, padding: this.padding },
        batchShape,
        filterShape,
        'NHWC',
      );
    } catch (error) {
      return asLayerError(this, error);
    }
  }

  protected outputShapeNHWC(inputShape: Shape): Shape {
    // knownChannels reads a shape in the layer's layout, this one is NHWC
    this.knownChannels(this.exampleInLayout(inputShape));
    return keepFreeSizes(inputShape, (known) => {
      const info = this.info([1, ...known]);
      return [info.outHeight, info.outWidth, info.outChannels];
    });
  }

  override build(inputShape: Shape): void {
    super.build(inputShape);
    const [kh, kw] = this.kernelSize;
    const channels = this.knownChannels(inputShape);
    const shape = [kh, kw, channels, this.depthMultiplier];
    const values = initialize(this.depthwiseInitializer, shape, `${this.name}: depthwise_kernel`);
    this.kernel = this.addWeight('depthwise_kernel', shape, values, this.depthwiseSettings);
    if (this.useBias) {
      const outChannels = channels * this.depthMultiplier;
      this.bias = this.addWeight(
        'bias',
        [outChannels],
        initialize(this.biasInitializer, [outChannels], `${this.name}: bias`),
        this.biasSettings,
      );
    }
  }

  protected forwardNHWC(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const info = this.info(x.shape);
    // the bias and a ReLU are applied by the kernel as it writes each output; other activations follow it
    const relu = this.activation === 'relu';
    const { batch, outHeight, outWidth, outChannels } = info;
    const out = this.buffer('out', batch * outHeight * outWidth * outChannels);
    const epilogue = { bias: this.bias?.value, activation: relu ? ('relu' as const) : ('linear' as const) };
    if (out.length > 0) backend().depthwiseConv2d(x.data, this.kernel!.value, info, out, epilogue);
    const { y, preActivation } = this.activate(new Tensor(out, [batch, outHeight, outWidth, outChannels], 'float32'), relu);
    this.cache = training ? { x, y, z: preActivation, info } : undefined;
    return y;
  }

  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (DepthwiseConv2D): backward needs a forward pass in training mode first`);
    const { x, y, z, info } = this.cache;
    this.checkOutputGradient(dy, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
    const dz = this.activationGradient(dy, y, z, preActivation);
    if (weightGradientsWanted()) {
      backend().depthwiseConv2dBackpropFilter(x.data, dz.data, info, this.kernel!.grad);
      this.bias?.grad.set(biasGrad(dz));
    }
    if (!needInputGrad) return undefined;
    const dx = this.buffer('dx', x.size);
    backend().depthwiseConv2dBackpropInput(dz.data, this.kernel!.value, info, dx);
    return new Tensor(dx, x.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.baseConfig(),
      ...windowConfig(this),
      depth_multiplier: this.depthMultiplier,
      activation: this.activation,
      use_bias: this.useBias,
      depthwise_initializer: initializerConfig(this.depthwiseInitializer),
      bias_initializer: initializerConfig(this.biasInitializer),
      ...weightSettingsConfig('depthwise', this.depthwiseSettings),
      ...weightSettingsConfig('bias', this.biasSettings),
      ...activityConfig(this.activityRegularizer),
    };
  }
}
