import { describe, expect, it } from 'vitest';
import type { Conv2DEpilogue, Conv2DInfo } from '../types.js';
import { conv2dDirect } from './conv2d.js';
import { conv2dFast } from './conv2d_fast.js';

/** xorshift32 in [-1, 1), with a share of exact zeros (ReLU outputs are sparse). */
function random(n: number, seed: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const u = (s >>> 0) / 4294967296;
    a[i] = u < 0.1 ? 0 : u * 2 - 1;
  }
  return a;
}

interface Case {
  batch?: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  filter?: [number, number];
  stride?: [number, number];
  dilation?: [number, number];
  /** [top, bottom, left, right]; SAME-style padding when omitted. */
  pad?: [number, number, number, number];
}

function geometry(c: Case): Conv2DInfo {
  const [filterHeight, filterWidth] = c.filter ?? [3, 3];
  const [strideHeight, strideWidth] = c.stride ?? [1, 1];
  const [dilationHeight, dilationWidth] = c.dilation ?? [1, 1];
  const effH = (filterHeight - 1) * dilationHeight + 1;
  const effW = (filterWidth - 1) * dilationWidth + 1;
  let top: number;
  let bottom: number;
  let left: number;
  let right: number;
  if (c.pad) [top, bottom, left, right] = c.pad;
  else {
    const padH = Math.max(0, (Math.ceil(c.inHeight / strideHeight) - 1) * strideHeight + effH - c.inHeight);
    const padW = Math.max(0, (Math.ceil(c.inWidth / strideWidth) - 1) * strideWidth + effW - c.inWidth);
    [top, bottom, left, right] = [Math.floor(padH / 2), padH - Math.floor(padH / 2), Math.floor(padW / 2), padW - Math.floor(padW / 2)];
  }
  return {
    batch: c.batch ?? 1,
    inHeight: c.inHeight,
    inWidth: c.inWidth,
    inChannels: c.inChannels,
    outHeight: Math.floor((c.inHeight + top + bottom - effH) / strideHeight) + 1,
    outWidth: Math.floor((c.inWidth + left + right - effW) / strideWidth) + 1,
    outChannels: c.outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    padTop: top,
    padLeft: left,
  };
}

/** Runs both paths; the fast one must take the case and agree with the direct loop to float32 rounding. */
function expectSameAsDirect(c: Case, epilogue: Conv2DEpilogue = {}, seed = 1): void {
  const info = geometry(c);
  const x = random(info.batch * info.inHeight * info.inWidth * info.inChannels, seed);
  const w = random(info.filterHeight * info.filterWidth * info.inChannels * info.outChannels, seed + 1);
  const size = info.batch * info.outHeight * info.outWidth * info.outChannels;
  const expected = new Float32Array(size);
  const actual = new Float32Array(size).fill(Number.NaN);
  conv2dDirect(x, w, info, expected, epilogue);
  expect(conv2dFast(x, w, info, actual, epilogue)).toBe(true);
  for (let i = 0; i < size; i++) {
    const close = Object.is(actual[i], expected[i]) || Math.abs(actual[i] - expected[i]) <= 1e-6 * Math.max(1, Math.abs(expected[i]));
    if (!close) {
      expect.fail(`${JSON.stringify(c)}: out[${i}] = ${actual[i]}, direct loop gives ${expected[i]}`);
    }
  }
}

