import { backend } from '../../backend/registry.js';
import type { Pool2DInfo } from '../../backend/types.js';
import { ConvlensError, checkOptions } from '../../errors.js';
import { allocateOutput } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { axisGeometry, checkDataFormat, type DataFormat, type Padding, parsePadding, parseWindow, type Window2D } from '../conv_util.js';
import { asTensor, checkFloat, checkRank, type TensorInput, toFloatHint } from '../convert.js';
import { transpose } from '../transpose.js';

export interface Pool2DArgs {
  /** [batch, height, width, channels] (NHWC) or [batch, channels, height, width] (NCHW); rank 3 means batch 1. */
  input: TensorInput;
  /** The window size: `n`, `[h, w]` or `[1, h, w, 1]`. */
  ksize: Window2D;
  /** Defaults to `ksize` (non-overlapping windows), as Keras' pooling layers do. */
  strides?: Window2D;
  padding: Padding;
  dataFormat?: DataFormat;
}

/**
 * A window lying wholly in explicit padding has no cells to pool, and the references disagree on
 * what it gives (TensorFlow has no explicit padding for average pooling; tfjs gives NaN or -inf),
 * so explicit padding must be smaller than the window, as in PyTorch.
 */
function checkPoolPadding(op: string, padding: [[number, number], [number, number]], window: [number, number]): void {
  ['height', 'width'].forEach((axis, i) => {
    const largest = Math.max(...padding[i]);
    if (largest >= window[i]) {
      throw new ConvlensError(
        `${op}: explicit padding ${largest} on the ${axis} axis must be smaller than the window ${axis} ${window[i]} (a window would hold only padding)`,
      );
    }
  });
}

/** Pooling geometry over NHWC input; padded cells are skipped by the kernels. */
export function pool2dInfo(op: string, args: Omit<Pool2DArgs, 'input'>, inShape: number[], dataFormat: DataFormat): Pool2DInfo {
  const [batch, inHeight, inWidth, channels] = inShape;
  const [filterHeight, filterWidth] = parseWindow(op, 'ksize', args.ksize, dataFormat);
  const [strideHeight, strideWidth] = parseWindow(op, 'strides', args.strides ?? args.ksize, dataFormat);
  const padding = parsePadding(op, args.padding, dataFormat);
  if (typeof padding !== 'string') checkPoolPadding(op, padding, [filterHeight, filterWidth]);
  const rows = axisGeometry(op, 'height', inHeight, filterHeight, strideHeight, 1, typeof padding === 'string' ? padding : padding[0]);
  const cols = axisGeometry(op, 'width', inWidth, filterWidth, strideWidth, 1, typeof padding === 'string' ? padding : padding[1]);
  return {
    batch,
    inHeight,
    inWidth,
    channels,
    outHeight: rows.out,
    outWidth: cols.out,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    padTop: rows.padBefore,
    padLeft: cols.padBefore,
  };
}

/**
 * Max pooling of int32 or uint8 values, exact at any magnitude (the kernels compute in float32,
 * which holds integers only up to 2^24). Windows always hold a cell: padding is smaller than the window.
 */
function maxPoolIntegers<A extends Int32Array | Uint8Array>(x: A, info: Pool2DInfo, out: A): void {
  const { batch, inHeight, inWidth, channels, outHeight, outWidth } = info;
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const top = oy * info.strideHeight - info.padTop;
      const [y0, y1] = [Math.max(0, top), Math.min(inHeight, top + info.filterHeight)];
      for (let ox = 0; ox < outWidth; ox++) {
        const left = ox * info.strideWidth - info.padLeft;
        const [x0, x1] = [Math.max(0, left), Math.min(inWidth, left + info.filterWidth)];
        for (let c = 0; c < channels; c++) {
          let best = -2147483648;
          for (let y = y0; y < y1; y++) {
            for (let xi = x0; xi < x1; xi++) best = Math.max(best, x[((n * inHeight + y) * inWidth + xi) * channels + c]);
          }
          out[o++] = best;
        }
      }
    }
  }
}

/** The dtypes max pooling keeps: TensorFlow's MaxPool takes these (and more that convlens lacks), not bool. */
export type MaxPoolDType = 'float32' | 'int32' | 'uint8';

/**
 * Validates pooling arguments, handles rank 3 and NCHW, and runs the chosen kernel. Max pooling
 * also takes int32 and uint8 input, as TensorFlow's does (a decoded image pools as it is, to
 * uint8); average pooling is float32 only, as there.
 */
export function pool2d(op: string, kind: 'maxPool' | 'avgPool', args: Pool2DArgs): Tensor<MaxPoolDType> {
  checkOptions(op, args, ['input', 'ksize', 'strides', 'padding', 'dataFormat']);
  const dataFormat = checkDataFormat(op, args.dataFormat);
  let input = asTensor(op, 'input', args.input, 'float32');
  checkRank(op, 'input', input, [3, 4]);
  if (kind === 'maxPool' && input.dtype === 'bool') {
    throw new ConvlensError(`${op}: 'input' must be float32, int32 or uint8, got bool (${toFloatHint(input.dtype)})`);
  }
  if (kind === 'avgPool') checkFloat(op, 'input', input);
  const dtype = input.dtype as MaxPoolDType;
  if (args.ksize === undefined) throw new ConvlensError(`${op}: ksize is required (a number, [h, w] or [1, h, w, 1])`);
  if (args.padding === undefined) throw new ConvlensError(`${op}: padding is required ('SAME', 'VALID' or explicit pairs)`);
  const unbatched = input.rank === 3;
  if (unbatched) input = new Tensor(input.data as Float32Array | Int32Array | Uint8Array, [1, ...input.shape], dtype);
  if (dataFormat === 'NCHW') input = transpose(input, [0, 2, 3, 1]);
  const info = pool2dInfo(op, args, input.shape, dataFormat);
  const out = allocateOutput(dtype, info.batch * info.outHeight * info.outWidth * info.channels, op);
  if (out.length > 0 && dtype === 'int32') maxPoolIntegers(input.data as Int32Array, info, out as Int32Array);
  else if (out.length > 0 && dtype === 'uint8') maxPoolIntegers(input.data as Uint8Array, info, out as Uint8Array);
  else if (out.length > 0) backend()[kind](input.data as Float32Array, info, out as Float32Array);
  let result: Tensor<MaxPoolDType> = new Tensor(out, [info.batch, info.outHeight, info.outWidth, info.channels], dtype);
  if (dataFormat === 'NCHW') result = transpose(result, [0, 3, 1, 2]) as Tensor<MaxPoolDType>;
  return unbatched ? new Tensor(result.data, result.shape.slice(1), dtype) : result;
}
