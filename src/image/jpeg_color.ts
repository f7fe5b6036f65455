/**
 * libjpeg-turbo's steps after the IDCT, as TensorFlow's decode_jpeg runs them (fancy upsampling
 * on, the default): chroma upsampling (jdsample.c) and colour conversion (jdcolor.c), in the
 * same integer arithmetic, plus TensorFlow's own CMYK → RGB step.
 */

/** One component's samples at its own resolution, rows `width` apart. */
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
  // Row offset of the other source row a vertical triangle filter blends in: the one above for
  // even output rows, below for odd ones, repeating the edge rows (libjpeg's context rows).
  const farRow = (y: number) => Math.min(Math.max(y & 1 ? (y >> 1) + 1 : (y >> 1) - 1, 0), ph - 1) * pw;
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
      const near = (y >> 1) * pw;
      const far = farRow(y);
      const bias = y & 1 ? 2 : 1;
      const o = y * outWidth;
      for (let x = 0; x < outWidth; x++) out[o + x] = (3 * data[near + x] + data[far + x] + bias) >> 2;
    }
  } else if (rx === 2 && ry === 2 && fancyH) {
    const row = new Uint8Array(2 * pw);
    const sums = new Int32Array(pw);
    for (let y = 0; y < outHeight; y++) {
      const near = (y >> 1) * pw;
      const far = farRow(y);
      for (let x = 0; x < pw; x++) sums[x] = 3 * data[near + x] + data[far + x];
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

/** libjpeg's sample_range_limit: CLAMP_OFFSET + v → v clamped to 0..255, for v in -256..511. */
const CLAMP_OFFSET = 256;
const CLAMP = new Uint8Array(768);
for (let i = 0; i < 768; i++) CLAMP[i] = Math.min(255, Math.max(0, i - CLAMP_OFFSET));

/** jdcolor.c build_ycc_rgb_table: per-Cb/Cr terms, with the clamp offset folded into R and B. */
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = ((fix(1.402) * x + ONE_HALF) >> 16) + CLAMP_OFFSET;
  CB_B[i] = ((fix(1.772) * x + ONE_HALF) >> 16) + CLAMP_OFFSET;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

/** jdcolor.c ycc_rgb_convert: writes RGB into out (3 per pixel, or 4 with alpha 255). */
export function yccToRgb(y: Uint8Array, cb: Uint8Array, cr: Uint8Array, out: Uint8Array, channels: 3 | 4): void {
  const n = y.length;
  for (let p = 0, o = 0; p < n; p++, o += channels) {
    const luma = y[p];
    const blue = cb[p];
    const red = cr[p];
    out[o] = CLAMP[luma + CR_R[red]];
    out[o + 1] = CLAMP[luma + ((CB_G[blue] + CR_G[red]) >> 16) + CLAMP_OFFSET];
    out[o + 2] = CLAMP[luma + CB_B[blue]];
  }
  if (channels === 4) for (let o = 3; o < out.length; o += 4) out[o] = 255;
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

/**
 * jdcolor.c ycck_cmyk_convert on the first three planes, in place: YCbCr → RGB as in
 * ycc_rgb_convert, inverted to CMY (K is stored as is).
 */
export function ycckToCmyk(y: Uint8Array, cb: Uint8Array, cr: Uint8Array): void {
  const n = y.length;
  for (let p = 0; p < n; p++) {
    const luma = y[p];
    const blue = cb[p];
    const red = cr[p];
    y[p] = 255 - CLAMP[luma + CR_R[red]];
    cb[p] = 255 - CLAMP[luma + ((CB_G[blue] + CR_G[red]) >> 16) + CLAMP_OFFSET];
    cr[p] = 255 - CLAMP[luma + CB_B[blue]];
  }
}

/**
 * TensorFlow's CMYK → RGB (jpeg_mem.cc) for Adobe CMYK, which stores inverted inks:
 * R = K·C / 255 and so on, truncated.
 */
export function adobeCmykToRgb(c: Uint8Array, m: Uint8Array, y: Uint8Array, k: Uint8Array, out: Uint8Array, channels: 3 | 4): void {
  const n = c.length;
  for (let p = 0, o = 0; p < n; p++, o += channels) {
    const black = k[p];
    out[o] = ((black * c[p]) / 255) | 0;
    out[o + 1] = ((black * m[p]) / 255) | 0;
    out[o + 2] = ((black * y[p]) / 255) | 0;
  }
  if (channels === 4) for (let o = 3; o < out.length; o += 4) out[o] = 255;
}
