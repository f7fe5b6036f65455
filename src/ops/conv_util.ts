import { ConvlensError, describeValue, everyItem } from '../errors.js';

/** How an op is padded: TensorFlow's words (either case) or explicit [before, after] pairs. */
export type PaddingWord = 'SAME' | 'VALID' | 'same' | 'valid';
export type ExplicitPadding = [number, number][];
export type Padding = PaddingWord | ExplicitPadding;
export type DataFormat = 'NHWC' | 'NCHW';
/** `n`, `[n]` (as `n`), `[h, w]`, or the 4-element form with 1 on the batch and channel axes: TensorFlow's lengths 1, 2 or 4. */
export type Window2D = number | [number] | [number, number] | [number, number, number, number];

/** The largest stride, dilation or window size: TensorFlow holds them in int32 attributes. */
const INT32_MAX = 2147483647;

/** Where a convolution's window goes over the input: strides, dilations, output size and leading padding. */
export interface ConvWindowGeometry {
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  outHeight: number;
  outWidth: number;
  padTop: number;
  padLeft: number;
}

/** The strides, dilations and padding a convolution op takes. */
export interface ConvWindowArgs {
  strides?: Window2D;
  padding: Padding;
  dilations?: Window2D;
}

export interface AxisGeometry {
  out: number;
  padBefore: number;
  padAfter: number;
}

export function checkDataFormat(op: string, dataFormat: unknown): DataFormat {
  if (dataFormat === undefined || dataFormat === null) return 'NHWC'; // null: TensorFlow's data_format=None, as strides and dilations take null
  if (dataFormat === 'NHWC' || dataFormat === 'NCHW') return dataFormat;
  throw new ConvlensError(`${op}: unknown dataFormat ${describeValue(dataFormat)} (expected 'NHWC' or 'NCHW')`);
}

/**
 * Reads a stride, dilation or window argument as [h, w]: a number or a one-element list is used
 * for both axes, as TensorFlow reads an int or a list of length 1; the 4-element form must carry
 * 1 on the batch and channel axes, as TensorFlow requires.
 */
export function parseWindow(op: string, arg: string, value: unknown, dataFormat: DataFormat): [number, number] {
  const describe = describeValue(value);
  let pair: number[];
  if (typeof value === 'number') pair = [value, value];
  else if (Array.isArray(value) && value.length === 1) pair = [value[0], value[0]];
  else if (Array.isArray(value) && value.length === 2) pair = value;
  else if (Array.isArray(value) && value.length === 4) {
    const [batchAxis, hAxis, wAxis, channelAxis] = dataFormat === 'NHWC' ? [0, 1, 2, 3] : [0, 2, 3, 1];
    if (value[batchAxis] !== 1 || value[channelAxis] !== 1) {
      throw new ConvlensError(`${op}: ${arg} ${describe} must be 1 on the batch and channel axes (${dataFormat})`);
    }
    pair = [value[hAxis], value[wAxis]];
  } else {
    throw new ConvlensError(`${op}: ${arg} must be a number, [h, w] or a 4-element list, got ${describe}`);
  }
  if (!everyItem(pair, (v) => Number.isInteger(v) && v > 0)) {
    throw new ConvlensError(`${op}: ${arg} must be positive integers, got ${describe}`);
  }
  // TensorFlow keeps these attributes as int32 and refuses larger values; past 2^53 they would not even be exact here
  if (!pair.every((v) => v <= INT32_MAX)) {
    throw new ConvlensError(`${op}: ${arg} must be at most ${INT32_MAX} (TensorFlow's int32 limit), got ${describe}`);
  }
  return [pair[0], pair[1]];
}

/**
 * Parses padding into [[top, bottom], [left, right]] or a word. Explicit padding may be given
 * as 4 pairs in the data format's axis order (batch and channel pairs must be 0) or as 2 pairs.
 */
