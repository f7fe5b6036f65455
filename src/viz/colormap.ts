import * as chromatic from 'd3-scale-chromatic';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** A colormap as a 256-entry RGB lookup table. */
export type Colormap = Uint8Array;

const cache = new Map<string, Colormap>();

function parseColor(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(css);
  if (hex) {
    const v = Number.parseInt(hex[1], 16);
    return [v >> 16, (v >> 8) & 255, v & 255];
  }
  const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(css);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new ConvlensError(`colormap: cannot read colour ${JSON.stringify(css)}`);
}

/** d3's interpolator for a matplotlib-style name: `magma`, `viridis`, `Blues`, `gray`... */
function interpolator(base: string): ((t: number) => string) | undefined {
  if (base.toLowerCase() === 'gray' || base.toLowerCase() === 'grey') return (t) => chromatic.interpolateGreys(1 - t);
  const wanted = `interpolate${base.toLowerCase()}`;
  const key = Object.keys(chromatic).find((k) => k.toLowerCase() === wanted);
  const value = key ? (chromatic as Record<string, unknown>)[key] : undefined;
  return typeof value === 'function' ? (value as (t: number) => string) : undefined;
}

/** Names of every colormap `colormap()` accepts (each also with `_r`, reversed). */
export function colormapNames(): string[] {
  return Object.keys(chromatic)
    .filter((k) => k.startsWith('interpolate'))
    .map((k) => k.slice('interpolate'.length))
    .concat('gray');
}

/**
 * The lookup table for a colormap name from d3-scale-chromatic (case-insensitive;
 * `_r` reverses it, as in matplotlib).
 */
export function colormap(name = 'magma'): Colormap {
  const cached = cache.get(name);
  if (cached) return cached;
  const reversed = name.endsWith('_r');
  const base = reversed ? name.slice(0, -2) : name;
  const interpolate = interpolator(base);
  if (!interpolate) {
    throw new ConvlensError(
      `colormap: unknown colormap ${JSON.stringify(name)} (expected a d3-scale-chromatic name such as magma, viridis, gray, Blues_r)`,
    );
  }
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    table.set(parseColor(interpolate(reversed ? 1 - t : t)), i * 3);
  }
  cache.set(name, table);
  return table;
}

export interface ColorizeOptions {
  cmap?: string;
  /** Value drawn with the colormap's first colour; the data's minimum by default. */
  vmin?: number;
  /** Value drawn with the colormap's last colour; the data's maximum by default. */
  vmax?: number;
  /** Applied to the normalised value (`t ** gamma`), like `adjust_gamma` before `imshow`. */
  gamma?: number;
}

function finiteRange(data: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * Maps a 2-D tensor (or one with leading/trailing length-1 axes) to an RGB uint8 image
 * `[H, W, 3]`, like matplotlib's `imshow(x, cmap)`.
 */
export function colorize(values: Tensor, options: ColorizeOptions = {}): Tensor<'uint8'> {
  const shape = values.shape.filter((d) => d !== 1);
  if (shape.length > 2 || values.size === 0) {
    throw new ConvlensError(`colorize: expected a 2-D tensor (length-1 axes allowed), got shape [${values.shape.join(', ')}]`);
  }
  const [height, width] = shape.length === 2 ? shape : shape.length === 1 ? [1, shape[0]] : [1, 1];
  const table = colormap(options.cmap ?? 'magma');
  const [lo, hi] = finiteRange(values.data);
  const vmin = options.vmin ?? lo;
  const vmax = options.vmax ?? hi;
  const gamma = options.gamma ?? 1;
  const span = vmax - vmin;
  const out = new Uint8Array(height * width * 3);
  for (let i = 0; i < values.size; i++) {
    let t = span > 0 ? (values.data[i] - vmin) / span : 0;
    t = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) ** gamma;
    const index = Math.min(255, Math.floor(t * 256)) * 3;
    out[i * 3] = table[index];
    out[i * 3 + 1] = table[index + 1];
    out[i * 3 + 2] = table[index + 2];
  }
  return new Tensor(out, [height, width, 3], 'uint8');
}
