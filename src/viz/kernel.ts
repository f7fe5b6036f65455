import { ConvlensError, checkArray, checkBoolean, checkNumber, checkOptions, checkString, describeValue } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { fromValues } from '../tensor/create.js';
import { Tensor } from '../tensor/tensor.js';
import { colormap } from './colormap.js';
import { finiteExtent } from './extent.js';
import { Figure } from './figure.js';
import { formatValue, roundHalfEven } from './numbers.js';
import { fmt, hex, textElement, textWidth } from './svg.js';

/** The text of a NaN cell, which is left unfilled (the background shows, as matplotlib draws a "bad" value). */
const NAN_TEXT = '#444';

export interface ShowKernelOptions {
  /** Round the written values to this many decimals (learntools' `digits`). */
  digits?: number;
  /** Write each value in its cell (default true), in the colormap's darkest or lightest colour for contrast. */
  label?: boolean;
  /** Colormap (default `Blues_r`, as the lesson). */
  cmap?: string;
  /** A title above the kernel, e.g. `Edge Detect`. */
  title?: string;
  /** Side of one cell in pixels (default 64). */
  cellSize?: number;
  /** Font size of the values; by default as large as fits the cell (at most 40% of it). */
  textSize?: number;
  /** Leave the values out when they would have to be smaller than this to fit (default 0: never). */
  minTextSize?: number;
}

const KERNEL_OPTIONS = ['digits', 'label', 'cmap', 'title', 'cellSize', 'textSize', 'minTextSize'];

/** A drawable piece of a figure: its size and its SVG elements placed at (x, y). */
export interface Panel {
  width: number;
  height: number;
  /** How far below the panel's top its picture starts (a kernel's grid, under its title). */
  top?: number;
  draw(x: number, y: number): string[];
}

/** The kernel as a 2-D tensor (length-1 axes dropped: `[3, 3, 1, 1]` is fine). */
export function kernel2d(op: string, kernel: TensorInput): Tensor {
  // nested arrays read like tf.constant: whole numbers stay integers (written `-1`, not `-1.0`)
  const t =
    kernel instanceof Tensor || !Array.isArray(kernel)
      ? asTensor(op, 'kernel', kernel)
      : fromValues(op, kernel, undefined, undefined, true, "'kernel'");
  const shape = t.shape.filter((d, i) => i < 2 || d !== 1);
  if (t.size === 0) throw new ConvlensError(`${op}: kernel is empty (shape [${t.shape.join(', ')}]): it needs at least one value`);
  if (shape.length !== 2) {
    throw new ConvlensError(`${op}: kernel must be 2-D [rows, cols] (length-1 trailing axes allowed), got shape [${t.shape.join(', ')}]`);
  }
  return t.shape.length === 2 ? t : new Tensor(t.data, shape, t.dtype);
}

