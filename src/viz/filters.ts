import { ConvlensError, checkNumber, checkOptions, checkString } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { finiteExtent } from './extent.js';
import { Figure } from './figure.js';
import { inputImage } from './maps.js';
import { fmt, imageElement, textElement, textWidth } from './svg.js';

export interface ShowFiltersOptions {
  /** Filters per row (default: up to 8). */
  cols?: number;
  /** Side of one filter's picture in pixels (default 48). */
  tileSize?: number;
  /** A title above the grid. */
  title?: string;
}

const OPTIONS = ['cols', 'tileSize', 'title'];

/**
 * A first convolution's filters as pictures, as the filters of AlexNet are shown: a kernel
 * `[kh, kw, 3, filters]` (a Conv2D's first weight, on RGB images) as one colour image per filter,
 * or `[kh, kw, 1, filters]` (gray images) as gray ones, every value scaled by the same
 * min..max of the whole kernel to 0..255, so filters can be compared (0 is mid-gray only when the
 * kernel's range is symmetric). `showKernels` writes a gray kernel's numbers instead.
 */
export function showFilters(kernel: TensorInput, options: ShowFiltersOptions = {}): Figure {
  checkOptions('showFilters', options, OPTIONS);
  const k = asTensor('showFilters', 'kernel', kernel);
  const [kh, kw, channels, count] = k.shape;
  if (k.rank !== 4 || (channels !== 1 && channels !== 3) || k.size === 0) {
    throw new ConvlensError(
      `showFilters: kernel must be a convolution's weight [height, width, 1 or 3 input channels, filters] (a first layer's on gray or RGB images), got shape ${formatShape(k.shape)}`,
    );
  }
  const { title = '' } = options;
  checkString('showFilters', 'title', title);
  if (options.cols !== undefined) checkNumber('showFilters', 'cols', options.cols, { min: 1, integer: true });
  if (options.tileSize !== undefined) checkNumber('showFilters', 'tileSize', options.tileSize, { min: 4, max: 1024, integer: true });
  const tile = options.tileSize ?? 48;
  const cols = Math.min(count, options.cols ?? 8);
  const rows = Math.ceil(count / cols);
  const values = Array.from(k.data as ArrayLike<number>, Number);
  // in one pass: Math.min(...values) overflowed the stack past about 120 000 values (7×7×3×1024)
  const [lo, hi] = finiteExtent(values);
  // filter f's picture: its kh × kw × channels values, scaled to 0..1 by the kernel's range
  const picture = (f: number) => {
    const out = new Float32Array(kh * kw * channels);
    for (let i = 0; i < kh * kw * channels; i++) {
      const v = values[i * count + f];
      out[i] = hi > lo ? (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo) : 0.5;
    }
    return new Tensor(out, [kh, kw, channels], 'float32');
  };
  const pad = 12;
  const gap = 8;
  const label = 12;
  const titleHeight = title ? 28 : 0;
  // the pictures keep the kernel's aspect ratio within their square
  const [tw, th] = kh >= kw ? [(tile * kw) / kh, tile] : [tile, (tile * kh) / kw];
  // as wide as the title too: a figure of one or two filters clipped its title at both sides
  const width = Math.max(2 * pad + cols * tile + (cols - 1) * gap, title ? textWidth(title, 16, true) + 2 * pad : 0);
  const left = (width - (cols * tile + (cols - 1) * gap)) / 2;
  const height = 2 * pad + titleHeight + rows * (tile + label + 4) + (rows - 1) * gap;
  const body: string[] = [];
  if (title) body.push(textElement(title, width / 2, pad + 16, { size: 16, anchor: 'middle', weight: 'bold' }));
  for (let f = 0; f < count; f++) {
    const x = left + (f % cols) * (tile + gap);
    const y = pad + titleHeight + Math.floor(f / cols) * (tile + label + 4 + gap);
    body.push(imageElement(inputImage(picture(f), tile), x + (tile - tw) / 2, y + (tile - th) / 2, tw, th));
    body.push(
      `<rect x="${fmt(x + (tile - tw) / 2)}" y="${fmt(y + (tile - th) / 2)}" width="${fmt(tw)}" height="${fmt(th)}" fill="none" stroke="#888" stroke-width="1"/>`,
    );
    body.push(textElement(String(f), x + tile / 2, y + tile + label, { size: 11, anchor: 'middle', fill: '#555' }));
  }
  return Figure.of(width, height, body, title || 'filters');
}
