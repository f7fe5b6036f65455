import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng } from '../../test/helpers/random.js';
import { expectMatchesTf, tf, toTf } from '../../test/helpers/tf.js';
import { tensor } from '../tensor/create.js';
import { expandDims } from './expand_dims.js';

forEachBackend(() => {
  describe('expandDims: every axis in [-rank-1, rank] of random shapes, against tfjs', () => {
    for (let i = 0; i < 20; i++) {
      const rng = caseRng('expandDims', i);
      const shape = rng.shape(0, 4, 1, 4);
      for (let axis = -shape.length - 1; axis <= shape.length; axis++) {
        it(`[${shape}] axis ${axis}`, () => {
          const x = tensor(rng.floats(shape.reduce((a, b) => a * b, 1)), shape);
          expectMatchesTf(expandDims(x, axis), tf.expandDims(toTf(x), axis), 0, `expandDims seed ${rng.seed}`);
        });
      }
    }
  });

  it('defaults to axis 0 (the lesson adds the batch axis) and shares the data', () => {
    const x = tensor([1, 2, 3]);
    const out = expandDims(x);
    expect(out.shape).toEqual([1, 3]);
    expect(expandDims(x, -1).shape).toEqual([3, 1]);
    expect(out.data).toBe(x.data);
  });

  it('rejects an axis outside [-rank-1, rank]', () => {
    expectConvlensError(
      () => expandDims(tensor([1, 2]), 2),
      /^expandDims: axis 2 is out of range for a tensor of rank 1 \(expected an integer in \[-2, 1\]\)/,
    );
    expectConvlensError(() => expandDims(tensor([1, 2]), -3), /^expandDims: axis -3 is out of range/);
    expectConvlensError(() => expandDims(tensor([1, 2]), 0.5), /^expandDims: axis 0.5 is out of range/);
  });
});

describe('expandDims past the largest rank', () => {
  it("refuses a 255th axis, as TensorFlow's 254-dimension limit does (a deeper tensor's array() overflowed the stack)", () => {
    expect(expandDims(tensor([1], new Array(253).fill(1)), 0).rank).toBe(254);
    expectConvlensError(
      () => expandDims(tensor([1], new Array(254).fill(1)), 0),
      /^expandDims: x of shape \[1, 1, .*\] has rank 254: one more axis would exceed TensorFlow's largest rank, 254$/,
    );
  });
});
