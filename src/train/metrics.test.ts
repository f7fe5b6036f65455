// tfjs-layers' r2Score calls tensors' chained ops (y.sub()), which the union package @tensorflow/tfjs registers
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { metricImproves, metricSum, metricsArg, tfjsMetricName } from './metrics.js';

/** `n` rows of `classes` outputs: probabilities (some saturated below tfjs' 1e-7 clip), or logits. */
function outputs(rng: Rng, n: number, classes: number, logits: boolean): Tensor<'float32'> {
  const values = rng.floats(n * classes, logits ? -8 : 0, logits ? 8 : 1);
  if (!logits && classes > 1) {
    for (let i = 0; i < n; i++) {
      // rows that do not sum to 1, and one class at zero, which the clip keeps finite
      if (i % 3 === 0) values[i * classes + rng.int(0, classes - 1)] = 0;
    }
  }
  return new Tensor(values, [n, classes], 'float32');
}

const tfOf = (t: Tensor) => tf.tensor(Array.from(t.data), t.shape, 'float32');

/** tfjs' value of the metric per example, from probabilities (the softmax or sigmoid of logits first). */
function tfjsPerExample(name: 'categoricalCrossentropy' | 'binaryCrossentropy', y: Tensor, p: Tensor, logits: boolean): number[] {
  let probs = tfOf(p);
  if (logits) probs = name === 'binaryCrossentropy' ? tf.sigmoid(probs) : tf.softmax(probs);
  return Array.from(tfl.metrics[name](tfOf(y), probs).dataSync());
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('cross-entropy metrics', () => {
  it("categorical_crossentropy sums tfjs-layers' categoricalCrossentropy metric over the batch (rows rescaled to 1, clipped to [1e-7, 1 − 1e-7]; logits through softmax)", () => {
    const [metric] = metricsArg(['categorical_crossentropy']);
    for (let c = 0; c < 40; c++) {
      const rng = caseRng('categorical crossentropy metric', c);
      const [n, classes, logits] = [rng.int(1, 6), rng.int(2, 5), rng.bool()];
      const p = outputs(rng, n, classes, logits);
      const y = new Tensor(rng.floats(n * classes, 0, 1), [n, classes], 'float32'); // soft labels too
      const expected = sum(tfjsPerExample('categoricalCrossentropy', y, p, logits));
      expectClose([metricSum(metric, 'categoricalCrossentropy', y, p, logits)], [expected], 1e-5, `case ${c}`);
    }
  });

  it("sparse_categorical_crossentropy is the categorical one of the one-hot labels and the clipped outputs, as tfjs' sparse metric computes it", () => {
    const [metric] = metricsArg(['sparseCategoricalCrossentropy']);
    for (let c = 0; c < 40; c++) {
      const rng = caseRng('sparse crossentropy metric', c);
      const [n, classes, logits] = [rng.int(1, 6), rng.int(2, 5), rng.bool()];
      const p = outputs(rng, n, classes, logits);
      const labels = rng.ints(n, 0, classes - 1);
      const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
      // tfjs' sparseCategoricalCrossentropy (tfjs-layers backend) clips the outputs, then takes the categorical one
      const clipped = logits ? tf.softmax(tfOf(p)) : tf.clipByValue(tfOf(p), 1e-7, 1 - 1e-7);
      const expected = sum(Array.from(tfl.metrics.categoricalCrossentropy(oneHot, clipped).dataSync()));
      const y = new Tensor(labels, [n], 'int32');
      expectClose([metricSum(metric, 'sparseCategoricalCrossentropy', y, p, logits)], [expected], 1e-5, `case ${c}`);
    }
  });

  it("binary_crossentropy is the mean over the units of tfjs-layers' binaryCrossentropy metric, summed over the batch", () => {
    const [metric] = metricsArg(['binary_crossentropy']);
    for (let c = 0; c < 40; c++) {
      const rng = caseRng('binary crossentropy metric', c);
      const [n, units, logits] = [rng.int(1, 6), rng.int(1, 4), rng.bool()];
      const p = new Tensor(rng.floats(n * units, logits ? -20 : 0, logits ? 20 : 1), [n, units], 'float32');
      const y = new Tensor(
        Float32Array.from({ length: n * units }, () => rng.pick([0, 1, 0.25])),
        [n, units],
        'float32',
      );
      const expected = sum(tfjsPerExample('binaryCrossentropy', y, p, logits));
      expectClose([metricSum(metric, 'binaryCrossentropy', y, p, logits)], [expected], 1e-5, `case ${c}`);
    }
  });

  it('a row of 200,000 logits (more than a call takes arguments) gives the categorical metric tfjs gives', () => {
    const [metric] = metricsArg(['categorical_crossentropy']);
    const rng = caseRng('wide crossentropy metric', 0);
    const classes = 200_000;
    const p = new Tensor(rng.floats(classes, -5, 5), [1, classes], 'float32');
    const y = new Tensor(new Float32Array(classes), [1, classes], 'float32');
    y.data[123] = 1;
    const expected = sum(tfjsPerExample('categoricalCrossentropy', y, p, true));
    expectClose([metricSum(metric, 'categoricalCrossentropy', y, p, true)], [expected], 1e-5);
  });

  it('are known by Keras and tfjs names, improve downwards, and save under the names tfjs compiles (it has no binary one)', () => {
    const metrics = metricsArg([
      'categorical_crossentropy',
      'categoricalCrossentropy',
      'sparseCategoricalCrossentropy',
      'binary_crossentropy',
    ]);
    expect(metrics.map((m) => m.kind)).toEqual([
      'categoricalCrossentropy',
      'categoricalCrossentropy',
      'sparseCategoricalCrossentropy',
      'binaryCrossentropy',
    ]);
    expect(metrics.map((m) => metricImproves(m.key))).toEqual(['down', 'down', 'down', 'down']);
    expect(metrics.map((m) => tfjsMetricName(m, 'categoricalCrossentropy'))).toEqual([
      'categoricalCrossentropy',
      'categoricalCrossentropy',
      'sparseCategoricalCrossentropy',
      undefined,
    ]);
  });
});

describe('mean absolute percentage error', () => {
  it("mape sums tfjs-layers' MAPE metric over the batch (|y| below 1e-7 taken as 1e-7), by all its names", () => {
    const metrics = metricsArg(['mape', 'MAPE', 'mean_absolute_percentage_error', 'meanAbsolutePercentageError']);
    expect(new Set(metrics.map((m) => m.kind))).toEqual(new Set(['meanAbsolutePercentageError']));
    for (let c = 0; c < 40; c++) {
      const rng = caseRng('mape metric', c);
      const [n, units] = [rng.int(1, 6), rng.int(1, 4)];
      const p = new Tensor(rng.floats(n * units, -3, 3), [n, units], 'float32');
      // labels of both signs, some zero and some tiny, where the clip decides
      const y = new Tensor(
        Float32Array.from({ length: n * units }, () => rng.pick([0, 1e-9, -2, rng.float() * 4 - 2])),
        [n, units],
        'float32',
      );
      const expected = sum(Array.from(tfl.metrics.MAPE(tfOf(y), tfOf(p)).dataSync()));
      expectClose([metricSum(metrics[0], 'meanSquaredError', y, p, false)], [expected], 1e-5, `case ${c}`);
    }
    expect(metricImproves('mape')).toBe('down');
    expect(tfjsMetricName(metrics[2], 'meanSquaredError')).toBe('mape');
  });
});

/** Values drawn from `choices`, as a float32 tensor of `shape`. */
function picked(rng: Rng, shape: number[], choices: number[]): Tensor<'float32'> {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: size }, () => rng.pick(choices)),
    shape,
    'float32',
  );
}

