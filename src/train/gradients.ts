import { backend } from '../backend/registry.js';
import type { Conv2DInfo, DepthwiseConv2DInfo, Pool2DInfo } from '../backend/types.js';
import { ConvlensError } from '../errors.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { erfc, GELU_TANH_CUBIC, GELU_TANH_SCALE, HARD_SIGMOID_SLOPE, INV_SQRT_2PI, sigmoid, softplus } from './scalar_math.js';

// Reverse-mode gradients of the ops the layers use. Each takes the forward op's inputs (and,
// where cheaper, its output) with the gradient of the loss with respect to the output `dy`,
// and returns the gradients with respect to the inputs. All tensors are NHWC float32.

function checkGradShape(op: string, dy: Tensor, expected: number[]): void {
  if (!shapesEqual(dy.shape, expected)) {
    throw new ConvlensError(`${op}: gradient dy has shape ${formatShape(dy.shape)}, expected the output shape ${formatShape(expected)}`);
  }
}

/** Gradient of conv2d with respect to its input. */
export function conv2dInputGrad(dy: Tensor<'float32'>, filters: Tensor<'float32'>, info: Conv2DInfo): Tensor<'float32'> {
  checkGradShape('conv2dInputGrad', dy, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
  const dx = new Float32Array(info.batch * info.inHeight * info.inWidth * info.inChannels);
  if (dy.size > 0) backend().conv2dBackpropInput(dy.data, filters.data, info, dx);
  return new Tensor(dx, [info.batch, info.inHeight, info.inWidth, info.inChannels], 'float32');
}

/** Gradient of conv2d with respect to its filters. */
export function conv2dFilterGrad(x: Tensor<'float32'>, dy: Tensor<'float32'>, info: Conv2DInfo): Tensor<'float32'> {
  checkGradShape('conv2dFilterGrad', dy, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
  const shape = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  const dFilters = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (dy.size > 0) backend().conv2dBackpropFilter(x.data, dy.data, info, dFilters);
  return new Tensor(dFilters, shape, 'float32');
}

/** Gradient of depthwiseConv2d with respect to its input. */
export function depthwiseConv2dInputGrad(dy: Tensor<'float32'>, filter: Tensor<'float32'>, info: DepthwiseConv2DInfo): Tensor<'float32'> {
  checkGradShape('depthwiseConv2dInputGrad', dy, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
  const dx = new Float32Array(info.batch * info.inHeight * info.inWidth * info.inChannels);
  if (dx.length > 0) backend().depthwiseConv2dBackpropInput(dy.data, filter.data, info, dx);
  return new Tensor(dx, [info.batch, info.inHeight, info.inWidth, info.inChannels], 'float32');
}

/** Gradient of depthwiseConv2d with respect to its filter [kh, kw, inChannels, channelMultiplier]. */
export function depthwiseConv2dFilterGrad(x: Tensor<'float32'>, dy: Tensor<'float32'>, info: DepthwiseConv2DInfo): Tensor<'float32'> {
  checkGradShape('depthwiseConv2dFilterGrad', dy, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
  const shape = [info.filterHeight, info.filterWidth, info.inChannels, info.channelMultiplier];
  const dFilter = new Float32Array(shape.reduce((a, b) => a * b, 1));
  backend().depthwiseConv2dBackpropFilter(x.data, dy.data, info, dFilter);
  return new Tensor(dFilter, shape, 'float32');
}

function poolOutputShape(info: Pool2DInfo): number[] {
  return [info.batch, info.outHeight, info.outWidth, info.channels];
}

/** Gradient of max pooling: each window's gradient goes to its (first) maximum. */
export function maxPoolGrad(x: Tensor<'float32'>, dy: Tensor<'float32'>, info: Pool2DInfo): Tensor<'float32'> {
  checkGradShape('maxPoolGrad', dy, poolOutputShape(info));
  const dx = new Float32Array(x.size);
  if (dy.size > 0) backend().maxPoolBackprop(x.data, dy.data, info, dx);
  return new Tensor(dx, x.shape, 'float32');
}

/** Gradient of average pooling: each window's gradient is shared by its unpadded cells. */
export function avgPoolGrad(inputShape: number[], dy: Tensor<'float32'>, info: Pool2DInfo): Tensor<'float32'> {
  checkGradShape('avgPoolGrad', dy, poolOutputShape(info));
  const dx = new Float32Array(inputShape.reduce((a, b) => a * b, 1));
  if (dy.size > 0) backend().avgPoolBackprop(dy.data, info, dx);
  return new Tensor(dx, inputShape, 'float32');
}

/** Sums the gradient over every axis but the last: the gradient of a per-channel bias. */
export function biasGrad(dy: Tensor<'float32'>): Float32Array {
  const channels = dy.shape[dy.rank - 1];
  const data: Float32Array = dy.data;
  const acc = new Float64Array(channels);
  for (let i = 0, n = data.length; i < n; i += channels) for (let c = 0; c < channels; c++) acc[c] += data[i + c];
  return Float32Array.from(acc);
}

/** Gradients of y = x·w (x [m, k], w [k, n]): dx = dy·wᵀ (when wanted) and dw = xᵀ·dy, without materialising transposes. */
export function matMulGrad(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  m: number,
  k: number,
  n: number,
  wantInput: boolean,
): { dx?: Float32Array; dw: Float32Array } {
  const dw = new Float32Array(k * n);
  backend().matMulTransposed(x, dy, k, m, n, dw, true, false);
  if (!wantInput) return { dw };
  const dx = new Float32Array(m * k);
  backend().matMulTransposed(dy, w, m, n, k, dx, false, true);
  return { dx, dw };
}

export type ActivationName =
  | 'linear'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'softmax'
  | 'log_softmax'
  | 'elu'
  | 'selu'
  | 'softplus'
  | 'softsign'
  | 'relu6'
  | 'gelu'
  | 'gelu_new'
  | 'swish'
  | 'mish'
  | 'hard_sigmoid'
  | 'exponential';

/** SELU's constants (Klambauer et al.), as TensorFlow defines them. */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

/**
 * Activations whose derivative is not a function of their output (gelu, swish and mish are not
 * monotonic; hard_sigmoid's output 0 or 1 does not tell whether x sat on the bend, where
 * TensorFlow's clip still passes the gradient): their gradient needs the pre-activation values.
 */
export function gradientNeedsInput(activation: ActivationName): boolean {
  return (
    activation === 'gelu' || activation === 'gelu_new' || activation === 'swish' || activation === 'mish' || activation === 'hard_sigmoid'
  );
}

/**
 * Gradient through an activation, from its output y: relu → dy·[y > 0], sigmoid → dy·y(1−y),
 * tanh → dy(1−y²), softmax (last axis) → y(dy − Σ dy·y), log_softmax (last axis) → dy − e^y·Σ dy,
 * exponential → dy·y. Those for which
 * `gradientNeedsInput` holds take it from the pre-activation values `z` instead (required).
 */
export function activationGrad(
  activation: ActivationName,
  y: Tensor<'float32'>,
  dy: Tensor<'float32'>,
  z?: Tensor<'float32'>,
): Tensor<'float32'> {
  if (activation === 'linear') return dy;
  if (gradientNeedsInput(activation)) {
    if (!z) throw new ConvlensError(`activationGrad: ${activation}'s gradient needs the pre-activation values z`);
    return inputActivationGrad(activation, z, dy);
  }
  const out = new Float32Array(y.size);
  const a: Float32Array = y.data;
  const g: Float32Array = dy.data;
  switch (activation) {
    case 'relu':
      for (let i = 0; i < out.length; i++) out[i] = a[i] > 0 ? g[i] : 0;
      break;
    case 'sigmoid':
      for (let i = 0; i < out.length; i++) out[i] = g[i] * a[i] * (1 - a[i]);
      break;
    case 'tanh':
      for (let i = 0; i < out.length; i++) out[i] = g[i] * (1 - a[i] * a[i]);
      break;
    // the rest as TensorFlow's gradients define them, from the output (its sign tells x's); TF
    // takes softsign's from the input, which differs in the last bits for |x| beyond about 1e3
    case 'elu':
      for (let i = 0; i < out.length; i++) out[i] = a[i] < 0 ? g[i] * (a[i] + 1) : g[i];
      break;
    case 'selu': {
      // the sum in float32, as TensorFlow's SeluGrad: exactly 0 where the output has saturated
      const scaleAlpha = Math.fround(SELU_SCALE * SELU_ALPHA);
      for (let i = 0; i < out.length; i++) out[i] = a[i] < 0 ? g[i] * Math.fround(a[i] + scaleAlpha) : g[i] * SELU_SCALE;
      break;
    }
    case 'softplus':
      // sigmoid(x) = 1 − e^(−y), accurate for tiny y too
      for (let i = 0; i < out.length; i++) out[i] = g[i] * -Math.expm1(-a[i]);
      break;
    case 'softsign':
      for (let i = 0; i < out.length; i++) out[i] = g[i] * (1 - Math.abs(a[i])) ** 2;
      break;
    case 'relu6':
      for (let i = 0; i < out.length; i++) out[i] = a[i] > 0 && a[i] < 6 ? g[i] : 0;
      break;
    case 'exponential':
      for (let i = 0; i < out.length; i++) out[i] = g[i] * a[i];
      break;
    case 'softmax': {
      const cols = y.shape[y.rank - 1];
      for (let start = 0; start < out.length; start += cols) {
        let dot = 0;
        for (let j = start; j < start + cols; j++) dot += g[j] * a[j];
        for (let j = start; j < start + cols; j++) out[j] = a[j] * (g[j] - dot);
      }
      break;
    }
    case 'log_softmax': {
      // TensorFlow's LogSoftmax gradient, from the output: dy − softmax(x)·Σ dy, softmax(x) = e^y
      const cols = y.shape[y.rank - 1];
      for (let start = 0; start < out.length; start += cols) {
        let sum = 0;
        for (let j = start; j < start + cols; j++) sum += g[j];
        for (let j = start; j < start + cols; j++) out[j] = g[j] - Math.exp(a[j]) * sum;
      }
      break;
    }
  }
  return new Tensor(out, y.shape, 'float32');
}

/** The derivative at x of the activations whose gradient needs their input, in float64. */
const INPUT_DERIVATIVES: Record<'gelu' | 'gelu_new' | 'swish' | 'mish', (x: number) => number> = {
  // Φ(x) + x·φ(x), with the standard normal's CDF Φ and density φ
  gelu: (x) => 0.5 * erfc(-x * Math.SQRT1_2) + x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI,
  // gelu_new(x) = x·σ(2u), u = √(2/π)(x + 0.044715x³): σ(2u) + 2x·σ(2u)σ(−2u)·u'
  gelu_new: (x) => {
    const u = GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x * x * x);
    const du = GELU_TANH_SCALE * (1 + 3 * GELU_TANH_CUBIC * x * x);
    return sigmoid(2 * u) + 2 * x * sigmoid(2 * u) * sigmoid(-2 * u) * du;
  },
  // σ(x) + x·σ(x)σ(−x)
  swish: (x) => sigmoid(x) + x * sigmoid(x) * sigmoid(-x),
  // tanh(sp(x)) + x·sech²(sp(x))·σ(x), sp = softplus
  mish: (x) => {
    const sp = softplus(x);
    return Math.tanh(sp) + (x * sigmoid(x)) / Math.cosh(sp) ** 2;
  },
};

function inputActivationGrad(activation: ActivationName, z: Tensor<'float32'>, dy: Tensor<'float32'>): Tensor<'float32'> {
  const out = new Float32Array(z.size);
  const x: Float32Array = z.data;
  const g: Float32Array = dy.data;
  if (activation === 'hard_sigmoid') {
    // tfjs' and TF's clip pass the gradient where 0.2x + 0.5 (in float32) is within [0, 1], ends included
    for (let i = 0; i < out.length; i++) {
      const u = Math.fround(Math.fround(HARD_SIGMOID_SLOPE * x[i]) + 0.5);
      out[i] = u >= 0 && u <= 1 ? g[i] * HARD_SIGMOID_SLOPE : 0;
    }
  } else {
    const derivative = INPUT_DERIVATIVES[activation as keyof typeof INPUT_DERIVATIVES];
    for (let i = 0; i < out.length; i++) out[i] = g[i] * derivative(x[i]);
  }
  return new Tensor(out, z.shape, 'float32');
}
