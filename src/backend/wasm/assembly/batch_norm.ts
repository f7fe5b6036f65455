import { claim, pi, pu } from './common';

// Batch normalisation over channels-last data: `rows` pixels of `channels` float32 values, with
// float64 values per channel. The arithmetic is the js reference's (src/backend/js/batch_norm.ts)
// in float64 lanes, in the same order, so that both give the same bits: 4 channels at a time,
// their float32 values widened to two f64x2 halves. The sums split the rows into `runs` (a number
// fixed by the caller, not by the threads) of consecutive rows; threads claim runs, each run adds
// its rows in order into its own partial sums, and the thread that finishes the last run adds the
// partials in run order: the result does not depend on the number of threads or on which thread
// took what. The element-wise passes split the rows over threads.

/** Rows per work chunk of the element-wise passes: about 16K values. */
@inline
function chunkRows(channels: i32): i32 {
  return max(1, 16384 / channels);
}

/** Lanes 0 and 1 of float32 `v` as float64. */
@inline
function low(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** Lanes 2 and 3 of float32 `v` as float64. */
@inline
function high(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Two f64x2 rounded to one f32x4 (round to nearest even, as a Float32Array store). */
@inline
function narrow(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

@inline
function zero(a: usize, n: i32): void {
  for (let c = 0; c < n; c++) store<f64>(a + (<usize>c << 3), 0);
}

/** sums[c] += row[c] for each channel. */
@inline
function addRow(row: usize, sums: usize, channels: i32): void {
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    const v = v128.load(row + (<usize>c << 2));
    const s = sums + (<usize>c << 3);
    v128.store(s, f64x2.add(v128.load(s), low(v)));
    v128.store(s, f64x2.add(v128.load(s, 16), high(v)), 16);
  }
  for (; c < channels; c++) {
    const s = sums + (<usize>c << 3);
    store<f64>(s, load<f64>(s) + <f64>load<f32>(row + (<usize>c << 2)));
  }
}

/** sums[c] += (row[c] − mean[c])² for each channel. */
@inline
function addSquaredDeviations(row: usize, mean: usize, sums: usize, channels: i32): void {
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    const v = v128.load(row + (<usize>c << 2));
    const k = <usize>c << 3;
    const d0 = f64x2.sub(low(v), v128.load(mean + k));
    const d1 = f64x2.sub(high(v), v128.load(mean + k, 16));
    v128.store(sums + k, f64x2.add(v128.load(sums + k), f64x2.mul(d0, d0)));
    v128.store(sums + k, f64x2.add(v128.load(sums + k, 16), f64x2.mul(d1, d1)), 16);
  }
  for (; c < channels; c++) {
    const k = <usize>c << 3;
    const d = <f64>load<f32>(row + (<usize>c << 2)) - load<f64>(mean + k);
    store<f64>(sums + k, load<f64>(sums + k) + d * d);
  }
}

/** First row of run `run` of `runs` over `rows` rows (the js reference's `runStart`). */
@inline
function runStart(run: i32, rows: i32, runs: i32): i32 {
  return <i32>((<i64>run * <i64>rows) / <i64>runs);
}

/**
 * Counts a run as done (`done` is an i32 counter shared by the threads); for the thread that
 * finished the last one, every run's partials are written (the atomic add orders the stores).
 */
@inline
function finishedLast(done: usize, runs: i32): bool {
  return atomic.add<i32>(done, 1) == runs - 1;
}

/** out[c] = (0 + run 0 + run 1 + …) / count: the runs' partial sums added in run order, as the js reference does. */
function addRuns(partials: usize, runs: i32, channels: i32, out: usize, count: f64): void {
  const runBytes = <usize>channels << 3;
  let c = 0;
  for (; c + 2 <= channels; c += 2) {
    const k = <usize>c << 3;
    let sum = f64x2.splat(0);
    for (let run = 0; run < runs; run++) sum = f64x2.add(sum, v128.load(partials + <usize>run * runBytes + k));
    v128.store(out + k, f64x2.div(sum, f64x2.splat(count)));
  }
  for (; c < channels; c++) {
    const k = <usize>c << 3;
    let sum: f64 = 0;
    for (let run = 0; run < runs; run++) sum += load<f64>(partials + <usize>run * runBytes + k);
    store<f64>(out + k, sum / count);
  }
}

// Per channel, Σ x / rows, or Σ (x − mean)² / rows when `mean` is not 0.
// Params: 0 x, 1 rows, 2 channels, 3 runs, 4 partials (f64, `channels` per run), 5 mean, 6 out (f64), 7 counter, 8 done.
export function channel_sums(p: usize, tid: i32, nth: i32): void {
  const x = pu(p, 0);
  const rows = pi(p, 1);
  const channels = pi(p, 2);
  const runs = pi(p, 3);
  const partials = pu(p, 4);
  const mean = pu(p, 5);
  const counter = p + 7 * 4;
  const rowBytes = <usize>channels << 2;
  while (true) {
    const run = claim(counter);
    if (run >= runs) break;
    const sums = partials + ((<usize>run * channels) << 3);
    zero(sums, channels);
    const start = runStart(run, rows, runs);
    const end = runStart(run + 1, rows, runs);
    if (mean) {
      for (let r = start; r < end; r++) addSquaredDeviations(x + <usize>r * rowBytes, mean, sums, channels);
    } else {
      for (let r = start; r < end; r++) addRow(x + <usize>r * rowBytes, sums, channels);
    }
    if (finishedLast(p + 8 * 4, runs)) addRuns(partials, runs, channels, pu(p, 6), <f64>rows);
  }
}

// x̂ = (x − mean)·inverseStd, out = x̂·scale + offset per channel; x̂ stored when `normalized` is not 0.
// Params: 0 x, 1 out, 2 normalized, 3 rows, 4 channels, 5 mean, 6 inverseStd, 7 scale, 8 offset (f64), 9 counter.
export function batch_norm(p: usize, tid: i32, nth: i32): void {
  const x = pu(p, 0);
  const out = pu(p, 1);
  const normalized = pu(p, 2);
  const rows = pi(p, 3);
  const channels = pi(p, 4);
  const mean = pu(p, 5);
  const inverseStd = pu(p, 6);
  const scale = pu(p, 7);
  const offset = pu(p, 8);
  const counter = p + 9 * 4;
  const per = chunkRows(channels);
  while (true) {
    const start = claim(counter) * per;
    if (start >= rows) break;
    const end = min(rows, start + per);
    for (let r = start; r < end; r++) {
      const row = <usize>r * channels;
      let c = 0;
      for (; c + 4 <= channels; c += 4) {
        const e = (row + c) << 2;
        const k = <usize>c << 3;
        const v = v128.load(x + e);
        const n0 = f64x2.mul(f64x2.sub(low(v), v128.load(mean + k)), v128.load(inverseStd + k));
        const n1 = f64x2.mul(f64x2.sub(high(v), v128.load(mean + k, 16)), v128.load(inverseStd + k, 16));
        if (normalized) v128.store(normalized + e, narrow(n0, n1));
        const y0 = f64x2.add(f64x2.mul(n0, v128.load(scale + k)), v128.load(offset + k));
        const y1 = f64x2.add(f64x2.mul(n1, v128.load(scale + k, 16)), v128.load(offset + k, 16));
        v128.store(out + e, narrow(y0, y1));
      }
      for (; c < channels; c++) {
        const e = (row + c) << 2;
        const k = <usize>c << 3;
        const n = (<f64>load<f32>(x + e) - load<f64>(mean + k)) * load<f64>(inverseStd + k);
        if (normalized) store<f32>(normalized + e, <f32>n);
        store<f32>(out + e, <f32>(n * load<f64>(scale + k) + load<f64>(offset + k)));
      }
    }
  }
}

// Σ dy and Σ dy·x̂ per channel. Params: 0 dy, 1 normalized, 2 rows, 3 channels, 4 runs, 5 and 6 partials
// of Σ dy and Σ dy·x̂ (f64, `channels` per run), 7 sumDy, 8 sumDyNormalized (f64), 9 counter, 10 done.
export function batch_norm_sums(p: usize, tid: i32, nth: i32): void {
  const dy = pu(p, 0);
  const normalized = pu(p, 1);
  const rows = pi(p, 2);
  const channels = pi(p, 3);
  const runs = pi(p, 4);
  const partialsDy = pu(p, 5);
  const partialsDyN = pu(p, 6);
  const counter = p + 9 * 4;
  while (true) {
    const run = claim(counter);
    if (run >= runs) break;
    const sumDy = partialsDy + ((<usize>run * channels) << 3);
    const sumDyN = partialsDyN + ((<usize>run * channels) << 3);
    zero(sumDy, channels);
    zero(sumDyN, channels);
    const end = runStart(run + 1, rows, runs);
    for (let r = runStart(run, rows, runs); r < end; r++) addProducts(dy, normalized, <usize>r * channels, sumDy, sumDyN, channels);
    if (finishedLast(p + 10 * 4, runs)) {
      addRuns(partialsDy, runs, channels, pu(p, 7), 1);
      addRuns(partialsDyN, runs, channels, pu(p, 8), 1);
    }
  }
}

/** sumDy[c] += dy[c], sumDyN[c] += dy[c]·x̂[c] over the row of `channels` values at element `row`. */
@inline
function addProducts(dy: usize, normalized: usize, row: usize, sumDy: usize, sumDyN: usize, channels: i32): void {
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    const e = (row + c) << 2;
    const k = <usize>c << 3;
    const g = v128.load(dy + e);
    const n = v128.load(normalized + e);
    const g0 = low(g);
    const g1 = high(g);
    v128.store(sumDy + k, f64x2.add(v128.load(sumDy + k), g0));
    v128.store(sumDy + k, f64x2.add(v128.load(sumDy + k, 16), g1), 16);
    v128.store(sumDyN + k, f64x2.add(v128.load(sumDyN + k), f64x2.mul(g0, low(n))));
    v128.store(sumDyN + k, f64x2.add(v128.load(sumDyN + k, 16), f64x2.mul(g1, high(n))), 16);
  }
  for (; c < channels; c++) {
    const e = (row + c) << 2;
    const k = <usize>c << 3;
    const g = <f64>load<f32>(dy + e);
    store<f64>(sumDy + k, load<f64>(sumDy + k) + g);
    store<f64>(sumDyN + k, load<f64>(sumDyN + k) + g * <f64>load<f32>(normalized + e));
  }
}

