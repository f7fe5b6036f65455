import { claim, pi, pu } from './common';

const CHUNK: i32 = 16384;

// Unary ops. Params: 0 op, 1 x, 2 out, 3 n, 4 counter.
// op: 0 relu, 1 neg, 2 abs, 3 sqrt, 4 square.
export function unary_f32(p: usize, tid: i32, nth: i32): void {
  const op = pi(p, 0);
  const x = pu(p, 1);
  const out = pu(p, 2);
  const n = pi(p, 3);
  const counter = p + 4 * 4;
  const z = f32x4.splat(0);
  while (true) {
    const start = claim(counter) * CHUNK;
    if (start >= n) break;
    const end = min(n, start + CHUNK);
    let i = start;
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      let r: v128;
      if (op == 0) r = f32x4.max(v, z);
      else if (op == 1) r = f32x4.neg(v);
      else if (op == 2) r = f32x4.abs(v);
      else if (op == 3) r = f32x4.sqrt(v);
      else r = f32x4.mul(v, v);
      v128.store(out + o, r);
    }
    for (; i < end; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(x + o);
      let r: f32;
      if (op == 0) r = v < 0 ? 0 : v;
      else if (op == 1) r = -v;
      else if (op == 2) r = abs(v);
      else if (op == 3) r = sqrt(v);
      else r = v * v;
      store<f32>(out + o, r);
    }
  }
}

@inline
function apply4(op: i32, a: v128, b: v128): v128 {
  if (op == 0) return f32x4.add(a, b);
  if (op == 1) return f32x4.sub(a, b);
  if (op == 2) return f32x4.mul(a, b);
  if (op == 3) return f32x4.div(a, b);
  if (op == 4) return f32x4.max(a, b);
  if (op == 6) return v128.and(a, f32x4.gt(b, f32x4.splat(0)));
  return f32x4.min(a, b);
}

@inline
function apply1(op: i32, a: f32, b: f32): f32 {
  if (op == 0) return a + b;
  if (op == 1) return a - b;
  if (op == 2) return a * b;
  if (op == 3) return a / b;
  if (op == 4) return max(a, b);
  if (op == 6) return b > 0 ? a : 0;
  return min(a, b);
}

// Binary ops where `b` repeats with period `bn` (bn == n: same shape; bn == 1: scalar; else a
// trailing-axes broadcast such as a bias row, bn a multiple of 4 for the vector path) and `a`
// has n elements; `swap` computes op(b, a) instead.
// Params: 0 op, 1 a, 2 b, 3 out, 4 n, 5 bn, 6 swap, 7 counter.
// op: 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum, 6 relu gradient (a where b > 0, else 0).
export function binary_f32(p: usize, tid: i32, nth: i32): void {
  const op = pi(p, 0);
  const a = pu(p, 1);
  const b = pu(p, 2);
  const out = pu(p, 3);
  const n = pi(p, 4);
  const bn = pi(p, 5);
  const swap = pi(p, 6) != 0;
  const counter = p + 7 * 4;
  while (true) {
    const start = claim(counter) * CHUNK;
    if (start >= n) break;
    const end = min(n, start + CHUNK);
    let i = start;
    if (bn == 1) {
      const bs = load<f32>(b);
      const bv = f32x4.splat(bs);
      for (; i + 4 <= end; i += 4) {
        const o = <usize>i << 2;
        const av = v128.load(a + o);
        v128.store(out + o, swap ? apply4(op, bv, av) : apply4(op, av, bv));
      }
      for (; i < end; i++) {
        const o = <usize>i << 2;
        const av = load<f32>(a + o);
        store<f32>(out + o, swap ? apply1(op, bs, av) : apply1(op, av, bs));
      }
    } else if (bn == n) {
      for (; i + 4 <= end; i += 4) {
        const o = <usize>i << 2;
        const av = v128.load(a + o);
        const bv = v128.load(b + o);
        v128.store(out + o, swap ? apply4(op, bv, av) : apply4(op, av, bv));
      }
      for (; i < end; i++) {
        const o = <usize>i << 2;
        const av = load<f32>(a + o);
        const bs = load<f32>(b + o);
        store<f32>(out + o, swap ? apply1(op, bs, av) : apply1(op, av, bs));
      }
    } else if ((bn & 3) == 0) {
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const av = v128.load(a + o);
        const bv = v128.load(b + (<usize>(i % bn) << 2));
        v128.store(out + o, swap ? apply4(op, bv, av) : apply4(op, av, bv));
      }
    } else {
      for (; i < end; i++) {
        const o = <usize>i << 2;
        const av = load<f32>(a + o);
        const bs = load<f32>(b + (<usize>(i % bn) << 2));
        store<f32>(out + o, swap ? apply1(op, bs, av) : apply1(op, av, bs));
      }
    }
  }
}

// out[j, i] = x[i, j] for an r x c matrix, in 32 x 32 tiles. Params: 0 x, 1 out, 2 r, 3 c, 4 counter.
export function transpose2d(p: usize, tid: i32, nth: i32): void {
  const x = pu(p, 0);
  const out = pu(p, 1);
  const r = pi(p, 2);
  const c = pi(p, 3);
  const counter = p + 4 * 4;
  const tr = (r + 31) >> 5;
  const tc = (c + 31) >> 5;
  while (true) {
    const t = claim(counter);
    if (t >= tr * tc) break;
    const i0 = (t / tc) << 5;
    const j0 = (t % tc) << 5;
    const i1 = min(r, i0 + 32);
    const j1 = min(c, j0 + 32);
    for (let i = i0; i < i1; i++) {
      for (let j = j0; j < j1; j++) {
        store<f32>(out + (<usize>(j * r + i) << 2), load<f32>(x + (<usize>(i * c + j) << 2)));
      }
    }
  }
}
