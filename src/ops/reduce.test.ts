import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectConvlensError, sparse } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { constant, tensor } from '../tensor/create.js';
import { max, mean, min, sum } from './reduce.js';

const OPS = { sum: [sum, tf.sum], mean: [mean, tf.mean], max: [max, tf.max], min: [min, tf.min] } as const;
type OpName = keyof typeof OPS;
const CASES = 60;

forEachBackend(() => {
  for (const name of Object.keys(OPS) as OpName[]) {
    const [ours, theirs] = OPS[name];
    describe(`${name}: ${CASES} random shapes, axes and keepDims against tfjs`, () => {
      for (let i = 0; i < CASES; i++) {
        const rng = caseRng(`reduce ${name}`, i);
        const shape = rng.shape(0, 4, 1, 5);
        const rank = shape.length;
        // No axis (all), one axis, or a subset, each possibly spelled negatively.
        const form = rng.int(0, 2);
        const subset = rng.permutation(rank).slice(0, rng.int(0, rank));
        const spell = (a: number) => (rng.bool() ? a - rank : a);
        const axis = form === 0 || rank === 0 ? undefined : form === 1 ? spell(rng.int(0, rank - 1)) : subset.map(spell);
        const keepDims = rng.bool();
        const integers = name !== 'mean' && rng.bool(0.3);
        it(`#${i} ${integers ? 'int32' : 'float32'} [${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`, () => {
          const size = shape.reduce((a, b) => a * b, 1);
          const x = integers ? tensor(rng.ints(size, -50, 50), shape) : tensor(rng.floats(size, -10, 10), shape);
          const out = ours(x, axis, keepDims);
          expect(out.dtype).toBe(x.dtype);
          expectMatchesTf(out, theirs(toTf(x), axis, keepDims), 1e-5, `${name} #${i} seed ${rng.seed}`);
        });
      }
    });
  }

  describe('dtypes and edge cases', () => {
    // TensorFlow's tf.reduce_mean keeps an integer dtype (tfjs gives float32; TensorFlow wins)
    it("mean of int32 is int32, truncated toward zero (TensorFlow's documented [1, 0, 1, 0] → 0)", () => {
      const out = mean(constant([1, 0, 1, 0]));
      expect(out.dtype).toBe('int32');
      expect(out.array()).toBe(0);
      expect(mean(constant([-3, -4])).array()).toBe(-3);
      expect(
        mean(
          constant([
            [1, 2],
            [3, 6],
          ]),
          1,
          true,
        ).array(),
      ).toEqual([[1], [4]]);
    });

    it('mean of int32 sums exactly (no int32 wrap), as eager TensorFlow does', () => {
      expect(mean(constant([2 ** 31 - 1, 2 ** 31 - 1])).array()).toBe(2 ** 31 - 1);
    });

    it('mean of uint8 is uint8', () => {
      const out = mean(tensor(new Uint8Array([200, 100, 255])));
      expect(out.dtype).toBe('uint8');
      expect(out.array()).toBe(185);
    });

    it('sum of uint8 is uint8, wrapping past 255, as TensorFlow documents (the same dtype as the input, where NumPy upcasts)', () => {
      const x = tensor(new Uint8Array([200, 100, 255, 7, 1, 0]), [2, 3]);
      const all = sum(x);
      expect(all.dtype).toBe('uint8');
      expect(all.array()).toBe((200 + 100 + 255 + 7 + 1 + 0) % 256);
      const rows = sum(x, 1, true);
      expect(rows.dtype).toBe('uint8');
      expect(rows.array()).toEqual([[(200 + 100 + 255) % 256], [8]]);
    });

    it('sum of bool counts the true values as int32', () => {
      const out = sum(tensor([true, false, true]));
      expect(out.dtype).toBe('int32');
      expect(out.array()).toBe(2);
    });

    it('max and min of bool are bool (any and all), as tfjs gives them', () => {
      const b = tensor([
        [true, false],
        [false, false],
      ]);
      const tb = tf.tensor([true, false, false, false], [2, 2], 'bool');
      for (const [ours, theirs] of [
        [max(b, 1), tf.max(tb, 1)],
        [min(b, 0), tf.min(tb, 0)],
        [max(b), tf.max(tb)],
      ] as const) {
        expect(ours.dtype).toBe(theirs.dtype);
        expect(ours.shape).toEqual(theirs.shape);
        expect(Array.from(ours.data)).toEqual(Array.from(theirs.dataSync()));
      }
    });

    it('sum over an empty axis is 0; over no axes it is the identity', () => {
      expect(sum(tensor(new Float32Array(0), [2, 0]), 1).array()).toEqual([0, 0]);
      expect(sum(tensor([[1, 2]]), []).array()).toEqual([[1, 2]]);
    });

    it('max and min over nothing are the identity, as TensorFlow gives them (tf.reduce_max([]) is -inf)', () => {
      expect(max(tensor([])).array()).toBe(Number.NEGATIVE_INFINITY);
      expect(min(tensor(new Float32Array(0), [2, 0]), 1).array()).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
      expect(max(constant([], [0], 'int32')).array()).toBe(-(2 ** 31));
      expect(min(constant([], [0], 'int32')).array()).toBe(2 ** 31 - 1);
      expect(max(tensor(new Uint8Array(0))).array()).toBe(0);
      expect(min(tensor(new Uint8Array(0))).array()).toBe(255);
    });

    it('a float mean over nothing is 0 / 0 = NaN, as TensorFlow gives it (tfjs gives 0)', () => {
      expect(mean(tensor([])).array()).toBeNaN();
      expect(mean(tensor(new Float32Array(0), [2, 0]), 1).array()).toEqual([Number.NaN, Number.NaN]);
    });

    it('max and min propagate NaN', () => {
      expect(max(tensor([1, Number.NaN, 3])).array()).toBeNaN();
      expect(min(tensor([1, Number.NaN, 3])).array()).toBeNaN();
    });
  });

  it("null axis reduces every axis and null keepDims keeps none, as TensorFlow's None and tfjs' null (they were refused)", () => {
    const x = tensor(new Float32Array([3, -1, 4, 1, -5, 9]), [2, 1, 3]);
    for (const name of Object.keys(OPS) as OpName[]) {
      const [ours, theirs] = OPS[name];
      expectMatchesTf(ours(x, null), theirs(toTf(x), null as never), 1e-6, `${name}(x, null)`);
      expectMatchesTf(ours(x, 2, null), theirs(toTf(x), 2, null as never), 1e-6, `${name}(x, 2, null)`);
      expectMatchesTf(ours(x, null, true), theirs(toTf(x), null as never, true), 1e-6, `${name}(x, null, true)`);
    }
  });

  describe('errors', () => {
    const x = tensor(new Float32Array(6), [2, 3]);
    it('axis out of range', () =>
      expectConvlensError(() => sum(x, 2), /^sum: axis 2 is out of range for a tensor of rank 2 \(expected an integer in \[-2, 1\]\)/));
    it('negative axis out of range', () => expectConvlensError(() => mean(x, [-3]), /^mean: axis -3 is out of range/));
    it('fractional axis', () => expectConvlensError(() => max(x, 0.5), /^max: axis 0.5 is out of range/));
    it('repeated axis', () => expectConvlensError(() => sum(x, [1, -1]), /^sum: axis \[1, -1\] repeats an axis/));
    it('keepDims that is not a boolean', () =>
      expectConvlensError(() => sum(x, 0, 'false' as never), /^sum: keepDims must be true or false, got "false"$/));
  });
});

describe('reductions: a hole in axis', () => {
  it.each([
    ['sum', sum],
    ['max', max],
    ['min', min],
    ['mean', mean],
  ] as const)('%s names it as an undefined axis (was a transpose error about perm [.., undefined])', (name, op) =>
    expectConvlensError(
      () => op(tensor(new Float32Array(4), [2, 2]), sparse(3, { 0: 0, 2: 1 })),
      new RegExp(`^${name}: axis undefined is out of range`),
    ),
  );
});
