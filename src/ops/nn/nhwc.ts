import { Tensor } from '../../tensor/tensor.js';
import type { DataFormat } from '../conv_util.js';
import { transpose } from '../transpose.js';

/**
 * Runs `compute`, an NHWC computation on a batch, on `input` as a convolution op takes it: rank 3
 * is one example, and NCHW goes through transposes both ways.
 */
export function throughNHWC(
  input: Tensor<'float32'>,
  dataFormat: DataFormat,
  compute: (nhwc: Tensor<'float32'>) => Tensor<'float32'>,
): Tensor<'float32'> {
  const unbatched = input.rank === 3;
  let x: Tensor<'float32'> = unbatched ? new Tensor(input.data, [1, ...input.shape], 'float32') : input;
  if (dataFormat === 'NCHW') x = transpose(x, [0, 2, 3, 1]) as Tensor<'float32'>;
  let out = compute(x);
  if (dataFormat === 'NCHW') out = transpose(out, [0, 3, 1, 2]) as Tensor<'float32'>;
  return unbatched ? new Tensor(out.data, out.shape.slice(1), 'float32') : out;
}
