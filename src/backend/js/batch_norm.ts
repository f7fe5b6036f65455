import type { BatchNormInfo } from '../types.js';

/*
 * The loops run over channels-last data a pixel at a time with an inner loop over its channels,
 * accumulating in float64 per channel, without a division per element. The per-channel sums split
 * the pixels into runs of consecutive pixels (how many depends on the pixel count alone), each
 * summed in order into its own partial sums, which are then added in run order: the wasm backend's
 * threads take runs and add the partials the same way, so it gives these bits on any number of threads.
 */

/** Most runs of pixels with their own partial sums in the per-channel sums (enough for the threads). */
const SUM_RUNS = 16;
/** Fewest pixels in a run, so that adding the runs' partials costs little next to the sums. */
const RUN_PIXELS = 256;

/** How many runs the per-channel sums over `rows` pixels use (one below 512 pixels: a plain sum). */
export function sumRuns(rows: number): number {
  return Math.max(1, Math.min(SUM_RUNS, Math.floor(rows / RUN_PIXELS)));
}

/** First pixel of run `run` of `runs` over `rows` pixels: the runs split the pixels evenly. */
function runStart(run: number, rows: number, runs: number): number {
  return Math.floor((run * rows) / runs);
}

/** Sets `sums` to the runs' partial sums (`channels` after `channels`) added in run order, 0 + run 0 + run 1 + …, for each channel. */
function addRuns(partials: Float64Array, runs: number, sums: Float64Array): void {
  const channels = sums.length;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let run = 0, i = c; run < runs; run++, i += channels) sum += partials[i];
    sums[c] = sum;
  }
}

/**
 * Per-channel sums over the `rows` pixels of `channels` values by runs: `addRun(from, to, partials)`
 * adds the terms of the elements from `from` to `to` (whole pixels) into one run's partials (one
 * array per sum, zeroed), and the runs' partials are added into `sums` in run order.
 */
function sumByRuns(
  rows: number,
  channels: number,
  sums: Float64Array[],
  addRun: (from: number, to: number, partials: Float64Array[]) => void,
): void {
  const runs = sumRuns(rows);
  const partials = sums.map(() => new Float64Array(runs * channels));
  for (let run = 0; run < runs; run++) {
    const own = partials.map((p) => p.subarray(run * channels, (run + 1) * channels));
    addRun(runStart(run, rows, runs) * channels, runStart(run + 1, rows, runs) * channels, own);
  }
  for (const [k, s] of sums.entries()) addRuns(partials[k], runs, s);
}

export function channelMoments(x: Float32Array, mean: Float64Array, variance: Float64Array): void {
  const channels = mean.length;
  const rows = x.length / channels;
  sumByRuns(rows, channels, [mean], (from, to, [sums]) => {
    for (let i = from; i < to; i += channels) {
      for (let c = 0; c < channels; c++) sums[c] += x[i + c];
    }
  });
  for (let c = 0; c < channels; c++) mean[c] /= rows;
  sumByRuns(rows, channels, [variance], (from, to, [sums]) => {
    for (let i = from; i < to; i += channels) {
      for (let c = 0; c < channels; c++) {
        const d = x[i + c] - mean[c];
        sums[c] += d * d;
      }
    }
  });
  for (let c = 0; c < channels; c++) variance[c] /= rows;
}

export function batchNorm(x: Float32Array, info: BatchNormInfo, out: Float32Array, normalized?: Float32Array): void {
  const { mean, inverseStd, scale, offset } = info;
  const channels = mean.length;
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const n = (x[i + c] - mean[c]) * inverseStd[c];
      if (normalized) normalized[i + c] = n;
      out[i + c] = n * scale[c] + offset[c];
    }
  }
}

export function batchNormBackward(
  dy: Float32Array,
  normalized: Float32Array,
  inputScale: Float64Array,
  sumDy: Float64Array,
  sumDyNormalized: Float64Array,
  dx?: Float32Array,
): void {
  const channels = inputScale.length;
  const rows = dy.length / channels;
  sumByRuns(rows, channels, [sumDy, sumDyNormalized], (from, to, [partialDy, partialDyNormalized]) => {
    for (let i = from; i < to; i += channels) {
      for (let c = 0; c < channels; c++) {
        partialDy[c] += dy[i + c];
        partialDyNormalized[c] += dy[i + c] * normalized[i + c];
      }
    }
  });
  if (!dx) return;
  const meanDy = sumDy.map((s) => s / rows);
  const meanDyNormalized = sumDyNormalized.map((s) => s / rows);
  for (let i = 0; i < dy.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      dx[i + c] = inputScale[c] * (dy[i + c] - meanDy[c] - normalized[i + c] * meanDyNormalized[c]);
    }
  }
}
