import type { BinaryOp, TypedArray, UnaryOp } from '../types.js';

const UNARY: Record<UnaryOp, (v: number) => number> = {
  relu: (v) => (v > 0 ? v : v === v ? 0 : v),
  sigmoid: (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  tanh: Math.tanh,
  exp: Math.exp,
  log: Math.log,
  neg: (v) => -v,
  abs: Math.abs,
  sqrt: Math.sqrt,
  square: (v) => v * v,
};

export function unary(op: UnaryOp, x: TypedArray, out: TypedArray): void {
  const f = UNARY[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
}

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => (a >= b || a !== a ? a : b),
  minimum: (a, b) => (a <= b || a !== a ? a : b),
};

/** Strides of `shape` seen from `outShape`'s axes: 0 where the axis is broadcast. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = outShape.length - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/** int32 products wrap modulo 2^32, as TensorFlow's and NumPy's do; a double would lose their low bits beyond 2^53. */
const INT32_MUL = (a: number, b: number) => Math.imul(a, b);

export function binary(
  op: BinaryOp,
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const f = op === 'mul' && out instanceof Int32Array ? INT32_MUL : BINARY[op];
  if (a.length === out.length && b.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
    return;
  }
  if (b.length === 1 && a.length === out.length) {
    const bv = b[0];
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], bv);
    return;
  }
  const rank = outShape.length;
  const aStrides = broadcastStrides(aShape, outShape);
  const bStrides = broadcastStrides(bShape, outShape);
  const index = new Array<number>(rank).fill(0);
  let ai = 0;
  let bi = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = f(a[ai], b[bi]);
    // Odometer increment of the output index, moving both input offsets along.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      ai += aStrides[axis];
      bi += bStrides[axis];
      if (index[axis] < outShape[axis]) break;
      ai -= aStrides[axis] * outShape[axis];
      bi -= bStrides[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
}
