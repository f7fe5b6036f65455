import type { Pool2DInfo } from '../types.js';

type Reducer = 'max' | 'avg';

/** Shared window walk for max and average pooling; padded cells are skipped, never counted. */
function pool(x: Float32Array, info: Pool2DInfo, out: Float32Array, reducer: Reducer): void {
  const { batch, inHeight, inWidth, channels, outHeight, outWidth } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, padTop, padLeft } = info;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - padTop;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - padLeft;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + filterWidth);
        const count = (yEnd - yStart) * (xEnd - xStart);
        const outOffset = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          let acc = reducer === 'max' ? Number.NEGATIVE_INFINITY : 0;
          for (let iy = yStart; iy < yEnd; iy++) {
            let offset = ((b * inHeight + iy) * inWidth + xStart) * channels + c;
            for (let ix = xStart; ix < xEnd; ix++, offset += channels) {
              const v = x[offset];
              if (reducer === 'avg') acc += v;
              else if (v > acc || Number.isNaN(v)) acc = v;
            }
          }
          out[outOffset + c] = reducer === 'avg' ? (count > 0 ? acc / count : 0) : acc;
        }
      }
    }
  }
}

export function maxPool(x: Float32Array, info: Pool2DInfo, out: Float32Array): void {
  pool(x, info, out, 'max');
}

export function avgPool(x: Float32Array, info: Pool2DInfo, out: Float32Array): void {
  pool(x, info, out, 'avg');
}
