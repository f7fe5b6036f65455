import { ConvlensError, describeValue } from '../errors.js';
import { formatShape, sizeFromShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** Keras' clip for probabilities before taking logs. */
export const EPSILON = 1e-7;

export type LossName = 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError';

/** The loss value and its gradient with respect to the predictions (or the logits when `fromLogits`). */
export interface LossResult {
  loss: number;
  grad: Float32Array;
}

export interface LossOptions {
  /** Predictions are logits (before softmax/sigmoid): the loss applies it itself, stably. */
  fromLogits?: boolean;
}

const ALIASES: Record<string, LossName> = {
  binarycrossentropy: 'binaryCrossentropy',
  categoricalcrossentropy: 'categoricalCrossentropy',
  sparsecategoricalcrossentropy: 'sparseCategoricalCrossentropy',
  meansquarederror: 'meanSquaredError',
  mse: 'meanSquaredError',
};

/** Accepts Keras' names in snake_case or camelCase (`categorical_crossentropy`, `mse`). */
export function lossName(name: string): LossName {
  if (name === undefined) throw new ConvlensError(`compile: loss is required (e.g. 'sparseCategoricalCrossentropy')`);
  const key = String(name).replace(/_/g, '').toLowerCase();
  const resolved = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  if (!resolved) {
    throw new ConvlensError(
      `compile: unknown loss ${describeValue(name)} (expected binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy or meanSquaredError)`,
    );
  }
  return resolved;
}

function rowsOf(op: string, predictions: Tensor): [number, number] {
  if (predictions.rank < 1) throw new ConvlensError(`${op}: predictions must have a batch axis, got a scalar`);
  const classes = predictions.rank === 1 ? 1 : predictions.shape[predictions.rank - 1];
  return [predictions.size / classes, classes];
}

function checkSameShape(op: string, labels: Tensor, predictionsShape: readonly number[]): void {
  const rank = predictionsShape.length;
  const same = labels.size === sizeFromShape(predictionsShape) && (labels.rank === rank || labels.rank + 1 === rank);
  if (!same || labels.shape.some((d, i) => d !== predictionsShape[i])) {
    const classIds = labels.rank + 1 === rank && labels.shape.every((d, i) => d === predictionsShape[i]);
    const hint = classIds && op === 'categoricalCrossentropy' ? ' (for class indices use sparseCategoricalCrossentropy)' : '';
    throw new ConvlensError(
      `${op}: labels of shape ${formatShape(labels.shape)} do not match predictions of shape ${formatShape(predictionsShape)}${hint}`,
    );
  }
}

/** Sparse labels: one class index in [0, classes) per prediction row. */
function checkClassIds(op: string, labels: Tensor, predictionsShape: readonly number[]): void {
  const classes = predictionsShape.length === 1 ? 1 : predictionsShape[predictionsShape.length - 1];
  const rows = sizeFromShape(predictionsShape) / classes;
  if (labels.size !== rows) {
    throw new ConvlensError(
      `${op}: ${labels.size} labels (shape ${formatShape(labels.shape)}) for ${rows} predictions of shape ${formatShape(predictionsShape)} (expected one class index per row)`,
    );
  }
  for (let i = 0; i < rows; i++) {
    const label = labels.data[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new ConvlensError(`${op}: label ${label} at index ${i} is not a class index in [0, ${classes - 1}]`);
    }
  }
}

/**
 * Checks that `labels` suit the loss for predictions of `predictionsShape`, so a model can
 * reject bad labels for the whole data set (with indices into it) before training starts.
 */
export function checkLabels(loss: LossName, labels: Tensor, predictionsShape: readonly number[]): void {
  if (loss === 'sparseCategoricalCrossentropy') {
    checkClassIds(loss, labels, predictionsShape);
    return;
  }
  checkSameShape(loss, labels, predictionsShape);
  if (loss === 'binaryCrossentropy') checkProbabilities(loss, labels, 1);
  if (loss === 'categoricalCrossentropy') checkProbabilities(loss, labels, predictionsShape.at(-1) ?? 1);
}

/**
 * Cross-entropy labels are probabilities: each in [0, 1], and for categorical each row a
 * distribution (one-hot, or soft labels summing to 1), or all zeros, which Keras users write to
 * leave a row out (its loss is 0). Keras trains on others without a word, towards a loss that
 * means nothing (a label of −1 makes it negative).
 */
function checkProbabilities(op: LossName, labels: Tensor, rowLength: number): void {
  const y = labels.data;
  for (let i = 0; i < y.length; i++) {
    if (!(y[i] >= 0 && y[i] <= 1)) throw new ConvlensError(`${op}: label ${y[i]} at index ${i} is not a probability in [0, 1]`);
  }
  if (rowLength === 1) return;
  for (let row = 0; row < y.length / rowLength; row++) {
    let sum = 0;
    for (let j = 0; j < rowLength; j++) sum += y[row * rowLength + j];
    if (Math.abs(sum - 1) > 1e-3 && sum !== 0) {
      throw new ConvlensError(
        `${op}: the labels of row ${row} sum to ${Number(sum.toPrecision(6))}, not 1 (expected one-hot rows, probabilities, or zeros to leave a row out)`,
      );
    }
  }
}

const clip = (p: number) => Math.min(1 - EPSILON, Math.max(EPSILON, p));

/** log(softmax(z)) for one row, without overflow. */
function logSoftmaxRow(z: Float32Array, start: number, n: number, out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) max = Math.max(max, z[start + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(z[start + j] - max);
  const logSum = Math.log(sum) + max;
  for (let j = 0; j < n; j++) out[j] = z[start + j] - logSum;
}

/**
 * Cross-entropy for class targets given as rows (`target(i, j)`), from logits or probabilities.
 * Probabilities are renormalised and clipped to [ε, 1 − ε] in the order of tf.keras (Keras'
 * TensorFlow backend): categorical renormalises then clips; sparse (`clipFirst`) clips, takes
 * logs and a softmax, so a row of zeros (a ReLU output) still has a loss (Keras' other backends
 * and tfjs renormalise first, and give NaN). The gradient goes through both (right for rows that do not sum
 * to 1, and zero where clipped).
 */
function crossentropy(
  op: string,
  predictions: Tensor,
  target: (row: number, j: number) => number,
  fromLogits: boolean,
  clipFirst = false,
): LossResult {
  const [rows, classes] = rowsOf(op, predictions);
  const p = predictions.data as Float32Array;
  const grad = new Float32Array(p.length);
  const logProbs = new Float64Array(classes);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const start = i * classes;
    let targetSum = 0;
    for (let j = 0; j < classes; j++) targetSum += target(i, j);
    if (fromLogits) {
      // d/dz of −Σ t·log softmax(z) is softmax(z)·Σt − t (Σt is 1 for one-hot rows).
      logSoftmaxRow(p, start, classes, logProbs);
      for (let j = 0; j < classes; j++) {
        const t = target(i, j);
        total -= t * logProbs[j];
        grad[start + j] = (Math.exp(logProbs[j]) * targetSum - t) / rows;
      }
    } else if (clipFirst) {
      // With c = clip(p) and q = c / S, S = Σc: d/dp_j of −Σ_k t_k·log q_k is −t_j / c_j + Σt / S where p_j is not clipped.
      let clippedSum = 0;
      for (let j = 0; j < classes; j++) clippedSum += clip(p[start + j]);
      for (let j = 0; j < classes; j++) {
        const t = target(i, j);
        const c = clip(p[start + j]);
        total -= t * Math.log(c / clippedSum);
        grad[start + j] = c === p[start + j] ? (-t / c + targetSum / clippedSum) / rows : 0;
      }
    } else {
      // With q = p / S: d/dp_j of −Σ_k t_k·log q_k is −t_j / p_j + Σ_k t_k / S over unclipped k.
      let rowSum = 0;
      for (let j = 0; j < classes; j++) rowSum += p[start + j];
      let shared = 0;
      for (let j = 0; j < classes; j++) {
        const t = target(i, j);
        const q = p[start + j] / rowSum;
        const clipped = clip(q);
        total -= t * Math.log(clipped);
        const active = q === clipped;
        if (active) shared += t / rowSum;
        grad[start + j] = active ? -t / p[start + j] : 0;
      }
      for (let j = 0; j < classes; j++) grad[start + j] = (grad[start + j] + shared) / rows;
    }
  }
  return { loss: total / rows, grad };
}

export function categoricalCrossentropy(labels: Tensor, predictions: Tensor, options: LossOptions = {}): LossResult {
  const op = 'categoricalCrossentropy';
  checkSameShape(op, labels, predictions.shape);
  const [, classes] = rowsOf(op, predictions);
  const y = labels.data;
  return crossentropy(op, predictions, (i, j) => y[i * classes + j], options.fromLogits ?? false);
}

export function sparseCategoricalCrossentropy(labels: Tensor, predictions: Tensor, options: LossOptions = {}): LossResult {
  const op = 'sparseCategoricalCrossentropy';
  rowsOf(op, predictions);
  checkClassIds(op, labels, predictions.shape);
  return crossentropy(op, predictions, (i, j) => (labels.data[i] === j ? 1 : 0), options.fromLogits ?? false, true);
}

/** Mean over the last axis of Keras' binary cross-entropy, then mean over the batch. */
export function binaryCrossentropy(labels: Tensor, predictions: Tensor, options: LossOptions = {}): LossResult {
  const op = 'binaryCrossentropy';
  checkSameShape(op, labels, predictions.shape);
  const p = predictions.data as Float32Array;
  const y = labels.data;
  const n = p.length;
  const grad = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i];
    if (options.fromLogits) {
      // max(z, 0) − z·t + log(1 + exp(−|z|)): no overflow for large |z|.
      const z = p[i];
      total += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
      grad[i] = (1 / (1 + Math.exp(-z)) - t) / n;
    } else {
      const q = clip(p[i]);
      total -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
      grad[i] = q === p[i] ? (q - t) / (q * (1 - q) * n) : 0;
    }
  }
  return { loss: total / n, grad };
}

/** Mean of the squared differences (over the last axis, then the batch: the same mean overall). */
export function meanSquaredError(labels: Tensor, predictions: Tensor): LossResult {
  checkSameShape('meanSquaredError', labels, predictions.shape);
  const p = predictions.data as Float32Array;
  const y = labels.data;
  const n = p.length;
  const grad = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = p[i] - y[i];
    total += d * d;
    grad[i] = (2 * d) / n;
  }
  return { loss: total / n, grad };
}

export const LOSSES: Record<LossName, (labels: Tensor, predictions: Tensor, options?: LossOptions) => LossResult> = {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  meanSquaredError,
};
