import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { floatNotation, formatNumber } from '../tensor/format.js';
import { formatValue, roundHalfEven, shortestFloat32 } from './numbers.js';

export interface MatrixOptions {
  /** Decimals for float values; by default the fewest that show them exactly (up to 4), as sympy prints the lesson's matrices. */
  digits?: number;
  /** Bracket style: `unicode` (⎡ ⎤, default) or `ascii` ([ ]). */
  style?: 'unicode' | 'ascii';
}

function fewestDigits(values: ArrayLike<number>): number {
  for (let d = 0; d <= 4; d++) {
    const s = 10 ** d;
    let ok = true;
    for (let i = 0; i < values.length && ok; i++) {
      const v = values[i];
      ok = !Number.isFinite(v) || Math.abs(Math.round(v * s) - v * s) < 1e-6 * Math.max(1, Math.abs(v * s));
    }
    if (ok) return d;
  }
  return 4;
}

/**
 * A 2-D tensor (length-1 axes around it dropped) as aligned text with matrix brackets, like the lesson's
 * `sympy.Matrix` display: columns right-aligned, zeros written `0`, floats with the same decimals
 * (in scientific notation where NumPy would print them so, unless `digits` is given).
 */
export function matrix(values: TensorInput, options: MatrixOptions = {}): string {
  checkOptions('matrix', options, ['digits', 'style']);
  const t = asTensor('matrix', 'values', values);
  // a kernel's trailing length-1 axes first ([3, 1, 1, 1] is a column of 3, as showKernel draws it), then leading ones
  let shape = [...t.shape];
  while (shape.length > 2 && shape.at(-1) === 1) shape.pop();
  while (shape.length > 2 && shape[0] === 1) shape.shift();
  if (shape.length > 2) shape = shape.filter((d) => d !== 1);
  if (shape.length > 2) throw new ConvlensError(`matrix: expected a 2-D tensor (length-1 axes allowed), got shape [${t.shape.join(', ')}]`);
  const [rows, cols] = shape.length === 2 ? shape : shape.length === 1 ? [1, shape[0]] : [1, 1];
  if (options.style !== undefined && options.style !== 'unicode' && options.style !== 'ascii')
    throw new ConvlensError(`matrix: style must be 'unicode' or 'ascii', got ${describeValue(options.style)}`);
  if (t.size === 0) return '[]';
  const data = t.data as ArrayLike<number>;
  if (options.digits !== undefined && !(Number.isInteger(options.digits) && options.digits >= 0 && options.digits <= 20)) {
    throw new ConvlensError(`matrix: digits must be a whole number from 0 to 20, got ${describeValue(options.digits)}`);
  }
  // floats keep a decimal point unless digits: 0 asks for none (sympy's style: 2.0, not 2)
  const places = options.digits ?? Math.max(fewestDigits(data), 1);
  // without digits, values fixed notation would show as 0.0 (1e-7) or bury (1e-5 beside 1000)
  // are written as NumPy prints them: 1.2e-07
  const notation = options.digits === undefined && t.dtype === 'float32' ? floatNotation(Array.from(data), undefined) : undefined;
  const cells = Array.from(data, (v) => {
    if (t.dtype !== 'float32') return formatValue(v, t.dtype);
    if (v === 0) return '0';
    if (!Number.isFinite(v)) return shortestFloat32(v); // nan, inf, -inf, as NumPy and showKernel write them
    if (notation?.scientific) return formatNumber(v, 'float32', notation);
    // NumPy's rounding (halves to even: 0.125 → 0.12), as showKernel's digits round
    const text = roundHalfEven(v, places).toFixed(places);
    return text === `-${(0).toFixed(places)}` ? '0' : text;
  });
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...Array.from({ length: rows }, (_, r) => cells[r * cols + c].length)));
  const lines = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => cells[r * cols + c].padStart(widths[c])).join('  '),
  );
  if (options.style === 'ascii' || rows === 1) return lines.map((l) => `[${l}]`).join('\n');
  return lines
    .map((l, r) => {
      const [open, close] = r === 0 ? ['⎡', '⎤'] : r === rows - 1 ? ['⎣', '⎦'] : ['⎢', '⎥'];
      return `${open}${l}${close}`;
    })
    .join('\n');
}
