import { backend } from '../backend/registry.js';
import { ConvlensError } from '../errors.js';
import { type SeparableConv2DInfo, separableConv2dInfo } from '../ops/nn/separable_conv2d.js';
import { Tensor } from '../tensor/tensor.js';
import type { ActivationName } from '../train/gradients.js';
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

export interface SeparableConv2DLayerArgs
  extends LayerArgs,
    ConvWindowOptions,
    WeightPenaltyOptions<'depthwise' | 'pointwise' | 'bias'>,
    ActivityOptions {
  /** Output channels of the 1×1 step. */
  filters: number;
  /** Channels the depthwise step makes of each input channel (Keras' default 1). */
  depthMultiplier?: number;
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  depthwiseInitializer?: string | Initializer;
  pointwiseInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
}

const KEYS = [
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'depthMultiplier',
  'dataFormat',
  'dilationRate',
  'activation',
  'useBias',
  'depthwiseInitializer',
  'pointwiseInitializer',
  'biasInitializer',
  ...penaltyKeys(['depthwise', 'pointwise', 'bias']),
  'activityRegularizer',
];

/** What backward needs: the input, the depthwise step's output, the output, and z where the activation's gradient needs it. */
interface SeparableCache {
  x: Tensor<'float32'>;
  depthwiseOut: Tensor<'float32'>;
  y: Tensor<'float32'>;
  z?: Tensor<'float32'>;
  info: SeparableConv2DInfo;
}

/**
 * Keras' SeparableConv2D: a depthwise convolution (each input channel with its own
 * `depthMultiplier` kernels), then a 1×1 convolution into `filters` channels, plus a bias, then
 * the activation. Weights `depthwise_kernel` [kh, kw, channels, depthMultiplier],
 * `pointwise_kernel` [1, 1, channels · depthMultiplier, filters] and `bias` [filters], in Keras' order.
 */
