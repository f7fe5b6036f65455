import { spawnSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { convInfo, poolInfo } from '../../../test/helpers/conv_info.js';
import { expectConvlensError } from '../../../test/helpers/errors.js';
import { jsBackend } from '../js/index.js';
import type { Backend, Conv2DInfo, Pool2DInfo } from '../types.js';
import { getThreads, orReference, setThreads, wasmBackend, wasmFeatures, wasmThreadStats } from './index.js';
import { PARAMS, Runtime, WasmMemoryFull } from './runtime.js';

function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296) * 2 - 1;
  };
}

function fill(n: number, rnd: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rnd();
  return a;
}

/** Relative agreement: |a - b| <= tol * max(1, |b|) element-wise. */
function expectClose(actual: Float32Array, expected: Float32Array, tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `worst relative error at ${at}: ${actual[at]} vs ${expected[at]}`).toBeLessThanOrEqual(tol);
}

/** The first index where `actual` is off `expected` by more than `tol` relatively (NaN matches only NaN), or -1. */
function firstMismatch(actual: Float32Array, expected: Float32Array, tol: number): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) return i;
  }
  return -1;
}

const convCases: [string, Conv2DInfo][] = [
  ['lesson 1x20x23x1 -> 1, 3x3 SAME', convInfo([1, 20, 23, 1], [3, 3, 1])],
  ['1 -> 1 with dilation and VALID', convInfo([2, 17, 19, 1], [3, 2, 1], [2, 1], [2, 3], 'VALID')],
  ['1 -> 1 stride 2 (gemm path)', convInfo([1, 15, 15, 1], [3, 3, 1], [2, 2])],
  ['first layer 3 -> 64', convInfo([1, 12, 13, 3], [3, 3, 64])],
  ['gray first layer 1 -> 16 (MNIST), odd width', convInfo([3, 12, 11, 1], [3, 3, 16])],
  ['1 -> 20 (a partial block of 16), stride [1, 2], dilation', convInfo([2, 13, 12, 1], [3, 2, 20], [1, 2], [2, 1])],
  ['1 -> 9, stride 2, VALID', convInfo([1, 15, 14, 1], [2, 3, 9], [2, 2], [1, 1], 'VALID')],
  ['3 -> 5 (partial channel block)', convInfo([2, 9, 7, 3], [3, 3, 5])],
  ['middle 16 -> 24', convInfo([1, 8, 8, 16], [3, 3, 24])],
  ['odd channels 7 -> 13 stride [1, 2]', convInfo([3, 11, 10, 7], [2, 3, 13], [1, 2])],
  ['1x1 kernel', convInfo([2, 5, 6, 9], [1, 1, 11])],
  ['kernel as large as input VALID', convInfo([1, 5, 5, 2], [5, 5, 3], [1, 1], [1, 1], 'VALID')],
  ['kernel smaller than stride', convInfo([1, 9, 9, 4], [2, 2, 8], [3, 3])],
  ['even kernel SAME stride 2', convInfo([1, 10, 10, 3], [4, 4, 6], [2, 2])],
  ['explicit padding, only bottom/right', convInfo([1, 6, 7, 2], [3, 3, 4], [1, 1], [1, 1], [0, 2, 0, 3])],
  ['explicit padding, large', convInfo([1, 4, 4, 3], [2, 2, 5], [1, 1], [1, 1], [3, 1, 2, 4])],
  ['dilated 2x2 in 3 -> 9', convInfo([2, 12, 12, 3], [3, 3, 9], [1, 1], [2, 2])],
  ['many pixels (threads)', convInfo([2, 40, 40, 8], [3, 3, 16])],
  ['rows wider than a filter-gradient chunk (one row of 150 pixels each), stride [1, 2]', convInfo([2, 5, 300, 3], [3, 3, 10], [1, 2])],
  ['first layer, 23.4 chunks of rows (copied out while computing; a tail chunk)', convInfo([1, 50, 45, 3], [3, 3, 20])],
];

const backend = wasmBackend;

