import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { formatShape, sizeFromShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Keras' clip for probabilities before taking logs, [ε, 1 − ε] with ε = 1e-7, in float32 as
 * TensorFlow and tfjs compute it: a saturated output's −log(1 − p) is then −log(1.19e-7) = 15.94,
 * theirs, not −log(1e-7) = 16.12.
 */
export const EPSILON = Math.fround(1e-7);
const HIGHEST_PROBABILITY = Math.fround(1 - 1e-7);

export type LossName = 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError';

/** The loss value and its gradient with respect to the predictions (or the logits when `fromLogits`). */
export interface LossResult {
  loss: number;
  grad: Float32Array;
}

export interface LossOptions {
  /** Predictions are logits (before softmax/sigmoid): the loss applies it itself, stably. */
  fromLogits?: boolean;
  /**
   * Keras' label_smoothing for the categorical and binary cross-entropies: targets t become
   * t·(1 − s) + s / classes (categorical) or t·(1 − s) + s / 2 (binary).
   */
  labelSmoothing?: number;
  /**
   * A weight for each row of predictions (an example's, or a pixel's for [N, H, W, C] outputs):
   * the loss is Σ w·loss / rows, Keras' weighted loss over the batch size.
   */
  weights?: ArrayLike<number>;
}

const ALIASES: Record<string, LossName> = {
  binarycrossentropy: 'binaryCrossentropy',
  categoricalcrossentropy: 'categoricalCrossentropy',
  sparsecategoricalcrossentropy: 'sparseCategoricalCrossentropy',
  meansquarederror: 'meanSquaredError',
  mse: 'meanSquaredError',
};

const SUPPORTED = 'binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy or meanSquaredError';

/** Keras' and tfjs' other losses (snake_case and camelCase names, without underscores, lower case), which convlens lacks. */
const UNSUPPORTED = new Set(
  [
    'mean_absolute_error',
    'mae',
    'mean_absolute_percentage_error',
    'mape',
    'mean_squared_logarithmic_error',
    'msle',
    'hinge',
    'squared_hinge',
    'categorical_hinge',
    'huber',
    'log_cosh',
    'logcosh',
    'kl_divergence',
    'kld',
    'kullback_leibler_divergence',
    'poisson',
    'cosine_similarity',
    'cosine_proximity',
    'binary_focal_crossentropy',
    'categorical_focal_crossentropy',
    'ctc',
    'dice',
    'tversky',
  ].map((n) => n.replace(/_/g, '')),
);

/** Accepts Keras' names in snake_case or camelCase (`categorical_crossentropy`, `mse`). */
export function lossName(name: string): LossName {
  if (name === undefined) throw new ConvlensError(`compile: loss is required (e.g. 'sparseCategoricalCrossentropy')`);
  if (typeof name === 'function') {
    throw new ConvlensError(`compile: loss must be a loss name (${SUPPORTED}), got a function: custom losses are not supported`);
  }
  const key = String(name).replace(/_/g, '').toLowerCase();
  const resolved = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  if (resolved) return resolved;
  if (UNSUPPORTED.has(key)) {
    throw new ConvlensError(`compile: loss ${describeValue(name)} (a Keras or tfjs loss) is not supported; convlens has ${SUPPORTED}`);
  }
  throw new ConvlensError(`compile: unknown loss ${describeValue(name)} (expected ${SUPPORTED})`);
}

/** A loss with its settings, as compile takes it: Keras' name and options. */
export interface LossSpec {
  name: string;
  /** The model's outputs are logits: the loss applies the softmax or sigmoid itself (Keras' `from_logits`). */
  fromLogits?: boolean;
  /** Keras' `label_smoothing` (categorical and binary cross-entropy): targets move towards uniform by this much, from 0 to 1. */
  labelSmoothing?: number;
}

/** A loss's settings checked, as training uses them. */
export interface LossSettings {
  loss: LossName;
  fromLogits: boolean;
  labelSmoothing: number;
}

/** The losses Keras gives label_smoothing. */
const SMOOTHED: readonly LossName[] = ['categoricalCrossentropy', 'binaryCrossentropy'];

/**
 * A loss given by name or as a LossSpec, checked; `op` begins the messages and `arg` names the
 * spec's settings in them (compile's `loss.`).
 */
export function lossSettings(op: string, given: string | LossSpec, arg = ''): LossSettings {
  if (typeof given !== 'object' || given === null) return { loss: lossName(given), fromLogits: false, labelSmoothing: 0 };
  // an instance of a loss class (`new losses.BinaryCrossentropy({ fromLogits: true })`) holds the spec's keys as its own
  const spec = Array.isArray(given) ? given : { ...given };
  checkOptions(arg ? `${op} (${arg.replace(/\.$/, '')})` : op, spec, ['name', 'fromLogits', 'labelSmoothing']);
  if (spec.name === undefined) {
    throw new ConvlensError(`${op}: ${arg}name is required (e.g. { name: 'sparseCategoricalCrossentropy', fromLogits: true })`);
  }
  const loss = lossName(spec.name);
  const { fromLogits = false, labelSmoothing = 0 } = spec;
  if (typeof fromLogits !== 'boolean') {
    throw new ConvlensError(`${op}: ${arg}fromLogits must be true or false, got ${describeValue(fromLogits)}`);
  }
  if (fromLogits && loss === 'meanSquaredError') {
    throw new ConvlensError(`${op}: fromLogits is for the cross-entropy losses, not meanSquaredError`);
  }
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new ConvlensError(`${op}: ${arg}labelSmoothing must be a number from 0 to 1, got ${describeValue(labelSmoothing)}`);
  }
  if (labelSmoothing > 0 && !SMOOTHED.includes(loss)) {
    const hint = loss === 'sparseCategoricalCrossentropy' ? ' (categoricalCrossentropy of one-hot labels takes it)' : '';
    throw new ConvlensError(
      `${op}: ${arg}labelSmoothing is for categoricalCrossentropy and binaryCrossentropy, as in Keras, not ${loss}${hint}`,
    );
  }
  return { loss, fromLogits, labelSmoothing };
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

const clip = (p: number) => Math.min(HIGHEST_PROBABILITY, Math.max(EPSILON, p));

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
 * to 1, and zero where clipped). Each row's loss and gradient are scaled by its weight, if given.
 */
