import { ConvlensError, describeValue } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { asTensor, type TensorInput } from './convert.js';

/**
 * `tf.math.confusion_matrix`: how often each class (row, from `labels`) was predicted as each
 * class (column, from `predictions`), as an int32 [numClasses, numClasses] tensor; the diagonal
 * holds the right answers. `numClasses` defaults to one more than the largest class seen, as in
 * TensorFlow. Labels or predictions outside [0, numClasses) are refused, as TensorFlow refuses
 * them (tfjs counts them nowhere); so are values that are not whole numbers, which TensorFlow
 * would truncate (a model's probabilities passed by mistake would count as class 0).
 */
export function confusionMatrix(labels: TensorInput, predictions: TensorInput, numClasses?: number): Tensor<'int32'> {
  const truth = classIndices('labels', labels);
  const guess = classIndices('predictions', predictions);
  if (truth.length !== guess.length) {
    throw new ConvlensError(
      `confusionMatrix: labels and predictions must have the same length, got ${truth.length} labels and ${guess.length} predictions`,
    );
  }
  const n = classCount(truth, guess, numClasses);
  for (const [arg, values] of [
    ['labels', truth],
    ['predictions', guess],
  ] as const) {
    const at = values.findIndex((v) => v >= n);
    if (at >= 0) {
      throw new ConvlensError(`confusionMatrix: ${arg}[${at}] is ${values[at]}, not a class below numClasses ${n}`);
    }
  }
  const out = allocate('int32', n * n, 'confusionMatrix');
  for (let i = 0; i < truth.length; i++) out[truth[i] * n + guess[i]]++;
  return new Tensor(out, [n, n], 'int32');
}

/** A 1-D tensor of class indices (length-1 axes dropped, as TensorFlow squeezes them), checked. */
function classIndices(arg: 'labels' | 'predictions', value: TensorInput): Int32Array {
  const t = asTensor('confusionMatrix', arg, value);
  const kept = t.shape.filter((d) => d !== 1);
  if (kept.length > 1) {
    const hint = arg === 'predictions' ? ` (for a model's output of one row per example, take argMax(output, 1))` : '';
    throw new ConvlensError(`confusionMatrix: ${arg} must be 1-D class indices, got shape ${formatShape(t.shape)}${hint}`);
  }
  const out = new Int32Array(t.size);
  for (let i = 0; i < t.size; i++) {
    const v = Number(t.data[i]);
    // int32 holds the index: a float32 2^32 stored there wrapped to class 0, counted without a word
    if (!Number.isInteger(v) || v < 0 || v > MAX_INDEX) {
      const fraction = Number.isFinite(v) && !Number.isInteger(v);
      const hint = fraction ? ' (for one sigmoid output per example, the classes are output > 0.5)' : '';
      const shown = t.dtype === 'float32' && !Number.isInteger(v) ? float32Text(v) : describeValue(v);
      const expected = v > MAX_INDEX && Number.isFinite(v) ? `at most ${MAX_INDEX}` : 'a whole number ≥ 0';
      throw new ConvlensError(`confusionMatrix: ${arg}[${i}] is ${shown}, not a class index (${expected})${hint}`);
    }
    out[i] = v;
  }
  return out;
}

function classCount(truth: Int32Array, guess: Int32Array, numClasses: number | undefined): number {
  if (numClasses !== undefined) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new ConvlensError(`confusionMatrix: numClasses must be a whole number ≥ 1, got ${describeValue(numClasses)}`);
    }
    return numClasses;
  }
  if (truth.length === 0) throw new ConvlensError('confusionMatrix: no labels to count classes from (give numClasses)');
  let [largest, at, arg] = [0, 0, 'labels'];
  for (const [name, values] of [
    ['labels', truth],
    ['predictions', guess],
  ] as const) {
    for (let i = 0; i < values.length; i++) if (values[i] > largest) [largest, at, arg] = [values[i], i, name];
  }
  // one stray large index would ask for gigabytes: the machine may well give them (memory is
  // overcommitted), so the default is refused past DEFAULT_MAX_CELLS rather than allocated
  if ((largest + 1) ** 2 > DEFAULT_MAX_CELLS) {
    const gigabytes = ((largest + 1) ** 2 * 4) / 2 ** 30;
    throw new ConvlensError(
      `confusionMatrix: ${arg}[${at}] is ${largest}, so the default numClasses ${largest + 1} would make a ${largest + 1} × ${largest + 1} matrix (${gigabytes.toPrecision(3)} GiB); give numClasses if so many classes are meant`,
    );
  }
  return largest + 1;
}

/** The largest class index int32 holds. */
const MAX_INDEX = 2 ** 31 - 1;

/** The most cells (1 GiB of int32) a matrix gets from the default numClasses, the largest index seen plus one. */
const DEFAULT_MAX_CELLS = 2 ** 28;

/** A float32's shortest decimal form (0.2, not 0.20000000298023224). */
function float32Text(v: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const short = Number(v.toPrecision(digits));
    if (Math.fround(short) === v) return String(short);
  }
  return String(v);
}
