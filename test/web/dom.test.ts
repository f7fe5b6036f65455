/** The playground's number helpers (web/src/dom.ts): what a kernel cell reads and how numbers are shown. */
import { describe, expect, it } from 'vitest';
import { beyondFloat32, formatNumber, formatPercent, parseNumber } from '../../web/src/dom.js';

/** float32's largest value, from its definition: (2 − 2^−23) × 2^127. */
const FLOAT32_MAX = (2 - 2 ** -23) * 2 ** 127;

describe('kernel cells', () => {
  it('read numbers and fractions as people type them', () => {
    expect(parseNumber('−2')).toBe(-2);
    expect(parseNumber('1,5')).toBe(1.5);
    expect(parseNumber(' 1 / 4 ')).toBe(0.25);
    expect(parseNumber('1e38')).toBe(1e38);
    expect(parseNumber('abc')).toBeUndefined();
    expect(parseNumber('1/0')).toBeUndefined();
  });

  it('refuse a fraction beyond float32, as they refuse such a number, and name both so', () => {
    const written = `${'34'}${'0'.repeat(37)}`; // 3.4e38 without an exponent, which a fraction's parts cannot have
    expect(Number(written)).toBeLessThan(FLOAT32_MAX);
    expect(parseNumber(`${written}/0.1`)).toBeUndefined();
    expect(beyondFloat32(`${written}/0.1`)).toBe(true);
    expect(parseNumber('1e39')).toBeUndefined();
    expect(beyondFloat32('1e39')).toBe(true);
    expect(beyondFloat32('Infinity')).toBe(true);
    expect(parseNumber(`${written}/1`)).toBe(3.4e38);
    expect(beyondFloat32(`${written}/1`)).toBe(false);
    expect(beyondFloat32('abc')).toBe(false);
  });
});

describe('numbers shown', () => {
  it('write huge values with 4 significant digits, not every digit of the double', () => {
    expect(formatNumber(Math.fround(3e38), 2)).toBe('3e+38');
    expect(formatNumber(2.6999999999999997e39, 4)).toBe('2.7e+39');
    expect(formatNumber(-Math.fround(1e38), 2)).toBe('−1e+38');
    expect(formatNumber(-2.83, 2)).toBe('−2.83');
    expect(formatNumber(1 / 3, 2)).toBe('0.33');
  });

  it('never call a share 0% or 100% when it is neither', () => {
    expect(formatPercent(636_804, 640_000)).toBe('>99%');
    expect(formatPercent(3, 640_000)).toBe('<1%');
    expect(formatPercent(640_000, 640_000)).toBe('100%');
    expect(formatPercent(0, 640_000)).toBe('0%');
    expect(formatPercent(1, 2)).toBe('50%');
  });
});
