export { ConvlensError } from '../errors.js';
export { constant, fill, fromData, ones, type TensorLike, tensor, zeros } from './create.js';
export type { DataTypeMap, DType, TypedArray } from './dtype.js';
export { type NestedArray, Tensor } from './tensor.js';
