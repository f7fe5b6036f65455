import type { DType } from '../tensor/dtype.js';

/** The shortest decimal that reads back as the same float32 (what NumPy prints for a float32). */
export function shortestFloat32(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  const target = Math.fround(value);
  for (let p = 1; p <= 9; p++) {
    const text = Number(target.toPrecision(p));
    if (Math.fround(text) === target) return String(text);
  }
  return String(target);
}

/**
 * A float32 for a JSON document: a number in its shortest form, or for ±Infinity and NaN, which
 * JSON cannot hold, their JavaScript names as strings (`Number("Infinity")` and Python's
 * `float("Infinity")` read them back), rather than the `null` JSON.stringify would write.
 */
export function jsonFloat32(value: number): number | string {
  return Number.isFinite(value) ? Number(shortestFloat32(value)) : String(value);
}

/**
 * A value as Python prints it in the lesson's figures: integers plainly (`-1`, `8`), floats in
 * their shortest form with a decimal point (`0.0625`, `8.0`); `digits` rounds first, as
 * `kernel.round(digits)` does in learntools' `show_kernel`.
 */
export function formatValue(value: number, dtype: DType, digits?: number): string {
  if (dtype === 'bool') return value ? 'True' : 'False';
  if (dtype !== 'float32') return String(value);
  let v = value;
  if (digits !== undefined) v = roundHalfEven(v, digits);
  if (Object.is(v, -0)) v = 0;
  const text = shortestFloat32(v);
  return /^-?\d+$/.test(text) ? `${text}.0` : text.replace(/^(-?)0\.0+e/, '$1e');
}

/** NumPy's `round(v, digits)`: halves go to the even neighbour (0.0625 → 0.062 at 3 digits). */
export function roundHalfEven(value: number, digits: number): number {
  const scale = 10 ** digits;
  const x = Number((value * scale).toPrecision(15));
  const floor = Math.floor(x);
  const diff = x - floor;
  const n = diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  return n / scale;
}
