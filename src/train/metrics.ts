import { ConvlensError, describeValue } from '../errors.js';
import { formatShape, sizeFromShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LossName } from './losses.js';
import { KerasMetric } from './metric_specs.js';

/**
 * What a metric computes. `accuracy` is Keras' plain `'accuracy'`: binary, categorical or sparse
 * categorical accuracy, picked from the loss (and the output's width) as Keras picks it;
 * `crossentropy` (tfjs' and tf.keras 2's `'crossentropy'` or `'ce'`) the cross-entropy picked alike.
 */
export type MetricKind =
  | 'accuracy'
  | 'crossentropy'
  | 'binaryAccuracy'
  | 'categoricalAccuracy'
  | 'sparseCategoricalAccuracy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'meanAbsolutePercentageError'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'precision'
  | 'recall'
  | 'cosineProximity'
  | 'cosineSimilarity'
  | 'r2Score';

/** A metric as compile was given it: `key` names it in logs, history and evaluate's result. */
export interface Metric {
  key: string;
  kind: MetricKind;
}

/** Keras' names (snake_case and short forms) and tfjs' camelCase ones. */
const METRIC_NAMES: Record<string, MetricKind> = {
  accuracy: 'accuracy',
  acc: 'accuracy',
  binary_accuracy: 'binaryAccuracy',
  binaryAccuracy: 'binaryAccuracy',
  categorical_accuracy: 'categoricalAccuracy',
  categoricalAccuracy: 'categoricalAccuracy',
  sparse_categorical_accuracy: 'sparseCategoricalAccuracy',
  sparseCategoricalAccuracy: 'sparseCategoricalAccuracy',
  mse: 'meanSquaredError',
  MSE: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  meanSquaredError: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  MAE: 'meanAbsoluteError',
  mean_absolute_error: 'meanAbsoluteError',
  meanAbsoluteError: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError',
  MAPE: 'meanAbsolutePercentageError',
  mean_absolute_percentage_error: 'meanAbsolutePercentageError',
  meanAbsolutePercentageError: 'meanAbsolutePercentageError',
  categorical_crossentropy: 'categoricalCrossentropy',
  categoricalCrossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  binaryCrossentropy: 'binaryCrossentropy',
  crossentropy: 'crossentropy',
  ce: 'crossentropy',
  precision: 'precision',
  recall: 'recall',
  cosine: 'cosineProximity',
  cosineProximity: 'cosineProximity',
  cosine_proximity: 'cosineProximity',
  cosine_similarity: 'cosineSimilarity',
  cosineSimilarity: 'cosineSimilarity',
  r2Score: 'r2Score',
  r2_score: 'r2Score',
};

const SUPPORTED =
  "'accuracy', 'binary_accuracy', 'categorical_accuracy', 'sparse_categorical_accuracy', 'mse', 'mae', 'mape', 'categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy', 'crossentropy', 'precision', 'recall', 'cosine_proximity', 'cosine_similarity', 'r2_score' (also as 'acc', 'ce', 'cosine', Keras' long names and tfjs' camelCase ones)";

/** The names tfjs-layers can compile a loaded model with (undefined: tfjs has no such metric). */
const TFJS_NAMES: Record<MetricKind, string | undefined> = {
  accuracy: undefined, // kept as written: 'accuracy' or 'acc'
  crossentropy: undefined, // kept as written: 'crossentropy' or 'ce'
  binaryAccuracy: 'binaryAccuracy',
  categoricalAccuracy: 'categoricalAccuracy',
  sparseCategoricalAccuracy: undefined,
  meanSquaredError: 'mse',
  meanAbsoluteError: 'mae',
  meanAbsolutePercentageError: 'mape',
  categoricalCrossentropy: 'categoricalCrossentropy',
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  binaryCrossentropy: undefined,
  precision: 'precision',
  recall: undefined, // tfjs has it as a function (tf.metrics.recall), which compile takes, but not by name
  cosineProximity: 'cosine',
  cosineSimilarity: undefined, // Keras 3's; tfjs has only the proximity, its negation
  r2Score: undefined, // a function too (tf.metrics.r2Score)
};

