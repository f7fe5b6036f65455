import { describe, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectClose } from '../../../test/helpers/close.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { caseRng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { tanh } from './tanh.js';

const RANDOM_CASES = 100;

forEachBackend(() => {
  describe(`tanh: ${RANDOM_CASES} random tensors against tfjs`, () => {
    for (let i = 0; i < RANDOM_CASES; i++) {
      const rng = caseRng('tanh', i);
      const shape = rng.shape(0, 4, 0, 6);
      const scale = rng.pick([1, 5, 50]);
      it(`#${i} [${shape}] values in ±${scale}`, () => {
        const values = rng.floats(
          shape.reduce((a, b) => a * b, 1),
          -scale,
          scale,
        );
        expectMatchesTf(tanh(tensor(values, shape)), tf.tanh(tf.tensor(values, shape)), 1e-5, `tanh #${i} seed ${rng.seed}`);
      });
    }
  });

  it('is odd and saturates at ±1', () => {
    expectClose(tanh(tensor([-1000, -0.5, 0, 0.5, 1000])), [-1, -Math.tanh(0.5), 0, Math.tanh(0.5), 1], 1e-7);
  });

  it('rejects integer tensors, as TensorFlow does', () => {
    expectConvlensError(() => tanh(constant([[1]])), /^tanh: 'x' must be float32, got int32/);
  });
});