describe.skipIf(!backend)('wasm backend agrees with js', () => {
  const wasm = backend!;

  it('loads a SIMD build', () => {
    expect(wasmFeatures()).toBeDefined();
    expect(getThreads()).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [0, '0'],
    [1.5, '1.5'],
    ['2', '"2"'],
    [Symbol('n'), 'a Symbol'],
    [2n, '2n'],
  ])('setThreads(%s) is a ConvlensError naming what it got', (n, shown) => {
    expectConvlensError(() => setThreads(n as never), `setThreads: expected a whole number of threads >= 1, got ${shown}`);
  });

  it.skipIf(!wasmFeatures()?.sharedMemory)('starts workers lazily and they take part in jobs', async () => {
    setThreads(2);
    const info = convInfo([2, 48, 48, 16], [3, 3, 32]);
    const x = fill(2 * 48 * 48 * 16, random(1));
    const w = fill(9 * 16 * 32, random(2));
    const out = new Float32Array(2 * 48 * 48 * 32);
    const before = wasmThreadStats()!.joined;
    const deadline = Date.now() + 30_000;
    // workers join when the OS runs them: keep posting jobs until one has
    while (wasmThreadStats()!.joined === before && Date.now() < deadline) {
      wasm.conv2d(x, w, info, out);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const stats = wasmThreadStats()!;
    expect(stats.workers).toBe(1);
    expect(stats.joined).toBeGreaterThan(before);
    // calls the workers could not help with (a busy machine) are counted
    expect(stats.serialized).toBeGreaterThanOrEqual(0);
  });

  for (const threads of [1, 3]) {
    describe(`${threads} thread(s)`, () => {
      it.each(convCases)('conv2d %s (with bias+relu and without)', (_, info) => {
        setThreads(threads);
        const rnd = random(info.inChannels * 31 + info.outChannels);
        const x = fill(info.batch * info.inHeight * info.inWidth * info.inChannels, rnd);
        const w = fill(info.filterHeight * info.filterWidth * info.inChannels * info.outChannels, rnd);
        const bias = fill(info.outChannels, rnd);
        const n = info.batch * info.outHeight * info.outWidth * info.outChannels;
        for (const epilogue of [{}, { bias, activation: 'relu' as const }, { activation: 'relu' as const }]) {
          const expected = new Float32Array(n);
          const actual = new Float32Array(n).fill(Number.NaN);
          jsBackend.conv2d(x, w, info, expected, epilogue);
          wasm.conv2d(x, w, info, actual, epilogue);
          expectClose(actual, expected);
        }
      });

      it.each(convCases)('conv2d backprop input and filter %s', (_, info) => {
        setThreads(threads);
        const rnd = random(info.inChannels * 7 + info.outChannels);
        const x = fill(info.batch * info.inHeight * info.inWidth * info.inChannels, rnd);
        const w = fill(info.filterHeight * info.filterWidth * info.inChannels * info.outChannels, rnd);
        const dy = fill(info.batch * info.outHeight * info.outWidth * info.outChannels, rnd);
        const dxExpected = new Float32Array(x.length);
        const dxActual = new Float32Array(x.length);
        jsBackend.conv2dBackpropInput(dy, w, info, dxExpected);
        wasm.conv2dBackpropInput(dy, w, info, dxActual);
        expectClose(dxActual, dxExpected);
        const dwExpected = new Float32Array(w.length);
        const dwActual = new Float32Array(w.length).fill(Number.NaN);
        jsBackend.conv2dBackpropFilter(x, dy, info, dwExpected);
        wasm.conv2dBackpropFilter(x, dy, info, dwActual);
        expectClose(dwActual, dwExpected);
      });
    });
  }

  describe('layer gradients in one call (conv2dBackward, maxPoolBackward) and resident buffers', () => {
    const resident = (a: Float32Array) => {
      const r = wasm.residentBuffer(a.length);
      r.set(a);
      return r;
    };
    for (const threads of [1, 2]) {
      it.each(convCases)(`conv2dBackward %s, ${threads} thread(s), plain and resident arrays`, (_, info) => {
        setThreads(threads);
        const rnd = random(info.inChannels * 13 + info.outChannels);
        const x = fill(info.batch * info.inHeight * info.inWidth * info.inChannels, rnd);
        const w = fill(info.filterHeight * info.filterWidth * info.inChannels * info.outChannels, rnd);
        const dy = fill(info.batch * info.outHeight * info.outWidth * info.outChannels, rnd);
        const y = fill(dy.length, rnd);
        for (const relu of [false, true]) {
          const expected = {
            dFilters: new Float32Array(w.length),
            dBias: new Float32Array(info.outChannels),
            dx: new Float32Array(x.length),
          };
          jsBackend.conv2dBackward(x, w, dy, info, { ...expected, reluOutput: relu ? y : undefined });
          for (const inPlace of [false, true]) {
            const wrap = inPlace ? resident : (a: Float32Array) => a;
            const dx = wrap(new Float32Array(x.length).fill(Number.NaN));
            const actual = { dFilters: new Float32Array(w.length).fill(Number.NaN), dBias: new Float32Array(info.outChannels), dx };
            wasm.conv2dBackward(wrap(x), w, wrap(dy), info, { ...actual, reluOutput: relu ? wrap(y) : undefined });
            expectClose(actual.dFilters, expected.dFilters);
            expectClose(actual.dBias, expected.dBias);
            expectClose(actual.dx, expected.dx);
          }
        }
        // without the optional outputs
        const dFilters = new Float32Array(w.length);
        wasm.conv2dBackward(x, w, dy, info, { dFilters });
        const reference = new Float32Array(w.length);
        jsBackend.conv2dBackpropFilter(x, dy, info, reference);
        expectClose(dFilters, reference);
      });
    }

    it('filter and bias gradients are the same to the bit on any number of threads (reproducible training)', () => {
      const info = convInfo([16, 14, 14, 16], [3, 3, 32]);
      const rnd = random(77);
      const x = fill(16 * 14 * 14 * 16, rnd);
      const w = fill(9 * 16 * 32, rnd);
      const dy = fill(16 * 14 * 14 * 32, rnd);
      const results = [1, 2, 3, 2, 1].map((threads) => {
        setThreads(threads);
        const grads = { dFilters: new Float32Array(w.length), dBias: new Float32Array(32) };
        wasm.conv2dBackward(x, w, dy, info, grads);
        return [...grads.dFilters, ...grads.dBias];
      });
      for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    });

    it('the js reference: the bias gradient sums dy per channel, the ReLU mask zeroes where the output is not positive', () => {
      const info = convInfo([1, 2, 2, 1], [1, 1, 2]);
      const x = Float32Array.of(1, 2, 3, 4);
      const w = Float32Array.of(1, -1);
      const dy = Float32Array.of(1, 10, 2, 20, 3, 30, 4, 40);
      const y = Float32Array.of(1, 1, 0, 1, 1, -1, 1, 1);
      const grads = { dFilters: new Float32Array(2), dBias: new Float32Array(2), dx: new Float32Array(4).fill(7) };
      jsBackend.conv2dBackward(x, w, dy, info, { ...grads, reluOutput: y });
      expect(Array.from(grads.dBias)).toEqual([1 + 3 + 4, 10 + 20 + 40]);
      expect(Array.from(grads.dFilters)).toEqual([1 + 9 + 16, 10 + 40 + 160]);
      expect(Array.from(grads.dx)).toEqual([1 - 10, -20, 3, 4 - 40]);
    });

    it.each([
      ['one channel (direct kernel)', convInfo([1, 20, 23, 1], [3, 3, 1])],
      ['gray first layer (1 -> 16)', convInfo([1, 12, 11, 1], [3, 3, 16])],
      ['first layer (3 -> 8, packed panel)', convInfo([1, 12, 13, 3], [3, 3, 8])],
      ['many channels (16 -> 24, taps)', convInfo([1, 8, 8, 16], [3, 3, 24])],
    ])('a NaN pixel stays NaN through the fused ReLU, as in the js reference and TensorFlow: %s', (_, info) => {
      const rnd = random(11);
      const x = fill(info.batch * info.inHeight * info.inWidth * info.inChannels, rnd);
      x[info.inWidth * info.inChannels * 4 + 5 * info.inChannels] = Number.NaN;
      const w = fill(info.filterHeight * info.filterWidth * info.inChannels * info.outChannels, rnd);
      const n = info.batch * info.outHeight * info.outWidth * info.outChannels;
      const expected = new Float32Array(n);
      const actual = new Float32Array(n);
      jsBackend.conv2d(x, w, info, expected, { activation: 'relu' });
      wasm.conv2d(x, w, info, actual, { activation: 'relu' });
      const nans = (a: Float32Array) => Array.from(a.keys()).filter((i) => Number.isNaN(a[i]));
      expect(nans(expected).length).toBeGreaterThan(0);
      expect(nans(actual)).toEqual(nans(expected));
      for (let i = 0; i < n; i++)
        if (!Number.isNaN(expected[i]))
          expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(expected[i])));
    });

    const poolCases: [string, Pool2DInfo][] = [
      ['2x2/2 VALID tiled, 16 channels', poolInfo([3, 8, 10, 16], [2, 2], [2, 2], 'VALID')],
      ['2x2/2 VALID odd size (uncovered row and column), 6 channels', poolInfo([2, 9, 7, 6], [2, 2], [2, 2], 'VALID')],
      ['2x2/2 SAME odd size, 5 channels', poolInfo([2, 9, 11, 5], [2, 2], [2, 2], 'SAME')],
      ['2x2/3 gaps between windows, 4 channels', poolInfo([1, 10, 10, 4], [2, 2], [3, 3], 'VALID')],
      ['3x3/2 overlapping SAME, 8 channels', poolInfo([2, 13, 12, 8], [3, 3], [2, 2], 'SAME')],
      ['3x3/1 overlapping, 3 channels', poolInfo([2, 8, 8, 3], [3, 3], [1, 1], 'SAME')],
      ['big tiled (threads)', poolInfo([16, 28, 28, 16], [2, 2], [2, 2], 'VALID')],
    ];
    it.each(poolCases)('maxPoolBackward %s, with and without the ReLU mask, plain and resident arrays', (_, info) => {
      setThreads(2);
      const rnd = random(info.channels * 3 + info.inWidth);
      const nIn = info.batch * info.inHeight * info.inWidth * info.channels;
      // ties (the first maximum wins), non-positive windows (masked by the ReLU) and a NaN
      const x = fill(nIn, rnd).map((v, i) => (i % 7 === 0 ? 0.25 : i % 11 === 0 ? -v * v : Math.round(v * 4) / 4));
      x[5] = Number.NaN;
      const dy = fill(info.batch * info.outHeight * info.outWidth * info.channels, rnd);
      for (const relu of [false, true]) {
        const expected = new Float32Array(nIn);
        jsBackend.maxPoolBackward(x, dy, info, expected, relu);
        for (const inPlace of [false, true]) {
          const wrap = inPlace ? resident : (a: Float32Array) => a;
          const actual = wrap(new Float32Array(nIn).fill(Number.NaN));
          wasm.maxPoolBackward(wrap(x), wrap(dy), info, actual, relu);
          expect(Array.from(actual)).toEqual(Array.from(expected));
        }
        if (!relu) {
          const added = new Float32Array(nIn);
          jsBackend.maxPoolBackprop(x, dy, info, added);
          expect(Array.from(expected)).toEqual(Array.from(added));
        }
      }
    });

    it('resident buffers are used in place by every kernel (conv2d, pooling, matMul, element-wise)', () => {
      setThreads(2);
      const info = convInfo([2, 12, 12, 8], [3, 3, 16]);
      const rnd = random(3);
      const x = fill(2 * 12 * 12 * 8, rnd);
      const w = fill(9 * 8 * 16, rnd);
      const expected = new Float32Array(2 * 12 * 12 * 16);
      jsBackend.conv2d(x, w, info, expected, { activation: 'relu' });
      const out = wasm.residentBuffer(expected.length);
      // with shared memory a resident buffer is a view of the wasm memory itself
      if (wasmFeatures()?.sharedMemory) expect(out.buffer).toBeInstanceOf(SharedArrayBuffer);
      wasm.conv2d(resident(x), w, info, out, { activation: 'relu' });
      expectClose(out, expected);
      const pinfo = poolInfo([2, 12, 12, 16], [2, 2], [2, 2], 'VALID');
      const pooled = wasm.residentBuffer(2 * 6 * 6 * 16);
      const pooledJs = new Float32Array(pooled.length);
      wasm.maxPool(out, pinfo, pooled);
      jsBackend.maxPool(expected, pinfo, pooledJs);
      expectClose(pooled, pooledJs);
      const m = 2 * 6 * 6;
      const b = fill(16 * 10, rnd);
      const product = wasm.residentBuffer(m * 10);
      const productJs = new Float32Array(m * 10);
      wasm.matMulTransposed(pooled, b, m, 16, 10, product, false, false);
      jsBackend.matMulTransposed(pooledJs, b, m, 16, 10, productJs, false, false);
      expectClose(product, productJs);
      const big = resident(fill(1 << 15, rnd));
      const sq = wasm.residentBuffer(1 << 15);
      wasm.unary('square', big, sq);
      expectClose(
        sq,
        big.map((v) => v * v),
      );
      // buffers that are garbage collected give their memory back; live ones keep their values
      const keep = resident(Float32Array.of(1, 2, 3));
      for (let i = 0; i < 50; i++) wasm.residentBuffer(100_000);
      expect(Array.from(keep)).toEqual([1, 2, 3]);
    });
  });

  it.each([
    [1, 5],
    [12, 6],
    [75, 3],
    [50, 16],
    [1200, 7],
    [2000, 40],
    [2 * 128 * 128 + 3, 17],
  ])(
    "batch normalisation kernels, %i pixels of %i channels: the js reference's bits on 1, 2 or 3 threads, plain and resident arrays",
    (rows, channels) => {
      const rnd = random(rows + channels);
      const x = fill(rows * channels, rnd).map((v) => v * 2 + 1);
      const dy = fill(rows * channels, rnd);
      const perChannel = () => Float64Array.from(fill(channels, rnd), (v) => v + 1.5);
      const info = { mean: perChannel(), inverseStd: perChannel(), scale: perChannel(), offset: perChannel() };
      const run = (kernels: Backend, wrap: (a: Float32Array) => Float32Array) => {
        const moments = [new Float64Array(channels), new Float64Array(channels)];
        kernels.channelMoments(wrap(x), moments[0], moments[1]);
        const [out, normalized, dx] = [0, 1, 2].map(() => wrap(new Float32Array(x.length).fill(Number.NaN)));
        kernels.batchNorm(wrap(x), info, out, normalized);
        const sums = [new Float64Array(channels), new Float64Array(channels)];
        kernels.batchNormBackward(wrap(dy), normalized, info.inverseStd, sums[0], sums[1], dx);
        const inference = new Float32Array(x.length);
        kernels.batchNorm(wrap(x), info, inference);
        return [...moments, out, normalized, ...sums, dx, inference].map((a) => Array.from(a));
      };
      const expected = run(jsBackend, (a) => a);
      const resident = (a: Float32Array) => {
        const r = wasm.residentBuffer(a.length);
        r.set(a);
        return r;
      };
      for (const threads of [1, 2, 3]) {
        setThreads(threads);
        expect(run(wasm, (a) => a)).toEqual(expected);
        expect(run(wasm, resident)).toEqual(expected);
      }
    },
  );

  it('a non-finite filter gives what the js reference gives (padded taps are skipped there)', () => {
    const info = convInfo([1, 6, 6, 2], [3, 3, 3]);
    const rnd = random(5);
    const x = fill(6 * 6 * 2, rnd);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const w = fill(9 * 2 * 3, rnd);
      w[0] = bad;
      const expected = new Float32Array(6 * 6 * 3);
      const actual = new Float32Array(6 * 6 * 3);
      jsBackend.conv2d(x, w, info, expected);
      wasm.conv2d(x, w, info, actual);
      expect(Array.from(actual)).toEqual(Array.from(expected));
    }
  });

  const poolCases: [string, Pool2DInfo][] = [
    ['2x2 stride 2 SAME, 1 channel', poolInfo([1, 9, 11, 1], [2, 2], [2, 2], 'SAME')],
    // one channel, 2x2/2: four windows at a time, then the rest (a whole window, a padded one) one by one
    ['2x2 stride 2 SAME, 1 channel, wide and odd', poolInfo([2, 9, 19, 1], [2, 2], [2, 2], 'SAME')],
    ['2x2 stride 2 VALID, 1 channel, whole rows', poolInfo([1, 8, 24, 1], [2, 2], [2, 2], 'VALID')],
    ['2x2 stride 2, 1 channel, padded on the left', poolInfo([1, 8, 20, 1], [2, 2], [2, 2], [1, 0, 1, 0])],
    ['3x3 stride 2 VALID, 6 channels', poolInfo([2, 13, 12, 6], [3, 3], [2, 2], 'VALID')],
    ['3x3 stride 1 SAME, 16 channels', poolInfo([2, 8, 8, 16], [3, 3], [1, 1], 'SAME')],
    ['window larger than stride, 5 channels', poolInfo([1, 10, 7, 5], [4, 3], [2, 3], 'SAME')],
    ['big (threads)', poolInfo([4, 64, 64, 8], [2, 2], [2, 2], 'SAME')],
  ];

  it.each(poolCases)('max/avg pool and their gradients %s', (_, info) => {
    const rnd = random(info.channels + info.inHeight);
    const x = fill(info.batch * info.inHeight * info.inWidth * info.channels, rnd);
    x[3] = Number.NaN;
    const n = info.batch * info.outHeight * info.outWidth * info.channels;
    for (const op of ['maxPool', 'avgPool'] as const) {
      const expected = new Float32Array(n);
      const actual = new Float32Array(n);
      jsBackend[op](x, info, expected);
      wasm[op](x, info, actual);
      expect(Array.from(actual, Number.isNaN)).toEqual(Array.from(expected, Number.isNaN));
      expectClose(
        actual.map((v) => (Number.isNaN(v) ? 0 : v)),
        expected.map((v) => (Number.isNaN(v) ? 0 : v)),
      );
    }
    x[3] = 0.5;
    const dy = fill(n, rnd);
    const dxe = new Float32Array(x.length);
    const dxa = new Float32Array(x.length);
    jsBackend.maxPoolBackprop(x, dy, info, dxe);
    wasm.maxPoolBackprop(x, dy, info, dxa);
    expectClose(dxa, dxe);
    dxe.fill(0);
    dxa.fill(0);
    jsBackend.avgPoolBackprop(dy, info, dxe);
    wasm.avgPoolBackprop(dy, info, dxa);
    expectClose(dxa, dxe);
  });

  // outputs of more than 16K floats are pooled in chunks, their inputs copied in chunk by chunk
  // (through four blocks reused in turn) and the outputs out while the pooling runs
  const chunkedPoolCases: [string, Pool2DInfo][] = [
    ['2x2/2 SAME, a chunk across images', poolInfo([2, 50, 45, 64], [2, 2], [2, 2], 'SAME')],
    ['2x2/2 VALID, odd size (an uncovered row), 130 channels, a short last chunk', poolInfo([2, 41, 30, 130], [2, 2], [2, 2], 'VALID')],
    ['3x3/2 overlapping SAME, batch 3, odd size', poolInfo([3, 37, 41, 72], [3, 3], [2, 2], 'SAME')],
    ['4x3 window, strides 2x3, SAME, 40 channels', poolInfo([3, 61, 50, 40], [4, 3], [2, 3], 'SAME')],
    ['2x2/2 over 1 channel, wide rows', poolInfo([3, 400, 301, 1], [2, 2], [2, 2], 'SAME')],
    ['explicit padding: rows of windows wholly in the top padding', poolInfo([2, 40, 40, 100], [2, 2], [2, 2], [5, 1, 1, 2])],
    ['stride larger than the window (rows never read)', poolInfo([2, 90, 64, 96], [2, 2], [3, 3], 'VALID')],
    ['3x3/1 SAME (windows overlap a lot: the input is copied whole)', poolInfo([2, 40, 40, 64], [3, 3], [1, 1], 'SAME')],
  ];
  const residentCopy = (a: Float32Array) => {
    const r = wasm.residentBuffer(a.length);
    r.set(a);
    return r;
  };
  for (const threads of [1, 2, 3]) {
    it.each(chunkedPoolCases)(`max/avg pool, chunked copies %s, ${threads} thread(s), plain and resident arrays`, (_, info) => {
      setThreads(threads);
      const rnd = random(info.channels * 13 + info.inWidth);
      const x = fill(info.batch * info.inHeight * info.inWidth * info.channels, rnd);
      // NaNs early, in the middle and at the end of the input (in later chunks)
      for (const at of [3, x.length >> 1, x.length - 1]) x[at] = Number.NaN;
      const n = info.batch * info.outHeight * info.outWidth * info.channels;
      for (const op of ['maxPool', 'avgPool'] as const) {
        const expected = new Float32Array(n);
        jsBackend[op](x, info, expected);
        for (const [inPlace, outPlace] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ]) {
          const actual = outPlace ? wasm.residentBuffer(n).fill(Number.NaN) : new Float32Array(n).fill(Number.NaN);
          wasm[op](inPlace ? residentCopy(x) : x, info, actual);
          const at = firstMismatch(actual, expected, op === 'maxPool' ? 0 : 1e-5);
          expect(at, `${op} (input ${inPlace ? 'resident' : 'plain'}, output ${outPlace ? 'resident' : 'plain'}) at ${at}`).toBe(-1);
        }
      }
    });
  }

  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [32, 100, 10],
    [17, 64, 33],
    [128, 256, 96],
  ])('matMul and matMulTransposed %i x %i x %i', (m, k, n) => {
    const rnd = random(m * k + n);
    const a = fill(m * k, rnd);
    const b = fill(k * n, rnd);
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const expected = new Float32Array(m * n);
      const actual = new Float32Array(m * n);
      jsBackend.matMulTransposed(a, b, m, k, n, expected, ta, tb);
      wasm.matMulTransposed(a, b, m, k, n, actual, ta, tb);
      expectClose(actual, expected);
    }
    const expected = new Float32Array(m * n);
    const actual = new Float32Array(m * n);
    jsBackend.matMul(a, b, m, k, n, expected);
    wasm.matMul(a, b, m, k, n, actual);
    expectClose(actual, expected);
  });

  it('element-wise ops on large float32 arrays, with bias-row and scalar broadcasting', () => {
    const rnd = random(99);
    const shape = [64, 40, 24];
    const n = 64 * 40 * 24;
    const a = fill(n, rnd);
    const b = fill(n, rnd);
    const row = fill(24, rnd);
    const scalar = fill(1, rnd);
    for (const op of ['relu', 'neg', 'abs', 'square', 'sqrt', 'exp', 'sigmoid'] as const) {
      const src = op === 'sqrt' ? a.map(Math.abs) : a;
      const expected = new Float32Array(n);
      const actual = new Float32Array(n);
      jsBackend.unary(op, src, expected);
      wasm.unary(op, src, actual);
      expectClose(actual, expected);
    }
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const) {
      for (const [x, xs, y, ys] of [
        [a, shape, b, shape],
        [a, shape, row, [24]],
        [row, [1, 24], a, shape],
        [a, shape, scalar, []],
        [scalar, [], a, shape],
      ] as const) {
        const expected = new Float32Array(n);
        const actual = new Float32Array(n);
        jsBackend.binary(op, x, xs, y, ys, expected, shape);
        wasm.binary(op, x, xs, y, ys, actual, shape);
        expectClose(actual, expected, op === 'div' ? 1e-3 : 1e-4);
      }
    }
  });
});

