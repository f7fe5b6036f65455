import { ConvlensError, closestName, describeValue, renamed } from '../errors.js';
import { Activation } from './activation.js';
import type { DataFormat } from './args.js';
import type { LayerJson, ModelArtifacts, ModelJson, WeightsGroup } from './artifacts.js';
import { BatchNormalization } from './batch_normalization.js';
import type { Borders2D } from './borders.js';
import { Conv2D } from './conv2d.js';
import { Conv2DTranspose } from './conv2d_transpose.js';
import { Cropping2D } from './cropping.js';
import { Dense } from './dense.js';
import { DepthwiseConv2D } from './depthwise_conv2d.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { Functional } from './functional.js';
import { chainOfLayers } from './functional_chain.js';
import { isModelClass, parseGraph } from './functional_graph.js';
import { GaussianNoise } from './gaussian_noise.js';
import { GlobalAveragePooling2D, GlobalMaxPooling2D } from './global_pooling.js';
import { initializerFromConfig } from './initializers.js';
import { hasKerasPaths, kerasPaths, matchByKerasPath } from './keras_paths.js';
import type { Layer, LayerArgs } from './layer.js';
import { LayerNormalization } from './layer_normalization.js';
import { LeakyReLU } from './leaky_relu.js';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from './merge.js';
import { AvgPool2D, MaxPool2D } from './pooling.js';
import type { FillMode, Interpolation } from './projective_transform.js';
import { RandomBrightness } from './random_brightness.js';
import { RandomContrast } from './random_contrast.js';
import { type FlipMode, RandomFlip } from './random_flip.js';
import { RandomRotation, RandomTranslation, RandomZoom } from './random_geometric.js';
import { ReLU } from './relu.js';
import { Rescaling } from './rescaling.js';
import { Reshape } from './reshape.js';
import {
  allSavedWeights,
  matchByNameOrOrder,
  namesWeight,
  optimizerWeightsOf,
  readModelFiles,
  type SavedWeight,
  setSavedWeights,
  type WeightData,
} from './saved_weights.js';
import { SeparableConv2D } from './separable_conv2d.js';
import { Sequential } from './sequential.js';
import { isDeclarableShape, type Shape } from './shapes.js';
import { Softmax } from './softmax.js';
import { SpatialDropout2D } from './spatial_dropout.js';
import { compileSettingsFrom } from './training_config.js';
import type { CompileArgs } from './training_loop.js';
import { UpSampling2D, type UpSamplingInterpolation } from './up_sampling.js';
import { savedPenalties } from './weight_settings.js';
import { ZeroPadding2D } from './zero_padding.js';

type Config = Record<string, unknown>;

/** The shape the weights manifest gives a layer's weight (e.g. 'depthwise_kernel'), if it lists one. */
type SavedShape = (layerName: string | undefined, weightName: string) => number[] | undefined;

/** How to read one Keras layer class: the config keys it knows, and our layer from them. */
interface LayerReader {
  keys: readonly string[];
  make: (c: Config, base: LayerArgs, savedShape: SavedShape) => Layer;
  /** Whether the layer takes Keras' data_format (given to it in `base`); the others compute channels-last only. */
  imageLayer?: boolean;
}

/** A reader for a layer that takes data_format. */
const image = (reader: LayerReader): LayerReader => ({ ...reader, imageLayer: true });

/** Keys any layer's config may have; buildLayer reads them (or checks them, for dtype, and data_format on layers that take none). */
const COMMON_KEYS = ['name', 'trainable', 'dtype', 'batch_input_shape', 'batch_shape', 'data_format'];

/** The penalties and constraints of a layer's kernel and bias, and of its output: read, so that fit on the loaded model trains as Keras would. */
const PENALTY_KEYS = ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'];
const WEIGHTS_KEYS = ['activation', 'use_bias', 'kernel_initializer', 'bias_initializer', ...PENALTY_KEYS];
const POOL_KEYS = ['pool_size', 'strides', 'padding'];
/** DepthwiseConv2D's keys as Keras 2 (with Conv's groups, always 1), Keras 3 and tfjs write them. */
const DEPTHWISE_KEYS = [
  'kernel_size',
  'strides',
  'padding',
  'depth_multiplier',
  'dilation_rate',
  'groups',
  'activation',
  'use_bias',
  'depthwise_initializer',
  'bias_initializer',
  'depthwise_regularizer',
  'depthwise_constraint',
  'bias_regularizer',
  'activity_regularizer',
  'bias_constraint',
];

/**
 * SeparableConv2D's keys: DepthwiseConv2D's, its 1×1 step's (pointwise_*) and filters; Keras 2
 * also writes Conv's kernel_* keys, which the layer does not use (nor does Keras').
 */
