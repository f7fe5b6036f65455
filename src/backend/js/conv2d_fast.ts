import type { Conv2DEpilogue, Conv2DInfo } from '../types.js';

/**
 * The fast js convolution, shaped by what V8 makes of plain loops: every typed-array read costs
 * about six instructions (index arithmetic, bounds check, reloading the array's base pointer), so
 * the only big lever is to read less per multiply-add and keep sums in registers.
 *
 * - Many channels: im2col one output row (or a chunk of a wide one) at a time, each pixel's window
 *   copied into a contiguous float64 patch with zeros where it reads padding, then a small GEMM
 *   against the filters packed in blocks of 4 output channels. The GEMM keeps 2 pixels × 4 channels
 *   of sums in locals, so each value read feeds 2 or 4 multiply-adds and nothing is written until
 *   the block is done. (3 × 4 and 4 × 4 blocks spill registers in V8 and were no faster; neither
 *   was unrolling the tap loop.)
 * - One input and one output channel with a 3×3 stride-1 window (the lesson's filtering): the
 *   window slides along a zero-padded copy of the image in locals, one new column per pixel.
 *
 * Padding read as zeros equals TensorFlow's skipping of padded taps only while every weight is
 * finite (0 · NaN is NaN), so filters with NaN or ±∞ go to the direct loop instead. Sums are float64
 * and rounded once, when stored as float32.
 */

const BLOCK = 4;

/** Runs the fast convolution and returns true, or returns false (writing nothing) if a weight is not finite. */
export function conv2dFast(x: Float32Array, w: Float32Array, info: Conv2DInfo, out: Float32Array, epilogue: Conv2DEpilogue): boolean {
  if (!w.every(Number.isFinite)) return false;
  if (isSingleChannel3x3(info)) singleChannel3x3(x, w, info, out, epilogue);
  else im2colGemm(x, w, info, out, epilogue);
  return true;
}

// ---- many channels: im2col rows × packed filters ----

/** Patches are made for at most this many float64 values at a time (256 KB, half a typical L2 cache). */
const PATCH_BUDGET = 32768;

/**
 * Both GEMM operands live in one float64 buffer, `work` = [packed filters | patches]: V8 re-checks
 * every typed array a loop reads on every iteration, and one array instead of two takes ~7% of the
 * instructions out of the inner loop.
 */
function im2colGemm(x: Float32Array, w: Float32Array, info: Conv2DInfo, out: Float32Array, epilogue: Conv2DEpilogue): void {
  const { batch, outHeight, outWidth, outChannels } = info;
  const taps = w.length / outChannels; // kh · kw · inC, the length of one patch
  // a wide row is done in chunks of pixels, so its patches stay in cache while each block of channels reads them
  const chunk = Math.min(outWidth, Math.max(2, Math.floor(PATCH_BUDGET / taps)));
  const patchStart = Math.ceil(outChannels / BLOCK) * BLOCK * taps;
  const work = new Float64Array(patchStart + chunk * taps);
  packFilters(w, outChannels, work);
  // bias padded to whole blocks so the store reads 4 entries unconditionally
  const bias = new Float64Array(Math.ceil(outChannels / BLOCK) * BLOCK);
  if (epilogue.bias) bias.set(epilogue.bias);
  const relu = epilogue.activation === 'relu';
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox += chunk) {
        const pixels = Math.min(chunk, outWidth - ox);
        fillPatches(x, b, oy, ox, pixels, info, work, patchStart);
        const row = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        gemmRow(work, patchStart, taps, out, row, pixels, outChannels, bias, relu);
      }
    }
  }
}

/**
 * Filters [kh, kw, inC, outC] repacked at the start of `work` as [ceil(outC / 4)][kh · kw · inC][4],
 * so one block's weights are read in order. The last block is padded with zero weights; the sums
 * they give are never stored.
 */
function packFilters(w: Float32Array, outChannels: number, work: Float64Array): void {
  const taps = w.length / outChannels;
  for (let t = 0; t < taps; t++) {
    for (let co = 0; co < outChannels; co++) {
      const block = Math.floor(co / BLOCK);
      work[(block * taps + t) * BLOCK + (co % BLOCK)] = w[t * outChannels + co];
    }
  }
}

