/**
 * Values that are not finite in what the figures draw: a float32 overflow (±Infinity) or a loss
 * gone NaN. As matplotlib's imshow leaves them out of its colour scale, they must not flatten the
 * finite values to one colour, nor write NaN coordinates into SVG.
 */
import { interpolateBlues } from 'd3-scale-chromatic';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tensor } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { lineChart } from './chart.js';
import { colorIndices } from './colormap.js';
import { showExtraction } from './extraction.js';
import { showKernel } from './kernel.js';
import { mapImage } from './maps.js';
import { matrix } from './matrix.js';
import { terminalPreview } from './terminal.js';

describe('values that are not finite', () => {
  it('colorize scales by the finite values: +Infinity takes the last colour, -Infinity and NaN the first', () => {
    // t = (v - 0) / (1 - 0), entry min(255, floor(t * 256)): 0, 128, 255; then the clamped ones
    const indices = colorIndices(tensor([[0, 0.5, 1, Infinity, -Infinity, Number.NaN]]));
    expect(Array.from(indices.data)).toEqual([0, 128, 255, 255, 0, 0]);
  });

  it('the extraction strip with one infinite pixel: the other pixels keep their shades, no NaN in the SVG', () => {
    const values = Array.from({ length: 64 }, (_, i) => (i % 8) / 7);
    values[9] = Infinity;
    const figure = showExtraction(tensor(values, [8, 8]), [[1]], { poolSize: null });
    expect(figure.svg).not.toContain('NaN');
    expect(figure.svg).not.toContain('Infinity');
  });

  it('terminalPreview shades a map with NaN and Infinity in it, and names a bad mode', () => {
    const values = Array.from({ length: 16 * 16 }, (_, i) => (i % 16) / 15);
    values[0] = Number.NaN;
    values[1] = Infinity;
    const plain = terminalPreview(tensor(values, [16, 16]), { mode: 'plain', width: 16 });
    expect(plain).not.toContain('undefined');
    const lines = plain.split('\n');
    expect(lines.length).toBe(8);
    // each row runs from dark (left) to light (right), as the finite values do
    expect(lines[4].trim().length).toBeGreaterThan(8);
    expect(terminalPreview(tensor(values, [16, 16]), { width: 16 })).not.toContain('NaN');
    expectConvlensError(
      () => terminalPreview(tensor(values, [16, 16]), { mode: 'ascii' as 'plain' }),
      /mode must be 'color' or 'plain', got "ascii"/,
    );
  });

  it('showKernel shades the finite cells by their values; ±Infinity takes an end colour, NaN is left unfilled', () => {
    const cells = (svg: string) => svg.slice(svg.indexOf('<g class="kernel"'), svg.indexOf('</g>', svg.indexOf('<g class="kernel"')));
    const fills = (svg: string) => [...cells(svg).matchAll(/<rect [^>]*fill="([^"]+)"/g)].map((m) => m[1]);
    // Blues_r: the smallest finite value darkest, the largest lightest, as without the NaN
    const withNaN = fills(
      showKernel(
        tensor([
          [Number.NaN, 1],
          [2, 3],
        ]),
      ).svg,
    );
    expect(withNaN[0]).toBe('none');
    expect(withNaN.slice(1)).toEqual(
      fills(
        showKernel(
          tensor([
            [1, 1],
            [2, 3],
          ]),
        ).svg,
      ).slice(1),
    );
    expect(new Set(withNaN.slice(1)).size).toBe(3);
    const withInf = fills(
      showKernel(
        tensor([
          [Infinity, 1],
          [2, -Infinity],
        ]),
      ).svg,
    );
    expect(withInf).toEqual([withInf[0], withInf[3], withInf[0], withInf[3]]);
    expect(withInf[0]).not.toBe(withInf[3]);
    // the colormap's own ends, not black
    const lightest = interpolateBlues(0).toString();
    expect(withInf[0]).toBe(hexOf(lightest));
    expect(showKernel(tensor([[Number.NaN, Infinity]])).svg).toMatch(/>nan<[\s\S]*>inf</);
    // with no finite value at all, +Infinity and -Infinity still take the two ends
    expect(fills(showKernel(tensor([[Infinity, -Infinity]])).svg)).toEqual([withInf[0], withInf[3]]);
  });

  it('a map image leaves NaN pixels transparent; a map with no finite value says so on its colorbar', () => {
    const map = tensor([
      [Number.NaN, 0],
      [0.5, 1],
    ]) as Tensor<'float32'>;
    const uri = mapImage(map, { display: 2 });
    const png = decode(Buffer.from(uri.split(',')[1], 'base64'));
    expect(png.channels).toBe(4);
    expect(Array.from(png.data as Uint8Array).filter((_, i) => i % 4 === 3)).toEqual([0, 255, 255, 255]);
    expect(decode(Buffer.from(mapImage(tensor([[0, 1]]) as Tensor<'float32'>, { display: 2 }).split(',')[1], 'base64')).channels).toBe(3);
    const figure = showExtraction(
      tensor([
        [0.1, 0.2, 0.3],
        [0.4, 0.5, 0.6],
      ]),
      [[Number.NaN]],
      { poolSize: null },
    );
    expect(figure.svg).toContain('no finite values');
    expect(showExtraction(tensor([[0.1, 0.2, 0.3]]), [[1]], { poolSize: null }).svg).not.toContain('no finite values');
  });

  it('matrix writes nan and inf as NumPy and showKernel do', () => {
    expect(matrix(tensor([[Number.NaN, 1.5, Infinity, -Infinity]]))).toBe('[nan  1.5  inf  -inf]');
  });

  it('lineChart draws values near the largest float32 without NaN coordinates', () => {
    const svg = lineChart([{ name: 'a', values: [-1e308, 1e308] }]);
    expect(svg).not.toContain('NaN');
    expect(svg.match(/<circle /g)).toHaveLength(2);
  });

  it('lineChart leaves a gap where a value is NaN, rather than losing the line', () => {
    const svg = lineChart([{ name: 'loss', values: [1, 0.8, Number.NaN, 0.5, 0.4] }]);
    expect(svg).not.toContain('NaN');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
  });
});

/** d3's "rgb(r, g, b)" as the figures write it, #rrggbb. */
function hexOf(rgb: string): string {
  const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}