const SEPARABLE_KEYS = [
  'filters',
  ...DEPTHWISE_KEYS,
  'pointwise_initializer',
  'pointwise_regularizer',
  'pointwise_constraint',
  'kernel_initializer',
  'kernel_regularizer',
  'kernel_constraint',
];

const globalPool = (Pool: typeof GlobalAveragePooling2D | typeof GlobalMaxPooling2D): LayerReader => ({
  imageLayer: true,
  keys: ['keepdims'],
  make: (c, base) => new Pool({ ...base, keepdims: (c.keepdims ?? false) as boolean }),
});

const pool = (Pool: typeof MaxPool2D | typeof AvgPool2D): LayerReader => ({
  imageLayer: true,
  keys: POOL_KEYS,
  make: (c, base) => new Pool({ ...base, ...poolArgs(c) }),
});

type Factor = number | [number, number];

/** The augmentation layers' seed (used: a seeded layer's draws repeat, as in Keras) and sampling options. */
const seedOf = (c: Config) => ({ seed: (c.seed ?? undefined) as number | undefined });
const GEOMETRIC_KEYS = ['fill_mode', 'fill_value', 'interpolation', 'seed'];
const sampling = (c: Config) => ({
  ...seedOf(c),
  fillMode: (c.fill_mode ?? 'reflect') as FillMode,
  fillValue: (c.fill_value ?? 0) as number,
  interpolation: (c.interpolation ?? 'bilinear') as Interpolation,
});

/** RandomContrast and RandomBrightness: a factor and the value range they clip to (Keras' default 0..255). */
const factorInRange = (Random: typeof RandomContrast | typeof RandomBrightness): LayerReader => ({
  imageLayer: true,
  keys: ['factor', 'value_range', 'seed'],
  make: (c, base) =>
    new Random({
      ...base,
      ...seedOf(c),
      factor: c.factor as Factor,
      valueRange: (c.value_range ?? [0, 255]) as [number, number],
    }),
});
const merge = (Merge: new (args: LayerArgs) => Layer): LayerReader => ({ keys: [], make: (_, base) => new Merge(base) });

