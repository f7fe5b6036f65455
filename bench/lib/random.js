/** Deterministic bench inputs: `n` floats in [-1, 1) from xorshift32 with `seed`. @param {number} n @param {number} seed */
export function random(n, seed) {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return a;
}