/** compile's `metrics` (or `weightedMetrics`, `arg`): a list of names, or one name alone (as tfjs accepts); repeated keys count once. */
export function metricsArg(metrics: unknown, arg = 'metrics'): Metric[] {
  if (metrics === undefined || metrics === null) return [];
  const list = typeof metrics === 'string' ? [metrics] : metrics;
  if (!Array.isArray(list)) {
    throw new ConvlensError(`compile: ${arg} must be a list of metric names (e.g. ['accuracy']), got ${describeValue(metrics)}`);
  }
  const byKey = new Map<string, Metric>();
  for (const given of list) {
    const name = given instanceof KerasMetric ? given.name : given;
    const kind = given instanceof KerasMetric ? given.kind : metricKind(given);
    if (!kind) {
      // only a different case or spelling of a known name is suggested: 'auc' is not a misspelt 'acc'
      const normal = (n: string) => n.toLowerCase().replace(/_/g, '');
      const guess = typeof name === 'string' ? Object.keys(METRIC_NAMES).find((known) => normal(known) === normal(name)) : undefined;
      throw new ConvlensError(
        `compile: unknown ${arg === 'metrics' ? 'metric' : `metric in ${arg}`} ${describeValue(name)}${guess ? ` (did you mean '${guess}'?)` : ''} (supported: ${SUPPORTED})`,
      );
    }
    byKey.set(name, { key: name, kind });
  }
  return [...byKey.values()];
}

/** Keras' name of each kind of metric, which a saved config reads back as that kind. */
const KERAS_NAMES: Record<MetricKind, string> = {
  accuracy: 'accuracy',
  crossentropy: 'crossentropy',
  binaryAccuracy: 'binary_accuracy',
  categoricalAccuracy: 'categorical_accuracy',
  sparseCategoricalAccuracy: 'sparse_categorical_accuracy',
  meanSquaredError: 'mean_squared_error',
  meanAbsoluteError: 'mean_absolute_error',
  meanAbsolutePercentageError: 'mean_absolute_percentage_error',
  categoricalCrossentropy: 'categorical_crossentropy',
  sparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
  binaryCrossentropy: 'binary_crossentropy',
  precision: 'precision',
  recall: 'recall',
  cosineProximity: 'cosine_proximity',
  cosineSimilarity: 'cosine_similarity',
  r2Score: 'r2_score',
};

/**
 * The name a metric is saved by: its key, where that names its kind, else its kind's Keras name
 * (a metric class named otherwise, `new metrics.BinaryAccuracy({ name: 'acc' })`, is saved as
 * 'binary_accuracy': the saved config holds names, not Keras' metric objects).
 */
export function savedMetricName(metric: Metric): string {
  return metricKind(metric.key) === metric.kind ? metric.key : KERAS_NAMES[metric.kind];
}

/**
 * The log keys of weighted metrics, as Keras 3 names them (CompileMetrics.result): each output's
 * in turn, `prefix` (`<output>_`, for one of several outputs) and its key, or, where a metric
 * (weighted or not) already has that name, `prefix` + `weighted_<key>`, then `_1`, `_2`... on
 * further clashes. `taken` holds the names of the metrics that are not weighted, every output's.
 */
export function weightedMetricNames(
  taken: Iterable<string>,
  outputs: readonly { prefix: string; metrics: readonly Metric[] }[],
): string[][] {
  const counts = new Map<string, number>([...taken].map((name) => [name, 1]));
  return outputs.map(({ prefix, metrics }) =>
    metrics.map(({ key }) => {
      const plain = prefix + key;
      if (!counts.has(plain)) {
        counts.set(plain, 1);
        return plain;
      }
      const weighted = `${prefix}weighted_${key}`;
      const count = counts.get(weighted);
      counts.set(weighted, (count ?? 0) + 1);
      return count === undefined ? weighted : `${weighted}_${count}`;
    }),
  );
}

/** The metric `name` stands for: Keras takes 'accuracy' and 'acc' in any case, the other names as written. */
function metricKind(name: unknown): MetricKind | undefined {
  if (typeof name !== 'string') return undefined;
  const lower = name.toLowerCase();
  if (lower === 'accuracy' || lower === 'acc') return 'accuracy';
  return Object.hasOwn(METRIC_NAMES, name) ? METRIC_NAMES[name] : undefined;
}

/** Which way `name` (a metric, or `loss`) improves, as Keras' metrics say; undefined for a name compile does not know. */
export function metricImproves(name: string): 'up' | 'down' | undefined {
  if (name === 'loss') return 'down';
  const kind = metricKind(name);
  if (kind === undefined) return undefined;
  // cosine proximity is the negated cosine similarity: down, as the loss it also is
  return kind.endsWith('Accuracy') || ['accuracy', 'precision', 'recall', 'cosineSimilarity', 'r2Score'].includes(kind) ? 'up' : 'down';
}