/** Our layer for each Keras class name we read (both of Keras' names for the pools). */
const LAYERS: Record<string, LayerReader> = {
  Conv2D: image({ keys: ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'groups', ...WEIGHTS_KEYS], make: conv2d }),
  Conv2DTranspose: image({
    keys: ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'output_padding', ...WEIGHTS_KEYS],
    make: conv2dTranspose,
  }),
  DepthwiseConv2D: image({ keys: DEPTHWISE_KEYS, make: depthwiseConv2d }),
  SeparableConv2D: image({ keys: SEPARABLE_KEYS, make: separableConv2d }),
  Dense: {
    keys: ['units', ...WEIGHTS_KEYS],
    make: (c, base) =>
      new Dense({
        ...base,
        units: c.units as number,
        activation: activation(c.activation),
        useBias: (c.use_bias ?? true) as boolean,
        ...initializers(c, 2),
        ...savedPenalties(c, ['kernel', 'bias']),
      }),
  },
  MaxPooling2D: pool(MaxPool2D),
  MaxPool2D: pool(MaxPool2D),
  AveragePooling2D: pool(AvgPool2D),
  AvgPool2D: pool(AvgPool2D),
  Flatten: image({ keys: [], make: (_, base) => new Flatten(base) }),
  Dropout: {
    keys: ['rate', 'noise_shape', 'seed'],
    make: (c, base) =>
      new Dropout({
        ...base,
        rate: c.rate as number,
        noiseShape: c.noise_shape as (number | null)[] | null,
        seed: c.seed as number | null,
      }),
  },
  SpatialDropout2D: image({
    keys: ['rate', 'noise_shape', 'seed'],
    make: (c, base) => {
      if (c.noise_shape !== undefined && c.noise_shape !== null) throw unsupported('noise_shape');
      return new SpatialDropout2D({ ...base, rate: c.rate as number, seed: c.seed as number | null });
    },
  }),
  GaussianNoise: { keys: ['stddev', 'seed'], make: (c, base) => new GaussianNoise({ ...base, stddev: c.stddev as number }) },
  Activation: { keys: ['activation'], make: (c, base) => new Activation({ ...base, activation: activation(c.activation) ?? 'linear' }) },
  Softmax: { keys: ['axis'], make: (c, base) => new Softmax({ ...base, axis: (c.axis ?? -1) as number }) },
  GlobalAveragePooling2D: globalPool(GlobalAveragePooling2D),
  GlobalAvgPool2D: globalPool(GlobalAveragePooling2D),
  GlobalMaxPooling2D: globalPool(GlobalMaxPooling2D),
  GlobalMaxPool2D: globalPool(GlobalMaxPooling2D),
  Reshape: { keys: ['target_shape'], make: (c, base) => new Reshape({ ...base, targetShape: c.target_shape as number[] }) },
  ZeroPadding2D: image({ keys: ['padding'], make: (c, base) => new ZeroPadding2D({ ...base, padding: c.padding as Borders2D }) }),
  Cropping2D: image({ keys: ['cropping'], make: (c, base) => new Cropping2D({ ...base, cropping: c.cropping as Borders2D }) }),
  UpSampling2D: image({
    keys: ['size', 'interpolation'],
    make: (c, base) =>
      new UpSampling2D({
        ...base,
        size: (c.size ?? 2) as [number, number],
        interpolation: (c.interpolation ?? 'nearest') as UpSamplingInterpolation,
      }),
  }),
  LeakyReLU: {
    keys: ['alpha', 'negative_slope'],
    // Keras 3 lets alpha, when given, override negative_slope
    make: (c, base) => new LeakyReLU({ ...base, alpha: (c.alpha ?? c.negative_slope ?? 0.3) as number }),
  },
  ReLU: {
    keys: ['max_value', 'negative_slope', 'threshold'],
    // tfjs-layers writes max_value alone (null without one)
    make: (c, base) =>
      new ReLU({
        ...base,
        maxValue: (c.max_value ?? null) as number | null,
        negativeSlope: (c.negative_slope ?? 0) as number,
        threshold: (c.threshold ?? 0) as number,
      }),
  },
  Rescaling: {
    keys: ['scale', 'offset'],
    make: (c, base) => {
      // Keras also takes a scale or offset per channel, which convlens does not
      for (const key of ['scale', 'offset']) {
        if (c[key] !== undefined && typeof c[key] !== 'number') throw unsupported(`${key} ${describeValue(c[key])}`, 'only one number');
      }
      return new Rescaling({ ...base, scale: c.scale as number, offset: (c.offset ?? 0) as number });
    },
  },
  RandomFlip: image({
    keys: ['mode', 'seed'],
    make: (c, base) => new RandomFlip({ ...base, ...seedOf(c), mode: (c.mode ?? 'horizontal_and_vertical') as FlipMode }),
  }),
  RandomContrast: factorInRange(RandomContrast),
  RandomBrightness: factorInRange(RandomBrightness),
  RandomRotation: image({
    keys: ['factor', ...GEOMETRIC_KEYS],
    make: (c, base) => new RandomRotation({ ...base, ...sampling(c), factor: c.factor as Factor }),
  }),
  RandomTranslation: image({
    keys: ['height_factor', 'width_factor', ...GEOMETRIC_KEYS],
    make: (c, base) =>
      new RandomTranslation({ ...base, ...sampling(c), heightFactor: c.height_factor as Factor, widthFactor: c.width_factor as Factor }),
  }),
  RandomZoom: image({
    keys: ['height_factor', 'width_factor', ...GEOMETRIC_KEYS],
    make: (c, base) =>
      new RandomZoom({
        ...base,
        ...sampling(c),
        heightFactor: c.height_factor as Factor,
        widthFactor: (c.width_factor ?? null) as Factor | null,
      }),
  }),
  Add: merge(Add),
  Subtract: merge(Subtract),
  Multiply: merge(Multiply),
  Average: merge(Average),
  Maximum: merge(Maximum),
  Minimum: merge(Minimum),
  Concatenate: { keys: ['axis'], make: (c, base) => new Concatenate({ ...base, axis: (c.axis ?? -1) as number }) },
  BatchNormalization: {
    keys: [
      'axis',
      'momentum',
      'epsilon',
      'center',
      'scale',
      'synchronized',
      ...['beta', 'gamma', 'moving_mean', 'moving_variance'].map((w) => `${w}_initializer`),
      ...['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'],
    ],
    make: (c, base) => {
      return new BatchNormalization({
        ...base,
        ...savedPenalties(c, ['beta', 'gamma']),
        axis: (c.axis ?? -1) as number,
        momentum: (c.momentum ?? 0.99) as number,
        epsilon: (c.epsilon ?? 1e-3) as number,
        center: (c.center ?? true) as boolean,
        scale: (c.scale ?? true) as boolean,
      });
    },
  },
  LayerNormalization: {
    keys: [
      'axis',
      'epsilon',
      'center',
      'scale',
      'rms_scaling',
      ...['beta', 'gamma'].flatMap((w) => ['initializer', 'regularizer', 'constraint'].map((k) => `${w}_${k}`)),
    ],
    make: (c, base) => {
      // Keras 3's rms_scaling divides by the root mean square, without the mean: another formula
      if (c.rms_scaling !== undefined && c.rms_scaling !== false)
        throw unsupported(`rms_scaling ${describeValue(c.rms_scaling)}`, 'only false');
      // gamma and beta have one axis per normalised axis
      const normalizedRank = Array.isArray(c.axis) ? c.axis.length : 1;
      return new LayerNormalization({
        ...base,
        ...savedPenalties(c, ['beta', 'gamma']),
        axis: (c.axis ?? -1) as number[],
        epsilon: (c.epsilon ?? 1e-3) as number,
        center: (c.center ?? true) as boolean,
        scale: (c.scale ?? true) as boolean,
        betaInitializer: initializerFromConfig(c.beta_initializer, normalizedRank),
        gammaInitializer: initializerFromConfig(c.gamma_initializer, normalizedRank),
      });
    },
  },
};

