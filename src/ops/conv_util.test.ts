import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectConvlensError, sparse } from '../../test/helpers/errors.js';
import { zeros } from '../tensor/create.js';
import { axisGeometry, parsePadding, parseWindow } from './conv_util.js';
import { conv2d } from './nn/conv2d.js';
import { maxPool2d } from './nn/max_pool2d.js';

// TensorFlow's formulas (DESIGN.md §4), written out here independently of the library.
const effective = (k: number, d: number) => (k - 1) * d + 1;
const sameOut = (n: number, s: number) => Math.ceil(n / s);
const validOut = (n: number, k: number, s: number, d: number) => Math.ceil((n - effective(k, d) + 1) / s);

const axis = fc.record({
  n: fc.integer({ min: 1, max: 40 }),
  k: fc.integer({ min: 1, max: 7 }),
  s: fc.integer({ min: 1, max: 5 }),
  d: fc.integer({ min: 1, max: 3 }),
});

describe('axisGeometry: TensorFlow padding arithmetic', () => {
  it('SAME: out = ceil(in / s); total = max(0, (out − 1)·s + eff − in); the odd one after', () => {
    fc.assert(
      fc.property(axis, ({ n, k, s, d }) => {
        const g = axisGeometry('op', 'height', n, k, s, d, 'SAME');
        const out = sameOut(n, s);
        const total = Math.max(0, (out - 1) * s + effective(k, d) - n);
        expect(g).toEqual({ out, padBefore: Math.floor(total / 2), padAfter: total - Math.floor(total / 2) });
      }),
      { numRuns: 500 },
    );
  });

  it('VALID: out = ceil((in − eff + 1) / s) with no padding, whenever the window fits', () => {
    fc.assert(
      fc.property(
        axis.filter(({ n, k, d }) => effective(k, d) <= n),
        ({ n, k, s, d }) => {
          expect(axisGeometry('op', 'height', n, k, s, d, 'VALID')).toEqual({ out: validOut(n, k, s, d), padBefore: 0, padAfter: 0 });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('explicit: VALID over the padded input', () => {
    fc.assert(
      fc.property(axis, fc.nat(6), fc.nat(6), ({ n, k, s, d }, before, after) => {
        fc.pre(effective(k, d) <= n + before + after);
        const g = axisGeometry('op', 'width', n, k, s, d, [before, after]);
        expect(g).toEqual({ out: validOut(n + before + after, k, s, d), padBefore: before, padAfter: after });
      }),
      { numRuns: 500 },
    );
  });
});

describe('parsing', () => {
  it('reads every spelling of a window', () => {
    expect(parseWindow('op', 'strides', 2, 'NHWC')).toEqual([2, 2]);
    expect(parseWindow('op', 'strides', [3], 'NCHW')).toEqual([3, 3]); // TensorFlow's list of length 1
    expect(parseWindow('op', 'strides', [1, 3], 'NHWC')).toEqual([1, 3]);
    expect(parseWindow('op', 'strides', [1, 2, 3, 1], 'NHWC')).toEqual([2, 3]);
    expect(parseWindow('op', 'strides', [1, 1, 2, 3], 'NCHW')).toEqual([2, 3]);
  });

  it('reads padding words in either case and explicit pairs in the data format’s order', () => {
    expect(parsePadding('op', 'same', 'NHWC')).toBe('SAME');
    expect(parsePadding('op', 'Valid', 'NHWC')).toBe('VALID');
    expect(
      parsePadding(
        'op',
        [
          [0, 0],
          [1, 2],
          [3, 4],
          [0, 0],
        ],
        'NHWC',
      ),
    ).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(
      parsePadding(
        'op',
        [
          [0, 0],
          [0, 0],
          [1, 2],
          [3, 4],
        ],
        'NCHW',
      ),
    ).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

forEachBackend(() => {
  describe('output shapes of the ops follow the formulas', () => {
    const geometry = fc.record({
      h: fc.integer({ min: 1, max: 16 }),
      w: fc.integer({ min: 1, max: 16 }),
      kh: fc.integer({ min: 1, max: 5 }),
      kw: fc.integer({ min: 1, max: 5 }),
      sh: fc.integer({ min: 1, max: 4 }),
      sw: fc.integer({ min: 1, max: 4 }),
      padding: fc.constantFrom('SAME' as const, 'VALID' as const),
    });
    const fits = (g: { h: number; w: number; kh: number; kw: number; padding: string }) =>
      g.padding === 'SAME' || (g.kh <= g.h && g.kw <= g.w);
    const expected = (g: { h: number; w: number; kh: number; kw: number; sh: number; sw: number; padding: string }) =>
      g.padding === 'SAME' ? [sameOut(g.h, g.sh), sameOut(g.w, g.sw)] : [validOut(g.h, g.kh, g.sh, 1), validOut(g.w, g.kw, g.sw, 1)];

    it('conv2d', () => {
      fc.assert(
        fc.property(geometry.filter(fits), fc.integer({ min: 1, max: 3 }), (g, cout) => {
          const out = conv2d({
            input: zeros([2, g.h, g.w, 1]),
            filters: zeros([g.kh, g.kw, 1, cout]),
            strides: [g.sh, g.sw],
            padding: g.padding,
          });
          expect(out.shape).toEqual([2, ...expected(g), cout]);
        }),
        { numRuns: 200 },
      );
    });

    it('maxPool2d', () => {
      fc.assert(
        fc.property(geometry.filter(fits), (g) => {
          const out = maxPool2d({ input: zeros([1, g.h, g.w, 3]), ksize: [g.kh, g.kw], strides: [g.sh, g.sw], padding: g.padding });
          expect(out.shape).toEqual([1, ...expected(g), 3]);
        }),
        { numRuns: 200 },
      );
    });
  });
});

describe('sparse lists: a hole is not a number', () => {
  // Array.prototype.every skips holes, so [, 2] passed as a pair: conv2d then computed with a NaN
  // dilation and returned zeros, and strides [2, ,] failed later naming 'tensor' and a NaN shape
  const input = zeros([1, 4, 4, 1]);
  it.each([
    [
      'dilations [, 2]',
      () => conv2d({ input, filters: zeros([2, 2, 1, 1]), dilations: sparse(2, { 1: 2 }), padding: 'SAME' }),
      /^conv2d: dilations must be positive integers, got \[, 2\]$/,
    ],
    [
      'strides [2, ,]',
      () => conv2d({ input, filters: zeros([1, 1, 1, 1]), strides: sparse(2, { 0: 2 }), padding: 'SAME' }),
      /^conv2d: strides must be positive integers, got \[2, \]$/,
    ],
    [
      'strides [1, 2, , 1]',
      () => conv2d({ input, filters: zeros([1, 1, 1, 1]), strides: sparse(4, { 0: 1, 1: 2, 3: 1 }), padding: 'SAME' }),
      /^conv2d: strides must be positive integers/,
    ],
    [
      'a padding pair [1, ,]',
      () =>
        conv2d({
          input,
          filters: zeros([1, 1, 1, 1]),
          padding: [[0, 0], sparse(2, { 0: 1 }), [0, 0], [0, 0]],
        }),
      /^conv2d: padding must be 'SAME', 'VALID' or a list of \[before, after\] pairs, got \[\[0, 0\], \[1, \], \[0, 0\], \[0, 0\]\]$/,
    ],
    [
      'a missing padding pair',
      () => conv2d({ input, filters: zeros([1, 1, 1, 1]), padding: sparse(4, { 0: [0, 0], 2: [0, 0], 3: [0, 0] }) }),
      /^conv2d: padding must be/,
    ],
    [
      'ksize [2, ,]',
      () => maxPool2d({ input, ksize: sparse(2, { 0: 2 }), padding: 'VALID' }),
      /^maxPool2d: ksize must be positive integers, got \[2, \]$/,
    ],
  ])('%s is refused naming the op and argument', (_, fn, message) => expectConvlensError(fn, message));
});
