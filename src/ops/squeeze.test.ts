import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectConvlensError, sparse } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { tensor } from '../tensor/create.js';
import { squeeze } from './squeeze.js';

const CASES = 60;

forEachBackend(() => {
  describe(`squeeze: ${CASES} random shapes, all or given axes, against tfjs`, () => {
    for (let i = 0; i < CASES; i++) {
      const rng = caseRng('squeeze', i);
      const shape = rng.shape(0, 5, 1, 3);
      const ones = shape.flatMap((d, a) => (d === 1 ? [a] : []));
      const chosen = ones.filter(() => rng.bool()).map((a) => (rng.bool() ? a - shape.length : a));
      const axis = rng.bool(0.4) ? undefined : chosen.length === 1 && rng.bool() ? chosen[0] : chosen;
      it(`#${i} [${shape}] axis ${JSON.stringify(axis)}`, () => {
        const x = tensor(rng.floats(shape.reduce((a, b) => a * b, 1)), shape);
        const theirs = axis === undefined ? tf.squeeze(toTf(x)) : tf.squeeze(toTf(x), typeof axis === 'number' ? [axis] : axis);
        expectMatchesTf(squeeze(x, axis), theirs, 0, `squeeze #${i} seed ${rng.seed}`);
      });
    }
  });

  it('squeezes the lesson output [1, 5, 5, 1] to [5, 5]', () => {
    expect(squeeze(tensor(new Float32Array(25), [1, 5, 5, 1])).shape).toEqual([5, 5]);
  });

  it("null squeezes every length-1 axis, as TensorFlow's axis=None and tfjs' null do (it was refused as out of range)", () => {
    const x = tensor(new Float32Array([1, 2, 3]), [1, 3, 1, 1]);
    expectMatchesTf(squeeze(x, null), tf.squeeze(toTf(x), null as never), 0);
  });

  it('rejects an axis whose size is not 1, or out of range', () => {
    const x = tensor(new Float32Array(3), [1, 3]);
    expectConvlensError(() => squeeze(x, 1), /^squeeze: axis 1 of shape \[1, 3\] has size 3, expected 1/);
    expectConvlensError(() => squeeze(x, [0, -1]), /^squeeze: axis 1 of shape \[1, 3\] has size 3/);
    expectConvlensError(() => squeeze(x, 2), /^squeeze: axis 2 is out of range for a tensor of rank 2/);
  });

  it('says a scalar has no axes, rather than giving an empty range', () => {
    expectConvlensError(() => squeeze(tensor(5), [0]), 'squeeze: axis 0 is out of range for a tensor of rank 0 (a scalar has no axes)');
  });
});

describe('squeeze: a hole in axis', () => {
  it('is named as the undefined axis it is (was "axis undefined of shape [1, 2] has size undefined")', () =>
    expectConvlensError(
      () => squeeze(tensor([1, 2], [1, 2]), sparse(2, { 0: 0 })),
      /^squeeze: axis undefined is out of range for a tensor of rank 2/,
    ));
});
