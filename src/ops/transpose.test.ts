import { describe, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { tensor } from '../tensor/create.js';
import { transpose } from './transpose.js';

const CASES = 60;

forEachBackend(() => {
  it("null perm reverses the axes, as TensorFlow's perm=None and tfjs' null do (it was refused)", () => {
    const x = tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [1, 2, 3], 'int32');
    expectMatchesTf(transpose(x, null), tf.transpose(toTf(x), null as never), 0);
  });

  describe(`transpose: ${CASES} random shapes and permutations against tfjs`, () => {
    for (let i = 0; i < CASES; i++) {
      const rng = caseRng('transpose', i);
      const shape = rng.shape(0, 5, 0, 4);
      const perm = rng.bool(0.2) ? undefined : rng.permutation(shape.length);
      it(`#${i} [${shape}] perm ${JSON.stringify(perm)}`, () => {
        const x = tensor(
          rng.ints(
            shape.reduce((a, b) => a * b, 1),
            -9,
            9,
          ),
          shape,
          'int32',
        );
        expectMatchesTf(transpose(x, perm), tf.transpose(toTf(x), perm), 0, `transpose #${i} seed ${rng.seed}`);
      });
    }
  });

  it('rejects a perm that is not a permutation of the axes', () => {
    const x = tensor(new Float32Array(6), [2, 3]);
    expectConvlensError(() => transpose(x, [0, 0]), /^transpose: perm \[0, 0\] is not a permutation of the 2 axes/);
    expectConvlensError(() => transpose(x, [1, 0, 2]), /^transpose: perm \[1, 0, 2\] is not a permutation/);
    expectConvlensError(() => transpose(x, 1 as never), /^transpose: perm must be an array of axes, got 1$/);
  });
});
