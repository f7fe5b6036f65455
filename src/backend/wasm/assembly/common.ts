// Shared helpers for the kernels. Every exported kernel has the signature
// (params: usize, tid: i32, nth: i32): the JS side writes a little record of i32/f32 values at
// `params`, and each of the `nth` threads calls the kernel with its own `tid`. Work is claimed
// in chunks with an atomic counter inside the record, so a slow (shared, noisy) core takes
// fewer chunks.

/** a * b + c: fused (relaxed SIMD) when the module is built with relaxed-simd, else mul + add. */
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** i32 parameter `i` of the record at `p`. */
@inline
export function pi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Pointer parameter `i` of the record at `p`. */
@inline
export function pu(p: usize, i: i32): usize {
  return <usize>load<u32>(p + (<usize>i << 2));
}

/** f32 parameter `i` of the record at `p`. */
@inline
export function pf(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

/** Claims the next chunk index from the counter at `counter` (shared by all threads of a call). */
@inline
export function claim(counter: usize): i32 {
  return atomic.add<i32>(counter, 1);
}

/** Stores the first `nc` (1..8) lanes of v0:v1 at `c`. */
@inline
export function store8(c: usize, v0: v128, v1: v128, nc: i32): void {
  if (nc == 8) {
    v128.store(c, v0);
    v128.store(c, v1, 16);
    return;
  }
  if (nc >= 4) {
    v128.store(c, v0);
    c += 16;
    v0 = v1;
    nc -= 4;
  }
  if (nc & 2) {
    v128.store64_lane(c, v0, 0);
    v0 = v128.shuffle<i32>(v0, v0, 2, 3, 2, 3);
    c += 8;
  }
  if (nc & 1) v128.store32_lane(c, v0, 0);
}
