import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tf } from '../../test/helpers/tf.js';
import { tensor } from '../tensor/create.js';
import { nn } from './nn/index.js';
import { reshape } from './reshape.js';

describe('op arguments that are not tensors or arrays', () => {
  it('a TensorFlow.js tensor is named, with a conversion that works', () => {
    const x = tf.tensor([-1, 2, -3, 4], [2, 2], 'int32');
    expectConvlensError(
      () => nn.relu(x as never),
      "relu: argument 'x' must be a tensor or an array, got a Tensor (a TensorFlow.js tensor: convert it with tensor(x.dataSync(), x.shape, x.dtype))",
    );
    expect(nn.relu(tensor(x.dataSync(), x.shape, x.dtype as 'int32')).array()).toEqual([
      [0, 2],
      [0, 4],
    ]);
  });

  it('a look-alike of a convlens tensor (another copy of the library) is named, with a conversion', () => {
    const other = { shape: [2], dtype: 'float32', data: new Float32Array([1, 2]) };
    expectConvlensError(
      () => reshape(other as never, [2, 1]),
      /^reshape: argument 'x' must be a tensor or an array, got \{ shape: \[2\], dtype: "float32", data: a Float32Array of 2 elements \} \(a tensor from another copy of convlens\? convert it with tensor\(x\.data, x\.shape, x\.dtype\)\)$/,
    );
  });

  it('any other object is shown as it is', () => {
    expectConvlensError(() => nn.relu(new Map() as never), "relu: argument 'x' must be a tensor or an array, got a Map");
  });
});
