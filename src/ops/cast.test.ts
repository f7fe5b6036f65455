import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { constant, tensor } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import { cast } from './cast.js';

const CASES = 30;
const PAIRS: [DType, 'float32' | 'int32' | 'bool'][] = [
  ['float32', 'int32'],
  ['float32', 'bool'],
  ['int32', 'float32'],
  ['int32', 'bool'],
  ['bool', 'int32'],
  ['bool', 'float32'],
];

forEachBackend(() => {
  for (const [from, to] of PAIRS) {
    describe(`cast ${from} → ${to}: ${CASES} random tensors against tfjs`, () => {
      for (let i = 0; i < CASES; i++) {
        const rng = caseRng(`cast ${from} ${to}`, i);
        const shape = rng.shape(0, 3, 0, 5);
        it(`#${i} [${shape}]`, () => {
          const size = shape.reduce((a, b) => a * b, 1);
          const values = from === 'float32' ? rng.floats(size, -5, 5) : from === 'int32' ? rng.ints(size, -3, 3) : rng.ints(size, 0, 1);
          // Exact integers and zeros too, where truncation and != 0 matter.
          if (from === 'float32') for (let j = 0; j < size; j += 3) values[j] = Math.round(values[j]);
          const x = tensor(values, shape, from);
          const out = cast(x, to);
          expect(out.dtype).toBe(to);
          expectMatchesTf(out, tf.cast(toTf(x), to), 0, `cast #${i} seed ${rng.seed}`);
        });
      }
    });
  }

  describe('known values', () => {
    it('float → int truncates toward zero, as TensorFlow', () => {
      expect(cast(tensor([-2.7, -1.5, -0.5, 0.5, 1.5, 2.7]), 'int32').array()).toEqual([-2, -1, 0, 0, 1, 2]);
    });

    it('int32 → float32 rounds to the nearest float32, as a C cast (tfjs keeps the exact integers)', () => {
      const big = [2 ** 24 + 1, -(2 ** 24) - 3, 2 ** 31 - 1, 123456789];
      expect(cast(constant(big), 'float32').array()).toEqual(big.map(Math.fround));
    });

    it('int32 → uint8 wraps around, as a C cast', () => {
      expect(cast(constant([256, 257, -1]), 'uint8').array()).toEqual([0, 1, 255]);
    });

    it('casting to the same dtype returns the tensor itself', () => {
      const x = tensor([1]);
      expect(cast(x, 'float32')).toBe(x);
    });

    it('casts the lesson kernel from int32 to float32', () => {
      const k = cast(constant([[1, -1]]), 'float32');
      expect(k.dtype).toBe('float32');
      expect(k.data).toBeInstanceOf(Float32Array);
    });
  });

  it('rejects an unknown dtype', () => {
    expectConvlensError(
      () => cast(tensor([1]), 'float64' as DType),
      /^cast: unknown dtype "float64" \(expected float32, int32, uint8 or bool\)/,
    );
  });
});
