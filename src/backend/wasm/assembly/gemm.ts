import { claim, madd, pi, pu, store8 } from './common';

// The register-blocked micro-kernel: a 4 x 8 tile of C (4 rows = 4 output pixels or matrix rows,
// 8 columns = two f32x4 of output channels) kept in 8 v128 accumulators. The reduction walks
// `ntaps` segments of `cin` contiguous floats per row (one segment per filter tap: the offset of
// tap t from each row's base pointer is taps[t]), against packed weights: for each reduction step
// 8 consecutive floats (one NR panel row). A matrix product is the same with one tap.

export const MR: i32 = 4;

@inline
export function microkernel4x8(
  a0: usize,
  a1: usize,
  a2: usize,
  a3: usize,
  taps: usize,
  ntaps: i32,
  cinBytes: usize,
  w: usize,
  c0: usize,
  c1: usize,
  c2: usize,
  c3: usize,
  bias: usize,
  relu: bool,
  accumulate: bool,
  nc: i32,
): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  let x00 = b0;
  let x01 = b1;
  let x10 = b0;
  let x11 = b1;
  let x20 = b0;
  let x21 = b1;
  let x30 = b0;
  let x31 = b1;
  for (let t = 0; t < ntaps; t++) {
    const off = <usize>load<u32>(taps + (<usize>t << 2));
    let p0 = a0 + off;
    let p1 = a1 + off;
    let p2 = a2 + off;
    let p3 = a3 + off;
    const end = p0 + cinBytes;
    while (p0 < end) {
      const w0 = v128.load(w);
      const w1 = v128.load(w, 16);
      let v = v128.load32_splat(p0);
      x00 = madd(v, w0, x00);
      x01 = madd(v, w1, x01);
      v = v128.load32_splat(p1);
      x10 = madd(v, w0, x10);
      x11 = madd(v, w1, x11);
      v = v128.load32_splat(p2);
      x20 = madd(v, w0, x20);
      x21 = madd(v, w1, x21);
      v = v128.load32_splat(p3);
      x30 = madd(v, w0, x30);
      x31 = madd(v, w1, x31);
      p0 += 4;
      p1 += 4;
      p2 += 4;
      p3 += 4;
      w += 32;
    }
  }
  if (accumulate) {
    x00 = f32x4.add(x00, v128.load(c0));
    x01 = f32x4.add(x01, v128.load(c0, 16));
    x10 = f32x4.add(x10, v128.load(c1));
    x11 = f32x4.add(x11, v128.load(c1, 16));
    x20 = f32x4.add(x20, v128.load(c2));
    x21 = f32x4.add(x21, v128.load(c2, 16));
    x30 = f32x4.add(x30, v128.load(c3));
    x31 = f32x4.add(x31, v128.load(c3, 16));
  }
  if (relu) {
    const z = f32x4.splat(0);
    x00 = f32x4.pmax(x00, z);
    x01 = f32x4.pmax(x01, z);
    x10 = f32x4.pmax(x10, z);
    x11 = f32x4.pmax(x11, z);
    x20 = f32x4.pmax(x20, z);
    x21 = f32x4.pmax(x21, z);
    x30 = f32x4.pmax(x30, z);
    x31 = f32x4.pmax(x31, z);
  }
  // tail tiles repeat the last row (clamped pointers): duplicates store identical values
  store8(c3, x30, x31, nc);
  store8(c2, x20, x21, nc);
  store8(c1, x10, x11, nc);
  store8(c0, x00, x01, nc);
}

/**
 * The same 4 x 8 tile over an A panel packed as [k][4] (the 4 rows interleaved): one pointer with
 * constant offsets, no per-tap set-up. Used when the reduction is short (first layers: K = 27),
 * where the set-up of the tap loop would cost as much as the arithmetic.
 */
@inline
function microkernel4x8Packed(
  pa: usize,
  k: i32,
  w: usize,
  c0: usize,
  c1: usize,
  c2: usize,
  c3: usize,
  bias: usize,
  relu: bool,
  nc: i32,
): void {
  const b0 = v128.load(bias);
  const b1 = v128.load(bias, 16);
  let x00 = b0;
  let x01 = b1;
  let x10 = b0;
  let x11 = b1;
  let x20 = b0;
  let x21 = b1;
  let x30 = b0;
  let x31 = b1;
  const end = pa + (<usize>k << 4);
  while (pa < end) {
    const w0 = v128.load(w);
    const w1 = v128.load(w, 16);
    let v = v128.load32_splat(pa);
    x00 = madd(v, w0, x00);
    x01 = madd(v, w1, x01);
    v = v128.load32_splat(pa, 4);
    x10 = madd(v, w0, x10);
    x11 = madd(v, w1, x11);
    v = v128.load32_splat(pa, 8);
    x20 = madd(v, w0, x20);
    x21 = madd(v, w1, x21);
    v = v128.load32_splat(pa, 12);
    x30 = madd(v, w0, x30);
    x31 = madd(v, w1, x31);
    pa += 16;
    w += 32;
  }
  if (relu) {
    const z = f32x4.splat(0);
    x00 = f32x4.pmax(x00, z);
    x01 = f32x4.pmax(x01, z);
    x10 = f32x4.pmax(x10, z);
    x11 = f32x4.pmax(x11, z);
    x20 = f32x4.pmax(x20, z);
    x21 = f32x4.pmax(x21, z);
    x30 = f32x4.pmax(x30, z);
    x31 = f32x4.pmax(x31, z);
  }
  store8(c3, x30, x31, nc);
  store8(c2, x20, x21, nc);
  store8(c1, x10, x11, nc);
  store8(c0, x00, x01, nc);
}

