/**
 * The typed kernel interface every backend implements. Kernels work on flat typed arrays and
 * plain geometry records; ops (one level up) validate arguments, work out output shapes,
 * allocate the output and call exactly one kernel. Adding a kernel here is a compile error
 * until every backend has it.
 */
export type TypedArray = Float32Array | Int32Array | Uint8Array;

export type BackendName = 'js' | 'wasm';

/** Geometry of a 2-D convolution: input NHWC, filters [kh, kw, inChannels, outChannels], output NHWC. */
export interface Conv2DInfo {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  /** Zero rows/columns added before the input; the bottom/right padding follows from the output size. */
  padTop: number;
  padLeft: number;
}

/**
 * Geometry of a depthwise 2-D convolution: input NHWC, filter [kh, kw, inChannels, channelMultiplier],
 * output NHWC with outChannels = inChannels · channelMultiplier (channel c · multiplier + m).
 */
export interface DepthwiseConv2DInfo extends Conv2DInfo {
  channelMultiplier: number;
}

/** Geometry of a 2-D pooling window over NHWC input; padded cells never count. */
export interface Pool2DInfo {
  batch: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** Work a convolution can finish while its output is still in cache. */
export interface Conv2DEpilogue {
  bias?: Float32Array;
  activation?: 'linear' | 'relu';
}

/** What a conv2d layer's backward pass asks of `Backend.conv2dBackward`, in one call. */
export interface Conv2DGrads {
  /** When given, overwritten with the filter gradient [kh, kw, inChannels, outChannels] (an input gradient alone needs none). */
  dFilters?: Float32Array;
  /** When given, overwritten with the bias gradient: dy summed over batch, rows and columns [outChannels]. */
  dBias?: Float32Array;
  /** When given, overwritten (not added to) with the input gradient, NHWC. */
  dx?: Float32Array;
  /** The layer's ReLU output: when given, dy is first multiplied by [reluOutput > 0] (the gradient through the ReLU). */
  reluOutput?: Float32Array;
}

/** A batch normalisation's values per channel of channels-last data, in float64 (one per channel). */
export interface BatchNormInfo {
  /** Subtracted from each value of the channel. */
  mean: Float64Array;
  /** Multiplies the centred value, giving x̂ (1/√(variance + ε)). */
  inverseStd: Float64Array;
  /** Multiplies x̂ (γ). */
  scale: Float64Array;
  /** Added last (β). */
  offset: Float64Array;
}

export type UnaryOp = 'relu' | 'sigmoid' | 'tanh' | 'exp' | 'log' | 'neg' | 'abs' | 'sqrt' | 'square';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
export type ReduceOp = 'sum' | 'max' | 'min';

export interface Backend {
  readonly name: BackendName;
  /** NHWC convolution (cross-correlation, as TensorFlow's conv2d), with optional fused bias and ReLU. */
  conv2d(x: Float32Array, filters: Float32Array, info: Conv2DInfo, out: Float32Array, epilogue?: Conv2DEpilogue): void;
  maxPool(x: Float32Array, info: Pool2DInfo, out: Float32Array): void;
  avgPool(x: Float32Array, info: Pool2DInfo, out: Float32Array): void;
  /** out[i] = op(x[i]); `out` may be `x`. */
  unary(op: UnaryOp, x: TypedArray, out: TypedArray): void;
  /** Element-wise op with NumPy broadcasting of `a` and `b` to `outShape`. */
  binary(
    op: BinaryOp,
    a: TypedArray,
    aShape: readonly number[],
    b: TypedArray,
    bShape: readonly number[],
    out: TypedArray,
    outShape: readonly number[],
  ): void;
  /** Reduces each contiguous run of `reduceSize` elements of `x` to one element of `out`. */
  reduce(op: ReduceOp, x: TypedArray, reduceSize: number, out: TypedArray): void;
  /** out = x with its axes permuted by `perm` (out axis i is x axis perm[i]). */
  transpose(x: TypedArray, shape: readonly number[], perm: readonly number[], out: TypedArray): void;
  /** Gradient of conv2d with respect to its input: dx (NHWC, zero-filled by the caller) from dy and the filters. */
  conv2dBackpropInput(dy: Float32Array, filters: Float32Array, info: Conv2DInfo, dx: Float32Array): void;
  /** Gradient of conv2d with respect to its filters: dFilters [kh, kw, inC, outC] from the input and dy. */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, info: Conv2DInfo, dFilters: Float32Array): void;
  /** Depthwise NHWC convolution (each input channel with its own filters, as TensorFlow's depthwise_conv2d), with optional fused bias and ReLU. */
  depthwiseConv2d(x: Float32Array, filter: Float32Array, info: DepthwiseConv2DInfo, out: Float32Array, epilogue?: Conv2DEpilogue): void;
  /** Gradient of depthwiseConv2d with respect to its input: dx (NHWC) overwritten from dy and the filter. */
  depthwiseConv2dBackpropInput(dy: Float32Array, filter: Float32Array, info: DepthwiseConv2DInfo, dx: Float32Array): void;
  /** Gradient of depthwiseConv2d with respect to its filter: dFilter [kh, kw, inC, multiplier] overwritten from the input and dy. */
  depthwiseConv2dBackpropFilter(x: Float32Array, dy: Float32Array, info: DepthwiseConv2DInfo, dFilter: Float32Array): void;
  /** Routes each window's gradient to its first maximum (as TensorFlow's CPU MaxPoolGrad); dx zero-filled by the caller. */
  maxPoolBackprop(x: Float32Array, dy: Float32Array, info: Pool2DInfo, dx: Float32Array): void;
  /** Spreads each window's gradient evenly over its unpadded cells; dx zero-filled by the caller. */
  avgPoolBackprop(dy: Float32Array, info: Pool2DInfo, dx: Float32Array): void;
  /** out[m, n] = a[m, k] · b[k, n], all row-major. */
  matMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array): void;
  /** out[m, n] = op(a) · op(b): a is [m, k] (or [k, m] when transposeA), b is [k, n] (or [n, k] when transposeB); for dense-layer gradients. */
  matMulTransposed(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    out: Float32Array,
    transposeA: boolean,
    transposeB: boolean,
  ): void;
  /** Softmax over each contiguous row of `cols` elements, computed stably (max subtracted). */
  softmax(x: Float32Array, cols: number, out: Float32Array): void;
  /**
   * A conv2d layer's gradients from its input `x`, `filters` and the gradient `dy` of its output:
   * filter, bias and input gradients (each when asked for), optionally through its ReLU first.
   */
  conv2dBackward(x: Float32Array, filters: Float32Array, dy: Float32Array, info: Conv2DInfo, grads: Conv2DGrads): void;
  /**
   * Max pooling's gradient written over all of dx (no zero-fill needed): each window's gradient to
   * its first maximum; with `reluMask`, zero where x <= 0 (the gradient through the ReLU that produced x).
   */
  maxPoolBackward(x: Float32Array, dy: Float32Array, info: Pool2DInfo, dx: Float32Array, reluMask: boolean): void;
  /**
   * Each channel's mean and biased variance over channels-last `x` (rows of `mean.length` values),
   * summed in float64 row by row: the values, then their squared deviations from the mean.
   */
  channelMoments(x: Float32Array, mean: Float64Array, variance: Float64Array): void;
  /**
   * Batch normalisation of channels-last `x`, per channel c in float64: x̂ = (x − mean[c])·inverseStd[c]
   * and out = x̂·scale[c] + offset[c]; x̂ is also written to `normalized` when given.
   */
  batchNorm(x: Float32Array, info: BatchNormInfo, out: Float32Array, normalized?: Float32Array): void;
  /**
   * Batch normalisation's backward pass over channels-last dy and x̂ (`normalized`, from the batch's
   * own statistics): overwrites sumDy and sumDyNormalized with Σ dy and Σ dy·x̂ per channel (float64,
   * row by row) and, when `dx` is given, the input gradient dx = inputScale[c]·(dy − Σdy/rows − x̂·Σdy·x̂/rows)
   * (inputScale = γ/σ: the batch's mean and variance depend on x too).
   */
  batchNormBackward(
    dy: Float32Array,
    normalized: Float32Array,
    inputScale: Float64Array,
    sumDy: Float64Array,
    sumDyNormalized: Float64Array,
    dx?: Float32Array,
  ): void;
  /**
   * A float32 array (contents undefined) that this backend's kernels read and write in place, without
   * copying in and out: for data that lives across calls, such as a training step's activations and
   * gradients. The wasm backend gives a view of its memory; the js backend a plain array.
   */
  residentBuffer(length: number): Float32Array;
}
