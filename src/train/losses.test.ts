import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Tensor } from '../tensor/tensor.js';
import {
  binaryCrossentropy,
  categoricalCrossentropy,
  EPSILON,
  type LossResult,
  lossName,
  meanSquaredError,
  sparseCategoricalCrossentropy,
} from './losses.js';

// The shared helper sets IS_TEST (to silence tfjs' banner), which also turns on a kernel leak
// check that tf.losses.softmaxCrossEntropy's custom gradient trips under tf.valueAndGrad.
tf.env().set('IS_TEST', false);

const tfOf = (t: Tensor) => tf.tensor(Array.from(t.data), t.shape, 'float32');
const f32 = (data: ArrayLike<number>, shape: number[]) => new Tensor(Float32Array.from(data), shape, 'float32');

/** The value and gradient (with respect to the predictions) of a tfjs loss. */
function tfLoss(fn: (p: tf.Tensor) => tf.Scalar, predictions: Tensor): { loss: number; grad: Float32Array } {
  const { value, grad } = tf.valueAndGrad(fn)(tfOf(predictions));
  return { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
}

function expectLoss(got: LossResult, expected: { loss: number; grad: ArrayLike<number> }, context: string, rtol = 1e-5): void {
  expectClose(got.loss, expected.loss, rtol, `${context} loss`);
  expectClose(got.grad, expected.grad, rtol, `${context} grad`);
}

function probabilities(rng: Rng, rows: number, classes: number): Tensor<'float32'> {
  const p = rng.floats(rows * classes, 0.05, 1);
  for (let i = 0; i < rows; i++) {
    const row = p.subarray(i * classes, (i + 1) * classes);
    const sum = row.reduce((a, b) => a + b, 0);
    for (let j = 0; j < classes; j++) row[j] /= sum;
  }
  return new Tensor(p, [rows, classes], 'float32');
}

function oneHot(labels: Int32Array, classes: number): Tensor<'float32'> {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => {
    out[i * classes + l] = 1;
  });
  return new Tensor(out, [labels.length, classes], 'float32');
}

