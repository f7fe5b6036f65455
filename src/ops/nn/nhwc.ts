import { ConvlensError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import type { DataFormat } from '../conv_util.js';
import { asTensor, checkFloat, checkRank, type TensorInput } from '../convert.js';
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

/**
 * A convolution op's operands as float32 tensors, checked as every convolution checks them: each
 * converted, then the input's rank (3 or 4) and each filter's (4), then that each is float, then
 * that padding is given. `filters` are by argument name, in order.
 */
export function convOperands(
  op: string,
  input: TensorInput,
  filters: Record<string, TensorInput>,
  padding: unknown,
): { input: Tensor<'float32'>; filters: Tensor<'float32'>[] } {
  const x = asTensor(op, 'input', input, 'float32');
  const named = Object.entries(filters).map(([name, value]) => [name, asTensor(op, name, value, 'float32')] as const);
  checkRank(op, 'input', x, [3, 4]);
  for (const [name, f] of named) checkRank(op, name, f, [4]);
  checkFloat(op, 'input', x);
  for (const [name, f] of named) checkFloat(op, name, f);
  if (padding === undefined) throw new ConvlensError(`${op}: padding is required ('SAME', 'VALID' or explicit pairs)`);
  return { input: x as Tensor<'float32'>, filters: named.map(([, f]) => f as Tensor<'float32'>) };
}
