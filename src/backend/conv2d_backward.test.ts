import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { convInfo } from '../../test/helpers/conv_info.js';
import { caseRng } from '../../test/helpers/random.js';
import { backend } from './registry.js';
import type { Conv2DGrads, Conv2DInfo } from './types.js';

const cases: [string, Conv2DInfo][] = [
  ['gray first layer 1 -> 16, SAME', convInfo([3, 12, 11, 1], [3, 3, 16])],
  ['16 -> 32 on 14x14 (threads)', convInfo([4, 14, 14, 16], [3, 3, 32])],
  ['odd channels 7 -> 13, stride [1, 2], VALID', convInfo([2, 11, 10, 7], [2, 3, 13], [1, 2], [1, 1], 'VALID')],
];

function randomArray(length: number, seed: string): Float32Array {
  const rng = caseRng(seed, length);
  return Float32Array.from({ length }, () => rng.float());
}

describe('conv2dBackward computes only the gradients it is given arrays for', () => {
  forEachBackend(() => {
    it.each(cases)('%s: dx and dBias without dFilters are those with it, to the bit', (name, info) => {
      const x = randomArray(info.batch * info.inHeight * info.inWidth * info.inChannels, `${name} x`);
      const w = randomArray(info.filterHeight * info.filterWidth * info.inChannels * info.outChannels, `${name} w`);
      const dy = randomArray(info.batch * info.outHeight * info.outWidth * info.outChannels, `${name} dy`);
      const y = randomArray(dy.length, `${name} y`);
      for (const reluOutput of [undefined, y]) {
        const run = (wanted: Partial<Record<'dFilters' | 'dBias' | 'dx', true>>) => {
          const grads: Conv2DGrads = {
            dFilters: wanted.dFilters && new Float32Array(w.length).fill(Number.NaN),
            dBias: wanted.dBias && new Float32Array(info.outChannels).fill(Number.NaN),
            dx: wanted.dx && new Float32Array(x.length).fill(Number.NaN),
            reluOutput,
          };
          backend().conv2dBackward(x, w, dy, info, grads);
          return grads;
        };
        const all = run({ dFilters: true, dBias: true, dx: true });
        expect(all.dFilters!.some(Number.isNaN), 'dFilters written').toBe(false);
        const withoutFilters = run({ dBias: true, dx: true });
        expect(withoutFilters.dBias).toEqual(all.dBias);
        expect(withoutFilters.dx).toEqual(all.dx);
        expect(run({ dx: true }).dx).toEqual(all.dx);
        expect(run({ dBias: true }).dBias).toEqual(all.dBias);
      }
    });
  });
});