/**
 * im2col for `pixels` output pixels from (oy, ox0) of image `b`, written from work[start]: patch i
 * is the window of pixel (oy, ox0 + i) flattened in the filters' [kh, kw, inC] order, zeros where
 * it reads padding. Cheap next to the GEMM: each patch value is written once and read once per
 * block of 4 output channels.
 */
function fillPatches(
  x: Float32Array,
  b: number,
  oy: number,
  ox0: number,
  pixels: number,
  info: Conv2DInfo,
  work: Float64Array,
  start: number,
): void {
  const { inHeight, inWidth, inChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, padTop, padLeft } = info;
  let p = start;
  for (let ox = ox0; ox < ox0 + pixels; ox++) {
    for (let ky = 0; ky < filterHeight; ky++) {
      const iy = oy * strideHeight - padTop + ky * dilationHeight;
      for (let kx = 0; kx < filterWidth; kx++) {
        const ix = ox * strideWidth - padLeft + kx * dilationWidth;
        if (iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth) {
          const from = ((b * inHeight + iy) * inWidth + ix) * inChannels;
          for (let ci = 0; ci < inChannels; ci++) work[p++] = x[from + ci];
        } else {
          for (let ci = 0; ci < inChannels; ci++) work[p++] = 0;
        }
      }
    }
  }
}

/**
 * out[row + i · outC + co] = patch i · filters[:, co] for a run of pixels of one output row.
 * Block by block of 4 channels (that block's packed weights stay in L1 cache), two pixels at a time.
 */
function gemmRow(
  work: Float64Array,
  patchStart: number,
  taps: number,
  out: Float32Array,
  row: number,
  pixels: number,
  outChannels: number,
  bias: Float64Array,
  relu: boolean,
): void {
  const sums = new Float64Array(2 * BLOCK);
  for (let co = 0; co < outChannels; co += BLOCK) {
    const count = Math.min(BLOCK, outChannels - co);
    const weights = co * taps; // start of this block's packed weights
    let i = 0;
    for (; i + 1 < pixels; i += 2) {
      const patch = patchStart + i * taps;
      kernel2x4(work, patch, patch + taps, weights, taps, sums);
      const at = row + i * outChannels + co;
      store(sums, 0, out, at, co, count, bias, relu);
      store(sums, BLOCK, out, at + outChannels, co, count, bias, relu);
    }
    if (i < pixels) {
      kernel1x4(work, patchStart + i * taps, weights, taps, sums);
      store(sums, 0, out, row + i * outChannels + co, co, count, bias, relu);
    }
  }
}

/**
 * Dot products of the patches at work[p0] and work[p1] with the 4 packed filter columns at work[k]:
 * sums[0..3] for p0, sums[4..7] for p1. Indices are `| 0` so V8 adds int32s without overflow
 * checks, and the step is a literal 4 (a module constant is reloaded on every iteration).
 */
function kernel2x4(work: Float64Array, p0: number, p1: number, k: number, taps: number, sums: Float64Array): void {
  let s00 = 0;
  let s01 = 0;
  let s02 = 0;
  let s03 = 0;
  let s10 = 0;
  let s11 = 0;
  let s12 = 0;
  let s13 = 0;
  for (let j = 0; j < taps; j++) {
    const x0 = work[(p0 + j) | 0];
    const x1 = work[(p1 + j) | 0];
    const w0 = work[k];
    const w1 = work[(k + 1) | 0];
    const w2 = work[(k + 2) | 0];
    const w3 = work[(k + 3) | 0];
    k = (k + 4) | 0;
    s00 += x0 * w0;
    s01 += x0 * w1;
    s02 += x0 * w2;
    s03 += x0 * w3;
    s10 += x1 * w0;
    s11 += x1 * w1;
    s12 += x1 * w2;
    s13 += x1 * w3;
  }
  sums[0] = s00;
  sums[1] = s01;
  sums[2] = s02;
  sums[3] = s03;
  sums[4] = s10;
  sums[5] = s11;
  sums[6] = s12;
  sums[7] = s13;
}

