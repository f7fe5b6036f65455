/**
 * out[m, n] = a[m, k] · b[k, n]; i-k-j order so the inner loop runs along rows of b and out.
 * Zeros of `a` are skipped only when `b` is all finite, so that 0 · NaN still gives NaN.
 */
export function matMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array): void {
  const row = new Float64Array(n);
  const skipZeros = b.every(Number.isFinite);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      if (av === 0 && skipZeros) continue;
      const bOffset = p * n;
      for (let j = 0; j < n; j++) row[j] += av * b[bOffset + j];
    }
    out.set(row, i * n);
  }
}