describe('the pooling kernels with chunked input', () => {
  it("the calling thread's step takes no chunk whose input it has not copied in yet (it would wait for itself)", async () => {
    const rt = await Runtime.load();
    rt.reset();
    // a 1x4x4x4 max pool 2x2/2 in two chunks of one output row, each with its own input rows
    const x = rt.alloc(64 * 4);
    const out = rt.alloc(16 * 4);
    const bases = rt.alloc(8);
    const flags = rt.alloc(8);
    rt.commit();
    rt.f32.set(
      Float32Array.from({ length: 64 }, (_, i) => i),
      x >> 2,
    );
    rt.i32.set([x, x], bases >> 2);
    rt.i32.set([0, 0], flags >> 2);
    const P = PARAMS >> 2;
    // x, out, batch, H, W, C, outH, outW, kh, kw, strides, pads, counter, rows per chunk, chunks in, bases, flags, main steps
    rt.i32.set([x, out, 1, 4, 4, 4, 2, 2, 2, 2, 2, 2, 0, 0, 0, 1, 0, bases, flags, 1], P);
    rt.run('max_pool', false, (step) => step());
    expect([rt.i32[P + 14], rt.i32[flags >> 2]]).toEqual([0, 0]);
    rt.i32[P + 16] = 1;
    rt.run('max_pool', false, (step) => {
      step();
      step();
    });
    expect([rt.i32[P + 14], rt.i32[flags >> 2], rt.i32[(flags >> 2) + 1]]).toEqual([1, 1, 0]);
    // output row 0: the maxima of input rows 0 and 1, pixels (0, 1) and (2, 3)
    expect(Array.from(rt.f32.subarray(out >> 2, (out >> 2) + 8))).toEqual([20, 21, 22, 23, 28, 29, 30, 31]);
  });
});

