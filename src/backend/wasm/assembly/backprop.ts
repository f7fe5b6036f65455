import { claim, madd, pi, pu, store8 } from './common';

/**
 * Filter gradient of an NHWC convolution over a zero-padded input:
 *   dw[t, k, co] = sum over (n, oy, ox) of xp[pixel (n, oy, ox) + tap t][k] * dy[n, oy, ox, co],
 * where a tap is a filter row (taps merged, `seg` = kw * cin contiguous floats) or a single filter
 * cell (`seg` = cin); optionally also the bias gradient db[co] = sum of dy[.., co].
 * The output rows are cut into chunks (enough pixels to amortise a task's set-up, few enough to
 * stay in L1) and the chunks into `groups` runs of consecutive chunks; threads claim groups, and
 * each group has its own partial dw (and db), zeroed and filled in a fixed order by whichever
 * thread claims it, which the caller sums in group order: the result does not depend on the
 * number of threads or on which thread took what (a seeded training run is reproducible).
 * For each chunk every task (tap, 4 consecutive k, 8 output channels) runs 4 x 8 accumulators
 * over the chunk's pixels and adds them into the group's partial; sum_partials then adds the
 * groups' partials up.
 * Params: 0 xp, 1 dy, 2 partials, 3 taps (byte offsets), 4 ntaps (0: the bias gradient alone),
 * 5 cin, 6 cout, 7 batch, 8 outH, 9 outW, 10 padded H, 11 padded W, 12 strideH, 13 strideW,
 * 14 counter, 15 seg, 16 bytes per partial, 17 rows per chunk, 18 bias partials (0: none),
 * 19 bytes per bias partial, 20 groups, 21 scratch (per thread: one u32 per pixel of a chunk), 22 scratch bytes per thread.
 * Reads up to 3 floats past a segment and 7 past a dy pixel: the caller leaves slack.
 */