// dx = inputScale·(dy − meanDy − x̂·meanDyNormalized) per channel.
// Params: 0 dy, 1 normalized, 2 dx, 3 rows, 4 channels, 5 inputScale, 6 meanDy, 7 meanDyNormalized (f64), 8 counter.
export function batch_norm_input_grad(p: usize, tid: i32, nth: i32): void {
  const dy = pu(p, 0);
  const normalized = pu(p, 1);
  const dx = pu(p, 2);
  const rows = pi(p, 3);
  const channels = pi(p, 4);
  const inputScale = pu(p, 5);
  const meanDy = pu(p, 6);
  const meanDyN = pu(p, 7);
  const counter = p + 8 * 4;
  const per = chunkRows(channels);
  while (true) {
    const start = claim(counter) * per;
    if (start >= rows) break;
    const end = min(rows, start + per);
    for (let r = start; r < end; r++) {
      const row = <usize>r * channels;
      let c = 0;
      for (; c + 4 <= channels; c += 4) {
        const e = (row + c) << 2;
        const k = <usize>c << 3;
        const g = v128.load(dy + e);
        const n = v128.load(normalized + e);
        const t0 = f64x2.sub(f64x2.sub(low(g), v128.load(meanDy + k)), f64x2.mul(low(n), v128.load(meanDyN + k)));
        const t1 = f64x2.sub(f64x2.sub(high(g), v128.load(meanDy + k, 16)), f64x2.mul(high(n), v128.load(meanDyN + k, 16)));
        v128.store(dx + e, narrow(f64x2.mul(v128.load(inputScale + k), t0), f64x2.mul(v128.load(inputScale + k, 16), t1)));
      }
      for (; c < channels; c++) {
        const e = (row + c) << 2;
        const k = <usize>c << 3;
        const t = <f64>load<f32>(dy + e) - load<f64>(meanDy + k) - <f64>load<f32>(normalized + e) * load<f64>(meanDyN + k);
        store<f32>(dx + e, <f32>(load<f64>(inputScale + k) * t));
      }
    }
  }
}