function checkUngrouped(c: Config): void {
  if (c.groups !== undefined && c.groups !== null && c.groups !== 1) {
    throw unsupported(`groups ${describeValue(c.groups)}`, 'grouped convolution');
  }
}

/** Where a convolution's window goes, from Keras' config (Keras' defaults for what it leaves out). */
function windowOptions(c: Config) {
  return {
    kernelSize: c.kernel_size as [number, number],
    strides: (c.strides ?? 1) as [number, number],
    padding: (c.padding ?? 'valid') as 'valid',
    dilationRate: (c.dilation_rate ?? 1) as [number, number],
  };
}

/** Conv2D's and Conv2DTranspose's options from Keras' config. */
function convOptions(c: Config) {
  return {
    filters: c.filters as number,
    ...windowOptions(c),
    activation: activation(c.activation),
    useBias: (c.use_bias ?? true) as boolean,
    ...initializers(c, 4),
    ...savedPenalties(c, ['kernel', 'bias']),
  };
}

function conv2d(c: Config, base: LayerArgs): Layer {
  checkUngrouped(c);
  return new Conv2D({ ...base, ...convOptions(c) });
}

function conv2dTranspose(c: Config, base: LayerArgs): Layer {
  // null, or absent, is the size Keras works out from the padding
  if (c.output_padding !== undefined && c.output_padding !== null) {
    throw unsupported(`output_padding ${describeValue(c.output_padding)}`, 'only null');
  }
  return new Conv2DTranspose({ ...base, ...convOptions(c) });
}

function depthwiseConv2d(c: Config, base: LayerArgs): Layer {
  checkUngrouped(c);
  return new DepthwiseConv2D({
    ...base,
    ...windowOptions(c),
    depthMultiplier: (c.depth_multiplier ?? 1) as number,
    activation: activation(c.activation),
    useBias: (c.use_bias ?? true) as boolean,
    depthwiseInitializer: initializerFromConfig(c.depthwise_initializer, 4),
    biasInitializer: initializerFromConfig(c.bias_initializer, 1),
    ...savedPenalties(c, ['depthwise', 'bias']),
  });
}

function separableConv2d(c: Config, base: LayerArgs, savedShape: SavedShape): Layer {
  checkUngrouped(c);
  // tfjs-layers 4 leaves depth_multiplier out of the configs it writes: its depthwise kernel's last axis is the multiplier
  const savedMultiplier = savedShape(base.name, 'depthwise_kernel')?.[3];
  return new SeparableConv2D({
    ...base,
    filters: c.filters as number,
    ...windowOptions(c),
    depthMultiplier: (c.depth_multiplier ?? savedMultiplier ?? 1) as number,
    activation: activation(c.activation),
    useBias: (c.use_bias ?? true) as boolean,
    depthwiseInitializer: initializerFromConfig(c.depthwise_initializer, 4),
    pointwiseInitializer: initializerFromConfig(c.pointwise_initializer, 4),
    biasInitializer: initializerFromConfig(c.bias_initializer, 1),
    ...savedPenalties(c, ['depthwise', 'pointwise', 'bias']),
  });
}

/**
 * A key the reader does not know is an error when it has a value (it may change what the layer
 * computes, e.g. a newer Keras feature); null is how Keras writes a feature that is not in use.
 */
function checkKeys(className: string, c: Config, reader: LayerReader): void {
  for (const [key, value] of Object.entries(c)) {
    if (value === null || COMMON_KEYS.includes(key) || reader.keys.includes(key)) continue;
    throw unsupported(`${key} ${describeValue(value)}`, `not a ${className} setting convlens reads`);
  }
}

/** A problem with one layer's config; buildLayers adds which layer it is. */
class Unsupported extends Error {}
const unsupported = (what: string, detail?: string) => new Unsupported(`${what} is not supported${detail ? ` (${detail})` : ''}`);

function activation(value: unknown) {
  if (value === undefined || value === null || typeof value === 'string') return value as 'linear' | undefined;
  throw unsupported(`activation ${describeValue(value)}`);
}

/**
 * Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6 under the same name; convlens computes the
 * one TensorFlow.js and tf.keras 2 wrote (clip(0.2x + 0.5, 0, 1)), so a Keras 3 file's is refused
 * rather than computed differently.
 */
