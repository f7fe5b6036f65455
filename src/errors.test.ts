import { describe, expect, it } from 'vitest';
import { ConvlensError, checkOptions, describeValue } from './errors.js';

describe('describeValue', () => {
  it('writes numbers as JavaScript does, NaN and Infinity included, and strings quoted', () => {
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue([1, Number.POSITIVE_INFINITY, -0.5])).toBe('[1, Infinity, -0.5]');
    expect(describeValue('same')).toBe('"same"');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(null)).toBe('null');
    expect(describeValue({ a: [2, Number.NaN] })).toBe('{ a: [2, NaN] }');
    expect(describeValue(new Float32Array(3))).toBe('a Float32Array of 3 elements');
    expect(describeValue(new DataView(new ArrayBuffer(4)))).toBe('a DataView of 4 bytes');
    expect(describeValue(new Map())).toBe('a Map');
    expect(describeValue({})).toBe('{}');
    expect(describeValue('x'.repeat(50))).toBe(`"${'x'.repeat(40)}…"`);
  });

  it('shows a long list by its start and length, so that a message stays short', () => {
    expect(describeValue(Array.from({ length: 8 }, (_, i) => i))).toBe('[0, 1, 2, 3, 4, 5, 6, 7]');
    expect(describeValue(new Array(100_000).fill(1))).toBe('[1, 1, 1, 1, 1, 1, 1, 1, … (100000 items)]');
    const manyKeys = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    expect(describeValue(manyKeys)).toBe('{ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, … (10 keys) }');
  });

  it('ends nesting four levels down, so that a list or object that holds itself gets a message, not a RangeError', () => {
    const list: unknown[] = [1];
    list.push(list);
    expect(describeValue(list)).toBe('[1, [1, [1, [1, […]]]]]');
    const object: Record<string, unknown> = { a: 1 };
    object.self = object;
    expect(describeValue(object)).toBe('{ a: 1, self: { a: 1, self: { a: 1, self: { a: 1, self: {…} } } } }');
  });

  it('names instances with the right article, and an unnamed class as an object', () => {
    expect(describeValue(new Int32Array(2))).toBe('an Int32Array of 2 elements');
    expect(describeValue(new Uint8Array(2))).toBe('a Uint8Array of 2 elements');
    expect(describeValue(Object.create({ input: 1 }))).toBe('an Object');
    expect(describeValue(new (class {})())).toBe('an object');
  });
});

describe('checkOptions', () => {
  const allowed = ['input', 'strides', 'useBias'];
  const message = (options: unknown) => {
    try {
      checkOptions('op', options, allowed);
    } catch (error) {
      expect(error).toBeInstanceOf(ConvlensError);
      return (error as Error).message;
    }
    return 'no error';
  };

  it('accepts known keys', () => {
    expect(message({ input: 1, strides: 2 })).toBe('no error');
    expect(message({})).toBe('no error');
  });

  it("names an unknown key and suggests the intended one: Python's snake_case, singular for plural", () => {
    expect(message({ use_bias: false })).toBe("op: unknown option 'use_bias' (did you mean 'useBias'?)");
    expect(message({ stride: 2 })).toBe("op: unknown option 'stride' (did you mean 'strides'?)");
    expect(message({ inputs: 2 })).toBe("op: unknown option 'inputs' (did you mean 'input'?)");
    expect(message({ colour: 2 })).toBe("op: unknown option 'colour' (expected one of input, strides, useBias)");
  });

  it('refuses what is not an options object', () => {
    for (const value of [null, undefined, 3, 'x', [1], new Float32Array(1), new Map()]) {
      expect(message(value)).toMatch(/^op: expected an options object \(\{ input, strides, useBias \}\), got /);
    }
  });
});
