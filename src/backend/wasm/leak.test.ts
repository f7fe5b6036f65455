import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Conv2DInfo } from '../types.js';
import { setThreads, wasmBackend } from './index.js';

// 10,000 conv2d calls (fresh output arrays each time, as ops allocate them) must not grow the
// resident set by more than 50 MB: the wasm arena is reused, workers are not respawned.
// The warm-up lets V8's young generation grow to its working size (it starts small and grows
// with the allocation rate); a full collection before each reading (gc exposed at run time, as
// vitest does not pass --expose-gc) keeps not-yet-collected garbage out of the measure.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
describe.skipIf(!wasmBackend)('wasm backend memory', () => {
  it('keeps RSS growth under 50 MB over 10,000 conv2d calls', () => {
    setThreads(2);
    const info: Conv2DInfo = {
      batch: 1,
      inHeight: 32,
      inWidth: 32,
      inChannels: 4,
      outHeight: 32,
      outWidth: 32,
      outChannels: 8,
      filterHeight: 3,
      filterWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: 1,
      padLeft: 1,
    };
    const x = new Float32Array(32 * 32 * 4).map((_, i) => Math.sin(i));
    const w = new Float32Array(9 * 4 * 8).map((_, i) => Math.cos(i));
    const bias = new Float32Array(8).fill(0.1);
    const run = () => {
      const out = new Float32Array(32 * 32 * 8);
      wasmBackend!.conv2d(x, w, info, out, { bias, activation: 'relu' });
      return out;
    };
    for (let i = 0; i < 2_000; i++) run();
    collectGarbage();
    const before = process.memoryUsage().rss;
    let checksum = 0;
    for (let i = 0; i < 10_000; i++) checksum += run()[i % 100];
    collectGarbage();
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    expect(Number.isFinite(checksum)).toBe(true);
    expect(grown).toBeLessThan(50);
  });
});
