import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { tensor } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';

export interface GaussianOptions {
  /**
   * How the kernel is scaled: `'sum'` (default) makes its values sum to 1 so a blur keeps
   * brightness; `'trapz'` divides the 1-D profile by its trapezoid-rule integral, as Kaggle's
   * learntools `gaussian()` does; `false` leaves the peak at 1.
   */
  normalize?: 'sum' | 'trapz' | false;
}

/** The largest size: a 4096×4096 kernel (16.8M values, 64 MB) is far beyond any use as a filter. */
const MAX_SIZE = 4096;

/** A size×size Gaussian kernel (float32), the outer product of a sampled 1-D Gaussian. */
export function gaussian(size = 3, std = 1, options: GaussianOptions = {}): Tensor {
  if (!Number.isInteger(size) || size < 1) throw new ConvlensError(`gaussian: size must be a positive integer, got ${describeValue(size)}`);
  if (size > MAX_SIZE) throw new ConvlensError(`gaussian: size must be at most ${MAX_SIZE}, got ${size}`);
  if (!(typeof std === 'number' && std > 0 && Number.isFinite(std))) {
    throw new ConvlensError(`gaussian: std must be a positive number, got ${describeValue(std)}`);
  }
  checkOptions('gaussian', options, ['normalize']);
  const { normalize = 'sum' } = options;
  if (normalize !== 'sum' && normalize !== 'trapz' && normalize !== false) {
    throw new ConvlensError(`gaussian: normalize must be 'sum', 'trapz' or false, got ${describeValue(normalize)}`);
  }
  const centre = (size - 1) / 2;
  const oneD = Float64Array.from({ length: size }, (_, n) => Math.exp(-0.5 * ((n - centre) / std) ** 2));
  if (normalize === 'trapz' && size > 1) {
    const integral = oneD.reduce((a, b) => a + b, 0) - (oneD[0] + oneD[size - 1]) / 2;
    for (let n = 0; n < size; n++) oneD[n] /= integral;
  }
  // in float64, summed row by row, then rounded once to float32
  let total = 1;
  if (normalize === 'sum') {
    total = 0;
    for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) total += oneD[a] * oneD[b];
  }
  const values = new Float32Array(size * size);
  for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) values[a * size + b] = (oneD[a] * oneD[b]) / total;
  return tensor(values, [size, size], 'float32');
}
