import { ConvlensError } from '../errors.js';

/** Element types, as TensorFlow names them. `bool` is stored as 0/1 bytes. */
export type DType = 'float32' | 'int32' | 'uint8' | 'bool';

export interface DataTypeMap {
  float32: Float32Array;
  int32: Int32Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TypedArray = Float32Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'int32', 'uint8', 'bool'];

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

const BYTES: Record<DType, number> = { float32: 4, int32: 4, uint8: 1, bool: 1 };

/**
 * A zeroed array for `size` values of `dtype`. A size no array can hold (a huge shape from absurd
 * padding or a typo) is a ConvlensError naming `op`, not the engine's RangeError.
 */
export function allocate<D extends DType>(dtype: D, size: number, op = 'tensor'): DataTypeMap[D] {
  try {
    switch (dtype) {
      case 'float32':
        return new Float32Array(size) as DataTypeMap[D];
      case 'int32':
        return new Int32Array(size) as DataTypeMap[D];
      default:
        return new Uint8Array(size) as DataTypeMap[D];
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const gigabytes = (size * BYTES[dtype]) / 2 ** 30;
    throw new ConvlensError(
      `${op}: cannot allocate ${size.toExponential(2)} ${dtype} values (${gigabytes.toPrecision(3)} GiB): the result is too large`,
      {
        cause: error,
      },
    );
  }
}

/** The dtype a typed array's values keep; JavaScript callers may pass any typed array, not just the three we store. */
export function dtypeOfTypedArray(values: ArrayBufferView): DType {
  if (values instanceof Float32Array || values instanceof Float64Array) return 'float32';
  if (values instanceof Uint8Array || values instanceof Uint8ClampedArray) return 'uint8';
  return values instanceof Int32Array || values instanceof Int16Array || values instanceof Int8Array || values instanceof Uint16Array
    ? 'int32'
    : 'float32';
}

const RANK: Record<DType, number> = { bool: 0, uint8: 1, int32: 2, float32: 3 };

/** The dtype two operands are promoted to in element-wise arithmetic (bool < uint8 < int32 < float32). */
export function upcast(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}