describe('losses against tfjs', () => {
  it('categoricalCrossentropy from logits matches tf.losses.softmaxCrossEntropy (one-hot and soft labels)', () => {
    for (let index = 0; index < 20; index++) {
      const rng = caseRng('cce logits', index);
      const [rows, classes] = [rng.int(1, 6), rng.int(2, 6)];
      const logits = f32(rng.floats(rows * classes, -6, 6), [rows, classes]);
      // TensorFlow's gradient is softmax − labels, exact only for rows that sum to 1 (its
      // contract), so soft labels here are distributions; finite differences cover the rest.
      const labels = index % 2 ? oneHot(rng.ints(rows, 0, classes - 1), classes) : probabilities(rng, rows, classes);
      const expected = tfLoss((z) => tf.losses.softmaxCrossEntropy(tfOf(labels), z) as tf.Scalar, logits);
      expectLoss(categoricalCrossentropy(labels, logits, { fromLogits: true }), expected, `case ${index}`);
    }
  });

  it("categoricalCrossentropy from probabilities matches tfjs-layers' (renormalised, clipped to [1e-7, 1 − 1e-7])", () => {
    for (let index = 0; index < 20; index++) {
      const rng = caseRng('cce probs', index);
      const [rows, classes] = [rng.int(1, 6), rng.int(2, 6)];
      // Rows that do not sum to 1 (and some tiny values that get clipped).
      const data = rng.floats(rows * classes, 0, 2);
      if (index % 3 === 0) data[0] = 1e-9;
      const predictions = f32(data, [rows, classes]);
      const labels = oneHot(rng.ints(rows, 0, classes - 1), classes);
      const expected = tfLoss((p) => tf.mean(tfl.metrics.categoricalCrossentropy(tfOf(labels), p)) as tf.Scalar, predictions);
      expectLoss(categoricalCrossentropy(labels, predictions), expected, `case ${index}`, 2e-5);
    }
  });

  it('sparseCategoricalCrossentropy equals categorical cross-entropy on one-hot labels (logits and probabilities)', () => {
    for (let index = 0; index < 10; index++) {
      const rng = caseRng('scce', index);
      const [rows, classes] = [rng.int(1, 6), rng.int(2, 6)];
      const classIds = rng.ints(rows, 0, classes - 1);
      const labels = new Tensor(classIds, [rows], 'int32');
      const logits = f32(rng.floats(rows * classes, -5, 5), [rows, classes]);
      const fromLogits = tfLoss((z) => tf.losses.softmaxCrossEntropy(tfOf(oneHot(classIds, classes)), z) as tf.Scalar, logits);
      expectLoss(sparseCategoricalCrossentropy(labels, logits, { fromLogits: true }), fromLogits, `case ${index} logits`);
      const p = probabilities(rng, rows, classes);
      const fromProbs = tfLoss((q) => tf.mean(tfl.metrics.categoricalCrossentropy(tfOf(oneHot(classIds, classes)), q)) as tf.Scalar, p);
      expectLoss(sparseCategoricalCrossentropy(labels, p), fromProbs, `case ${index} probabilities`);
    }
  });

  it("sparseCategoricalCrossentropy from outputs that are not probabilities (a ReLU's, rows of zeros) follows Keras: clip, log, softmax", () => {
    for (let index = 0; index < 20; index++) {
      const rng = caseRng('scce relu', index);
      const [rows, classes] = [rng.int(1, 6), rng.int(2, 6)];
      const data = Float32Array.from(rng.floats(rows * classes, -2, 3), (v) => Math.max(v, 0));
      if (index % 4 === 0) data.fill(0, 0, classes); // a dead row
      const predictions = f32(data, [rows, classes]);
      const classIds = rng.ints(rows, 0, classes - 1);
      // keras/backend.py sparse_categorical_crossentropy, written with tfjs ops: the loss and, by tfjs' autodiff, its gradient
      const expected = tfLoss((p) => {
        const logits = tf.log(tf.clipByValue(p, EPSILON, 1 - EPSILON));
        return tf.losses.softmaxCrossEntropy(tfOf(oneHot(classIds, classes)), logits) as tf.Scalar;
      }, predictions);
      const got = sparseCategoricalCrossentropy(new Tensor(classIds, [rows], 'int32'), predictions);
      expect(Number.isFinite(got.loss)).toBe(true);
      expectLoss(got, expected, `case ${index}`, 2e-5);
    }
  });

  it('binaryCrossentropy from logits matches tf.losses.sigmoidCrossEntropy, from probabilities tfjs-layers', () => {
    for (let index = 0; index < 20; index++) {
      const rng = caseRng('bce', index);
      const shape = [rng.int(1, 6), rng.int(1, 3)];
      const n = shape[0] * shape[1];
      const labels = f32(
        Array.from({ length: n }, () => (rng.bool() ? 1 : 0)),
        shape,
      );
      const logits = f32(rng.floats(n, -8, 8), shape);
      const expected = tfLoss((z) => tf.losses.sigmoidCrossEntropy(tfOf(labels), z) as tf.Scalar, logits);
      expectLoss(binaryCrossentropy(labels, logits, { fromLogits: true }), expected, `case ${index} logits`);
      const p = f32(rng.floats(n, 0.01, 0.99), shape);
      const fromProbs = tfLoss((q) => tf.mean(tfl.metrics.binaryCrossentropy(tfOf(labels), q)) as tf.Scalar, p);
      expectLoss(binaryCrossentropy(labels, p), fromProbs, `case ${index} probabilities`, 2e-5);
    }
  });

  it('meanSquaredError matches tf.losses.meanSquaredError', () => {
    for (let index = 0; index < 10; index++) {
      const rng = caseRng('mse', index);
      const shape = [rng.int(1, 5), rng.int(1, 4)];
      const labels = f32(rng.floats(shape[0] * shape[1]), shape);
      const predictions = f32(rng.floats(shape[0] * shape[1]), shape);
      const expected = tfLoss((p) => tf.losses.meanSquaredError(tfOf(labels), p) as tf.Scalar, predictions);
      expectLoss(meanSquaredError(labels, predictions), expected, `case ${index}`);
    }
  });
});

