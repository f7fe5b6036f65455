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

/** The typed array each dtype's values live in. */
export const STORAGE: {
  [D in DType]: { new (size: number): DataTypeMap[D]; new (buffer: ArrayBufferLike, offset: number, size: number): DataTypeMap[D] };
} = {
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/**
 * A zeroed array for `size` values of `dtype`. A size no array can hold (a huge shape from absurd
 * padding or a typo) is a ConvlensError naming `op`, not the engine's RangeError.
 */
export function allocate<D extends DType>(dtype: D, size: number, op = 'tensor'): DataTypeMap[D] {
  try {
    return new STORAGE[dtype](size);
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

/** Node's Buffer where there is one (not in a browser): `allocUnsafeSlow` gives memory without zeroing it. */
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

/** Below this many bytes zeroing costs less than getting unzeroed memory. */
const UNZEROED_MIN_BYTES = 1 << 16;

/**
 * Set (by the tests, `CONVLENS_POISON_OUTPUTS=1`): `allocateOutput` fills its arrays with NaN (or
 * -1 for integers) instead, so an element a kernel fails to write shows up as a wrong value
 * rather than as a lucky zero.
 */
const poison = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.CONVLENS_POISON_OUTPUTS === '1';

/**
 * An array for an op's result that its kernel writes in full (conv2d, pooling, element-wise ops):
 * in Node, large ones are not zeroed first. Zeroing is a pass over memory that the kernel's
 * writes repeat: for a 224×224×64 conv2d output (12.8 MB) it was about 15% of the call.
 */
export function allocateOutput<D extends DType>(dtype: D, size: number, op = 'tensor'): DataTypeMap[D] {
  if (poison) return allocate(dtype, size, op).fill(dtype === 'float32' ? Number.NaN : -1) as DataTypeMap[D];
  const bytes = size * BYTES[dtype];
  if (!nodeBuffer || bytes < UNZEROED_MIN_BYTES) return allocate(dtype, size, op);
  let memory: Uint8Array;
  try {
    memory = nodeBuffer.allocUnsafeSlow(bytes);
  } catch {
    return allocate(dtype, size, op); // too large: allocate's error names the op
  }
  // a plain view, never the Buffer itself: Buffer's slice() shares memory where Uint8Array's copies
  return new STORAGE[dtype](memory.buffer, memory.byteOffset, size);
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

/** The values each integer dtype holds. */
export const INTEGER_RANGE = { int32: [-(2 ** 31), 2 ** 31 - 1], uint8: [0, 255] } as const;
