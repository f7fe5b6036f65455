import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tensor } from '../tensor/create.js';
import { showFilters } from './filters.js';

/** The pictures of a figure: each embedded PNG decoded. */
function pictures(svg: string) {
  return [...svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => decode(Buffer.from(m[1], 'base64')));
}

describe('showFilters', () => {
  it("draws each RGB filter as a colour picture, every value on the whole kernel's min..max", () => {
    // a 1×2 kernel of 3 input channels and 2 filters: [y][x][channel][filter]
    const values = [
      // x = 0: R, G, B of filters 0 and 1
      [-1, 1],
      [0, 0.5],
      [1, -1],
      // x = 1
      [0.5, 0],
      [-0.5, 1],
      [0, 0],
    ];
    const kernel = tensor(values.flat(), [1, 2, 3, 2]);
    const figure = showFilters(kernel, { tileSize: 8 });
    const [first, second] = pictures(figure.svg);
    expect([first.width, first.height, first.channels]).toEqual([8, 4, 3]); // 1×2 enlarged 4 times
    const px = (p: ReturnType<typeof decode>, x: number) => Array.from(p.data.slice(x * 3, x * 3 + 3));
    // (v + 1) / 2 · 255, rounded: the kernel spans -1..1
    const level = (v: number) => Math.round(((v + 1) / 2) * 255);
    expect(px(first, 0)).toEqual([level(-1), level(0), level(1)]);
    expect(px(first, 4)).toEqual([level(0.5), level(-0.5), level(0)]);
    expect(px(second, 0)).toEqual([level(1), level(0.5), level(-1)]);
    expect(px(second, 4)).toEqual([level(0), level(1), level(0)]);
    expect(figure.svg.match(/<text[^>]*>([01])<\/text>/g)).toHaveLength(2);
  });

  it('draws gray filters as gray pictures, in rows of cols', () => {
    const kernel = tensor(
      Array.from({ length: 9 * 10 }, (_, i) => i),
      [3, 3, 1, 10],
    );
    const figure = showFilters(kernel, { cols: 4, tileSize: 9, title: 'ten' });
    const all = pictures(figure.svg);
    expect(all).toHaveLength(10);
    expect(all[0].channels).toBe(1);
    // filter 0's first value is the kernel's minimum, filter 9's last its maximum
    expect([all[0].data[0], all[9].data[all[9].data.length - 1]]).toEqual([0, 255]);
    expect(figure.width).toBe(2 * 12 + 4 * 9 + 3 * 8);
    expect(figure.svg).toContain('>ten</text>');
  });

  it('draws a kernel of more values than a call can spread (64×64×3×16)', () => {
    const size = 64 * 64 * 3 * 16;
    // value i is i: filter 0's first value the minimum, filter 15's last the maximum
    const figure = showFilters(
      tensor(
        Float32Array.from({ length: size }, (_, i) => i),
        [64, 64, 3, 16],
      ),
      { tileSize: 64 },
    );
    const all = pictures(figure.svg);
    expect(all).toHaveLength(16);
    expect([all[0].data[0], all[15].data[all[15].data.length - 1]]).toEqual([0, 255]);
  });

  it('makes the figure as wide as its title', async () => {
    const figure = showFilters(tensor(new Float32Array(9), [3, 3, 1, 1]), { title: 'the first layer of a model, one filter' });
    const png = decode(await figure.png());
    // the first and last columns of pixels are white: the title is not cut at the edges
    const column = (x: number) => Array.from({ length: png.height }, (_, y) => png.data[(y * png.width + x) * png.channels]);
    expect(column(0).every((v) => v === 255)).toBe(true);
    expect(column(png.width - 1).every((v) => v === 255)).toBe(true);
  });

  it('names a kernel it cannot draw', () => {
    const message = (shape: string) =>
      `showFilters: kernel must be a convolution's weight [height, width, 1 or 3 input channels, filters] (a first layer's on gray or RGB images), got shape ${shape}`;
    expectConvlensError(() => showFilters(tensor(new Float32Array(3 * 3 * 16 * 4), [3, 3, 16, 4])), message('[3, 3, 16, 4]'));
    expectConvlensError(() => showFilters([[1, 2]]), message('[1, 2]'));
    expectConvlensError(() => showFilters(tensor(new Float32Array(9), [3, 3, 1, 1]), { cols: 0 }), /^showFilters: cols must be/);
  });
});