/** kernel2x4 for a single patch (the odd pixel at the end of a row). */
function kernel1x4(work: Float64Array, p0: number, k: number, taps: number, sums: Float64Array): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let j = 0; j < taps; j++) {
    const x0 = work[(p0 + j) | 0];
    s0 += x0 * work[k];
    s1 += x0 * work[(k + 1) | 0];
    s2 += x0 * work[(k + 2) | 0];
    s3 += x0 * work[(k + 3) | 0];
    k = (k + 4) | 0;
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}

/** Bias, ReLU and the float32 store of one pixel's channels co .. co + count - 1 from sums[from ..]. */
function store(
  sums: Float64Array,
  from: number,
  out: Float32Array,
  at: number,
  co: number,
  count: number,
  bias: Float64Array,
  relu: boolean,
): void {
  // ReLU as Math.max(v, 0), which keeps NaN as TensorFlow does; without it the floor is -∞
  const floor = relu ? 0 : Number.NEGATIVE_INFINITY;
  const v0 = sums[from] + bias[co];
  const v1 = sums[from + 1] + bias[co + 1];
  const v2 = sums[from + 2] + bias[co + 2];
  const v3 = sums[from + 3] + bias[co + 3];
  out[at] = Math.max(v0, floor);
  if (count === 1) return;
  out[at + 1] = Math.max(v1, floor);
  if (count === 2) return;
  out[at + 2] = Math.max(v2, floor);
  if (count === 3) return;
  out[at + 3] = Math.max(v3, floor);
}

// ---- one channel, 3×3, stride 1: a sliding window ----

function isSingleChannel3x3(info: Conv2DInfo): boolean {
  const { inChannels, outChannels, filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  return (
    inChannels === 1 &&
    outChannels === 1 &&
    filterHeight === 3 &&
    filterWidth === 3 &&
    strideHeight === 1 &&
    strideWidth === 1 &&
    dilationHeight === 1 &&
    dilationWidth === 1
  );
}

function singleChannel3x3(x: Float32Array, w: Float32Array, info: Conv2DInfo, out: Float32Array, epilogue: Conv2DEpilogue): void {
  const { batch, outHeight, outWidth } = info;
  // the padded image is (outHeight + 2) × (outWidth + 2): exactly the rows and columns the windows read
  const width = outWidth + 2;
  const padded = new Float64Array((outHeight + 2) * width);
  for (let b = 0; b < batch; b++) {
    fillPadded(x, b, info, padded, outHeight + 2, width);
    for (let oy = 0; oy < outHeight; oy++)
      slidingRow(padded, oy * width, width, w, out, (b * outHeight + oy) * outWidth, outWidth, epilogue);
  }
}

/** Copies image `b` (one channel) into `padded` at (padTop, padLeft); cells outside the image stay zero. */
function fillPadded(x: Float32Array, b: number, info: Conv2DInfo, padded: Float64Array, height: number, width: number): void {
  const { inHeight, inWidth, padTop, padLeft } = info;
  // with explicit padding the windows may stop short of the last input rows or columns
  const columns = Math.min(inWidth, width - padLeft);
  for (let iy = 0; iy < inHeight && iy + padTop < height; iy++) {
    const from = (b * inHeight + iy) * inWidth;
    const to = (iy + padTop) * width + padLeft;
    for (let ix = 0; ix < columns; ix++) padded[to + ix] = x[from + ix];
  }
}

/** One output row: columns a, b, c of the three padded rows from `start` slide right one pixel at a time. */
function slidingRow(
  xp: Float64Array,
  start: number,
  width: number,
  w: Float32Array,
  out: Float32Array,
  at: number,
  outWidth: number,
  epilogue: Conv2DEpilogue,
): void {
  const [w00, w01, w02, w10, w11, w12, w20, w21, w22] = w;
  const bias = epilogue.bias ? epilogue.bias[0] : 0;
  const floor = epilogue.activation === 'relu' ? 0 : Number.NEGATIVE_INFINITY;
  const r0 = start;
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
    const v = w00 * a0 + w01 * a1 + w02 * a2 + (w10 * b0 + w11 * b1 + w12 * b2) + (w20 * c0 + w21 * c1 + w22 * c2) + bias;
    out[at + ox] = Math.max(v, floor);
    a0 = a1;
    a1 = a2;
    b0 = b1;
    b1 = b2;
    c0 = c1;
    c1 = c2;
  }
}
