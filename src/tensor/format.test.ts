import { describe, expect, it } from 'vitest';
import { constant, tensor } from './create.js';
import { formatTensor } from './format.js';

describe('toString: aligned matrix text', () => {
  it('right-aligns float columns to the widest number', () => {
    expect(
      tensor([
        [1, -10],
        [100, 2],
      ]).toString(),
    ).toBe('[[  1.0, -10.0],\n [100.0,   2.0]]');
  });

  it('prints integers without decimals', () => {
    expect(
      constant([
        [1, -10],
        [100, 2],
      ]).toString(),
    ).toBe('[[  1, -10],\n [100,   2]]');
    expect(constant(7).toString()).toBe('7');
  });

  it('shows as many decimals as the values need, up to 4', () => {
    expect(tensor([0.5, 0.25]).toString()).toBe('[0.50, 0.25]');
    expect(tensor([1 / 3]).toString()).toBe('[0.3333]');
    expect(tensor(3.5).toString()).toBe('3.5');
    expect(formatTensor(tensor([1, 2]), { digits: 3 })).toBe('[1.000, 2.000]');
  });

  it('spells NaN, infinities and booleans like NumPy, and hides the sign of zero', () => {
    expect(tensor([Number.NaN, Number.NEGATIVE_INFINITY, -0]).toString()).toBe('[ nan, -inf,  0.0]');
    expect(tensor([true, false]).toString()).toBe('[ true, false]');
  });

  it('separates the blocks of a rank-3 tensor with a blank line', () => {
    expect(constant([[[1, 2]], [[3, 4]]]).toString()).toBe('[[[1, 2]],\n\n [[3, 4]]]');
  });

  it('summarises large tensors with ... along every long axis', () => {
    const text = tensor(
      Array.from({ length: 10_000 }, (_, i) => i),
      [100, 100],
    ).toString();
    const lines = text.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[3]).toBe(' ...,');
    // scientific, as NumPy prints np.arange(10000.).reshape(100, 100): 9999 / 1 is over 1000
    expect(lines[0]).toBe('[[0.000e+00, 1.000e+00, 2.000e+00, ..., 9.700e+01, 9.800e+01, 9.900e+01],');
    expect(lines[6]).toBe(' [9.900e+03, 9.901e+03, 9.902e+03, ..., 9.997e+03, 9.998e+03, 9.999e+03]]');
    // Every number column lines up.
    const ends = lines.filter((l) => l.includes('0.0')).map((l) => [...l.matchAll(/\d\.\d/g)].map((m) => m.index));
    for (const row of ends) expect(row).toEqual(ends[0]);
  });

  it('switches to scientific notation where NumPy does, so small values do not print as 0', () => {
    // NumPy 2.4 prints these float32 arrays as [1.e-08 2.e-07], [1.5e-07 2.0e-07], [1.e-05 1.e+03],
    // [1.e-04 1.e+00], [1.2345679e+08 1.0000000e+00] and [ 0.  1. 99.]
    expect(tensor([1e-8, 2e-7]).toString()).toBe('[1.0e-08, 2.0e-07]');
    expect(tensor([1.5e-7, 2e-7]).toString()).toBe('[1.5e-07, 2.0e-07]');
    expect(tensor([1e-5, 1000]).toString()).toBe('[1.0e-05, 1.0e+03]');
    expect(tensor([0.0001, 1]).toString()).toBe('[1.0e-04, 1.0e+00]');
    expect(tensor([123456789, 1]).toString()).toBe('[1.2346e+08, 1.0000e+00]');
    expect(tensor([0, 1, 99]).toString()).toBe('[ 0.0,  1.0, 99.0]');
    expect(tensor([-1e-8, 0]).toString()).toBe('[-1.0e-08,  0.0e+00]');
    // asked-for digits keep fixed notation
    expect(formatTensor(tensor([1e-8, 1]), { digits: 4 })).toBe('[0.0000, 1.0000]');
  });

  it('takes decimals and width from the values shown, not the hidden ones', () => {
    const values = Array.from({ length: 2000 }, () => 1);
    values[1000] = 123456.789;
    expect(tensor(values).toString()).toBe('[1.0, 1.0, 1.0, ..., 1.0, 1.0, 1.0]');
  });

  it('does not summarise at or below the threshold', () => {
    expect(tensor(new Float32Array(1000)).toString()).not.toContain('...');
    expect(tensor(new Float32Array(1001)).toString()).toContain('...');
  });

  it('prints empty tensors as empty brackets', () => {
    expect(tensor([]).toString()).toBe('[]');
    expect(tensor(new Float32Array(0), [2, 0]).toString()).toBe('[[],\n []]');
  });
});
