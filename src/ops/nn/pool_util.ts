import { backend } from '../../backend/registry.js';
import type { Pool2DInfo } from '../../backend/types.js';
import { ConvlensError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { axisGeometry, checkDataFormat, type DataFormat, type Padding, parsePadding, parseWindow, type Window2D } from '../conv_util.js';
import { asTensor, checkFloat, checkOptions, checkRank, type TensorInput } from '../convert.js';
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

/** Validates pooling arguments, handles rank 3 and NCHW, and runs the chosen kernel. */
export function pool2d(op: string, kind: 'maxPool' | 'avgPool', args: Pool2DArgs): Tensor<'float32'> {
  checkOptions(op, args, '{ input, ksize, strides, padding }');
  const dataFormat = checkDataFormat(op, args.dataFormat);
  let input = asTensor(op, 'input', args.input, 'float32');
  checkRank(op, 'input', input, [3, 4]);
  checkFloat(op, 'input', input);
  if (args.ksize === undefined) throw new ConvlensError(`${op}: ksize is required (a number, [h, w] or [1, h, w, 1])`);
  if (args.padding === undefined) throw new ConvlensError(`${op}: padding is required ('SAME', 'VALID' or explicit pairs)`);
  const unbatched = input.rank === 3;
  if (unbatched) input = new Tensor(input.data, [1, ...input.shape], 'float32');
  if (dataFormat === 'NCHW') input = transpose(input, [0, 2, 3, 1]);
  const info = pool2dInfo(op, args, input.shape, dataFormat);
  const out = new Float32Array(info.batch * info.outHeight * info.outWidth * info.channels);
  if (out.length > 0) backend()[kind](input.data as Float32Array, info, out);
  let result = new Tensor(out, [info.batch, info.outHeight, info.outWidth, info.channels], 'float32');
  if (dataFormat === 'NCHW') result = transpose(result, [0, 3, 1, 2]) as Tensor<'float32'>;
  return unbatched ? new Tensor(result.data, result.shape.slice(1), 'float32') : result;
}