/** The cells, colours and labels of a kernel heatmap, as a panel (used alone or inside other figures). */
export function kernelPanel(kernel: TensorInput, options: ShowKernelOptions = {}): Panel {
  const k = kernel2d('showKernel', kernel);
  const { cmap = 'Blues_r', title = '' } = options;
  checkString('showKernel', 'title', title);
  if (options.label !== undefined) checkBoolean('showKernel', 'label', options.label);
  const [rows, cols] = k.shape;
  const cell = options.cellSize ?? 64;
  for (const key of ['cellSize', 'textSize'] as const) {
    const size = options[key];
    // a NaN or negative text size drew no values at all, without a word
    if (size !== undefined && !(typeof size === 'number' && size > 0 && Number.isFinite(size)))
      throw new ConvlensError(`showKernel: ${key} must be a positive number, got ${describeValue(size)}`);
  }
  if (options.minTextSize !== undefined) checkNumber('showKernel', 'minTextSize', options.minTextSize, { min: 0 });
  if (options.digits !== undefined && !(Number.isInteger(options.digits) && options.digits >= 0)) {
    throw new ConvlensError(`showKernel: digits must be a whole number >= 0, got ${options.digits}`);
  }
  const values = Array.from(k.data as ArrayLike<number>, (v) =>
    options.digits !== undefined && k.dtype === 'float32' ? roundHalfEven(v, options.digits) : v,
  );
  const labels = values.map((v) => formatValue(v, k.dtype, options.digits));
  // the scale of the finite values, as colorize's: ±Infinity takes an end colour, NaN none (matplotlib's "bad" cells)
  const [lo, hi] = finiteExtent(values);
  const table = colormap(cmap);
  const colorAt = (index: number) => hex(table[index * 3], table[index * 3 + 1], table[index * 3 + 2]);
  // learntools: text in cmap(0) where the value is above the midpoint, cmap(255) elsewhere
  const threshold = (hi + lo) / 2;
  // a loop: spreading a million labels (a 1000-class confusion matrix) overflowed the stack
  const widest = labels.reduce((w, s) => Math.max(w, textWidth(s, 1)), 0);
  const textSize = options.textSize ?? Math.min(cell * 0.4, (cell * 0.86) / Math.max(widest, 0.1));
  const label = (options.label ?? true) && textSize >= (options.minTextSize ?? 0);
  const titleSize = Math.max(12, Math.min(18, cell * 0.34 * Math.max(1, cols / 2)));
  const titleHeight = title ? titleSize + 12 : 0;
  const gridWidth = cols * cell;
  const width = Math.max(gridWidth, title ? textWidth(title, titleSize, true) + 8 : 0);
  const height = titleHeight + rows * cell;
  return {
    width,
    height,
    top: titleHeight,
    draw(x0, y0) {
      const out: string[] = [];
      const left = x0 + (width - gridWidth) / 2;
      const top = y0 + titleHeight;
      if (title) out.push(textElement(title, x0 + width / 2, y0 + titleSize, { size: titleSize, anchor: 'middle', weight: 'bold' }));
      out.push(`<g class="kernel" shape-rendering="crispEdges">`);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const v = values[r * cols + c];
          // ±Infinity at the ends even when no value is finite (lo is then +Infinity)
          const t = v === Infinity ? 1 : Math.max(0, Math.min(1, hi > lo ? (v - lo) / (hi - lo) : v > lo ? 1 : 0));
          const fill = Number.isNaN(v) ? 'none' : colorAt(Math.min(255, Math.floor(t * 256)));
          out.push(
            `<rect x="${fmt(left + c * cell)}" y="${fmt(top + r * cell)}" width="${fmt(cell)}" height="${fmt(cell)}" fill="${fill}"/>`,
          );
        }
      }
      out.push('</g>');
      if (label) {
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const i = r * cols + c;
            const fill = Number.isNaN(values[i]) ? NAN_TEXT : values[i] > threshold ? colorAt(0) : colorAt(255);
            out.push(
              textElement(labels[i], left + (c + 0.5) * cell, top + (r + 0.5) * cell, {
                size: textSize,
                anchor: 'middle',
                fill,
                middle: true,
              }),
            );
          }
        }
      }
      out.push(
        `<rect x="${fmt(left)}" y="${fmt(top)}" width="${fmt(gridWidth)}" height="${fmt(rows * cell)}" fill="none" stroke="#888" stroke-width="1"/>`,
      );
      return out;
    },
  };
}

/**
 * The lesson's `show_kernel`: a kernel as a heatmap (Blues_r by default) with its values written
 * in the cells, each in the colormap's darkest or lightest colour, whichever contrasts.
 */
export function showKernel(kernel: TensorInput, options: ShowKernelOptions = {}): Figure {
  checkOptions('showKernel', options, KERNEL_OPTIONS);
  const panel = kernelPanel(kernel, options);
  const pad = 12;
  const width = panel.width + 2 * pad;
  const height = panel.height + 2 * pad;
  return Figure.of(width, height, panel.draw(pad, pad), options.title ?? 'kernel');
}

/** Several kernels side by side with titles, like the lesson's row of Edge Detect, Bottom Sobel, Emboss, Sharpen. */
export function showKernels(items: { kernel: TensorInput; title?: string }[], options: Omit<ShowKernelOptions, 'title'> = {}): Figure {
  checkOptions(
    'showKernels',
    options,
    KERNEL_OPTIONS.filter((k) => k !== 'title'),
  );
  checkArray('showKernels', 'items', items, '{ kernel, title } objects');
  if (items.length === 0) throw new ConvlensError('showKernels: no kernels to draw');
  // a bare kernel (a tensor or nested array) has no 'kernel' key either
  const bad: unknown = items.find((item) => typeof item !== 'object' || item === null || !('kernel' in item));
  if (bad !== undefined) {
    const got =
      bad instanceof Tensor
        ? `${bad.dtype === 'int32' ? 'an' : 'a'} ${bad.dtype} tensor of shape [${bad.shape.join(', ')}]`
        : describeValue(bad);
    throw new ConvlensError(`showKernels: each item must be { kernel, title? }, got ${got}`);
  }
  const panels = items.map(({ kernel, title }) => kernelPanel(kernel, { ...options, title: title ?? '' }));
  const pad = 16;
  const gap = 28;
  const width = panels.reduce((w, p) => w + p.width, 0) + gap * (panels.length - 1) + 2 * pad;
  // the grids start on one line, whatever each title's height (or none)
  const gridTop = Math.max(...panels.map((p) => p.top ?? 0));
  const height = Math.max(...panels.map((p) => p.height - (p.top ?? 0))) + gridTop + 2 * pad;
  const body: string[] = [];
  let x = pad;
  for (const p of panels) {
    body.push(...p.draw(x, pad + gridTop - (p.top ?? 0)));
    x += p.width + gap;
  }
  return Figure.of(width, height, body, 'kernels');
}