/** Whether compile takes `name` as a metric (a saved model's metrics are checked with it). */
export function isMetricName(name: unknown): boolean {
  return metricKind(name) !== undefined;
}

/**
 * The metric's name in a saved model's trainingConfig, as tfjs reads it (so it may differ from
 * the key: `mean_squared_error` is saved as `mse`); undefined if tfjs has none.
 */
export function tfjsMetricName(metric: Metric, loss: LossName): string | undefined {
  if (metric.kind === 'accuracy') return metric.key.toLowerCase();
  if (metric.kind === 'crossentropy') return metric.key;
  // tfjs has sparse accuracy only as what 'accuracy' means beside the sparse loss
  if (metric.kind === 'sparseCategoricalAccuracy' && loss === 'sparseCategoricalCrossentropy') return 'accuracy';
  return TFJS_NAMES[metric.kind];
}

/**
 * The metric `kind` computes with this loss and an output `classes` wide: `'accuracy'` and
 * `'crossentropy'` stand for the binary, sparse or categorical one, as tfjs (and Keras, for
 * accuracy) picks it.
 */
function resolvedKind(kind: MetricKind, loss: LossName, classes: number): MetricKind {
  if (kind !== 'accuracy' && kind !== 'crossentropy') return kind;
  const accuracy = kind === 'accuracy';
  if (loss === 'binaryCrossentropy' || classes === 1) return accuracy ? 'binaryAccuracy' : 'binaryCrossentropy';
  if (loss === 'sparseCategoricalCrossentropy') return accuracy ? 'sparseCategoricalAccuracy' : 'sparseCategoricalCrossentropy';
  return accuracy ? 'categoricalAccuracy' : 'categoricalCrossentropy';
}

/**
 * Checks that labels `y` suit the metric for outputs of `outputShape` (batch axis first), before
 * any work: a metric that compares y with the output needs y shaped like it; sparse accuracy
 * needs one class index per example.
 */
export function checkMetricLabels(op: string, metric: Metric, loss: LossName, y: Tensor, outputShape: readonly number[]): void {
  const classes = outputShape.length > 1 ? outputShape[outputShape.length - 1] : 1;
  const kind = resolvedKind(metric.kind, loss, classes);
  const rows = sizeFromShape(outputShape) / classes;
  if (kind === 'sparseCategoricalAccuracy' || kind === 'sparseCategoricalCrossentropy') {
    if (y.size !== rows) {
      throw new ConvlensError(
        `${op}: metric ${metric.key} takes one class index per example, but y has shape ${formatShape(y.shape)} for outputs of shape ${formatShape(outputShape)}`,
      );
    }
    return;
  }
  if (y.size !== sizeFromShape(outputShape) || y.shape.some((d, i) => d !== outputShape[i])) {
    throw new ConvlensError(
      `${op}: metric ${metric.key} compares y with the output, so y must have shape ${formatShape(outputShape)}, got ${formatShape(y.shape)}`,
    );
  }
}

/**
 * The metric summed over the examples of a batch (fit and evaluate divide by their count).
 * `p` is the model's output; `logits` says it is logits (a loss fromLogits), whose threshold for
 * binary accuracy is 0 rather than a probability's 0.5. With `rowWeights` (one per row of the
 * output), each row's metric times its weight, as Keras' weighted_metrics sum it (fit and evaluate
 * divide by the weights' sum, rowWeightSum). Precision, recall and R² are one value per batch, as
 * tfjs computes them: that value times the batch's size (or weights' sum).
 */
export function metricSum(
  metric: Metric,
  loss: LossName,
  y: Tensor,
  p: Tensor<'float32'>,
  logits: boolean,
  rowWeights?: ArrayLike<number>,
): number {
  const classes = p.rank > 1 ? p.shape[p.rank - 1] : 1;
  const rows = p.size / classes;
  const kind = resolvedKind(metric.kind, loss, classes);
  if (kind === 'precision' || kind === 'recall' || kind === 'r2Score') {
    const weight = rowWeightSum(rowWeights, rows, p.shape[0] ?? 0);
    if (weight === 0) return 0; // a batch weighted 0 counts nowhere (R² would be NaN)
    return (kind === 'r2Score' ? r2Score(y, p, classes, rowWeights) : confusionRatio(kind, y, p, classes, rowWeights)) * weight;
  }
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += rowMetric(kind, y, p, i, classes, logits) * (rowWeights ? rowWeights[i] : 1);
  // an example of an [N, H, W, C] output has H·W rows: it counts the mean of theirs, as in Keras
  const examples = p.shape[0] ?? 0;
  return rows === 0 ? 0 : (sum * examples) / rows;
}

