import * as chromatic from 'd3-scale-chromatic';
import { ConvlensError, checkNumber, checkOptions, closestName, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { finiteExtent } from './extent.js';

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

/**
 * matplotlib's `gray`: a straight ramp from black to white, so entry i is (i, i, i) and a photo's
 * pixels are drawn as they are (d3's Greys is a ColorBrewer curve: its middle is 151, not 128).
 */
function grayRamp(t: number): string {
  const v = Math.round(t * 255);
  return `rgb(${v}, ${v}, ${v})`;
}

/** d3's interpolator for a matplotlib-style name: `magma`, `viridis`, `Blues`, or matplotlib's `gray`. */
function interpolator(base: string): ((t: number) => string) | undefined {
  if (base.toLowerCase() === 'gray' || base.toLowerCase() === 'grey') return grayRamp;
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
 * `_r` reverses it, as in matplotlib). A table of the caller's own: changing it changes no other.
 */
export function colormap(name = 'magma'): Colormap {
  return sharedTable(name).slice();
}

/** The table of `colormap(name)`, shared by every caller in this module: not to be changed. */
function sharedTable(name: string): Colormap {
  if (typeof name !== 'string')
    throw new ConvlensError(`colormap: name must be a string such as 'magma' or 'gray_r', got ${describeValue(name)}`);
  const cached = cache.get(name);
  if (cached) return cached;
  const reversed = /_r$/i.test(name);
  const base = reversed ? name.slice(0, -2) : name;
  const interpolate = interpolator(base);
  if (!interpolate) {
    const found = closestName(base, colormapNames());
    // in the user's case: 'magma' for 'magam', 'Blues' for 'Bleus'
    const guess = found && base === base.toLowerCase() ? found.toLowerCase() : found;
    const hint = guess
      ? `did you mean '${guess}${reversed ? '_r' : ''}'?`
      : 'expected a d3-scale-chromatic name such as magma, viridis, gray, Blues_r';
    throw new ConvlensError(`colormap: unknown colormap ${JSON.stringify(name)} (${hint})`);
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
  /** Applied to the normalised value (`t ** gamma`), like `adjust_gamma` before `imshow`; a finite number > 0. */
  gamma?: number;
}

function finiteRange(data: ArrayLike<number>): [number, number] {
  const [lo, hi] = finiteExtent(data);
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * The colour scale's ends: vmin and vmax as given, a missing one from the finite values (as imshow
 * autoscales). vmin above vmax is refused, as matplotlib's Normalize refuses it, also when it comes
 * of one end given beyond the values (`vmin: 5` for values up to 2).
 */
export function colorRange(op: string, data: ArrayLike<number>, options: { vmin?: number; vmax?: number }): [number, number] {
  if (options.vmin !== undefined) checkNumber(op, 'vmin', options.vmin);
  if (options.vmax !== undefined) checkNumber(op, 'vmax', options.vmax);
  const [lo, hi] = options.vmin === undefined || options.vmax === undefined ? finiteRange(data) : [0, 0];
  const vmin = options.vmin ?? lo;
  const vmax = options.vmax ?? hi;
  if (vmin > vmax) {
    const end = (key: 'vmin' | 'vmax', value: number, extreme: string) =>
      `${key} (${value}${options[key] === undefined ? `, the values' ${extreme}, as ${key} was not given` : ''})`;
    throw new ConvlensError(`${op}: ${end('vmin', vmin, 'smallest')} must not exceed ${end('vmax', vmax, 'largest')}`);
  }
  return [vmin, vmax];
}

/**
 * A map's height and width, or an error naming the shape: `[H, W]` itself, a vector as one row,
 * and a map with length-1 axes around it read in its layout, `[1, H, W, 1]` (a batch of one, one
 * channel) and `[H, W, 1]` first, so that a map one pixel wide stays a column (`[1, H, 1, 1]` is
 * `[H, 1]`, not a row of H); other length-1 axes are left out.
 */
function planeShape(op: string, values: Tensor): [number, number] {
  if (!(values instanceof Tensor)) throw new ConvlensError(`${op}: values must be a Tensor, got ${describeValue(values)}`);
  if (values.size === 0) throw new ConvlensError(`${op}: values are empty (shape [${values.shape.join(', ')}]): nothing to draw`);
  let shape = [...values.shape];
  if (shape.length === 4 && shape[0] === 1) shape.shift(); // the batch of one
  while (shape.length > 2 && shape.at(-1) === 1) shape.pop(); // the channel
  while (shape.length > 2 && shape[0] === 1) shape.shift();
  if (shape.length > 2) shape = shape.filter((d) => d !== 1);
  if (shape.length > 2) {
    throw new ConvlensError(`${op}: expected a 2-D tensor (length-1 axes allowed), got shape [${values.shape.join(', ')}]`);
  }
  return shape.length === 2 ? [shape[0], shape[1]] : shape.length === 1 ? [1, shape[0]] : [1, 1];
}

/**
 * Maps a 2-D tensor (or one with leading/trailing length-1 axes) to an RGB uint8 image
 * `[H, W, 3]`, like matplotlib's `imshow(x, cmap)`.
 *
 * Each value becomes the table entry `min(255, floor(t ** gamma * 256))` with
 * `t = clamp((v - vmin) / (vmax - vmin), 0, 1)` (NaN → 0). vmin and vmax default to the smallest
 * and largest finite value: +Infinity then takes the last colour and -Infinity the first.
 */
export function colorize(values: Tensor, options: ColorizeOptions = {}): Tensor<'uint8'> {
  checkOptions('colorize', options, ['cmap', 'vmin', 'vmax', 'gamma']);
  const [height, width] = planeShape('colorize', values);
  const table = sharedTable(options.cmap ?? 'magma');
  const entries = entryIndices('colorize', values.data, options);
  const out = new Uint8Array(height * width * 3);
  for (let i = 0, o = 0; i < entries.length; i++, o += 3) {
    const k = entries[i] * 3;
    out[o] = table[k];
    out[o + 1] = table[k + 1];
    out[o + 2] = table[k + 2];
  }
  return new Tensor(out, [height, width, 3], 'uint8');
}

/**
 * The colormap entry (0 to 255) `colorize` gives each value, as a uint8 `[H, W]`: with the table of
 * `colormap(name)` as its palette, an indexed-colour image of the same pixels, a third of the size.
 */
export function colorIndices(values: Tensor, options: Omit<ColorizeOptions, 'cmap'> = {}): Tensor<'uint8'> {
  checkOptions('colorIndices', options, ['vmin', 'vmax', 'gamma']);
  const [height, width] = planeShape('colorIndices', values);
  return new Tensor(entryIndices('colorIndices', values.data, options), [height, width], 'uint8');
}

function entryIndices(op: string, data: ArrayLike<number>, options: Omit<ColorizeOptions, 'cmap'>): Uint8Array {
  const gamma = options.gamma ?? 1;
  if (!(gamma > 0 && gamma < Number.POSITIVE_INFINITY)) {
    throw new ConvlensError(`${op}: gamma must be a finite number > 0 (1 for none), got ${gamma}`);
  }
  const [vmin, vmax] = colorRange(op, data, options);
  const span = vmax - vmin;
  const out = new Uint8Array(data.length);
  if (span > 0 && gamma === 1) indicesLinear(data, out, vmin, span);
  else if (span > 0) indicesGamma(data, out, vmin, span, gamma);
  else indicesExact(data, out, vmin, span, gamma);
  return out;
}

/*
 * The three loops below give the same entries: `indicesExact` is the definition (see `colorize`),
 * the other two are faster ways to the same entry. They avoid most branches that depend on the
 * value (random data would mispredict them): the clamping is done with integer operations.
 */

/** Below -2^31, `x | 0` wraps around (ToInt32); such values are clamped to 0 separately. */
const INT32_MIN = -2147483648;

/**
 * `gamma` 1 and a positive span: `t ** 1` is `t`, so the entry is `floor(t * 256)` clamped to
 * 0..255 (t * 256 is exact, so `floor(clamp(t) * 256)` and `clamp(floor(t * 256))` agree; NaN → 0).
 */
function indicesLinear(data: ArrayLike<number>, out: Uint8Array, vmin: number, span: number): void {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const x = ((data[i] - vmin) / span) * 256;
    let k = Math.min(256, x) | 0; // truncation: floor for x >= 0, 0 for -1 < x < 0 and NaN
    if (x < INT32_MIN) k = 0;
    k &= ~(k >> 31); // negative → 0
    out[i] = (k | ((255 - k) >> 31)) & 255; // 256 → 255
  }
}

/** Bins of t for `gammaBins`: bin j holds j / GAMMA_BINS < t <= (j + 1) / GAMMA_BINS. */
const GAMMA_BINS = 4096;
const gammaCache = new Map<number, Int16Array>();

/**
 * For each bin of t, the entry that every t in the bin gets from `min(255, floor(t ** gamma *
 * 256))`, or -1 when the bin straddles a change of entry and each value must be computed. Slot 0
 * is t <= 0 and NaN (entry 0: `0 ** gamma` is 0), slot j + 1 is bin j (the last one takes t >= 1
 * too, clamped to 1: entry 255). A bin is only trusted when its ends are more than 1e-9 from an
 * entry boundary: `**` is increasing in t and within an ulp or so of exact (~1e-13 at this
 * scale), so no value inside can land in another entry.
 */
function gammaBins(gamma: number): Int16Array {
  const cached = gammaCache.get(gamma);
  if (cached) return cached;
  const bins = new Int16Array(GAMMA_BINS + 1);
  const margin = 1e-9;
  let below = 0; // 0 ** gamma * 256
  for (let j = 0; j < GAMMA_BINS; j++) {
    const above = ((j + 1) / GAMMA_BINS) ** gamma * 256;
    const first = Math.max(0, Math.min(255, Math.floor(below - margin)));
    const last = Math.min(255, Math.floor(above + margin));
    bins[j + 1] = first === last ? first : -1;
    below = above;
  }
  if (gammaCache.size >= 8) gammaCache.delete(gammaCache.keys().next().value!);
  gammaCache.set(gamma, bins);
  return bins;
}

/** A positive span: the entry from `gammaBins`, or computed where a bin is not uniform. */
function indicesGamma(data: ArrayLike<number>, out: Uint8Array, vmin: number, span: number, gamma: number): void {
  const bins = gammaBins(gamma);
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const t = (data[i] - vmin) / span;
    const x = t * GAMMA_BINS; // exact: a power of two
    let j = (Math.ceil(Math.min(GAMMA_BINS, x)) | 0) - 1; // NaN and -1 < x <= 0 → -1
    if (x < INT32_MIN) j = -1;
    j |= j >> 31; // negative → -1: slot 0
    const k = bins[j + 1];
    out[i] = k >= 0 ? k : Math.min(255, Math.floor(Math.min(1, t) ** gamma * 256)); // here 0 < t, not NaN
  }
}

/** Any span, exactly as documented on `colorize`. */
function indicesExact(data: ArrayLike<number>, out: Uint8Array, vmin: number, span: number, gamma: number): void {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    let t = span > 0 ? (data[i] - vmin) / span : 0;
    t = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) ** gamma;
    out[i] = Math.min(255, Math.floor(t * 256));
  }
}
