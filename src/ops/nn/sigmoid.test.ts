import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectClose } from '../../../test/helpers/close.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { caseRng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { sigmoid } from './sigmoid.js';

const RANDOM_CASES = 100;

forEachBackend(() => {
  describe(`sigmoid: ${RANDOM_CASES} random tensors against tfjs`, () => {
    for (let i = 0; i < RANDOM_CASES; i++) {
      const rng = caseRng('sigmoid', i);
      const shape = rng.shape(0, 4, 0, 6);
      const scale = rng.pick([1, 10, 50]);
      it(`#${i} [${shape}] values in ±${scale}`, () => {
        const values = rng.floats(
          shape.reduce((a, b) => a * b, 1),
          -scale,
          scale,
        );
        expectMatchesTf(sigmoid(tensor(values, shape)), tf.sigmoid(tf.tensor(values, shape)), 1e-5, `sigmoid #${i} seed ${rng.seed}`);
      });
    }
  });

  it('saturates without overflow: 0 and 1 at the extremes, ½ at 0', () => {
    expectClose(sigmoid(tensor([-1000, -100, 0, 100, 1000])), [0, 0, 0.5, 1, 1], 1e-7);
    expect(sigmoid(tensor([Number.NaN])).data[0]).toBeNaN();
  });

  it('rejects integer tensors, as TensorFlow does', () => {
    expectConvlensError(() => sigmoid(constant([1, 2])), /^sigmoid: 'x' must be float32, got int32 \(convert it with cast/);
  });
});
