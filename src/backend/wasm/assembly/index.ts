// Entry of the convlens Wasm module: every export is a kernel (params: usize, tid: i32, nth: i32).
// Memory is imported (shared between threads in the threaded build) and managed from JS.
export { conv2d_backprop_filter, sum_partials } from './backprop';
export { batch_norm, batch_norm_input_grad, batch_norm_sums, channel_sums } from './batch_norm';
export { pad_nhwc } from './pad';
export { conv2d_cin1, conv2d_direct1 } from './direct';
export { binary_f32, transpose2d, unary_f32 } from './elementwise';
export { conv2d_gemm, gemm } from './gemm';
export { avg_pool, avg_pool_backprop, max_pool, max_pool_backprop, max_pool_grad } from './pool';
