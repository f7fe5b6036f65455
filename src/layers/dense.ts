import { backend } from '../backend/registry.js';
import { ConvlensError, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { type ActivationName, biasGrad } from '../train/gradients.js';
import { type ActivationIdentifier, activationName } from './activations.js';
import { booleanArg, layerOptions } from './args.js';
import { type Initializer, type InitializerName, initialize, initializerArg, initializerConfig } from './initializers.js';
import { batchShapeText, Layer, type LayerArgs, type Weight, type WeightSettings, weightGradientsWanted } from './layer.js';
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

export interface DenseLayerArgs extends LayerArgs, WeightPenaltyOptions<'kernel' | 'bias'>, ActivityOptions {
  units: number;
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
  /** tfjs' and Keras 2's `inputDim`: the number of inputs, inputShape [inputDim]. */
  inputDim?: number;
}

const KEYS = [
  'units',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
  ...penaltyKeys(['kernel', 'bias']),
  'activityRegularizer',
  'inputDim',
];

/** The options, checked, with `inputDim` as the inputShape it stands for. */
function denseOptions(args: DenseLayerArgs): DenseLayerArgs {
  const options = layerOptions('Dense', args, KEYS, { positional: "Keras' Dense(10) is new Dense({ units: 10 })" });
  if (options.inputDim === undefined) return options;
  const { inputDim, ...rest } = options;
  if (rest.inputShape !== undefined || rest.batchInputShape !== undefined) {
    throw new ConvlensError('Dense: give inputDim or inputShape (or batchInputShape), not both');
  }
  if (!Number.isInteger(inputDim) || inputDim < 1)
    throw new ConvlensError(`Dense: inputDim must be a positive integer, got ${describeValue(inputDim)}`);
  return { ...rest, inputShape: [inputDim] };
}

/** Keras' Dense: y = activation(x·W + b) over the last axis. */
export class Dense extends Layer {
  readonly units: number;
  override readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName | Initializer;
  readonly biasInitializer: InitializerName | Initializer;
  /** The kernel's penalty and constraint (Keras' `kernel_regularizer`, `kernel_constraint`). */
  readonly kernelSettings: WeightSettings;
  /** The bias's penalty and constraint. */
  readonly biasSettings: WeightSettings;
  private kernel: Weight | undefined;
  private bias: Weight | undefined;
  /** What backward needs: the input, the output, and the pre-activation values z where the activation's gradient needs them. */
  private cache: { x: Tensor<'float32'>; y: Tensor<'float32'>; z?: Tensor<'float32'> } | undefined;

  constructor(args: DenseLayerArgs) {
    super('Dense', 'dense', denseOptions(args));
    const where = `Dense '${this.name}'`;
    if (!Number.isInteger(args.units) || args.units < 1) {
      throw new ConvlensError(`${where}: units must be a positive integer, got ${describeValue(args.units)}`);
    }
    this.units = args.units;
    this.activation = activationName(where, args.activation);
    this.useBias = booleanArg(where, 'useBias', args.useBias, true);
    this.kernelInitializer = initializerArg(where, 'kernelInitializer', args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = initializerArg(where, 'biasInitializer', args.biasInitializer, 'zeros');
    this.kernelSettings = weightSettings(where, args, 'kernel', 2);
    this.biasSettings = weightSettings(where, args, 'bias', 1);
    this.activityRegularizerValue = activityArg(where, args);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length < 1) throw new ConvlensError(`${this.name} (Dense): expected inputs with at least one axis, got a scalar`);
    return [...inputShape.slice(0, -1), this.units];
  }

  override build(inputShape: Shape): void {
    const inputs = inputShape[inputShape.length - 1];
    if (inputs === null) {
      throw new ConvlensError(
        `${this.name} (Dense): the last axis of its input must be known, got ${batchShapeText(inputShape)} (after a free height or width, GlobalAveragePooling2D or GlobalMaxPooling2D gives one value per channel)`,
      );
    }
    super.build(inputShape);
    this.kernel = this.addWeight(
      'kernel',
      [inputs, this.units],
      initialize(this.kernelInitializer, [inputs, this.units], `${this.name}: kernel`),
      this.kernelSettings,
    );
    if (this.useBias) {
      this.bias = this.addWeight(
        'bias',
        [this.units],
        initialize(this.biasInitializer, [this.units], `${this.name}: bias`),
        this.biasSettings,
      );
    }
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const k = x.shape[x.rank - 1];
    const m = x.size / k;
    const out = this.buffer('out', m * this.units);
    backend().matMul(x.data, this.kernel!.value, m, k, this.units, out);
    const z = new Tensor(out, [...x.shape.slice(0, -1), this.units], 'float32');
    if (this.bias) backend().binary('add', out, z.shape, this.bias.value, [this.units], out, z.shape);
    const { y, preActivation } = this.activate(z);
    this.cache = training ? { x, y, z: preActivation } : undefined;
    return y;
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean, preActivation = false): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (Dense): backward needs a forward pass in training mode first`);
    const { x, y, z } = this.cache;
    const dz = this.activationGradient(dy, y, z, preActivation);
    const k = x.shape[x.rank - 1];
    const m = x.size / k;
    // dw = xᵀ·dz and dx = dz·wᵀ, without materialising the transposes
    if (weightGradientsWanted()) {
      backend().matMulTransposed(x.data, dz.data, k, m, this.units, this.kernel!.grad, true, false);
      this.bias?.grad.set(biasGrad(dz));
    }
    if (!needInputGrad) return undefined;
    const dx = this.buffer('dx', m * k);
    backend().matMulTransposed(dz.data, this.kernel!.value, m, this.units, k, dx, false, true);
    return new Tensor(dx, x.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.baseConfig(),
      units: this.units,
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
