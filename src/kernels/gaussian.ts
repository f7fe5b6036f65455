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

/** A size×size Gaussian kernel (float32), the outer product of a sampled 1-D Gaussian. */
export function gaussian(size = 3, std = 1, options: GaussianOptions = {}): Tensor {
  if (!Number.isInteger(size) || size < 1) throw new ConvlensError(`gaussian: size must be a positive integer, got ${describeValue(size)}`);
  if (!(typeof std === 'number' && std > 0 && Number.isFinite(std))) {
    throw new ConvlensError(`gaussian: std must be a positive number, got ${describeValue(std)}`);
  }
  checkOptions('gaussian', options, ['normalize']);
  const { normalize = 'sum' } = options;
  if (normalize !== 'sum' && normalize !== 'trapz' && normalize !== false) {
    throw new ConvlensError(`gaussian: normalize must be 'sum', 'trapz' or false, got ${describeValue(normalize)}`);
  }
  const centre = (size - 1) / 2;
  const profile = Array.from({ length: size }, (_, n) => Math.exp(-0.5 * ((n - centre) / std) ** 2));
  let scale = 1;
  if (normalize === 'trapz') scale = size === 1 ? 1 : profile.reduce((a, b) => a + b, 0) - (profile[0] + profile[size - 1]) / 2;
  const oneD = profile.map((v) => v / scale);
  const values = oneD.flatMap((a) => oneD.map((b) => a * b));
  const total = values.reduce((a, b) => a + b, 0);
  return tensor(normalize === 'sum' ? values.map((v) => v / total) : values, [size, size], 'float32');
}
