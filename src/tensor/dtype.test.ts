import { afterEach, describe, expect, it, vi } from 'vitest';

/** dtype.ts as a fresh module, with CONVLENS_POISON_OUTPUTS as given (it is read when the module loads). */
async function dtypeModule(poison: string) {
  vi.resetModules();
  vi.stubEnv('CONVLENS_POISON_OUTPUTS', poison);
  return import('./dtype.js');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('allocateOutput', () => {
  it('gives arrays of the dtype and length asked for, each with memory of its own, large or small', async () => {
    const { allocateOutput } = await dtypeModule('');
    for (const size of [0, 10, 1 << 20]) {
      const f = allocateOutput('float32', size);
      const g = allocateOutput('float32', size);
      expect(f).toBeInstanceOf(Float32Array);
      expect(f.length).toBe(size);
      if (size > 0) {
        f.fill(1.5);
        g.fill(-2);
        expect(f[size - 1]).toBe(1.5); // no aliasing between two results
      }
      expect(allocateOutput('int32', size)).toBeInstanceOf(Int32Array);
      expect(allocateOutput('uint8', size).length).toBe(size);
      expect(allocateOutput('bool', size)).toBeInstanceOf(Uint8Array);
    }
    // plain typed arrays, not Node Buffers (whose slice() would share memory)
    const bytes = allocateOutput('uint8', 1 << 20);
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    bytes[0] = 7;
    const copy = bytes.slice(0, 1);
    copy[0] = 9;
    expect(bytes[0]).toBe(7);
    // small arrays are zeroed as allocate's are (only large ones skip it)
    expect(Array.from(allocateOutput('float32', 100))).toEqual(new Array(100).fill(0));
  });

  it('a size no array can hold is an error naming the op', async () => {
    const { allocateOutput } = await dtypeModule('');
    expect(() => allocateOutput('float32', 2 ** 40, 'conv2d')).toThrow(/conv2d: cannot allocate .* the result is too large/);
  });

  it('with CONVLENS_POISON_OUTPUTS=1 (as the tests run) fills them with NaN, or -1 for integers', async () => {
    const { allocateOutput } = await dtypeModule('1');
    expect(Array.from(allocateOutput('float32', 3))).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(Array.from(allocateOutput('int32', 2 ** 18).subarray(0, 2))).toEqual([-1, -1]);
    expect(Array.from(allocateOutput('uint8', 2))).toEqual([255, 255]);
  });
});
