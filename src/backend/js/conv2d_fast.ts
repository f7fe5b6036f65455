import type { Conv2DEpilogue, Conv2DInfo } from '../types.js';

/**
 * The fast js convolution. Two ideas, both from how V8 compiles plain loops:
 *
 * 1. Each image is first copied into a zero-padded float64 buffer, so every output pixel's window
 *    lies inside it: the inner loops need no bounds tests, and reading float64 avoids a float32 →
 *    float64 conversion per multiply. The padding zeros contribute exact zeros, which equals
 *    skipping the padded taps as long as every weight is finite (0 · NaN would be NaN): the caller
 *    sends non-finite filters to the direct path.
 * 2. Output values are accumulated in local variables (registers), a block of 2 pixels × 4 output
 *    channels at a time, over filters packed so those 4 channels' weights are adjacent. Each input
 *    value read is used 4 times and each weight twice, and nothing is written until the block ends.
 *
 * Sums are float64, rounded once to float32 when stored.
 */

const CHANNEL_BLOCK = 4;

/** Geometry of the padded copy of one image: just the rows and columns some window reads. */
interface Padded {
  height: number;
  width: number;
  /** The padded image, [height, width, inChannels], reused for every image of the batch. */
  data: Float64Array;
}

function paddedGeometry(info: Conv2DInfo): Padded {
  const { outHeight, outWidth, inChannels, filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const height = (outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight + 1;
  const width = (outWidth - 1) * strideWidth + (filterWidth - 1) * dilationWidth + 1;
  return { height, width, data: new Float64Array(height * width * inChannels) };
}

/** Copies image `b` into the padded buffer; the border stays zero (it is never written). */
function fillPadded(x: Float32Array, b: number, info: Conv2DInfo, padded: Padded): void {
  const { inHeight, inWidth, inChannels, padTop, padLeft } = info;
  const { height, width, data } = padded;
  // input columns [x0, x1) land inside the padded width
  const x0 = Math.max(0, -padLeft);
  const x1 = Math.min(inWidth, width - padLeft);
  if (x1 <= x0) return;
  const rowLength = (x1 - x0) * inChannels;
  for (let iy = Math.max(0, -padTop); iy < inHeight && iy + padTop < height; iy++) {
    const from = ((b * inHeight + iy) * inWidth + x0) * inChannels;
    const to = ((iy + padTop) * width + x0 + padLeft) * inChannels;
    for (let i = 0; i < rowLength; i++) data[to + i] = x[from + i];
  }
}

/**
 * Filters [kh, kw, inC, outC] repacked as [outC / 4][kh · kw · inC][4] in float64, the channel
 * count rounded up with zero weights (their outputs are computed and dropped). Returns undefined
 * if a weight is NaN or infinite.
 */
function packFilters(w: Float32Array, outChannels: number): Float64Array | undefined {
  const taps = w.length / outChannels;
  const blocks = Math.ceil(outChannels / CHANNEL_BLOCK);
  const packed = new Float64Array(blocks * taps * CHANNEL_BLOCK);
  for (let t = 0; t < taps; t++) {
    for (let co = 0; co < outChannels; co++) {
      const v = w[t * outChannels + co];
      if (!Number.isFinite(v)) return undefined;
      const block = (co / CHANNEL_BLOCK) | 0;
      packed[(block * taps + t) * CHANNEL_BLOCK + (co % CHANNEL_BLOCK)] = v;
    }
  }
  return packed;
}

/**
 * A window as runs of consecutive padded-buffer values: [x offset from the window's first value,
 * packed-weight offset, length] per run. Without dilation a filter row is one run of kw · inC
 * values; with it, each tap is a run of inC.
 */
function windowRuns(info: Conv2DInfo, paddedWidth: number): Int32Array {
  const { filterHeight, filterWidth, inChannels, dilationHeight, dilationWidth } = info;
  const runs: number[] = [];
  for (let ky = 0; ky < filterHeight; ky++) {
    const rowOffset = ky * dilationHeight * paddedWidth * inChannels;
    const rowTaps = ky * filterWidth * inChannels;
    if (dilationWidth === 1) runs.push(rowOffset, rowTaps * CHANNEL_BLOCK, filterWidth * inChannels);
    else {
      for (let kx = 0; kx < filterWidth; kx++) {
        runs.push(rowOffset + kx * dilationWidth * inChannels, (rowTaps + kx * inChannels) * CHANNEL_BLOCK, inChannels);
      }
    }
  }
  return Int32Array.from(runs);
}

/** Bias, ReLU and the float32 store of up to 4 channels of one pixel (fewer in the last block). */
function store(
  out: Float32Array,
  at: number,
  co: number,
  count: number,
  epilogue: Conv2DEpilogue,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
) {
  const { bias } = epilogue;
  const relu = epilogue.activation === 'relu';
  for (let c = 0; c < count; c++) {
    let v = c === 0 ? s0 : c === 1 ? s1 : c === 2 ? s2 : s3;
    if (bias) v += bias[co + c];
    // NaN < 0 is false, so NaN passes through ReLU as in TensorFlow
    if (relu && v < 0) v = 0;
    out[at + c] = v;
  }
}

/** Two pixels (windows starting at p0 and p1 in `xp`) × the 4 channels of one packed block. */
function block2x4(
  xp: Float64Array,
  p0: number,
  p1: number,
  wp: Float64Array,
  wBlock: number,
  runs: Int32Array,
  out: Float32Array,
  o0: number,
  o1: number,
  co: number,
  count: number,
  epilogue: Conv2DEpilogue,
): void {
  let s00 = 0;
  let s01 = 0;
  let s02 = 0;
  let s03 = 0;
  let s10 = 0;
  let s11 = 0;
  let s12 = 0;
  let s13 = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const a = p0 + runs[r];
    const b = p1 + runs[r];
    const k0 = wBlock + runs[r + 1];
    const length = runs[r + 2];
    for (let j = 0, k = k0; j < length; j++, k += 4) {
      const x0 = xp[a + j];
      const x1 = xp[b + j];
      const w0 = wp[k];
      const w1 = wp[k + 1];
      const w2 = wp[k + 2];
      const w3 = wp[k + 3];
      s00 += x0 * w0;
      s01 += x0 * w1;
      s02 += x0 * w2;
      s03 += x0 * w3;
      s10 += x1 * w0;
      s11 += x1 * w1;
      s12 += x1 * w2;
      s13 += x1 * w3;
    }
  }
  store(out, o0, co, count, epilogue, s00, s01, s02, s03);
  store(out, o1, co, count, epilogue, s10, s11, s12, s13);
}

/** One pixel × 4 channels: the odd pixel at the end of a row. */
function block1x4(
  xp: Float64Array,
  p0: number,
  wp: Float64Array,
  wBlock: number,
  runs: Int32Array,
  out: Float32Array,
  o0: number,
  co: number,
  count: number,
  epilogue: Conv2DEpilogue,
): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const a = p0 + runs[r];
    const k0 = wBlock + runs[r + 1];
    const length = runs[r + 2];
    for (let j = 0, k = k0; j < length; j++, k += 4) {
      const x0 = xp[a + j];
      s0 += x0 * wp[k];
      s1 += x0 * wp[k + 1];
      s2 += x0 * wp[k + 2];
      s3 += x0 * wp[k + 3];
    }
  }
  store(out, o0, co, count, epilogue, s0, s1, s2, s3);
}

