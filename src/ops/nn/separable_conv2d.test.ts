import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectClose, expectTensor, maxDiff, reportDiff } from '../../../test/helpers/close.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { caseRng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Padding } from '../conv_util.js';
import { conv2d } from './conv2d.js';
import { separableConv2d } from './separable_conv2d.js';

type Pair = [number, number];

interface SeparableCase {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  multiplier: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  stride: Pair;
  dilation: Pair;
  /** A word, or explicit [[top, bottom], [left, right]]. */
  pad: 'SAME' | 'VALID' | [Pair, Pair];
  dataFormat: 'NHWC' | 'NCHW';
  rank3: boolean;
  seed: number;
}

const int = (min: number, max: number) => fc.integer({ min, max });
const pair = (min: number, max: number) => fc.tuple(int(min, max), int(min, max));

const separableCase: fc.Arbitrary<SeparableCase> = fc
  .record({
    batch: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 9, arbitrary: int(1, 3) }),
    inHeight: int(1, 9),
    inWidth: int(1, 9),
    inChannels: int(1, 4),
    multiplier: int(1, 3),
    outChannels: int(1, 4),
    filterHeight: int(1, 4),
    filterWidth: int(1, 4),
    stride: pair(1, 3),
    dilation: fc.oneof({ weight: 2, arbitrary: fc.constant<Pair>([1, 1]) }, { weight: 1, arbitrary: pair(1, 3) }),
    pad: fc.oneof(fc.constantFrom<'SAME' | 'VALID'>('SAME', 'VALID'), fc.tuple(pair(0, 3), pair(0, 3))),
    dataFormat: fc.constantFrom<'NHWC' | 'NCHW'>('NHWC', 'NCHW'),
    rank3: fc.boolean(),
    seed: int(0, 2 ** 31 - 1),
  })
  .map((c) => {
    // unless SAME pads it, the (dilated) window must fit inside the padded input
    if (c.pad !== 'SAME') {
      const [[t, b], [l, r]] = c.pad === 'VALID' ? [[0, 0] as Pair, [0, 0] as Pair] : c.pad;
      c.inHeight = Math.max(c.inHeight, (c.filterHeight - 1) * c.dilation[0] + 1 - t - b);
      c.inWidth = Math.max(c.inWidth, (c.filterWidth - 1) * c.dilation[1] + 1 - l - r);
    }
    return { ...c, rank3: c.rank3 && c.batch === 1 };
  });

/** Compares one case with tf.separableConv2d (NHWC only in tfjs: NCHW goes through transposes on its side). */
function compareWithTfjs(c: SeparableCase): number {
  const rng = caseRng('separable values', c.seed);
  const context = `separable case ${JSON.stringify(c)}`;
  const nhwc: [number, number, number, number] = [c.batch, c.inHeight, c.inWidth, c.inChannels];
  const depthwiseShape: [number, number, number, number] = [c.filterHeight, c.filterWidth, c.inChannels, c.multiplier];
  const pointwiseShape: [number, number, number, number] = [1, 1, c.inChannels * c.multiplier, c.outChannels];
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const x = rng.floats(size(nhwc));
  const depthwise = rng.floats(size(depthwiseShape));
  const pointwise = rng.floats(size(pointwiseShape));
  const xTf = tf.tensor4d(x, nhwc);
  const xOurs = c.dataFormat === 'NHWC' ? x : (tf.transpose(xTf, [0, 3, 1, 2]).dataSync() as Float32Array);
  let ourShape = c.dataFormat === 'NHWC' ? nhwc : [c.batch, c.inChannels, c.inHeight, c.inWidth];
  if (c.rank3) ourShape = ourShape.slice(1);
  const padding: Padding =
    typeof c.pad === 'string'
      ? rng.pick([c.pad, c.pad.toLowerCase() as Padding])
      : c.dataFormat === 'NHWC'
        ? [[0, 0], c.pad[0], c.pad[1], [0, 0]]
        : [[0, 0], [0, 0], c.pad[0], c.pad[1]];
  const args = {
    input: new Tensor(xOurs, ourShape, 'float32'),
    depthwiseFilter: new Tensor(depthwise, depthwiseShape, 'float32'),
    pointwiseFilter: new Tensor(pointwise, pointwiseShape, 'float32'),
    strides: c.stride,
    padding,
    dilations: c.dilation,
    dataFormat: c.dataFormat,
  };
  const tfPad = typeof c.pad === 'string' ? (c.pad.toLowerCase() as 'same') : ([[0, 0], c.pad[0], c.pad[1], [0, 0]] as never);
  const theirs = () =>
    tf.separableConv2d(xTf, tf.tensor4d(depthwise, depthwiseShape), tf.tensor4d(pointwise, pointwiseShape), c.stride, tfPad, c.dilation);
  if (c.stride.some((s) => s > 1) && c.dilation.some((d) => d > 1)) {
    expect(theirs, context).toThrow(/Either strides or dilations must be 1/);
    expectConvlensError(() => separableConv2d(args), /^separableConv2d: strides .* and dilations .* cannot both be greater than 1/);
    return 0;
  }
  const actual = separableConv2d(args);
  let expected = theirs();
  if (c.dataFormat === 'NCHW') expected = tf.transpose(expected, [0, 3, 1, 2]);
  if (c.rank3) expected = tf.squeeze(expected, [0]);
  const worst = maxDiff(actual.data, expected.dataSync());
  expectMatchesTf(actual, expected, 1e-5, context);
  return worst;
}