describe('losses: formulas, stability and finite differences', () => {
  it('from logits stays finite for huge logits (log-sum-exp), where probabilities would underflow', () => {
    const logits = f32([1000, -1000, 0, 0], [2, 2]);
    const labels = f32([0, 1, 1, 0], [2, 2]);
    const result = categoricalCrossentropy(labels, logits, { fromLogits: true });
    expectClose(result.loss, (2000 + Math.LN2) / 2, 1e-6);
    expectClose(result.grad, [0.5, -0.5, -0.25, 0.25], 1e-6);
    const bce = binaryCrossentropy(f32([0, 1], [2, 1]), f32([100, -100], [2, 1]), { fromLogits: true });
    expectClose(bce.loss, 100, 1e-6);
  });

  it('probabilities of exactly 0 and 1 are clipped to [1e-7, 1 − 1e-7] as Keras documents, the bounds in float32 as TensorFlow takes them', () => {
    const result = categoricalCrossentropy(f32([0, 1], [1, 2]), f32([1, 0], [1, 2]));
    expectClose(result.loss, -Math.log(Math.fround(1e-7)), 1e-6);
    const bce = binaryCrossentropy(f32([1, 0], [1, 2]), f32([0, 1], [1, 2]));
    // −log(1e-7) for the 0 labelled 1; −log(1 − 0.99999988) = −log(2⁻²³) for the 1 labelled 0 (1 − 1e-7 rounds to 1 − 2⁻²³ in float32)
    expectClose(bce.loss, (-Math.log(Math.fround(1e-7)) + 23 * Math.LN2) / 2, 1e-6);
    expect(Array.from(bce.grad)).toEqual([0, 0]); // the clip's gradient is zero outside its range
  });

  it("saturated probabilities (0, 1 and the float32 values next to them) give tfjs-layers' losses", () => {
    const edges = [0, 1, Math.fround(1e-7), Math.fround(1 - 1e-7), 1 - 2 ** -24, 2 ** -30];
    const p = f32([...edges, ...edges], [2, edges.length]);
    const labels = f32([...edges.map(() => 0), ...edges.map(() => 1)], [2, edges.length]);
    const expected = tfLoss((q) => tf.mean(tfl.metrics.binaryCrossentropy(tfOf(labels), q)) as tf.Scalar, p);
    expectClose(binaryCrossentropy(labels, p).loss, expected.loss, 1e-6, 'binaryCrossentropy');
    const oneHot = f32([1, 0, 0, 1], [2, 2]);
    const rows = f32([0, 1, 1, 0], [2, 2]);
    const categorical = tfLoss((q) => tf.mean(tfl.metrics.categoricalCrossentropy(tfOf(oneHot), q)) as tf.Scalar, rows);
    expectClose(categoricalCrossentropy(oneHot, rows).loss, categorical.loss, 1e-6, 'categoricalCrossentropy');
  });

  it('gradients agree with central finite differences (float64)', () => {
    const rng = caseRng('loss fd', 0);
    const [rows, classes] = [3, 4];
    const labels = oneHot(Int32Array.of(0, 3, 1), classes);
    const softLabels = f32(rng.floats(12, 0, 1), [rows, classes]);
    const cases: [string, (p: Tensor) => LossResult, Float32Array][] = [
      ['cce logits', (p) => categoricalCrossentropy(labels, p, { fromLogits: true }), rng.floats(12, -3, 3)],
      ['cce logits, labels not summing to 1', (p) => categoricalCrossentropy(softLabels, p, { fromLogits: true }), rng.floats(12, -3, 3)],
      ['cce probs', (p) => categoricalCrossentropy(labels, p), rng.floats(12, 0.1, 1)],
      ['bce logits', (p) => binaryCrossentropy(labels, p, { fromLogits: true }), rng.floats(12, -3, 3)],
      ['bce probs', (p) => binaryCrossentropy(labels, p), rng.floats(12, 0.1, 0.9)],
      ['mse', (p) => meanSquaredError(labels, p), rng.floats(12)],
    ];
    for (const [name, fn, point] of cases) {
      // The losses sum in float64 but read float32 predictions: a step of 1e-3 keeps the
      // rounding of the perturbed inputs well below the tolerance.
      const h = 1e-3;
      const x = Float64Array.from(point);
      const numeric = Array.from(x, (_, i) => {
        const at = (v: number) => {
          const y = Float64Array.from(x);
          y[i] = v;
          return fn(f32(y, [rows, classes])).loss;
        };
        return (at(x[i] + h) - at(x[i] - h)) / (2 * h);
      });
      expectClose(fn(f32(x, [rows, classes])).grad, numeric, 2e-4, name);
    }
  });
});

