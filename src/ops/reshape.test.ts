import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectConvlensError, sparse } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { constant, tensor } from '../tensor/create.js';
import { reshape } from './reshape.js';

const CASES = 60;

forEachBackend(() => {
  describe(`reshape: ${CASES} random shapes (with one -1 half the time) against tfjs`, () => {
    for (let i = 0; i < CASES; i++) {
      const rng = caseRng('reshape', i);
      const from = rng.shape(0, 4, 1, 4);
      // Regroup the same prime-ish factors into a new shape.
      const factors = from.flatMap((d) => (d === 4 ? [2, 2] : d === 1 ? [] : [d]));
      const to: number[] = [];
      for (const f of rng.permutation(factors.length).map((j) => factors[j])) {
        if (to.length > 0 && rng.bool(0.4)) to[to.length - 1] *= f;
        else to.push(f);
      }
      if (rng.bool(0.3)) to.splice(rng.int(0, to.length), 0, 1);
      const inferAt = to.length > 0 && rng.bool() ? rng.int(0, to.length - 1) : -1;
      const spelled = to.map((d, j) => (j === inferAt ? -1 : d));
      it(`#${i} [${from}] → [${spelled}]`, () => {
        const size = from.reduce((a, b) => a * b, 1);
        const x = constant(Array.from(rng.ints(size, -9, 9)), from);
        const out = reshape(x, spelled);
        expect(out.dtype).toBe('int32');
        expectMatchesTf(out, tf.reshape(toTf(x), spelled), 0, `reshape #${i} seed ${rng.seed}`);
      });
    }
  });

  it('reshapes the lesson kernel to [kh, kw, 1, 1]', () => {
    const kernel = constant([
      [1, -1],
      [1, -1],
    ]);
    expect(reshape(kernel, [...kernel.shape, 1, 1]).array()).toEqual([
      [[[1]], [[-1]]],
      [[[1]], [[-1]]],
    ]);
  });

  it('infers -1 for an empty tensor when the other sizes are nonzero', () => {
    expect(reshape(tensor(new Float32Array(0), [0, 4]), [2, -1]).shape).toEqual([2, 0]);
  });

  describe('errors', () => {
    const x = tensor(new Float32Array(6), [2, 3]);
    const cases: [string, () => unknown, RegExp][] = [
      ['size mismatch', () => reshape(x, [4, 2]), /^reshape: cannot reshape 6 values of shape \[2, 3\] into \[4, 2\] \(8 values\)/],
      ['size mismatch with -1', () => reshape(x, [4, -1]), /^reshape: cannot reshape 6 values of shape \[2, 3\] into \[4, -1\]/],
      ['two -1s', () => reshape(x, [-1, -1]), /^reshape: shape \[-1, -1\] has 2 -1 entries \(at most one can be inferred\)/],
      ['-2', () => reshape(x, [-2, -3]), /^reshape: shape \[-2, -3\] must be a list of non-negative integers with at most one -1/],
      ['fraction', () => reshape(x, [1.5, 4]), /^reshape: shape \[1.5, 4\] must be a list/],
      ['not a list', () => reshape(x, 6 as never), /^reshape: shape 6 must be a list/],
      [
        'a shape of 100,000 sizes, shown by its start and length',
        () => reshape(x, [7, ...new Array(99_999).fill(1)]),
        /^reshape: cannot reshape 6 values of shape \[2, 3\] into \[7, 1, 1, 1, 1, 1, 1, 1, … \(100000 items\)\] \(7 values\)$/,
      ],
      ['-1 beside a zero', () => reshape(tensor([]), [0, -1]), /^reshape: cannot reshape 0 values of shape \[0\] into \[0, -1\]/],
    ];
    it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
  });
});

describe('reshape: sparse and over-long shapes', () => {
  it.each([
    [
      'a hole',
      () => reshape(tensor(new Float32Array(16)), sparse(3, { 0: 4, 2: 4 })),
      /^reshape: shape \[4, , 4\] must be a list of non-negative integers with at most one -1$/,
    ],
    [
      'rank 300, more than TensorFlow allows',
      () => reshape(tensor([1]), new Array(300).fill(1)),
      /^reshape: shape \[1, 1, 1, 1, 1, 1, 1, 1, … \(300 items\)\] has rank 300, more than TensorFlow's largest rank, 254$/,
    ],
  ])('%s is refused (was a NaN shape named by tensor, or a tensor whose array() overflows the stack)', (_, fn, message) =>
    expectConvlensError(fn, message),
  );
});
