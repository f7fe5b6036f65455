import { ConvlensError, describeValue, everyItem } from '../errors.js';

export function sizeFromShape(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides: how many elements one step along each axis skips. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/** Whether two shapes are the same (a layer's free size, null, matches only null). */
export function shapesEqual(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A shape's sizes as messages write them: `4, 4, 2` (a layer's free size as null). */
export function shapeSizes(shape: readonly (number | null)[]): string {
  return shape.map((d) => d ?? 'null').join(', ');
}

export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shapeSizes(shape)}]`;
}

/** NumPy broadcasting: align trailing axes; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ConvlensError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (axis ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * `axis` as an index below `rank`, negative counting from the end, or an error naming the op.
 * `tensorRank` is the rank the message names when it differs (expandDims indexes the
 * rank-plus-one result).
 */
export function normalizeAxis(op: string, axis: number, rank: number, tensorRank = rank): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    const expected = rank === 0 ? 'a scalar has no axes' : `expected an integer in [${-rank}, ${rank - 1}]`;
    throw new ConvlensError(`${op}: axis ${describeValue(axis)} is out of range for a tensor of rank ${tensorRank} (${expected})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** TensorFlow's largest rank (TensorShape's kMaxDims). */
export const MAX_RANK = 254;

/** A list of at most MAX_RANK non-negative integers, holes of a sparse list refused. */
export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.length <= MAX_RANK && everyItem(shape, (d) => Number.isInteger(d) && d >= 0);
}

/** Why `shape` is not valid (see isValidShape), as `${op}: shape ...` messages say it. */
export function invalidShapeMessage(op: string, shape: unknown): string {
  if (Array.isArray(shape) && shape.length > MAX_RANK) {
    return `${op}: shape ${describeValue(shape)} has rank ${shape.length}, more than TensorFlow's largest rank, ${MAX_RANK}`;
  }
  return `${op}: shape ${describeValue(shape)} is not a list of non-negative integers`;
}
