import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataExtent, finiteExtent } from './extent.js';

// The extents against a plain reference: Math.min/Math.max over the values kept.
const reference = (data: number[], keep: (v: number) => boolean): [number, number] => {
  const kept = data.filter(keep);
  return kept.length ? [Math.min(...kept), Math.max(...kept)] : [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
};
// -0 and 0 are the same extent (which of them comes back depends on their order)
const same = (a: [number, number], b: [number, number]) => a[0] === b[0] && a[1] === b[1];
const values = fc.array(fc.float({ noDefaultInfinity: false, noNaN: false }), { maxLength: 300 });

describe('dataExtent and finiteExtent', () => {
  it('dataExtent is the min and max of the values that are not NaN, of float32 and float64 arrays', () => {
    fc.assert(
      fc.property(values, (data) => {
        const expected = reference(data, (v) => !Number.isNaN(v));
        return same(dataExtent(Float32Array.from(data)), expected) && same(dataExtent(Float64Array.from(data)), expected);
      }),
    );
  });

  it('finiteExtent leaves out ±Infinity too', () => {
    fc.assert(fc.property(values, (data) => same(finiteExtent(Float32Array.from(data)), reference(data, Number.isFinite))));
    expect(finiteExtent([Number.NaN, Number.POSITIVE_INFINITY])).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });
});
