import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../errors.js';
import { blur, bottomSobel, edge, emboss, gaussian, get, names, presetName, sharpen } from './index.js';

describe('preset kernels', () => {
  it("have the lesson's values and tf.constant dtypes", () => {
    // Values as printed in Kaggle learntools visiontools.py.
    expect(edge.array()).toEqual([
      [-1, -1, -1],
      [-1, 8, -1],
      [-1, -1, -1],
    ]);
    expect(bottomSobel.array()).toEqual([
      [-1, -2, -1],
      [0, 0, 0],
      [1, 2, 1],
    ]);
    expect(emboss.array()).toEqual([
      [-2, -1, 0],
      [-1, 1, 1],
      [0, 1, 2],
    ]);
    expect(sharpen.array()).toEqual([
      [0, -1, 0],
      [-1, 5, -1],
      [0, -1, 0],
    ]);
    expect(blur.array()).toEqual([
      [0.0625, 0.125, 0.0625],
      [0.125, 0.25, 0.125],
      [0.0625, 0.125, 0.0625],
    ]);
    expect(edge.dtype).toBe('int32');
    expect(blur.dtype).toBe('float32');
  });

  it('are found by name or title in any case, with or without spaces, hyphens or underscores', () => {
    const spellings = ['bottomSobel', 'bottom_sobel', 'Bottom-Sobel', 'Bottom Sobel', 'BOTTOMSOBEL', ' bottom sobel '];
    expect(spellings.map(presetName)).toEqual(spellings.map(() => 'bottomSobel'));
    expect(['EDGE', 'Edge Detect', 'edge-detect', 'Gaussian 5×5', 'Sharpen'].map(presetName)).toEqual([
      'edge',
      'edge',
      'edge',
      'gaussian',
      'sharpen',
    ]);
    expect(get('Bottom Sobel').array()).toEqual(bottomSobel.array());
    // a misspelling in another case is suggested the preset's own name
    expect(() => get('Bottom Sobl')).toThrow('kernels.get: unknown kernel "Bottom Sobl" (did you mean \'bottomSobel\'?)');
    expect(() => get('EDGES')).toThrow("(did you mean 'edge'?)");
  });

  it('are found by name in camelCase, snake_case and kebab-case', () => {
    expect(get('bottom_sobel').array()).toEqual(bottomSobel.array());
    expect(get('bottom-sobel').array()).toEqual(bottomSobel.array());
    expect([get('edge').dtype, get('edge').array()]).toEqual([edge.dtype, edge.array()]);
    expect(names).toContain('sharpen');
    expect([presetName('bottom-sobel'), presetName('edge'), presetName('nope'), presetName('toString')]).toEqual([
      'bottomSobel',
      'edge',
      undefined,
      undefined,
    ]);
  });

  it('are handed out as copies: changing one does not change the preset', () => {
    const mine = get('edge');
    mine.data[4] = 0;
    expect(get('edge').data[4]).toBe(8);
    // nor can writing into the exported preset
    const saved = edge.data[0];
    edge.data[0] = 5;
    try {
      expect(get('edge').data[0]).toBe(-1);
    } finally {
      edge.data[0] = saved;
    }
    expect(edge.data[4]).toBe(8);
  });

  it('reject unknown names, including Object.prototype keys', () => {
    expect(() => get('nope')).toThrow(/kernels.get: unknown kernel "nope" \(expected one of edge, blur/);
    expect(() => get('sharp')).toThrow(/kernels.get: unknown kernel "sharp" \(did you mean 'sharpen'\?\)/);
    expect(() => get('toString')).toThrow(ConvlensError);
  });
});

describe('gaussian', () => {
  it('samples exp(-x²/2σ²) and sums to 1 by default', () => {
    const k = gaussian(3, 1);
    const a = Math.exp(-0.5);
    const total = (1 + 2 * a) ** 2;
    const expected = [a * a, a, a * a, a, 1, a, a * a, a, a * a].map((v) => v / total);
    for (const [i, v] of k.data.entries()) expect(v).toBeCloseTo(expected[i], 6);
    expect(k.shape).toEqual([3, 3]);
  });

  it('normalises by the trapezoid integral like learntools when asked', () => {
    const a = Math.exp(-0.5);
    const trapz = (a + 1) / 2 + (1 + a) / 2;
    const k = gaussian(3, 1, { normalize: 'trapz' });
    expect(k.data[4]).toBeCloseTo((1 / trapz) ** 2, 6);
  });

  it('rejects bad sizes and deviations', () => {
    expect(() => gaussian(0, 1)).toThrow(/gaussian: size must be a positive integer, got 0/);
    // a clear error at once, not minutes of work and an out-of-memory crash
    expect(() => gaussian(50_000, 1)).toThrow(/gaussian: size must be at most 4096, got 50000/);
    expect(() => gaussian(1e9, 1)).toThrow(/gaussian: size must be at most 4096, got 1000000000/);
    expect(() => gaussian(3, -1)).toThrow(/gaussian: std must be a positive number, got -1/);
    expect(() => gaussian('3' as never, 1)).toThrow(/gaussian: size must be a positive integer, got "3"/);
    expect(() => gaussian(3, Number.NaN)).toThrow(/gaussian: std must be a positive number, got NaN/);
  });

  it('rejects options it does not know, and null', () => {
    expect(() => gaussian(3, 1, { normalize: 'bogus' as never })).toThrow(
      /gaussian: normalize must be 'sum', 'trapz' or false, got "bogus"/,
    );
    expect(() => gaussian(3, 1, { normalise: 'sum' } as never)).toThrow(/gaussian: unknown option 'normalise'/);
    expect(() => gaussian(3, 1, null as never)).toThrow(/gaussian: expected an options object/);
  });
});
