/**
 * Values that are not finite in what the figures draw: a float32 overflow (±Infinity) or a loss
 * gone NaN. As matplotlib's imshow leaves them out of its colour scale, they must not flatten the
 * finite values to one colour, nor write NaN coordinates into SVG.
 */
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tensor } from '../tensor/create.js';
import { lineChart } from './chart.js';
import { colorIndices } from './colormap.js';
import { showExtraction } from './extraction.js';
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

  it('lineChart leaves a gap where a value is NaN, rather than losing the line', () => {
    const svg = lineChart([{ name: 'loss', values: [1, 0.8, Number.NaN, 0.5, 0.4] }]);
    expect(svg).not.toContain('NaN');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
  });
});
