import { backend } from '../../backend/registry.js';
import type { Conv2DEpilogue, Conv2DInfo } from '../../backend/types.js';
import { ConvlensError, checkOptions } from '../../errors.js';
import { allocateOutput } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkDataFormat, convWindowGeometry, type DataFormat, type Padding, type Window2D } from '../conv_util.js';
import type { TensorInput } from '../convert.js';
import { convOperands, throughNHWC } from './nhwc.js';

export interface Conv2DArgs {
  /** [batch, height, width, inChannels] (NHWC) or [batch, inChannels, height, width] (NCHW); rank 3 means batch 1. */
  input: TensorInput;
  /** [filterHeight, filterWidth, inChannels, outChannels]. */
  filters: TensorInput;
  strides?: Window2D;
  padding: Padding;
  dilations?: Window2D;
  dataFormat?: DataFormat;
}

const OP = 'conv2d';

/** Works out the geometry of a convolution of NHWC `input` with `filters`, validating both. */
export function conv2dInfo(
  args: Omit<Conv2DArgs, 'input' | 'filters'>,
  inShape: number[],
  filterShape: number[],
  dataFormat: DataFormat,
): Conv2DInfo {
  const [batch, inHeight, inWidth, inChannels] = inShape;
  const [filterHeight, filterWidth, filterInChannels, outChannels] = filterShape;
  if (filterShape.some((d) => d === 0)) {
    throw new ConvlensError(`${OP}: filters must not have a zero-size dimension, got shape [${filterShape.join(', ')}]`);
  }
  if (inChannels !== filterInChannels) {
    throw new ConvlensError(`${OP}: input depth ${inChannels} does not match filters' input depth ${filterInChannels}`);
  }
  const geometry = convWindowGeometry(OP, args, inShape, [filterHeight, filterWidth], dataFormat);
  return { batch, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth, ...geometry };
}

/**
 * Runs an NHWC convolution kernel; shared by `conv2d`, `separableConv2d` (`op` names it in errors)
 * and layers that fuse a bias and ReLU. `allocate` gives the output's array (by default a new one).
 */
export function conv2dNHWC(
  input: Tensor<'float32'>,
  filters: Tensor<'float32'>,
  info: Conv2DInfo,
  epilogue?: Conv2DEpilogue,
  op = OP,
  allocate = (length: number) => allocateOutput('float32', length, op),
): Tensor<'float32'> {
  const { batch, outHeight, outWidth, outChannels } = info;
  const out = allocate(batch * outHeight * outWidth * outChannels);
  if (out.length > 0) backend().conv2d(input.data, filters.data, info, out, epilogue);
  return new Tensor(out, [batch, outHeight, outWidth, outChannels], 'float32');
}

/**
 * TensorFlow's `tf.nn.conv2d`: slides each filter over the input and sums the products
 * (cross-correlation), with TensorFlow's SAME/VALID/explicit padding arithmetic.
 */
export function conv2d(args: Conv2DArgs): Tensor<'float32'> {
  checkOptions(OP, args, ['input', 'filters', 'strides', 'padding', 'dilations', 'dataFormat']);
  const dataFormat = checkDataFormat(OP, args.dataFormat);
  const {
    input,
    filters: [filters],
  } = convOperands(OP, args.input, { filters: args.filters }, args.padding);
  return throughNHWC(input, dataFormat, (x) => conv2dNHWC(x, filters, conv2dInfo(args, x.shape, filters.shape, dataFormat)));
}
