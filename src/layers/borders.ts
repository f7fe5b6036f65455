import { ConvlensError, describeValue } from '../errors.js';
import { immutable } from './args.js';

/** Rows and columns at an image's borders, as Keras takes them: n (all sides), [rows, cols] (each on both sides) or [[top, bottom], [left, right]]. */
export type Borders2D = number | [number, number] | [[number, number], [number, number]];

/** [[top, bottom], [left, right]]. */
export type BorderPairs = [[number, number], [number, number]];

/** Reads `value` (option `key`) as [[top, bottom], [left, right]] of whole numbers ≥ 0 (immutable, the layer's setting), or throws naming the layer. */
export function borderPairs(where: string, key: string, value: unknown): BorderPairs {
  return immutable(readBorderPairs(where, key, value));
}

function readBorderPairs(where: string, key: string, value: unknown): BorderPairs {
  const count = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (count(value))
    return [
      [value, value],
      [value, value],
    ];
  if (Array.isArray(value) && value.length === 2) {
    const [rows, cols] = value;
    if (count(rows) && count(cols))
      return [
        [rows, rows],
        [cols, cols],
      ];
    const pair = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && count(p[0]) && count(p[1]);
    if (pair(rows) && pair(cols))
      return [
        [rows[0], rows[1]],
        [cols[0], cols[1]],
      ];
  }
  throw new ConvlensError(
    `${where}: ${key} must be n, [rows, cols] or [[top, bottom], [left, right]] of whole numbers ≥ 0, got ${describeValue(value)}`,
  );
}

/**
 * Copies each row of an inner NHWC image of `innerShape` into its place inside the image with
 * `borders` around it ('pad'), or back out of it ('crop'). Padding leaves the borders of `to` as
 * they are (zero them first); cropping reads only the inner part of `from`.
 */
export function copyInner(
  from: Float32Array,
  to: Float32Array,
  [batch, height, width, channels]: readonly number[],
  [[top, bottom], [left, right]]: BorderPairs,
  way: 'pad' | 'crop',
): void {
  const outerHeight = height + top + bottom;
  const outerWidth = width + left + right;
  const rowLength = width * channels;
  for (let n = 0; n < batch; n++) {
    for (let r = 0; r < height; r++) {
      const inner = (n * height + r) * rowLength;
      const outer = ((n * outerHeight + r + top) * outerWidth + left) * channels;
      if (way === 'pad') to.set(from.subarray(inner, inner + rowLength), outer);
      else to.set(from.subarray(outer, outer + rowLength), inner);
    }
  }
}
