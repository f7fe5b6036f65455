import { claim, pi, pu } from './common';

// Max and average pooling over NHWC input (not padded: padded cells never count).
// Params: 0 x, 1 out, 2 batch, 3 H, 4 W, 5 C, 6 outH, 7 outW, 8 kh, 9 kw, 10 strideH,
// 11 strideW, 12 padTop, 13 padLeft, 14 counter, 15 output rows per chunk (rows over the batch),
// 16 chunks whose input rows are in memory: the calling thread raises it while it copies the
// input in (and claims no chunk beyond it), 17 address of one u32 per chunk: where the chunk finds its input, as the address of
// the batch's first row (its rows are there; 0: the input is all at x), 18 address of one i32 flag
// per chunk, set when the chunk is written (0: none), 19 whether the calling thread (tid 0)
// returns after each chunk (to copy rows in or out between chunks; it calls again until every
// chunk is claimed). Work is claimed one chunk at a time.

/**
 * Spins of a thread waiting for a chunk's input before it sleeps between checks: few, as a worker
 * spinning beside the copying thread (on a sibling hyperthread, or for memory) slowed its copies
 * about twofold (2.3 against 1.15 ms for a 224×224×64 input).
 */
const ARRIVAL_SPINS = 1 << 6;
/** Nanoseconds a waiting thread sleeps before it checks again (the copying thread sends no wake-up). */
const ARRIVAL_NAP: i64 = 30_000;

/** Waits until the calling thread has copied in the input of chunk `chunk` (counted at `arrived`). */
@inline
function awaitInput(arrived: usize, chunk: i32): void {
  let spins = 0;
  let have = atomic.load<i32>(arrived);
  while (have <= chunk) {
    if (++spins > ARRIVAL_SPINS) memory.atomic.wait32(arrived, have, ARRIVAL_NAP);
    have = atomic.load<i32>(arrived);
  }
}

/**
 * Claims the next chunk if its input is in (counted at `arrived`), else returns -1: the calling
 * thread, which copies the input in, must never wait for it.
 */
@inline
function claimArrived(counter: usize, arrived: usize): i32 {
  while (true) {
    const chunk = atomic.load<i32>(counter);
    if (chunk >= atomic.load<i32>(arrived)) return -1;
    if (atomic.cmpxchg<i32>(counter, chunk, chunk + 1) == chunk) return chunk;
  }
}

@inline
function pool(p: usize, tid: i32, isMax: bool): void {
  const counter = p + 14 * 4;
  const rows = pi(p, 2) * pi(p, 6);
  const rowsPer = pi(p, 15);
  const arrived = p + 16 * 4;
  const bases = pu(p, 17);
  const done = pu(p, 18);
  const mainSteps = tid == 0 && pi(p, 19) != 0;
  while (true) {
    const chunk = mainSteps ? claimArrived(counter, arrived) : claim(counter);
    const first = chunk * rowsPer;
    if (chunk < 0 || first >= rows) break;
    const end = min(rows, first + rowsPer);
    let x = pu(p, 0);
    if (bases) {
      awaitInput(arrived, chunk);
      x = <usize>load<u32>(bases + (<usize>chunk << 2));
    }
    for (let r = first; r < end; r++) poolRow(p, x, r, isMax);
    if (done) atomic.store<i32>(done + (<usize>chunk << 2), 1);
    if (mainSteps) return;
  }
}

/**
 * The lane-wise maximum of four vectors, NaN if any of them is. f32x4.max gives that, but costs
 * about eight x86 instructions where pmax (`a < b ? b : a`, NaN only from `a`) is one maxps:
 * three pmax and a NaN mask (all bits set, a NaN) take half the time. Of equal values (-0 and
 * +0) the first in row-major order wins, as in TensorFlow's CPU kernel and tfjs-cpu's
 * `pixel > max` scan (f32x4.max would give +0). Every max pooling path here keeps that rule.
 */
