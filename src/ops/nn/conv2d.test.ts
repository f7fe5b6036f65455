import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectClose, expectTensor } from '../../../test/helpers/close.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { caseRng, type Rng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { Tensor } from '../../tensor/tensor.js';
import { add, mul } from '../arithmetic.js';
import { cast } from '../cast.js';
import type { Padding, Window2D } from '../conv_util.js';
import { reshape } from '../reshape.js';
import { squeeze } from '../squeeze.js';
import { conv2d } from './conv2d.js';
import { relu } from './relu.js';

// ---------------------------------------------------------------------------------------------
// The lesson's worked example (seed/convolution-and-relu.md, near the end).

const LESSON_IMAGE = [
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 1, 1, 1],
  [0, 1, 0, 0, 0, 0],
];
// As printed in the lesson (sympy shows 0 for the zeros).
const LESSON_FILTERED = [
  [-2, 2, 0, 0, 0],
  [-2, 2, 0, 0, 0],
  [-2, 2, 0, 0, 0],
  [-2, 2, -1, 0, 0],
  [-2, 2, -1, 0, 0],
];
const LESSON_DETECTED = [
  [0, 2, 0, 0, 0],
  [0, 2, 0, 0, 0],
  [0, 2, 0, 0, 0],
  [0, 2, 0, 0, 0],
  [0, 2, 0, 0, 0],
];

/** The lesson's code, line for line. */
function runLesson(): { filtered: Tensor; detected: Tensor } {
  let image = constant(LESSON_IMAGE);
  let kernel = constant([
    [1, -1],
    [1, -1],
  ]);
  image = cast(image, 'float32');
  image = reshape(image, [1, ...image.shape, 1]);
  kernel = reshape(kernel, [...kernel.shape, 1, 1]);
  kernel = cast(kernel, 'float32');
  const imageFilter = conv2d({ input: image, filters: kernel, strides: 1, padding: 'VALID' });
  const imageDetect = relu(imageFilter);
  return { filtered: squeeze(imageFilter), detected: squeeze(imageDetect) };
}

/** Splits matrix text into rows of cells, remembering where each cell ends (for alignment). */
function cellsOf(text: string): { value: number; end: number }[][] {
  return text
    .split('\n')
    .map((line) => [...line.matchAll(/-?\d+(\.\d+)?/g)].map((m) => ({ value: Number(m[0]), end: m.index + m[0].length })));
}

function expectAlignedMatrix(text: string, expected: number[][]): void {
  const rows = cellsOf(text);
  expect(rows.map((r) => r.map((c) => c.value))).toEqual(expected);
  // Right-aligned columns: every row's k-th number ends at the same character.
  for (let k = 0; k < expected[0].length; k++) {
    expect(new Set(rows.map((r) => r[k].end)).size, `column ${k} of\n${text}`).toBe(1);
  }
  expect(new Set(text.split('\n').map((l) => l.trimEnd().replace(/\]+,?$/, '').length)).size, text).toBe(1);
}

// ---------------------------------------------------------------------------------------------
// Random configurations, compared with TensorFlow.js (or, where tfjs refuses, a naive reference).

interface ConvCase {
  category: string;
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  stride: [number, number];
  dilation: [number, number];
  /** A word, or explicit [[top, bottom], [left, right]]. */
  pad: 'SAME' | 'VALID' | [[number, number], [number, number]];
  dataFormat: 'NHWC' | 'NCHW';
  rank3: boolean;
  integers: boolean;
}

const CATEGORIES = [
  '1x1',
  '2x2',
  '1x2',
  'even kernel',
  'stride 2 VALID',
  'stride 2 SAME',
  'stride [1, 2]',
  'kernel smaller than stride',
  'kernel as large as input',
  'empty batch',
  'dilation',
  'dilation with stride',
  'explicit zero',
  'explicit symmetric',
  'explicit only bottom',
  'explicit only top-right',
  'explicit large',
  'NCHW',
  'random',
] as const;
const CASES_PER_CATEGORY = 30;

