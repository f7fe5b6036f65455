import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectClose, expectTensor, maxDiff, reportDiff } from '../../../test/helpers/close.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { caseRng, type Rng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Padding, Window2D } from '../conv_util.js';
import { conv2d } from './conv2d.js';
import { depthwiseConv2d } from './depthwise_conv2d.js';

// ---------------------------------------------------------------------------------------------
// Random configurations against tfjs-core's tf.depthwiseConv2d (fast-check draws them).

type Pair = [number, number];

interface DepthwiseCase {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  multiplier: number;
  filterHeight: number;
  filterWidth: number;
  stride: Pair;
  dilation: Pair;
  /** A word, or explicit [[top, bottom], [left, right]]. */
  pad: 'SAME' | 'VALID' | [Pair, Pair];
  dataFormat: 'NHWC' | 'NCHW';
  rank3: boolean;
  /** Seeds the values and how the arguments are spelt. */
  seed: number;
}

const int = (min: number, max: number) => fc.integer({ min, max });
const pair = (min: number, max: number) => fc.tuple(int(min, max), int(min, max));

const depthwiseCase: fc.Arbitrary<DepthwiseCase> = fc
  .record({
    batch: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 9, arbitrary: int(1, 3) }),
    inHeight: int(1, 10),
    inWidth: int(1, 10),
    inChannels: int(1, 5),
    multiplier: int(1, 3),
    filterHeight: int(1, 5),
    filterWidth: int(1, 5),
    stride: pair(1, 3),
    dilation: fc.oneof({ weight: 2, arbitrary: fc.constant<Pair>([1, 1]) }, { weight: 1, arbitrary: pair(1, 3) }),
    pad: fc.oneof(fc.constantFrom<'SAME' | 'VALID'>('SAME', 'VALID'), fc.tuple(pair(0, 4), pair(0, 4))),
    dataFormat: fc.constantFrom<'NHWC' | 'NCHW'>('NHWC', 'NCHW'),
    rank3: fc.boolean(),
    seed: int(0, 2 ** 31 - 1),
  })
  .map((c) => {
    // unless SAME pads it, the (dilated) window must fit inside the padded input: grow the input if not
    if (c.pad !== 'SAME') {
      const [[t, b], [l, r]] = c.pad === 'VALID' ? [[0, 0] as Pair, [0, 0] as Pair] : c.pad;
      c.inHeight = Math.max(c.inHeight, (c.filterHeight - 1) * c.dilation[0] + 1 - t - b);
      c.inWidth = Math.max(c.inWidth, (c.filterWidth - 1) * c.dilation[1] + 1 - l - r);
    }
    return { ...c, rank3: c.rank3 && c.batch === 1 };
  });

/** Spells a [h, w] window the three ways the API accepts (n, [h, w], or 4 elements). */
function windowArg(rng: Rng, [h, w]: Pair, dataFormat: 'NHWC' | 'NCHW'): Window2D {
  const form = rng.int(h === w ? 0 : 1, 2);
  if (form === 0) return h;
  if (form === 1) return [h, w];
  return dataFormat === 'NHWC' ? [1, h, w, 1] : [1, 1, h, w];
}

/** Spells padding as the API accepts it: a word in either case, or 2 or 4 explicit pairs. */
function paddingArg(rng: Rng, pad: DepthwiseCase['pad'], dataFormat: 'NHWC' | 'NCHW'): Padding {
  if (typeof pad === 'string') return rng.bool() ? pad : (pad.toLowerCase() as Padding);
  if (rng.bool(0.3)) return pad;
  return dataFormat === 'NHWC' ? [[0, 0], pad[0], pad[1], [0, 0]] : [[0, 0], [0, 0], pad[0], pad[1]];
}