@inline
function max4(a: v128, b: v128, c: v128, d: v128): v128 {
  const m = f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(c, d));
  const nan = v128.or(v128.or(f32x4.ne(a, a), f32x4.ne(b, b)), v128.or(f32x4.ne(c, c), f32x4.ne(d, d)));
  return v128.or(m, nan);
}

/**
 * The first cell equal to zero (-0 or +0) of a `rows × cols` window at `at`, in row-major order:
 * the maximum of a window whose cells are all ≤ 0 with a zero among them. Rarely more than one read.
 */
function firstZero(at: usize, rows: i32, cols: i32, rowBytes: usize, pixBytes: usize): f32 {
  for (let iy = 0; iy < rows; iy++) {
    let q = at + <usize>iy * rowBytes;
    for (let ix = 0; ix < cols; ix++) {
      const v = load<f32>(q);
      if (v == 0) return v;
      q += pixBytes;
    }
  }
  return 0;
}

/** Output row `r` (over the batch) of the pooling at `p`, from the input at `x`. */
@inline
function poolRow(p: usize, x: usize, r: i32, isMax: bool): void {
  const out = pu(p, 1);
  const h = pi(p, 3);
  const w = pi(p, 4);
  const c = pi(p, 5);
  const ho = pi(p, 6);
  const wo = pi(p, 7);
  const kh = pi(p, 8);
  const kw = pi(p, 9);
  const sh = pi(p, 10);
  const sw = pi(p, 11);
  const pt = pi(p, 12);
  const pl = pi(p, 13);
  const pixBytes = <usize>c << 2;
  const c4 = c & ~3;
  const init: f32 = isMax ? -Infinity : 0;
  const n = r / ho;
  const oy = r - n * ho;
  const y0 = oy * sh - pt;
  const ys = max(0, y0);
  const ye = min(h, y0 + kh);
  let dst = out + <usize>r * <usize>wo * pixBytes;
  let ox = 0;
  if (isMax && c == 1 && kw == 2 && sw == 2 && pl == 0 && ye - ys == 2) {
    // one channel, 2 x 2 windows with stride 2 (a gray image's condense step): four windows at a
    // time from eight columns of two rows, instead of one scalar window at a time
    const whole = min(wo, w >> 1) & ~3;
    const top = x + (<usize>((n * h + ys) * w)) * 4;
    const bottom = top + (<usize>w << 2);
    for (; ox < whole; ox += 4) {
      const q = <usize>ox << 3;
      const topLeft = v128.load(top + q);
      const topRight = v128.load(top + q + 16);
      const bottomLeft = v128.load(bottom + q);
      const bottomRight = v128.load(bottom + q + 16);
      // each window's four cells in row-major order, one vector per cell position
      const topEven = v128.shuffle<f32>(topLeft, topRight, 0, 2, 4, 6);
      const topOdd = v128.shuffle<f32>(topLeft, topRight, 1, 3, 5, 7);
      const bottomEven = v128.shuffle<f32>(bottomLeft, bottomRight, 0, 2, 4, 6);
      const bottomOdd = v128.shuffle<f32>(bottomLeft, bottomRight, 1, 3, 5, 7);
      v128.store(dst, max4(topEven, topOdd, bottomEven, bottomOdd));
      dst += 16;
    }
  }
  for (; ox < wo; ox++) {
    const x0 = ox * sw - pl;
    const xs = max(0, x0);
    const xe = min(w, x0 + kw);
    const count = (ye - ys) * (xe - xs);
    const base = x + (<usize>((n * h + ys) * w + xs)) * pixBytes;
    const rowBytes = <usize>w * pixBytes;
    let ch = 0;
    if (isMax && ye - ys == 2 && xe - xs == 2) {
      // the common 2 x 2 window, whole: four loads and three maxima
      for (; ch < c4; ch += 4) {
        const q = base + (<usize>ch << 2);
        v128.store(dst + (<usize>ch << 2), max4(v128.load(q), v128.load(q + pixBytes), v128.load(q + rowBytes), v128.load(q + rowBytes + pixBytes)));
      }
    }
    for (; ch < c4; ch += 4) {
      let acc = f32x4.splat(init);
      let nan = v128.splat<i32>(0);
      let row = base + (<usize>ch << 2);
      for (let iy = ys; iy < ye; iy++) {
        let q = row;
        for (let ix = xs; ix < xe; ix++) {
          const v = v128.load(q);
          if (isMax) {
            acc = f32x4.pmax(acc, v);
            nan = v128.or(nan, f32x4.ne(v, v));
          } else acc = f32x4.add(acc, v);
          q += pixBytes;
        }
        row += rowBytes;
      }
      if (isMax) acc = v128.or(acc, nan);
      // a division, not a product with 1 / count, which can differ in the last bit (TensorFlow divides)
      else acc = count > 0 ? f32x4.div(acc, f32x4.splat(<f32>count)) : f32x4.splat(0);
      v128.store(dst + (<usize>ch << 2), acc);
    }
    for (; ch < c; ch++) {
      let acc = init;
      let row = base + (<usize>ch << 2);
      for (let iy = ys; iy < ye; iy++) {
        let q = row;
        for (let ix = xs; ix < xe; ix++) {
          acc = isMax ? max(acc, load<f32>(q)) : acc + load<f32>(q);
          q += pixBytes;
        }
        row += rowBytes;
      }
      // f32.max gives +0 for -0 and +0: a zero maximum takes the sign of the window's first zero, as max4 keeps it
      if (isMax && acc == 0) acc = firstZero(base + (<usize>ch << 2), ye - ys, xe - xs, rowBytes, pixBytes);
      if (!isMax) acc = count > 0 ? acc / <f32>count : 0;
      store<f32>(dst + (<usize>ch << 2), acc);
    }
    dst += pixBytes;
  }
}

