import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor/create.js';
import { mapPreview } from './preview.js';

/** A map of `height` × `width` distinct values. */
function ramp(height: number, width: number) {
  return tensor(
    Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => y * width + x)),
    [height, width],
  );
}

describe('mapPreview', () => {
  it('draws a tall map narrower, in 32 lines at most, in either mode; a square one 64 columns wide', () => {
    for (const mode of ['plain', 'color'] as const) {
      const tall = mapPreview(ramp(300, 30), { mode, width: 64 }).split('\n');
      expect(tall.length, mode).toBeLessThanOrEqual(32);
      expect(tall.length, mode).toBeGreaterThanOrEqual(30);
      expect(mapPreview(ramp(40, 40), { mode, width: 64 }).split('\n')).toHaveLength(32);
    }
    // the columns: 6 for the tall map (64 · 30 / 300, rounded down), as given for a wide one
    const widestLine = (text: string) => Math.max(...text.split('\n').map((l) => l.length));
    expect(widestLine(mapPreview(ramp(300, 30), { mode: 'plain', width: 64 }))).toBe(6);
    expect(widestLine(mapPreview(ramp(10, 200), { mode: 'plain', width: 64 }))).toBe(64);
    expect(mapPreview(ramp(1, 200), { mode: 'plain', width: 64 }).length).toBe(64); // one row
  });
});