describe('a kernel that fails in a worker thread', () => {
  it("is reported by the calling thread with the worker's own error", async () => {
    const rt = await Runtime.load();
    rt.setThreads(2);
    rt.reset();
    const out = rt.alloc(64);
    rt.commit();
    const P = PARAMS >> 2;
    // relu of 16 floats read from far beyond the memory's end: the load traps in whichever thread runs it
    rt.i32.set([0, 0x7ff00000, out, 16, 0], P);
    let worked = false;
    const run = () =>
      rt.run('unary_f32', true, (step, threads) => {
        if (threads === 1) return step();
        // leave the work to the worker: wait until it has joined the call (it traps at once)
        const deadline = performance.now() + 10_000;
        while (rt.stats().joined === 0 && performance.now() < deadline) {}
        worked = rt.stats().joined > 0;
      });
    expect(run).toThrow(/^wasm kernel unary_f32 failed in a worker thread: RuntimeError: memory access out of bounds$/);
    expect(worked).toBe(true);
  });
});

describe('workers and a memory the calling thread grew', () => {
  it('a worker whose instance has not seen the new size yet sits the call out; the calling thread does its share', async () => {
    const rt = await Runtime.load();
    rt.setThreads(2);
    const internals = rt as unknown as { ctl: Int32Array; judged: { serialUntil: number } };
    const ctl = internals.ctl;
    const pagesAt = 9; // CTL.pages
    // relu of 1M floats, in chunks any thread may claim
    const n = 1 << 20;
    const relu = (expectJoined: (before: number, after: number) => void) => {
      rt.reset();
      const x = rt.alloc(n * 4);
      const out = rt.alloc(n * 4);
      rt.commit();
      rt.f32.set(
        Float32Array.from({ length: n }, (_, i) => (i % 7) - 3),
        x >> 2,
      );
      rt.i32.set([0, x, out, n, 0], PARAMS >> 2);
      const before = rt.stats().joined;
      // a call whose worker sat out looks like a busy machine to the runtime, which would then run the next ones alone
      internals.judged.serialUntil = 0;
      rt.run('unary_f32', true, (step) => {
        // give the worker time to wake and decide before the calling thread takes the work
        const until = performance.now() + 50;
        while (performance.now() < until) {}
        step();
      });
      expectJoined(before, rt.stats().joined);
      const y = rt.f32.subarray(out >> 2, (out >> 2) + n);
      expect(y.every((v, i) => v === Math.max(0, (i % 7) - 3))).toBe(true);
    };
    relu(() => {}); // starts the worker
    await vi.waitFor(() => expect(rt.stats().ready).toBe(1));
    relu((before, after) => expect(after).toBeGreaterThan(before));
    // as if the calling thread had grown the memory beyond what the worker's instance knows
    const pages = ctl[pagesAt];
    ctl[pagesAt] = pages + 1;
    relu((before, after) => expect(after).toBe(before));
    ctl[pagesAt] = pages;
    relu((before, after) => expect(after).toBeGreaterThan(before));
  });
});

