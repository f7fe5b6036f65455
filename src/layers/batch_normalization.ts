import { backend } from '../backend/registry.js';
import { ConvlensError, describeValue } from '../errors.js';
import { shapeSizes } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { booleanArg, layerOptions } from './args.js';
import { moveAxis } from './image_layer.js';
import { batchShapeText, Layer, type LayerArgs, trainingBehaviour, type Weight, type WeightSettings } from './layer.js';
import type { Shape } from './shapes.js';
import { penaltyKeys, type WeightPenaltyOptions, weightSettings, weightSettingsConfig } from './weight_settings.js';

export interface BatchNormalizationLayerArgs extends LayerArgs, WeightPenaltyOptions<'beta' | 'gamma'> {
  /**
   * The features axis, counting the batch axis (as Keras, also as [index]): -1 (the last, channels,
   * the default), 1 for channels-first images, or any other but the batch's.
   */
  axis?: number | [number];
  /** Weight of the old value in the moving mean and variance (default 0.99). */
  momentum?: number;
  /** Added to the variance before its square root (default 1e-3). */
  epsilon?: number;
  /** Add the learned offset beta (default true). */
  center?: boolean;
  /** Multiply by the learned scale gamma (default true). */
  scale?: boolean;
}

const KEYS = ['axis', 'momentum', 'epsilon', 'center', 'scale', ...penaltyKeys(['beta', 'gamma'])];

/**
 * Keras' BatchNormalization over the features `axis` (the last by default): while training, each
 * channel is normalised by the batch's mean and (biased) variance, and the moving mean and
 * variance follow them with `momentum`; at inference the moving ones are used:
 * y = γ·(x − mean)/√(var + ε) + β.
 * Weights in Keras' order: gamma, beta (trainable), moving_mean, moving_variance (not).
 */
export class BatchNormalization extends Layer {
  /** The features axis counting the batch (3 or -1 for channels-last images, 1 for channels-first), as Keras configs write it. */
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  /** beta's penalty and constraint (Keras' `beta_regularizer`, `beta_constraint`). */
  readonly betaSettings: WeightSettings;
  /** gamma's penalty and constraint. */
  readonly gammaSettings: WeightSettings;
  private gamma: Weight | undefined;
  private beta: Weight | undefined;
  private movingMean: Weight | undefined;
  private movingVariance: Weight | undefined;
  /** From a forward pass in training mode: x̂ when the batch's statistics were used (none when frozen), and 1/σ. */
  private cache: { normalized: Float32Array | undefined; inverseStd: Float64Array } | undefined;

