import { type Tensor, viz } from './lib.js';

/** RGB uint8 `[H, W, 3]` (what `viz.colorize` and `viz.grid` give) as canvas pixels. */
export function toImageData(rgb: Tensor<'uint8'>): ImageData {
  const [height, width] = rgb.shape;
  const src = rgb.data;
  const rgba = new Uint8ClampedArray(width * height * 4);
  // Four bytes at a time through a 32-bit view: R, G, B from the tensor, alpha 255 (little-endian).
  const words = new Uint32Array(rgba.buffer);
  for (let i = 0, j = 0; i < words.length; i++, j += 3) words[i] = 0xff000000 | (src[j + 2] << 16) | (src[j + 1] << 8) | src[j];
  return new ImageData(rgba, width, height);
}

/** Draws an image on a canvas, sizing the canvas to it; small images are drawn with crisp pixels. */
export function drawImageData(canvas: HTMLCanvasElement, image: ImageData): void {
  if (canvas.width !== image.width) canvas.width = image.width;
  if (canvas.height !== image.height) canvas.height = image.height;
  canvas.getContext('2d')?.putImageData(image, 0, 0);
  canvas.classList.toggle('pixelated', image.width < 160 || image.height < 160);
}

export function drawRgb(canvas: HTMLCanvasElement, rgb: Tensor<'uint8'>): void {
  drawImageData(canvas, toImageData(rgb));
}

/** CSS colour of one entry of a colormap lookup table. */
function entry(table: Uint8Array, index: number): string {
  return `rgb(${table[index * 3]}, ${table[index * 3 + 1]}, ${table[index * 3 + 2]})`;
}

/** WCAG relative luminance of entry `index` of a colormap lookup table. */
function luminance(table: Uint8Array, index: number): number {
  const linear = (c: number) => (c <= 10.31475 ? c / 3294.6 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(table[index * 3]) + 0.7152 * linear(table[index * 3 + 1]) + 0.0722 * linear(table[index * 3 + 2]);
}

/**
 * The lesson's `show_kernel` colours: each cell in the colormap (Blues_r) from the smallest to the
 * largest value. The number is written in black or white, whichever contrasts more with its cell
 * (WCAG's ratio, never below 4.58:1). learntools, and `viz.showKernel` after it, write in the
 * colormap's two ends split at the midpoint value, which leaves mid-blue cells below 3:1; a page
 * is read, so it goes by the contrast.
 */
export function heatColors(values: readonly number[], cmap = 'Blues_r'): { background: string; color: string }[] {
  const table = viz.colormap(cmap);
  const finite = values.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 0;
  return values.map((v) => {
    const t = hi > lo && Number.isFinite(v) ? (v - lo) / (hi - lo) : 0;
    const index = Math.min(255, Math.max(0, Math.floor(t * 256)));
    const cell = luminance(table, index);
    // white's ratio (1.05 / (L + 0.05)) against black's ((L + 0.05) / 0.05)
    const color = 1.05 / (cell + 0.05) >= (cell + 0.05) / 0.05 ? '#fff' : '#000';
    return { background: entry(table, index), color };
  });
}
