import type { Conv2DEpilogue, Conv2DInfo } from '../types.js';
import { conv2dFast } from './conv2d_fast.js';

/**
 * NHWC convolution (cross-correlation, as TensorFlow's conv2d) with the fused bias and ReLU.
 * The register-blocked path in conv2d_fast.ts does the work; the direct loop below is the
 * reference it is tested against, and runs when a weight is NaN or infinite.
 */
export function conv2d(x: Float32Array, w: Float32Array, info: Conv2DInfo, out: Float32Array, epilogue: Conv2DEpilogue = {}): void {
  if (!conv2dFast(x, w, info, out, epilogue)) conv2dDirect(x, w, info, out, epilogue);
}

/**
 * Direct NHWC convolution. For each output pixel, accumulates in float64 over the valid taps
 * (padding contributes zeros, so it is skipped), then applies the bias and activation.
 * Zero inputs are skipped too (ReLU outputs are sparse), but only when every weight is finite:
 * 0 · NaN and 0 · ∞ are NaN, and a NaN weight must show in the output as it does in TensorFlow.
 */
export function conv2dDirect(x: Float32Array, w: Float32Array, info: Conv2DInfo, out: Float32Array, epilogue: Conv2DEpilogue = {}): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = info;
  const acc = new Float64Array(outChannels);
  const relu = epilogue.activation === 'relu';
  const bias = epilogue.bias;
  const skipZeros = w.every(Number.isFinite);
  for (let b = 0; b < batch; b++) {
    const xBatch = b * inHeight * inWidth * inChannels;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy * strideHeight - padTop + ky * dilationHeight;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = ox * strideWidth - padLeft + kx * dilationWidth;
            if (ix < 0 || ix >= inWidth) continue;
            const xOffset = xBatch + (iy * inWidth + ix) * inChannels;
            const wOffset = (ky * filterWidth + kx) * inChannels * outChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              const xv = x[xOffset + ci];
              if (xv === 0 && skipZeros) continue;
              const wRow = wOffset + ci * outChannels;
              for (let co = 0; co < outChannels; co++) acc[co] += xv * w[wRow + co];
            }
          }
        }
        const outOffset = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let co = 0; co < outChannels; co++) {
          let v = acc[co] + (bias ? bias[co] : 0);
          if (relu && v < 0) v = 0;
          out[outOffset + co] = v;
        }
      }
    }
  }
}
