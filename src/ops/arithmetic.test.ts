import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { constant, tensor } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, div, maximum, minimum, mul, sub } from './arithmetic.js';
import { cast } from './cast.js';

const OPS = {
  add: [add, tf.add],
  sub: [sub, tf.sub],
  mul: [mul, tf.mul],
  div: [div, tf.div],
  maximum: [maximum, tf.maximum],
  minimum: [minimum, tf.minimum],
} as const;
type OpName = keyof typeof OPS;
const FLOAT_CASES = 50;
const INT_CASES = 20;

/** A shape `outShape` broadcasts from: leading axes dropped, some axes set to 1. */
function broadcastableFrom(rng: Rng, outShape: number[]): number[] {
  return outShape.slice(rng.int(0, outShape.length)).map((d) => (rng.bool(0.3) ? 1 : d));
}

function randomPair(rng: Rng): [number[], number[]] {
  const out = Array.from({ length: rng.int(0, 4) }, () => (rng.bool(0.05) ? 0 : rng.int(1, 4)));
  const [a, b] = rng.bool() ? [out, broadcastableFrom(rng, out)] : [broadcastableFrom(rng, out), broadcastableFrom(rng, out)];
  return rng.bool() ? [a, b] : [b, a];
}

const sizeOf = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

forEachBackend(() => {
  for (const name of Object.keys(OPS) as OpName[]) {
    const [ours, theirs] = OPS[name];
    describe(`${name}: ${FLOAT_CASES} float32 and ${name === 'div' ? 0 : INT_CASES} int32 broadcasting cases against tfjs`, () => {
      for (let i = 0; i < FLOAT_CASES; i++) {
        const rng = caseRng(`${name} float`, i);
        const [sa, sb] = randomPair(rng);
        it(`float32 [${sa}] ${name} [${sb}]`, () => {
          const a = tensor(rng.floats(sizeOf(sa), -5, 5), sa);
          const b = tensor(rng.floats(sizeOf(sb), -5, 5), sb);
          const out = ours(a, b);
          expect(out.dtype).toBe('float32');
          expectMatchesTf(out, theirs(toTf(a), toTf(b)), 1e-6, `${name} #${i} seed ${rng.seed}`);
        });
      }
      if (name === 'div') return;
      for (let i = 0; i < INT_CASES; i++) {
        const rng = caseRng(`${name} int`, i);
        const [sa, sb] = randomPair(rng);
        it(`int32 [${sa}] ${name} [${sb}]`, () => {
          const a = tensor(rng.ints(sizeOf(sa), -100, 100), sa);
          const b = tensor(rng.ints(sizeOf(sb), -100, 100), sb);
          const out = ours(a, b);
          expect(out.dtype).toBe('int32');
          expectMatchesTf(out, theirs(toTf(a), toTf(b)), 0, `${name} int #${i} seed ${rng.seed}`);
        });
      }
    });
  }

  describe('dtypes', () => {
    it('int32 with float32 gives float32, as tfjs upcasts', () => {
      const out = add(constant([1, 2]), tensor([0.5, 0.25]));
      expect(out.dtype).toBe('float32');
      expectMatchesTf(out, tf.add(tf.tensor([1, 2], undefined, 'int32'), tf.tensor([0.5, 0.25])));
    });

    it('a plain number takes an integer tensor’s dtype when it fits, like a Python scalar in TensorFlow', () => {
      expect(mul(constant([1, 2]), 3).dtype).toBe('int32');
      expect(mul(constant([1, 2]), 3).array()).toEqual([3, 6]);
      expect(sub(5, constant([1, 2])).array()).toEqual([4, 3]);
      expect(add(cast(constant([250]), 'uint8'), 10).dtype).toBe('uint8');
      // A fraction cannot be int32: the result is float32 rather than an error.
      expect(add(constant([1, 2]), 0.5).dtype).toBe('float32');
      expect(add(constant([1, 2]), 0.5).array()).toEqual([1.5, 2.5]);
      expect(add(tensor([1, 2]), 1).dtype).toBe('float32');
      expect(add(constant([1, 2]), [1, 1]).dtype).toBe('int32');
      expect(mul(constant([1]), 2 ** 24 + 1).array()).toEqual([2 ** 24 + 1]);
      expectConvlensError(() => add(constant([1]), [[1], 2] as never), /^add: ragged 'b': b\[1\] has a number, expected length 1/);
    });

    it('int32 arithmetic wraps around like TensorFlow’s int32', () => {
      expect(add(constant([2 ** 31 - 1]), constant([1])).array()).toEqual([-(2 ** 31)]);
      expect(add(cast(constant([250]), 'uint8'), cast(constant([10]), 'uint8')).array()).toEqual([4]);
    });

    it('int32 products wrap modulo 2^32 exactly, as NumPy’s and TensorFlow’s do, on large tensors too', () => {
      const rng = caseRng('int32 mul wrap', 0);
      for (const n of [3, 40_000]) {
        const a = Int32Array.from({ length: n }, () => rng.int(-(2 ** 31), 2 ** 31 - 1));
        const b = Int32Array.from({ length: n }, () => rng.int(-(2 ** 31), 2 ** 31 - 1));
        const expected = Array.from(a, (x, i) => Number(BigInt.asIntN(32, BigInt(x) * BigInt(b[i]))));
        expect(Array.from(mul(tensor(a, [n], 'int32'), tensor(b, [n], 'int32')).data)).toEqual(expected);
      }
      expect(mul(constant([2147483647, 123456789]), constant([2147483647, 987654321])).array()).toEqual([1, -67153019]);
    });

    it('int32 division is rounded once to float32, from the exact quotient', () => {
      const rng = caseRng('int32 div rounding', 0);
      const a = Int32Array.from({ length: 500 }, () => rng.int(-(2 ** 31), 2 ** 31 - 1));
      const b = Int32Array.from({ length: 500 }, () => rng.int(1, 5000) * (rng.bool() ? 1 : -1));
      const expected = Array.from(a, (x, i) => Math.fround(x / b[i]));
      expect(Array.from(div(tensor(a, [500], 'int32'), tensor(b, [500], 'int32')).data)).toEqual(expected);
      expect(div(constant([-1833939238]), constant([-1668])).array()).toEqual([1099484]);
    });

    it('div is true division: integer operands give float32 (TensorFlow gives float64)', () => {
      const out = div(constant([7, -7]), constant([2, 2]));
      expect(out.dtype).toBe('float32');
      expect(out.array()).toEqual([3.5, -3.5]);
    });

    it('division by zero gives ±inf and NaN, as tfjs', () => {
      const a = tensor([1, -1, 0]);
      const b = tensor([0, 0, 0]);
      expectMatchesTf(div(a, b), tf.div(toTf(a), toTf(b)));
    });

    it('maximum and minimum propagate NaN from either side', () => {
      const a = tensor([Number.NaN, 1]);
      const b = tensor([1, Number.NaN]);
      expect(Array.from(maximum(a, b).data)).toEqual([Number.NaN, Number.NaN]);
      expect(Array.from(minimum(a, b).data)).toEqual([Number.NaN, Number.NaN]);
    });

    it('takes lists of typed-array rows as operands, as tfjs does', () => {
      const rows = () => [new Float32Array([1, 2.5]), new Float32Array([3, 4])];
      expectMatchesTf(add(rows(), tensor([10, 20])), tf.add(tf.tensor(rows()), tf.tensor([10, 20])));
      expectMatchesTf(mul(tensor([[2], [3]]), rows()), tf.mul(tf.tensor([[2], [3]]), tf.tensor(rows())));
    });
  });

  describe('errors', () => {
    const cases: [string, () => Tensor, RegExp][] = [
      [
        'ragged typed-array rows',
        () => add([new Float32Array([1, 2]), new Float32Array([3])], 1),
        /^add: ragged 'a': a\[1\] has length 1, expected length 2$/,
      ],
      [
        'add [2, 3] + [4]',
        () => add(tensor(new Float32Array(6), [2, 3]), tensor(new Float32Array(4))),
        /^add: shapes \[2, 3\] and \[4\] cannot be broadcast together \(axis 1: 3 vs 4\)/,
      ],
      [
        'mul [2, 1, 3] × [4, 2]',
        () => mul(tensor(new Float32Array(6), [2, 1, 3]), tensor(new Float32Array(8), [4, 2])),
        /^mul: shapes \[2, 1, 3\] and \[4, 2\] cannot be broadcast/,
      ],
      ['sub [0] − [2]', () => sub(tensor([]), tensor([1, 2])), /^sub: shapes \[0\] and \[2\] cannot be broadcast/],
      ['maximum of a string', () => maximum(tensor([1]), ['a'] as never), /^maximum: 'b' must be numbers or booleans, got string/],
      ['div by undefined', () => div(tensor([1]), undefined as never), /^div: argument 'b' is missing/],
      [
        'bool arithmetic',
        () => sub(constant([false]), constant([true])),
        /^sub: 'a' is bool, which has no arithmetic, as in TensorFlow \(cast it to int32 or float32 first\)$/,
      ],
      ['bool beside a number', () => add(2, constant([true])), /^add: 'b' is bool/],
      // a broadcast result no array can hold: the op's own error, not one naming 'tensor'
      ...(['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const).map((name): [string, () => Tensor, RegExp] => [
        `${name} of [100000, 1] and [1, 100000] (1e10 values)`,
        () =>
          ({ add, sub, mul, div, maximum, minimum })[name](
            tensor(new Float32Array(1e5), [1e5, 1]),
            tensor(new Float32Array(1e5), [1, 1e5]),
          ),
        new RegExp(`^${name}: cannot allocate 1\\.00e\\+10 float32 values \\(37\\.3 GiB\\): the result is too large$`),
      ]),
    ];
    it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
  });
});
