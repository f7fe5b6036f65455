import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { MaxNorm, MinMaxNorm, NonNeg, UnitNorm } from './constraints.js';
import { l1, l1l2, l2 } from './regularizers.js';

// The penalties and constraints alone, against Keras' formulas written with tfjs-core (and its
// gradients): l1·Σ|x| + l2·Σx²; MaxNorm, UnitNorm, MinMaxNorm along any axes, NonNeg.

describe('regularizers', () => {
  it('penalty and gradient: l1·Σ|x| + l2·Σx² and tfjs-core’s gradient of it; at 0, TensorFlow’s sign(0) = 0', () => {
    const rng = caseRng('regularizer formula', 0);
    const values = Float32Array.from(rng.floats(24));
    for (const regularizer of [l1(0.3), l2({ l2: 0.05 }), l1l2({ l1: 0.01, l2: 0.2 }), l1l2()]) {
      const { l1: a, l2: b } = regularizer;
      const formula = (x: tf.Tensor) => tf.add(tf.mul(a, tf.sum(tf.abs(x))), tf.mul(b, tf.sum(tf.square(x))));
      const x = tf.tensor1d(values);
      expectClose(regularizer.penalty(values), formula(x).dataSync()[0], 1e-6, `penalty l1 ${a} l2 ${b}`);
      const grad = new Float32Array(values.length).fill(1);
      regularizer.addGradient(values, grad);
      const expected = tf.add(1, tf.grad(formula)(x));
      expectClose(grad, expected.dataSync(), 1e-6, `gradient l1 ${a} l2 ${b}`);
    }
    const grad = new Float32Array(1);
    l1(0.5).addGradient(Float32Array.of(0), grad);
    expect(grad[0]).toBe(0);
  });

  it('defaults: 0.01, as tfjs and Keras; Keras’ L2 has no ½', () => {
    expect([l1().l1, l1().l2, l2().l1, l2().l2, l1l2().l1, l1l2().l2]).toEqual([0.01, 0, 0, 0.01, 0.01, 0.01]);
    expect(l2(1).penalty(Float32Array.of(3))).toBe(9);
    expect(l1(0.5).getConfig()).toEqual({ class_name: 'L1L2', config: { l1: 0.5, l2: 0 } });
  });
});

describe('constraints', () => {
  const norms = (w: tf.Tensor, axis: number[]) => tf.sqrt(tf.sum(tf.square(w), axis, true));

  it('MaxNorm, UnitNorm and MinMaxNorm along one axis, several, or negative ones, as Keras computes them (ε = 1e-7)', () => {
    const rng = caseRng('constraint formula', 0);
    const shape = [2, 3, 2, 4];
    const cases: [string, MaxNorm | UnitNorm | MinMaxNorm, (w: tf.Tensor) => tf.Tensor][] = [];
    for (const axis of [[0], [1, 2], [-1], [0, 1, 2], [3, 0]]) {
      const resolved = axis.map((a) => (a < 0 ? a + shape.length : a));
      cases.push(
        [
          `MaxNorm ${axis}`,
          new MaxNorm({ maxValue: 0.8, axis }),
          (w) => tf.mul(w, tf.div(tf.clipByValue(norms(w, resolved), 0, 0.8), tf.add(1e-7, norms(w, resolved)))),
        ],
        [`UnitNorm ${axis}`, new UnitNorm({ axis }), (w) => tf.div(w, tf.add(1e-7, norms(w, resolved)))],
        [
          `MinMaxNorm ${axis}`,
          new MinMaxNorm({ minValue: 0.9, maxValue: 1.2, rate: 0.7, axis }),
          (w) => {
            const n = norms(w, resolved);
            const desired = tf.add(tf.mul(0.7, tf.clipByValue(n, 0.9, 1.2)), tf.mul(0.3, n));
            return tf.mul(w, tf.div(desired, tf.add(1e-7, n)));
          },
        ],
      );
    }
    for (const [name, constraint, formula] of cases) {
      const values = Float32Array.from(rng.floats(48));
      const expected = formula(tf.tensor(values, shape)).dataSync();
      constraint.apply(values, shape);
      expectClose(values, expected, 1e-6, name);
    }
    const values = Float32Array.of(-1, 0, 2, -0.5);
    new NonNeg().apply(values);
    expect(Array.from(values)).toEqual([0, 0, 2, 0]);
  });
});
