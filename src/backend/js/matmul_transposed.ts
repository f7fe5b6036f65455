/**
 * out[m, n] = op(a) · op(b), where op(a) is a [m, k] or, when `transposeA`, the transpose of a
 * stored [k, m]; op(b) is b [k, n] or, when `transposeB`, the transpose of b stored [n, k].
 * The products dense layers' gradients need (dx = dy · wᵀ, dw = xᵀ · dy). Accumulates in float64.
 */
export function matMulTransposed(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  out: Float32Array,
  transposeA: boolean,
  transposeB: boolean,
): void {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = transposeA ? a[p * m + i] : a[i * k + p];
      if (av === 0) continue;
      if (transposeB) {
        for (let j = 0; j < n; j++) row[j] += av * b[j * k + p];
      } else {
        const bOffset = p * n;
        for (let j = 0; j < n; j++) row[j] += av * b[bOffset + j];
      }
    }
    out.set(row, i * n);
  }
}
