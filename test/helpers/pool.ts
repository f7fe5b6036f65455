/**
 * Random pooling configurations shared by the max and average pooling tests, compared with
 * TensorFlow.js (NCHW is compared on transposed data, since tfjs pools only NHWC).
 */
import { describe, it } from 'vitest';
import type { Padding, Window2D } from '../../src/ops/conv_util.js';
import type { Pool2DArgs } from '../../src/ops/nn/pool_util.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { caseRng, type Rng } from './random.js';
import { expectMatchesTf, tf } from './tf.js';

interface PoolCase {
  category: string;
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  ksize: [number, number];
  stride: [number, number] | undefined;
  pad: 'SAME' | 'VALID' | [[number, number], [number, number]];
  dataFormat: 'NHWC' | 'NCHW';
  rank3: boolean;
}

export const POOL_CATEGORIES = [
  '1x1',
  '2x2 stride 2 VALID',
  '2x2 stride 2 SAME',
  '3x3 stride 2 SAME',
  'even window',
  'stride [1, 2]',
  'window smaller than stride',
  'window as large as input',
  'window larger than input, SAME',
  'strides default to ksize',
  'empty batch',
  'explicit padding',
  'NCHW',
  'random',
] as const;
export const POOL_CASES_PER_CATEGORY = 20;
export const POOL_RANDOM_CASES = POOL_CATEGORIES.length * POOL_CASES_PER_CATEGORY;

function randomCase(category: (typeof POOL_CATEGORIES)[number], rng: Rng): PoolCase {
  const c: PoolCase = {
    category,
    batch: rng.int(1, 3),
    inHeight: rng.int(1, 20),
    inWidth: rng.int(1, 20),
    channels: rng.int(1, 8),
    ksize: [rng.int(1, 4), rng.int(1, 4)],
    stride: [rng.int(1, 3), rng.int(1, 3)],
    pad: rng.pick(['SAME', 'VALID'] as const),
    dataFormat: 'NHWC',
    rank3: false,
  };
  switch (category) {
    case '1x1':
      c.ksize = [1, 1];
      break;
    case '2x2 stride 2 VALID':
      [c.ksize, c.stride, c.pad] = [[2, 2], [2, 2], 'VALID'];
      break;
    case '2x2 stride 2 SAME':
      [c.ksize, c.stride, c.pad] = [[2, 2], [2, 2], 'SAME'];
      break;
    case '3x3 stride 2 SAME':
      [c.ksize, c.stride, c.pad] = [[3, 3], [2, 2], 'SAME'];
      break;
    case 'even window':
      c.ksize = [rng.pick([2, 4, 6]), rng.pick([2, 4, 6])];
      break;
    case 'stride [1, 2]':
      c.stride = [1, 2];
      break;
    case 'window smaller than stride':
      [c.ksize, c.stride] = [
        [rng.int(1, 2), rng.int(1, 2)],
        [rng.int(3, 4), rng.int(3, 4)],
      ];
      break;
    case 'window as large as input':
      [c.inHeight, c.inWidth] = [rng.int(1, 8), rng.int(1, 8)];
      c.ksize = [c.inHeight, c.inWidth];
      break;
    case 'window larger than input, SAME':
      [c.inHeight, c.inWidth] = [rng.int(1, 4), rng.int(1, 4)];
      [c.ksize, c.pad] = [[c.inHeight + rng.int(1, 3), c.inWidth + rng.int(1, 3)], 'SAME'];
      break;
    case 'strides default to ksize':
      c.stride = undefined;
      break;
    case 'empty batch':
      c.batch = 0;
      break;
    case 'explicit padding':
      // Each pad smaller than the window, so no window lies wholly in the padding.
      c.pad = [
        [rng.int(0, c.ksize[0] - 1), rng.int(0, c.ksize[0] - 1)],
        [rng.int(0, c.ksize[1] - 1), rng.int(0, c.ksize[1] - 1)],
      ];
      break;
    case 'NCHW':
      c.dataFormat = 'NCHW';
      break;
    case 'random':
      c.ksize = [rng.int(1, 7), rng.int(1, 7)];
      c.dataFormat = rng.pick(['NHWC', 'NCHW'] as const);
      break;
  }
  if (c.pad !== 'SAME') {
    const [[t, b], [l, r]] =
      c.pad === 'VALID'
        ? [
            [0, 0],
            [0, 0],
          ]
        : c.pad;
    c.inHeight = Math.max(c.inHeight, c.ksize[0] - t - b);
    c.inWidth = Math.max(c.inWidth, c.ksize[1] - l - r);
  }
  c.rank3 = c.batch === 1 && rng.bool(0.2);
  return c;
}