export function conv2d_backprop_filter(p: usize, tid: i32, nth: i32): void {
  const xp = pu(p, 0);
  const dy = pu(p, 1);
  const partials = pu(p, 2);
  const partialBytes = pu(p, 16);
  const taps = pu(p, 3);
  const ntaps = pi(p, 4);
  const cin = pi(p, 5);
  const cout = pi(p, 6);
  const batch = pi(p, 7);
  const ho = pi(p, 8);
  const wo = pi(p, 9);
  const hp = pi(p, 10);
  const wp = pi(p, 11);
  const sh = pi(p, 12);
  const sw = pi(p, 13);
  const counter = p + 14 * 4;
  const seg = pi(p, 15);
  const rowsPer = max(1, pi(p, 17));
  const biasOut = pu(p, 18);
  const biasBytes = pu(p, 19);
  const groups = pi(p, 20);
  // the x address of each pixel of a chunk: a task's loop then runs over all of them without
  // stopping at the end of each row (at MNIST's rows of 14 pixels that cost a fifth of the time)
  const pixelList = pu(p, 21) + <usize>tid * pu(p, 22);
  const kb = (seg + 3) >> 2;
  const nb = (cout + 7) >> 3;
  const pixStride = <usize>(sw * cin) << 2;
  const rowStride = <usize>(sh * wp * cin) << 2;
  const imgStride = <usize>(hp * wp * cin) << 2;
  const dyPix = <usize>cout << 2;
  const rowBytes = <usize>cout << 2;
  const rows = batch * ho;
  const chunks = (rows + rowsPer - 1) / rowsPer;
  while (true) {
    const group = claim(counter);
    if (group >= groups) break;
    const dw = partials + <usize>group * partialBytes;
    const db = biasOut + <usize>group * biasBytes;
    memory.fill(dw, 0, partialBytes);
    if (biasOut != 0) memory.fill(db, 0, biasBytes);
    const chunkEnd = <i32>((<i64>(group + 1) * <i64>chunks) / <i64>groups);
    for (let chunk = <i32>((<i64>group * <i64>chunks) / <i64>groups); chunk < chunkEnd; chunk++) {
      const r0 = chunk * rowsPer;
      const r1 = min(rows, r0 + rowsPer);
      const n0 = r0 / ho;
      const oy0 = r0 - n0 * ho;
      const gChunk = dy + <usize>(r0 * wo) * dyPix;
      let n = n0;
      let oy = oy0;
      let slot = pixelList;
      for (let r = r0; r < r1; r++) {
        let a = xp + <usize>n * imgStride + <usize>oy * rowStride;
        for (let ox = 0; ox < wo; ox++) {
          store<u32>(slot, a);
          slot += 4;
          a += pixStride;
        }
        if (++oy == ho) {
          oy = 0;
          n++;
        }
      }
      const pixelsEnd = slot;
      for (let t = 0; t < ntaps; t++) {
        const tapOff = <usize>load<u32>(taps + (<usize>t << 2));
        for (let q = 0; q < kb; q++) {
          const k = q << 2;
          const krows = min(4, seg - k);
          const d = dw + (<usize>((t * seg + k) * cout) << 2);
          const kOff = tapOff + (<usize>k << 2);
          for (let b = 0; b < nb; b++) {
            let x00 = f32x4.splat(0);
            let x01 = x00;
            let x10 = x00;
            let x11 = x00;
            let x20 = x00;
            let x21 = x00;
            let x30 = x00;
            let x31 = x00;
            let g = gChunk + (<usize>b << 5);
            for (let s = pixelList; s < pixelsEnd; s += 4) {
              const a = <usize>load<u32>(s) + kOff;
              const g0 = v128.load(g);
              const g1 = v128.load(g, 16);
              let v = v128.load32_splat(a);
              x00 = madd(v, g0, x00);
              x01 = madd(v, g1, x01);
              v = v128.load32_splat(a, 4);
              x10 = madd(v, g0, x10);
              x11 = madd(v, g1, x11);
              v = v128.load32_splat(a, 8);
              x20 = madd(v, g0, x20);
              x21 = madd(v, g1, x21);
              v = v128.load32_splat(a, 12);
              x30 = madd(v, g0, x30);
              x31 = madd(v, g1, x31);
              g += dyPix;
            }
            const nc = min(8, cout - (b << 3));
            const c = d + (<usize>b << 5);
            add8(c, x00, x01, nc);
            if (krows > 1) add8(c + rowBytes, x10, x11, nc);
            if (krows > 2) add8(c + 2 * rowBytes, x20, x21, nc);
            if (krows > 3) add8(c + 3 * rowBytes, x30, x31, nc);
          }
        }
      }
      if (biasOut != 0) {
        const pixels = (r1 - r0) * wo;
        for (let b = 0; b < nb; b++) {
          let s0 = f32x4.splat(0);
          let s1 = s0;
          let g = gChunk + (<usize>b << 5);
          for (let i = 0; i < pixels; i++) {
            s0 = f32x4.add(s0, v128.load(g));
            s1 = f32x4.add(s1, v128.load(g, 16));
            g += dyPix;
          }
          add8(db + (<usize>b << 5), s0, s1, min(8, cout - (b << 3)));
        }
      }
    }
  }
}

/** c[0..nc) += v0:v1 (the partial rows are padded to whole vectors, so full loads are safe). */
@inline
function add8(c: usize, v0: v128, v1: v128, nc: i32): void {
  store8(c, f32x4.add(v128.load(c), v0), f32x4.add(v128.load(c, 16), v1), nc);
}

/**
 * The partial sums of conv2d_backprop_filter's groups added into the first, in group order (the
 * same sums on any number of threads). Params: 0 first partial, 1 bytes from one partial to the
 * next, 2 partials, 3 floats to sum (a multiple of 4: the partials are padded to whole vectors).
 */
export function sum_partials(p: usize, tid: i32, nth: i32): void {
  const first = pu(p, 0);
  const stride = pu(p, 1);
  const count = pi(p, 2);
  const end = first + (<usize>pi(p, 3) << 2);
  for (let t = 1; t < count; t++) {
    const from = first + <usize>t * stride;
    for (let a = first; a < end; a += 16) v128.store(a, f32x4.add(v128.load(a), v128.load(from + (a - first))));
  }
}
