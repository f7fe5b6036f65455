import { claim, madd, pf, pi, pu } from './common';

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
          a0 = f32x4.max(a0, z);
          a1 = f32x4.max(a1, z);
          a2 = f32x4.max(a2, z);
          a3 = f32x4.max(a3, z);
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
        if (relu) a0 = f32x4.max(a0, z);
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