/** Reductions at most this long use the packed-A micro-kernel. */
export const PACK_K_MAX: i32 = 64;

const CONV_MC: i32 = 96;

/**
 * NHWC convolution as an implicit GEMM over a zero-padded input (no bounds checks, no im2col):
 * rows = output pixels, columns = output channels, reduction = taps x input channels.
 * Params: 0 xp, 1 packed weights [nb][K][8], 2 bias [nb*8], 3 out, 4 taps (byte offsets),
 * 5 ntaps, 6 cin, 7 cout, 8 batch, 9 outH, 10 outW, 11 padded H, 12 padded W, 13 strideH,
 * 14 strideW, 15 relu, 16 scratch, 17 scratch bytes per thread, 18 counter, 19 floats per tap
 * segment (cin, or kw * cin when the taps of a filter row are merged: dilationW 1 makes them contiguous),
 * 20 address of one i32 flag per chunk of CONV_MC rows, set when the chunk is written (0: none),
 * 21 whether the calling thread (tid 0) returns after each chunk it computes (to copy finished
 * chunks out between them; it calls again until every chunk is claimed).
 */
export function conv2d_gemm(p: usize, tid: i32, nth: i32): void {
  const xp = pu(p, 0);
  const wpack = pu(p, 1);
  const bias = pu(p, 2);
  const out = pu(p, 3);
  const taps = pu(p, 4);
  const ntaps = pi(p, 5);
  const cin = pi(p, 6);
  const cout = pi(p, 7);
  const batch = pi(p, 8);
  const ho = pi(p, 9);
  const wo = pi(p, 10);
  const hp = pi(p, 11);
  const wp = pi(p, 12);
  const sh = pi(p, 13);
  const sw = pi(p, 14);
  const relu = pi(p, 15) != 0;
  const scratch = pu(p, 16) + <usize>tid * pu(p, 17);
  const counter = p + 18 * 4;
  const plane = ho * wo;
  const m = batch * plane;
  const kBytes = <usize>(ntaps * pi(p, 19)) << 5;
  const nb = (cout + 7) >> 3;
  const cinBytes = <usize>pi(p, 19) << 2;
  const pixStride = <usize>(sw * cin) << 2;
  const rowStride = <usize>(sh * wp * cin) << 2;
  const imgStride = <usize>(hp * wp * cin) << 2;
  const outPix = <usize>cout << 2;
  const kTotal = ntaps * pi(p, 19);
  const packA = kTotal <= PACK_K_MAX;
  // per-thread scratch: CONV_MC row pointers, then (packA) the [K][4] panel
  const panel = scratch + (<usize>CONV_MC << 2);
  const done = pu(p, 20);
  const mainSteps = tid == 0 && pi(p, 21) != 0;
  while (true) {
    const chunk = claim(counter);
    const start = chunk * CONV_MC;
    if (start >= m) break;
    const cnt = min(CONV_MC, m - start);
    let n = start / plane;
    const r = start - n * plane;
    let oy = r / wo;
    let ox = r - oy * wo;
    for (let i = 0; i < cnt; i++) {
      store<u32>(scratch + (<usize>i << 2), xp + <usize>n * imgStride + <usize>oy * rowStride + <usize>ox * pixStride);
      if (++ox == wo) {
        ox = 0;
        if (++oy == ho) {
          oy = 0;
          n++;
        }
      }
    }
    const cBase = out + <usize>start * outPix;
    const last = cnt - 1;
    if (packA) {
      for (let i = 0; i < cnt; i += MR) {
        const i1 = min(i + 1, last);
        const i2 = min(i + 2, last);
        const i3 = min(i + 3, last);
        // pack the 4 rows' K values interleaved: pa[k * 4 + r]
        const s0 = <usize>load<u32>(scratch + (<usize>i << 2));
        const s1 = <usize>load<u32>(scratch + (<usize>i1 << 2));
        const s2 = <usize>load<u32>(scratch + (<usize>i2 << 2));
        const s3 = <usize>load<u32>(scratch + (<usize>i3 << 2));
        let d = panel;
        for (let t = 0; t < ntaps; t++) {
          const off = <usize>load<u32>(taps + (<usize>t << 2));
          for (let c: usize = 0; c < cinBytes; c += 4) {
            const o = off + c;
            store<f32>(d, load<f32>(s0 + o));
            store<f32>(d, load<f32>(s1 + o), 4);
            store<f32>(d, load<f32>(s2 + o), 8);
            store<f32>(d, load<f32>(s3 + o), 12);
            d += 16;
          }
        }
        const c0 = cBase + <usize>i * outPix;
        const c1 = cBase + <usize>i1 * outPix;
        const c2 = cBase + <usize>i2 * outPix;
        const c3 = cBase + <usize>i3 * outPix;
        for (let b = 0; b < nb; b++) {
          const bo = <usize>b << 5;
          microkernel4x8Packed(panel, kTotal, wpack + <usize>b * kBytes, c0 + bo, c1 + bo, c2 + bo, c3 + bo, bias + bo, relu, min(8, cout - (b << 3)));
        }
      }
    } else {
      convChunkTaps(scratch, cnt, nb, wpack, kBytes, cout, bias, cBase, outPix, taps, ntaps, cinBytes, relu);
    }
    // a finished chunk is flagged for the calling thread, which copies it out while the rest runs
    if (done) atomic.store<i32>(done + (<usize>chunk << 2), 1);
    if (mainSteps) return;
  }
}

