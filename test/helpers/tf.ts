/**
 * The independent reference: TensorFlow.js core with its CPU backend, loaded once per test
 * file. Helpers move values between convlens and tfjs tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectTensor } from './close.js';

tf.env().set('IS_TEST', true); // silences the "install tfjs-node" banner
await tf.setBackend('cpu');

export { tf };

/** The same values as a tfjs tensor (uint8 becomes int32, which tfjs has no separate type for). */
export function toTf(t: Tensor): tf.Tensor {
  const dtype = t.dtype === 'uint8' ? 'int32' : t.dtype;
  return tf.tensor(Array.from(t.data), t.shape, dtype);
}

/** Asserts a convlens tensor equals a tfjs tensor in shape and (within rtol) values. */
export function expectMatchesTf(actual: Tensor, expected: tf.Tensor, rtol = 1e-4, context = ''): void {
  expectTensor(actual, expected.shape, expected.dataSync() as ArrayLike<number>, rtol, context);
  expected.dispose();
}
