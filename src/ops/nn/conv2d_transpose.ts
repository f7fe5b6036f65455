import { backend } from '../../backend/registry.js';
import type { Conv2DInfo } from '../../backend/types.js';
import { ConvlensError, checkOptions, describeValue, everyItem } from '../../errors.js';
import { allocateOutput } from '../../tensor/dtype.js';
import { sizeFromShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { axisGeometry, checkDataFormat, type DataFormat, type Padding, parsePadding, parseWindow, type Window2D } from '../conv_util.js';
import type { TensorInput } from '../convert.js';
import { convOperands, throughNHWC } from './nhwc.js';

export interface Conv2DTransposeArgs {
  /** [batch, height, width, inChannels] (NHWC) or [batch, inChannels, height, width] (NCHW); rank 3 means batch 1. */
  input: TensorInput;
  /** [filterHeight, filterWidth, outChannels, inChannels]: conv2d's filters, read the other way. */
  filters: TensorInput;
  /** [batch, height, width, outChannels] (or [height, width, outChannels]; NCHW: channels first): the shape of the result, which conv2d would take back to `input`'s. */
  outputShape: number[];
  strides?: Window2D;
  padding: Padding;
  dilations?: Window2D;
  dataFormat?: DataFormat;
}

const OP = 'conv2dTranspose';

/** How conv2dTransposeInfo reads and reports: the op to name, the order of 4-element strides, dilations and padding, and the outputShape as the caller gave it. */
export interface TransposeInfoOptions {
  op?: string;
  dataFormat?: DataFormat;
  givenOutputShape?: readonly number[];
}

/**
 * The geometry of the convolution whose gradient `conv2dTranspose` computes: its input has
 * `outputShape`, its output must have the shape of `input` [batch, height, width, inChannels]
 * (both NHWC).
 */
export function conv2dTransposeInfo(
  args: Pick<Conv2DTransposeArgs, 'strides' | 'padding' | 'dilations'>,
  inShape: number[],
  filterShape: number[],
  outputShape: number[],
  { op = OP, dataFormat = 'NHWC', givenOutputShape = outputShape }: TransposeInfoOptions = {},
): Conv2DInfo {
  const [batch, inHeight, inWidth, inChannels] = inShape;
  const [filterHeight, filterWidth, filterOutChannels, filterInChannels] = filterShape;
  const [outBatch, outHeight, outWidth, outChannels] = outputShape;
  if (filterShape.some((d) => d === 0)) {
    throw new ConvlensError(`${op}: filters must not have a zero-size dimension, got shape [${filterShape.join(', ')}]`);
  }
  if (inChannels !== filterInChannels) {
    throw new ConvlensError(
      `${op}: input depth ${inChannels} does not match filters' input depth ${filterInChannels} (filters are [height, width, out, in])`,
    );
  }
  if (outChannels !== filterOutChannels) {
    throw new ConvlensError(
      `${op}: outputShape depth ${outChannels} does not match filters' output depth ${filterOutChannels} (filters are [height, width, out, in])`,
    );
  }
  if (outBatch !== batch) throw new ConvlensError(`${op}: outputShape batch ${outBatch} does not match the input's batch ${batch}`);
  const [strideHeight, strideWidth] = parseWindow(op, 'strides', args.strides ?? 1, dataFormat);
  const [dilationHeight, dilationWidth] = parseWindow(op, 'dilations', args.dilations ?? 1, dataFormat);
  if (Math.max(strideHeight, strideWidth) > 1 && Math.max(dilationHeight, dilationWidth) > 1) {
    throw new ConvlensError(
      `${op}: strides ${describeValue(args.strides)} and dilations ${describeValue(args.dilations)} cannot both be greater than 1 (one of them must be 1)`,
    );
  }
  const padding = parsePadding(op, args.padding, dataFormat);
  const geometry = (axis: 0 | 1) =>
    axisGeometry(
      op,
      axis === 0 ? 'height' : 'width',
      outputShape[1 + axis],
      filterShape[axis],
      axis === 0 ? strideHeight : strideWidth,
      axis === 0 ? dilationHeight : dilationWidth,
      typeof padding === 'string' ? padding : padding[axis],
    );
  const rows = geometry(0);
  const cols = geometry(1);
  if (rows.out !== inHeight || cols.out !== inWidth) {
    throw new ConvlensError(
      `${op}: outputShape [${givenOutputShape.join(', ')}] does not fit the input: conv2d with these filters, strides and padding takes ${outHeight}×${outWidth} to ${rows.out}×${cols.out}, not to the input's ${inHeight}×${inWidth}`,
    );
  }
  return {
    batch,
    inHeight: outHeight,
    inWidth: outWidth,
    inChannels: outChannels,
    outHeight: inHeight,
    outWidth: inWidth,
    outChannels: inChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    padTop: rows.padBefore,
    padLeft: cols.padBefore,
  };
}

/** Runs the kernel: `out` (zero-filled, NHWC) gets the transposed convolution of NHWC `input`. */
export function conv2dTransposeNHWC(input: Float32Array, filters: Float32Array, info: Conv2DInfo, out: Float32Array): void {
  if (input.length > 0 && out.length > 0) backend().conv2dBackpropInput(input, filters, info, out);
}

/**
 * TensorFlow's `tf.nn.conv2d_transpose` (the gradient of conv2d with respect to its input, which
 * "deconvolution" layers use to grow an image): each input value spreads a filter's worth of
 * products into the output. `outputShape` is given because several output sizes shrink back to
 * the same input under a stride; TensorFlow checks that conv2d would take it back to `input`.
 */
export function conv2dTranspose(args: Conv2DTransposeArgs): Tensor<'float32'> {
  checkOptions(OP, args, ['input', 'filters', 'outputShape', 'strides', 'padding', 'dilations', 'dataFormat']);
  const dataFormat = checkDataFormat(OP, args.dataFormat);
  const { input, filters } = convOperands(OP, args.input, { filters: args.filters }, args.padding);
  const unbatched = input.rank === 3;
  const outputShape = checkOutputShape(args.outputShape, unbatched ? 3 : 4, dataFormat);
  const [batch, ...rest] = unbatched ? [1, ...outputShape] : outputShape;
  const nhwcShape = dataFormat === 'NCHW' ? [batch, rest[1], rest[2], rest[0]] : [batch, ...rest];
  return throughNHWC(input, dataFormat, (x) => {
    const info = conv2dTransposeInfo(args, x.shape, filters[0].shape, nhwcShape, { dataFormat, givenOutputShape: outputShape });
    // the kernel adds into its output
    const out = allocateOutput('float32', sizeFromShape(nhwcShape), OP).fill(0);
    conv2dTransposeNHWC(x.data, filters[0].data, info, out);
    return new Tensor(out, nhwcShape, 'float32');
  });
}

function checkOutputShape(value: unknown, rank: number, dataFormat: DataFormat): number[] {
  if (!Array.isArray(value) || value.length !== rank || !everyItem(value, (d) => Number.isInteger(d) && d >= 0)) {
    const axes = dataFormat === 'NHWC' ? 'height, width, channels' : 'channels, height, width';
    const form = rank === 4 ? `[batch, ${axes}]` : `[${axes}] (the input has no batch axis)`;
    throw new ConvlensError(`${OP}: outputShape must be ${form} of whole numbers, got ${describeValue(value)}`);
  }
  return [...value];
}
