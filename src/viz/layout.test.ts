/** Figure layouts at the edges: large kernels, long titles, long strips, fewer maps than cells. */
import { describe, expect, it } from 'vitest';
import { fill, tensor } from '../tensor/create.js';
import { showExtraction, showFeatureMaps } from './index.js';

const image = tensor(
  Array.from({ length: 48 * 48 }, (_, i) => (i % 48) / 47),
  [48, 48],
);

/** Every y coordinate the SVG places something at. */
function ys(svg: string): number[] {
  return [...svg.matchAll(/\sy="(-?[\d.]+)"/g)].map((m) => Number(m[1]));
}

describe('figure layout', () => {
  it('a 31×31 kernel beside the arrow stays inside the strip', () => {
    const figure = showExtraction(image, fill([31, 31], 1 / 961), { convPadding: 'same' });
    expect(Math.min(...ys(figure.svg))).toBeGreaterThanOrEqual(0);
    // about 80 px across, not 310
    expect(figure.width).toBeLessThan(4 * 240 + 3 * 56 + 2 * 18 + 120);
  });

  it('a long title widens the strip rather than running off it', () => {
    const title = 'a very long title for this figure, longer than the four panels are wide together, '.repeat(2);
    const figure = showExtraction(image, [[1]], { title, poolSize: null, ops: ['Input', 'Filter'] });
    expect(figure.width).toBeGreaterThan(title.length * 6);
  });

  it('a 1×2000 strip is drawn a few pixels high, not a tenth of one', () => {
    const figure = showExtraction(fill([1, 2000], 0.5), [[1]], { poolSize: null });
    const heights = [...figure.svg.matchAll(/<image [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights.length).toBeGreaterThan(0);
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(6);
  });

  it('showFeatureMaps with fewer maps than cells leaves no empty rows', () => {
    const kernels = [tensor([[1, -1]]), tensor([[-1, 1]])];
    const asked = showFeatureMaps(kernels, image, undefined, { rows: 3, cols: 3 });
    const needed = showFeatureMaps(kernels, image, undefined, { rows: 1, cols: 2 });
    expect([asked.width, asked.height]).toEqual([needed.width, needed.height]);
  });
});
