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

/**
 * The lesson's `show_kernel` colours: each cell in the colormap (Blues_r) from the smallest to the
 * largest value, the number written in the colormap's first colour where the value is above the
 * midpoint and in its last colour elsewhere (learntools' rule, as `viz.showKernel` draws it).
 */
export function heatColors(values: readonly number[], cmap = 'Blues_r'): { background: string; color: string }[] {
  const table = viz.colormap(cmap);
  const finite = values.filter(Number.isFinite);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 0;
  const threshold = (hi + lo) / 2;
  return values.map((v) => {
    const t = hi > lo && Number.isFinite(v) ? (v - lo) / (hi - lo) : 0;
    const index = Math.min(255, Math.max(0, Math.floor(t * 256)));
    return { background: entry(table, index), color: v > threshold ? entry(table, 0) : entry(table, 255) };
  });
}
