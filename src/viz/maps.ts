import { ConvlensError } from '../errors.js';
import type { ImageDataFormat } from '../layers/args.js';
import { transpose } from '../ops/transpose.js';
import type { DType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { colorize } from './colormap.js';
import { upscale } from './grid.js';
import { pngDataUri } from './svg.js';

/** A layer's feature maps as the figures draw them, `[1, H, W, C]`, from its output in `dataFormat`, its layout. */
export function channelsLastMaps<D extends DType>(maps: Tensor<D>, dataFormat: ImageDataFormat = 'channels_last'): Tensor<D> {
  return dataFormat === 'channels_first' ? transpose(maps, [0, 2, 3, 1]) : maps;
}

/** One 2-D plane `[H, W]` (float32) of a `[1, H, W, C]`, `[H, W, C]` or `[H, W]` tensor. */
export function plane(t: Tensor, channel = 0): Tensor<'float32'> {
  const shape = t.rank === 4 ? t.shape.slice(1) : t.rank === 2 ? [...t.shape, 1] : t.shape;
  if (shape.length !== 3 || (t.rank === 4 && t.shape[0] !== 1)) {
    throw new ConvlensError(`plane: expected [1, H, W, C], [H, W, C] or [H, W], got [${t.shape.join(', ')}]`);
  }
  const [h, w, c] = shape;
  if (channel < 0 || channel >= c) throw new ConvlensError(`plane: channel ${channel} is out of range (the tensor has ${c})`);
  // one float32 channel already is the plane: share it, as reshape shares data
  if (c === 1 && t.data instanceof Float32Array) return new Tensor(t.data, [h, w], 'float32');
  const out = new Float32Array(h * w);
  copyChannel(t.data, c, channel, out);
  return new Tensor(out, [h, w], 'float32');
}

/** A loop in a function of its own (see extent.ts for why). */
function copyChannel(data: ArrayLike<number>, channels: number, channel: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels + channel];
}

/** Averages f×f blocks (a partial block at the edge averages what it has): for drawing a big map small. */
export function boxDownscale(t: Tensor<'float32'>, factor: number): Tensor<'float32'> {
  if (factor <= 1) return t;
  const [h, w] = t.shape;
  const oh = Math.ceil(h / factor);
  const ow = Math.ceil(w / factor);
  const sum = new Float64Array(oh * ow);
  const count = new Uint32Array(oh * ow);
  for (let y = 0; y < h; y++) {
    const row = Math.floor(y / factor) * ow;
    for (let x = 0; x < w; x++) {
      const o = row + Math.floor(x / factor);
      sum[o] += t.data[y * w + x];
      count[o]++;
    }
  }
  const out = new Float32Array(oh * ow);
  for (let i = 0; i < out.length; i++) out[i] = sum[i] / count[i];
  return new Tensor(out, [oh, ow], 'float32');
}

/** `sign(v)·|v|^gamma`: tf.image.adjust_gamma on a value (kept finite for negative values). */
export function signedPower(v: number, gamma: number): number {
  return v < 0 ? -((-v) ** gamma) : v ** gamma;
}

/** `signedPower` of every value: how a map is drawn with a gamma. */
export function gammaValues(t: Tensor<'float32'>, gamma: number): Tensor<'float32'> {
  if (gamma === 1) return t;
  const out = new Float32Array(t.size);
  for (let i = 0; i < t.size; i++) out[i] = signedPower(t.data[i], gamma);
  return new Tensor(out, t.shape, 'float32');
}

export interface MapImageOptions {
  cmap?: string;
  gamma?: number;
  /** Longest side it will be drawn at, in pixels: bigger maps are averaged down to twice that, smaller ones enlarged in blocks. */
  display: number;
}

/**
 * A feature map as an embeddable PNG data URI in a colormap: averaged down when much larger
 * than its box, enlarged by whole blocks when smaller, so every renderer shows sharp cells.
 */
export function mapImage(map: Tensor<'float32'>, options: MapImageOptions): string {
  const [h, w] = map.shape;
  const longest = Math.max(h, w);
  let t = gammaValues(map, options.gamma ?? 1);
  if (longest > 2 * options.display) t = boxDownscale(t, Math.ceil(longest / (2 * options.display)));
  let rgb = withNaNTransparent(colorize(t, { cmap: options.cmap ?? 'magma' }), t.data);
  const factor = Math.floor(options.display / longest);
  if (factor >= 2) rgb = upscale(rgb, Math.min(factor, 64));
  return pngDataUri(rgb);
}

/**
 * The colorized map with an alpha channel that leaves its NaN pixels out (the figure's background
 * shows, as matplotlib draws "bad" values), when it has any; as it was otherwise.
 */
function withNaNTransparent(rgb: Tensor<'uint8'>, values: Float32Array): Tensor<'uint8'> {
  const first = values.findIndex(Number.isNaN);
  if (first < 0) return rgb;
  const out = new Uint8Array(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    out.set(rgb.data.subarray(i * 3, i * 3 + 3), i * 4);
    out[i * 4 + 3] = Number.isNaN(values[i]) ? 0 : 255;
  }
  return new Tensor(out, [rgb.shape[0], rgb.shape[1], 4], 'uint8');
}

/** An input image (uint8 or float in 0..1, gray or RGB) as an embeddable PNG, gray drawn as it is. */
export function inputImage(image: Tensor, display: number): string {
  const shape = image.rank === 4 ? image.shape.slice(1) : image.rank === 2 ? [...image.shape, 1] : image.shape;
  const [h, w, c] = shape;
  const channels = c >= 3 ? 3 : 1;
  const longest = Math.max(h, w);
  const step = longest > 2 * display ? Math.ceil(longest / (2 * display)) : 1;
  const oh = Math.ceil(h / step);
  const ow = Math.ceil(w / step);
  const out = new Uint8Array(oh * ow * channels);
  const scale = image.dtype === 'uint8' ? 1 : 255;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let k = 0; k < channels; k++) {
        let sum = 0;
        let n = 0;
        for (let dy = 0; dy < step && y * step + dy < h; dy++) {
          for (let dx = 0; dx < step && x * step + dx < w; dx++) {
            sum += image.data[((y * step + dy) * w + x * step + dx) * c + k];
            n++;
          }
        }
        out[(y * ow + x) * channels + k] = Math.max(0, Math.min(255, Math.round((sum / n) * scale)));
      }
    }
  }
  let rgb = new Tensor(out, [oh, ow, channels], 'uint8');
  const factor = Math.floor(display / Math.max(oh, ow));
  if (factor >= 2) rgb = upscale(rgb, Math.min(factor, 64));
  return pngDataUri(rgb);
}
