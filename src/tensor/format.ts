import type { DType, TypedArray } from './dtype.js';

interface Formattable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: TypedArray;
}

export interface FormatOptions {
  /**
   * Digits after the decimal point for float tensors, in fixed notation. By default the fewest
   * (up to 4) that show the values, in scientific notation where NumPy would use it (1.0e-08).
   */
  digits?: number;
  /** Above this many elements, only `edgeItems` at each end of an axis are shown. */
  threshold?: number;
  edgeItems?: number;
}

/** The fewest digits (1 to 4) after the point at which `written(v, digits)` gives back every value. */
function fewestDigits(values: number[], written: (v: number, digits: number) => number): number {
  for (let digits = 0; digits < 4; digits++) {
    if (values.every((v) => !Number.isFinite(v) || Math.abs(written(v, digits) - v) <= 1e-6 * Math.abs(v))) return Math.max(digits, 1);
  }
  return 4;
}

/**
 * NumPy's rule for printing floats in scientific notation: some finite non-zero magnitude is
 * below 1e-4 or at least 1e8, or the largest is over 1000 times the smallest. Fixed notation
 * would show 1e-8 as 0.0, or bury 1e-5 beside 1000.
 */
function needsScientific(values: number[]): boolean {
  let smallest = Number.POSITIVE_INFINITY;
  let largest = 0;
  for (const v of values) {
    const magnitude = Math.abs(v);
    if (magnitude === 0 || magnitude === Number.POSITIVE_INFINITY || Number.isNaN(magnitude)) continue;
    smallest = Math.min(smallest, magnitude);
    largest = Math.max(largest, magnitude);
  }
  return largest > 0 && (smallest < 1e-4 || largest >= 1e8 || largest / smallest > 1e3);
}

export interface Notation {
  scientific: boolean;
  digits: number;
}

export function floatNotation(values: number[], digits: number | undefined): Notation {
  // digits asked for: fixed notation with them, as the lesson's matrices are printed
  if (digits !== undefined) return { scientific: false, digits };
  if (needsScientific(values)) return { scientific: true, digits: fewestDigits(values, (v, d) => Number(v.toExponential(d))) };
  return { scientific: false, digits: fewestDigits(values, (v, d) => Math.round(v * 10 ** d) / 10 ** d) };
}

export function formatNumber(value: number, dtype: DType, notation: Notation): string {
  if (dtype === 'bool') return value ? 'true' : 'false';
  if (dtype !== 'float32') return String(value);
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const { scientific, digits } = notation;
  if (scientific) {
    // NumPy's form: at least two exponent digits (1.5e-07)
    const [mantissa, exponent] = (value === 0 ? 0 : value).toExponential(digits).split('e');
    return `${mantissa}e${exponent[0]}${exponent.slice(1).padStart(2, '0')}`;
  }
  const text = value.toFixed(digits);
  return text === `-${(0).toFixed(digits)}` ? text.slice(1) : text;
}

/**
 * Formats a tensor the way NumPy prints an array: brackets, commas, right-aligned columns.
 * Large tensors show only `edgeItems` at each end of every axis; the digits and the column
 * width come from the values shown, so printing a large image stays cheap.
 */
export function formatTensor(t: Formattable, options: FormatOptions = {}): string {
  const { threshold = 1000, edgeItems = 3 } = options;
  const summarise = t.data.length > threshold;
  const rank = t.shape.length;
  const strides = t.shape.map((_, axis) => t.shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  // Index lists per axis, -1 standing for the `...` between the two ends.
  const indices = (n: number) =>
    summarise && n > 2 * edgeItems
      ? [...Array.from({ length: edgeItems }, (_, i) => i), -1, ...Array.from({ length: edgeItems }, (_, i) => n - edgeItems + i)]
      : Array.from({ length: n }, (_, i) => i);
  const visible: number[] = [];
  const collect = (axis: number, offset: number): void => {
    if (axis === rank) visible.push(offset);
    else for (const i of indices(t.shape[axis])) if (i >= 0) collect(axis + 1, offset + i * strides[axis]);
  };
  collect(0, 0);

  const notation =
    t.dtype === 'float32'
      ? floatNotation(
          visible.map((i) => t.data[i]),
          options.digits,
        )
      : { scientific: false, digits: 0 };
  const cells = new Map(visible.map((i) => [i, formatNumber(t.data[i], t.dtype, notation)]));
  const width = Math.max(0, ...Array.from(cells.values(), (c) => c.length));
  if (rank === 0) return cells.get(0) ?? '';

  const build = (axis: number, offset: number, indent: string): string => {
    const items = indices(t.shape[axis]);
    if (axis === rank - 1) {
      return `[${items.map((i) => (i < 0 ? '...' : cells.get(offset + i)?.padStart(width))).join(', ')}]`;
    }
    const separator = `,${'\n'.repeat(rank - 1 - axis)}${indent} `;
    return `[${items.map((i) => (i < 0 ? '...' : build(axis + 1, offset + i * strides[axis], `${indent} `))).join(separator)}]`;
  };
  return build(0, 0, '');
}
