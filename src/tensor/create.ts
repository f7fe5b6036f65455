import { ConvlensError, describeValue } from '../errors.js';
import { allocate, type DataTypeMap, type DType, dtypeOfTypedArray, INTEGER_RANGE, isDType, type TypedArray, upcast } from './dtype.js';
import { formatShape, invalidShapeMessage, isValidShape, sizeFromShape } from './shape.js';
import { checkTensorParts, type NestedArray, Tensor } from './tensor.js';

/**
 * What `tensor` and `constant` accept: a typed array, a number or boolean, or nested arrays of
 * them, whose innermost rows may be typed arrays (`[new Float32Array([1, 2]), ...]`, as tfjs reads them).
 */
export type TensorLike = TypedArray | NestedArray | TensorLike[];

/** Typed arrays of numbers: the ones whose elements are values (a DataView is bytes, BigInt arrays hold bigints). */
function isNumberArray(value: unknown): value is ArrayLike<number> & ArrayBufferView {
  return ArrayBuffer.isView(value) && !(value instanceof DataView || value instanceof BigInt64Array || value instanceof BigUint64Array);
}

const isRow = (value: unknown): value is ArrayLike<TensorLike> => Array.isArray(value) || isNumberArray(value);

/** TensorFlow's largest rank (TensorShape's kMaxDims): deeper nesting is refused before it overflows the stack, or never ends (a list that holds itself). */
const MAX_RANK = 254;

function inferShape(op: string, values: TensorLike, name: string): number[] {
  const shape: number[] = [];
  let level: unknown = values;
  while (isRow(level)) {
    if (shape.length === MAX_RANK) {
      throw new ConvlensError(
        `${op}: ${name} are nested more than ${MAX_RANK} levels deep (TensorFlow's largest rank), or a list holds itself`,
      );
    }
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  const label = name.replaceAll("'", '');
  const path: number[] = []; // the indices down to the value being checked, for messages only
  const where = () => `${label}${path.map((i) => `[${i}]`).join('')}`;
  const notNumbers = (value: unknown) =>
    new ConvlensError(`${op}: ${where()} is ${describeValue(value)} (expected numbers, nested arrays or typed arrays of numbers)`);
  const checkLevel = (value: unknown, axis: number): void => {
    if (axis === shape.length) {
      // a hole of a sparse list, at once: new Array(1e9) would otherwise be read to its end
      if (value === undefined) throw new ConvlensError(`${op}: ${name} must be numbers or booleans, got undefined`);
      if (typeof value !== 'object' || value === null) return; // a number or boolean (inferDType checks the rest)
      if (isRow(value)) throw new ConvlensError(`${op}: ragged ${name}: ${where()} is an array where a number was expected`);
      if (ArrayBuffer.isView(value)) throw notNumbers(value);
      return;
    }
    if (ArrayBuffer.isView(value) && !isNumberArray(value)) throw notNumbers(value);
    if (!isRow(value) || value.length !== shape[axis]) {
      const got = isRow(value) ? `length ${value.length}` : 'a number';
      throw new ConvlensError(`${op}: ragged ${name}: ${where()} has ${got}, expected length ${shape[axis]}`);
    }
    if (!Array.isArray(value) && axis === shape.length - 1) return; // a typed array holds numbers
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      checkLevel(value[i], axis + 1);
      path.pop();
    }
  };
  checkLevel(values, 0);
  return shape;
}

/** The leaves in row-major order; the dtype of each typed array met goes to `typedDTypes`. */
function flatten(values: TensorLike, out: (number | boolean)[], typedDTypes: DType[]): (number | boolean)[] {
  if (Array.isArray(values)) for (const v of values) flatten(v, out, typedDTypes);
  else if (typeof values === 'object' && isNumberArray(values)) {
    typedDTypes.push(dtypeOfTypedArray(values));
    for (let i = 0; i < values.length; i++) out.push(values[i]);
  } else out.push(values);
  return out;
}

/** The leaves that are not in typed arrays: the ones read as numbers or booleans. */
function plainLeaves(values: TensorLike, out: (number | boolean)[] = []): (number | boolean)[] {
  if (Array.isArray(values)) for (const v of values) plainLeaves(v, out);
  else if (!ArrayBuffer.isView(values)) out.push(values);
  return out;
}