function checkHardSigmoid(c: Config, kerasVersion: unknown): void {
  if (typeof kerasVersion !== 'string' || !/^3\./.test(kerasVersion)) return;
  if (typeof c.activation === 'string' && c.activation.toLowerCase() === 'hard_sigmoid') {
    throw unsupported(
      `Keras ${kerasVersion}'s activation 'hard_sigmoid'`,
      "Keras 3's is relu6(x + 3) / 6; convlens computes TensorFlow.js' and tf.keras 2's, clip(0.2x + 0.5, 0, 1)",
    );
  }
}

function poolArgs(c: Config) {
  return {
    poolSize: (c.pool_size ?? 2) as [number, number],
    strides: (c.strides ?? undefined) as [number, number] | undefined,
    padding: (c.padding ?? 'valid') as 'valid',
  };
}

/**
 * Initializers only matter before weights are loaded; unknown ones (or ones that cannot fill the
 * kernel of `kernelRank` axes or the bias) fall back to Keras' defaults, settings are kept.
 */
function initializers(c: Config, kernelRank: number) {
  return {
    kernelInitializer: initializerFromConfig(c.kernel_initializer, kernelRank),
    biasInitializer: initializerFromConfig(c.bias_initializer, 1),
  };
}

/** The input shape a Keras config declares (Keras 2 `batch_input_shape`, Keras 3 `batch_shape`), without the batch axis. */
function declaredInputShape(c: Config): Shape | undefined {
  const batchShape = c.batch_input_shape ?? c.batch_shape;
  if (batchShape === undefined || batchShape === null) return undefined;
  const shape = Array.isArray(batchShape) ? batchShape.slice(1) : undefined;
  if (!isDeclarableShape(shape)) throw unsupported(`input shape ${describeValue(batchShape)}`, 'positive sizes, or null for a free size');
  return shape;
}

function checkFloat32(c: Config): void {
  // Keras 3 writes a dtype policy object; Keras 2 and tfjs a string.
  const dtype = typeof c.dtype === 'object' && c.dtype !== null ? (c.dtype as { config?: { name?: unknown } }).config?.name : c.dtype;
  if (dtype !== undefined && dtype !== null && dtype !== 'float32') throw unsupported(`dtype ${describeValue(dtype)}`, 'only float32');
}

/** A layer that takes no data format computes channels-last: another is refused rather than ignored. */
function checkChannelsLast(c: Config): void {
  if (c.data_format !== undefined && c.data_format !== null && c.data_format !== 'channels_last') {
    throw unsupported(`data_format ${describeValue(c.data_format)}`, 'only channels_last: this layer takes no data format');
  }
}

/** The Keras topology inside a model.json (tensorflowjs_converter wraps it in model_config), and its Keras version. */
function topologyOf(modelJson: unknown): { className: unknown; config: unknown; kerasVersion: unknown } {
  const json = modelJson as { format?: unknown; modelTopology?: unknown } | null;
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw new ConvlensError('fromArtifacts: model.json has no modelTopology (expected a TensorFlow.js Layers model)');
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new ConvlensError(
      `fromArtifacts: format ${describeValue(json.format)} is not supported (only 'layers-model', TensorFlow.js Layers)`,
    );
  }
  const raw = json.modelTopology as { model_config?: unknown; keras_version?: unknown };
  const topology = (raw.model_config ?? raw) as { class_name?: unknown; config?: unknown };
  return { className: topology.class_name, config: topology.config, kerasVersion: raw.keras_version };
}

/** Keras 2 and 3 call a functional model's class Functional; tf.keras and tfjs, Model. */
const isFunctionalClass = (className: unknown): className is string => className === 'Functional' || className === 'Model';

/**
 * The Sequential topology inside a model.json, in any of the shapes tfjs and Keras write it; a
 * functional model whose layers form one chain is read as the Sequential it computes.
 */
function sequentialLayers(modelJson: unknown): SequentialParts & { kerasVersion?: unknown } {
  const { className, config, kerasVersion } = topologyOf(modelJson);
  if (isFunctionalClass(className)) return { ...chainOfLayers(className, config), kerasVersion };
  if (className !== 'Sequential') {
    // a topology without class_name said "model class undefined"; a misspelt one gets a suggestion
    if (className === undefined) {
      throw new ConvlensError(
        "fromArtifacts: the modelTopology names no model class (its class_name: 'Sequential', 'Functional' or 'Model')",
      );
    }
    const guess = typeof className === 'string' ? closestName(className, ['Sequential', 'Functional', 'Model']) : undefined;
    throw new ConvlensError(
      `fromArtifacts: model class ${describeValue(className)} is not supported (${guess ? `did you mean '${guess}'? ` : ''}Sequential, or a functional model whose layers form one chain)`,
    );
  }
  return { ...sequentialParts(config), kerasVersion };
}