export function max_pool(p: usize, tid: i32, nth: i32): void {
  pool(p, tid, true);
}

export function avg_pool(p: usize, tid: i32, nth: i32): void {
  pool(p, tid, false);
}

/**
 * Gradients of pooling. Windows may overlap, so threads split the work by image (each image's
 * input gradient is written by one thread); the caller zeroes dx.
 * Params: as pooling, with 0 = dy, 1 = dx, 15 = x (max only).
 */
@inline
function poolBackprop(p: usize, isMax: bool): void {
  const dy = pu(p, 0);
  const dx = pu(p, 1);
  const batch = pi(p, 2);
  const h = pi(p, 3);
  const w = pi(p, 4);
  const c = pi(p, 5);
  const ho = pi(p, 6);
  const wo = pi(p, 7);
  const kh = pi(p, 8);
  const kw = pi(p, 9);
  const sh = pi(p, 10);
  const sw = pi(p, 11);
  const pt = pi(p, 12);
  const pl = pi(p, 13);
  const counter = p + 14 * 4;
  const x = pu(p, 15);
  const pixBytes = <usize>c << 2;
  while (true) {
    const n = claim(counter);
    if (n >= batch) break;
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - pt;
      const ys = max(0, y0);
      const ye = min(h, y0 + kh);
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pl;
        const xs = max(0, x0);
        const xe = min(w, x0 + kw);
        const count = (ye - ys) * (xe - xs);
        if (count <= 0) continue;
        const g = dy + <usize>((n * ho + oy) * wo + ox) * pixBytes;
        for (let ch = 0; ch < c; ch++) {
          const gv = load<f32>(g + (<usize>ch << 2));
          if (isMax) {
            let best: f32 = -Infinity;
            let at: usize = 0;
            let found = false;
            for (let iy = ys; iy < ye; iy++) {
              for (let ix = xs; ix < xe; ix++) {
                const o = <usize>((n * h + iy) * w + ix) * pixBytes + (<usize>ch << 2);
                const v = load<f32>(x + o);
                if (!found || v > best) {
                  best = v;
                  at = o;
                  found = true;
                }
              }
            }
            store<f32>(dx + at, load<f32>(dx + at) + gv);
          } else {
            const share = gv / <f32>count;
            for (let iy = ys; iy < ye; iy++) {
              for (let ix = xs; ix < xe; ix++) {
                const o = dx + <usize>((n * h + iy) * w + ix) * pixBytes + (<usize>ch << 2);
                store<f32>(o, load<f32>(o) + share);
              }
            }
          }
        }
      }
    }
  }
}