function crossentropy(
  op: string,
  predictions: Tensor,
  target: (row: number, j: number) => number,
  fromLogits: boolean,
  clipFirst = false,
  weights?: ArrayLike<number>,
): LossResult {
  const [rows, classes] = rowsOf(op, predictions);
  const p = predictions.data as Float32Array;
  const grad = new Float32Array(p.length);
  const logProbs = new Float64Array(classes);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const start = i * classes;
    let rowLoss = 0;
    let targetSum = 0;
    for (let j = 0; j < classes; j++) targetSum += target(i, j);
    if (fromLogits) {
      // d/dz of −Σ t·log softmax(z) is softmax(z)·Σt − t (Σt is 1 for one-hot rows).
      logSoftmaxRow(p, start, classes, logProbs);
      for (let j = 0; j < classes; j++) {
        const t = target(i, j);
        rowLoss -= t * logProbs[j];
        grad[start + j] = (Math.exp(logProbs[j]) * targetSum - t) / rows;
      }
    } else if (clipFirst) {
      // With c = clip(p) and q = c / S, S = Σc: d/dp_j of −Σ_k t_k·log q_k is −t_j / c_j + Σt / S where p_j is not clipped.
      let clippedSum = 0;
      for (let j = 0; j < classes; j++) clippedSum += clip(p[start + j]);
      for (let j = 0; j < classes; j++) {
        const t = target(i, j);
        const c = clip(p[start + j]);
        rowLoss -= t * Math.log(c / clippedSum);
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
        rowLoss -= t * Math.log(clipped);
        const active = q === clipped;
        if (active) shared += t / rowSum;
        grad[start + j] = active ? -t / p[start + j] : 0;
      }
      for (let j = 0; j < classes; j++) grad[start + j] = (grad[start + j] + shared) / rows;
    }
    const weight = weights ? weights[i] : 1;
    if (weight !== 1) for (let j = start; j < start + classes; j++) grad[j] *= weight;
    total += weight * rowLoss;
  }
  return { loss: total / rows, grad };
}