interface SequentialParts {
  name?: string;
  layers: LayerJson[];
  buildInputShape?: unknown;
}

/** A Sequential's config, alone or nested in another model's. */
function sequentialParts(rawConfig: unknown): SequentialParts {
  // Old Keras wrote a Sequential config as the bare list of layers.
  const config = (Array.isArray(rawConfig) ? { layers: rawConfig } : rawConfig) as {
    name?: string;
    layers?: unknown;
    build_input_shape?: unknown;
  };
  if (!config || !Array.isArray(config.layers)) throw new ConvlensError('fromArtifacts: the Sequential config has no list of layers');
  return { name: config.name, layers: config.layers as LayerJson[], buildInputShape: config.build_input_shape };
}

/**
 * A model that is a layer of another, from its entry's config: a Sequential, given `inputShape`
 * when it declares none and is the outer model's first layer, or a functional model. Keras 3
 * writes a frozen model's `trainable: false`.
 */
function nestedModel(
  className: string,
  config: Config,
  inputShape: Shape | undefined,
  kerasVersion: unknown,
  savedShape: SavedShape,
): Layer {
  let model: Sequential | Functional;
  if (className === 'Sequential') {
    const { name, layers, buildInputShape } = sequentialParts(config);
    const declared = buildInputShape ?? (inputShape ? [null, ...inputShape] : undefined);
    model = new Sequential(buildLayers(layers, declared, kerasVersion, savedShape), name ? { name } : {});
  } else {
    model = functionalFromConfig(className, config, kerasVersion, savedShape);
  }
  if (config.trainable === false) model.trainable = false;
  return model;
}

/** Runs `fn` for the layer config at `index`, so that its errors name the layer (its index, name and class) and the problem. */
function forLayer<T>(entry: LayerJson, index: number, fn: (className: string, config: Config) => T): T {
  const className = String(entry?.class_name);
  const config = (entry?.config ?? {}) as Config;
  try {
    checkFloat32(config);
    return fn(className, config);
  } catch (error) {
    if (error instanceof Unsupported || error instanceof ConvlensError) {
      // a layer of a nested model already says where it is in that model
      const detail = error.message.replace(/^fromArtifacts: /, '');
      throw new ConvlensError(`fromArtifacts: layer ${index} '${config.name ?? '?'}' (${className}): ${detail}`);
    }
    throw error;
  }
}

/** Our layer for one Keras layer config (not an InputLayer), given `inputShape` when it is the model's first. */
function buildLayer(
  className: string,
  config: Config,
  inputShape: Shape | undefined,
  kerasVersion: unknown,
  savedShape: SavedShape,
): Layer {
  if (isModelClass(className)) return nestedModel(className, config, inputShape, kerasVersion, savedShape);
  const reader = Object.hasOwn(LAYERS, className) ? LAYERS[className] : undefined;
  if (!reader) throw new Unsupported(`layer class ${className} is not supported (supported: ${Object.keys(LAYERS).join(', ')})`);
  const declared = declaredInputShape(config) ?? inputShape;
  const base: LayerArgs & { dataFormat?: DataFormat } = {
    name: config.name as string | undefined,
    trainable: (config.trainable ?? true) as boolean,
  };
  if (declared) base.inputShape = declared;
  if (!reader.imageLayer) checkChannelsLast(config);
  else if (config.data_format !== undefined && config.data_format !== null) base.dataFormat = config.data_format as DataFormat;
  checkKeys(className, config, reader);
  checkHardSigmoid(config, kerasVersion);
  return reader.make(config, base, savedShape);
}

/** Builds our layers from Keras layer configs; errors name the layer and what is wrong. */
function buildLayers(layersJson: LayerJson[], buildInputShape: unknown, kerasVersion: unknown, savedShape: SavedShape): Layer[] {
  // Keras 3 may record the input shape only on the model, as build_input_shape.
  let inputShape = Array.isArray(buildInputShape) ? declaredInputShape({ batch_shape: buildInputShape }) : undefined;
  const layers: Layer[] = [];
  layersJson.forEach((entry, index) => {
    forLayer(entry, index, (className, config) => {
      if (className === 'InputLayer') {
        if (layers.length > 0) throw unsupported('an InputLayer after other layers');
        inputShape = declaredInputShape(config);
        return;
      }
      layers.push(buildLayer(className, config, layers.length === 0 ? inputShape : undefined, kerasVersion, savedShape));
    });
  });
  return layers;
}

