import type { Conv2DInfo, Pool2DInfo } from '../../src/backend/types.js';

/** A convolution's or pooling's padding: TensorFlow's names, or explicit [top, bottom, left, right]. */
export type Pad = 'SAME' | 'VALID' | [number, number, number, number];

function axis(inSize: number, k: number, stride: number, dilation: number, pad: Pad, before: number, after: number) {
  const eff = (k - 1) * dilation + 1;
  if (pad === 'SAME') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max(0, (out - 1) * stride + eff - inSize);
    return { out, before: Math.floor(total / 2) };
  }
  if (pad === 'VALID') return { out: Math.max(0, Math.ceil((inSize - eff + 1) / stride)), before: 0 };
  return { out: Math.max(0, Math.floor((inSize + before + after - eff) / stride) + 1), before };
}

/** The geometry of an NHWC convolution of an input [batch, h, w, in] by filters [kh, kw, out], as TensorFlow pads it. */
export function convInfo(
  [batch, inHeight, inWidth, inChannels]: number[],
  [filterHeight, filterWidth, outChannels]: number[],
  [strideHeight, strideWidth] = [1, 1],
  [dilationHeight, dilationWidth] = [1, 1],
  pad: Pad = 'SAME',
): Conv2DInfo {
  const e = Array.isArray(pad) ? pad : [0, 0, 0, 0];
  const r = axis(inHeight, filterHeight, strideHeight, dilationHeight, pad, e[0], e[1]);
  const c = axis(inWidth, filterWidth, strideWidth, dilationWidth, pad, e[2], e[3]);
  return {
    batch,
    inHeight,
    inWidth,
    inChannels,
    outHeight: r.out,
    outWidth: c.out,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    padTop: r.before,
    padLeft: c.before,
  };
}

/** The geometry of an NHWC pooling of windows [kh, kw] with strides [sh, sw], as TensorFlow pads it. */
export function poolInfo([batch, inHeight, inWidth, channels]: number[], [kh, kw]: number[], [sh, sw]: number[], pad: Pad): Pool2DInfo {
  const e = Array.isArray(pad) ? pad : [0, 0, 0, 0];
  const r = axis(inHeight, kh, sh, 1, pad, e[0], e[1]);
  const c = axis(inWidth, kw, sw, 1, pad, e[2], e[3]);
  return {
    batch,
    inHeight,
    inWidth,
    channels,
    outHeight: r.out,
    outWidth: c.out,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    padTop: r.before,
    padLeft: c.before,
  };
}