/**
 * One output row of one image: for each block of 4 channels (its packed weights stay in L1
 * cache), sweep the row two pixels at a time.
 */
function blockedRow(
  xp: Float64Array,
  paddedWidth: number,
  oy: number,
  wp: Float64Array,
  runs: Int32Array,
  info: Conv2DInfo,
  out: Float32Array,
  outRow: number,
  epilogue: Conv2DEpilogue,
): void {
  const { inChannels, outWidth, outChannels, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const taps = filterHeight * filterWidth * inChannels;
  const rowStart = oy * strideHeight * paddedWidth * inChannels;
  const pixelStep = strideWidth * inChannels;
  for (let co = 0; co < outChannels; co += CHANNEL_BLOCK) {
    const count = Math.min(CHANNEL_BLOCK, outChannels - co);
    const wBlock = co * taps;
    let ox = 0;
    for (; ox + 1 < outWidth; ox += 2) {
      const p0 = rowStart + ox * pixelStep;
      const o0 = outRow + ox * outChannels + co;
      block2x4(xp, p0, p0 + pixelStep, wp, wBlock, runs, out, o0, o0 + outChannels, co, count, epilogue);
    }
    if (ox < outWidth) block1x4(xp, rowStart + ox * pixelStep, wp, wBlock, runs, out, outRow + ox * outChannels + co, co, count, epilogue);
  }
}

/**
 * The lesson's case, one input and one output channel with a 3×3 stride-1 window: a 3×3 window
 * of values slides along the row in locals, so each step reads one new column of 3 values.
 */
function singleChannel3x3Row(
  xp: Float64Array,
  width: number,
  oy: number,
  w: Float32Array,
  out: Float32Array,
  outRow: number,
  outWidth: number,
  epilogue: Conv2DEpilogue,
): void {
  const [w00, w01, w02, w10, w11, w12, w20, w21, w22] = w;
  const bias = epilogue.bias ? epilogue.bias[0] : 0;
  const relu = epilogue.activation === 'relu';
  const r0 = oy * width;
  const r1 = r0 + width;
  const r2 = r1 + width;
  let a0 = xp[r0];
  let a1 = xp[r0 + 1];
  let b0 = xp[r1];
  let b1 = xp[r1 + 1];
  let c0 = xp[r2];
  let c1 = xp[r2 + 1];
  for (let ox = 0; ox < outWidth; ox++) {
    const a2 = xp[r0 + ox + 2];
    const b2 = xp[r1 + ox + 2];
    const c2 = xp[r2 + ox + 2];
    let v = w00 * a0 + w01 * a1 + w02 * a2 + (w10 * b0 + w11 * b1 + w12 * b2) + (w20 * c0 + w21 * c1 + w22 * c2) + bias;
    if (relu && v < 0) v = 0;
    out[outRow + ox] = v;
    a0 = a1;
    a1 = a2;
    b0 = b1;
    b1 = b2;
    c0 = c1;
    c1 = c2;
  }
}

function isSingleChannel3x3(info: Conv2DInfo): boolean {
  return (
    info.inChannels === 1 &&
    info.outChannels === 1 &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1
  );
}

/**
 * Runs the fast convolution and returns true, or returns false without writing anything when a
 * weight is not finite (the direct path then keeps TensorFlow's skipping of padded taps).
 */
export function conv2dFast(x: Float32Array, w: Float32Array, info: Conv2DInfo, out: Float32Array, epilogue: Conv2DEpilogue): boolean {
  const { batch, outHeight, outWidth, outChannels } = info;
  const single = isSingleChannel3x3(info);
  const packed = single ? (w.every(Number.isFinite) ? undefined : null) : packFilters(w, outChannels);
  if (packed === null || (!single && packed === undefined)) return false;
  const padded = paddedGeometry(info);
  const runs = windowRuns(info, padded.width);
  for (let b = 0; b < batch; b++) {
    fillPadded(x, b, info, padded);
    for (let oy = 0; oy < outHeight; oy++) {
      const outRow = (b * outHeight + oy) * outWidth * outChannels;
      if (single) singleChannel3x3Row(padded.data, padded.width, oy, w, out, outRow, outWidth, epilogue);
      else blockedRow(padded.data, padded.width, oy, packed as Float64Array, runs, info, out, outRow, epilogue);
    }
  }
  return true;
}
