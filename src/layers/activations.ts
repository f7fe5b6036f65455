import { ConvlensError, describeValue } from '../errors.js';
import { nn } from '../ops/nn/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ActivationName } from '../train/gradients.js';

const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

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
  }
}

/** Whether training fuses this activation into the loss (and so needs the layer's logits). */
export function keepsLogits(name: ActivationName): boolean {
  return name === 'softmax' || name === 'sigmoid';
}
