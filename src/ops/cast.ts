import { ConvlensError, describeValue } from '../errors.js';
import { allocate, type DType, isDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { asTensor, type TensorInput } from './convert.js';

/**
 * Converts to another dtype as TensorFlow does: float → integer truncates toward zero
 * (integers then wrap to the type's range), anything → bool is `value != 0`.
 */
export function cast<D extends DType>(x: TensorInput, dtype: D): Tensor<D> {
  const t = asTensor('cast', 'x', x);
  if (!isDType(dtype)) throw new ConvlensError(`cast: unknown dtype ${describeValue(dtype)} (expected float32, int32, uint8 or bool)`);
  if (t.dtype === dtype) return t as Tensor<D>;
  const out = allocate(dtype, t.size, 'cast');
  if (dtype === 'bool') for (let i = 0; i < t.size; i++) out[i] = t.data[i] !== 0 ? 1 : 0;
  else if (dtype === 'float32' || t.dtype !== 'float32') out.set(t.data);
  else for (let i = 0; i < t.size; i++) out[i] = Math.trunc(t.data[i]);
  return new Tensor(out, t.shape, dtype);
}
