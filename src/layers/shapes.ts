import { everyItem } from '../errors.js';

/**
 * One example's shape (no batch axis), as a layer declares or computes it: a number is a fixed
 * size; null a size free from batch to batch (Keras' None), as the height and width of a fully
 * convolutional model that takes images of any size.
 */
export type Shape = (number | null)[];

/** Whether `value` is a shape a layer can declare: positive integers or null (a free size). */
export function isDeclarableShape(value: unknown): value is Shape {
  return Array.isArray(value) && everyItem(value, (d) => d === null || (Number.isInteger(d) && d > 0));
}

/** Whether every size of `shape` is known (no null). */
export function isKnownShape(shape: readonly (number | null)[]): shape is number[] {
  return shape.every((d) => d !== null);
}

/** Whether `actual` (a batch's example shape) fits `declared`: the same rank, and the same size wherever declared's is not null. */
export function fitsShape(declared: readonly (number | null)[], actual: readonly (number | null)[]): boolean {
  return declared.length === actual.length && declared.every((d, i) => d === null || d === actual[i]);
}

/** A size computed from a free one is free: `f(size)` for a known size, null for null. */
export function mapSize(size: number | null, f: (size: number) => number): number | null {
  return size === null ? null : f(size);
}

/** The product of the sizes, or null when one is free. */
export function shapeSize(shape: readonly (number | null)[]): number | null {
  return isKnownShape(shape) ? shape.reduce((a, b) => a * b, 1) : null;
}