/** Compares one case with tfjs (which takes NHWC only: NCHW goes through transposes on its side). */
function compareWithTfjs(c: DepthwiseCase): number {
  const rng = caseRng('depthwise values', c.seed);
  const context = `depthwise case ${JSON.stringify(c)}`;
  const nhwc = [c.batch, c.inHeight, c.inWidth, c.inChannels] as [number, number, number, number];
  const filterShape = [c.filterHeight, c.filterWidth, c.inChannels, c.multiplier] as [number, number, number, number];
  const x = rng.floats(nhwc.reduce((a, b) => a * b, 1));
  const w = rng.floats(filterShape.reduce((a, b) => a * b, 1));
  const xTf = tf.tensor4d(x, nhwc);
  const xOurs = c.dataFormat === 'NHWC' ? x : (tf.transpose(xTf, [0, 3, 1, 2]).dataSync() as Float32Array);
  let ourShape = c.dataFormat === 'NHWC' ? nhwc : [c.batch, c.inChannels, c.inHeight, c.inWidth];
  if (c.rank3) ourShape = ourShape.slice(1);
  const args = {
    input: new Tensor(xOurs, ourShape, 'float32'),
    filter: new Tensor(w, filterShape, 'float32'),
    strides: windowArg(rng, c.stride, c.dataFormat),
    padding: paddingArg(rng, c.pad, c.dataFormat),
    dilations: c.dilation.every((d) => d === 1) && rng.bool() ? undefined : windowArg(rng, c.dilation, c.dataFormat),
    dataFormat: c.dataFormat === 'NHWC' && rng.bool() ? undefined : c.dataFormat,
  };
  const tfPad = typeof c.pad === 'string' ? (c.pad.toLowerCase() as 'same') : ([[0, 0], c.pad[0], c.pad[1], [0, 0]] as never);
  const theirs = () => tf.depthwiseConv2d(xTf, tf.tensor4d(w, filterShape), c.stride, tfPad, 'NHWC', c.dilation);
  if (c.stride.some((s) => s > 1) && c.dilation.some((d) => d > 1)) {
    // refused by tfjs and by TensorFlow's documented contract (its with_space_to_batch path silently misplaces the windows)
    expect(theirs, context).toThrow(/Either strides or dilations must be 1/);
    expectConvlensError(() => depthwiseConv2d(args), /^depthwiseConv2d: strides .* and dilations .* cannot both be greater than 1/);
    return 0;
  }
  const actual = depthwiseConv2d(args);
  let expected = theirs();
  if (c.dataFormat === 'NCHW') expected = tf.transpose(expected, [0, 3, 1, 2]);
  if (c.rank3) expected = tf.squeeze(expected, [0]);
  const worst = maxDiff(actual.data, expected.dataSync());
  expectMatchesTf(actual, expected, 1e-5, context);
  return worst;
}

