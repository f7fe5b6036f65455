/**
 * The smallest and largest value of an array, as one scan in order finds them (NaN ignored;
 * [+Infinity, -Infinity] when there is none), in one pass (and a look for the first zero when an
 * end is zero).
 */
export function dataExtent(data: ArrayLike<number>): [number, number] {
  scanExtent(data);
  // neither half holds a NaN (each starts at ±Infinity and never takes one)
  let lo = Math.min(scannedLo0, scannedLo1);
  let hi = Math.max(scannedHi0, scannedHi1);
  // a scan in order keeps the first zero it meets (0 and -0 compare equal); the two halves of the
  // scan may each have met another one first
  if (lo === 0) lo = firstZero(data);
  if (hi === 0) hi = firstZero(data);
  return [lo, hi];
}

let scannedLo0 = 0;
let scannedLo1 = 0;
let scannedHi0 = 0;
let scannedHi1 = 0;

/**
 * The loop of dataExtent: the extents of the values at even and at odd indices, two chains that
 * the processor runs side by side (one chain of selects waits for each select before it: twice as
 * slow). It leaves its results in module variables and dataExtent combines them: V8 compiles a
 * long loop while it runs (OSR), before anything after the loop has run; an operation there that
 * needs type feedback (building the [lo, hi] array did, and comparing would) sends that compiled
 * code back to the interpreter at the loop's end, and V8 (11.3, Node 20) enters the same cached
 * code on the next call and deopts again: in `convlens extract` that happened on every image.
 * Writing a module variable needs no feedback. Selects rather than ifs: V8 makes them conditional
 * moves, three times faster on a feature map, whose values go up and down unpredictably for a branch.
 */
function scanExtent(data: ArrayLike<number>): void {
  const n = data.length;
  let lo0 = Number.POSITIVE_INFINITY;
  let hi0 = Number.NEGATIVE_INFINITY;
  // an odd length starts with its first value alone, so that nothing is left after the loop
  const start = n & 1;
  if (start === 1) {
    const v = data[0];
    // biome-ignore lint/complexity/useMathMinMax: Math.min and Math.max would make a NaN the extent
    lo0 = v < lo0 ? v : lo0;
    // biome-ignore lint/complexity/useMathMinMax: as above
    hi0 = v > hi0 ? v : hi0;
  }
  let lo1 = Number.POSITIVE_INFINITY;
  let hi1 = Number.NEGATIVE_INFINITY;
  for (let i = start; i < n; i += 2) {
    const a = data[i];
    const b = data[i + 1];
    // biome-ignore lint/complexity/useMathMinMax: as above
    lo0 = a < lo0 ? a : lo0;
    // biome-ignore lint/complexity/useMathMinMax: as above
    hi0 = a > hi0 ? a : hi0;
    // biome-ignore lint/complexity/useMathMinMax: as above
    lo1 = b < lo1 ? b : lo1;
    // biome-ignore lint/complexity/useMathMinMax: as above
    hi1 = b > hi1 ? b : hi1;
  }
  scannedLo0 = lo0;
  scannedLo1 = lo1;
  scannedHi0 = hi0;
  scannedHi1 = hi1;
}

/** The first value equal to zero (0 or -0), in order; 0 if there is none. */
function firstZero(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (data[i] === 0) return data[i];
  return 0;
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
