import { ConvlensError, checkOptions, describeValue } from '../errors.js';

// Weight and activity penalties, as Keras' and tfjs' regularizers compute them: l1·Σ|x| + l2·Σx²
// (Keras' L2 has no ½), added to the loss, their gradient l1·sign(x) + 2·l2·x to the weights'.

export interface L1L2Args {
  /** The factor of Σ|x| (0.01 when left out, as tfjs' `l1l2`). */
  l1?: number;
  /** The factor of Σx² (0.01 when left out, as tfjs' `l1l2`). */
  l2?: number;
}

/** Checks a factor: a finite number ≥ 0 (a negative one would reward large weights). */
function factor(where: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConvlensError(`${where}: ${key} must be a finite number ≥ 0, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Keras' and tfjs' L1L2 penalty: l1·Σ|x| + l2·Σx². `regularizers.l1`, `l2` and `l1l2` make one;
 * Keras' L1 and L2 are L1L2s with the other factor 0, which is how tfjs saves them too.
 */
export class L1L2 {
  readonly className = 'L1L2';
  readonly l1: number;
  readonly l2: number;

  constructor(args: L1L2Args = {}, where = 'regularizers.l1l2') {
    checkOptions(where, args, ['l1', 'l2']);
    this.l1 = factor(where, 'l1', args.l1 ?? 0.01);
    this.l2 = factor(where, 'l2', args.l2 ?? 0.01);
  }

  /** l1·Σ|x| + l2·Σx² over `values`. */
  penalty(values: ArrayLike<number>): number {
    const { l1, l2 } = this;
    let abs = 0;
    let squares = 0;
    for (let i = 0; i < values.length; i++) {
      abs += Math.abs(values[i]);
      squares += values[i] * values[i];
    }
    return l1 * abs + l2 * squares;
  }

  /** Adds `scale` times the penalty's gradient (l1·sign(x) + 2·l2·x, TensorFlow's sign(0) = 0) to `grad`. */
  addGradient(values: ArrayLike<number>, grad: Float32Array, scale = 1): void {
    const l1 = this.l1 * scale;
    const twoL2 = 2 * this.l2 * scale;
    for (let i = 0; i < values.length; i++) grad[i] += l1 * Math.sign(values[i]) + twoL2 * values[i];
  }

  /** Keras' config, as tfjs writes it (its one regularizer class), so the saved model opens in both. */
  getConfig(): { class_name: 'L1L2'; config: { l1: number; l2: number } } {
    return { class_name: 'L1L2', config: { l1: this.l1, l2: this.l2 } };
  }
}

export type Regularizer = L1L2;

/** A regularizer's factor given alone (Keras' `L1(0.01)`) or as tfjs' options object (`l1({ l1: 0.01 })`). */
function oneFactor(where: string, key: 'l1' | 'l2', args: unknown): number | undefined {
  if (args === undefined || typeof args === 'number') return args;
  checkOptions(where, args, [key]);
  return (args as Record<string, number | undefined>)[key];
}

/** Keras' L1: l1·Σ|x| (0.01 by default); `l1(0.01)` or tfjs' `l1({ l1: 0.01 })`. */
export function l1(args?: number | { l1?: number }): L1L2 {
  return new L1L2({ l1: oneFactor('regularizers.l1', 'l1', args) ?? 0.01, l2: 0 }, 'regularizers.l1');
}

/** Keras' L2: l2·Σx², no ½ (0.01 by default); `l2(0.01)` or tfjs' `l2({ l2: 0.01 })`. */
export function l2(args?: number | { l2?: number }): L1L2 {
  return new L1L2({ l1: 0, l2: oneFactor('regularizers.l2', 'l2', args) ?? 0.01 }, 'regularizers.l2');
}

/** Both penalties, `l1l2({ l1, l2 })`, each 0.01 when left out (tfjs' l1l2, Keras' l1_l2). */
export function l1l2(args?: L1L2Args): L1L2 {
  return new L1L2(args ?? {});
}

/** What a layer takes as a regularizer: a name (with the default factors, 0.01) or a regularizer. */
export type RegularizerIdentifier = 'l1' | 'l2' | 'l1l2' | 'l1_l2' | Regularizer;
