import type { Conv2DInfo } from '../backend/types.js';
import { ConvlensError, describeValue, type OptionsForm } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ActivationName } from '../train/gradients.js';
import { type ActivationIdentifier, activationName } from './activations.js';
import { asLayerError, booleanArg, type DataFormat, layerOptions, paddingArg, positivePair } from './args.js';
import { ImageLayer, keepFreeSizes } from './image_layer.js';
import { type Initializer, type InitializerName, initialize, initializerArg, initializerConfig } from './initializers.js';
import type { LayerArgs, Weight, WeightSettings } from './layer.js';
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

/** The class names of the convolution layers: their outputs are filters' responses, the features a model learned. */
export const CONVOLUTION_CLASSES: ReadonlySet<string> = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose']);

/** What Keras' Conv2D and Conv2DTranspose take alike. */
export interface ConvLayerOptions extends ConvWindowOptions, WeightPenaltyOptions<'kernel' | 'bias'>, ActivityOptions {
  filters: number;
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
}

export const CONV_OPTION_KEYS = [
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'dataFormat',
  'dilationRate',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  ...penaltyKeys(['kernel', 'bias']),
  'activityRegularizer',
];

/** Where a convolution layer's window goes: what Conv2D, DepthwiseConv2D and SeparableConv2D take alike. */
export interface ConvWindowOptions {
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  /** Keras' default is 'valid'. */
  padding?: 'valid' | 'same' | 'VALID' | 'SAME';
  /** 'channels_last' (the default: [batch, height, width, channels]) or 'channels_first' ([batch, channels, height, width]). */
  dataFormat?: DataFormat;
  dilationRate?: number | [number, number];
}

export interface ConvWindowSettings {
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  dilationRate: [number, number];
}

/** The checked settings of a convolution layer, with Keras' defaults. */
export interface ConvSettings extends ConvWindowSettings {
  filters: number;
  activation: ActivationName;
  useBias: boolean;
  kernelInitializer: InitializerName | Initializer;
  biasInitializer: InitializerName | Initializer;
}

/** A count option such as filters or depthMultiplier: a positive integer, or an error naming the layer. */
export function positiveInteger(where: string, key: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new ConvlensError(`${where}: ${key} must be a positive integer, got ${describeValue(value)}`);
  }
  return value as number;
}

/** Checks a convolution layer's window options (`where` names the layer in errors), with Keras' defaults. */
export function convWindowSettings(where: string, args: ConvWindowOptions): ConvWindowSettings {
  const kernelSize = positivePair(where, 'kernelSize', args.kernelSize);
  const strides = positivePair(where, 'strides', args.strides ?? 1);
  const dilationRate = positivePair(where, 'dilationRate', args.dilationRate ?? 1);
  if (strides.some((s) => s > 1) && dilationRate.some((d) => d > 1)) {
    throw new ConvlensError(
      `${where}: strides ${describeValue(strides)} and dilationRate ${describeValue(dilationRate)} cannot both be above 1, as in Keras (one of them must be 1)`,
    );
  }
  const padding = paddingArg(where, args.padding);
  return { kernelSize, strides, padding, dilationRate };
}

/** Checks a convolution layer's options (`where` names the layer in errors) and fills in Keras' defaults. */
export function convSettings(where: string, args: ConvLayerOptions): ConvSettings {
  return {
    filters: positiveInteger(where, 'filters', args.filters),
    ...convWindowSettings(where, args),
    activation: activationName(where, args.activation),
    useBias: booleanArg(where, 'useBias', args.useBias, true),
    kernelInitializer: initializerArg(where, 'kernelInitializer', args.kernelInitializer, 'glorotUniform'),
    biasInitializer: initializerArg(where, 'biasInitializer', args.biasInitializer, 'zeros'),
  };
}

/** The Keras config keys of a convolution's window, in the order Keras writes them. */
export function windowConfig(layer: ConvWindowSettings & Pick<ImageLayer, 'dataFormat'>): Record<string, unknown> {
  const { kernelSize, strides, padding, dataFormat, dilationRate } = layer;
  return { kernel_size: kernelSize, strides, padding, data_format: dataFormat, dilation_rate: dilationRate };
}