describe('losses: bad labels', () => {
  it('names both shapes when labels do not match the predictions', () => {
    const p = f32(new Float32Array(6), [2, 3]);
    expectConvlensError(
      () => categoricalCrossentropy(new Tensor(Int32Array.of(0, 2), [2], 'int32'), p),
      'categoricalCrossentropy: labels of shape [2] do not match predictions of shape [2, 3] (for class indices use sparseCategoricalCrossentropy)',
    );
    expectConvlensError(
      () => meanSquaredError(f32([1, 2, 3], [3, 1]), p),
      /labels of shape \[3, 1\] do not match predictions of shape \[2, 3\]/,
    );
    expectConvlensError(() => sparseCategoricalCrossentropy(p, p), /6 labels \(shape \[2, 3\]\) for 2 predictions of shape \[2, 3\]/);
    expectConvlensError(() => sparseCategoricalCrossentropy(f32([0, 3], [2]), p), /label 3 at index 1 is not a class index in \[0, 2\]/);
  });

  it("resolves Keras' loss names", () => {
    expect(lossName('categorical_crossentropy')).toBe('categoricalCrossentropy');
    expect(lossName('mse')).toBe('meanSquaredError');
    expectConvlensError(
      () => lossName('categorical_crossentropyy'),
      /^compile: unknown loss "categorical_crossentropyy" \(expected binaryCrossentropy,/,
    );
  });

  it("tfjs-layers' other losses, by tfjs' and Keras' names, are refused as not supported rather than unknown; a function as not a name", () => {
    const tfjsOnly = ['meanAbsoluteError', 'meanAbsolutePercentageError', 'meanSquaredLogarithmicError', 'squaredHinge', 'hinge'];
    tfjsOnly.push('categoricalHinge', 'logcosh', 'kullbackLeiblerDivergence', 'poisson', 'cosineProximity');
    const kerasNames = ['mean_absolute_error', 'mae', 'huber', 'kl_divergence', 'binary_focal_crossentropy', 'cosine_similarity'];
    for (const name of [...tfjsOnly, ...kerasNames]) {
      if (tfjsOnly.includes(name)) {
        const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
        expect(() => model.compile({ optimizer: 'sgd', loss: name }), `tfjs takes ${name}`).not.toThrow();
      }
      expectConvlensError(
        () => lossName(name),
        `compile: loss "${name}" (a Keras or tfjs loss) is not supported; convlens has binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy or meanSquaredError`,
      );
    }
    expectConvlensError(
      () => lossName(((yTrue: unknown) => yTrue) as never),
      'compile: loss must be a loss name (binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy or meanSquaredError), got a function: custom losses are not supported',
    );
  });
});