/**
 * What a batch adds to the denominator of Keras' weighted_metrics: the sum of its examples'
 * weights, an example's the mean of its rows' (`rows` in all, `examples` examples); the number of
 * examples when unweighted.
 */
export function rowWeightSum(rowWeights: ArrayLike<number> | undefined, rows: number, examples: number): number {
  if (!rowWeights || rows === 0) return examples;
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += rowWeights[i];
  return (sum * examples) / rows;
}

/** The metric of one row of `classes` outputs (a row is one example for a [N, classes] output). */
function rowMetric(kind: MetricKind, y: Tensor, p: Tensor<'float32'>, row: number, classes: number, logits: boolean): number {
  const start = row * classes;
  switch (kind) {
    case 'binaryAccuracy': {
      const threshold = logits ? 0 : 0.5;
      let equal = 0;
      for (let j = 0; j < classes; j++) if ((p.data[start + j] > threshold ? 1 : 0) === y.data[start + j]) equal++;
      return equal / classes;
    }
    case 'categoricalAccuracy':
      return argmax(p.data, start, classes) === argmax(y.data, start, classes) ? 1 : 0;
    case 'sparseCategoricalAccuracy':
      return argmax(p.data, start, classes) === y.data[row] ? 1 : 0;
    case 'meanSquaredError': {
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += (p.data[start + j] - y.data[start + j]) ** 2;
      return sum / classes;
    }
    case 'meanAbsoluteError': {
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += Math.abs(p.data[start + j] - y.data[start + j]);
      return sum / classes;
    }
    case 'meanAbsolutePercentageError': {
      // Keras' and tfjs': 100·mean(|y − p| / max(|y|, ε)), ε their 1e-7
      let sum = 0;
      for (let j = 0; j < classes; j++) {
        const t = y.data[start + j];
        sum += Math.abs((t - p.data[start + j]) / Math.max(Math.abs(t), EPSILON));
      }
      return (100 * sum) / classes;
    }
    case 'categoricalCrossentropy':
      return categoricalCrossentropy(probabilities(p.data, start, classes, logits), (j) => y.data[start + j]);
    case 'sparseCategoricalCrossentropy': {
      // tfjs clips before it rescales the row (and clips again), as its sparse metric does
      const clipped = probabilities(p.data, start, classes, logits).map(clipProbability);
      return categoricalCrossentropy(clipped, (j) => (j === Math.floor(y.data[row]) ? 1 : 0));
    }
    case 'binaryCrossentropy': {
      let sum = 0;
      for (let j = 0; j < classes; j++) {
        const v = p.data[start + j];
        const q = clipProbability(logits ? Math.fround(1 / (1 + Math.exp(-v))) : v);
        const t = y.data[start + j];
        sum -= t * Math.log(q) + (1 - t) * Math.log(1 - q);
      }
      return sum / classes;
    }
    case 'cosineProximity': {
      // tfjs' (and tf.keras' v1 'cosine_proximity'): −Σ y·p over the row, each scaled to unit length, a norm at least √1e-7
      const [yy, pp, yp] = rowProducts(y.data, p.data, start, classes);
      return -yp / (Math.sqrt(Math.max(yy, EPSILON)) * Math.sqrt(Math.max(pp, EPSILON)));
    }
    case 'cosineSimilarity': {
      // Keras 3's cosine_similarity: Σ y·p over the row, each divided by its norm, a norm at least 1e-7 (keras.ops.normalize)
      const [yy, pp, yp] = rowProducts(y.data, p.data, start, classes);
      return yp / (Math.max(Math.sqrt(yy), EPSILON) * Math.max(Math.sqrt(pp), EPSILON));
    }
    default:
      throw new Error(`unresolved metric ${kind}`);
  }
}

