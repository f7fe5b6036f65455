import { checkOptions } from '../errors.js';
import { type LossName, type LossSpec, lossSettings } from './losses.js';

// The public `losses` namespace: the losses compile takes with settings, as Keras' loss objects
// (`CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)`): `losses.categoricalCrossentropy({
// fromLogits, labelSmoothing })`.

export type { LossSpec };

/** Options of the cross-entropies that take label smoothing. */
export interface CrossentropyOptions {
  fromLogits?: boolean;
  labelSmoothing?: number;
}

/** A loss spec for `name` with `options` (of `keys`), checked now (`where` names the factory). */
function spec(where: string, name: LossName, options: object, keys = ['fromLogits', 'labelSmoothing']): LossSpec {
  checkOptions(where, options, keys);
  const made = { ...options, name };
  lossSettings(where, made);
  return made;
}

/** Keras' CategoricalCrossentropy: one-hot (or probability) labels. */
export function categoricalCrossentropy(options: CrossentropyOptions = {}): LossSpec {
  return spec('losses.categoricalCrossentropy', 'categoricalCrossentropy', options);
}

/** Keras' BinaryCrossentropy: labels 0 or 1 (or probabilities) for each output. */
export function binaryCrossentropy(options: CrossentropyOptions = {}): LossSpec {
  return spec('losses.binaryCrossentropy', 'binaryCrossentropy', options);
}

/** Keras' SparseCategoricalCrossentropy: class indices as labels (no label smoothing, as in Keras). */
export function sparseCategoricalCrossentropy(options: { fromLogits?: boolean } = {}): LossSpec {
  return spec('losses.sparseCategoricalCrossentropy', 'sparseCategoricalCrossentropy', options, ['fromLogits']);
}

/** Keras' MeanSquaredError. */
export function meanSquaredError(): LossSpec {
  return { name: 'meanSquaredError' };
}

// Keras' loss classes, as its tutorials write them (`keras.losses.SparseCategoricalCrossentropy(
// from_logits=True)` is `new losses.SparseCategoricalCrossentropy({ fromLogits: true })`): each
// instance is the spec the factory above gives, checked alike.

/** A Keras loss class's instance: the checked spec its factory gives, as fields. */
abstract class LossClass implements LossSpec {
  declare readonly name: string;
  declare readonly fromLogits?: boolean;
  declare readonly labelSmoothing?: number;
  protected constructor(made: LossSpec) {
    Object.assign(this, made);
  }
}

/** Keras' `keras.losses.CategoricalCrossentropy` class. */
export class CategoricalCrossentropy extends LossClass {
  constructor(options: CrossentropyOptions = {}) {
    super(spec('losses.CategoricalCrossentropy', 'categoricalCrossentropy', options));
  }
}

/** Keras' `keras.losses.BinaryCrossentropy` class. */
export class BinaryCrossentropy extends LossClass {
  constructor(options: CrossentropyOptions = {}) {
    super(spec('losses.BinaryCrossentropy', 'binaryCrossentropy', options));
  }
}

/** Keras' `keras.losses.SparseCategoricalCrossentropy` class (no label smoothing, as in Keras). */
export class SparseCategoricalCrossentropy extends LossClass {
  constructor(options: { fromLogits?: boolean } = {}) {
    super(spec('losses.SparseCategoricalCrossentropy', 'sparseCategoricalCrossentropy', options, ['fromLogits']));
  }
}

/** Keras' `keras.losses.MeanSquaredError` class. */
export class MeanSquaredError implements LossSpec {
  readonly name = 'meanSquaredError';
}
