import { unzlibSync, zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { inflateZlib } from './inflate.js';
import { inflateNode } from './zlib_node.js';

function sample(n: number): Uint8Array {
  const a = new Uint8Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = i % 7 === 0 ? s >>> 24 : a[Math.max(0, i - 3)]; // some repetition, some noise
  }
  return a;
}

describe('inflateZlib (Node: native zlib; elsewhere fflate)', () => {
  it('gives the bytes fflate gives, at every compression level', () => {
    const raw = sample(200_000);
    for (const level of [0, 1, 6, 9] as const) {
      const z = zlibSync(raw, { level });
      expect(inflateNode(z, raw.length)).toEqual(unzlibSync(z));
      expect(inflateZlib(z, raw.length)).toEqual(raw);
    }
  });

  it('ignores data past the expected length, as the portable path does (no unbounded inflation)', () => {
    const raw = sample(50_000);
    const z = zlibSync(raw);
    expect(inflateNode(z, 20_000)).toBeUndefined();
    expect(inflateZlib(z, 20_000)).toEqual(raw.subarray(0, 20_000));
  });

  it('without a size, inflates the whole stream (an ICC profile)', () => {
    const raw = sample(30_000);
    expect(inflateZlib(zlibSync(raw))).toEqual(raw);
  });

  it('gives what a truncated stream holds, and throws on a corrupt one', () => {
    const raw = sample(100_000);
    const z = zlibSync(raw);
    const part = inflateZlib(z.subarray(0, z.length >> 1), raw.length);
    expect(part.length).toBeGreaterThan(0);
    expect(part.length).toBeLessThan(raw.length);
    expect(part).toEqual(raw.subarray(0, part.length));
    const bad = Uint8Array.from(z);
    bad[10] ^= 0xff;
    expect(() => inflateZlib(bad, raw.length)).toThrow();
  });
});
