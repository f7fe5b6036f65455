/**
 * libjpeg-turbo's steps after the IDCT, as TensorFlow's decode_jpeg runs them (fancy upsampling
 * on, the default): chroma upsampling (jdsample.c) and colour conversion (jdcolor.c), in the
 * same integer arithmetic.
 */

/** One component's samples at its own resolution, rows `stride` apart. */
export interface Plane {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Upsamples a component by integer factors (rx, ry) to at least outWidth × outHeight, as
 * libjpeg-turbo does: triangle ("fancy") filters for 2×1, 1×2 and 2×2 (2×1 and 2×2 only when the
 * component is more than 2 samples wide), sample replication otherwise. Returns outWidth × outHeight.
 */
export function upsample(plane: Plane, rx: number, ry: number, outWidth: number, outHeight: number): Uint8Array {
  const { data, width: pw, height: ph } = plane;
  const out = new Uint8Array(outWidth * outHeight);
  const at = (x: number, y: number) => data[Math.min(Math.max(y, 0), ph - 1) * pw + x];
  const fancyH = rx === 2 && pw > 2;
  if (rx === 1 && ry === 1) {
    for (let y = 0; y < outHeight; y++) out.set(data.subarray(y * pw, y * pw + outWidth), y * outWidth);
  } else if (rx === 2 && ry === 1 && fancyH) {
    const row = new Uint8Array(2 * pw);
    for (let y = 0; y < outHeight; y++) {
      h2v1Row(data.subarray(y * pw, (y + 1) * pw), row);
      out.set(row.subarray(0, outWidth), y * outWidth);
    }
  } else if (rx === 1 && ry === 2) {
    for (let y = 0; y < outHeight; y++) {
      const cy = y >> 1;
      const other = y & 1 ? cy + 1 : cy - 1;
      const bias = y & 1 ? 2 : 1;
      for (let x = 0; x < outWidth; x++) out[y * outWidth + x] = (3 * at(x, cy) + at(x, other) + bias) >> 2;
    }
  } else if (rx === 2 && ry === 2 && fancyH) {
    const row = new Uint8Array(2 * pw);
    const sums = new Int32Array(pw);
    for (let y = 0; y < outHeight; y++) {
      const cy = y >> 1;
      const other = y & 1 ? cy + 1 : cy - 1;
      for (let x = 0; x < pw; x++) sums[x] = 3 * at(x, cy) + at(x, other);
      h2v2Row(sums, row);
      out.set(row.subarray(0, outWidth), y * outWidth);
    }
  } else {
    for (let y = 0; y < outHeight; y++) {
      const src = Math.floor(y / ry) * pw;
      for (let x = 0; x < outWidth; x++) out[y * outWidth + x] = data[src + Math.floor(x / rx)];
    }
  }
  return out;
}

/** jdsample.c h2v1_fancy_upsample: 3/4 nearer + 1/4 further, alternating rounding. */
function h2v1Row(input: Uint8Array, out: Uint8Array): void {
  const n = input.length;
  out[0] = input[0];
  out[1] = (input[0] * 3 + input[1] + 2) >> 2;
  for (let i = 1; i < n - 1; i++) {
    const v = input[i] * 3;
    out[2 * i] = (v + input[i - 1] + 1) >> 2;
    out[2 * i + 1] = (v + input[i + 1] + 2) >> 2;
  }
  const last = input[n - 1] * 3;
  out[2 * n - 2] = (last + input[n - 2] + 1) >> 2;
  out[2 * n - 1] = input[n - 1];
}

/** jdsample.c h2v2_fancy_upsample on column sums (3 × nearer row + further row). */
function h2v2Row(sums: Int32Array, out: Uint8Array): void {
  const n = sums.length;
  out[0] = (sums[0] * 4 + 8) >> 4;
  out[1] = (sums[0] * 3 + sums[1] + 7) >> 4;
  for (let i = 1; i < n - 1; i++) {
    out[2 * i] = (sums[i] * 3 + sums[i - 1] + 8) >> 4;
    out[2 * i + 1] = (sums[i] * 3 + sums[i + 1] + 7) >> 4;
  }
  out[2 * n - 2] = (sums[n - 1] * 3 + sums[n - 2] + 8) >> 4;
  out[2 * n - 1] = (sums[n - 1] * 4 + 7) >> 4;
}

const ONE_HALF = 1 << 15;
const fix = (x: number) => Math.floor(x * 65536 + 0.5);
const clamp = (v: number) => Math.min(255, Math.max(0, v));

/** jdcolor.c ycc_rgb_convert: writes RGB into out (3 per pixel, or 4 with alpha 255). */
export function yccToRgb(y: Uint8Array, cb: Uint8Array, cr: Uint8Array, out: Uint8Array, channels: 3 | 4): void {
  const crR = new Int32Array(256);
  const cbB = new Int32Array(256);
  const crG = new Int32Array(256);
  const cbG = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    crR[i] = (fix(1.402) * x + ONE_HALF) >> 16;
    cbB[i] = (fix(1.772) * x + ONE_HALF) >> 16;
    crG[i] = -fix(0.71414) * x;
    cbG[i] = -fix(0.34414) * x + ONE_HALF;
  }
  for (let p = 0, o = 0; p < y.length; p++, o += channels) {
    const luma = y[p];
    out[o] = clamp(luma + crR[cr[p]]);
    out[o + 1] = clamp(luma + ((cbG[cb[p]] + crG[cr[p]]) >> 16));
    out[o + 2] = clamp(luma + cbB[cb[p]]);
    if (channels === 4) out[o + 3] = 255;
  }
}

/** jdcolor.c rgb_gray_convert: (0.299 R + 0.587 G + 0.114 B) in 16-bit fixed point, rounded. */
export function rgbToGray(r: Uint8Array, g: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(r.length);
  const wr = fix(0.299);
  const wg = fix(0.587);
  const wb = fix(0.114);
  for (let p = 0; p < r.length; p++) out[p] = (wr * r[p] + wg * g[p] + wb * b[p] + ONE_HALF) >> 16;
  return out;
}