describe('js conv2d fast paths agree with the direct loop', () => {
  it('im2col + 2×4 blocks: every channel count modulo 4 and odd widths (the 1×4 tail)', () => {
    for (const outChannels of [1, 2, 3, 4, 5, 7, 8, 9]) {
      for (const inWidth of [1, 2, 5, 8]) {
        expectSameAsDirect({ inHeight: 4, inWidth, inChannels: 3, outChannels });
      }
    }
  });

  it('im2col: strides, dilations, even and 1×1 kernels, batches', () => {
    expectSameAsDirect({ batch: 3, inHeight: 9, inWidth: 11, inChannels: 4, outChannels: 6, stride: [2, 3] });
    expectSameAsDirect({ inHeight: 10, inWidth: 9, inChannels: 2, outChannels: 5, dilation: [2, 3] });
    expectSameAsDirect({ inHeight: 10, inWidth: 13, inChannels: 3, outChannels: 4, stride: [2, 2], dilation: [2, 1] });
    expectSameAsDirect({ inHeight: 6, inWidth: 7, inChannels: 5, outChannels: 3, filter: [2, 4] });
    expectSameAsDirect({ inHeight: 6, inWidth: 7, inChannels: 5, outChannels: 9, filter: [1, 1] });
    expectSameAsDirect({ inHeight: 3, inWidth: 5, inChannels: 2, outChannels: 2, filter: [3, 5], pad: [0, 0, 0, 0] });
  });

  it('im2col: a row wider than one chunk of patches (56 pixels of 3 × 3 × 64 taps), with an odd remainder', () => {
    expectSameAsDirect({ inHeight: 2, inWidth: 61, inChannels: 64, outChannels: 5 });
  });

  it('im2col: explicit padding, including windows that stop short of the last rows and columns', () => {
    expectSameAsDirect({ inHeight: 5, inWidth: 6, inChannels: 2, outChannels: 4, pad: [0, 3, 4, 0] });
    expectSameAsDirect({ inHeight: 5, inWidth: 6, inChannels: 2, outChannels: 3, pad: [7, 6, 5, 8] });
    expectSameAsDirect({ inHeight: 8, inWidth: 8, inChannels: 3, outChannels: 5, stride: [3, 3], pad: [0, 0, 0, 0] });
    expectSameAsDirect({ inHeight: 7, inWidth: 7, inChannels: 1, outChannels: 2, filter: [1, 1], stride: [4, 4], pad: [1, 0, 0, 1] });
  });

  it('one channel, 3×3, stride 1 (the sliding window): SAME, VALID and explicit padding, batches', () => {
    expectSameAsDirect({ inHeight: 7, inWidth: 9, inChannels: 1, outChannels: 1 });
    expectSameAsDirect({ batch: 2, inHeight: 5, inWidth: 4, inChannels: 1, outChannels: 1, pad: [0, 0, 0, 0] });
    expectSameAsDirect({ inHeight: 3, inWidth: 3, inChannels: 1, outChannels: 1, pad: [0, 0, 0, 0] });
    expectSameAsDirect({ inHeight: 1, inWidth: 1, inChannels: 1, outChannels: 1 });
    expectSameAsDirect({ inHeight: 6, inWidth: 5, inChannels: 1, outChannels: 1, pad: [0, 2, 3, 0] });
    expectSameAsDirect({ inHeight: 6, inWidth: 5, inChannels: 1, outChannels: 1, pad: [4, 5, 6, 2] });
  });

  it('bias and ReLU on both paths', () => {
    const bias = Float32Array.from([0.5, -0.25, 0.125, -1, 2]);
    expectSameAsDirect({ inHeight: 5, inWidth: 5, inChannels: 3, outChannels: 5 }, { bias, activation: 'relu' });
    expectSameAsDirect({ inHeight: 5, inWidth: 5, inChannels: 3, outChannels: 5 }, { bias });
    expectSameAsDirect({ inHeight: 5, inWidth: 5, inChannels: 3, outChannels: 5 }, { activation: 'relu' });
    expectSameAsDirect({ inHeight: 5, inWidth: 6, inChannels: 1, outChannels: 1 }, { bias: bias.subarray(1, 2), activation: 'relu' });
    expectSameAsDirect({ inHeight: 5, inWidth: 6, inChannels: 1, outChannels: 1 }, { bias: bias.subarray(0, 1) });
  });

  it('NaN and ∞ inputs propagate as in the direct loop', () => {
    const info = geometry({ inHeight: 4, inWidth: 4, inChannels: 2, outChannels: 3 });
    const x = random(32, 3);
    x[5] = Number.NaN;
    x[20] = Number.POSITIVE_INFINITY;
    const w = random(54, 4);
    w[7] = 0; // ∞ · 0 is NaN
    const expected = new Float32Array(48);
    const actual = new Float32Array(48);
    conv2dDirect(x, w, info, expected, {});
    expect(conv2dFast(x, w, info, actual, {})).toBe(true);
    expect(Array.from(actual)).toEqual(Array.from(expected));
  });

  it('declines non-finite weights, leaving them to the direct loop (padded taps must not turn into 0 · NaN)', () => {
    for (const [inChannels, outChannels] of [
      [1, 1],
      [2, 3],
    ]) {
      const info = geometry({ inHeight: 3, inWidth: 3, inChannels, outChannels });
      const w = random(9 * inChannels * outChannels, 5);
      w[0] = Number.NaN;
      const out = new Float32Array(9 * outChannels);
      expect(conv2dFast(random(9 * inChannels, 6), w, info, out, {})).toBe(false);
      expect(Array.from(out)).toEqual(new Array(9 * outChannels).fill(0));
    }
  });
});
