import { ConvlensError, describeValue } from '../errors.js';
import { sizeFromShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { booleanArg, immutable, layerOptions } from './args.js';
import { type Initializer, type InitializerName, initialize, initializerArg, initializerConfig } from './initializers.js';
import { batchShapeText, Layer, type LayerArgs, type Weight, type WeightSettings, weightGradientsWanted } from './layer.js';
import { isKnownShape, type Shape } from './shapes.js';
import { penaltyKeys, type WeightPenaltyOptions, weightSettings, weightSettingsConfig } from './weight_settings.js';

export interface LayerNormalizationLayerArgs extends LayerArgs, WeightPenaltyOptions<'beta' | 'gamma'> {
  /**
   * The axes normalised over, counting the batch as axis 0 (as Keras): -1 (the channels, the
   * default), or a list of the last axes, e.g. [-1], [3], or [1, 2, 3] (height, width and channels).
   */
  axis?: number | number[];
  /** Added to the variance before its square root (default 1e-3). */
  epsilon?: number;
  /** Add the learned offset beta (default true). */
  center?: boolean;
  /** Multiply by the learned scale gamma (default true). */
  scale?: boolean;
  /** Initial beta (default 'zeros'). */
  betaInitializer?: string | Initializer;
  /** Initial gamma (default 'ones'). */
  gammaInitializer?: string | Initializer;
}

const KEYS = ['axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', ...penaltyKeys(['beta', 'gamma'])];

/**
 * Keras' LayerNormalization: each example is normalised by its own mean and (biased) variance
 * over `axis`, in training and at inference alike: y = γ·(x − mean)/√(var + ε) + β, with γ and β
 * of the normalised axes' shape. Weights in Keras' order: gamma, beta.
 */
export class LayerNormalization extends Layer {
  /** The axes as given (a number is kept as a list of one, as Keras' config writes it). */
  readonly axis: readonly number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: InitializerName | Initializer;
  readonly gammaInitializer: InitializerName | Initializer;
  /** beta's penalty and constraint (Keras' `beta_regularizer`, `beta_constraint`). */
  readonly betaSettings: WeightSettings;
  /** gamma's penalty and constraint. */
  readonly gammaSettings: WeightSettings;
  private gamma: Weight | undefined;
  private beta: Weight | undefined;
  /** Values per normalised group: the size of the normalised axes, set by build. */
  private groupSize = 0;
  /** From a forward pass in training mode: x̂ and each group's 1/σ. */
  private cache: { normalized: Float32Array; inverseStd: Float64Array } | undefined;

  constructor(args: LayerNormalizationLayerArgs = {}) {
    super('LayerNormalization', 'layer_normalization', layerOptions('LayerNormalization', args, KEYS));
    const where = `LayerNormalization '${this.name}'`;
    const axis: unknown = args.axis ?? -1;
    const list = Array.isArray(axis) ? axis : [axis];
    if (list.length === 0 || !list.every((a) => Number.isInteger(a) && a !== 0)) {
      throw new ConvlensError(
        `${where}: axis must be an axis index or a list of them (not 0, the batch), e.g. -1 or [1, 2, 3], got ${describeValue(args.axis)}`,
      );
    }
    this.axis = immutable([...(list as number[])]);
    const { epsilon = 1e-3 } = args;
    // 0 is allowed, as in Keras (a constant channel then divides by zero, as there)
    if (!(typeof epsilon === 'number' && epsilon >= 0 && Number.isFinite(epsilon))) {
      throw new ConvlensError(`${where}: epsilon must be a finite number >= 0, got ${describeValue(epsilon)}`);
    }
    this.epsilon = epsilon;
    this.center = booleanArg(where, 'center', args.center, true);
    this.scale = booleanArg(where, 'scale', args.scale, true);
    this.betaInitializer = initializerArg(where, 'betaInitializer', args.betaInitializer, 'zeros');
    this.gammaInitializer = initializerArg(where, 'gammaInitializer', args.gammaInitializer, 'ones');
    // gamma and beta have one axis per normalised axis
    this.betaSettings = weightSettings(where, args, 'beta', list.length);
    this.gammaSettings = weightSettings(where, args, 'gamma', list.length);
  }

  computeOutputShape(inputShape: Shape): Shape {
    this.normalizedShape(inputShape);
    return inputShape;
  }

  /**
   * The shape of the normalised axes (gamma's and beta's) for examples of `inputShape`. Only the
   * last axes, in order, are computed: each example is then a run of groups of contiguous values.
   */
  private normalizedShape(inputShape: Shape): number[] {
    const rank = inputShape.length + 1;
    const inputs = batchShapeText(inputShape).replace('None', 'batch');
    const where = `${this.name} (LayerNormalization)`;
    const resolved = this.axis.map((a) => (a < 0 ? a + rank : a));
    resolved.forEach((a, i) => {
      if (a < 1 || a >= rank) {
        const what = a === 0 ? 'the batch axis' : `out of range (-${rank - 1} to ${rank - 1}, not 0)`;
        throw new ConvlensError(`${where}: axis ${this.axis[i]} is ${what} of inputs ${inputs}`);
      }
    });
    const first = rank - resolved.length;
    if (!resolved.every((a, i) => a === first + i)) {
      throw new ConvlensError(
        `${where}: axis ${describeValue([...this.axis])} of inputs ${inputs} is not supported (only the last axes, in order: -1 for the channels, or e.g. [${Array.from({ length: rank - 1 }, (_, i) => i + 1).join(', ')}] for all of an example's)`,
      );
    }
    const shape = inputShape.slice(first - 1);
    if (!isKnownShape(shape)) throw new ConvlensError(`${where}: the normalised axes of inputs ${inputs} must have known sizes`);
    return shape;
  }

  override build(inputShape: Shape): void {
    super.build(inputShape);
    const shape = this.normalizedShape(inputShape);
    const size = sizeFromShape(shape);
    this.groupSize = size;
    const make = (name: string, init: InitializerName | Initializer, settings: WeightSettings) =>
      this.addWeight(name, shape, initialize(init, shape, `${this.name}: ${name}`), settings);
    if (this.scale) this.gamma = make('gamma', this.gammaInitializer, this.gammaSettings);
    if (this.center) this.beta = make('beta', this.betaInitializer, this.betaSettings);
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    const groupSize = this.groupSize;
    const groups = groupSize > 0 ? x.size / groupSize : 0;
    const { mean, variance } = groupMoments(x.data, groups, groupSize);
    const inverseStd = Float64Array.from(variance, (v) => 1 / Math.sqrt(v + this.epsilon));
    const out = this.buffer('out', x.size);
    const normalized = training ? this.buffer('normalized', x.size) : undefined;
    const gamma = this.gamma?.value ?? new Float32Array(groupSize).fill(1);
    const beta = this.beta?.value ?? new Float32Array(groupSize);
    const data = x.data;
    for (let g = 0, start = 0; g < groups; g++, start += groupSize) {
      const m = mean[g];
      const s = inverseStd[g];
      for (let j = 0; j < groupSize; j++) {
        const n = (data[start + j] - m) * s;
        if (normalized) normalized[start + j] = n;
        out[start + j] = n * gamma[j] + beta[j];
      }
    }
    this.cache = normalized ? { normalized, inverseStd } : undefined;
    return new Tensor(out, x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!this.cache) throw new ConvlensError(`${this.name} (LayerNormalization): backward needs a forward pass in training mode first`);
    const { normalized, inverseStd } = this.cache;
    const groupSize = this.groupSize;
    const gamma = this.gamma?.value ?? new Float32Array(groupSize).fill(1);
    const dyData = dy.data;
    // dγ = Σ dy·x̂ and dβ = Σ dy, per position in the group, over every example
    const sumDyX = new Float64Array(groupSize);
    const sumDy = new Float64Array(groupSize);
    // with d = dy·γ, each group's dx = (d − mean(d) − x̂·mean(d·x̂))/σ: its statistics depend on x too
    const dx = needInputGrad ? this.buffer('dx', dy.size) : undefined;
    for (let g = 0, start = 0; g < inverseStd.length; g++, start += groupSize) {
      let sumD = 0;
      let sumDX = 0;
      for (let j = 0; j < groupSize; j++) {
        const d = dyData[start + j];
        const n = normalized[start + j];
        sumDyX[j] += d * n;
        sumDy[j] += d;
        sumD += d * gamma[j];
        sumDX += d * gamma[j] * n;
      }
      if (!dx) continue;
      const meanD = sumD / groupSize;
      const meanDX = sumDX / groupSize;
      const s = inverseStd[g];
      for (let j = 0; j < groupSize; j++) {
        dx[start + j] = s * (dyData[start + j] * gamma[j] - meanD - normalized[start + j] * meanDX);
      }
    }
    // the sums cost two additions in the loop dx needs anyway: only storing them is left out
    if (weightGradientsWanted()) {
      this.gamma?.grad.set(sumDyX);
      this.beta?.grad.set(sumDy);
    }
    return dx ? new Tensor(dx, dy.shape, 'float32') : undefined;
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.baseConfig(),
      axis: [...this.axis],
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      beta_initializer: initializerConfig(this.betaInitializer),
      gamma_initializer: initializerConfig(this.gammaInitializer),
      ...weightSettingsConfig('beta', this.betaSettings),
      ...weightSettingsConfig('gamma', this.gammaSettings),
    };
  }
}

/** Each run of `groupSize` values' mean and biased variance (two passes, in float64). */
function groupMoments(data: Float32Array, groups: number, groupSize: number): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(groups);
  const variance = new Float64Array(groups);
  for (let g = 0, start = 0; g < groups; g++, start += groupSize) {
    let sum = 0;
    for (let j = 0; j < groupSize; j++) sum += data[start + j];
    mean[g] = sum / groupSize;
    let squares = 0;
    for (let j = 0; j < groupSize; j++) squares += (data[start + j] - mean[g]) ** 2;
    variance[g] = squares / groupSize;
  }
  return { mean, variance };
}