describe('precision and recall', () => {
  // tfjs counts an output as positive only when exactly 1 (negative only when exactly 0), labels alike
  const OUTPUTS = [0, 1, 1, 0.93, 0.5, 0.2];
  const LABELS = [0, 1, 1, 0.5];

  for (const name of ['precision', 'recall'] as const) {
    it(`${name} is tfjs-layers' ${name} of the whole batch (counts over every output, 0 for 0/0), times the batch's size`, () => {
      const [metric] = metricsArg([name]);
      for (let c = 0; c < 60; c++) {
        const rng = caseRng(`${name} metric`, c);
        const n = rng.int(1, 6);
        // [N, units], or [N, H, W, C], whose outputs tfjs counts alike
        const shape = rng.bool() ? [n, rng.int(1, 4)] : [n, 2, rng.int(1, 3), rng.int(1, 3)];
        const p = picked(rng, shape, c % 10 === 0 ? [0, 0.6] : OUTPUTS); // some batches with no predicted positive
        // labels as floats, probabilities among them, or as ints
        const y = c % 3 === 0 ? new Tensor(Int32Array.from(picked(rng, shape, [0, 1]).data), shape, 'int32') : picked(rng, shape, LABELS);
        const expected = tfl.metrics[name](tfOf(y), tfOf(p)).dataSync()[0] * n;
        expectClose([metricSum(metric, 'binaryCrossentropy', y, p, false)], [expected], 1e-6, `case ${c}`);
      }
    });
  }

  it('no predicted positive gives precision 0, no positive label recall 0 (tfjs divides only a nonzero count)', () => {
    const [precision, recall] = metricsArg(['precision', 'recall']);
    const p = new Tensor(Float32Array.from([0, 0.99, 0]), [3, 1], 'float32');
    const y = new Tensor(Float32Array.from([1, 1, 0]), [3, 1], 'float32');
    expect(tfl.metrics.precision(tfOf(y), tfOf(p)).dataSync()[0]).toBe(0);
    expect(metricSum(precision, 'binaryCrossentropy', y, p, false)).toBe(0);
    const noPositives = new Tensor(new Float32Array(3), [3, 1], 'float32');
    expect(tfl.metrics.recall(tfOf(noPositives), tfOf(p)).dataSync()[0]).toBe(0);
    expect(metricSum(recall, 'binaryCrossentropy', noPositives, p, false)).toBe(0);
  });

  it("weighted (weightedMetrics), each count is weighted by its row's weight, as Keras weighs them; the batch counts as its weights' sum", () => {
    for (const name of ['precision', 'recall'] as const) {
      const [metric] = metricsArg([name]);
      for (let c = 0; c < 30; c++) {
        const rng = caseRng(`weighted ${name} metric`, c);
        const [n, units] = [rng.int(1, 6), rng.int(1, 3)];
        const p = picked(rng, [n, units], [0, 1, 0.7]);
        const y = picked(rng, [n, units], [0, 1]);
        const weights = Float32Array.from({ length: n }, () => rng.pick([0, 0.5, 2, rng.float()]));
        // Keras' weighted counts, in tfjs ops: Σ w·[y = 1 and p = 1] and Σ w·[the miss]
        const [ty, tp] = [tfOf(y), tfOf(p)];
        const w = tf.tensor2d(Array.from(weights), [n, 1]);
        const count = (label: number, output: number) =>
          tf.sum(tf.mul(w, tf.cast(tf.logicalAnd(tf.equal(ty, label), tf.equal(tp, output)), 'float32'))).dataSync()[0];
        const hits = count(1, 1);
        const misses = name === 'precision' ? count(0, 1) : count(1, 0);
        const ratio = hits + misses > 0 ? hits / (hits + misses) : 0;
        const expected = ratio * tf.sum(w).dataSync()[0];
        expectClose([metricSum(metric, 'binaryCrossentropy', y, p, false, weights)], [expected], 1e-5, `${name} case ${c}`);
      }
    }
  });

  it("are known as 'precision' and 'recall', improve upwards, and save as tfjs compiles them (recall it has as a function only)", () => {
    const [precision, recall] = metricsArg(['precision', 'recall']);
    expect([precision.kind, recall.kind]).toEqual(['precision', 'recall']);
    expect([metricImproves('precision'), metricImproves('recall')]).toEqual(['up', 'up']);
    expect([tfjsMetricName(precision, 'binaryCrossentropy'), tfjsMetricName(recall, 'binaryCrossentropy')]).toEqual([
      'precision',
      undefined,
    ]);
  });
});