describe('calls too large for wasm memory', () => {
  it('the arena refuses addresses beyond 2^31 (JavaScript indexes it with 32-bit integers)', async () => {
    const rt = await Runtime.load();
    expect(() => rt.alloc(2 ** 31)).toThrow(WasmMemoryFull);
    rt.reset();
    expect(rt.alloc(64)).toBeGreaterThanOrEqual(0); // still usable afterwards
  });

  it('so do resident buffers, of 2 GiB and more (whose size once wrapped in 32-bit arithmetic) or beyond the limit with those already pinned', async () => {
    const rt = await Runtime.load();
    expect(() => rt.resident(2 ** 30)).toThrow(WasmMemoryFull);
    expect(() => rt.resident(2 ** 29)).toThrow(WasmMemoryFull);
    const pinned = rt.resident(3 * 2 ** 27); // 1.5 GiB
    expect(() => rt.resident(2 ** 27)).toThrow(WasmMemoryFull);
    expect(rt.resident(100)).toHaveLength(100); // still usable afterwards
    expect(pinned).toHaveLength(3 * 2 ** 27);
  });

  it('such a call runs on the js reference instead, with the same result', () => {
    const info = convInfo([1, 6, 7, 2], [3, 3, 4]);
    const rnd = random(7);
    const x = fill(6 * 7 * 2, rnd);
    const w = fill(3 * 3 * 2 * 4, rnd);
    const expected = new Float32Array(6 * 7 * 4);
    jsBackend.conv2d(x, w, info, expected);
    const full = orReference<Pick<Backend, 'conv2d'>>({
      conv2d: () => {
        throw new WasmMemoryFull(2 ** 32);
      },
    });
    const actual = new Float32Array(expected.length);
    full.conv2d(x, w, info, actual);
    expect(Array.from(actual)).toEqual(Array.from(expected));
    const broken = orReference<Pick<Backend, 'conv2d'>>({
      conv2d: () => {
        throw new RangeError('another failure');
      },
    });
    expect(() => broken.conv2d(x, w, info, actual)).toThrow('another failure');
  });
});

