import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectTensor } from '../../../test/helpers/close.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { describeRandomPooling } from '../../../test/helpers/pool.js';
import { caseRng } from '../../../test/helpers/random.js';
import { tf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { Tensor } from '../../tensor/tensor.js';
import { avgPool2d } from './avg_pool2d.js';
import { maxPool2d } from './max_pool2d.js';

forEachBackend(() => {
  describeRandomPooling('max', maxPool2d);

  describe('maxPool2d: known values', () => {
    it('never lets a padded cell win (all-negative input, SAME)', () => {
      const x = tensor([-5, -4, -3, -2, -1, -6, -7, -8, -9], [1, 3, 3, 1]);
      // 2×2 windows, stride 2, SAME: one padded row and column at the bottom/right.
      expectTensor(maxPool2d({ input: x, ksize: 2, strides: 2, padding: 'SAME' }), [1, 2, 2, 1], [-1, -3, -7, -9]);
    });

    it('never lets a padded cell win under explicit padding either', () => {
      const x = tensor([-1, -2, -3, -4], [1, 2, 2, 1]);
      const out = maxPool2d({
        input: x,
        ksize: 2,
        strides: 1,
        padding: [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
      });
      expectTensor(out, [1, 3, 3, 1], [-1, -1, -2, -1, -1, -2, -3, -3, -4]);
    });

    it('takes ksize and strides as a one-element list, as tf.nn.max_pool2d does (length 1, 2 or 4)', () => {
      const x = tensor(caseRng('maxPool2d one-element windows', 0).floats(7 * 6 * 2), [1, 7, 6, 2]);
      const expected = tf.maxPool(tf.tensor4d(x.data, [1, 7, 6, 2]), 3, 2, 'same');
      expectTensor(maxPool2d({ input: x, ksize: [3], strides: [2], padding: 'SAME' }), expected.shape, expected.dataSync());
    });

    it('condenses the lesson way: 2×2, stride 2 on a 4×4 map', () => {
      const x = tensor(
        Array.from({ length: 16 }, (_, i) => i),
        [1, 4, 4, 1],
      );
      expectTensor(maxPool2d({ input: x, ksize: 2, strides: 2, padding: 'SAME' }), [1, 2, 2, 1], [5, 7, 13, 15]);
    });

    it('a window holding a NaN gives NaN in every channel (as PyTorch and TF on GPU; tfjs skips NaNs), others are untouched', () => {
      // 4×4 map, 5 channels (a SIMD group of 4 and a lone one): channel c holds NaN at cell (0, c % 4)
      const values = Array.from({ length: 16 * 5 }, (_, i) => {
        const [cell, c] = [Math.floor(i / 5), i % 5];
        return cell === c % 4 ? Number.NaN : cell;
      });
      const out = maxPool2d({ input: tensor(values, [1, 4, 4, 5]), ksize: 2, padding: 'VALID' });
      // the top-left window holds cells 0, 1, 4, 5: NaN for channels 0, 1, 4; the top-right one (2, 3, 6, 7) for 2, 3
      const expected = [
        [Number.NaN, Number.NaN, 5, 5, Number.NaN],
        [7, 7, Number.NaN, Number.NaN, 7],
        [13, 13, 13, 13, 13],
        [15, 15, 15, 15, 15],
      ].flat();
      expectTensor(out, [1, 2, 2, 5], expected);
    });

    it('of equal maxima keeps the first in row-major order: -0 before +0 stays -0, as tfjs and TensorFlow CPU give it', () => {
      // one shape per kernel path: one channel 2×2 stride 2 (eight columns at a time), whole 2×2
      // windows over channel groups of four and a lone channel, 3×3 windows, SAME windows cut by the edge
      const cases = [
        { shape: [2, 4, 34, 1], ksize: 2, strides: 2, padding: 'VALID' },
        { shape: [1, 6, 6, 5], ksize: 2, strides: 2, padding: 'VALID' },
        { shape: [1, 7, 7, 4], ksize: 3, strides: 2, padding: 'VALID' },
        { shape: [1, 7, 9, 1], ksize: 3, strides: 1, padding: 'SAME' },
        { shape: [1, 5, 5, 6], ksize: 2, strides: 2, padding: 'SAME' },
      ] as const;
      const signOf = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
      for (const [i, { shape, ksize, strides, padding }] of cases.entries()) {
        const rng = caseRng('maxPool2d signed zeros', i);
        const values = Array.from({ length: shape.reduce((a: number, b: number) => a * b, 1) }, () => rng.pick([-0, 0, -1]));
        const ours = maxPool2d({ input: new Tensor(Float32Array.from(values), [...shape], 'float32'), ksize, strides, padding });
        const theirs = tf.maxPool(tf.tensor4d(values, [...shape]), ksize, strides, padding === 'VALID' ? 'valid' : 'same');
        const expected = Array.from(theirs.dataSync(), signOf);
        theirs.dispose();
        expect(expected, 'the case must hold both signs of zero among the maxima').toContain('-0');
        expect(expected).toContain('0');
        expect(Array.from(ours.data, signOf), `${JSON.stringify(shape)} ksize ${ksize} ${padding}`).toEqual(expected);
      }
    });

    it('a SAME window far larger than the image pools the whole image (no window-sized buffer)', () => {
      const values = [3, -1, 4, 1, -5, 9, 2, -6, 5, 3, 5, -8];
      const x = tensor(values, [1, 3, 4, 1]);
      const huge = { input: x, ksize: 1e6, strides: 1e6, padding: 'SAME' as const };
      expectTensor(maxPool2d(huge), [1, 1, 1, 1], [Math.max(...values)]);
      expectTensor(avgPool2d(huge), [1, 1, 1, 1], [values.reduce((a, b) => a + b) / values.length]);
    });

    it("a window at TensorFlow's int32 limit with explicit padding pools the cells it covers (no int32 wrap)", () => {
      const x = tensor(
        Array.from({ length: 25 }, (_, i) => i + 1),
        [1, 5, 5, 1],
      );
      const window = 2 ** 31 - 1;
      // padding window − 1 rows below: output row r's window covers input rows r..4, as TensorFlow slides it
      const args = {
        input: x,
        ksize: [window, 1] as [number, number],
        strides: 1,
        padding: [
          [0, 0],
          [0, window - 1],
          [0, 0],
          [0, 0],
        ] as [number, number][],
      };
      const rows = [0, 1, 2, 3, 4];
      const meanOfRowsFrom = (r: number, column: number) => (5 * (r + 4)) / 2 + column + 1;
      expectTensor(
        maxPool2d(args),
        [1, 5, 5, 1],
        rows.flatMap(() => [21, 22, 23, 24, 25]),
      );
      expectTensor(
        avgPool2d(args),
        [1, 5, 5, 1],
        rows.flatMap((r) => [0, 1, 2, 3, 4].map((c) => meanOfRowsFrom(r, c))),
      );
    });

    it('strides default to ksize, as Keras pooling layers do', () => {
      const x = tensor(
        Array.from({ length: 36 }, (_, i) => i),
        [1, 6, 6, 1],
      );
      expect(maxPool2d({ input: x, ksize: 3, padding: 'VALID' }).array()).toEqual([
        [
          [[14], [17]],
          [[32], [35]],
        ],
      ]);
    });
  });

  describe('maxPool2d: int32 input, as TensorFlow pools it', () => {
    it('gives int32 maxima equal to tfjs, exact beyond float32 integers (2^24)', () => {
      for (let i = 0; i < 40; i++) {
        const rng = caseRng('maxPool2d int32', i);
        const shape = [rng.int(1, 2), rng.int(1, 9), rng.int(1, 9), rng.int(1, 3)];
        const [k, s] = [rng.int(1, 3), rng.int(1, 3)];
        const padding = rng.pick(['SAME', 'VALID'] as const);
        if (padding === 'VALID' && (k > shape[1] || k > shape[2])) continue;
        const big = rng.bool();
        const values = rng.ints(
          shape.reduce((a, b) => a * b, 1),
          big ? -2147483648 : -50,
          big ? 2147483647 : 50,
        );
        const out = maxPool2d({ input: new Tensor(values, shape, 'int32'), ksize: k, strides: s, padding });
        const expected = tf.maxPool(
          tf.tensor4d(values, shape as [number, number, number, number], 'int32'),
          k,
          s,
          padding === 'SAME' ? 'same' : 'valid',
        );
        expect(out.dtype).toBe('int32');
        expect(out.shape).toEqual(expected.shape);
        expect(Array.from(out.data)).toEqual(Array.from(expected.dataSync()));
      }
    });

    it('pools uint8 as TensorFlow does (tf.nn.max_pool2d of a decoded image stays uint8), equal to tfjs', () => {
      // TensorFlow's MaxPool takes uint8 (it was refused here); tfjs has no uint8, so its int32 pool of the same values is the reference
      for (let i = 0; i < 30; i++) {
        const rng = caseRng('maxPool2d uint8', i);
        const shape = [rng.int(1, 2), rng.int(1, 8), rng.int(1, 8), rng.int(1, 3)];
        const [k, s] = [rng.int(1, 3), rng.int(1, 3)];
        const padding = rng.pick(['SAME', 'VALID'] as const);
        if (padding === 'VALID' && (k > shape[1] || k > shape[2])) continue;
        const values = Uint8Array.from(
          rng.ints(
            shape.reduce((a, b) => a * b, 1),
            0,
            255,
          ),
        );
        const out = maxPool2d({ input: new Tensor(values, shape, 'uint8'), ksize: k, strides: s, padding });
        const expected = tf.maxPool(
          tf.tensor4d(Array.from(values), shape as [number, number, number, number], 'int32'),
          k,
          s,
          padding === 'SAME' ? 'same' : 'valid',
        );
        expect(out.dtype).toBe('uint8');
        expect(out.shape).toEqual(expected.shape);
        expect(Array.from(out.data)).toEqual(Array.from(expected.dataSync()));
      }
      const nchw = maxPool2d({
        input: tensor(Uint8Array.from([7, 255, 0, 9]), [1, 1, 2, 2]),
        ksize: 2,
        padding: 'VALID',
        dataFormat: 'NCHW',
      });
      expect([nchw.dtype, nchw.shape, Array.from(nchw.data)]).toEqual(['uint8', [1, 1, 1, 1], [255]]);
      const rank3 = maxPool2d({ input: tensor(Uint8Array.from([3, 200]), [1, 2, 1]), ksize: [1, 2], padding: 'SAME' });
      expect([rank3.dtype, rank3.shape, Array.from(rank3.data)]).toEqual(['uint8', [1, 1, 1], [200]]);
    });

    it('keeps int32 through rank 3 and NCHW', () => {
      const x = constant([
        [
          [16777217, 1],
          [2, 3],
        ],
      ]); // [1, 2, 2] NCHW: one channel
      const nchw = maxPool2d({ input: constant([x.array() as number[][][]]), ksize: 2, padding: 'VALID', dataFormat: 'NCHW' });
      expectTensor(nchw, [1, 1, 1, 1], [16777217]);
      expect(nchw.dtype).toBe('int32');
      const rank3 = maxPool2d({ input: constant([[[5], [-7]]]), ksize: [1, 2], padding: 'VALID' });
      expect([rank3.dtype, rank3.shape, Array.from(rank3.data)]).toEqual(['int32', [1, 1, 1], [5]]);
    });
  });

  describe('maxPool2d: properties', () => {
    const geometry = fc.record({
      h: fc.integer({ min: 1, max: 10 }),
      w: fc.integer({ min: 1, max: 10 }),
      c: fc.integer({ min: 1, max: 3 }),
      k: fc.integer({ min: 1, max: 4 }),
      s: fc.integer({ min: 1, max: 3 }),
      padding: fc.constantFrom('SAME' as const, 'VALID' as const),
    });
    const withData = geometry.chain((g) => {
      const n = g.h * g.w * g.c;
      const values = fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: n, maxLength: n });
      const deltas = fc.array(fc.float({ min: 0, max: 10, noNaN: true }), { minLength: n, maxLength: n });
      return fc.record({ g: fc.constant(g), values, deltas });
    });
    const fits = ({ g }: { g: { h: number; w: number; k: number; padding: string } }) => g.padding === 'SAME' || (g.k <= g.h && g.k <= g.w);

    it('is monotone: x ≤ y element-wise ⇒ maxPool(x) ≤ maxPool(y)', () => {
      fc.assert(
        fc.property(withData.filter(fits), ({ g, values, deltas }) => {
          const shape = [1, g.h, g.w, g.c];
          const x = tensor(values, shape);
          const y = tensor(
            values.map((v, i) => v + deltas[i]),
            shape,
          );
          const args = { ksize: g.k, strides: g.s, padding: g.padding };
          const px = maxPool2d({ input: x, ...args }).data;
          const py = maxPool2d({ input: y, ...args }).data;
          for (let i = 0; i < px.length; i++) expect(px[i]).toBeLessThanOrEqual(py[i]);
        }),
        { numRuns: 200 },
      );
    });

    it('is never below average pooling over the same windows', () => {
      fc.assert(
        fc.property(withData.filter(fits), ({ g, values }) => {
          const args = { input: tensor(values, [1, g.h, g.w, g.c]), ksize: g.k, strides: g.s, padding: g.padding };
          const max = maxPool2d(args).data;
          const avg = avgPool2d(args).data;
          for (let i = 0; i < max.length; i++) expect(max[i]).toBeGreaterThanOrEqual(avg[i] - 1e-4 * Math.max(1, Math.abs(avg[i])));
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('maxPool2d: errors', () => {
    const x = tensor(new Float32Array(2 * 3 * 3), [1, 3, 3, 2]);
    const cases: [string, () => unknown, RegExp][] = [
      [
        'input of rank 2',
        () => maxPool2d({ input: tensor([[1]]), ksize: 1, padding: 'SAME' }),
        /^maxPool2d: 'input' must be rank 3 or 4, got rank 2/,
      ],
      [
        'bool input',
        () => maxPool2d({ input: tensor([true, false, true, true], [1, 2, 2, 1]), ksize: 1, padding: 'SAME' }),
        /^maxPool2d: 'input' must be float32, int32 or uint8, got bool \(convert it with cast\(x, 'float32'\)\)$/,
      ],
      ['zero ksize', () => maxPool2d({ input: x, ksize: 0, padding: 'SAME' }), /^maxPool2d: ksize must be positive integers, got 0/],
      ['negative ksize', () => maxPool2d({ input: x, ksize: [2, -1], padding: 'SAME' }), /^maxPool2d: ksize must be positive integers/],
      ['fractional ksize', () => maxPool2d({ input: x, ksize: 1.5, padding: 'SAME' }), /^maxPool2d: ksize must be positive integers/],
      [
        'ksize over channels',
        () => maxPool2d({ input: x, ksize: [1, 2, 2, 2], padding: 'SAME' }),
        /^maxPool2d: ksize \[1, 2, 2, 2\] must be 1 on the batch and channel axes/,
      ],
      ['missing ksize', () => maxPool2d({ input: x, padding: 'SAME' } as never), /^maxPool2d: ksize is required/],
      [
        'zero stride',
        () => maxPool2d({ input: x, ksize: 2, strides: 0, padding: 'SAME' }),
        /^maxPool2d: strides must be positive integers, got 0/,
      ],
      [
        'negative stride',
        () => maxPool2d({ input: x, ksize: 2, strides: -1, padding: 'SAME' }),
        /^maxPool2d: strides must be positive integers/,
      ],
      ['unknown padding', () => maxPool2d({ input: x, ksize: 2, padding: 'full' as 'SAME' }), /^maxPool2d: unknown padding "full"/],
      ['missing padding', () => maxPool2d({ input: x, ksize: 2 } as never), /^maxPool2d: padding is required/],
      [
        'negative padding',
        () =>
          maxPool2d({
            input: x,
            ksize: 2,
            padding: [
              [0, 0],
              [0, -1],
              [0, 0],
              [0, 0],
            ],
          }),
        /^maxPool2d: explicit padding must be non-negative integers/,
      ],
      [
        'channel padding',
        () =>
          maxPool2d({
            input: x,
            ksize: 2,
            padding: [
              [0, 0],
              [0, 0],
              [0, 0],
              [1, 1],
            ],
          }),
        /^maxPool2d: explicit padding .* must be \[0, 0\] on the batch and channel axes/,
      ],
      [
        'window larger than input (VALID)',
        () => maxPool2d({ input: x, ksize: [2, 4], padding: 'VALID' }),
        /^maxPool2d: window width 4 is larger than the input width 3 under VALID padding/,
      ],
      [
        'window larger than padded input',
        () =>
          maxPool2d({
            input: x,
            ksize: 5,
            padding: [
              [0, 0],
              [1, 0],
              [0, 0],
              [0, 0],
            ],
          }),
        /^maxPool2d: window height 5 is larger than the input height 4 with padding \[1, 0\]/,
      ],
      [
        'padding as large as the window',
        () =>
          maxPool2d({
            input: x,
            ksize: 2,
            padding: [
              [0, 0],
              [0, 0],
              [0, 2],
              [0, 0],
            ],
          }),
        /^maxPool2d: explicit padding 2 on the width axis must be smaller than the window width 2/,
      ],
      [
        'a tensor instead of options',
        () => (maxPool2d as (a: unknown) => unknown)(x),
        /^maxPool2d: expected an options object .*, got a Tensor/,
      ],
    ];
    it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
  });
});
