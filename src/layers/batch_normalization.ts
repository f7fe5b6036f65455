import { ConvlensError, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { booleanArg, layerOptions } from './args.js';
import { Layer, type LayerArgs, type Weight } from './layer.js';

export interface BatchNormalizationLayerArgs extends LayerArgs {
  /** The features axis: -1 (the last, channels), the only one computed, or its index (as Keras, also as [index]). */
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

const KEYS = ['axis', 'momentum', 'epsilon', 'center', 'scale'];

/**
 * Keras' BatchNormalization over the last axis: while training, each channel is normalised by the
 * batch's mean and (biased) variance, and the moving mean and variance follow them with
 * `momentum`; at inference the moving ones are used: y = γ·(x − mean)/√(var + ε) + β.
 * Weights in Keras' order: gamma, beta (trainable), moving_mean, moving_variance (not).
 */
export class BatchNormalization extends Layer {
  /** -1, or the index of the last axis counting the batch (3 for images), as Keras configs write it. */
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
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
    if (!(typeof axis === 'number' && Number.isInteger(axis) && (axis === -1 || axis >= 1))) {
      throw new ConvlensError(`${where}: axis must be -1 (the channels, last) or the last axis' index, got ${describeValue(args.axis)}`);
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
  }

  computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length < 1)
      throw new ConvlensError(`${this.name} (BatchNormalization): expected inputs with a channels axis, got a scalar`);
    return inputShape;
  }

  override build(inputShape: number[]): void {
    if (this.axis !== -1 && this.axis !== inputShape.length) {
      throw new ConvlensError(
        `${this.name} (BatchNormalization): axis ${this.axis} is not the last of inputs [batch, ${inputShape.join(', ')}] (only the channels axis, last, is computed)`,
      );
    }
    super.build(inputShape);
    const channels = inputShape[inputShape.length - 1];
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], new Float32Array(channels).fill(1));
    if (this.center) this.beta = this.addWeight('beta', [channels], new Float32Array(channels));
    this.movingMean = this.addWeight('moving_mean', [channels], new Float32Array(channels));
    this.movingVariance = this.addWeight('moving_variance', [channels], new Float32Array(channels).fill(1));
  }

  /** gamma and beta: the moving mean and variance follow the batches rather than the gradient. */
  override get trainableWeights(): Weight[] {
    return this.trainable ? [this.gamma, this.beta].filter((w): w is Weight => w !== undefined) : [];
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const channels = x.shape[x.rank - 1];
    const rows = x.size / channels;
    const out = this.buffer('out', x.size);
    // a frozen layer runs as at inference, even in fit, as Keras 3 runs it (fine-tuning keeps its statistics)
    const batchStatistics = training && this.trainable && rows > 0;
    const { mean, variance } = batchStatistics ? batchMoments(x.data, channels) : this.moving();
    const inverseStd = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + this.epsilon));
    const normalized = batchStatistics ? this.buffer('normalized', x.size) : undefined;
    const gamma = this.gamma?.value ?? new Float32Array(channels).fill(1);
    const beta = this.beta?.value ?? new Float32Array(channels);
    normalize(x.data, mean, inverseStd, gamma, beta, out, normalized);
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

  private moving(): { mean: ArrayLike<number>; variance: ArrayLike<number> } {
    return { mean: this.movingMean!.value, variance: this.movingVariance!.value };
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (BatchNormalization): backward needs a forward pass in training mode first`);
    const { normalized, inverseStd } = this.cache;
    // γ/σ per channel: a frozen layer is this fixed scale, dx = dy·γ/σ
    const inputScale = Float64Array.from(inverseStd, (s, c) => (this.gamma ? this.gamma.value[c] : 1) * s);
    if (!normalized) return needInputGrad ? this.scaled(dy, inputScale) : undefined;
    const channels = inverseStd.length;
    const rows = dy.size / channels;
    // dβ = Σ dy, dγ = Σ dy·x̂ over the batch (and the positions), per channel
    const { sumDy, sumDyX } = gradientSums(dy.data, normalized, channels);
    this.gamma?.grad.set(sumDyX);
    this.beta?.grad.set(sumDy);
    if (!needInputGrad) return undefined;
    // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)): the batch statistics depend on x too
    const meanDy = sumDy.map((s) => s / rows);
    const meanDyX = sumDyX.map((s) => s / rows);
    const dx = this.buffer('dx', dy.size);
    const dyData = dy.data;
    for (let i = 0; i < dx.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        dx[i + c] = inputScale[c] * (dyData[i + c] - meanDy[c] - normalized[i + c] * meanDyX[c]);
      }
    }
    return new Tensor(dx, dy.shape, 'float32');
  }

  /** dy times `scale` per channel. */
  private scaled(dy: Tensor<'float32'>, scale: Float64Array): Tensor<'float32'> {
    const channels = scale.length;
    const dx = this.buffer('dx', dy.size);
    const dyData = dy.data;
    for (let i = 0; i < dx.length; i += channels) {
      for (let c = 0; c < channels; c++) dx[i + c] = dyData[i + c] * scale[c];
    }
    return new Tensor(dx, dy.shape, 'float32');
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
    };
  }
}

/*
 * The loops below run over channels-last data a pixel at a time with an inner loop over its
 * channels, accumulating in float64 per channel: each channel's sums add the same values in the
 * same order as a loop over that channel alone would, without a division per element.
 */

/** Each channel's mean and biased variance over the pixels (two passes). */
function batchMoments(data: Float32Array, channels: number): { mean: Float64Array; variance: Float64Array } {
  const rows = data.length / channels;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < channels; c++) mean[c] += data[i + c];
  }
  for (let c = 0; c < channels; c++) mean[c] /= rows;
  for (let i = 0; i < data.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const d = data[i + c] - mean[c];
      variance[c] += d * d;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] /= rows;
  return { mean, variance };
}

/** out = x̂·γ + β with x̂ = (x − mean)/σ per channel, also keeping x̂ in `normalized` when given. */
function normalize(
  x: Float32Array,
  mean: ArrayLike<number>,
  inverseStd: Float64Array,
  gamma: Float32Array,
  beta: Float32Array,
  out: Float32Array,
  normalized: Float32Array | undefined,
): void {
  const channels = inverseStd.length;
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const n = (x[i + c] - mean[c]) * inverseStd[c];
      if (normalized) normalized[i + c] = n;
      out[i + c] = n * gamma[c] + beta[c];
    }
  }
}

/** Σ dy and Σ dy·x̂ per channel. */
function gradientSums(dy: Float32Array, normalized: Float32Array, channels: number): { sumDy: Float64Array; sumDyX: Float64Array } {
  const sumDy = new Float64Array(channels);
  const sumDyX = new Float64Array(channels);
  for (let i = 0; i < dy.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      sumDy[c] += dy[i + c];
      sumDyX[c] += dy[i + c] * normalized[i + c];
    }
  }
  return { sumDy, sumDyX };
}