  constructor(args: BatchNormalizationLayerArgs = {}) {
    super('BatchNormalization', 'batch_normalization', layerOptions('BatchNormalization', args, KEYS));
    const where = `BatchNormalization '${this.name}'`;
    const { momentum = 0.99, epsilon = 1e-3 } = args;
    // Keras also takes the axis as a list of one
    const axis: unknown = Array.isArray(args.axis) && args.axis.length === 1 ? args.axis[0] : (args.axis ?? -1);
    if (!(typeof axis === 'number' && Number.isInteger(axis) && axis !== 0)) {
      throw new ConvlensError(
        `${where}: axis must be the features axis' index (not the batch's, 0), or -1 for the last, got ${describeValue(args.axis)}`,
      );
    }
    this.axis = axis;
    if (!(typeof momentum === 'number' && momentum >= 0 && momentum <= 1)) {
      throw new ConvlensError(`${where}: momentum must be a number from 0 to 1, got ${describeValue(momentum)}`);
    }
    // 0 is allowed, as in Keras (a constant channel then divides by zero, as there)
    if (!(typeof epsilon === 'number' && epsilon >= 0 && Number.isFinite(epsilon))) {
      throw new ConvlensError(`${where}: epsilon must be a finite number >= 0, got ${describeValue(epsilon)}`);
    }
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.center = booleanArg(where, 'center', args.center, true);
    this.scale = booleanArg(where, 'scale', args.scale, true);
    this.betaSettings = weightSettings(where, args, 'beta', 1);
    this.gammaSettings = weightSettings(where, args, 'gamma', 1);
  }

  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length < 1)
      throw new ConvlensError(`${this.name} (BatchNormalization): expected inputs with a channels axis, got a scalar`);
    return inputShape;
  }

  /** The features axis of a batch of `rank` axes, from 1 (after the batch's) to rank − 1. */
  private featuresAxis(rank: number): number {
    return this.axis < 0 ? rank + this.axis : this.axis;
  }

  override build(inputShape: Shape): void {
    const axis = this.featuresAxis(inputShape.length + 1);
    if (axis < 1 || axis > inputShape.length) {
      throw new ConvlensError(
        `${this.name} (BatchNormalization): axis ${this.axis} is not an axis of inputs [batch, ${shapeSizes(inputShape)}] other than the batch's`,
      );
    }
    const channels = inputShape[axis - 1];
    if (channels === null) {
      throw new ConvlensError(
        `${this.name} (BatchNormalization): the size of its axis ${this.axis} must be known, got inputs ${batchShapeText(inputShape)}`,
      );
    }
    super.build(inputShape);
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], new Float32Array(channels).fill(1), this.gammaSettings);
    if (this.center) this.beta = this.addWeight('beta', [channels], new Float32Array(channels), this.betaSettings);
    this.movingMean = this.addWeight('moving_mean', [channels], new Float32Array(channels));
    this.movingVariance = this.addWeight('moving_variance', [channels], new Float32Array(channels).fill(1));
  }

  /** gamma and beta: the moving mean and variance follow the batches rather than the gradient. */
  override get trainableWeights(): Weight[] {
    return this.trainable ? [this.gamma, this.beta].filter((w): w is Weight => w !== undefined) : [];
  }

  /**
   * Normalises over the features axis, computed channels-last: another features axis (channels-first
   * images') is moved last before, and back after.
   */
  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const axis = this.featuresAxis(x.rank);
    if (axis === x.rank - 1) return this.forwardChannelsLast(x, training);
    const y = this.forwardChannelsLast(moveAxis(x, axis, x.rank - 1, this.buffer('inputChannelsLast', x.size)), training);
    return moveAxis(y, y.rank - 1, axis, this.buffer('output', y.size));
  }

  private forwardChannelsLast(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const channels = x.shape[x.rank - 1];
    const rows = x.size / channels;
    const out = this.buffer('out', x.size);
    // a frozen layer runs as at inference, even in fit, as Keras 3 runs it (fine-tuning keeps its statistics)
    const batchStatistics = trainingBehaviour(training) && this.trainable && rows > 0;
    const mean = Float64Array.from(this.movingMean!.value);
    const variance = Float64Array.from(this.movingVariance!.value);
    if (batchStatistics) backend().channelMoments(x.data, mean, variance);
    const inverseStd = variance.map((v) => 1 / Math.sqrt(v + this.epsilon));
    const normalized = batchStatistics ? this.buffer('normalized', x.size) : undefined;
    const info = { mean, inverseStd, scale: this.perChannel(this.gamma, 1), offset: this.perChannel(this.beta, 0) };
    backend().batchNorm(x.data, info, out, normalized);
    if (batchStatistics) {
      const [mm, mv] = [this.movingMean!.value, this.movingVariance!.value];
      for (let c = 0; c < channels; c++) {
        mm[c] = mm[c] * this.momentum + mean[c] * (1 - this.momentum);
        mv[c] = mv[c] * this.momentum + variance[c] * (1 - this.momentum);
      }
    }
    this.cache = training ? { normalized, inverseStd } : undefined;
    return new Tensor(out, x.shape, 'float32');
  }

  /** A weight's values per channel as float64, or `fill` for each when the layer has no such weight. */
  private perChannel(weight: Weight | undefined, fill: number): Float64Array {
    return weight ? Float64Array.from(weight.value) : new Float64Array(this.movingMean!.value.length).fill(fill);
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    const axis = this.featuresAxis(dy.rank);
    if (axis === dy.rank - 1) return this.backwardChannelsLast(dy, needInputGrad);
    const dx = this.backwardChannelsLast(moveAxis(dy, axis, dy.rank - 1, this.buffer('gradientChannelsLast', dy.size)), needInputGrad);
    return dx && moveAxis(dx, dx.rank - 1, axis, this.buffer('inputGradient', dx.size));
  }

  private backwardChannelsLast(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (BatchNormalization): backward needs a forward pass in training mode first`);
    const { normalized, inverseStd } = this.cache;
    // γ/σ per channel
    const inputScale = this.perChannel(this.gamma, 1).map((g, c) => g * inverseStd[c]);
    const dx = needInputGrad ? this.buffer('dx', dy.size) : undefined;
    if (!normalized) {
      // a frozen layer is a fixed scale per channel, dx = dy·γ/σ: a normalisation by mean 0 and 1/σ = γ/σ
      if (!dx) return undefined;
      const zeros = new Float64Array(inputScale.length);
      const ones = new Float64Array(inputScale.length).fill(1);
      backend().batchNorm(dy.data, { mean: zeros, inverseStd: inputScale, scale: ones, offset: zeros }, dx);
      return new Tensor(dx, dy.shape, 'float32');
    }
    // dβ = Σ dy, dγ = Σ dy·x̂ over the batch (and the positions), per channel
    const sumDy = new Float64Array(inputScale.length);
    const sumDyX = new Float64Array(inputScale.length);
    backend().batchNormBackward(dy.data, normalized, inputScale, sumDy, sumDyX, dx);
    this.gamma?.grad.set(sumDyX);
    this.beta?.grad.set(sumDy);
    return dx ? new Tensor(dx, dy.shape, 'float32') : undefined;
  }

  getConfig(): Record<string, unknown> {
    const initializer = (className: string) => ({ class_name: className, config: {} });
    return {
      ...this.baseConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: initializer('Zeros'),
      gamma_initializer: initializer('Ones'),
      moving_mean_initializer: initializer('Zeros'),
      moving_variance_initializer: initializer('Ones'),
      ...weightSettingsConfig('beta', this.betaSettings),
      ...weightSettingsConfig('gamma', this.gammaSettings),
    };
  }
}
