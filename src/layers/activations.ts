import { ConvlensError, describeValue } from '../errors.js';
import { nn } from '../ops/nn/index.js';
import { Tensor } from '../tensor/tensor.js';
import { type ActivationName, SELU_ALPHA, SELU_SCALE } from '../train/gradients.js';

const ACTIVATIONS: readonly ActivationName[] = [
  'linear',
  'relu',
  'sigmoid',
  'tanh',
  'softmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'relu6',
];

/** Resolves an activation name (undefined or null means linear, as in Keras). */
export function activationName(op: string, name: string | null | undefined): ActivationName {
  if (name === undefined || name === null) return 'linear';
  const found = ACTIVATIONS.find((a) => a === String(name).toLowerCase());
  if (!found) throw new ConvlensError(`${op}: unknown activation ${describeValue(name)} (expected one of ${ACTIVATIONS.join(', ')})`);
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
  }
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
