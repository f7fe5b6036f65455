import type { Tensor } from '../tensor/tensor.js';
import { dataExtent } from '../viz/extent.js';
import { type TerminalPreviewOptions, terminalPreview } from '../viz/terminal.js';

/**
 * A map's terminal preview, or a line saying it is flat: one value everywhere is drawn in the
 * colormap's first colour, which plain shading writes as blank lines that look like a fault.
 */
export function mapPreview(map: Tensor, options: TerminalPreviewOptions): string {
  const [lo, hi] = dataExtent(map.data);
  if (lo === hi) return `  (a flat map, ${lo.toPrecision(4)} throughout: nothing to draw)`;
  if (lo > hi) return '  (a map of NaN: nothing to draw)';
  return terminalPreview(map, options);
}
