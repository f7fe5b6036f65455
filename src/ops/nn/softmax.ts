import { backend } from '../../backend/registry.js';
import { ConvlensError } from '../../errors.js';
import { normalizeAxis } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { asTensor, checkFloat, type TensorInput } from '../convert.js';
import { transpose } from '../transpose.js';

/** exp(x) / sum(exp(x)) along `axis` (default the last; null too, as TensorFlow's `axis=None`), computed stably. */
export function softmax(logits: TensorInput, axis: number | null = -1): Tensor<'float32'> {
  const t = asTensor('softmax', 'logits', logits, 'float32');
  checkFloat('softmax', 'logits', t);
  // TensorFlow refuses a scalar: there is no axis to normalise over.
  if (t.rank === 0) throw new ConvlensError("softmax: 'logits' must have rank 1 or more, got a scalar");
  const a = normalizeAxis('softmax', axis ?? -1, t.rank);
  // Move the axis last so each softmax row is contiguous, then move it back.
  const perm = t.shape
    .map((_, i) => i)
    .filter((i) => i !== a)
    .concat(a);
  const moved = a === t.rank - 1 ? t : (transpose(t, perm) as Tensor<'float32'>);
  const out = new Float32Array(t.size);
  if (t.size > 0) backend().softmax(moved.data, t.shape[a], out);
  const result = new Tensor(out, moved.shape, 'float32');
  if (a === t.rank - 1) return result;
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return transpose(result, inverse) as Tensor<'float32'>;
}
