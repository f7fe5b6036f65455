import type { Conv2DEpilogue, DepthwiseConv2DInfo } from '../types.js';

// Depthwise convolution, plainly: each input channel c is convolved with its own filters
// filter[:, :, c, m], giving output channel c · multiplier + m. In the filter's [kh, kw, C, M]
// layout, the taps of one (ky, kx) are C · M = outChannels values in output-channel order, so one
// index serves the filter, the output and the gradients. Sums are taken in float64.

/** The input row (or column) a filter tap reads for an output position, or -1 when it falls in the padding. */
function inputIndex(out: number, tap: number, stride: number, dilation: number, padBefore: number, size: number): number {
  const i = out * stride - padBefore + tap * dilation;
  return i >= 0 && i < size ? i : -1;
}

/** The output row (or column) whose window reads input position `i` through `tap`, or -1 if none does. */
function outputIndex(i: number, tap: number, stride: number, dilation: number, padBefore: number, size: number): number {
  const offset = i + padBefore - tap * dilation;
  if (offset < 0 || offset % stride !== 0) return -1;
  const out = offset / stride;
  return out < size ? out : -1;
}

/** out[b, oy, ox, c·M + m] = Σ x[b, iy, ix, c] · filter[ky, kx, c, m], then the bias and ReLU if asked. */
export function depthwiseConv2d(
  x: Float32Array,
  filter: Float32Array,
  info: DepthwiseConv2DInfo,
  out: Float32Array,
  epilogue: Conv2DEpilogue = {},
): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, channelMultiplier } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = info;
  const { bias } = epilogue;
  const relu = epilogue.activation === 'relu';
  const acc = new Float64Array(outChannels);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = inputIndex(oy, ky, strideHeight, dilationHeight, padTop, inHeight);
          if (iy < 0) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = inputIndex(ox, kx, strideWidth, dilationWidth, padLeft, inWidth);
            if (ix < 0) continue;
            const xOffset = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const fOffset = (ky * filterWidth + kx) * outChannels;
            for (let c = 0, k = 0; c < inChannels; c++) {
              const xv = x[xOffset + c];
              for (let m = 0; m < channelMultiplier; m++, k++) acc[k] += xv * filter[fOffset + k];
            }
          }
        }
        for (let k = 0; k < outChannels; k++, o++) {
          const v = acc[k] + (bias ? bias[k] : 0);
          out[o] = relu && v < 0 ? 0 : v;
        }
      }
    }
  }
}

/** dx[b, iy, ix, c] = Σ dy[b, oy, ox, c·M + m] · filter[ky, kx, c, m] over the windows that read (iy, ix); every element written. */
export function depthwiseConv2dBackpropInput(dy: Float32Array, filter: Float32Array, info: DepthwiseConv2DInfo, dx: Float32Array): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, channelMultiplier } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = info;
  const acc = new Float64Array(inChannels);
  let i = 0;
  for (let b = 0; b < batch; b++) {
    for (let iy = 0; iy < inHeight; iy++) {
      for (let ix = 0; ix < inWidth; ix++) {
        acc.fill(0);
        for (let ky = 0; ky < filterHeight; ky++) {
          const oy = outputIndex(iy, ky, strideHeight, dilationHeight, padTop, outHeight);
          if (oy < 0) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ox = outputIndex(ix, kx, strideWidth, dilationWidth, padLeft, outWidth);
            if (ox < 0) continue;
            const dyOffset = ((b * outHeight + oy) * outWidth + ox) * outChannels;
            const fOffset = (ky * filterWidth + kx) * outChannels;
            for (let c = 0, k = 0; c < inChannels; c++) {
              let sum = 0;
              for (let m = 0; m < channelMultiplier; m++, k++) sum += dy[dyOffset + k] * filter[fOffset + k];
              acc[c] += sum;
            }
          }
        }
        for (let c = 0; c < inChannels; c++, i++) dx[i] = acc[c];
      }
    }
  }
}

/** dFilter[ky, kx, c, m] = Σ x[b, iy, ix, c] · dy[b, oy, ox, c·M + m] over the batch and every output position; every element written. */
export function depthwiseConv2dBackpropFilter(x: Float32Array, dy: Float32Array, info: DepthwiseConv2DInfo, dFilter: Float32Array): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, channelMultiplier } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = info;
  const acc = new Float64Array(outChannels);
  for (let ky = 0; ky < filterHeight; ky++) {
    for (let kx = 0; kx < filterWidth; kx++) {
      acc.fill(0);
      for (let b = 0; b < batch; b++) {
        for (let oy = 0; oy < outHeight; oy++) {
          const iy = inputIndex(oy, ky, strideHeight, dilationHeight, padTop, inHeight);
          if (iy < 0) continue;
          for (let ox = 0; ox < outWidth; ox++) {
            const ix = inputIndex(ox, kx, strideWidth, dilationWidth, padLeft, inWidth);
            if (ix < 0) continue;
            const xOffset = ((b * inHeight + iy) * inWidth + ix) * inChannels;
            const dyOffset = ((b * outHeight + oy) * outWidth + ox) * outChannels;
            for (let c = 0, k = 0; c < inChannels; c++) {
              const xv = x[xOffset + c];
              for (let m = 0; m < channelMultiplier; m++, k++) acc[k] += xv * dy[dyOffset + k];
            }
          }
        }
      }
      dFilter.set(acc, (ky * filterWidth + kx) * outChannels);
    }
  }
}