export class SeparableConv2D extends ImageLayer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly depthMultiplier: number;
  readonly dilationRate: [number, number];
  override readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly depthwiseInitializer: InitializerName | Initializer;
  readonly pointwiseInitializer: InitializerName | Initializer;
  readonly biasInitializer: InitializerName | Initializer;
  /** The depthwise kernel's penalty and constraint (Keras' `depthwise_regularizer`, `depthwise_constraint`). */
  readonly depthwiseSettings: WeightSettings;
  /** The pointwise kernel's penalty and constraint. */
  readonly pointwiseSettings: WeightSettings;
  /** The bias's penalty and constraint. */
  readonly biasSettings: WeightSettings;
  private depthwiseKernel: Weight | undefined;
  private pointwiseKernel: Weight | undefined;
  private bias: Weight | undefined;
  private cache: SeparableCache | undefined;

  constructor(args: SeparableConv2DLayerArgs) {
    super(
      'SeparableConv2D',
      'separable_conv2d',
      layerOptions('SeparableConv2D', args, KEYS, {
        positional: "Keras' SeparableConv2D(16, 3) is new SeparableConv2D({ filters: 16, kernelSize: 3 })",
      }),
    );
    const where = `SeparableConv2D '${this.name}'`;
    this.filters = positiveInteger(where, 'filters', args.filters);
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
    this.pointwiseInitializer = initializerArg(where, 'pointwiseInitializer', args.pointwiseInitializer, 'glorotUniform');
    this.biasInitializer = initializerArg(where, 'biasInitializer', args.biasInitializer, 'zeros');
    this.depthwiseSettings = weightSettings(where, args, 'depthwise', 4);
    this.pointwiseSettings = weightSettings(where, args, 'pointwise', 4);
    this.biasSettings = weightSettings(where, args, 'bias', 1);
    this.activityRegularizerValue = activityArg(where, args);
  }

  private info(batchShape: number[]): SeparableConv2DInfo {
    const channels = batchShape[3];
    const depthwiseShape = [...this.kernelSize, channels, this.depthMultiplier];
    const pointwiseShape = [1, 1, channels * this.depthMultiplier, this.filters];
    try {
      return separableConv2dInfo(
        { strides: this.strides, dilations: this.dilationRate, padding: this.padding },
        batchShape,
        depthwiseShape,
        pointwiseShape,
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
      const { pointwise } = this.info([1, ...known]);
      return [pointwise.outHeight, pointwise.outWidth, this.filters];
    });
  }

  override build(inputShape: Shape): void {
    super.build(inputShape);
    const [kh, kw] = this.kernelSize;
    const channels = this.knownChannels(inputShape);
    const depthwiseShape = [kh, kw, channels, this.depthMultiplier];
    const mixed = channels * this.depthMultiplier;
    const pointwiseShape = [1, 1, mixed, this.filters];
    this.depthwiseKernel = this.addWeight(
      'depthwise_kernel',
      depthwiseShape,
      initialize(this.depthwiseInitializer, depthwiseShape, `${this.name}: depthwise_kernel`),
      this.depthwiseSettings,
    );
    this.pointwiseKernel = this.addWeight(
      'pointwise_kernel',
      pointwiseShape,
      initialize(this.pointwiseInitializer, pointwiseShape, `${this.name}: pointwise_kernel`),
      this.pointwiseSettings,
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        'bias',
        [this.filters],
        initialize(this.biasInitializer, [this.filters], `${this.name}: bias`),
        this.biasSettings,
      );
    }
  }

  protected forwardNHWC(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const info = this.info(x.shape);
    const { depthwise, pointwise } = info;
    const mid = this.buffer('depthwise', depthwise.batch * depthwise.outHeight * depthwise.outWidth * depthwise.outChannels);
    if (mid.length > 0) backend().depthwiseConv2d(x.data, this.depthwiseKernel!.value, depthwise, mid);
    const depthwiseOut = new Tensor(mid, [depthwise.batch, depthwise.outHeight, depthwise.outWidth, depthwise.outChannels], 'float32');
    // the bias and a ReLU are applied by the 1×1 step's kernel as it writes each output; other activations follow it
    const relu = this.activation === 'relu';
    const { batch, outHeight, outWidth, outChannels } = pointwise;
    const out = this.buffer('out', batch * outHeight * outWidth * outChannels);
    const epilogue = { bias: this.bias?.value, activation: relu ? ('relu' as const) : ('linear' as const) };
    if (out.length > 0) backend().conv2d(mid, this.pointwiseKernel!.value, pointwise, out, epilogue);
    const { y, preActivation } = this.activate(new Tensor(out, [batch, outHeight, outWidth, outChannels], 'float32'), relu);
    this.cache = training ? { x, depthwiseOut, y, z: preActivation, info } : undefined;
    return y;
  }

  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (SeparableConv2D): backward needs a forward pass in training mode first`);
    const { x, depthwiseOut, y, z, info } = this.cache;
    const { depthwise, pointwise } = info;
    this.checkOutputGradient(dy, [pointwise.batch, pointwise.outHeight, pointwise.outWidth, pointwise.outChannels]);
    // the 1×1 step as Conv2D's backward (ReLU's gradient applied by the backend on the way), giving
    // the gradient of the depthwise step's output; then the depthwise step as DepthwiseConv2D's
    const relu = !preActivation && this.activation === 'relu';
    const dz = this.activationGradient(dy, y, z, preActivation, relu);
    const dMid = this.buffer('dDepthwise', depthwiseOut.size);
    const weights = weightGradientsWanted();
    backend().conv2dBackward(depthwiseOut.data, this.pointwiseKernel!.value, dz.data, pointwise, {
      dFilters: weights ? this.pointwiseKernel!.grad : undefined,
      dBias: weights ? this.bias?.grad : undefined,
      dx: dMid,
      reluOutput: relu ? y.data : undefined,
    });
    if (weights) backend().depthwiseConv2dBackpropFilter(x.data, dMid, depthwise, this.depthwiseKernel!.grad);
    if (!needInputGrad) return undefined;
    const dx = this.buffer('dx', x.size);
    backend().depthwiseConv2dBackpropInput(dMid, this.depthwiseKernel!.value, depthwise, dx);
    return new Tensor(dx, x.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.baseConfig(),
      filters: this.filters,
      ...windowConfig(this),
      depth_multiplier: this.depthMultiplier,
      activation: this.activation,
      use_bias: this.useBias,
      depthwise_initializer: initializerConfig(this.depthwiseInitializer),
      pointwise_initializer: initializerConfig(this.pointwiseInitializer),
      bias_initializer: initializerConfig(this.biasInitializer),
      ...weightSettingsConfig('depthwise', this.depthwiseSettings),
      ...weightSettingsConfig('pointwise', this.pointwiseSettings),
      ...weightSettingsConfig('bias', this.biasSettings),
      ...activityConfig(this.activityRegularizer),
    };
  }
}
