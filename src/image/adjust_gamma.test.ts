import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { adjustGamma } from './adjust_gamma.js';

const f32 = Math.fround;

/** TF adjust_gamma on uint8, written out: x · float32(1/255), gain · x^gamma in float32, × 255.5 clipped to 0..255, truncated. */
function tfGammaU8(v: number, gamma: number, gain: number): number {
  const x = f32(v * f32(1 / 255));
  const y = f32(f32(gain) * f32(x ** f32(gamma)));
  return Math.trunc(Math.min(255, Math.max(0, f32(y * 255.5))));
}

describe('adjustGamma', () => {
  it('gives the TF docs example (float32, gamma 0.2)', () => {
    const x = [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [7, 8, 9],
        [10, 11, 12],
      ],
    ];
    const got = adjustGamma(x, 0.2);
    expect(got.dtype).toBe('float32');
    expect(got.shape).toEqual([2, 2, 3]);
    const want = [
      1, 1.1486983, 1.2457309, 1.319508, 1.3797297, 1.4309691, 1.4757731, 1.5157166, 1.5518456, 1.5848932, 1.6153942, 1.6437519,
    ];
    for (const [i, w] of want.entries()) expect(got.data[i]).toBeCloseTo(w, 6);
  });

  it('float32: gain · x^gamma, values not clipped (property)', () => {
    fc.assert(
      fc.property(
        fc.float({ min: 0, max: 4, noNaN: true }),
        fc.float({ min: 0, max: 3, noNaN: true }),
        fc.float({ min: -2, max: 2, noNaN: true }),
        (x, gamma, gain) => {
          const got = adjustGamma(new Tensor(Float32Array.from([x]), [1], 'float32'), gamma, gain).data[0];
          expect(got).toBe(f32(f32(gain) * f32(f32(x) ** f32(gamma))));
        },
      ),
    );
  });

  it('uint8: every level for several gammas and gains follows TF’s convert-adjust-convert formula', () => {
    const all = Uint8Array.from({ length: 256 }, (_, v) => v);
    for (const [gamma, gain] of [
      [2.2, 1],
      [0.5, 1],
      [1, 1],
      [1, 1.5],
      [0.8, 0.7],
      [0, 1],
    ]) {
      const got = adjustGamma(new Tensor(all, [16, 16, 1], 'uint8'), gamma, gain);
      expect(got.dtype).toBe('uint8');
      expect(Array.from(got.data)).toEqual(Array.from(all, (v) => tfGammaU8(v, gamma, gain)));
    }
    // gamma 1, gain 1 is the identity on uint8; gain 1.5 saturates at 255.
    expect(Array.from(adjustGamma(new Tensor(all, [256], 'uint8')).data)).toEqual(Array.from(all));
    expect(adjustGamma(new Tensor(all, [256], 'uint8'), 1, 1.5).data[200]).toBe(255);
  });

  it('darkens with gamma > 1 and brightens with gamma < 1', () => {
    const mid = new Tensor(Float32Array.from([0.5]), [1], 'float32');
    expect(adjustGamma(mid, 2).data[0]).toBe(0.25);
    expect(adjustGamma(mid, 0.5).data[0]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('int32 images keep their dtype', () => {
    const got = adjustGamma(new Tensor(Int32Array.from([0, 2147483647]), [2], 'int32'), 2);
    expect(got.dtype).toBe('int32');
    expect(got.data[0]).toBe(0);
    expect(got.data[1]).toBe(2147483520); // 1.0 saturated to the largest float32 below 2^31
  });

  it('rejects a negative gamma and other bad arguments', () => {
    const img = new Tensor(Float32Array.from([0.5]), [1], 'float32');
    expectConvlensError(() => adjustGamma(img, -1), /^adjustGamma: gamma must be a non-negative number, got -1$/);
    expectConvlensError(() => adjustGamma(img, Number.NaN), /gamma must be a non-negative number, got NaN/);
    expectConvlensError(() => adjustGamma(img, '2' as never), /gamma must be a non-negative number, got string/);
    expectConvlensError(() => adjustGamma(img, 1, Number.NaN), /gain must be a number, got NaN/);
    expectConvlensError(() => adjustGamma(new Tensor(Uint8Array.from([1]), [1], 'bool')), /got bool/);
  });
});
