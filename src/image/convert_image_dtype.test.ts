import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { convertImageDtype } from './convert_image_dtype.js';

const f32 = Math.fround;
const u8 = (values: number[]) => new Tensor(Uint8Array.from(values), [values.length], 'uint8');
const i32 = (values: number[]) => new Tensor(Int32Array.from(values), [values.length], 'int32');
const fl = (values: number[]) => new Tensor(Float32Array.from(values), [values.length], 'float32');

describe('convertImageDtype (TF convert_image_dtype)', () => {
  it('uint8 → float32 multiplies by float32(1/255): every level, 255 → exactly 1, within an ulp of x/255', () => {
    const all = Array.from({ length: 256 }, (_, v) => v);
    const got = convertImageDtype(u8(all), 'float32');
    expect(got.dtype).toBe('float32');
    const scale = f32(1 / 255);
    for (const v of all) {
      expect(got.data[v]).toBe(f32(v * scale));
      expect(Math.abs(got.data[v] - v / 255)).toBeLessThanOrEqual(2 ** -23); // one float32 ulp below 1
    }
    expect(got.data[255]).toBe(1);
  });

  it('uint8 → float32 gives the same values for photo-sized images (converted in Wasm, in chunks) as for small ones', () => {
    // 600×601 samples: more than one chunk of 2^18, and not a multiple of 16
    const n = 600 * 601;
    const values = Array.from({ length: n }, (_, i) => (i * 7919 + (i >> 9)) & 255);
    const got = convertImageDtype(new Tensor(Uint8Array.from(values), [600, 601, 1], 'uint8'), 'float32');
    const scale = f32(1 / 255);
    const wrong = values.filter((v, i) => got.data[i] !== f32(v * scale)).length;
    expect(wrong).toBe(0);
  });

  it('int32 → float32 divides by 2^31 - 1 (TF docs: 1, 2, 3, 4 → 4.6566129e-10 ...)', () => {
    const got = convertImageDtype(i32([1, 2, 3, 4, 2147483647, -2147483648]), 'float32');
    expect(Array.from(got.data.slice(0, 4)).map((v) => Number(v.toPrecision(8)))).toEqual([
      4.6566129e-10, 9.3132257e-10, 1.3969839e-9, 1.8626451e-9,
    ]);
    expect(got.data[4]).toBe(1);
    expect(got.data[5]).toBe(-1);
  });

  it('float32 → uint8 multiplies by 255.5 and truncates; without saturate out-of-range values wrap', () => {
    const values = [0, 0.5, 0.998, 1, 1.002, -0.1, 2, 0.001];
    expect(Array.from(convertImageDtype(fl(values), 'uint8').data)).toEqual([0, 127, 254, 255, 0, 231, 255, 0]);
    expect(Array.from(convertImageDtype(fl(values), 'uint8', true).data)).toEqual([0, 127, 254, 255, 255, 0, 255, 0]);
  });

  it('float32 → int32 multiplies by float32(2^31 - 0.5) = 2^31; saturate clips to the largest float32 below 2^31', () => {
    const values = [0, 0.5, 1, -1, 0.25];
    expect(Array.from(convertImageDtype(fl(values), 'int32').data)).toEqual([0, 1073741824, -2147483648, -2147483648, 536870912]);
    expect(Array.from(convertImageDtype(fl(values), 'int32', true).data)).toEqual([0, 1073741824, 2147483520, -2147483648, 536870912]);
  });

  it('uint8 ↔ int32 scales by 2^23 (255 → 2139095040) and back exactly', () => {
    const all = Array.from({ length: 256 }, (_, v) => v);
    const up = convertImageDtype(u8(all), 'int32');
    expect(up.data[255]).toBe(2139095040);
    expect(Array.from(convertImageDtype(up, 'uint8').data)).toEqual(all);
    // Floor division: negative values go below zero, then wrap (or clip with saturate).
    expect(Array.from(convertImageDtype(i32([2147483647, 8388607, 8388608, -1, -8388609]), 'uint8').data)).toEqual([255, 0, 1, 255, 254]);
    expect(Array.from(convertImageDtype(i32([2147483647, -1, -8388609]), 'uint8', true).data)).toEqual([255, 0, 0]);
  });

  it('returns the same tensor for the same dtype, even for floats outside 0..1', () => {
    const t = fl([-3, 7]);
    expect(convertImageDtype(t, 'float32')).toBe(t);
    expect(convertImageDtype(t, 'float32', true)).toBe(t);
  });

  it('uint8 → float32 → uint8 is the identity (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const back = convertImageDtype(convertImageDtype(new Tensor(bytes, [bytes.length], 'uint8'), 'float32'), 'uint8');
        expect(Array.from(back.data)).toEqual(Array.from(bytes));
      }),
    );
  });

  it('float32 in [0, 1] → uint8 is floor(x · 255.5) and saturate changes nothing there (property)', () => {
    fc.assert(
      fc.property(fc.float({ min: 0, max: 1, noNaN: true }), (x) => {
        const want = Math.floor(f32(f32(x) * 255.5));
        expect(convertImageDtype(fl([x]), 'uint8').data[0]).toBe(want);
        expect(convertImageDtype(fl([x]), 'uint8', true).data[0]).toBe(want);
      }),
    );
  });

  it('keeps the shape and accepts nested arrays', () => {
    const got = convertImageDtype([[[0.5], [1]]], 'uint8');
    expect(got.shape).toEqual([1, 2, 1]);
    expect(Array.from(got.data)).toEqual([127, 255]);
  });

  it('rejects bad arguments', () => {
    expectConvlensError(
      () => convertImageDtype(fl([1]), 'float64' as never),
      /^convertImageDtype: dtype must be float32, int32 or uint8, got float64$/,
    );
    expectConvlensError(() => convertImageDtype(fl([1]), 'bool' as never), /dtype must be float32, int32 or uint8, got bool/);
    expectConvlensError(
      () => convertImageDtype(new Tensor(Uint8Array.from([1]), [1], 'bool'), 'float32'),
      /image must be float32, int32 or uint8, got bool/,
    );
    expectConvlensError(() => convertImageDtype(fl([1]), 'uint8', 'yes' as never), /saturate must be true or false, got string/);
    expectConvlensError(() => convertImageDtype(undefined as never, 'uint8'), /argument 'image' is missing/);
  });
});