function inferDType(op: string, flat: (number | boolean)[], integersAsInt32: boolean, name: string): DType {
  if (flat.length > 0 && flat.every((v) => typeof v === 'boolean')) return 'bool';
  for (const v of flat) {
    if (typeof v !== 'number' && typeof v !== 'boolean') {
      const got = v === undefined || v === null ? String(v) : `${typeof v} (${describeValue(v)})`;
      throw new ConvlensError(`${op}: ${name} must be numbers or booleans, got ${got}`);
    }
  }
  // An empty list is float32 in TensorFlow, even for tf.constant.
  const [lo, hi] = INTEGER_RANGE.int32;
  const int32 = (v: number | boolean) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
  return integersAsInt32 && flat.length > 0 && flat.every(int32) ? 'int32' : 'float32';
}

/**
 * Rows that are typed arrays keep their type, as a lone typed array does; rows of different
 * types, or beside plain numbers, promote as arithmetic does (tfjs takes the first row's type,
 * which truncates a float row after an Int32Array one).
 */
function mixedDType(op: string, plain: (number | boolean)[], typedDTypes: DType[], integersAsInt32: boolean, name: string): DType {
  const start = plain.length > 0 ? inferDType(op, plain, integersAsInt32, name) : typedDTypes[0];
  return typedDTypes.reduce(upcast, start);
}

/**
 * Builds a tensor from user values. `op` and `name` only label errors, so that an op converting
 * its argument says e.g. `maximum: ragged 'b': b[1] has length 1, expected length 2`.
 */
export function fromValues(
  op: string,
  values: TensorLike,
  shape: number[] | undefined,
  dtype: DType | undefined,
  integersAsInt32: boolean,
  name = 'values',
): Tensor {
  if (dtype !== undefined && !isDType(dtype)) {
    throw new ConvlensError(`${op}: unknown dtype ${describeValue(dtype)} (expected float32, int32, uint8 or bool)`);
  }
  if (shape !== undefined && !isValidShape(shape)) {
    throw new ConvlensError(invalidShapeMessage(op, shape));
  }
  let flat: ArrayLike<number | boolean>;
  let inferredShape: number[];
  let inferredDType: DType;
  let plain: (number | boolean)[] = []; // the values not in typed arrays
  if (ArrayBuffer.isView(values)) {
    if (!isNumberArray(values)) {
      throw new ConvlensError(`${op}: ${name} are ${describeValue(values)} (expected numbers, nested arrays or a typed array of numbers)`);
    }
    flat = values;
    inferredShape = [values.length];
    inferredDType = dtypeOfTypedArray(values);
  } else {
    if (values === null || values === undefined)
      throw new ConvlensError(`${op}: ${name} are ${values} (expected numbers, nested arrays or a typed array)`);
    if (values instanceof Tensor) {
      throw new ConvlensError(`${op}: ${name} are already a Tensor: use it as it is (cast and reshape change its dtype and shape)`);
    }
    const hint = typeof values === 'object' && !Array.isArray(values) ? foreignTensorHint(values) : '';
    if (hint) throw new ConvlensError(`${op}: ${name} are ${describeValue(values)}${hint}`);
    inferredShape = inferShape(op, values, name);
    const typedDTypes: DType[] = [];
    const list = flatten(values, [], typedDTypes);
    flat = list;
    plain = typedDTypes.length === 0 ? list : plainLeaves(values);
    inferredDType =
      typedDTypes.length === 0 ? inferDType(op, list, integersAsInt32, name) : mixedDType(op, plain, typedDTypes, integersAsInt32, name);
  }
  const finalShape = shape ?? inferredShape;
  const finalDType = dtype ?? inferredDType;
  const size = sizeFromShape(finalShape);
  // A single number with a shape fills it, as tf.constant(0, shape=[2, 3]) does; so does a single
  // value in a list for constant, as eager tf.constant([7], shape=[2, 2]) does (tfjs' tf.tensor refuses it).
  // The typed array is filled directly: a list of `size` copies first would be a RangeError of the engine's
  // for a huge shape (or take minutes and gigabytes on the way), where allocate names the op.
  let single: { value: number | boolean } | undefined;
  if (!Array.isArray(values) && !ArrayBuffer.isView(values)) single = { value: flat[0] };
  else if (integersAsInt32 && flat.length === 1 && size !== 1) single = { value: flat[0] };
  if (!single && flat.length !== size) {
    throw new ConvlensError(`${op}: ${flat.length} values do not fill shape ${formatShape(finalShape)} (expected ${size})`);
  }
  if (integersAsInt32 && (dtype === 'int32' || dtype === 'uint8')) checkWhole(op, plain, dtype);
  const data = allocate(finalDType, size, op);
  const convert = (value: number | boolean): number => {
    const v = Number(value);
    return finalDType === 'bool' ? (v !== 0 ? 1 : 0) : finalDType === 'float32' ? v : Math.trunc(v);
  };
  if (single) data.fill(convert(single.value));
  else for (let i = 0; i < size; i++) data[i] = convert(flat[i]);
  return new Tensor(data, finalShape, finalDType);
}