function randomCase(category: (typeof CATEGORIES)[number], rng: Rng): ConvCase {
  const c: ConvCase = {
    category,
    batch: rng.int(1, 3),
    inHeight: rng.int(1, 20),
    inWidth: rng.int(1, 20),
    inChannels: rng.int(1, 8),
    outChannels: rng.int(1, 8),
    filterHeight: rng.int(1, 5),
    filterWidth: rng.int(1, 5),
    stride: [rng.int(1, 3), rng.int(1, 3)],
    dilation: [1, 1],
    pad: rng.pick(['SAME', 'VALID'] as const),
    dataFormat: 'NHWC',
    rank3: false,
    integers: rng.bool(0.3),
  };
  const explicit = (t: number, b: number, l: number, r: number) => {
    c.pad = [
      [t, b],
      [l, r],
    ];
  };
  switch (category) {
    case '1x1':
      [c.filterHeight, c.filterWidth] = [1, 1];
      break;
    case '2x2':
      [c.filterHeight, c.filterWidth] = [2, 2];
      break;
    case '1x2':
      [c.filterHeight, c.filterWidth] = rng.bool() ? [1, 2] : [2, 1];
      break;
    case 'even kernel':
      [c.filterHeight, c.filterWidth] = [rng.pick([2, 4, 6]), rng.pick([2, 4, 6])];
      break;
    case 'stride 2 VALID':
      [c.stride, c.pad] = [[2, 2], 'VALID'];
      break;
    case 'stride 2 SAME':
      [c.stride, c.pad] = [[2, 2], 'SAME'];
      break;
    case 'stride [1, 2]':
      c.stride = [1, 2];
      break;
    case 'kernel smaller than stride':
      [c.filterHeight, c.filterWidth, c.stride] = [rng.int(1, 2), rng.int(1, 2), [rng.int(3, 4), rng.int(3, 4)]];
      break;
    case 'kernel as large as input':
      [c.inHeight, c.inWidth] = [rng.int(1, 8), rng.int(1, 8)];
      [c.filterHeight, c.filterWidth] = [c.inHeight, c.inWidth];
      break;
    case 'empty batch':
      c.batch = 0;
      break;
    case 'dilation':
      [c.stride, c.dilation] = [
        [1, 1],
        [rng.int(1, 3), rng.int(2, 3)],
      ];
      break;
    case 'dilation with stride':
      [c.stride, c.dilation] = [
        [rng.int(2, 3), rng.int(1, 3)],
        [rng.int(2, 3), rng.int(1, 3)],
      ];
      break;
    case 'explicit zero':
      explicit(0, 0, 0, 0);
      break;
    case 'explicit symmetric': {
      const [p, q] = [rng.int(0, 3), rng.int(0, 3)];
      explicit(p, p, q, q);
      break;
    }
    case 'explicit only bottom':
      explicit(0, rng.int(1, 4), 0, 0);
      break;
    case 'explicit only top-right':
      explicit(rng.int(1, 4), 0, 0, rng.int(1, 4));
      break;
    case 'explicit large':
      explicit(rng.int(5, 10), rng.int(5, 10), rng.int(5, 10), rng.int(5, 10));
      break;
    case 'NCHW':
      c.dataFormat = 'NCHW';
      break;
    case 'random':
      c.filterHeight = rng.int(1, 6);
      c.dilation = [rng.int(1, 2), rng.int(1, 2)];
      c.dataFormat = rng.pick(['NHWC', 'NCHW'] as const);
      if (rng.bool(0.3)) explicit(rng.int(0, 4), rng.int(0, 4), rng.int(0, 4), rng.int(0, 4));
      break;
  }
  // A window must fit inside the (padded) input unless padding is SAME: grow the input if not.
  if (c.pad !== 'SAME') {
    const [[t, b], [l, r]] =
      c.pad === 'VALID'
        ? [
            [0, 0],
            [0, 0],
          ]
        : c.pad;
    c.inHeight = Math.max(c.inHeight, (c.filterHeight - 1) * c.dilation[0] + 1 - t - b);
    c.inWidth = Math.max(c.inWidth, (c.filterWidth - 1) * c.dilation[1] + 1 - l - r);
  }
  c.rank3 = c.batch === 1 && rng.bool(0.2);
  return c;
}

