import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { caseRng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { biasAdd } from './bias_add.js';

const RANDOM_CASES = 100;

forEachBackend(() => {
  describe(`biasAdd: ${RANDOM_CASES} random tensors against tfjs add`, () => {
    for (let i = 0; i < RANDOM_CASES; i++) {
      const rng = caseRng('biasAdd', i);
      const shape = rng.shape(2, 5, 1, 5);
      const format = shape.length >= 3 && rng.bool(0.4) ? 'NCHW' : rng.pick(['NHWC', undefined] as const);
      const channelAxis = format === 'NCHW' ? 1 : shape.length - 1;
      it(`#${i} [${shape}] ${format ?? 'default format'}`, () => {
        const values = rng.floats(shape.reduce((a, b) => a * b, 1));
        const bias = rng.floats(shape[channelAxis]);
        const out = biasAdd(tensor(values, shape), tensor(bias), format);
        const biasShape = shape.map((d, axis) => (axis === channelAxis ? d : 1));
        expectMatchesTf(out, tf.add(tf.tensor(values, shape), tf.tensor(bias, biasShape)), 1e-6, `biasAdd #${i} seed ${rng.seed}`);
      });
    }
  });

  it('adds per channel on the last axis by default', () => {
    expect(
      biasAdd(
        [
          [1, 2],
          [3, 4],
        ],
        [10, 20],
      ).array(),
    ).toEqual([
      [11, 22],
      [13, 24],
    ]);
  });

  it('errors name the argument', () => {
    const x = tensor(new Float32Array(12), [2, 2, 3]);
    expectConvlensError(() => biasAdd(x, tensor([[1, 2, 3]])), /^biasAdd: 'bias' must be rank 1, got rank 2/);
    expectConvlensError(() => biasAdd(x, tensor([1, 2])), /^biasAdd: bias length 2 does not match the 3 channels of 'value' \(axis 2\)/);
    expectConvlensError(
      () => biasAdd(x, tensor([1, 2, 3]), 'NCHW'),
      /^biasAdd: bias length 3 does not match the 2 channels of 'value' \(axis 1\)/,
    );
    expectConvlensError(() => biasAdd(tensor([1, 2, 3]), tensor([1, 2, 3])), /^biasAdd: 'value' must have rank 2 or more, got rank 1/);
    expectConvlensError(() => biasAdd(x, constant([1, 2, 3])), /^biasAdd: 'bias' must be float32, got int32/);
    expectConvlensError(() => biasAdd(x, tensor([1, 2, 3]), 'HWC' as 'NHWC'), /^biasAdd: unknown dataFormat "HWC"/);
  });
});