export function parsePadding(op: string, value: unknown, dataFormat: DataFormat): 'SAME' | 'VALID' | [[number, number], [number, number]] {
  if (typeof value === 'string') {
    const word = value.toUpperCase();
    if (word === 'SAME' || word === 'VALID') return word;
    throw new ConvlensError(
      `${op}: unknown padding ${describeValue(value)} (expected 'SAME', 'VALID' or explicit [[0, 0], [top, bottom], [left, right], [0, 0]])`,
    );
  }
  const describe = describeValue(value);
  const isPair = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && everyItem(p, (v) => typeof v === 'number');
  if (!Array.isArray(value) || !(value.length === 4 || value.length === 2) || !everyItem(value, isPair)) {
    throw new ConvlensError(`${op}: padding must be 'SAME', 'VALID' or a list of [before, after] pairs, got ${describe}`);
  }
  let spatial: [number, number][] = value;
  if (value.length === 4) {
    const [batchAxis, hAxis, wAxis, channelAxis] = dataFormat === 'NHWC' ? [0, 1, 2, 3] : [0, 2, 3, 1];
    if (value[batchAxis].some((v) => v !== 0) || value[channelAxis].some((v) => v !== 0)) {
      throw new ConvlensError(`${op}: explicit padding ${describe} must be [0, 0] on the batch and channel axes (${dataFormat})`);
    }
    spatial = [value[hAxis], value[wAxis]];
  }
  if (!spatial.flat().every((v) => Number.isInteger(v) && v >= 0)) {
    throw new ConvlensError(`${op}: explicit padding must be non-negative integers, got ${describe}`);
  }
  return [spatial[0], spatial[1]];
}

/**
 * Output size and padding along one spatial axis, as TensorFlow computes them:
 * SAME gives ceil(in / stride) with the odd extra row or column after; VALID gives
 * ceil((in - effective + 1) / stride); explicit pads the input, then slides the window.
 */
export function axisGeometry(
  op: string,
  axisName: string,
  inSize: number,
  windowSize: number,
  stride: number,
  dilation: number,
  padding: 'SAME' | 'VALID' | [number, number],
): AxisGeometry {
  const effective = (windowSize - 1) * dilation + 1;
  if (padding === 'SAME') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max(0, (out - 1) * stride + effective - inSize);
    const padBefore = Math.floor(total / 2);
    return { out, padBefore, padAfter: total - padBefore };
  }
  const [padBefore, padAfter] = padding === 'VALID' ? [0, 0] : padding;
  const padded = inSize + padBefore + padAfter;
  if (effective > padded) {
    const window = dilation > 1 ? `${windowSize} (${effective} dilated)` : `${windowSize}`;
    const where = padding === 'VALID' ? 'under VALID padding' : `with padding [${padBefore}, ${padAfter}]`;
    throw new ConvlensError(`${op}: window ${axisName} ${window} is larger than the input ${axisName} ${padded} ${where}`);
  }
  return { out: Math.floor((padded - effective) / stride) + 1, padBefore, padAfter };
}

/**
 * Parses a convolution's strides, dilations and padding and works out its output size and padding
 * over an NHWC input of `inShape` with a `filterHeight` × `filterWidth` window, as TensorFlow does.
 */
export function convWindowGeometry(
  op: string,
  args: ConvWindowArgs,
  inShape: readonly number[],
  [filterHeight, filterWidth]: readonly [number, number],
  dataFormat: DataFormat,
): ConvWindowGeometry {
  const [, inHeight, inWidth] = inShape;
  const [strideHeight, strideWidth] = parseWindow(op, 'strides', args.strides ?? 1, dataFormat);
  const [dilationHeight, dilationWidth] = parseWindow(op, 'dilations', args.dilations ?? 1, dataFormat);
  if (Math.max(strideHeight, strideWidth) > 1 && Math.max(dilationHeight, dilationWidth) > 1) {
    // TensorFlow's rule (tf.nn.convolution, tf.nn.depthwise_conv2d, Keras): a strided atrous convolution is refused, not guessed at
    throw new ConvlensError(
      `${op}: strides ${describeValue(args.strides)} and dilations ${describeValue(args.dilations)} cannot both be greater than 1 (one of them must be 1)`,
    );
  }
  const padding = parsePadding(op, args.padding, dataFormat);
  const rows = axisGeometry(
    op,
    'height',
    inHeight,
    filterHeight,
    strideHeight,
    dilationHeight,
    typeof padding === 'string' ? padding : padding[0],
  );
  const cols = axisGeometry(
    op,
    'width',
    inWidth,
    filterWidth,
    strideWidth,
    dilationWidth,
    typeof padding === 'string' ? padding : padding[1],
  );
  return {
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    outHeight: rows.out,
    outWidth: cols.out,
    padTop: rows.padBefore,
    padLeft: cols.padBefore,
  };
}
