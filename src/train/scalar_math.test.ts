import { describe, expect, it } from 'vitest';
import { erfc, sigmoid, softplus } from './scalar_math.js';

describe('scalar functions behind gelu, swish and mish', () => {
  it('erfc matches its tabulated values to 1e-12 relative, on both sides of the switch at 2.5 and in the far tail', () => {
    // erfc(x) = 1 − erf(x), values as tabulated (Abramowitz & Stegun, table 7.1, and Python's math.erfc)
    const table: [number, number][] = [
      [0, 1],
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028513],
      [2, 0.004677734981047265],
      [2.4999, 0.0004071699003334514],
      [2.5, 0.0004069520174449589],
      [3, 2.2090496998585438e-5],
      [5, 1.5374597944280351e-12],
      [10, 2.088487583762545e-45],
      [-1, 1.842700792949715],
      [-3, 1.9999779095030015],
    ];
    for (const [x, expected] of table) expect(Math.abs(erfc(x) - expected) / expected, `erfc(${x})`).toBeLessThan(1e-12);
    expect(erfc(Number.NaN)).toBeNaN();
    expect(erfc(Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('sigmoid and softplus stay finite and accurate at large |x|', () => {
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(-50)).toBeCloseTo(Math.exp(-50), 30);
    expect(softplus(0)).toBe(Math.LN2);
  });
});
