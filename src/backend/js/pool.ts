import type { Pool2DInfo } from '../types.js';

/**
 * Max and average pooling over NHWC input; padded cells are skipped, never counted. For each output
 * pixel the window's cells inside the image are listed once (as offsets into `x`), then every
 * channel reduces over that list with its running value in a local: one read per cell and one
 * write per output, instead of re-deriving the window bounds per channel.
 */
function pool(x: Float32Array, info: Pool2DInfo, out: Float32Array, max: boolean): void {
  const { batch, inHeight, inWidth, channels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft } = info;
  // a window's cells inside the image: never more than the image has (a SAME window may be far larger)
  const cells = new Int32Array(Math.min(filterHeight, inHeight) * Math.min(filterWidth, inWidth));
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - padTop;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - padLeft;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + filterWidth);
        let count = 0;
        for (let iy = yStart; iy < yEnd; iy++) {
          for (let ix = xStart; ix < xEnd; ix++) cells[count++] = ((b * inHeight + iy) * inWidth + ix) * channels;
        }
        const at = ((b * outHeight + oy) * outWidth + ox) * channels;
        if (max) maxOver(x, cells, count, channels, out, at);
        else avgOver(x, cells, count, channels, out, at);
      }
    }
  }
}

/**
 * The running maximum after `value`: a NaN wins and stays (as PyTorch and TensorFlow's GPU kernel
 * give it); of equal values the first is kept, so a -0 met before a +0 stays -0, as in TensorFlow's
 * CPU kernel and tfjs (Math.max would give +0).
 */
function maxSoFar(max: number, value: number): number {
  return value > max || Number.isNaN(value) ? value : max;
}

/** out[at + c] = max of x[cell + c] over the cells (see maxSoFar); -∞ for an empty window. */
function maxOver(x: Float32Array, cells: Int32Array, count: number, channels: number, out: Float32Array, at: number): void {
  if (count === 4) {
    // the common 2×2 window without its inner loop
    const a = cells[0];
    const b = cells[1];
    const d = cells[2];
    const e = cells[3];
    for (let c = 0; c < channels; c++) out[at + c] = maxSoFar(maxSoFar(maxSoFar(x[a + c], x[b + c]), x[d + c]), x[e + c]);
    return;
  }
  for (let c = 0; c < channels; c++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < count; k++) m = maxSoFar(m, x[cells[k] + c]);
    out[at + c] = m;
  }
}

/** out[at + c] = mean of x[cell + c] over the cells (summed in float64); 0 for an empty window. */
function avgOver(x: Float32Array, cells: Int32Array, count: number, channels: number, out: Float32Array, at: number): void {
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let k = 0; k < count; k++) sum += x[cells[k] + c];
    out[at + c] = count > 0 ? sum / count : 0;
  }
}

export function maxPool(x: Float32Array, info: Pool2DInfo, out: Float32Array): void {
  pool(x, info, out, true);
}

export function avgPool(x: Float32Array, info: Pool2DInfo, out: Float32Array): void {
  pool(x, info, out, false);
}
