import type { ReduceOp, TypedArray } from '../types.js';

export function reduce(op: ReduceOp, x: TypedArray, reduceSize: number, out: TypedArray): void {
  for (let o = 0; o < out.length; o++) {
    const start = o * reduceSize;
    let acc = op === 'sum' ? 0 : op === 'max' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    for (let i = start; i < start + reduceSize; i++) {
      const v = x[i];
      if (op === 'sum') acc += v;
      else if (Number.isNaN(v)) acc = v;
      else if (op === 'max' ? v > acc : v < acc) acc = v;
    }
    out[o] = acc;
  }
}

export function softmax(x: Float32Array, cols: number, out: Float32Array): void {
  for (let start = 0; start < x.length; start += cols) {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = start; i < start + cols; i++) if (x[i] > max) max = x[i];
    let sum = 0;
    for (let i = start; i < start + cols; i++) {
      const e = Math.exp(x[i] - max);
      out[i] = e;
      sum += e;
    }
    for (let i = start; i < start + cols; i++) out[i] /= sum;
  }
}