/** Looks up a weight's shape in a manifest (before it is checked, so anything unexpected is simply not found). */
function savedShapes(manifest: unknown): SavedShape {
  const specs = Array.isArray(manifest) ? manifest.flatMap((group) => (Array.isArray(group?.weights) ? group.weights : [])) : [];
  return (layerName, weightName) => {
    if (layerName === undefined) return undefined;
    const spec = specs.find((s) => typeof s?.name === 'string' && namesWeight(s.name, `${layerName}/${weightName}`));
    return Array.isArray(spec?.shape) ? spec.shape : undefined;
  };
}

function isArtifacts(value: unknown): value is ModelArtifacts {
  return typeof value === 'object' && value !== null && 'modelJson' in value && 'weightData' in value;
}

/**
 * A Sequential model from TensorFlow.js Layers artifacts: the parsed model.json and its weights
 * (one buffer holding every weight file's bytes in manifest order, or one buffer per file).
 * Works in the browser: no file access.
 */
export function fromArtifacts(artifacts: ModelArtifacts): Sequential;
export function fromArtifacts(modelJson: unknown, weightData: WeightData, fileNames?: string[][]): Sequential;
export function fromArtifacts(modelJson: unknown, weightData?: WeightData, fileNames?: string[][]): Sequential {
  // what model.toArtifacts() gives, as one object
  if (weightData === undefined && isArtifacts(modelJson)) return fromArtifacts(modelJson.modelJson, modelJson.weightData);
  const { name, layers: layersJson, buildInputShape, kerasVersion } = sequentialLayers(modelJson);
  const manifest = manifestOf(modelJson);
  const model = new Sequential(buildLayers(layersJson, buildInputShape, kerasVersion, savedShapes(manifest)), name ? { name } : {});
  const optimizerState = loadWeights(model.layers, manifest, weightData, fileNames);
  restoreCompile(model, modelJson);
  restoreOptimizer(model, optimizerState);
  return model;
}

const manifestOf = (modelJson: unknown) => ((modelJson as Partial<ModelJson>).weightsManifest ?? []) as WeightsGroup[];

/**
 * Sets the layers' weights from the manifest's: by the paths Keras 3 gives them when the manifest
 * has them (a .keras file's), else by name, or by manifest order when the names do not all match but their counts do.
 * Returns the optimizer state saved with them (group 'optimizer'), if any.
 */
function loadWeights(
  layers: readonly Layer[],
  manifest: WeightsGroup[],
  weightData: WeightData | undefined,
  fileNames?: string[][],
): SavedWeight[] {
  const all = allSavedWeights(manifest, weightData, fileNames);
  const entries = all.filter((e) => e.spec.group !== 'optimizer');
  if (entries.length > 0 && !layers.every((l) => l.built)) {
    throw new ConvlensError(
      'fromArtifacts: the model has no input shape (expected batch_input_shape on its first layer, or an InputLayer)',
    );
  }
  const byPath = hasKerasPaths(entries);
  const paths = kerasPaths(layers);
  const weights = byPath ? paths.map((p) => p.weight) : layers.flatMap((l) => [...l.weights]);
  const matched = byPath ? matchByKerasPath(paths, entries) : matchByNameOrOrder(weights, entries);
  if (typeof matched === 'string') throw new ConvlensError(`fromArtifacts: the weights do not fit the model: ${matched}`);
  setSavedWeights(weights, matched, 'fromArtifacts: weight');
  return all.filter((e) => e.spec.group === 'optimizer');
}

/**
 * Restores the optimizer state saved with the model (tfjs-layers' includeOptimizer) into the
 * optimizer the model was compiled with from its saved settings, as tfjs' loadLayersModel does; an
 * uncompiled model ignores it, as in tfjs. The state must fit the model's trainable weights.
 */
function restoreOptimizer(model: Sequential | Functional, saved: readonly SavedWeight[]): void {
  const { optimizer } = model;
  if (saved.length === 0 || !optimizer?.setWeights) return;
  const weights = optimizerWeightsOf(saved, 'fromArtifacts');
  try {
    optimizer.setWeights(model.trainableWeights, weights);
  } catch (error) {
    if (!(error instanceof ConvlensError)) throw error;
    throw new ConvlensError(`fromArtifacts: the optimizer weights do not fit the model: ${error.message}`);
  }
}

/**
 * A functional model (Keras' `Functional`, tf.keras' and tfjs' `Model`) with one or several
 * inputs and outputs, branching or not, from TensorFlow.js Layers artifacts, as `fromArtifacts` takes them.
 * Compiled as saved, when model.json carries compile's settings (as Sequential's loading does).
 */
export function functionalFromArtifacts(artifacts: ModelArtifacts): Functional;
export function functionalFromArtifacts(modelJson: unknown, weightData: WeightData, fileNames?: string[][]): Functional;
export function functionalFromArtifacts(modelJson: unknown, weightData?: WeightData, fileNames?: string[][]): Functional {
  if (weightData === undefined && isArtifacts(modelJson)) return functionalFromArtifacts(modelJson.modelJson, modelJson.weightData);
  try {
    return readFunctional(modelJson, weightData, fileNames);
  } catch (error) {
    throw renamed(error, 'fromArtifacts:', 'functionalFromArtifacts:');
  }
}

