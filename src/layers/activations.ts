import { ConvlensError, describeValue } from '../errors.js';
import { nn } from '../ops/nn/index.js';
import { Tensor } from '../tensor/tensor.js';
import { type ActivationName, SELU_ALPHA, SELU_SCALE } from '../train/gradients.js';
import { erfc, GELU_TANH_CUBIC, GELU_TANH_SCALE, HARD_SIGMOID_SLOPE, sigmoid, softplus } from '../train/scalar_math.js';

export { gradientNeedsInput } from '../train/gradients.js';

const ACTIVATIONS: readonly ActivationName[] = [
  'linear',
  'relu',
  'sigmoid',
  'tanh',
  'softmax',
  'log_softmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'relu6',
  'gelu',
  'gelu_new',
  'swish',
  'mish',
  'hard_sigmoid',
  'exponential',
];

/** Other names for them: Keras 3's silu, and tfjs' camelCase names (as written in code; its files say hard_sigmoid). */
const ALIASES: Readonly<Record<string, ActivationName>> = {
  silu: 'swish',
  hardsigmoid: 'hard_sigmoid',
  gelunew: 'gelu_new',
  logsoftmax: 'log_softmax',
};

/** An activation's name as a layer's `activation` option takes it (any case). */
export type ActivationIdentifier = ActivationName | 'silu' | 'hardSigmoid' | 'geluNew' | 'logSoftmax';

/** Resolves an activation name (undefined or null means linear, as in Keras) to convlens' (and Keras') canonical one. */
export function activationName(op: string, name: string | null | undefined): ActivationName {
  if (name === undefined || name === null) return 'linear';
  const lower = String(name).toLowerCase();
  const found = ACTIVATIONS.find((a) => a === lower) ?? (Object.hasOwn(ALIASES, lower) ? ALIASES[lower] : undefined);
  if (!found) {
    throw new ConvlensError(
      `${op}: unknown activation ${describeValue(name)} (expected one of ${ACTIVATIONS.join(', ')}; or silu, hardSigmoid, geluNew, logSoftmax)`,
    );
  }
  return found;
}

export function applyActivation(name: ActivationName, x: Tensor<'float32'>): Tensor<'float32'> {
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return nn.relu(x) as Tensor<'float32'>;
    case 'sigmoid':
      return nn.sigmoid(x) as Tensor<'float32'>;
    case 'tanh':
      return nn.tanh(x) as Tensor<'float32'>;
    case 'softmax':
      return nn.softmax(x);
    case 'log_softmax':
      return logSoftmax(x);
    case 'elu':
      return elementwise(x, (v) => (v > 0 ? v : Math.expm1(v)));
    case 'selu':
      return elementwise(x, (v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v)));
    case 'softplus':
      // log(1 + e^x) with TensorFlow's float32 thresholds: x where e^−x no longer shows beside it, e^x where 1 + e^x is 1
      return elementwise(x, (v) => (v > -SOFTPLUS_THRESHOLD ? v : v < SOFTPLUS_THRESHOLD ? Math.exp(v) : Math.log1p(Math.exp(v))));
    case 'softsign':
      return elementwise(x, (v) => v / (1 + Math.abs(v)));
    case 'relu6':
      return elementwise(x, (v) => Math.min(Math.max(v, 0), 6));
    case 'gelu':
      // exact (erf) GELU, x·Φ(x), as Keras 3's and tf.keras' default and tfjs' 'gelu'
      return elementwise(x, (v) => 0.5 * v * erfc(-v * Math.SQRT1_2));
    case 'gelu_new':
      // the tanh approximation 0.5x(1 + tanh(u)), as x·σ(2u) (no cancellation for negative x)
      return elementwise(x, (v) => v * sigmoid(2 * GELU_TANH_SCALE * (v + GELU_TANH_CUBIC * v * v * v)));
    case 'swish':
      return elementwise(x, (v) => v * sigmoid(v));
    case 'mish':
      return elementwise(x, (v) => v * Math.tanh(softplus(v)));
    case 'hard_sigmoid':
      // tfjs' and tf.keras 2's clip(0.2x + 0.5, 0, 1), each step in float32 as they compute it
      return elementwise(x, (v) => Math.min(Math.max(Math.fround(Math.fround(HARD_SIGMOID_SLOPE * v) + 0.5), 0), 1));
    case 'exponential':
      return elementwise(x, Math.exp);
  }
}

/** log(softmax(x)) over the last axis, x − max − log Σ e^(x − max): no overflow, and finite where softmax underflows to 0. */
function logSoftmax(x: Tensor<'float32'>): Tensor<'float32'> {
  const cols = x.shape[x.rank - 1];
  const out = new Float32Array(x.size);
  for (let start = 0; start < out.length; start += cols) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = start; j < start + cols; j++) max = Math.max(max, x.data[j]);
    let sum = 0;
    for (let j = start; j < start + cols; j++) sum += Math.exp(x.data[j] - max);
    const logSum = Math.log(sum);
    for (let j = start; j < start + cols; j++) out[j] = x.data[j] - max - logSum;
  }
  return new Tensor(out, x.shape, 'float32');
}

/** TensorFlow's softplus threshold for float32: log(machine epsilon) + 2. */
const SOFTPLUS_THRESHOLD = Math.log(2 ** -23) + 2;

/** `f` of each value, computed in float64 and stored as float32 (NaN stays NaN). */
function elementwise(x: Tensor<'float32'>, f: (v: number) => number): Tensor<'float32'> {
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]);
  return new Tensor(out, x.shape, 'float32');
}

/** Whether training fuses this activation into the loss (and so needs the layer's logits). */
export function keepsLogits(name: ActivationName): boolean {
  return name === 'softmax' || name === 'sigmoid';
}
