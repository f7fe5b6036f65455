import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { caseRng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { relu } from './relu.js';

const RANDOM_CASES = 100;

forEachBackend(() => {
  describe(`relu: ${RANDOM_CASES} random tensors against tfjs`, () => {
    for (let i = 0; i < RANDOM_CASES; i++) {
      const rng = caseRng('relu', i);
      const shape = rng.shape(0, 4, 0, 6);
      const size = shape.reduce((a, b) => a * b, 1);
      const integers = rng.bool(0.3);
      it(`#${i} ${integers ? 'int32' : 'float32'} [${shape}]`, () => {
        const x = integers ? tensor(rng.ints(size, -5, 5), shape) : tensor(rng.floats(size, -10, 10), shape);
        const out = relu(x);
        expect(out.dtype).toBe(x.dtype);
        expectMatchesTf(out, tf.relu(toTf(x)), 1e-6, `relu #${i} seed ${rng.seed}`);
      });
    }
  });

  it('keeps NaN (as TensorFlow does) and maps -0 and negatives to 0', () => {
    const out = relu(tensor([Number.NaN, -0, -3, 2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]));
    expect(Array.from(out.data)).toEqual([Number.NaN, 0, 0, 2, Number.POSITIVE_INFINITY, 0]);
  });

  it('works on nested arrays and int32 constants', () => {
    expect(relu([[-1, 2]]).array()).toEqual([[0, 2]]);
    expect(relu(constant([-1, 2])).dtype).toBe('int32');
  });

  it('refuses bool, which TensorFlow’s Relu has no kernel for', () => {
    expectConvlensError(
      () => relu(constant([true])),
      /^relu: 'x' is bool, which relu does not take, as in TensorFlow \(cast it to float32 first\)$/,
    );
  });

  describe('relu: properties', () => {
    const values = fc.array(fc.float({ noNaN: true }), { maxLength: 64 });
    it('is non-negative', () => {
      fc.assert(fc.property(values, (v) => relu(tensor(v)).data.every((r) => r >= 0)));
    });
    it('is idempotent: relu(relu(x)) = relu(x)', () => {
      fc.assert(
        fc.property(values, (v) => {
          const once = relu(tensor(v));
          expect(Array.from(relu(once).data)).toEqual(Array.from(once.data));
        }),
      );
    });
    it('is the identity on non-negative values', () => {
      fc.assert(
        fc.property(fc.array(fc.float({ min: 0, noNaN: true }), { maxLength: 64 }), (v) => {
          expect(Array.from(relu(tensor(v)).data)).toEqual(Array.from(tensor(v).data));
        }),
      );
    });
  });
});
