import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
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

  it('dataExtent gives what one scan in order gives, to the sign of a zero end (the first zero met), at any length', () => {
    // the definition: a running min and max over the values in order, NaN never taken
    const inOrder = (data: ArrayLike<number>): [number, number] => {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < data.length; i++) {
        if (data[i] < lo) lo = data[i];
        if (data[i] > hi) hi = data[i];
      }
      return [lo, hi];
    };
    const zerosAndOthers = fc.array(fc.oneof(fc.constantFrom(0, -0, Number.NaN), fc.float({ min: -2, max: 2 })), { maxLength: 40 });
    fc.assert(
      fc.property(zerosAndOthers, (data) => {
        const array = Float32Array.from(data);
        const [lo, hi] = dataExtent(array);
        const [expectedLo, expectedHi] = inOrder(array);
        return Object.is(lo, expectedLo) && Object.is(hi, expectedHi);
      }),
      { numRuns: 2000 },
    );
  });

  it('finiteExtent leaves out ±Infinity too', () => {
    fc.assert(fc.property(values, (data) => same(finiteExtent(Float32Array.from(data)), reference(data, Number.isFinite))));
    expect(finiteExtent([Number.NaN, Number.POSITIVE_INFINITY])).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it('stays compiled from call to call (V8 deoptimised it at the end of every call when it built its result after the loop)', () => {
    // this module bundled on its own, then 50 calls on a feature-map-sized array in a Node that
    // reports each deoptimisation; one is V8 learning a type, one per call was the bug
    const dir = mkdtempSync(join(tmpdir(), 'convlens-extent-'));
    try {
      const script = join(dir, 'extent.mjs');
      const bundled = buildSync({
        entryPoints: [fileURLToPath(new URL('./extent.ts', import.meta.url))],
        bundle: true,
        format: 'esm',
        write: false,
      });
      const calls = `const data = new Float32Array(100000).map((_, i) => Math.sin(i) * 3.5);
for (let i = 0; i < 50; i++) dataExtent(data);`;
      writeFileSync(script, `${bundled.outputFiles[0].text}\n${calls}\n`);
      const trace = execFileSync(process.execPath, ['--trace-deopt', script], { encoding: 'utf8' });
      const deopts = trace.split('\n').filter((line) => /deoptimizing .*(dataExtent|scanExtent)/.test(line));
      expect(deopts.length).toBeLessThanOrEqual(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
