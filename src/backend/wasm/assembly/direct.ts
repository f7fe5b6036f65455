import { claim, madd, pf, pi, pu, store8 } from './common';

const ROWS_PER_CHUNK: i32 = 4;

/**
 * Direct convolution for one input and one output channel (the lesson's single-kernel
 * filtering), vectorised along the output row: 16 output pixels per step in 4 accumulators.
 * The input is zero-padded, stride along the width is 1.
 * Params: 0 xp, 1 w [kh*kw], 2 bias (f32), 3 out, 4 batch, 5 outH, 6 outW, 7 padded H,
 * 8 padded W, 9 kh, 10 kw, 11 strideH, 12 dilationH, 13 dilationW, 14 relu, 15 counter.
 */
export function conv2d_direct1(p: usize, tid: i32, nth: i32): void {
  const xp = pu(p, 0);
  const wt = pu(p, 1);
  const bias = pf(p, 2);
  const out = pu(p, 3);
  const batch = pi(p, 4);
  const ho = pi(p, 5);
  const wo = pi(p, 6);
  const hp = pi(p, 7);
  const wp = pi(p, 8);
  const kh = pi(p, 9);
  const kw = pi(p, 10);
  const sh = pi(p, 11);
  const dh = pi(p, 12);
  const dw = pi(p, 13);
  const relu = pi(p, 14) != 0;
  const counter = p + 15 * 4;
  const rows = batch * ho;
  const bv = f32x4.splat(bias);
  const z = f32x4.splat(0);
  const rowBytes = <usize>wp << 2;
  const dhBytes = <usize>(dh * wp) << 2;
  const dwBytes = <usize>dw << 2;
  while (true) {
    const r0 = claim(counter) * ROWS_PER_CHUNK;
    if (r0 >= rows) break;
    const r1 = min(rows, r0 + ROWS_PER_CHUNK);
    for (let r = r0; r < r1; r++) {
      const n = r / ho;
      const oy = r - n * ho;
      const src = xp + <usize>(n * hp + oy * sh) * rowBytes;
      const dst = out + (<usize>(r * wo) << 2);
      let ox = 0;
      for (; ox + 16 <= wo; ox += 16) {
        let a0 = bv;
        let a1 = bv;
        let a2 = bv;
        let a3 = bv;
        let wk = wt;
        let row = src + (<usize>ox << 2);
        for (let ky = 0; ky < kh; ky++) {
          let q = row;
          for (let kx = 0; kx < kw; kx++) {
            const wv = v128.load32_splat(wk);
            a0 = madd(v128.load(q), wv, a0);
            a1 = madd(v128.load(q, 16), wv, a1);
            a2 = madd(v128.load(q, 32), wv, a2);
            a3 = madd(v128.load(q, 48), wv, a3);
            q += dwBytes;
            wk += 4;
          }
          row += dhBytes;
        }
        if (relu) {
          a0 = f32x4.pmax(a0, z);
          a1 = f32x4.pmax(a1, z);
          a2 = f32x4.pmax(a2, z);
          a3 = f32x4.pmax(a3, z);
        }
        const d = dst + (<usize>ox << 2);
        v128.store(d, a0);
        v128.store(d, a1, 16);
        v128.store(d, a2, 32);
        v128.store(d, a3, 48);
      }
      for (; ox + 4 <= wo; ox += 4) {
        let a0 = bv;
        let wk = wt;
        let row = src + (<usize>ox << 2);
        for (let ky = 0; ky < kh; ky++) {
          let q = row;
          for (let kx = 0; kx < kw; kx++) {
            a0 = madd(v128.load(q), v128.load32_splat(wk), a0);
            q += dwBytes;
            wk += 4;
          }
          row += dhBytes;
        }
        if (relu) a0 = f32x4.pmax(a0, z);
        v128.store(dst + (<usize>ox << 2), a0);
      }
      for (; ox < wo; ox++) {
        let acc = bias;
        let wk = wt;
        let row = src + (<usize>ox << 2);
        for (let ky = 0; ky < kh; ky++) {
          let q = row;
          for (let kx = 0; kx < kw; kx++) {
            acc += load<f32>(q) * load<f32>(wk);
            q += dwBytes;
            wk += 4;
          }
          row += dhBytes;
        }
        if (relu) acc = max(acc, 0);
        store<f32>(dst + (<usize>ox << 2), acc);
      }
    }
  }
}

