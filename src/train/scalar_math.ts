// Scalar functions the activations and their gradients share, in float64 (not public API).

/** The slope of hard_sigmoid as tfjs and tf.keras 2 compute it in float32: clip(0.2x + 0.5, 0, 1). */
export const HARD_SIGMOID_SLOPE = Math.fround(0.2);

/** √(2/π) and the cubic coefficient of gelu's tanh approximation (gelu_new). */
export const GELU_TANH_SCALE = Math.sqrt(2 / Math.PI);
export const GELU_TANH_CUBIC = 0.044715;

export const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** The logistic function 1 / (1 + e^(−x)): e^(−x) overflowing to ∞ for very negative x gives 0, as it should. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** log(1 + e^x) without overflow or loss for large |x|. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * The complementary error function, to about 1e-13 relative (JavaScript has none): erf's
 * series of positive terms below 2.5, erfc's continued fraction above, where 1 − erf would cancel.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) return 1 - erfSeries(x);
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the bottom
  let fraction = x;
  for (let n = 60; n >= 1; n--) fraction = x + n / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** erf(x) = 2/√π · e^(−x²) · Σ x(2x²)ⁿ / (1·3·…·(2n+1)), for 0 ≤ x < 2.5. */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}