/**
 * tfjs-layers' precision (tp / (tp + fp)) or recall (tp / (tp + fn)) of a whole batch, 0 when the
 * denominator is 0 (no predicted positives for precision, no positive labels for recall). As
 * tfjs counts them, an output is a positive only when exactly 1 and a negative only when exactly
 * 0, and so is a label: there is no threshold (a sigmoid's 0.93 is neither; a label of 0.5 counts
 * nowhere), taking the output as it is (a fromLogits loss's logits too, as Keras' Precision does).
 * fit and evaluate then average the batches' values weighted by their sizes. Keras'
 * Precision and Recall differ: they threshold the output at 0.5 and accumulate the counts over the
 * whole epoch before dividing. With `rowWeights`, each count is weighted by its row's weight, as
 * Keras weighs its counts by the sample weights.
 */
function confusionRatio(
  kind: 'precision' | 'recall',
  y: Tensor,
  p: Tensor<'float32'>,
  classes: number,
  rowWeights?: ArrayLike<number>,
): number {
  let [truePositives, misses] = [0, 0];
  for (let i = 0; i < p.size; i++) {
    const [label, output] = [y.data[i], p.data[i]];
    const weight = rowWeights ? rowWeights[Math.floor(i / classes)] : 1;
    if (label === 1 && output === 1) truePositives += weight;
    // a false positive for precision, a false negative for recall
    else if (kind === 'precision' ? label === 0 && output === 1 : label === 1 && output === 0) misses += weight;
  }
  const counted = truePositives + misses;
  return counted > 0 ? truePositives / counted : 0;
}

/**
 * tfjs-layers' r2Score of a whole batch: 1 − Σ(y − p)² / Σ(y − ȳ)², ȳ the mean of all the batch's
 * labels (not one per output column), so −Infinity (NaN if the outputs equal them too) when they
 * are all equal, as in tfjs. Keras' R2Score differs: a score per output column, averaged, from
 * sums over the whole epoch. With `rowWeights`, each term and ȳ weighted by its row's weight.
 */
function r2Score(y: Tensor, p: Tensor<'float32'>, classes: number, rowWeights?: ArrayLike<number>): number {
  const weightOf = (i: number) => (rowWeights ? rowWeights[Math.floor(i / classes)] : 1);
  let [weights, labels] = [0, 0];
  for (let i = 0; i < p.size; i++) {
    weights += weightOf(i);
    labels += weightOf(i) * y.data[i];
  }
  const mean = labels / weights;
  let [residuals, spread] = [0, 0];
  for (let i = 0; i < p.size; i++) {
    residuals += weightOf(i) * (y.data[i] - p.data[i]) ** 2;
    spread += weightOf(i) * (y.data[i] - mean) ** 2;
  }
  return 1 - residuals / spread;
}

/** Keras' and tfjs' epsilon, in float32. */
const EPSILON = Math.fround(1e-7);

/** Σ y², Σ p² and Σ y·p over the `length` values of a row from `start`: a cosine's parts. */
function rowProducts(y: ArrayLike<number>, p: ArrayLike<number>, start: number, length: number): [number, number, number] {
  let [yy, pp, yp] = [0, 0, 0];
  for (let j = start; j < start + length; j++) {
    yy += y[j] * y[j];
    pp += p[j] * p[j];
    yp += y[j] * p[j];
  }
  return [yy, pp, yp];
}

/** tfjs' and Keras' clip of a probability, [1e-7, 1 − 1e-7] in float32, which keeps its logarithm finite. */
const [LOWEST, HIGHEST] = [EPSILON, Math.fround(1 - 1e-7)];
const clipProbability = (q: number) => Math.min(Math.max(q, LOWEST), HIGHEST);

/** A row's outputs as probabilities: the softmax of logits (in float32, as the model's would be), or the outputs themselves. */
function probabilities(values: ArrayLike<number>, start: number, n: number, logits: boolean): number[] {
  const row = Array.from({ length: n }, (_, j) => values[start + j]);
  if (!logits) return row;
  // a loop, not Math.max(...row): a row of 200,000 classes overflows the call's arguments
  const max = row.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
  const exps = row.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => Math.fround(e / total));
}

/** −Σ t·log q, with q the row rescaled to sum to 1 and clipped, as tfjs' categoricalCrossentropy metric takes it. */
function categoricalCrossentropy(row: number[], target: (j: number) => number): number {
  const total = row.reduce((a, b) => a + b, 0);
  let sum = 0;
  for (let j = 0; j < row.length; j++) sum -= target(j) * Math.log(clipProbability(row[j] / total));
  return sum;
}

/** The index of the first largest of `n` values from `start` (as tf.argmax picks among ties). */
function argmax(values: ArrayLike<number>, start: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (values[start + j] > values[start + best]) best = j;
  return best;
}