describe('cosine proximity', () => {
  it("sums tfjs-layers' cosineProximity over the rows (−cos, a norm at least √1e-7), by tfjs' and Keras' names", () => {
    const metrics = metricsArg(['cosine', 'cosineProximity', 'cosine_proximity']);
    expect(new Set(metrics.map((m) => m.kind))).toEqual(new Set(['cosineProximity']));
    for (let c = 0; c < 40; c++) {
      const rng = caseRng('cosine proximity metric', c);
      const [n, units] = [rng.int(1, 6), rng.int(1, 4)];
      const p = new Tensor(rng.floats(n * units, -2, 2), [n, units], 'float32');
      const y = new Tensor(rng.floats(n * units, -2, 2), [n, units], 'float32');
      // a zero row, and a tiny one, where the norm's floor decides
      if (c % 4 === 0) y.data.fill(0, 0, units);
      if (c % 5 === 0) p.data.fill(1e-5, 0, units);
      const expected = sum(Array.from(tfl.metrics.cosineProximity(tfOf(y), tfOf(p)).dataSync()));
      expectClose([metricSum(metrics[c % 3], 'meanSquaredError', y, p, false)], [expected], 1e-5, `case ${c}`);
    }
    expect(metrics.map((m) => metricImproves(m.key))).toEqual(['down', 'down', 'down']);
    expect(metrics.map((m) => tfjsMetricName(m, 'meanSquaredError'))).toEqual(['cosine', 'cosine', 'cosine']);
  });

  it('an output of several rows per example ([N, H, W, C]) counts the mean of its rows, as tfjs averages them', () => {
    const [metric] = metricsArg(['cosine']);
    const rng = caseRng('cosine proximity rows', 0);
    const [p, y] = [new Tensor(rng.floats(24, -1, 1), [2, 3, 2, 2], 'float32'), new Tensor(rng.floats(24, -1, 1), [2, 3, 2, 2], 'float32')];
    const expected = tf.mean(tfl.metrics.cosineProximity(tfOf(y), tfOf(p))).dataSync()[0] * 2;
    expectClose([metricSum(metric, 'meanSquaredError', y, p, false)], [expected], 1e-5);
  });
});

