/**
 * The smallest and largest value of an array in one pass (NaN ignored; [+Infinity, -Infinity]
 * when there is none). The loop ends its function: V8 compiles such a loop while it runs (OSR),
 * and code after the loop that has never run would throw that compiled code away again.
 * Selects rather than ifs: V8 makes them conditional moves, three times faster on a feature map,
 * whose values go up and down unpredictably for a branch.
 */
export function dataExtent(data: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // biome-ignore lint/complexity/useMathMinMax: Math.min and Math.max would make a NaN the extent
    lo = v < lo ? v : lo;
    // biome-ignore lint/complexity/useMathMinMax: as above
    hi = v > hi ? v : hi;
  }
  return [lo, hi];
}

/**
 * The smallest and largest finite value ([+Infinity, -Infinity] when there is none): what a
 * colour scale spans, so that one overflowed value (±Infinity) does not flatten the rest, as
 * matplotlib leaves non-finite values out of imshow's scale. One pass unless there are any.
 */
export function finiteExtent(data: ArrayLike<number>): [number, number] {
  const [lo, hi] = dataExtent(data);
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : finiteOnly(data);
}

function finiteOnly(data: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