export function max_pool_backprop(p: usize, tid: i32, nth: i32): void {
  poolBackprop(p, true);
}

export function avg_pool_backprop(p: usize, tid: i32, nth: i32): void {
  poolBackprop(p, false);
}

/**
 * Gradient of max pooling written over all of dx (no zero-fill needed): each window's gradient
 * goes to its first maximum (row-major order, as TensorFlow's CPU MaxPoolGrad); with `relu`, only
 * where that maximum is > 0 (the gradient also passes through the ReLU that produced x). When
 * windows do not overlap (stride >= window), threads claim output rows and own the band of input
 * rows under each (zeroed unless the windows tile the input exactly) and the window cells are
 * stored; otherwise threads claim whole images, zero them and add.
 * Params: 0 x, 1 dy, 2 dx, 3 batch, 4 H, 5 W, 6 C, 7 outH, 8 outW, 9 kh, 10 kw, 11 strideH,
 * 12 strideW, 13 padTop, 14 padLeft, 15 relu, 16 counter.
 */
export function max_pool_grad(p: usize, tid: i32, nth: i32): void {
  const x = pu(p, 0);
  const dy = pu(p, 1);
  const dx = pu(p, 2);
  const batch = pi(p, 3);
  const h = pi(p, 4);
  const w = pi(p, 5);
  const c = pi(p, 6);
  const ho = pi(p, 7);
  const wo = pi(p, 8);
  const kh = pi(p, 9);
  const kw = pi(p, 10);
  const sh = pi(p, 11);
  const sw = pi(p, 12);
  const pt = pi(p, 13);
  const pl = pi(p, 14);
  const relu = pi(p, 15) != 0;
  const counter = p + 16 * 4;
  const disjoint = sh >= kh && sw >= kw;
  const tiled = disjoint && sh == kh && sw == kw && pt == 0 && pl == 0 && ho * sh == h && wo * sw == w;
  const units = disjoint ? batch * ho : batch;
  const pixBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixBytes;
  const c4 = c & ~3;
  const z = f32x4.splat(0);
  while (true) {
    const u = claim(counter);
    if (u >= units) break;
    let n = u;
    let oy0 = 0;
    let oy1 = ho;
    let ys = 0;
    let ye = h;
    if (disjoint) {
      n = u / ho;
      oy0 = u - n * ho;
      oy1 = oy0 + 1;
      ys = max(0, oy0 * sh - pt);
      ye = oy0 == ho - 1 ? h : min(h, (oy0 + 1) * sh - pt);
    }
    const image = <usize>(n * h) * rowBytes;
    if (!tiled && ye > ys) memory.fill(dx + image + <usize>ys * rowBytes, 0, <usize>(ye - ys) * rowBytes);
    for (let oy = oy0; oy < oy1; oy++) {
      const wy = oy * sh - pt;
      const ry0 = max(0, wy);
      const ry1 = min(h, wy + kh);
      if (ry1 <= ry0) continue;
      for (let ox = 0; ox < wo; ox++) {
        const wx = ox * sw - pl;
        const rx0 = max(0, wx);
        const rx1 = min(w, wx + kw);
        if (rx1 <= rx0) continue;
        const g = dy + <usize>((n * ho + oy) * wo + ox) * pixBytes;
        const offset = image + <usize>ry0 * rowBytes + <usize>rx0 * pixBytes;
        let ch = 0;
        if (disjoint && ry1 - ry0 == 2 && rx1 - rx0 == 2) {
          // the common whole 2 x 2 window: the first maximum in row-major order gets the gradient
          for (; ch < c4; ch += 4) {
            const o = offset + (<usize>ch << 2);
            const v0 = v128.load(x + o);
            const v1 = v128.load(x + o + pixBytes);
            const v2 = v128.load(x + o + rowBytes);
            const v3 = v128.load(x + o + rowBytes + pixBytes);
            // m_j: cell j beats the best of the cells before it
            const m1 = f32x4.gt(v1, v0);
            let best = v128.bitselect(v1, v0, m1);
            const m2 = f32x4.gt(v2, best);
            best = v128.bitselect(v2, best, m2);
            const m3 = f32x4.gt(v3, best);
            best = v128.bitselect(v3, best, m3);
            let gv = v128.load(g + (<usize>ch << 2));
            if (relu) gv = v128.and(gv, f32x4.gt(best, z));
            // cell j is the argmax when it beat its predecessors and no later cell beat it
            const after3 = m3;
            const after2 = v128.or(m3, m2);
            const after1 = v128.or(after2, m1);
            v128.store(dx + o, v128.andnot(gv, after1));
            v128.store(dx + o + pixBytes, v128.andnot(v128.and(gv, m1), after2));
            v128.store(dx + o + rowBytes, v128.andnot(v128.and(gv, m2), after3));
            v128.store(dx + o + rowBytes + pixBytes, v128.and(gv, m3));
          }
        }
        for (; ch < c4; ch += 4) {
          const o = offset + (<usize>ch << 2);
          let best = v128.load(x + o);
          let idx = i32x4.splat(0);
          let j = 0;
          for (let iy = ry0; iy < ry1; iy++) {
            let q = x + o + <usize>(iy - ry0) * rowBytes;
            for (let ix = rx0; ix < rx1; ix++) {
              if (j > 0) {
                const v = v128.load(q);
                const m = f32x4.gt(v, best);
                best = v128.bitselect(v, best, m);
                idx = v128.bitselect(i32x4.splat(j), idx, m);
              }
              j++;
              q += pixBytes;
            }
          }
          let gv = v128.load(g + (<usize>ch << 2));
          if (relu) gv = v128.and(gv, f32x4.gt(best, z));
          j = 0;
          for (let iy = ry0; iy < ry1; iy++) {
            let d = dx + o + <usize>(iy - ry0) * rowBytes;
            for (let ix = rx0; ix < rx1; ix++) {
              const val = v128.and(gv, i32x4.eq(idx, i32x4.splat(j)));
              if (disjoint) v128.store(d, val);
              else v128.store(d, f32x4.add(v128.load(d), val));
              j++;
              d += pixBytes;
            }
          }
        }
        for (; ch < c; ch++) {
          const o = offset + (<usize>ch << 2);
          let best = load<f32>(x + o);
          let at: usize = o;
          for (let iy = ry0; iy < ry1; iy++) {
            let q = o + <usize>(iy - ry0) * rowBytes;
            for (let ix = rx0; ix < rx1; ix++) {
              const v = load<f32>(x + q);
              if (v > best) {
                best = v;
                at = q;
              }
              q += pixBytes;
            }
          }
          let gv = load<f32>(g + (<usize>ch << 2));
          if (relu && !(best > 0)) gv = 0;
          for (let iy = ry0; iy < ry1; iy++) {
            let q = o + <usize>(iy - ry0) * rowBytes;
            for (let ix = rx0; ix < rx1; ix++) {
              const val: f32 = q == at ? gv : 0;
              if (disjoint) store<f32>(dx + q, val);
              else store<f32>(dx + q, load<f32>(dx + q) + val);
              q += pixBytes;
            }
          }
        }
      }
    }
  }
}