describe('configuration from the environment', () => {
  /** getBackend() and getThreads() of a fresh process (the built package) with `env`, and what it warned. */
  function freshProcess(env: Record<string, string>) {
    const script = "import('./dist/index.js').then((c) => console.log(JSON.stringify([c.getBackend(), c.getThreads()])))";
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: new URL('../../../', import.meta.url),
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    const [backend, threads] = JSON.parse(run.stdout) as [string, number];
    return { backend, threads, warnings: run.stderr };
  }

  it('CONVLENS_BACKEND and CONVLENS_THREADS are obeyed; values that mean nothing are named in a warning, not ignored silently', () => {
    expect(freshProcess({ CONVLENS_BACKEND: 'js' })).toMatchObject({ backend: 'js', warnings: '' });
    expect(freshProcess({ CONVLENS_THREADS: '1' })).toMatchObject({ backend: 'wasm', threads: 1, warnings: '' });
    const backend = freshProcess({ CONVLENS_BACKEND: 'webgl' });
    expect(backend.backend).toBe('wasm');
    expect(backend.warnings).toContain('convlens: CONVLENS_BACKEND=webgl is not a backend (js or wasm); using wasm');
    const threads = freshProcess({ CONVLENS_THREADS: 'two' });
    expect(threads.warnings).toMatch(/convlens: CONVLENS_THREADS=two is not a positive whole number; using \d+ threads \(the cores\)/);
  }, 60_000);
});
