import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectClose } from '../../../test/helpers/close.js';
import { expectConvlensError, sparse } from '../../../test/helpers/errors.js';
import { caseRng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../../test/helpers/tf.js';
import { Tensor } from '../../tensor/tensor.js';
import { conv2d } from './conv2d.js';
import { conv2dTranspose } from './conv2d_transpose.js';

const random = (seed: number, shape: number[]) =>
  new Tensor(
    caseRng('conv2dTranspose', seed).floats(
      shape.reduce((a, b) => a * b, 1),
      -1,
      1,
    ),
    shape,
    'float32',
  );

/** The output sizes conv2d takes back to `inSize`: for SAME, ceil(size / stride) = in; for VALID, floor((size − k) / stride) + 1 = in. */
function outputSizes(inSize: number, kernel: number, stride: number, padding: 'SAME' | 'VALID'): number[] {
  const first = padding === 'SAME' ? (inSize - 1) * stride + 1 : (inSize - 1) * stride + kernel;
  return Array.from({ length: stride }, (_, i) => first + i);
}

forEachBackend(() => {
  describe('conv2dTranspose', () => {
    it("matches tfjs' conv2dTranspose on random shapes, strides, paddings and every output size a stride allows", () => {
      const cases = fc.record({
        batch: fc.integer({ min: 1, max: 2 }),
        inHeight: fc.integer({ min: 1, max: 5 }),
        inWidth: fc.integer({ min: 1, max: 5 }),
        inChannels: fc.integer({ min: 1, max: 3 }),
        outChannels: fc.integer({ min: 1, max: 3 }),
        kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
        strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        padding: fc.constantFrom('SAME' as const, 'VALID' as const),
        pick: fc.tuple(fc.nat(), fc.nat()),
        seed: fc.nat(1000),
      });
      fc.assert(
        fc.property(cases, (c) => {
          const heights = outputSizes(c.inHeight, c.kernel[0], c.strides[0], c.padding);
          const widths = outputSizes(c.inWidth, c.kernel[1], c.strides[1], c.padding);
          const outputShape = [c.batch, heights[c.pick[0] % heights.length], widths[c.pick[1] % widths.length], c.outChannels];
          const input = random(c.seed, [c.batch, c.inHeight, c.inWidth, c.inChannels]);
          const filters = random(c.seed + 1, [...c.kernel, c.outChannels, c.inChannels]);
          const ours = conv2dTranspose({ input, filters, outputShape, strides: c.strides, padding: c.padding });
          const theirs = tf.conv2dTranspose(
            tf.tensor4d(input.data, input.shape as [number, number, number, number]),
            tf.tensor4d(filters.data, filters.shape as [number, number, number, number]),
            outputShape as [number, number, number, number],
            c.strides,
            c.padding === 'SAME' ? 'same' : 'valid',
          );
          expectMatchesTf(ours, theirs, 1e-4, JSON.stringify(c));
        }),
        { numRuns: 60, seed: 7 },
      );
    });

    it('is the adjoint of conv2d (⟨conv2d(a), b⟩ = ⟨a, conv2dTranspose(b)⟩), with dilations and explicit padding too', () => {
      const settings = [
        { strides: 1, dilations: 2, padding: 'SAME' as const },
        { strides: [2, 1] as [number, number], dilations: 1, padding: 'VALID' as const },
        {
          strides: 2,
          dilations: 1,
          padding: [
            [0, 0],
            [1, 2],
            [0, 1],
            [0, 0],
          ] as [number, number][],
        },
      ];
      for (const [i, s] of settings.entries()) {
        const a = random(10 + i, [2, 7, 6, 3]);
        const filters = random(20 + i, [3, 2, 3, 4]);
        const convolved = conv2d({ input: a, filters, ...s });
        const b = random(30 + i, convolved.shape);
        const back = conv2dTranspose({ input: b, filters, outputShape: a.shape, ...s });
        const dot = (x: Tensor<'float32'>, y: Tensor<'float32'>) => x.data.reduce((sum, v, j) => sum + v * y.data[j], 0);
        expectClose([dot(convolved, b)], [dot(a, back)], 1e-5, JSON.stringify(s));
      }
    });

    it("takes NCHW (as tf.nn.conv2d_transpose's data_format), with strides and padding in that axis order", () => {
      const input = random(50, [2, 3, 4, 3]); // NHWC [batch, 3, 4, inChannels 3]
      const filters = random(51, [3, 2, 2, 3]);
      const xt = tf.tensor4d(input.data, [2, 3, 4, 3]);
      const ft = tf.tensor4d(filters.data, [3, 2, 2, 3]);
      const toNchw = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]);
      const nchwInput = new Tensor(toNchw(xt).dataSync() as Float32Array, [2, 3, 3, 4], 'float32');
      const same = conv2dTranspose({
        input: nchwInput,
        filters,
        outputShape: [2, 2, 6, 8],
        strides: [1, 1, 2, 2],
        padding: 'SAME',
        dataFormat: 'NCHW',
      });
      expectMatchesTf(same, toNchw(tf.conv2dTranspose(xt, ft, [2, 6, 8, 2], 2, 'same')));
      const explicit = [
        [0, 0],
        [0, 0],
        [1, 0],
        [0, 1],
      ] as [number, number][];
      const padded = conv2dTranspose({ input: nchwInput, filters, outputShape: [2, 2, 4, 4], padding: explicit, dataFormat: 'NCHW' });
      const tfPadding = [explicit[0], explicit[2], explicit[3], explicit[1]] as [
        [number, number],
        [number, number],
        [number, number],
        [number, number],
      ];
      expectMatchesTf(padded, toNchw(tf.conv2dTranspose(xt, ft, [2, 4, 4, 2], 1, tfPadding)));
      // without a batch axis, and 'NHWC' named explicitly
      const one = new Tensor(nchwInput.data.slice(0, 36), [3, 3, 4], 'float32');
      expect(
        Array.from(conv2dTranspose({ input: one, filters, outputShape: [2, 6, 8], strides: 2, padding: 'SAME', dataFormat: 'NCHW' }).data),
      ).toEqual(Array.from(same.data.slice(0, 96)));
      const nhwc = conv2dTranspose({ input, filters, outputShape: [2, 6, 8, 2], strides: 2, padding: 'SAME', dataFormat: 'NHWC' });
      expectMatchesTf(nhwc, tf.conv2dTranspose(xt, ft, [2, 6, 8, 2], 2, 'same'));
      expectConvlensError(
        () => conv2dTranspose({ input: nchwInput, filters, outputShape: [2, 6, 8, 2], strides: 2, padding: 'SAME', dataFormat: 'NCHW' }),
        "conv2dTranspose: outputShape depth 6 does not match filters' output depth 2 (filters are [height, width, out, in])",
      );
      expectConvlensError(
        () => conv2dTranspose({ input, filters, outputShape: [2, 6, 8, 2], padding: 'SAME', dataFormat: 'CHWN' as 'NCHW' }),
        /^conv2dTranspose: unknown dataFormat "CHWN"/,
      );
    });

    it('takes an image without a batch axis, and names what does not fit', () => {
      const input = random(40, [2, 2, 1]);
      const filters = random(41, [3, 3, 2, 1]);
      expect(conv2dTranspose({ input, filters, outputShape: [4, 4, 2], strides: 2, padding: 'SAME' }).shape).toEqual([4, 4, 2]);
      expectConvlensError(
        () => conv2dTranspose({ input, filters, outputShape: [6, 4, 2], strides: 2, padding: 'SAME' }),
        "conv2dTranspose: outputShape [6, 4, 2] does not fit the input: conv2d with these filters, strides and padding takes 6×4 to 3×2, not to the input's 2×2",
      );
      expectConvlensError(
        () => conv2dTranspose({ input, filters: random(42, [3, 3, 2, 3]), outputShape: [4, 4, 2], strides: 2, padding: 'SAME' }),
        "conv2dTranspose: input depth 1 does not match filters' input depth 3 (filters are [height, width, out, in])",
      );
      expectConvlensError(
        () => conv2dTranspose({ input, filters, outputShape: [4, 4, 5], strides: 2, padding: 'SAME' }),
        "conv2dTranspose: outputShape depth 5 does not match filters' output depth 2 (filters are [height, width, out, in])",
      );
      expectConvlensError(
        () => conv2dTranspose({ input, filters, outputShape: [1, 4, 4, 2], strides: 2, padding: 'SAME' }),
        'conv2dTranspose: outputShape must be [height, width, channels] (the input has no batch axis) of whole numbers, got [1, 4, 4, 2]',
      );
      expectConvlensError(() => conv2dTranspose({ input, filters, outputShape: [4, 4, 2] } as never), /padding is required/);
    });
  });
});

describe('conv2dTranspose: a sparse outputShape', () => {
  it('is refused as not whole numbers (was an outputShape mismatch of 4×undefined to 4×NaN)', () =>
    expectConvlensError(
      () =>
        conv2dTranspose({
          input: new Tensor(new Float32Array(16), [1, 4, 4, 1], 'float32'),
          filters: new Tensor(new Float32Array(1), [1, 1, 1, 1], 'float32'),
          outputShape: sparse(4, { 0: 1, 1: 4, 3: 1 }),
          padding: 'SAME',
        }),
      /^conv2dTranspose: outputShape must be \[batch, height, width, channels\] of whole numbers, got \[1, 4, , 1\]$/,
    ));
});
