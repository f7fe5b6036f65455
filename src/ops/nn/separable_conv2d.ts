import type { Conv2DInfo, DepthwiseConv2DInfo } from '../../backend/types.js';
import { ConvlensError, checkOptions } from '../../errors.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type ConvWindowArgs, checkDataFormat, type DataFormat, type Padding, type Window2D } from '../conv_util.js';
import type { TensorInput } from '../convert.js';
import { conv2dInfo, conv2dNHWC } from './conv2d.js';
import { depthwiseConv2dInfo, depthwiseConv2dNHWC } from './depthwise_conv2d.js';
import { convOperands, throughNHWC } from './nhwc.js';

export interface SeparableConv2DArgs {
  /** [batch, height, width, inChannels] (NHWC) or [batch, inChannels, height, width] (NCHW); rank 3 means batch 1. */
  input: TensorInput;
  /** [filterHeight, filterWidth, inChannels, channelMultiplier]: the depthwise step's filter. */
  depthwiseFilter: TensorInput;
  /** [1, 1, inChannels · channelMultiplier, outChannels]: the 1×1 step's filters. */
  pointwiseFilter: TensorInput;
  /** The depthwise step's strides (the 1×1 step's are 1). */
  strides?: Window2D;
  padding: Padding;
  dilations?: Window2D;
  dataFormat?: DataFormat;
}

/** Where the two steps of a separable convolution go: the depthwise one, then the 1×1 one. */
export interface SeparableConv2DInfo {
  depthwise: DepthwiseConv2DInfo;
  pointwise: Conv2DInfo;
}

const OP = 'separableConv2d';
const POINTWISE_LAYOUT = '[1, 1, inChannels · channelMultiplier, outChannels]';

/** Works out both steps' geometry for an NHWC input of `inShape`, validating both filters against it. */
export function separableConv2dInfo(
  args: ConvWindowArgs,
  inShape: number[],
  depthwiseShape: number[],
  pointwiseShape: number[],
  dataFormat: DataFormat,
): SeparableConv2DInfo {
  const depthwise = depthwiseConv2dInfo(args, inShape, depthwiseShape, dataFormat, { op: OP, filterArg: 'depthwiseFilter' });
  const [height, width, pointwiseIn, outChannels] = pointwiseShape;
  if (height !== 1 || width !== 1) {
    throw new ConvlensError(`${OP}: pointwiseFilter must be 1×1, got shape ${formatShape(pointwiseShape)} (expected ${POINTWISE_LAYOUT})`);
  }
  if (pointwiseIn !== depthwise.outChannels) {
    throw new ConvlensError(
      `${OP}: pointwiseFilter's input depth ${pointwiseIn} does not match the depthwise step's output depth ${depthwise.outChannels} (inChannels ${depthwise.inChannels} · channelMultiplier ${depthwise.channelMultiplier}; pointwiseFilter shape ${formatShape(pointwiseShape)} is ${POINTWISE_LAYOUT})`,
    );
  }
  if (outChannels === 0) {
    throw new ConvlensError(`${OP}: pointwiseFilter must have at least 1 output channel, got shape ${formatShape(pointwiseShape)}`);
  }
  const depthwiseOut = [depthwise.batch, depthwise.outHeight, depthwise.outWidth, depthwise.outChannels];
  // a 1×1 window at stride 1 pads nothing either way; SAME (unlike VALID) also takes a depthwise result with no rows or
  // columns, which conv2d refuses under VALID as a window larger than the input (and which would then be named as conv2d's)
  const pointwise = conv2dInfo({ strides: 1, padding: 'SAME' }, depthwiseOut, pointwiseShape, 'NHWC');
  return { depthwise, pointwise };
}

/**
 * TensorFlow's `tf.nn.separable_conv2d`: a depthwise convolution (each input channel with its own
 * `channelMultiplier` filters, TensorFlow's padding, strides and dilations), then a 1×1
 * convolution that mixes its channels into `outChannels`.
 */
export function separableConv2d(args: SeparableConv2DArgs): Tensor<'float32'> {
  checkOptions(OP, args, ['input', 'depthwiseFilter', 'pointwiseFilter', 'strides', 'padding', 'dilations', 'dataFormat']);
  const dataFormat = checkDataFormat(OP, args.dataFormat);
  const {
    input,
    filters: [depthwiseFilter, pointwiseFilter],
  } = convOperands(OP, args.input, { depthwiseFilter: args.depthwiseFilter, pointwiseFilter: args.pointwiseFilter }, args.padding);
  return throughNHWC(input, dataFormat, (x) => {
    const info = separableConv2dInfo(args, x.shape, depthwiseFilter.shape, pointwiseFilter.shape, dataFormat);
    const depthwise = depthwiseConv2dNHWC(x, depthwiseFilter, info.depthwise, undefined, OP);
    return conv2dNHWC(depthwise, pointwiseFilter, info.pointwise, undefined, OP);
  });
}