/**
 * What Conv2D and Conv2DTranspose share: Keras' settings, a kernel [kh, kw, a, b] and a bias, the
 * output shape from the convolution's geometry, and Keras' config. Each subclass says which way
 * its kernel and geometry run.
 */
export abstract class ConvLayer extends ImageLayer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dilationRate: [number, number];
  override readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName | Initializer;
  readonly biasInitializer: InitializerName | Initializer;
  /** The kernel's penalty and constraint (Keras' `kernel_regularizer`, `kernel_constraint`). */
  readonly kernelSettings: WeightSettings;
  /** The bias's penalty and constraint. */
  readonly biasSettings: WeightSettings;
  protected kernel: Weight | undefined;
  protected bias: Weight | undefined;
  /** What backward needs: the input, the output, and the pre-activation values z where the activation's gradient needs them. */
  protected cache: { x: Tensor<'float32'>; y: Tensor<'float32'>; z?: Tensor<'float32'>; info: Conv2DInfo } | undefined;

  constructor(
    className: string,
    defaultName: string,
    args: LayerArgs & ConvLayerOptions,
    extraKeys: readonly string[] = [],
    form: OptionsForm = {},
  ) {
    super(className, defaultName, layerOptions(className, args, [...CONV_OPTION_KEYS, ...extraKeys], form));
    const where = `${className} '${this.name}'`;
    const settings = convSettings(where, args);
    this.filters = settings.filters;
    this.kernelSize = settings.kernelSize;
    this.strides = settings.strides;
    this.padding = settings.padding;
    this.dilationRate = settings.dilationRate;
    this.activation = this.imageActivation(where, settings.activation);
    this.useBias = settings.useBias;
    this.kernelInitializer = settings.kernelInitializer;
    this.biasInitializer = settings.biasInitializer;
    this.kernelSettings = weightSettings(where, args, 'kernel', 4);
    this.biasSettings = weightSettings(where, args, 'bias', 1);
    this.activityRegularizerValue = activityArg(where, args);
  }

  /** The kernel's shape for inputs of `channels` channels. */
  protected abstract kernelShape(channels: number): number[];

  /** The convolution's geometry for a batch of `batchShape` [batch, height, width, channels]. */
  protected abstract geometry(batchShape: number[]): Conv2DInfo;

  /** Height and width of the output, from the geometry. */
  protected abstract outputSize(info: Conv2DInfo): [number, number];

  /** The geometry, with an op's error re-thrown as this layer's. */
  protected info(batchShape: number[]): Conv2DInfo {
    try {
      return this.geometry(batchShape);
    } catch (error) {
      return asLayerError(this, error);
    }
  }

  protected outputShapeNHWC(inputShape: Shape): Shape {
    return keepFreeSizes(inputShape, (known) => [...this.outputSize(this.info([1, ...known])), this.filters]);
  }

  override build(inputShape: Shape): void {
    super.build(inputShape);
    const shape = this.kernelShape(this.knownChannels(inputShape));
    this.kernel = this.addWeight('kernel', shape, initialize(this.kernelInitializer, shape, `${this.name}: kernel`), this.kernelSettings);
    if (this.useBias) {
      const bias = initialize(this.biasInitializer, [this.filters], `${this.name}: bias`);
      this.bias = this.addWeight('bias', [this.filters], bias, this.biasSettings);
    }
  }

  /** The gradient shape backward expects, checked against the cache's geometry. */
  protected checkGradient(dy: Tensor<'float32'>, info: Conv2DInfo): void {
    this.checkOutputGradient(dy, [info.batch, ...this.outputSize(info), this.filters]);
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.baseConfig(),
      filters: this.filters,
      ...windowConfig(this),
      activation: this.activation,
      use_bias: this.useBias,
      kernel_initializer: initializerConfig(this.kernelInitializer),
      bias_initializer: initializerConfig(this.biasInitializer),
      ...weightSettingsConfig('kernel', this.kernelSettings),
      ...weightSettingsConfig('bias', this.biasSettings),
      ...activityConfig(this.activityRegularizer),
    };
  }
}
