/**
 * The smallest and largest value of an array in one pass (NaN ignored; [+Infinity, -Infinity]
 * when there is none). The loop ends its function: V8 compiles such a loop while it runs (OSR),
 * and code after the loop that has never run would throw that compiled code away again.
 */
export function dataExtent(data: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