/**
 * Direct convolution for one input channel and many output channels (a first layer on gray
 * images): 2 output pixels x 16 output channels in 8 accumulators, each tap one broadcast input
 * value per pixel against 16 packed weights; no packing of the input. Input zero-padded.
 * Params: 0 xp, 1 weights packed [cout/16 blocks][kh*kw][16] (zero-padded), 2 bias [blocks*16],
 * 3 out, 4 batch, 5 outH, 6 outW, 7 padded H, 8 padded W, 9 kh, 10 kw, 11 strideH, 12 strideW,
 * 13 dilationH, 14 dilationW, 15 cout, 16 relu, 17 counter.
 */
export function conv2d_cin1(p: usize, tid: i32, nth: i32): void {
  const xp = pu(p, 0);
  const wpack = pu(p, 1);
  const bias = pu(p, 2);
  const out = pu(p, 3);
  const batch = pi(p, 4);
  const ho = pi(p, 5);
  const wo = pi(p, 6);
  const hp = pi(p, 7);
  const wp = pi(p, 8);
  const kh = pi(p, 9);
  const kw = pi(p, 10);
  const sh = pi(p, 11);
  const sw = pi(p, 12);
  const dh = pi(p, 13);
  const dw = pi(p, 14);
  const cout = pi(p, 15);
  const relu = pi(p, 16) != 0;
  const counter = p + 17 * 4;
  const rows = batch * ho;
  const nb = (cout + 15) >> 4;
  const rowBytes = <usize>wp << 2;
  const dhBytes = <usize>(dh * wp) << 2;
  const dwBytes = <usize>dw << 2;
  const swBytes = <usize>sw << 2;
  const outPix = <usize>cout << 2;
  const blockBytes = <usize>(kh * kw) << 6;
  const z = f32x4.splat(0);
  while (true) {
    const r0 = claim(counter) * ROWS_PER_CHUNK;
    if (r0 >= rows) break;
    const r1 = min(rows, r0 + ROWS_PER_CHUNK);
    for (let r = r0; r < r1; r++) {
      const n = r / ho;
      const oy = r - n * ho;
      const src = xp + <usize>(n * hp + oy * sh) * rowBytes;
      const dst = out + <usize>(r * wo) * outPix;
      for (let b = 0; b < nb; b++) {
        const wb = wpack + <usize>b * blockBytes;
        const bb = bias + (<usize>b << 6);
        const nc = min(16, cout - (b << 4));
        for (let ox = 0; ox < wo; ox += 2) {
          const two = ox + 1 < wo;
          const p0 = src + <usize>ox * swBytes;
          const p1 = two ? p0 + swBytes : p0;
          let a0 = v128.load(bb);
          let a1 = v128.load(bb, 16);
          let a2 = v128.load(bb, 32);
          let a3 = v128.load(bb, 48);
          let c0 = a0;
          let c1 = a1;
          let c2 = a2;
          let c3 = a3;
          let w = wb;
          let row0 = p0;
          let row1 = p1;
          for (let ky = 0; ky < kh; ky++) {
            let q0 = row0;
            let q1 = row1;
            for (let kx = 0; kx < kw; kx++) {
              const u = v128.load32_splat(q0);
              const v = v128.load32_splat(q1);
              const w0 = v128.load(w);
              const w1 = v128.load(w, 16);
              const w2 = v128.load(w, 32);
              const w3 = v128.load(w, 48);
              a0 = madd(u, w0, a0);
              a1 = madd(u, w1, a1);
              a2 = madd(u, w2, a2);
              a3 = madd(u, w3, a3);
              c0 = madd(v, w0, c0);
              c1 = madd(v, w1, c1);
              c2 = madd(v, w2, c2);
              c3 = madd(v, w3, c3);
              q0 += dwBytes;
              q1 += dwBytes;
              w += 64;
            }
            row0 += dhBytes;
            row1 += dhBytes;
          }
          if (relu) {
            a0 = f32x4.pmax(a0, z);
            a1 = f32x4.pmax(a1, z);
            a2 = f32x4.pmax(a2, z);
            a3 = f32x4.pmax(a3, z);
            c0 = f32x4.pmax(c0, z);
            c1 = f32x4.pmax(c1, z);
            c2 = f32x4.pmax(c2, z);
            c3 = f32x4.pmax(c3, z);
          }
          const d0 = dst + <usize>ox * outPix + (<usize>b << 6);
          store16(d0, a0, a1, a2, a3, nc);
          if (two) store16(d0 + outPix, c0, c1, c2, c3, nc);
        }
      }
    }
  }
}

/** Stores the first `nc` (1..16) lanes of v0..v3 at `c`. */
@inline
function store16(c: usize, v0: v128, v1: v128, v2: v128, v3: v128, nc: i32): void {
  if (nc >= 8) {
    v128.store(c, v0);
    v128.store(c, v1, 16);
    store8(c + 32, v2, v3, nc - 8);
  } else {
    store8(c, v0, v1, nc);
  }
}
