import type { BatchNormInfo } from '../types.js';

/*
 * The loops run over channels-last data a pixel at a time with an inner loop over its channels,
 * accumulating in float64 per channel: each channel's sums add the same values in the same order
 * as a loop over that channel alone would, without a division per element.
 */

export function channelMoments(x: Float32Array, mean: Float64Array, variance: Float64Array): void {
  const channels = mean.length;
  const rows = x.length / channels;
  mean.fill(0);
  variance.fill(0);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) mean[c] += x[i + c];
  }
  for (let c = 0; c < channels; c++) mean[c] /= rows;
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const d = x[i + c] - mean[c];
      variance[c] += d * d;
    }
  }
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
  sumDy.fill(0);
  sumDyNormalized.fill(0);
  for (let i = 0; i < dy.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      sumDy[c] += dy[i + c];
      sumDyNormalized[c] += dy[i + c] * normalized[i + c];
    }
  }
  if (!dx) return;
  const rows = dy.length / channels;
  const meanDy = sumDy.map((s) => s / rows);
  const meanDyNormalized = sumDyNormalized.map((s) => s / rows);
  for (let i = 0; i < dy.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      dx[i + c] = inputScale[c] * (dy[i + c] - meanDy[c] - normalized[i + c] * meanDyNormalized[c]);
    }
  }
}
