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