/** How to convert a tensor that is not a convlens Tensor of this copy: a TensorFlow.js tensor, or one from another copy of convlens. */
export function foreignTensorHint(value: object): string {
  const v = value as { dataSync?: unknown; data?: unknown; shape?: unknown };
  if (typeof v.dataSync === 'function' && Array.isArray(v.shape)) {
    return ' (a TensorFlow.js tensor: convert it with tensor(x.dataSync(), x.shape, x.dtype))';
  }
  if (ArrayBuffer.isView(v.data) && Array.isArray(v.shape)) {
    return ' (a tensor from another copy of convlens? convert it with tensor(x.data, x.shape, x.dtype))';
  }
  return '';
}

/**
 * TensorFlow's eager `tf.constant` refuses a Python float for an integer dtype (1.5 as int32),
 * while whole numbers out of range wrap (300 as uint8 is 44) and NumPy arrays are cast: so
 * here for numbers and lists, while typed arrays (also as rows of a list) are cast.
 */
function checkWhole(op: string, flat: ArrayLike<number | boolean>, dtype: 'int32' | 'uint8'): void {
  for (let i = 0; i < flat.length; i++) {
    if (typeof flat[i] === 'number' && !Number.isInteger(flat[i])) {
      throw new ConvlensError(
        `${op}: value ${describeValue(flat[i])} cannot be ${dtype}: tf.constant refuses a fraction for an integer dtype (cast truncates it: cast(tensor(values), '${dtype}'))`,
      );
    }
  }
}

/**
 * A tensor from values; numbers give float32 (as in TensorFlow.js), booleans bool, typed arrays their own type.
 * A null shape or dtype is inferred, as an omitted one is (tfjs' `tf.tensor(values, null, 'int32')`).
 */
export function tensor<D extends DType>(values: TensorLike, shape: number[] | null | undefined, dtype: D): Tensor<D>;
export function tensor(values: TensorLike, shape?: number[] | null, dtype?: DType | null): Tensor;
export function tensor(values: TensorLike, shape?: number[] | null, dtype?: DType | null): Tensor {
  return fromValues('tensor', values, shape ?? undefined, dtype ?? undefined, false);
}

/** Like `tf.constant`: integers give int32, other numbers float32; a null shape or dtype is inferred, as tf.constant's None. */
export function constant<D extends DType>(values: TensorLike, shape: number[] | null | undefined, dtype: D): Tensor<D>;
export function constant(values: TensorLike, shape?: number[] | null, dtype?: DType | null): Tensor;
export function constant(values: TensorLike, shape?: number[] | null, dtype?: DType | null): Tensor {
  return fromValues('constant', values, shape ?? undefined, dtype ?? undefined, true);
}

export function fill<D extends DType = 'float32'>(shape: number[], value: number, dtype?: D | null): Tensor<D>;
export function fill(shape: number[], value: number, dtype?: DType | null): Tensor {
  return filled('fill', shape, value, dtype ?? 'float32');
}

/** `fill`, with errors naming the op the user called. */
function filled(op: string, shape: number[], value: number, dtype: DType): Tensor {
  if (!isValidShape(shape)) throw new ConvlensError(invalidShapeMessage(op, shape));
  if (!isDType(dtype)) throw new ConvlensError(`${op}: unknown dtype ${describeValue(dtype)} (expected float32, int32, uint8 or bool)`);
  if (typeof value !== 'number' && typeof value !== 'boolean')
    throw new ConvlensError(`${op}: value must be a number, got ${describeValue(value)}`);
  const data = allocate(dtype, sizeFromShape(shape), op);
  data.fill(dtype === 'bool' ? (Number(value) !== 0 ? 1 : 0) : value); // NaN is true, as TensorFlow casts it
  return new Tensor(data, shape, dtype);
}

export function zeros<D extends DType = 'float32'>(shape: number[], dtype?: D | null): Tensor<D> {
  return filled('zeros', shape, 0, dtype ?? 'float32') as Tensor<D>;
}

export function ones<D extends DType = 'float32'>(shape: number[], dtype?: D | null): Tensor<D> {
  return filled('ones', shape, 1, dtype ?? 'float32') as Tensor<D>;
}

/** Wraps a typed array already laid out for `shape` (no copy). */
export function fromData<D extends DType>(data: DataTypeMap[D], shape: readonly number[], dtype: D): Tensor<D> {
  checkTensorParts('fromData', data, shape, dtype);
  return new Tensor(data, shape, dtype);
}
