import type { Tensor } from '../tensor/tensor.js';
import { dataExtent } from '../viz/extent.js';
import { type TerminalPreviewOptions, terminalPreview } from '../viz/terminal.js';

/** Lines a preview takes at most where the map's shape allows it: a square map's at the widest preview, 64 columns. */
const MAX_LINES = 32;

/**
 * A map's terminal preview, or a line saying it is flat: one value everywhere is drawn in the
 * colormap's first colour, which plain shading writes as blank lines that look like a fault. A
 * tall map is drawn narrower, so that it fits in MAX_LINES lines (a character is about twice as
 * tall as wide, and either mode draws two pixel rows per line): a 3000×3 image filled 6000 lines.
 */
export function mapPreview(map: Tensor, options: TerminalPreviewOptions): string {
  const [lo, hi] = dataExtent(map.data);
  if (lo === hi) return `  (a flat map, ${lo.toPrecision(4)} throughout: nothing to draw)`;
  if (lo > hi) return '  (a map of NaN: nothing to draw)';
  const [height, width] = map.rank === 4 ? map.shape.slice(1) : map.shape; // as terminalPreview reads it
  const fits = Math.max(1, Math.floor((2 * MAX_LINES * width) / height));
  return terminalPreview(map, { ...options, width: Math.min(options.width ?? 64, fits) });
}
