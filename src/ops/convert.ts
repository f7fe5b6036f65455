import { ConvlensError, describeValue } from '../errors.js';
import type { TensorLike } from '../tensor/create.js';
import { foreignTensorHint, fromValues } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** An op argument: a Tensor, or values `tensor()` accepts. */
export type TensorInput = Tensor | TensorLike;

/** Converts an op's argument to a Tensor, naming the op and argument if it cannot. */
export function asTensor(op: string, arg: string, value: TensorInput, dtype?: DType): Tensor {
  if (value instanceof Tensor) return value;
  if (value === undefined || value === null) throw new ConvlensError(`${op}: argument '${arg}' is missing (expected a tensor)`);
  if (typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new ConvlensError(
      `${op}: argument '${arg}' must be a tensor or an array, got ${describeValue(value)}${foreignTensorHint(value)}`,
    );
  }
  return fromValues(op, value, undefined, dtype, false, `'${arg}'`);
}

export function checkRank(op: string, arg: string, t: Tensor, ranks: number[]): void {
  if (!ranks.includes(t.rank)) {
    const expected = ranks.length === 1 ? `rank ${ranks[0]}` : `rank ${ranks.join(' or ')}`;
    throw new ConvlensError(`${op}: '${arg}' must be ${expected}, got rank ${t.rank} with shape ${formatShape(t.shape)}`);
  }
}

export function checkFloat(op: string, arg: string, t: Tensor): asserts t is Tensor<'float32'> {
  if (t.dtype !== 'float32') throw new ConvlensError(`${op}: '${arg}' must be float32, got ${t.dtype} (${toFloatHint(t.dtype)})`);
}

/**
 * How to make float32 from `dtype`: an image's uint8 the lesson's way (0..1), other types by cast.
 * A layer's or model's input (`forModel`) may be a model that scales 0..255 itself (a Rescaling
 * layer first, as Keras' tutorials build them), which takes the pixels cast, not divided.
 */
export function toFloatHint(dtype: DType, forModel = false): string {
  if (dtype !== 'uint8') return "convert it with cast(x, 'float32')";
  const lesson = "an image: convert it with image.convertImageDtype(x, 'float32'), to 0..1 as the lesson does";
  return forModel ? `${lesson}, or cast(x, 'float32') for a model that scales 0..255 itself (a Rescaling layer first)` : lesson;
}
