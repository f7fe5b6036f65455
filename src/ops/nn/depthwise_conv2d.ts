import { backend } from '../../backend/registry.js';
import type { Conv2DEpilogue, DepthwiseConv2DInfo } from '../../backend/types.js';
import { ConvlensError, checkOptions } from '../../errors.js';
import { allocateOutput } from '../../tensor/dtype.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { type ConvWindowArgs, checkDataFormat, convWindowGeometry, type DataFormat, type Padding, type Window2D } from '../conv_util.js';
import type { TensorInput } from '../convert.js';
import { convOperands, throughNHWC } from './nhwc.js';

export interface DepthwiseConv2DArgs {
  /** [batch, height, width, inChannels] (NHWC) or [batch, inChannels, height, width] (NCHW); rank 3 means batch 1. */
  input: TensorInput;
  /** [filterHeight, filterWidth, inChannels, channelMultiplier]. */
  filter: TensorInput;
  strides?: Window2D;
  padding: Padding;
  dilations?: Window2D;
  dataFormat?: DataFormat;
}

const OP = 'depthwiseConv2d';

/**
 * Works out the geometry of a depthwise convolution of NHWC `inShape` with a filter of `filterShape`,
 * validating both; errors name `op` and its filter argument (separableConv2d's is `depthwiseFilter`).
 */
export function depthwiseConv2dInfo(
  args: ConvWindowArgs,
  inShape: number[],
  filterShape: number[],
  dataFormat: DataFormat,
  { op, filterArg }: { op: string; filterArg: string } = { op: OP, filterArg: 'filter' },
): DepthwiseConv2DInfo {
  const [batch, inHeight, inWidth, inChannels] = inShape;
  const [filterHeight, filterWidth, filterInChannels, channelMultiplier] = filterShape;
  if (filterShape.some((d) => d === 0)) {
    throw new ConvlensError(
      `${op}: ${filterArg} must not have a zero-size dimension, got shape ${formatShape(filterShape)} ([filterHeight, filterWidth, inChannels, channelMultiplier], each at least 1)`,
    );
  }
  if (inChannels !== filterInChannels) {
    throw new ConvlensError(
      `${op}: input depth ${inChannels} does not match the ${filterArg}'s input depth ${filterInChannels} (${filterArg} shape ${formatShape(filterShape)} is [filterHeight, filterWidth, inChannels, channelMultiplier])`,
    );
  }
  const geometry = convWindowGeometry(op, args, inShape, [filterHeight, filterWidth], dataFormat);
  const outChannels = inChannels * channelMultiplier;
  return { batch, inHeight, inWidth, inChannels, outChannels, channelMultiplier, filterHeight, filterWidth, ...geometry };
}

/** Runs the NHWC depthwise kernel; shared by `depthwiseConv2d`, `separableConv2d` (`op` names it in errors) and layers that fuse a bias and ReLU. */
export function depthwiseConv2dNHWC(
  input: Tensor<'float32'>,
  filter: Tensor<'float32'>,
  info: DepthwiseConv2DInfo,
  epilogue?: Conv2DEpilogue,
  op = OP,
): Tensor<'float32'> {
  const { batch, outHeight, outWidth, outChannels } = info;
  const out = allocateOutput('float32', batch * outHeight * outWidth * outChannels, op);
  if (out.length > 0) backend().depthwiseConv2d(input.data, filter.data, info, out, epilogue);
  return new Tensor(out, [batch, outHeight, outWidth, outChannels], 'float32');
}

/**
 * TensorFlow's `tf.nn.depthwise_conv2d`: each input channel c is convolved (cross-correlated)
 * with its own `channelMultiplier` filters `filter[:, :, c, m]`, giving output channel
 * c · channelMultiplier + m; TensorFlow's SAME/VALID/explicit padding arithmetic.
 */
export function depthwiseConv2d(args: DepthwiseConv2DArgs): Tensor<'float32'> {
  checkOptions(OP, args, ['input', 'filter', 'strides', 'padding', 'dilations', 'dataFormat']);
  const dataFormat = checkDataFormat(OP, args.dataFormat);
  const {
    input,
    filters: [filter],
  } = convOperands(OP, args.input, { filter: args.filter }, args.padding);
  return throughNHWC(input, dataFormat, (x) =>
    depthwiseConv2dNHWC(x, filter, depthwiseConv2dInfo(args, x.shape, filter.shape, dataFormat)),
  );
}
