import type { Conv2DGrads, Conv2DInfo, Pool2DInfo } from '../types.js';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv2d_backprop.js';
import { maxPoolBackprop } from './pool_backprop.js';

/** A conv2d layer's gradients: the reference composes the single kernels. */
export function conv2dBackward(x: Float32Array, filters: Float32Array, dy: Float32Array, info: Conv2DInfo, grads: Conv2DGrads): void {
  const { batch, outHeight, outWidth, outChannels } = info;
  const n = batch * outHeight * outWidth * outChannels;
  let dz = dy;
  const y = grads.reluOutput;
  if (y) {
    dz = new Float32Array(n);
    for (let i = 0; i < n; i++) dz[i] = y[i] > 0 ? dy[i] : 0;
  }
  if (grads.dFilters) conv2dBackpropFilter(x, dz, info, grads.dFilters);
  if (grads.dBias) {
    const acc = new Float64Array(outChannels);
    for (let i = 0; i < n; i += outChannels) for (let c = 0; c < outChannels; c++) acc[c] += dz[i + c];
    grads.dBias.set(acc);
  }
  if (grads.dx) {
    grads.dx.fill(0, 0, batch * info.inHeight * info.inWidth * info.inChannels);
    conv2dBackpropInput(dz, filters, info, grads.dx);
  }
}

/** Max pooling's gradient over all of dx, optionally through the ReLU that produced x. */
export function maxPoolBackward(x: Float32Array, dy: Float32Array, info: Pool2DInfo, dx: Float32Array, reluMask: boolean): void {
  const n = info.batch * info.inHeight * info.inWidth * info.channels;
  dx.fill(0, 0, n);
  maxPoolBackprop(x, dy, info, dx);
  // every cell that received a gradient was its window's maximum: masking by x > 0 there is the ReLU's gradient
  if (reluMask) for (let i = 0; i < n; i++) if (!(x[i] > 0)) dx[i] = 0;
}

export function residentBuffer(length: number): Float32Array {
  return new Float32Array(length);
}
