import { interpolateBlues, interpolateGreys, interpolateMagma, interpolateViridis } from 'd3-scale-chromatic';
import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor/create.js';
import { colorize, colormap } from './colormap.js';

/** d3 gives '#rrggbb' for some schemes and 'rgb(r, g, b)' for others. */
function rgb(css: string): number[] {
  if (css.startsWith('rgb')) return (css.match(/\d+/g) ?? []).map(Number);
  const v = Number.parseInt(css.slice(1), 16);
  return [v >> 16, (v >> 8) & 255, v & 255];
}

describe('colormap', () => {
  it('matches d3-scale-chromatic at every entry', () => {
    for (const [name, f] of [
      ['magma', interpolateMagma],
      ['viridis', interpolateViridis],
    ] as const) {
      const table = colormap(name);
      for (const i of [0, 1, 100, 254, 255]) expect(Array.from(table.slice(i * 3, i * 3 + 3))).toEqual(rgb(f(i / 255)));
    }
  });

  it('reverses with _r and knows gray', () => {
    const table = colormap('Blues_r');
    expect(Array.from(table.slice(0, 3))).toEqual(rgb(interpolateBlues(1)));
    // matplotlib's gray runs from black to white; d3's Greys runs the other way.
    expect(Array.from(colormap('gray').slice(0, 3))).toEqual(rgb(interpolateGreys(1)));
    expect(Array.from(colormap('gray').slice(255 * 3))).toEqual(rgb(interpolateGreys(0)));
  });

  it('rejects unknown names', () => {
    expect(() => colormap('nope')).toThrow(/colormap: unknown colormap "nope"/);
  });
});

describe('colorize', () => {
  it('maps the minimum to the first colour and the maximum to the last', () => {
    const out = colorize(
      tensor([
        [0, 5],
        [10, 10],
      ]),
      { cmap: 'magma' },
    );
    expect(out.shape).toEqual([2, 2, 3]);
    expect(Array.from(out.data.slice(0, 3))).toEqual(rgb(interpolateMagma(0)));
    expect(Array.from(out.data.slice(9, 12))).toEqual(rgb(interpolateMagma(1)));
  });

  it('clips to vmin/vmax and rejects 3-D input', () => {
    const out = colorize(tensor([[-5, 20]]), { vmin: 0, vmax: 10 });
    expect(Array.from(out.data.slice(0, 3))).toEqual(rgb(interpolateMagma(0)));
    expect(Array.from(out.data.slice(3, 6))).toEqual(rgb(interpolateMagma(1)));
    expect(() => colorize(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]))).toThrow(/colorize: expected a 2-D tensor/);
  });
});

describe('colormap tables', () => {
  it("equal d3-scale-chromatic's interpolators at all 256 entries, reversed ones included", async () => {
    const d3 = await import('d3-scale-chromatic');
    const cases: [string, (t: number) => string][] = [
      ['magma', d3.interpolateMagma],
      ['viridis', d3.interpolateViridis],
      ['inferno', d3.interpolateInferno],
      ['plasma', d3.interpolatePlasma],
      ['cividis', d3.interpolateCividis],
      ['Blues', d3.interpolateBlues],
      ['Blues_r', (t) => d3.interpolateBlues(1 - t)],
      ['magma_r', (t) => d3.interpolateMagma(1 - t)],
      ['gray', (t) => d3.interpolateGreys(1 - t)],
    ];
    for (const [name, f] of cases) {
      const table = colormap(name);
      for (let i = 0; i < 256; i++) expect(Array.from(table.slice(i * 3, i * 3 + 3)), `${name}[${i}]`).toEqual(rgb(f(i / 255)));
    }
  });
});
