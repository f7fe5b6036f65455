import { ConvlensError, describeValue } from '../errors.js';
import { nn } from '../ops/nn/index.js';
import { Tensor } from '../tensor/tensor.js';
import { activationGrad } from '../train/gradients.js';
import { layerOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Shape } from './shapes.js';

export interface ReLULayerArgs extends LayerArgs {
  /** The largest output (MobileNet's ReLU(6.)); null or undefined for none, as Keras' None. */
  maxValue?: number | null;
  /** The slope below the threshold (default 0). */
  negativeSlope?: number;
  /** Inputs up to this value are damped (default 0). */
  threshold?: number;
}

/**
 * Keras' ReLU layer, computed as Keras' `relu(x, negative_slope, max_value, threshold)` does in
 * float32: x above the threshold (clipped to maxValue), negativeSlope · (x − threshold) below it.
 */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  private input: Tensor<'float32'> | undefined;

  constructor(args: ReLULayerArgs = {}) {
    super('ReLU', 're_lu', layerOptions('ReLU', args, ['maxValue', 'negativeSlope', 'threshold']));
    const { maxValue = null, negativeSlope = 0, threshold = 0 } = args;
    if (maxValue !== null) this.checkNonNegative('maxValue', maxValue, ' or null (no maximum)');
    this.checkNonNegative('negativeSlope', negativeSlope);
    this.checkNonNegative('threshold', threshold);
    this.maxValue = maxValue;
    this.negativeSlope = negativeSlope;
    this.threshold = threshold;
  }

  /** Keras refuses negative values for all three (and NaN, which no comparison lets through). */
  private checkNonNegative(key: string, value: unknown, alternative = ''): void {
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw new ConvlensError(`ReLU '${this.name}': ${key} must be a finite number ≥ 0${alternative}, got ${describeValue(value)}`);
    }
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  /** With the defaults it is the plain relu, which the backend's kernel computes. */
  private get plain(): boolean {
    return this.maxValue === null && this.negativeSlope === 0 && this.threshold === 0;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    this.input = training ? x : undefined;
    if (this.plain) return nn.relu(x) as Tensor<'float32'>;
    const out = this.buffer('out', x.size);
    const f = this.elementFunction();
    const data = x.data;
    for (let i = 0; i < data.length; i++) out[i] = f(data[i]);
    return new Tensor(out, x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!this.input) throw new ConvlensError(`${this.name} (ReLU): backward needs a forward pass in training mode first`);
    if (!needInputGrad) return undefined;
    // relu's gradient reads its output's sign, which is its input's
    if (this.plain) return activationGrad('relu', this.input, dy);
    const x = this.input.data;
    const g = dy.data;
    const dx = this.buffer('dx', dy.size);
    const derivative = this.elementDerivative();
    for (let i = 0; i < g.length; i++) dx[i] = g[i] * derivative(x[i]);
    return new Tensor(dx, dy.shape, 'float32');
  }

  /** The options as the float32 constants TensorFlow computes with. */
  private constants() {
    return {
      max: this.maxValue === null ? null : Math.fround(this.maxValue),
      slope: Math.fround(this.negativeSlope),
      threshold: Math.fround(this.threshold),
    };
  }

  /**
   * Keras' relu: leaky_relu when only a slope is given; else the positive part (x where
   * x > threshold; relu6 for max 6 without threshold; relu otherwise), clipped to the maximum,
   * minus slope · relu(threshold − x), each step rounded to float32.
   */
  private elementFunction(): (v: number) => number {
    const { max, slope, threshold } = this.constants();
    if (slope !== 0 && max === null && threshold === 0) return (v) => (v > 0 ? v : Math.fround(slope * v));
    const clip = max === null ? Number.POSITIVE_INFINITY : max;
    return (v) => {
      if (Number.isNaN(v)) return v; // as nn.relu and TensorFlow's ops: NaN stays NaN
      const positive = Math.min(v > threshold ? v : 0, clip);
      const below = Math.max(Math.fround(threshold - v), 0);
      return slope === 0 || below === 0 ? positive : Math.fround(positive - Math.fround(slope * below));
    };
  }

  /**
   * The derivative TensorFlow's gradients of those steps give: leaky_relu's 1 or slope (slope at
   * 0); relu6's is 0 at 6 itself, while clip_by_value passes the gradient at its bounds; the
   * negative part adds the slope where x < threshold.
   */
  private elementDerivative(): (v: number) => number {
    const { max, slope, threshold } = this.constants();
    if (slope !== 0 && max === null && threshold === 0) return (v) => (v > 0 ? 1 : slope);
    const relu6 = threshold === 0 && max === 6;
    const clip = max === null ? Number.POSITIVE_INFINITY : max;
    return (v) => {
      const positive = v > threshold && (relu6 ? v < 6 : v <= clip) ? 1 : 0;
      return v < threshold ? positive + slope : positive;
    };
  }

  getConfig(): Record<string, unknown> {
    // Keras' keys; tfjs-layers reads max_value only
    return { ...this.baseConfig(), max_value: this.maxValue, negative_slope: this.negativeSlope, threshold: this.threshold };
  }
}