function windowArg(rng: Rng, [h, w]: [number, number], dataFormat: 'NHWC' | 'NCHW'): Window2D {
  const form = rng.int(h === w ? 0 : 1, 2);
  if (form === 0) return h;
  if (form === 1) return [h, w];
  return dataFormat === 'NHWC' ? [1, h, w, 1] : [1, 1, h, w];
}

function paddingArg(rng: Rng, pad: PoolCase['pad'], dataFormat: 'NHWC' | 'NCHW'): Padding {
  if (typeof pad === 'string') return rng.bool() ? pad : (pad.toLowerCase() as Padding);
  if (rng.bool(0.3)) return pad;
  return dataFormat === 'NHWC' ? [[0, 0], pad[0], pad[1], [0, 0]] : [[0, 0], [0, 0], pad[0], pad[1]];
}

function runCase(kind: 'max' | 'avg', pool: (args: Pool2DArgs) => Tensor, c: PoolCase, rng: Rng, context: string): void {
  const nhwc: [number, number, number, number] = [c.batch, c.inHeight, c.inWidth, c.channels];
  // Negative values too, so a padded cell counted as 0 would show in max pooling.
  const x = rng.floats(
    nhwc.reduce((a, b) => a * b, 1),
    -2,
    1,
  );
  const xNHWC = tf.tensor4d(x, nhwc);
  const xOurs = c.dataFormat === 'NHWC' ? x : (tf.transpose(xNHWC, [0, 3, 1, 2]).dataSync() as Float32Array);
  let ourShape = c.dataFormat === 'NHWC' ? nhwc : [c.batch, c.channels, c.inHeight, c.inWidth];
  if (c.rank3) ourShape = ourShape.slice(1);
  const actual = pool({
    input: new Tensor(xOurs, ourShape, 'float32'),
    ksize: windowArg(rng, c.ksize, c.dataFormat),
    strides: c.stride && windowArg(rng, c.stride, c.dataFormat),
    padding: paddingArg(rng, c.pad, c.dataFormat),
    dataFormat: c.dataFormat === 'NHWC' && rng.bool() ? undefined : c.dataFormat,
  });
  const tfPad = typeof c.pad === 'string' ? (c.pad.toLowerCase() as 'same') : ([[0, 0], c.pad[0], c.pad[1], [0, 0]] as unknown as 'same');
  const tfPool = kind === 'max' ? tf.maxPool : tf.avgPool;
  let expected: tf.Tensor = tfPool(xNHWC, c.ksize, c.stride ?? c.ksize, tfPad);
  if (c.dataFormat === 'NCHW') expected = tf.transpose(expected, [0, 3, 1, 2]);
  if (c.rank3) expected = tf.squeeze(expected, [0]);
  expectMatchesTf(actual, expected, 1e-4, context);
}

/** Declares one test per random configuration of `kind` pooling. */
export function describeRandomPooling(kind: 'max' | 'avg', pool: (args: Pool2DArgs) => Tensor): void {
  describe(`${kind} pooling: ${POOL_RANDOM_CASES} random configurations against tfjs`, () => {
    for (const category of POOL_CATEGORIES) {
      for (let i = 0; i < POOL_CASES_PER_CATEGORY; i++) {
        const rng = caseRng(`${kind}Pool ${category}`, i);
        const c = randomCase(category, rng);
        const context = `${kind}Pool case "${category}" #${i} (seed ${rng.seed}): ${JSON.stringify(c)}`;
        it(`${category} #${i}`, () => runCase(kind, pool, c, rng, context));
      }
    }
  });
}
