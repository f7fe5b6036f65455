/**
 * The smallest and largest value of an array in one pass (NaN ignored; [+Infinity, -Infinity]
 * when there is none).
 */
export function dataExtent(data: ArrayLike<number>): [number, number] {
  scanExtent(data);
  return [scannedLo, scannedHi];
}

let scannedLo = 0;
let scannedHi = 0;

/**
 * The loop of dataExtent, which leaves its result in two module variables. V8 compiles a long loop
 * while it runs (OSR), before anything after the loop has run: an operation there that needs type
 * feedback (building the [lo, hi] array did) sends that compiled code back to the interpreter at
 * the loop's end, and V8 (11.3, Node 20) enters the same cached code on the next call and deopts
 * again: in `convlens extract` that happened on every image. Writing a module variable needs no
 * feedback. Selects rather than ifs: V8 makes them conditional moves, three times faster on a
 * feature map, whose values go up and down unpredictably for a branch.
 */
function scanExtent(data: ArrayLike<number>): void {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // biome-ignore lint/complexity/useMathMinMax: Math.min and Math.max would make a NaN the extent
    lo = v < lo ? v : lo;
    // biome-ignore lint/complexity/useMathMinMax: as above
    hi = v > hi ? v : hi;
  }
  scannedLo = lo;
  scannedHi = hi;
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
