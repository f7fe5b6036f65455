import { ConvlensError, describeValue } from '../errors.js';
import { type DataTypeMap, type DType, STORAGE } from './dtype.js';
import { formatTensor } from './format.js';
import { formatShape, invalidShapeMessage, isValidShape, sizeFromShape } from './shape.js';

/** Nested arrays as `array()` returns them: numbers (booleans for `bool`) at the leaves. */
export type NestedArray = number | boolean | NestedArray[];

/**
 * An immutable n-dimensional array: a flat row-major typed array plus a shape.
 * Its memory belongs to the garbage collector: there is nothing to dispose.
 */
export class Tensor<D extends DType = DType> {
  /**
   * Frozen at run time (push, sort or an assignment throw); typed `number[]`, as tfjs types it,
   * so that it can be passed where other libraries take a shape (`tf.tensor(t.data, t.shape)`).
   */
  readonly shape: number[];
  readonly dtype: D;
  readonly data: DataTypeMap[D];

  constructor(data: DataTypeMap[D], shape: readonly number[], dtype: D) {
    checkTensorParts('tensor', data, shape, dtype);
    // frozen: a caller's `t.shape.push(1)` would otherwise leave data and shape disagreeing
    this.shape = Object.freeze([...shape]) as number[];
    this.dtype = dtype;
    this.data = data;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** The values as nested arrays (a number for a scalar), like TensorFlow's `.numpy().tolist()`. */
  array(): NestedArray {
    const leaf = this.dtype === 'bool' ? (i: number) => this.data[i] !== 0 : (i: number) => this.data[i];
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return leaf(offset);
      const inner = sizeFromShape(this.shape.slice(axis + 1));
      return Array.from({ length: this.shape[axis] }, (_, i) => build(axis + 1, offset + i * inner));
    };
    return build(0, 0);
  }

  /** Aligned matrix text, like NumPy's printing (large tensors are summarised with `...`). */
  toString(): string {
    return formatTensor(this);
  }
}

/** Throws unless `data` is the typed array of `dtype` holding exactly the values of `shape`; `op` names the caller. */
export function checkTensorParts(op: string, data: unknown, shape: readonly number[], dtype: unknown): void {
  if (!isValidShape(shape)) {
    throw new ConvlensError(invalidShapeMessage(op, shape));
  }
  const storage = typeof dtype === 'string' && Object.hasOwn(STORAGE, dtype) ? STORAGE[dtype as DType] : undefined;
  if (!storage) throw new ConvlensError(`${op}: unknown dtype ${describeValue(dtype)} (expected float32, int32, uint8 or bool)`);
  if (!(data instanceof storage)) {
    throw new ConvlensError(`${op}: ${dtype} values must be held in a ${storage.name}, got ${describeValue(data)}`);
  }
  const size = sizeFromShape(shape);
  if ((data as ArrayLike<number>).length !== size) {
    throw new ConvlensError(
      `${op}: ${(data as ArrayLike<number>).length} values do not fill shape ${formatShape(shape)} (expected ${size})`,
    );
  }
  if (dtype === 'bool') {
    // A bool is false or true: other bytes would count as more than one true (sum, mean, cast to a number), as TensorFlow's bool never does
    const bytes = data as Uint8Array;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] > 1) {
        throw new ConvlensError(
          `${op}: bool values must be 0 (false) or 1 (true), got ${bytes[i]} at index ${i} (make a bool tensor of other numbers with cast(x, 'bool'))`,
        );
      }
    }
  }
}
