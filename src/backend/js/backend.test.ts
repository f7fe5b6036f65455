import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../../test/helpers/backends.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { tf } from '../../../test/helpers/tf.js';
import { getBackend, setBackend } from '../registry.js';
import type { BackendName } from '../types.js';
import { jsBackend } from './index.js';

describe('backend registry', () => {
  it('always has the js reference backend, and the test suite sees every registered one', () => {
    expect(jsBackend.name).toBe('js');
    expect(BACKENDS[0]).toBe('js');
    expect(BACKENDS).toContain(getBackend());
  });

  it('rejects an unknown backend name, listing the available ones', () => {
    const before = getBackend();
    expectConvlensError(() => setBackend('nope' as BackendName), /^setBackend: unknown or unavailable backend "nope" \(available: js/);
    expect(getBackend()).toBe(before);
  });

  it('switches between registered backends', () => {
    const before = getBackend();
    for (const name of BACKENDS) {
      setBackend(name);
      expect(getBackend()).toBe(name);
    }
    setBackend(before);
  });
});

describe('js kernels on their own', () => {
  it('matMul multiplies row-major matrices', () => {
    const out = new Float32Array(4);
    jsBackend.matMul(new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([1, 0, 0, 1, 1, 1]), 2, 3, 2, out);
    expect(Array.from(out)).toEqual([4, 5, 10, 11]);
  });

  it('matMul lets 0 · NaN be NaN, as tfjs', () => {
    const a = new Float32Array([0, 1]);
    const b = new Float32Array([Number.NaN, 2]);
    const out = new Float32Array(1);
    jsBackend.matMul(a, b, 1, 2, 1, out);
    expect(out[0]).toBe(tf.matMul(tf.tensor2d(a, [1, 2]), tf.tensor2d(b, [2, 1])).dataSync()[0]);
    expect(out[0]).toBeNaN();
  });

  it('conv2d fuses the bias and ReLU epilogue', () => {
    const info = {
      batch: 1,
      inHeight: 1,
      inWidth: 2,
      inChannels: 1,
      outHeight: 1,
      outWidth: 2,
      outChannels: 1,
      filterHeight: 1,
      filterWidth: 1,
      strideHeight: 1,
      strideWidth: 1,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: 0,
      padLeft: 0,
    };
    const out = new Float32Array(2);
    jsBackend.conv2d(new Float32Array([1, -3]), new Float32Array([2]), info, out, { bias: new Float32Array([1]), activation: 'relu' });
    expect(Array.from(out)).toEqual([3, 0]);
  });
});
