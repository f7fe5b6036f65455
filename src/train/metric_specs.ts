import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import type { MetricKind } from './metrics.js';

// The public `metrics` namespace: Keras' metric classes, as its tutorials give them to compile
// (`metrics=[keras.metrics.BinaryAccuracy(name="acc")]` is `metrics: [new metrics.BinaryAccuracy({
// name: 'acc' })]`): each computes what compile's metric of that name does, logged under `name`.

/** Options of a metric class: the name its values are logged under (Keras' default: the metric's snake_case name). */
export interface MetricOptions {
  name?: string;
}

/** A metric given to compile as Keras' class: what it computes (`kind`) and the key it is logged as (`name`). */
export abstract class KerasMetric {
  readonly name: string;
  abstract readonly kind: MetricKind;

  protected constructor(className: string, defaultName: string, options: MetricOptions) {
    const where = `metrics.${className}`;
    checkOptions(where, options, ['name']);
    const { name = defaultName } = options;
    if (typeof name !== 'string' || name === '')
      throw new ConvlensError(`${where}: name must be a non-empty string, got ${describeValue(name)}`);
    this.name = name;
  }
}

/** Keras' `BinaryAccuracy` (threshold 0.5; a logit's 0 for a loss from logits, see docs/layers.md). */
export class BinaryAccuracy extends KerasMetric {
  readonly kind = 'binaryAccuracy';
  constructor(options: MetricOptions = {}) {
    super('BinaryAccuracy', 'binary_accuracy', options);
  }
}

/** Keras' `CategoricalAccuracy`: one-hot labels. */
export class CategoricalAccuracy extends KerasMetric {
  readonly kind = 'categoricalAccuracy';
  constructor(options: MetricOptions = {}) {
    super('CategoricalAccuracy', 'categorical_accuracy', options);
  }
}

/** Keras' `SparseCategoricalAccuracy`: class indices as labels. */
export class SparseCategoricalAccuracy extends KerasMetric {
  readonly kind = 'sparseCategoricalAccuracy';
  constructor(options: MetricOptions = {}) {
    super('SparseCategoricalAccuracy', 'sparse_categorical_accuracy', options);
  }
}

/** Keras' `MeanSquaredError` metric. */
export class MeanSquaredError extends KerasMetric {
  readonly kind = 'meanSquaredError';
  constructor(options: MetricOptions = {}) {
    super('MeanSquaredError', 'mean_squared_error', options);
  }
}

/** Keras' `MeanAbsoluteError` metric. */
export class MeanAbsoluteError extends KerasMetric {
  readonly kind = 'meanAbsoluteError';
  constructor(options: MetricOptions = {}) {
    super('MeanAbsoluteError', 'mean_absolute_error', options);
  }
}