describe("'crossentropy' and 'ce'", () => {
  it("are tfjs' (and tf.keras 2's) cross-entropy for the loss: binary for binaryCrossentropy or one unit, sparse beside the sparse loss, categorical otherwise", () => {
    const metrics = metricsArg(['crossentropy', 'ce']);
    const rng = caseRng('crossentropy alias', 0);
    const [n, classes] = [4, 3];
    const p = outputs(rng, n, classes, false);
    const oneHot = new Tensor(
      Float32Array.from(tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), classes).dataSync()),
      [n, classes],
      'float32',
    );
    const labels = new Tensor(Int32Array.from([0, 2, 1, 2]), [n], 'int32');
    const units = new Tensor(rng.floats(n, 0, 1), [n, 1], 'float32');
    const bits = new Tensor(Float32Array.from([0, 1, 1, 0]), [n, 1], 'float32');
    const cases = [
      ['categoricalCrossentropy', oneHot, p, tfl.metrics.categoricalCrossentropy(tfOf(oneHot), tfOf(p))],
      ['meanSquaredError', oneHot, p, tfl.metrics.categoricalCrossentropy(tfOf(oneHot), tfOf(p))],
      // tfjs' sparse metric (not exported) clips the outputs, then takes the categorical one
      [
        'sparseCategoricalCrossentropy',
        labels,
        p,
        tfl.metrics.categoricalCrossentropy(tfOf(oneHot), tf.clipByValue(tfOf(p), 1e-7, 1 - 1e-7)),
      ],
      ['binaryCrossentropy', oneHot, p, tfl.metrics.binaryCrossentropy(tfOf(oneHot), tfOf(p))],
      ['meanSquaredError', bits, units, tfl.metrics.binaryCrossentropy(tfOf(bits), tfOf(units))],
    ] as const;
    for (const [loss, y, out, theirs] of cases) {
      for (const metric of metrics) {
        expectClose([metricSum(metric, loss, y, out, false)], [sum(Array.from(theirs.dataSync()))], 1e-5, `${metric.key} beside ${loss}`);
      }
    }
    expect(metrics.map((m) => metricImproves(m.key))).toEqual(['down', 'down']);
    expect(metrics.map((m) => tfjsMetricName(m, 'binaryCrossentropy'))).toEqual(['crossentropy', 'ce']);
  });
});

