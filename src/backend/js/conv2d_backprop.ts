import type { Conv2DInfo } from '../types.js';

/** Calls `visit` for every (output pixel, filter tap) pair whose input pixel lies inside the image. */
function forEachTap(info: Conv2DInfo, visit: (xOffset: number, wOffset: number, dyOffset: number) => void): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = info;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyOffset = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy * strideHeight - padTop + ky * dilationHeight;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = ox * strideWidth - padLeft + kx * dilationWidth;
            if (ix < 0 || ix >= inWidth) continue;
            visit(((b * inHeight + iy) * inWidth + ix) * inChannels, (ky * filterWidth + kx) * inChannels * outChannels, dyOffset);
          }
        }
      }
    }
  }
}

/** dx[b, iy, ix, ci] = Σ dy[b, oy, ox, co] · w[ky, kx, ci, co] over the taps that read (iy, ix). */
export function conv2dBackpropInput(dy: Float32Array, w: Float32Array, info: Conv2DInfo, dx: Float32Array): void {
  const { inChannels, outChannels } = info;
  forEachTap(info, (xOffset, wOffset, dyOffset) => {
    for (let ci = 0; ci < inChannels; ci++) {
      const wRow = wOffset + ci * outChannels;
      let acc = 0;
      for (let co = 0; co < outChannels; co++) acc += dy[dyOffset + co] * w[wRow + co];
      dx[xOffset + ci] += acc;
    }
  });
}

/** dw[ky, kx, ci, co] = Σ x[b, iy, ix, ci] · dy[b, oy, ox, co]; accumulated in float64. */
export function conv2dBackpropFilter(x: Float32Array, dy: Float32Array, info: Conv2DInfo, dw: Float32Array): void {
  const { inChannels, outChannels } = info;
  const acc = new Float64Array(dw.length);
  forEachTap(info, (xOffset, wOffset, dyOffset) => {
    for (let ci = 0; ci < inChannels; ci++) {
      const xv = x[xOffset + ci];
      if (xv === 0) continue;
      const wRow = wOffset + ci * outChannels;
      for (let co = 0; co < outChannels; co++) acc[wRow + co] += xv * dy[dyOffset + co];
    }
  });
  dw.set(acc);
}
