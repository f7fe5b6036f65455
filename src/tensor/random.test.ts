import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { Random, randomNormal, randomUniform, setSeed } from './random.js';

describe('randomUniform and randomNormal', () => {
  it('draw from the given range and the same stream for the same seed', () => {
    const a = randomUniform([1000], -2, 3, new Random(7));
    expect(a.data.every((v) => v >= -2 && v < 3)).toBe(true);
    expect(randomUniform([1000], -2, 3, new Random(7)).data).toEqual(a.data);
    const n = randomNormal([20_000], 5, 2, new Random(1)).data;
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(mean).toBeCloseTo(5, 1);
    expect(std).toBeCloseTo(2, 1);
  });

  it('tells seeds apart by their bits above 32 too, as Keras takes any integer', () => {
    const draws = (seed: number) => {
      const r = new Random(seed);
      return [r.next(), r.next(), r.next()];
    };
    expect(draws(2 ** 32 + 1)).not.toEqual(draws(1));
    expect(draws(2 ** 33 + 1)).not.toEqual(draws(2 ** 32 + 1));
    expect(draws(Number.MAX_SAFE_INTEGER)).not.toEqual(draws(2 ** 32 - 1));
    expect(draws(2 ** 40 + 3)).toEqual(draws(2 ** 40 + 3));
  });

  it.each([
    ['a mean that is not a number', () => randomNormal([3], 'abc' as never), /^randomNormal: mean must be a number \(finite\), got "abc"$/],
    [
      'an infinite maxval',
      () => randomUniform([3], 0, Number.POSITIVE_INFINITY),
      /^randomUniform: maxval must be a number \(finite\), got Infinity$/,
    ],
    ['a BigInt', () => randomUniform([3], 0, 10n as never), /^randomUniform: maxval must be a number \(finite\), got 10n$/],
    [
      'a seed where the Random goes',
      () => randomNormal([3], 0, 1, 5 as never),
      /^randomNormal: random must be a Random \(new Random\(seed\)\), got 5$/,
    ],
    ['maxval below minval', () => randomUniform([3], 2, 1), /^randomUniform: maxval 1 must be greater than minval 2$/],
    ['a negative stddev', () => randomNormal([3], 0, -1), /^randomNormal: stddev must be non-negative, got -1$/],
    ['a bad shape', () => randomNormal([2.5]), /^randomNormal: shape \[2.5\] is not a list of non-negative integers$/],
    ['a seed that is a string', () => new Random('7' as never), /^Random: seed must be a finite number, got "7"$/],
    ['a seed that is a BigInt', () => new Random(7n as never), /^Random: seed must be a finite number, got 7n$/],
    ['a seed that is a Symbol', () => setSeed(Symbol('s') as never), /^setSeed: seed must be a finite number, got a Symbol$/],
    ['a NaN seed', () => setSeed(Number.NaN), /^setSeed: seed must be a finite number, got NaN$/],
  ])('%s', (_, fn, message) => expectConvlensError(fn, message));
});
