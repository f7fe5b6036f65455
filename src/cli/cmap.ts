import { colormap } from '../viz/colormap.js';
import { UsageError } from './usage.js';

/** An unknown `--cmap` is a usage error (exit 2), found before anything is printed or written. */
export function checkCmap(name: string): void {
  try {
    colormap(name);
  } catch (error) {
    throw new UsageError(`--cmap: ${(error as Error).message}`);
  }
}
