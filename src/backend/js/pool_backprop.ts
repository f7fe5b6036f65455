import type { Pool2DInfo } from '../types.js';

/** Calls `visit` for each output cell and channel with the window's unpadded bounds. */
function forEachWindow(
  info: Pool2DInfo,
  visit: (dyIndex: number, rowStart: number, rowEnd: number, colStart: number, colEnd: number, base: number) => void,
): void {
  const { batch, inHeight, inWidth, channels, outHeight, outWidth } = info;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * info.strideHeight - info.padTop;
      const rowStart = Math.max(0, y0);
      const rowEnd = Math.min(inHeight, y0 + info.filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * info.strideWidth - info.padLeft;
        const colStart = Math.max(0, x0);
        const colEnd = Math.min(inWidth, x0 + info.filterWidth);
        for (let c = 0; c < channels; c++) {
          visit(
            ((b * outHeight + oy) * outWidth + ox) * channels + c,
            rowStart,
            rowEnd,
            colStart,
            colEnd,
            b * inHeight * inWidth * channels + c,
          );
        }
      }
    }
  }
}

export function maxPoolBackprop(x: Float32Array, dy: Float32Array, info: Pool2DInfo, dx: Float32Array): void {
  const { inWidth, channels } = info;
  forEachWindow(info, (dyIndex, rowStart, rowEnd, colStart, colEnd, base) => {
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let iy = rowStart; iy < rowEnd; iy++) {
      for (let ix = colStart; ix < colEnd; ix++) {
        const index = base + (iy * inWidth + ix) * channels;
        if (best < 0 || x[index] > bestValue) {
          best = index;
          bestValue = x[index];
        }
      }
    }
    if (best >= 0) dx[best] += dy[dyIndex];
  });
}

export function avgPoolBackprop(dy: Float32Array, info: Pool2DInfo, dx: Float32Array): void {
  const { inWidth, channels } = info;
  forEachWindow(info, (dyIndex, rowStart, rowEnd, colStart, colEnd, base) => {
    const count = (rowEnd - rowStart) * (colEnd - colStart);
    if (count === 0) return;
    const share = dy[dyIndex] / count;
    for (let iy = rowStart; iy < rowEnd; iy++) {
      for (let ix = colStart; ix < colEnd; ix++) dx[base + (iy * inWidth + ix) * channels] += share;
    }
  });
}
