import { ConvlensError } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { formatShape, normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { asTensor, type TensorInput } from './convert.js';

/**
 * The index of the largest value along `axis` (default 0, as `tf.argmax`; null too, as its `axis=None`), as int32; the first
 * one on ties. A NaN is never larger than a number (as in tfjs), so it wins only where it comes first.
 */
export function argMax(x: TensorInput, axis: number | null = 0): Tensor<'int32'> {
  const t = asTensor('argMax', 'x', x);
  if (t.rank === 0) throw new ConvlensError('argMax: x must have at least one axis, got a scalar');
  const a = normalizeAxis('argMax', axis ?? 0, t.rank);
  const n = t.shape[a];
  if (n === 0) throw new ConvlensError(`argMax: axis ${a} of shape ${formatShape(t.shape)} is empty: there is no largest value`);
  const inner = t.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outer = t.size / (n * inner);
  const out = allocate('int32', outer * inner);
  const data = t.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = 0;
      let max = data[base];
      for (let k = 1; k < n; k++) {
        const v = data[base + k * inner];
        if (v > max) {
          max = v;
          best = k;
        }
      }
      out[o * inner + i] = best;
    }
  }
  return new Tensor(
    out,
    t.shape.filter((_, i) => i !== a),
    'int32',
  );
}