forEachBackend(() => {
  describe('separableConv2d against tfjs', () => {
    it('random shapes, strides, dilations, paddings, multipliers, output depths, NHWC/NCHW and rank 3', () => {
      let worst = 0;
      fc.assert(
        fc.property(separableCase, (c) => {
          worst = Math.max(worst, compareWithTfjs(c));
        }),
        { numRuns: 200, seed: caseRng('separable fc', 0).seed },
      );
      reportDiff('separableConv2d vs tf.separableConv2d', worst);
    });
  });

  describe('separableConv2d: hand-worked values and properties', () => {
    it("TensorFlow's depthwise docstring example, then a 1×1 step taking channel 0 minus channel 1", () => {
      // the depthwise step gives [10, 14], [14, 20], [18, 26], [22, 32] (tf.nn.depthwise_conv2d's docstring)
      const out = separableConv2d({
        input: tensor([1, 2, 3, 4, 5, 6], [1, 3, 2, 1]),
        depthwiseFilter: tensor([1, 2, 3, 4], [2, 1, 1, 2]),
        pointwiseFilter: tensor([1, -1], [1, 1, 2, 1]),
        padding: 'VALID',
      });
      expectTensor(out, [1, 2, 2, 1], [-4, -6, -8, -10]);
    });

    it('an image with no rows or columns under SAME padding gives an empty result, as depthwiseConv2d and tfjs do', () => {
      // tf.separableConv2d(zeros([1, 0, 4, 2]), ones([2, 2, 2, 1]), ones([1, 1, 2, 3]), 1, 'same') has shape [1, 0, 4, 3];
      // the 1×1 step used to be checked as a VALID conv2d, which refused the empty depthwise result naming conv2d
      const pointwiseFilter = tensor(new Float32Array(6), [1, 1, 2, 3]);
      const depthwiseFilter = tensor(new Float32Array(8), [2, 2, 2, 1]);
      for (const shape of [
        [1, 0, 4, 2],
        [2, 3, 0, 2],
      ]) {
        const out = separableConv2d({ input: tensor(new Float32Array(0), shape), depthwiseFilter, pointwiseFilter, padding: 'SAME' });
        const theirs = tf.separableConv2d(
          tf.zeros(shape as [number, number, number, number]) as tf.Tensor4D,
          tf.ones([2, 2, 2, 1]),
          tf.ones([1, 1, 2, 3]),
          1,
          'same',
        );
        expect(out.shape).toEqual(theirs.shape);
        expect(out.shape).toEqual([...shape.slice(0, 3), 3]);
      }
    });

    it('equals conv2d with the combined kernel K[i, j, c, o] = Σm depthwise[i, j, c, m] · pointwise[c · M + m, o]', () => {
      const geometry = fc.record({
        h: int(1, 7),
        w: int(1, 7),
        channels: int(1, 3),
        multiplier: int(1, 3),
        outChannels: int(1, 3),
        k: int(1, 3),
        s: int(1, 2),
        pad: fc.constantFrom<'SAME' | 'VALID'>('SAME', 'VALID'),
        seed: int(0, 2 ** 31 - 1),
      });
      fc.assert(
        fc.property(geometry, ({ h, w, channels, multiplier, outChannels, k, s, pad, seed }) => {
          const rng = caseRng('separable as conv2d', seed);
          const [height, width] = pad === 'VALID' ? [Math.max(h, k), Math.max(w, k)] : [h, w];
          const x = tensor(rng.floats(height * width * channels), [1, height, width, channels]);
          const depthwise = rng.floats(k * k * channels * multiplier);
          const pointwise = rng.floats(channels * multiplier * outChannels);
          const combined = new Float32Array(k * k * channels * outChannels);
          for (let tap = 0; tap < k * k; tap++)
            for (let c = 0; c < channels; c++)
              for (let o = 0; o < outChannels; o++)
                for (let m = 0; m < multiplier; m++) {
                  combined[(tap * channels + c) * outChannels + o] +=
                    depthwise[(tap * channels + c) * multiplier + m] * pointwise[(c * multiplier + m) * outChannels + o];
                }
          const out = separableConv2d({
            input: x,
            depthwiseFilter: tensor(depthwise, [k, k, channels, multiplier]),
            pointwiseFilter: tensor(pointwise, [1, 1, channels * multiplier, outChannels]),
            strides: s,
            padding: pad,
          });
          const expected = conv2d({ input: x, filters: tensor(combined, [k, k, channels, outChannels]), strides: s, padding: pad });
          expect(out.shape).toEqual(expected.shape);
          expectClose(
            out,
            expected,
            1e-4,
            `h=${h} w=${w} C=${channels} M=${multiplier} O=${outChannels} k=${k} s=${s} ${pad} seed=${seed}`,
          );
        }),
        { numRuns: 100, seed: caseRng('separable as conv2d fc', 0).seed },
      );
    });
  });

  describe('separableConv2d: errors', () => {
    const x = tensor(new Float32Array(2 * 5 * 5 * 3), [2, 5, 5, 3]);
    const depthwiseFilter = tensor(new Float32Array(3 * 3 * 3 * 2), [3, 3, 3, 2]);
    const pointwiseFilter = tensor(new Float32Array(6 * 4), [1, 1, 6, 4]);
    const cases: [string, () => unknown, RegExp | string][] = [
      [
        'depthwise channel mismatch',
        () => separableConv2d({ input: x, depthwiseFilter: tensor(new Float32Array(18), [3, 3, 1, 2]), pointwiseFilter, padding: 'SAME' }),
        "separableConv2d: input depth 3 does not match the depthwiseFilter's input depth 1 (depthwiseFilter shape [3, 3, 1, 2] is [filterHeight, filterWidth, inChannels, channelMultiplier])",
      ],
      [
        'pointwise not 1×1',
        () =>
          separableConv2d({ input: x, depthwiseFilter, pointwiseFilter: tensor(new Float32Array(9 * 24), [3, 3, 6, 4]), padding: 'SAME' }),
        'separableConv2d: pointwiseFilter must be 1×1, got shape [3, 3, 6, 4] (expected [1, 1, inChannels · channelMultiplier, outChannels])',
      ],
      [
        'pointwise depth mismatch',
        () => separableConv2d({ input: x, depthwiseFilter, pointwiseFilter: tensor(new Float32Array(12), [1, 1, 3, 4]), padding: 'SAME' }),
        "separableConv2d: pointwiseFilter's input depth 3 does not match the depthwise step's output depth 6 (inChannels 3 · channelMultiplier 2; pointwiseFilter shape [1, 1, 3, 4] is [1, 1, inChannels · channelMultiplier, outChannels])",
      ],
      [
        'no output channel',
        () => separableConv2d({ input: x, depthwiseFilter, pointwiseFilter: tensor(new Float32Array(0), [1, 1, 6, 0]), padding: 'SAME' }),
        'separableConv2d: pointwiseFilter must have at least 1 output channel, got shape [1, 1, 6, 0]',
      ],
      [
        'zero-size depthwise filter',
        () => separableConv2d({ input: x, depthwiseFilter: tensor(new Float32Array(0), [0, 3, 3, 2]), pointwiseFilter, padding: 'SAME' }),
        /^separableConv2d: depthwiseFilter must not have a zero-size dimension, got shape \[0, 3, 3, 2\]/,
      ],
      [
        'pointwise filter of rank 2',
        () => separableConv2d({ input: x, depthwiseFilter, pointwiseFilter: tensor(new Float32Array(24), [6, 4]), padding: 'SAME' }),
        "separableConv2d: 'pointwiseFilter' must be rank 4, got rank 2 with shape [6, 4]",
      ],
      [
        'strides and dilations both above 1',
        () => separableConv2d({ input: x, depthwiseFilter, pointwiseFilter, strides: 2, dilations: 2, padding: 'SAME' }),
        'separableConv2d: strides 2 and dilations 2 cannot both be greater than 1 (one of them must be 1)',
      ],
      [
        'window larger than the input',
        () => separableConv2d({ input: x, depthwiseFilter, pointwiseFilter, dilations: 3, padding: 'VALID' }),
        /^separableConv2d: window height 3 \(7 dilated\) is larger than the input height 5 under VALID padding/,
      ],
      [
        'missing padding',
        () => separableConv2d({ input: x, depthwiseFilter, pointwiseFilter } as never),
        /^separableConv2d: padding is required/,
      ],
      [
        'int32 pointwise filter',
        () => separableConv2d({ input: x, depthwiseFilter, pointwiseFilter: constant([[[[1]]]]), padding: 'SAME' }),
        /^separableConv2d: 'pointwiseFilter' must be float32, got int32/,
      ],
      [
        "depthwiseConv2d's 'filter'",
        () => separableConv2d({ input: x, filter: depthwiseFilter, pointwiseFilter, padding: 'SAME' } as never),
        /^separableConv2d: unknown option 'filter' \(expected one of input, depthwiseFilter, pointwiseFilter/,
      ],
      [
        'explicit padding too large to allocate',
        () =>
          separableConv2d({
            input: x,
            depthwiseFilter,
            pointwiseFilter,
            padding: [
              [1e9, 1e9],
              [1e9, 1e9],
            ],
          }),
        /^separableConv2d: cannot allocate .* float32 values .*: the result is too large/,
      ],
      [
        'missing pointwise filter',
        () => separableConv2d({ input: x, depthwiseFilter, padding: 'SAME' } as never),
        /^separableConv2d: argument 'pointwiseFilter' is missing/,
      ],
    ];
    it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
  });
});
