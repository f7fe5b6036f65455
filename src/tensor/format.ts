import type { DType, TypedArray } from './dtype.js';

interface Formattable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: TypedArray;
}

export interface FormatOptions {
  /** Digits after the decimal point for float tensors; by default the fewest (up to 4) that show the values. */
  digits?: number;
  /** Above this many elements, only `edgeItems` at each end of an axis are shown. */
  threshold?: number;
  edgeItems?: number;
}

function defaultDigits(values: number[]): number {
  for (let digits = 0; digits < 4; digits++) {
    const scale = 10 ** digits;
    if (values.every((v) => !Number.isFinite(v) || Math.abs(Math.round(v * scale) - v * scale) < 1e-6 * Math.max(1, Math.abs(v * scale)))) {
      return Math.max(digits, 1);
    }
  }
  return 4;
}

function formatNumber(value: number, dtype: DType, digits: number): string {
  if (dtype === 'bool') return value ? 'true' : 'false';
  if (dtype !== 'float32') return String(value);
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
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

  const digits = options.digits ?? (t.dtype === 'float32' ? defaultDigits(visible.map((i) => t.data[i])) : 0);
  const cells = new Map(visible.map((i) => [i, formatNumber(t.data[i], t.dtype, digits)]));
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