forEachBackend(() => {
  describe('depthwiseConv2d against tfjs', () => {
    it('random shapes, strides, dilations, paddings, multipliers, NHWC/NCHW and rank 3', () => {
      let worst = 0;
      fc.assert(
        fc.property(depthwiseCase, (c) => {
          worst = Math.max(worst, compareWithTfjs(c));
        }),
        { numRuns: 300, seed: caseRng('depthwise fc', 0).seed },
      );
      reportDiff('depthwiseConv2d vs tf.depthwiseConv2d', worst);
    });

    // TensorFlow's conv test categories, each pinned down once
    const base: DepthwiseCase = {
      batch: 2,
      inHeight: 7,
      inWidth: 6,
      inChannels: 3,
      multiplier: 2,
      filterHeight: 3,
      filterWidth: 3,
      stride: [1, 1],
      dilation: [1, 1],
      pad: 'SAME',
      dataFormat: 'NHWC',
      rank3: false,
      seed: 7,
    };
    const categories: [string, Partial<DepthwiseCase>][] = [
      ['1x1', { filterHeight: 1, filterWidth: 1 }],
      ['1x2', { filterHeight: 1, filterWidth: 2, pad: 'VALID' }],
      ['even kernel', { filterHeight: 4, filterWidth: 2 }],
      ['stride 2 VALID', { stride: [2, 2], pad: 'VALID' }],
      ['stride 2 SAME', { stride: [2, 2] }],
      ['stride [1, 2]', { stride: [1, 2] }],
      ['kernel smaller than stride', { filterHeight: 2, filterWidth: 1, stride: [3, 4] }],
      ['kernel as large as the input', { filterHeight: 7, filterWidth: 6, pad: 'VALID' }],
      ['empty batch', { batch: 0 }],
      ['dilation', { dilation: [2, 3], inWidth: 8, pad: 'VALID' }],
      ['dilation SAME', { dilation: [3, 1] }],
      ['explicit only bottom', { pad: [[0, 3] as Pair, [0, 0] as Pair] }],
      ['explicit only top-right', { pad: [[2, 0] as Pair, [0, 1] as Pair] }],
      ['explicit large', { pad: [[6, 7] as Pair, [8, 5] as Pair] }],
      ['multiplier 1', { multiplier: 1 }],
      ['multiplier 4, one channel', { multiplier: 4, inChannels: 1 }],
      ['NCHW', { dataFormat: 'NCHW', stride: [2, 1] }],
    ];
    it.each(categories)('%s', (_, overrides) => {
      compareWithTfjs({ ...base, ...overrides });
    });
  });

  describe('depthwiseConv2d: hand-worked values', () => {
    // tf.nn.depthwise_conv2d's docstring example: x [1, 3, 2, 1] = 1..6, filter [2, 1, 1, 2]
    const x = tensor([1, 2, 3, 4, 5, 6], [1, 3, 2, 1]);
    const filter = tensor([1, 2, 3, 4], [2, 1, 1, 2]);

    it("TensorFlow's docstring example, VALID", () => {
      const out = depthwiseConv2d({ input: x, filter, strides: [1, 1, 1, 1], padding: 'VALID' });
      expectTensor(out, [1, 2, 2, 2], [10, 14, 14, 20, 18, 26, 22, 32]);
    });

    it("TensorFlow's docstring example, explicit padding above and left", () => {
      const padding: Padding = [
        [0, 0],
        [1, 0],
        [1, 0],
        [0, 0],
      ];
      const out = depthwiseConv2d({ input: x, filter, strides: [1, 1, 1, 1], padding });
      expectTensor(out, [1, 3, 3, 2], [0, 0, 3, 4, 6, 8, 0, 0, 10, 14, 14, 20, 0, 0, 18, 26, 22, 32]);
    });

    it('output channel c · multiplier + m comes from input channel c and filter m', () => {
      // one pixel [1, 10], 1×1 filter[0, 0, c, m] = 2c + m + 1: outputs [1·1, 1·2, 10·3, 10·4]
      const out = depthwiseConv2d({ input: tensor([1, 10], [1, 1, 1, 2]), filter: tensor([1, 2, 3, 4], [1, 1, 2, 2]), padding: 'SAME' });
      expectTensor(out, [1, 1, 1, 4], [1, 2, 30, 40]);
    });

    it('SAME puts the odd padding row and column at the bottom and right, channels kept apart', () => {
      // channel 0 the ramp 0..8 (3×3), channel 1 ten times it; 2×2 ones: each output sums its window's
      // in-bounds cells, e.g. the top left 0 + 1 + 3 + 4 = 8 and the bottom right 8 alone
      const ramp = Array.from({ length: 9 }, (_, i) => [i, 10 * i]).flat();
      const out = depthwiseConv2d({
        input: tensor(ramp, [1, 3, 3, 2]),
        filter: tensor(new Array(8).fill(1), [2, 2, 2, 1]),
        padding: 'same',
      });
      const channel0 = [8, 12, 7, 20, 24, 13, 13, 15, 8];
      expectTensor(
        out,
        [1, 3, 3, 2],
        channel0.flatMap((v) => [v, 10 * v]),
      );
    });

    it('a NaN or infinite weight reaches every output it touches, even over zero inputs (as tfjs)', () => {
      const zeros = tensor(new Float32Array(9), [1, 3, 3, 1]);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const f = tensor([bad, 1, 1, 1], [2, 2, 1, 1]);
        const expected = tf.depthwiseConv2d(tf.tensor4d(zeros.data, [1, 3, 3, 1]), tf.tensor4d(f.data, [2, 2, 1, 1]), 1, 'valid');
        expectMatchesTf(depthwiseConv2d({ input: zeros, filter: f, padding: 'VALID' }), expected);
      }
    });

    it('a dilation far beyond the image reaches only padding: zeros around the centre tap, as in tfjs', () => {
      const xs = tf.randomUniform([1, 4, 5, 2]);
      const w = tf.randomUniform([3, 3, 2, 2]);
      const actual = depthwiseConv2d({
        input: new Tensor(xs.dataSync() as Float32Array, xs.shape, 'float32'),
        filter: new Tensor(w.dataSync() as Float32Array, w.shape, 'float32'),
        padding: 'SAME',
        dilations: 30000,
      });
      expectMatchesTf(actual, tf.depthwiseConv2d(xs as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 30000), 1e-5);
    });

    it('accepts nested arrays', () => {
      const out = depthwiseConv2d({ input: [[[1], [2]]], filter: [[[[1, -1]], [[1, 1]]]], padding: 'valid' });
      expectTensor(out, [1, 1, 2], [3, 1]);
    });
  });

  describe('depthwiseConv2d: properties', () => {
    it('equals conv2d applied to each input channel alone with its filters', () => {
      const geometry = fc.record({
        h: int(1, 7),
        w: int(1, 7),
        channels: int(1, 4),
        multiplier: int(1, 3),
        k: int(1, 3),
        s: int(1, 3),
        pad: fc.constantFrom<'SAME' | 'VALID'>('SAME', 'VALID'),
        seed: int(0, 2 ** 31 - 1),
      });
      fc.assert(
        fc.property(geometry, ({ h, w, channels, multiplier, k, s, pad, seed }) => {
          const rng = caseRng('depthwise as conv2d', seed);
          const [height, width] = pad === 'VALID' ? [Math.max(h, k), Math.max(w, k)] : [h, w];
          const x = tensor(rng.floats(height * width * channels), [1, height, width, channels]);
          const filter = tensor(rng.floats(k * k * channels * multiplier), [k, k, channels, multiplier]);
          const out = depthwiseConv2d({ input: x, filter, strides: s, padding: pad });
          const outChannels = channels * multiplier;
          for (let c = 0; c < channels; c++) {
            const xc = tensor(
              x.data.filter((_, i) => i % channels === c),
              [1, height, width, 1],
            );
            const fc_ = tensor(
              filter.data.filter((_, i) => Math.floor(i / multiplier) % channels === c),
              [k, k, 1, multiplier],
            );
            const expected = conv2d({ input: xc, filters: fc_, strides: s, padding: pad });
            const got = out.data.filter((_, i) => Math.floor((i % outChannels) / multiplier) === c);
            expectClose(
              got,
              expected,
              1e-5,
              `channel ${c} of h=${h} w=${w} C=${channels} M=${multiplier} k=${k} s=${s} ${pad} seed=${seed}`,
            );
          }
        }),
        { numRuns: 100, seed: caseRng('depthwise as conv2d fc', 0).seed },
      );
    });
  });

  describe('depthwiseConv2d: errors', () => {
    const x = tensor(new Float32Array(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    const f = tensor(new Float32Array(3 * 3 * 3 * 2), [3, 3, 3, 2]);
    const cases: [string, () => unknown, RegExp | string][] = [
      [
        'channel mismatch',
        () => depthwiseConv2d({ input: x, filter: tensor(new Float32Array(18), [3, 3, 1, 2]), padding: 'SAME' }),
        "depthwiseConv2d: input depth 3 does not match the filter's input depth 1 (filter shape [3, 3, 1, 2] is [filterHeight, filterWidth, inChannels, channelMultiplier])",
      ],
      [
        'NCHW channel mismatch',
        () => depthwiseConv2d({ input: x, filter: f, padding: 'SAME', dataFormat: 'NCHW' }),
        /^depthwiseConv2d: input depth 5 does not match the filter's input depth 3/,
      ],
      [
        'filter of rank 3',
        () => depthwiseConv2d({ input: x, filter: tensor(new Float32Array(27), [3, 3, 3]), padding: 'SAME' }),
        "depthwiseConv2d: 'filter' must be rank 4, got rank 3 with shape [3, 3, 3]",
      ],
      [
        'zero multiplier',
        () => depthwiseConv2d({ input: x, filter: tensor(new Float32Array(0), [3, 3, 3, 0]), padding: 'SAME' }),
        'depthwiseConv2d: filter must not have a zero-size dimension, got shape [3, 3, 3, 0] ([filterHeight, filterWidth, inChannels, channelMultiplier], each at least 1)',
      ],
      [
        'input of rank 2',
        () => depthwiseConv2d({ input: tensor([[1]]), filter: f, padding: 'SAME' }),
        /^depthwiseConv2d: 'input' must be rank 3 or 4, got rank 2/,
      ],
      [
        'strides and dilations both above 1',
        () => depthwiseConv2d({ input: x, filter: f, strides: 2, dilations: [1, 2], padding: 'SAME' }),
        'depthwiseConv2d: strides 2 and dilations [1, 2] cannot both be greater than 1 (one of them must be 1)',
      ],
      [
        'dilated window larger than the input',
        () => depthwiseConv2d({ input: x, filter: f, dilations: 3, padding: 'VALID' }),
        /^depthwiseConv2d: window height 3 \(7 dilated\) is larger than the input height 5 under VALID padding/,
      ],
      [
        'negative explicit padding',
        () =>
          depthwiseConv2d({
            input: x,
            filter: f,
            padding: [
              [-1, 0],
              [0, 0],
            ],
          }),
        /^depthwiseConv2d: explicit padding must be non-negative integers/,
      ],
      ['missing padding', () => depthwiseConv2d({ input: x, filter: f } as never), /^depthwiseConv2d: padding is required/],
      [
        'int32 filter',
        () => depthwiseConv2d({ input: tensor([[[[1]]]]), filter: constant([[[[1]]]]), padding: 'SAME' }),
        /^depthwiseConv2d: 'filter' must be float32, got int32/,
      ],
      [
        "conv2d's 'filters'",
        () => depthwiseConv2d({ input: x, filters: f, padding: 'SAME' } as never),
        "depthwiseConv2d: unknown option 'filters' (did you mean 'filter'?)",
      ],
      ['missing filter', () => depthwiseConv2d({ input: x, padding: 'SAME' } as never), /^depthwiseConv2d: argument 'filter' is missing/],
    ];
    it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
  });
});