/** One chunk of `cnt` rows (pointers at `rows`) of the implicit GEMM with the tap-walking micro-kernel. */
@inline
function convChunkTaps(
  rows: usize,
  cnt: i32,
  nb: i32,
  wpack: usize,
  kBytes: usize,
  cout: i32,
  bias: usize,
  cBase: usize,
  outPix: usize,
  taps: usize,
  ntaps: i32,
  cinBytes: usize,
  relu: bool,
): void {
  const last = cnt - 1;
  for (let b = 0; b < nb; b++) {
    const w = wpack + <usize>b * kBytes;
    const nc = min(8, cout - (b << 3));
    const bb = bias + (<usize>b << 5);
    const cb = cBase + (<usize>b << 5);
    for (let i = 0; i < cnt; i += MR) {
      const i1 = min(i + 1, last);
      const i2 = min(i + 2, last);
      const i3 = min(i + 3, last);
      microkernel4x8(
        load<u32>(rows + (<usize>i << 2)),
        load<u32>(rows + (<usize>i1 << 2)),
        load<u32>(rows + (<usize>i2 << 2)),
        load<u32>(rows + (<usize>i3 << 2)),
        taps,
        ntaps,
        cinBytes,
        w,
        cb + <usize>i * outPix,
        cb + <usize>i1 * outPix,
        cb + <usize>i2 * outPix,
        cb + <usize>i3 * outPix,
        bb,
        relu,
        false,
        nc,
      );
    }
  }
}

const GEMM_MC: i32 = 32;

/**
 * C[m, n] (+)= A[m, k] . B[k, n] (+ bias, relu), B packed as [nb][k][8], rows of A `lda` bytes apart.
 * Params: 0 a, 1 lda (bytes), 2 bpack, 3 c, 4 ldc (bytes), 5 m, 6 k, 7 n, 8 bias, 9 relu,
 * 10 accumulate, 11 taps (one zero offset), 12 counter.
 */
export function gemm(p: usize, tid: i32, nth: i32): void {
  const a = pu(p, 0);
  const lda = pu(p, 1);
  const bpack = pu(p, 2);
  const c = pu(p, 3);
  const ldc = pu(p, 4);
  const m = pi(p, 5);
  const k = pi(p, 6);
  const n = pi(p, 7);
  const bias = pu(p, 8);
  const relu = pi(p, 9) != 0;
  const accumulate = pi(p, 10) != 0;
  const taps = pu(p, 11);
  const counter = p + 12 * 4;
  const nb = (n + 7) >> 3;
  const mb = (m + GEMM_MC - 1) / GEMM_MC;
  const kBytes = <usize>k << 5;
  const cinBytes = <usize>k << 2;
  const last = m - 1;
  while (true) {
    const task = claim(counter);
    if (task >= mb * nb) break;
    const b = task % nb;
    const start = (task / nb) * GEMM_MC;
    const end = min(m, start + GEMM_MC);
    const w = bpack + <usize>b * kBytes;
    const nc = min(8, n - (b << 3));
    const bb = bias + (<usize>b << 5);
    const cb = c + (<usize>b << 5);
    for (let i = start; i < end; i += MR) {
      const i1 = min(i + 1, last);
      const i2 = min(i + 2, last);
      const i3 = min(i + 3, last);
      microkernel4x8(
        a + <usize>i * lda,
        a + <usize>i1 * lda,
        a + <usize>i2 * lda,
        a + <usize>i3 * lda,
        taps,
        1,
        cinBytes,
        w,
        cb + <usize>i * ldc,
        cb + <usize>i1 * ldc,
        cb + <usize>i2 * ldc,
        cb + <usize>i3 * ldc,
        bb,
        relu,
        accumulate,
        nc,
      );
    }
  }
}
