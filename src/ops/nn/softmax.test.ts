import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectClose } from '../../../test/helpers/close.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { caseRng } from '../../../test/helpers/random.js';
import { expectMatchesTf, tf } from '../../../test/helpers/tf.js';
import { constant, tensor } from '../../tensor/create.js';
import { sum } from '../reduce.js';
import { softmax } from './softmax.js';

const RANDOM_CASES = 150;

forEachBackend(() => {
  describe(`softmax: ${RANDOM_CASES} random tensors and axes against tfjs`, () => {
    for (let i = 0; i < RANDOM_CASES; i++) {
      const rng = caseRng('softmax', i);
      const shape = rng.shape(1, 4, 1, 6);
      const rank = shape.length;
      const axis = rng.int(-rank, rank - 1);
      const useDefault = axis === -1 && rng.bool();
      it(`#${i} [${shape}] axis ${useDefault ? 'default' : axis}`, () => {
        const values = rng.floats(
          shape.reduce((a, b) => a * b, 1),
          -20,
          20,
        );
        const actual = useDefault ? softmax(tensor(values, shape)) : softmax(tensor(values, shape), axis);
        // tfjs only does softmax over the last axis: move the axis last there and back.
        const a = axis < 0 ? axis + rank : axis;
        const perm = [...shape.keys()].filter((d) => d !== a).concat(a);
        const inverse = perm.map((_, d) => perm.indexOf(d));
        const expected = tf.transpose(tf.softmax(tf.transpose(tf.tensor(values, shape), perm)), inverse);
        expectMatchesTf(actual, expected, 1e-5, `softmax #${i} seed ${rng.seed}`);
      });
    }
  });

  it("null axis is the last axis, as tf.nn.softmax's axis=None (it was refused as out of range)", () => {
    const x = tensor(new Float32Array([1, 2, 3, -1, 0, 4]), [2, 3]);
    expectMatchesTf(softmax(x, null), tf.softmax(tf.tensor2d([1, 2, 3, -1, 0, 4], [2, 3]), -1), 1e-6);
  });

  it('rows sum to 1 and large logits do not overflow', () => {
    const out = softmax(
      tensor([
        [1000, 1000],
        [-1000, 0],
      ]),
    );
    expectClose(out, [0.5, 0.5, 0, 1]);
    expectClose(sum(out, 1), [1, 1]);
  });

  it('keeps the shape of an axis of length 1 (all ones)', () => {
    expect(softmax(tensor([[3], [4]]), 1).array()).toEqual([[1], [1]]);
  });

  it('errors: bad axis, integer logits, a scalar', () => {
    expectConvlensError(() => softmax(tensor([1, 2]), 1), /^softmax: axis 1 is out of range for a tensor of rank 1/);
    expectConvlensError(() => softmax(tensor([1, 2]), 0.5), /^softmax: axis 0.5 is out of range/);
    expectConvlensError(() => softmax(constant([1, 2])), /^softmax: 'logits' must be float32, got int32/);
    expectConvlensError(() => softmax(tensor(1)), /^softmax: 'logits' must have rank 1 or more, got a scalar/);
  });
});
