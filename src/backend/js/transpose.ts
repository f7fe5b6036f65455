import type { TypedArray } from '../types.js';

export function transpose(x: TypedArray, shape: readonly number[], perm: readonly number[], out: TypedArray): void {
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  let stride = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = stride;
    stride *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const stepStrides = perm.map((p) => inStrides[p]);
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = x[offset];
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      offset += stepStrides[axis];
      if (index[axis] < outShape[axis]) break;
      offset -= stepStrides[axis] * outShape[axis];
      index[axis] = 0;
    }
  }
}