/** `sequentialReader` names the function that reads a Sequential model from the same source, for the error on one. */
function readFunctional(
  modelJson: unknown,
  weightData: WeightData | undefined,
  fileNames?: string[][],
  sequentialReader = 'layers.fromArtifacts',
): Functional {
  const { className, config, kerasVersion } = topologyOf(modelJson);
  if (!isFunctionalClass(className)) {
    throw new ConvlensError(
      `fromArtifacts: model class ${describeValue(className)} is not a functional model (Functional or Model; ${sequentialReader} reads Sequential ones)`,
    );
  }
  const manifest = manifestOf(modelJson);
  const model = functionalFromConfig(className, config, kerasVersion, savedShapes(manifest));
  const optimizerState = loadWeights(model.layers, manifest, weightData, fileNames);
  restoreCompile(model, modelJson);
  restoreOptimizer(model, optimizerState);
  return model;
}

/** A functional model from its config (at the top of model.json or nested in another model's), without its weights. */
function functionalFromConfig(className: string, config: unknown, kerasVersion: unknown, savedShape: SavedShape): Functional {
  const graph = parseGraph(className, config);
  const input = graph.inputs.map((name) => {
    const index = graph.layers.findIndex((l) => l.name === name);
    const shape = forLayer(graph.layers[index].entry, index, (inputClass, inputConfig) => {
      if (inputClass !== 'InputLayer') throw unsupported('a model input that is not an InputLayer');
      const declared = declaredInputShape(inputConfig);
      if (!declared) throw unsupported('an InputLayer without a shape', 'batch_input_shape or batch_shape');
      return declared;
    });
    return { shape, name };
  });
  // a layer called several times (a shared layer) is one layer, with a node for each call
  const nodes = graph.layers.flatMap(({ name, entry, calls }, index) => {
    if (graph.inputs.includes(name)) return [];
    const layer = forLayer(entry, index, (c, cfg) => buildLayer(c, cfg, undefined, kerasVersion, savedShape));
    return calls.map((inputs) => ({ layer, inputs }));
  });
  try {
    return new Functional({ name: graph.name, input, layers: nodes, output: graph.outputs });
  } catch (error) {
    throw renamed(error, '', 'fromArtifacts: ');
  }
}

/**
 * Compiles a loaded model as it was saved (tfjs' `trainingConfig`, Keras' `training_config`), as
 * Keras' load_model does; settings convlens lacks leave it uncompiled, with a warning, as the
 * model still predicts.
 */
function restoreCompile(model: Sequential | Functional, modelJson: unknown): void {
  const json = modelJson as { trainingConfig?: unknown; modelTopology?: { training_config?: unknown } };
  const saved = json.trainingConfig ?? json.modelTopology?.training_config;
  if (saved === undefined || saved === null) return;
  const settings = compileSettingsFrom(saved);
  let reason = typeof settings === 'string' ? settings : '';
  if (typeof settings !== 'string') {
    try {
      // per-output settings suit a model of several outputs; another's compile refuses them (a warning then)
      model.compile(settings as CompileArgs);
    } catch (error) {
      if (!(error instanceof ConvlensError)) throw error;
      reason = error.message;
    }
  }
  if (reason) console.warn(`convlens: the model's saved compile settings are not restored (${reason}); compile it before fit or evaluate`);
}

/**
 * Loads a TensorFlow.js Layers model (ours, tfjs-layers' or tensorflowjs_converter's) from
 * `model.json` or the directory holding it, with its weight files beside it. Node.js only.
 */
export async function loadModel(modelPath: string): Promise<Sequential> {
  const { json, buffers, fileNames, file } = await readModelFiles('loadModel', modelPath);
  try {
    return fromArtifacts(json, buffers, fileNames);
  } catch (error) {
    throw renamed(error, 'fromArtifacts:', `loadModel: ${file}:`);
  }
}

/**
 * Loads a functional model with one input and one output (branching, as ResNet's and Inception's
 * blocks do, or not) from `model.json` or the directory holding it, as `loadModel` reads files.
 * Compiled as saved, as loadModel's models are. Node.js only.
 */
export async function loadFunctional(modelPath: string): Promise<Functional> {
  const { json, buffers, fileNames, file } = await readModelFiles('loadFunctional', modelPath);
  try {
    return readFunctional(json, buffers, fileNames, 'layers.loadModel');
  } catch (error) {
    throw renamed(error, 'fromArtifacts:', `loadFunctional: ${file}:`);
  }
}

export type { WeightData };
