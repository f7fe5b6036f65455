import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { tensor } from '../tensor/create.js';
import { argMax } from './arg_max.js';

const CASES = 60;

describe(`argMax: ${CASES} random shapes and axes against tfjs (ties and NaN included)`, () => {
  for (let i = 0; i < CASES; i++) {
    const rng = caseRng('argMax', i);
    const shape = rng.shape(1, 4, 1, 5);
    const axis = rng.int(-shape.length, shape.length - 1);
    it(`#${i} [${shape}] axis ${axis}`, () => {
      const size = shape.reduce((a, b) => a * b, 1);
      // few distinct values, so ties are common; some NaN
      const values = Float32Array.from(rng.ints(size, -3, 3), (v) => (rng.bool(0.05) ? Number.NaN : v));
      const x = tensor(values, shape, 'float32');
      const got = argMax(x, axis);
      expect(got.dtype).toBe('int32');
      expectMatchesTf(got, tf.argMax(toTf(x), axis), 0, `argMax #${i} seed ${rng.seed}`);
    });
  }

  it('defaults to axis 0 and takes int32 and nested arrays', () => {
    expect(
      argMax([
        [1, 5],
        [3, 2],
      ]).array(),
    ).toEqual([1, 0]);
    expect(
      argMax(
        tensor(
          [
            [1, 5],
            [3, 2],
          ],
          undefined,
          'int32',
        ),
        -1,
      ).array(),
    ).toEqual([1, 0]);
  });

  it("null axis is axis 0, as tf.argmax's axis=None (it was refused as out of range)", () => {
    const x = tensor(new Float32Array([1, 5, 3, 2, 0, 7]), [3, 2]);
    expectMatchesTf(argMax(x, null), tf.argMax(toTf(x), 0), 0);
  });

  it('names what is wrong', () => {
    expectConvlensError(() => argMax(tensor(3)), 'argMax: x must have at least one axis, got a scalar');
    expectConvlensError(
      () => argMax(tensor(new Float32Array(0), [2, 0]), 1),
      'argMax: axis 1 of shape [2, 0] is empty: there is no largest value',
    );
    expectConvlensError(() => argMax([1, 2], 1), /^argMax: axis 1 is out of range for a tensor of rank 1/);
  });
});