describe('R² (r2Score)', () => {
  it("is tfjs-layers' r2Score of the whole batch (ȳ over every label), times the batch's size, by tfjs' and Keras' names", () => {
    const metrics = metricsArg(['r2Score', 'r2_score']);
    expect(new Set(metrics.map((m) => m.kind))).toEqual(new Set(['r2Score']));
    for (let c = 0; c < 40; c++) {
      const rng = caseRng('r2 metric', c);
      const n = rng.int(2, 6);
      const shape = rng.bool() ? [n, rng.int(1, 4)] : [n, 2, 2, rng.int(1, 2)];
      const size = shape.reduce((a, b) => a * b, 1);
      const y = new Tensor(rng.floats(size, -2, 2), shape, 'float32');
      const p = new Tensor(rng.floats(size, -2, 2), shape, 'float32');
      const expected = tfl.metrics.r2Score(tfOf(y), tfOf(p)).dataSync()[0] * n;
      expectClose([metricSum(metrics[c % 2], 'meanSquaredError', y, p, false)], [expected], 1e-4, `case ${c}`);
    }
    expect(metrics.map((m) => metricImproves(m.key))).toEqual(['up', 'up']);
    expect(metrics.map((m) => tfjsMetricName(m, 'meanSquaredError'))).toEqual([undefined, undefined]);
  });

  it('labels all equal give −Infinity (NaN where the outputs equal them too), as tfjs gives', () => {
    const [metric] = metricsArg(['r2Score']);
    const y = new Tensor(Float32Array.from([1, 1, 1]), [3, 1], 'float32');
    for (const outputs of [
      [1, 0.5, 1],
      [1, 1, 1],
    ]) {
      const p = new Tensor(Float32Array.from(outputs), [3, 1], 'float32');
      const expected = tfl.metrics.r2Score(tfOf(y), tfOf(p)).dataSync()[0] * 3;
      expect(metricSum(metric, 'meanSquaredError', y, p, false)).toBe(expected);
    }
  });

  it("weighted, each term and ȳ weighted by its row's weight; a batch weighted 0 adds nothing", () => {
    const [metric] = metricsArg(['r2_score']);
    for (let c = 0; c < 20; c++) {
      const rng = caseRng('weighted r2 metric', c);
      const [n, units] = [rng.int(2, 6), rng.int(1, 3)];
      const [y, p] = [
        new Tensor(rng.floats(n * units, -2, 2), [n, units], 'float32'),
        new Tensor(rng.floats(n * units, -2, 2), [n, units], 'float32'),
      ];
      const weights = Float32Array.from({ length: n }, () => rng.float() + 0.1);
      const w = tf.tile(tf.tensor2d(Array.from(weights), [n, 1]), [1, units]);
      const [ty, tp] = [tfOf(y), tfOf(p)];
      const mean = tf.div(tf.sum(tf.mul(w, ty)), tf.sum(w));
      const residuals = tf.sum(tf.mul(w, tf.square(tf.sub(ty, tp))));
      const spread = tf.sum(tf.mul(w, tf.square(tf.sub(ty, mean))));
      const expected = (1 - residuals.dataSync()[0] / spread.dataSync()[0]) * weights.reduce((a, b) => a + b, 0);
      expectClose([metricSum(metric, 'meanSquaredError', y, p, false, weights)], [expected], 1e-4, `case ${c}`);
    }
    const y = new Tensor(Float32Array.from([1, 2]), [2, 1], 'float32');
    expect(metricSum(metric, 'meanSquaredError', y, y, false, [0, 0])).toBe(0);
  });
});