/** Spells a [h, w] window the three ways the API accepts (n, [h, w], or 4 elements). */
function windowArg(rng: Rng, [h, w]: [number, number], dataFormat: 'NHWC' | 'NCHW'): Window2D {
  const form = rng.int(h === w ? 0 : 1, 2);
  if (form === 0) return h;
  if (form === 1) return [h, w];
  return dataFormat === 'NHWC' ? [1, h, w, 1] : [1, 1, h, w];
}

/** Spells padding as the API accepts it: a word in either case, or 2 or 4 explicit pairs. */
function paddingArg(rng: Rng, pad: ConvCase['pad'], dataFormat: 'NHWC' | 'NCHW'): Padding {
  if (typeof pad === 'string') return rng.bool() ? pad : (pad.toLowerCase() as Padding);
  if (rng.bool(0.3)) return pad;
  return dataFormat === 'NHWC' ? [[0, 0], pad[0], pad[1], [0, 0]] : [[0, 0], [0, 0], pad[0], pad[1]];
}

function randomValues(rng: Rng, n: number, integers: boolean): Float32Array {
  return integers ? Float32Array.from(rng.ints(n, -3, 3)) : rng.floats(n, -1, 1);
}

function runCase(c: ConvCase, rng: Rng, context: string): void {
  const nhwc = [c.batch, c.inHeight, c.inWidth, c.inChannels];
  const x = randomValues(
    rng,
    nhwc.reduce((a, b) => a * b, 1),
    c.integers,
  );
  const w = randomValues(rng, c.filterHeight * c.filterWidth * c.inChannels * c.outChannels, c.integers);
  const filterShape = [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels];
  // Our input in the case's data format (NCHW data is the NHWC data transposed).
  const xNHWC = tf.tensor4d(x, nhwc as [number, number, number, number]);
  const xOurs = c.dataFormat === 'NHWC' ? x : (tf.transpose(xNHWC, [0, 3, 1, 2]).dataSync() as Float32Array);
  let ourShape = c.dataFormat === 'NHWC' ? nhwc : [c.batch, c.inChannels, c.inHeight, c.inWidth];
  if (c.rank3) ourShape = ourShape.slice(1);
  const args = {
    input: new Tensor(xOurs, ourShape, 'float32'),
    filters: new Tensor(w, filterShape, 'float32'),
    strides: windowArg(rng, c.stride, c.dataFormat),
    padding: paddingArg(rng, c.pad, c.dataFormat),
    dilations: c.dilation[0] === 1 && c.dilation[1] === 1 && rng.bool() ? undefined : windowArg(rng, c.dilation, c.dataFormat),
    dataFormat: c.dataFormat === 'NHWC' && rng.bool() ? undefined : c.dataFormat,
  };
  const tfPad = typeof c.pad === 'string' ? (c.pad.toLowerCase() as 'same' | 'valid') : [[0, 0], c.pad[0], c.pad[1], [0, 0]];
  const tfConv = () =>
    tf.conv2d(xNHWC, tf.tensor4d(w, filterShape as [number, number, number, number]), c.stride, tfPad as 'same', 'NHWC', c.dilation);
  if (c.stride.some((s) => s > 1) && c.dilation.some((d) => d > 1)) {
    // TensorFlow refuses a strided atrous convolution (tf.nn.convolution, Keras, tfjs): so do we, clearly
    expect(tfConv, context).toThrow(/strides or dilations must be 1/);
    expectConvlensError(() => conv2d(args), /^conv2d: strides .* and dilations .* cannot both be greater than 1/);
    return;
  }
  const actual = conv2d(args);
  let expected = tfConv();
  if (c.dataFormat === 'NCHW') expected = tf.transpose(expected, [0, 3, 1, 2]);
  if (c.rank3) expected = tf.squeeze(expected, [0]);
  expectMatchesTf(actual, expected, 1e-4, context);
}

export const CONV2D_RANDOM_CASES = CATEGORIES.length * CASES_PER_CATEGORY;

