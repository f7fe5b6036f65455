import { expect } from 'vitest';
import { Tensor } from '../../src/tensor/tensor.js';

type Values = Tensor | ArrayLike<number> | number | unknown[];

/** The numbers in `value`, in order: a list may nest tensors and typed arrays (one per output), which are read, not turned into NaN. */
function flatten(value: Values): number[] {
  if (value instanceof Tensor) return Array.from(value.data);
  if (typeof value === 'number') return [value];
  if (Array.isArray(value))
    return value.flatMap((item) => (typeof item === 'object' && item !== null ? flatten(item as Values) : [Number(item)]));
  return Array.from(value as ArrayLike<number>);
}

/**
 * Asserts |a − b| ≤ rtol · max(1, |b|) element by element (NaN matches NaN, infinities must be
 * equal). `context` (a seed and configuration) is printed on failure so the case can be replayed.
 */
export function expectClose(actual: Values, expected: Values, rtol = 1e-4, context = ''): void {
  const a = flatten(actual);
  const b = flatten(expected);
  expect(a.length, `${context} length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    const ok = Number.isNaN(y) ? Number.isNaN(x) : Number.isFinite(y) ? Math.abs(x - y) <= rtol * Math.max(1, Math.abs(y)) : x === y;
    if (!ok) expect.fail(`${context}\nelement ${i}: got ${x}, expected ${y} (rtol ${rtol})`);
  }
}

/** Asserts shape and values (within rtol) of a convlens tensor against an expected shape and values. */
export function expectTensor(actual: Tensor, shape: readonly number[], expected: Values, rtol = 1e-4, context = ''): void {
  expect(actual.shape, `${context} shape`).toEqual([...shape]);
  expectClose(actual, expected, rtol, context);
}

/** The largest absolute difference between two equally long arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Prints the largest absolute difference seen, for the record (CONVLENS_REPORT=1). */
export function reportDiff(what: string, worst: number): void {
  if (process.env.CONVLENS_REPORT) console.log(`max |diff| ${what}: ${worst.toExponential(2)}`);
}