/** Keras' label smoothing of a target towards the uniform distribution over `classes`. */
const smoothed = (t: number, smoothing: number, classes: number) => t * (1 - smoothing) + smoothing / classes;

export function categoricalCrossentropy(labels: Tensor, predictions: Tensor, options: LossOptions = {}): LossResult {
  const op = 'categoricalCrossentropy';
  checkSameShape(op, labels, predictions.shape);
  const [, classes] = rowsOf(op, predictions);
  const y = labels.data;
  const smoothing = options.labelSmoothing ?? 0;
  const target = smoothing
    ? (i: number, j: number) => smoothed(y[i * classes + j], smoothing, classes)
    : (i: number, j: number) => y[i * classes + j];
  return crossentropy(op, predictions, target, options.fromLogits ?? false, false, options.weights);
}

export function sparseCategoricalCrossentropy(labels: Tensor, predictions: Tensor, options: LossOptions = {}): LossResult {
  const op = 'sparseCategoricalCrossentropy';
  rowsOf(op, predictions);
  checkClassIds(op, labels, predictions.shape);
  return crossentropy(op, predictions, (i, j) => (labels.data[i] === j ? 1 : 0), options.fromLogits ?? false, true, options.weights);
}

/** Mean over the last axis of Keras' binary cross-entropy, then mean over the batch (each row's times its weight, if given). */
export function binaryCrossentropy(labels: Tensor, predictions: Tensor, options: LossOptions = {}): LossResult {
  const op = 'binaryCrossentropy';
  checkSameShape(op, labels, predictions.shape);
  const [rows, width] = rowsOf(op, predictions);
  const p = predictions.data as Float32Array;
  const y = labels.data;
  const n = p.length;
  const grad = new Float32Array(n);
  const smoothing = options.labelSmoothing ?? 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const weight = options.weights ? options.weights[r] : 1;
    let rowTotal = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      const t = smoothing ? smoothed(y[i], smoothing, 2) : y[i];
      if (options.fromLogits) {
        // max(z, 0) − z·t + log(1 + exp(−|z|)): no overflow for large |z|.
        const z = p[i];
        rowTotal += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
        grad[i] = (weight * (1 / (1 + Math.exp(-z)) - t)) / n;
      } else {
        const q = clip(p[i]);
        rowTotal -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
        grad[i] = q === p[i] ? (weight * (q - t)) / (q * (1 - q) * n) : 0;
      }
    }
    total += weight * rowTotal;
  }
  return { loss: total / n, grad };
}

/** Mean of the squared differences (over the last axis, then the batch: the same mean overall; each row's times its weight, if given). */
export function meanSquaredError(labels: Tensor, predictions: Tensor, options: LossOptions = {}): LossResult {
  const op = 'meanSquaredError';
  checkSameShape(op, labels, predictions.shape);
  const [rows, width] = rowsOf(op, predictions);
  const p = predictions.data as Float32Array;
  const y = labels.data;
  const n = p.length;
  const grad = new Float32Array(n);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const weight = options.weights ? options.weights[r] : 1;
    let rowTotal = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      const d = p[i] - y[i];
      rowTotal += d * d;
      grad[i] = (2 * weight * d) / n;
    }
    total += weight * rowTotal;
  }
  return { loss: total / n, grad };
}

export const LOSSES: Record<LossName, (labels: Tensor, predictions: Tensor, options?: LossOptions) => LossResult> = {
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  meanSquaredError,
};