forEachBackend(() => {
  describe('conv2d: the lesson worked example', () => {
    it('gives the printed filter and ReLU outputs exactly', () => {
      const { filtered, detected } = runLesson();
      expect(filtered.shape).toEqual([5, 5]);
      expect(filtered.dtype).toBe('float32');
      expect(filtered.array()).toEqual(LESSON_FILTERED);
      expect(detected.array()).toEqual(LESSON_DETECTED);
    });

    it('prints both matrices as aligned columns', () => {
      const { filtered, detected } = runLesson();
      expectAlignedMatrix(filtered.toString(), LESSON_FILTERED);
      expectAlignedMatrix(detected.toString(), LESSON_DETECTED);
      expect(filtered.toString().split('\n')).toHaveLength(5);
    });

    it('agrees with tfjs on the same example', () => {
      const { filtered } = runLesson();
      const x = tf.tensor4d(LESSON_IMAGE.flat(), [1, 6, 6, 1]);
      const k = tf.tensor4d([1, -1, 1, -1], [2, 2, 1, 1]);
      expectMatchesTf(filtered, tf.squeeze(tf.conv2d(x, k, 1, 'valid')));
    });
  });

  describe(`conv2d: ${CONV2D_RANDOM_CASES} random configurations against tfjs`, () => {
    for (const category of CATEGORIES) {
      for (let i = 0; i < CASES_PER_CATEGORY; i++) {
        const rng = caseRng(`conv2d ${category}`, i);
        const c = randomCase(category, rng);
        const context = `conv2d case "${category}" #${i} (seed ${rng.seed}): ${JSON.stringify(c)}`;
        it(`${category} #${i}`, () => runCase(c, rng, context));
      }
    }
  });

  describe('conv2d: known values', () => {
    it('takes strides and dilations as a one-element list, as tf.nn.conv2d does (length 1, 2 or 4)', () => {
      const rng = caseRng('conv2d one-element windows', 0);
      const x = tensor(rng.floats(2 * 9 * 8 * 3), [2, 9, 8, 3]);
      const k = tensor(rng.floats(3 * 3 * 3 * 2), [3, 3, 3, 2]);
      const xt = tf.tensor4d(x.data, [2, 9, 8, 3]);
      const kt = tf.tensor4d(k.data, [3, 3, 3, 2]);
      expectMatchesTf(conv2d({ input: x, filters: k, strides: [2], padding: 'SAME' }), tf.conv2d(xt, kt, 2, 'same'));
      expectMatchesTf(conv2d({ input: x, filters: k, dilations: [2], padding: 'VALID' }), tf.conv2d(xt, kt, 1, 'valid', 'NHWC', 2));
    });

    it("null strides, dilations and dataFormat are the defaults, as TensorFlow's None (dataFormat null was refused)", () => {
      const rng = caseRng('conv2d null options', 0);
      const x = tensor(rng.floats(1 * 5 * 4 * 2), [1, 5, 4, 2]);
      const k = tensor(rng.floats(2 * 2 * 2 * 3), [2, 2, 2, 3]);
      const expected = tf.conv2d(tf.tensor4d(x.data, [1, 5, 4, 2]), tf.tensor4d(k.data, [2, 2, 2, 3]), 1, 'same');
      const nulls = { strides: null, dilations: null, dataFormat: null } as never;
      expectMatchesTf(conv2d({ input: x, filters: k, padding: 'SAME', ...(nulls as object) }), expected);
    });

    it('SAME puts the odd padding row and column at the bottom and right', () => {
      // 4×4 ramp, 2×2 ones kernel, stride 1: total padding 1 on each axis, all of it after.
      const x = tensor(
        Array.from({ length: 16 }, (_, i) => i),
        [1, 4, 4, 1],
      );
      const k = tensor([1, 1, 1, 1], [2, 2, 1, 1]);
      const out = conv2d({ input: x, filters: k, strides: 1, padding: 'SAME' });
      // Last column sees only column 3 (the pad is on the right); last row only row 3.
      expectTensor(out, [1, 4, 4, 1], [10, 14, 18, 10, 26, 30, 34, 18, 42, 46, 50, 26, 25, 27, 29, 15]);
    });

    it('a NaN or infinite weight reaches every output it touches, even over zero inputs (as tfjs and TF)', () => {
      const x = tensor([0, 0, 1, 0, 0, 0, 0, 0, 0], [1, 3, 3, 1]);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const k = tensor([bad, 1, 1, 1], [2, 2, 1, 1]);
        const expected = tf.conv2d(tf.tensor4d(x.data, [1, 3, 3, 1]), tf.tensor4d(k.data, [2, 2, 1, 1]), 1, 'valid');
        expectMatchesTf(conv2d({ input: x, filters: k, padding: 'VALID' }), expected);
      }
    });

    it('empty batch gives an empty batch', () => {
      const out = conv2d({
        input: new Tensor(new Float32Array(0), [0, 5, 5, 2], 'float32'),
        filters: tensor(new Float32Array(18), [3, 3, 2, 1]),
        padding: 'SAME',
      });
      expect(out.shape).toEqual([0, 5, 5, 1]);
    });

    it('accepts nested arrays and rank-3 input', () => {
      const out = conv2d({
        input: [
          [[1], [2]],
          [[3], [4]],
        ],
        filters: [
          [[[1]], [[1]]],
          [[[1]], [[1]]],
        ],
        padding: 'valid',
      });
      expectTensor(out, [1, 1, 1], [10]);
    });

    it('a dilation far beyond the image reaches only padding: zeros, as in tfjs, without a padded copy of gigabytes', () => {
      const x = tf.randomUniform([1, 4, 5, 2]);
      const w = tf.randomUniform([2, 3, 2, 3]);
      for (const dilations of [30000, [3, 40000] as [number, number]]) {
        const actual = conv2d({
          input: new Tensor(x.dataSync() as Float32Array, x.shape, 'float32'),
          filters: new Tensor(w.dataSync() as Float32Array, w.shape, 'float32'),
          padding: 'SAME',
          dilations,
        });
        expectMatchesTf(
          actual,
          tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', dilations),
          1e-5,
          `dilations ${dilations}`,
        );
      }
    });
  });

  describe('conv2d: properties', () => {
    it('is linear in the kernel: conv(x, a·k1 + k2) = a·conv(x, k1) + conv(x, k2)', () => {
      const geometry = fc.record({
        h: fc.integer({ min: 1, max: 8 }),
        w: fc.integer({ min: 1, max: 8 }),
        cin: fc.integer({ min: 1, max: 3 }),
        cout: fc.integer({ min: 1, max: 3 }),
        k: fc.integer({ min: 1, max: 3 }),
        s: fc.integer({ min: 1, max: 3 }),
        a: fc.double({ min: -4, max: 4, noNaN: true }),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      });
      fc.assert(
        fc.property(geometry, ({ h, w, cin, cout, k, s, a, seed }) => {
          const rng = caseRng('linearity', seed);
          const x = tensor(rng.floats(h * w * cin), [1, h, w, cin]);
          const k1 = tensor(rng.floats(k * k * cin * cout), [k, k, cin, cout]);
          const k2 = tensor(rng.floats(k * k * cin * cout), [k, k, cin, cout]);
          const conv = (f: Tensor) => conv2d({ input: x, filters: f, strides: s, padding: 'SAME' });
          const left = conv(add(mul(k1, a), k2) as Tensor<'float32'>);
          const right = add(mul(conv(k1), a), conv(k2));
          expectClose(left, right, 1e-4, `h=${h} w=${w} cin=${cin} cout=${cout} k=${k} s=${s} a=${a} seed=${seed}`);
        }),
        { numRuns: 100 },
      );
    });
  });

  describe('conv2d: errors', () => {
    const x = tensor(new Float32Array(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    const k = tensor(new Float32Array(3 * 3 * 3 * 2), [3, 3, 3, 2]);
    const cases: [string, () => unknown, RegExp | string][] = [
      [
        'input of rank 2',
        () => conv2d({ input: tensor([[1]]), filters: k, padding: 'SAME' }),
        /^conv2d: 'input' must be rank 3 or 4, got rank 2/,
      ],
      [
        'input of rank 5',
        () => conv2d({ input: tensor(new Float32Array(1), [1, 1, 1, 1, 1]), filters: k, padding: 'SAME' }),
        /'input' must be rank 3 or 4, got rank 5/,
      ],
      [
        'filters of rank 3',
        () => conv2d({ input: x, filters: tensor(new Float32Array(27), [3, 3, 3]), padding: 'SAME' }),
        /^conv2d: 'filters' must be rank 4, got rank 3/,
      ],
      [
        'depth mismatch',
        () => conv2d({ input: x, filters: tensor(new Float32Array(9), [3, 3, 1, 1]), padding: 'SAME' }),
        "conv2d: input depth 3 does not match filters' input depth 1",
      ],
      [
        'NCHW depth mismatch',
        () => conv2d({ input: x, filters: k, padding: 'SAME', dataFormat: 'NCHW' }),
        /^conv2d: input depth 5 does not match filters' input depth 3/,
      ],
      ['unknown padding word', () => conv2d({ input: x, filters: k, padding: 'FULL' as 'SAME' }), /^conv2d: unknown padding "FULL"/],
      ['missing padding', () => conv2d({ input: x, filters: k } as never), /^conv2d: padding is required/],
      [
        'negative padding',
        () =>
          conv2d({
            input: x,
            filters: k,
            padding: [
              [0, 0],
              [-1, 0],
              [0, 0],
              [0, 0],
            ],
          }),
        /^conv2d: explicit padding must be non-negative integers/,
      ],
      [
        'fractional padding',
        () =>
          conv2d({
            input: x,
            filters: k,
            padding: [
              [0, 0],
              [0.5, 0],
              [0, 0],
              [0, 0],
            ],
          }),
        /^conv2d: explicit padding must be non-negative integers/,
      ],
      [
        'nonzero batch padding',
        () =>
          conv2d({
            input: x,
            filters: k,
            padding: [
              [1, 0],
              [0, 0],
              [0, 0],
              [0, 0],
            ],
          }),
        /^conv2d: explicit padding .* must be \[0, 0\] on the batch and channel axes/,
      ],
      [
        'nonzero channel padding',
        () =>
          conv2d({
            input: x,
            filters: k,
            padding: [
              [0, 0],
              [0, 0],
              [0, 0],
              [0, 1],
            ],
          }),
        /^conv2d: explicit padding .* must be \[0, 0\] on the batch and channel axes \(NHWC\)/,
      ],
      [
        'malformed padding',
        () =>
          conv2d({
            input: x,
            filters: k,
            padding: [
              [0, 0],
              [0, 0],
              [0, 0],
            ] as never,
          }),
        /^conv2d: padding must be 'SAME', 'VALID' or a list of \[before, after\] pairs/,
      ],
      [
        'zero stride',
        () => conv2d({ input: x, filters: k, strides: 0, padding: 'SAME' }),
        /^conv2d: strides must be positive integers, got 0/,
      ],
      [
        'explicit padding too large to allocate',
        () =>
          conv2d({
            input: x,
            filters: k,
            padding: [
              [1e9, 1e9],
              [1e9, 1e9],
            ],
          }),
        /^conv2d: cannot allocate .* float32 values .*: the result is too large/,
      ],
      [
        'negative stride',
        () => conv2d({ input: x, filters: k, strides: [1, -2], padding: 'SAME' }),
        /^conv2d: strides must be positive integers, got \[1, -2\]/,
      ],
      [
        'fractional stride',
        () => conv2d({ input: x, filters: k, strides: 1.5, padding: 'SAME' }),
        /^conv2d: strides must be positive integers, got 1.5/,
      ],
      [
        // TensorFlow holds strides and dilations in int32 attributes; a larger value is refused, not wrapped
        'stride beyond int32',
        () => conv2d({ input: x, filters: k, strides: 2 ** 31, padding: 'SAME' }),
        /^conv2d: strides must be at most 2147483647 \(TensorFlow's int32 limit\), got 2147483648/,
      ],
      [
        'dilation of 2^53 − 1 (not exact in float64 arithmetic)',
        () => conv2d({ input: x, filters: k, dilations: [1, Number.MAX_SAFE_INTEGER], padding: 'SAME' }),
        /^conv2d: dilations must be at most 2147483647 \(TensorFlow's int32 limit\), got \[1, 9007199254740991\]/,
      ],
      [
        'stride on the batch axis',
        () => conv2d({ input: x, filters: k, strides: [2, 1, 1, 1], padding: 'SAME' }),
        /^conv2d: strides \[2, 1, 1, 1\] must be 1 on the batch and channel axes/,
      ],
      [
        'stride of 3 elements',
        () => conv2d({ input: x, filters: k, strides: [1, 1, 1] as never, padding: 'SAME' }),
        /^conv2d: strides must be a number, \[h, w\] or a 4-element list/,
      ],
      [
        'zero dilation',
        () => conv2d({ input: x, filters: k, dilations: 0, padding: 'SAME' }),
        /^conv2d: dilations must be positive integers, got 0/,
      ],
      [
        'negative dilation',
        () => conv2d({ input: x, filters: k, dilations: [-1, 1], padding: 'SAME' }),
        /^conv2d: dilations must be positive integers/,
      ],
      [
        'fractional dilation',
        () => conv2d({ input: x, filters: k, dilations: [1, 1.5], padding: 'SAME' }),
        /^conv2d: dilations must be positive integers/,
      ],
      [
        'window larger than input (VALID)',
        () => conv2d({ input: x, filters: tensor(new Float32Array(6 * 3 * 3), [6, 1, 3, 3]), padding: 'VALID' }),
        /^conv2d: window height 6 is larger than the input height 5 under VALID padding/,
      ],
      [
        'dilated window larger than input',
        () => conv2d({ input: x, filters: k, dilations: 3, padding: 'VALID' }),
        /^conv2d: window height 3 \(7 dilated\) is larger than the input height 5 under VALID padding/,
      ],
      [
        'zero-size filters',
        () => conv2d({ input: x, filters: tensor(new Float32Array(0), [0, 3, 3, 2]), padding: 'SAME' }),
        /^conv2d: filters must not have a zero-size dimension, got shape \[0, 3, 3, 2\]/,
      ],
      [
        'zero output channels',
        () => conv2d({ input: x, filters: tensor(new Float32Array(0), [3, 3, 3, 0]), padding: 'SAME' }),
        /^conv2d: filters must not have a zero-size dimension/,
      ],
      [
        'int32 input',
        () => conv2d({ input: constant([[[[1]]]]), filters: tensor([[[[1]]]]), padding: 'SAME' }),
        /^conv2d: 'input' must be float32, got int32 \(convert it with cast\(x, 'float32'\)\)/,
      ],
      [
        'a uint8 image, not converted',
        () => conv2d({ input: tensor(new Uint8Array(4), [1, 2, 2, 1], 'uint8'), filters: tensor([[[[1]]]]), padding: 'SAME' }),
        /^conv2d: 'input' must be float32, got uint8 \(an image: convert it with image\.convertImageDtype\(x, 'float32'\), to 0\.\.1 as the lesson does\)/,
      ],
      [
        'int32 filters',
        () => conv2d({ input: tensor([[[[1]]]]), filters: constant([[[[1]]]]), padding: 'SAME' }),
        /^conv2d: 'filters' must be float32, got int32 .*cast/,
      ],
      [
        'unknown data format',
        () => conv2d({ input: x, filters: k, padding: 'SAME', dataFormat: 'NWHC' as 'NHWC' }),
        /^conv2d: unknown dataFormat "NWHC"/,
      ],
      ['not an options object', () => (conv2d as (a: unknown) => unknown)(x), /^conv2d: expected an options object .*, got a Tensor/],
      ['missing input', () => conv2d({ filters: k, padding: 'SAME' } as never), /^conv2d: argument 'input' is missing/],
    ];
    it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
  });
});
