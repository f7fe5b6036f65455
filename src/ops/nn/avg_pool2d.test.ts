import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectTensor } from '../../../test/helpers/close.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { describeRandomPooling } from '../../../test/helpers/pool.js';
import { constant, tensor } from '../../tensor/create.js';
import { avgPool2d } from './avg_pool2d.js';

forEachBackend(() => {
  describeRandomPooling('avg', avgPool2d);

  describe('avgPool2d: known values', () => {
    it('averages over the unpadded cells only (SAME)', () => {
      const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      // 2×2 windows, stride 2: the right column and bottom row are padded and not counted.
      expectTensor(avgPool2d({ input: x, ksize: 2, strides: 2, padding: 'SAME' }), [1, 2, 2, 1], [3, 4.5, 7.5, 9]);
    });

    it('averages over the unpadded cells only (explicit)', () => {
      const x = tensor([2, 4, 6, 8], [1, 2, 2, 1]);
      const out = avgPool2d({
        input: x,
        ksize: 2,
        strides: 1,
        padding: [
          [1, 0],
          [1, 0],
        ],
      });
      expectTensor(out, [1, 2, 2, 1], [2, 3, 4, 5]);
    });

    it('divides each window sum by its count, as TensorFlow and tfjs do, in every channel', () => {
      // 5 / 3 as float32 is 1.6666666; 5 × float32(1 / 3) is 1.6666667. Five channels: the
      // wasm kernel runs four at a time and the fifth alone, and both must divide.
      const x = tensor([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], [1, 1, 3, 5]);
      const out = avgPool2d({ input: x, ksize: [1, 3], padding: 'VALID' });
      expect(Array.from(out.data)).toEqual(new Array(5).fill(Math.fround(5 / 3)));
    });

    it('pools NCHW input over its spatial axes', () => {
      const x = tensor([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
      expectTensor(avgPool2d({ input: x, ksize: [1, 1, 2, 2], strides: 2, padding: 'VALID', dataFormat: 'NCHW' }), [1, 2, 1, 1], [2.5, 25]);
    });
  });

  describe('avgPool2d: errors', () => {
    const x = tensor(new Float32Array(9), [1, 3, 3, 1]);
    const cases: [string, () => unknown, RegExp][] = [
      [
        'input of rank 5',
        () => avgPool2d({ input: tensor(new Float32Array(1), [1, 1, 1, 1, 1]), ksize: 1, padding: 'SAME' }),
        /^avgPool2d: 'input' must be rank 3 or 4, got rank 5/,
      ],
      [
        'int32 input',
        () => avgPool2d({ input: constant([[[1]]]), ksize: 1, padding: 'SAME' }),
        /^avgPool2d: 'input' must be float32, got int32/,
      ],
      ['zero ksize', () => avgPool2d({ input: x, ksize: [0, 1], padding: 'SAME' }), /^avgPool2d: ksize must be positive integers/],
      [
        'fractional stride',
        () => avgPool2d({ input: x, ksize: 1, strides: [1, 0.5], padding: 'SAME' }),
        /^avgPool2d: strides must be positive integers/,
      ],
      ['unknown padding', () => avgPool2d({ input: x, ksize: 1, padding: 'CAUSAL' as 'SAME' }), /^avgPool2d: unknown padding "CAUSAL"/],
      [
        'window larger than input (VALID)',
        () => avgPool2d({ input: x, ksize: 4, padding: 'VALID' }),
        /^avgPool2d: window height 4 is larger than the input height 3 under VALID padding/,
      ],
      [
        'unknown data format',
        () => avgPool2d({ input: x, ksize: 1, padding: 'SAME', dataFormat: 'CHWN' as 'NCHW' }),
        /^avgPool2d: unknown dataFormat "CHWN"/,
      ],
    ];
    it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
  });
});
