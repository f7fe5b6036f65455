import { ConvlensError, checkArray, checkNumber, checkOptions, checkString, describeValue } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { colorize } from './colormap.js';
import { Figure } from './figure.js';
import { kernelPanel } from './kernel.js';
import { fmt, imageElement, pngDataUri, textElement, textWidth } from './svg.js';

export interface ShowConfusionMatrixOptions {
  /** One name per class, in order (default: the class numbers 0, 1, ...). */
  classNames?: readonly string[];
  /**
   * Show shares instead of counts, as scikit-learn's `normalize`: 'true' (each row, the examples
   * of one class, sums to 1: the diagonal is each class's recall), 'pred' (each column sums to
   * 1: its precision) or 'all'. A row or column with no examples shows 0.
   */
  normalize?: 'true' | 'pred' | 'all';
  /** Colormap (default `Blues`). */
  cmap?: string;
  /** A title above the matrix. */
  title?: string;
  /** Decimals of the shares shown when normalized (default 2). */
  digits?: number;
  /**
   * Side of one cell in pixels, 4 to 1024 (default 48, less past 50 classes so that the grid
   * stays about 2400 px a side); cells under 16 px are coloured without their counts.
   */
  cellSize?: number;
}

const OPTIONS = ['classNames', 'normalize', 'cmap', 'title', 'digits', 'cellSize'];

/**
 * A confusion matrix (`confusionMatrix(labels, predictions)`: rows the true classes, columns the
 * predicted ones) as a heatmap with its counts, or shares, written in the cells, the class names
 * along both axes, as scikit-learn's ConfusionMatrixDisplay draws it. Returns a Figure.
 */
export function showConfusionMatrix(matrix: TensorInput, options: ShowConfusionMatrixOptions = {}): Figure {
  checkOptions('showConfusionMatrix', options, OPTIONS);
  const m = asTensor('showConfusionMatrix', 'matrix', matrix);
  if (m.rank !== 2 || m.shape[0] !== m.shape[1] || m.size === 0) {
    throw new ConvlensError(
      `showConfusionMatrix: matrix must be square [classes, classes] with at least one class (confusionMatrix(labels, predictions) makes one), got shape ${formatShape(m.shape)}`,
    );
  }
  const n = m.shape[0];
  const names = classNames(options.classNames, n);
  const { normalize, title = '', digits = 2 } = options;
  checkString('showConfusionMatrix', 'title', title);
  if (normalize !== undefined && !['true', 'pred', 'all'].includes(normalize)) {
    throw new ConvlensError(`showConfusionMatrix: normalize must be 'true', 'pred' or 'all', got ${describeValue(normalize)}`);
  }
  // checked here, where kernelPanel's checks would name showKernel
  if (options.cellSize !== undefined) checkNumber('showConfusionMatrix', 'cellSize', options.cellSize, { min: 4, max: 1024 });
  if (options.digits !== undefined) checkNumber('showConfusionMatrix', 'digits', digits, { min: 0, integer: true });
  const values = normalize ? shares(m, normalize) : m;
  // many classes (an ImageNet model's 1000) get smaller cells: 48 px each made a picture of
  // 48 000 px a side, which no rasteriser draws
  const cell = options.cellSize ?? Math.max(4, Math.min(48, Math.floor(MAX_GRID / n)));
  const cmap = options.cmap ?? 'Blues';
  const grid =
    cell >= MIN_WRITTEN_CELL
      ? kernelPanel(values, { cmap, digits: normalize ? digits : undefined, cellSize: cell })
      : heatmapPanel(values, cmap, cell);
  return layout(grid, names, cell, title);
}

/** The side of the grid that the default cell size keeps to (50 classes of 48 px). */
const MAX_GRID = 2400;

/** The smallest cell the counts are written in; smaller ones are only coloured. */
const MIN_WRITTEN_CELL = 16;

/**
 * The matrix as one picture of a pixel per cell, drawn `cell` px a side, coloured as kernelPanel
 * colours its cells (one SVG rectangle per cell made a 1000-class matrix a million elements).
 */
function heatmapPanel(values: Tensor, cmap: string, cell: number): ReturnType<typeof kernelPanel> {
  const side = values.shape[0] * cell;
  const uri = pngDataUri(colorize(values, { cmap }));
  return {
    width: side,
    height: side,
    draw: (x, y) => [
      imageElement(uri, x, y, side, side),
      `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(side)}" height="${fmt(side)}" fill="none" stroke="#888" stroke-width="1"/>`,
    ],
  };
}

function classNames(given: readonly string[] | undefined, n: number): string[] {
  if (given === undefined) return Array.from({ length: n }, (_, k) => String(k));
  checkArray('showConfusionMatrix', 'classNames', given, 'class names');
  if (given.length !== n || given.some((name) => typeof name !== 'string')) {
    const count = n === 1 ? 'one string' : `${n} strings, one per row of the matrix`;
    throw new ConvlensError(`showConfusionMatrix: classNames must be ${count}, got ${describeValue(given)}`);
  }
  return [...given];
}

/** The matrix divided by its row sums, column sums or total (0 where that sum is 0, as scikit-learn's nan_to_num). */
function shares(m: Tensor, over: 'true' | 'pred' | 'all'): Tensor<'float32'> {
  const n = m.shape[0];
  const at = (r: number, c: number) => Number(m.data[r * n + c]);
  const sums = Array.from({ length: n }, (_, k) => {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += over === 'true' ? at(k, j) : at(j, k);
    return sum;
  });
  const total = sums.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const sum = over === 'all' ? total : sums[over === 'true' ? r : c];
      out[r * n + c] = sum === 0 ? 0 : at(r, c) / sum;
    }
  }
  return new Tensor(out, [n, n], 'float32');
}

/** The grid with the class names beside its rows and under its columns, and the axes' titles. */
function layout(grid: ReturnType<typeof kernelPanel>, names: string[], cell: number, title: string): Figure {
  const tick = Math.min(14, Math.max(9, cell * 0.28));
  const axis = tick + 2;
  const pad = 12;
  const widest = names.reduce((w, name) => Math.max(w, textWidth(name, tick)), 0);
  // cells lower than the names are named every `every` classes, so that the names do not overlap
  const every = Math.ceil((tick + 2) / cell);
  // column names that do not fit under their cell are slanted
  const slanted = widest > every * cell - 4;
  const below = slanted ? widest * Math.SQRT1_2 + tick : tick + 4;
  const titleSize = 16;
  // the title and 'Predicted label' are centred on the grid, 'True label' beside it: a small grid
  // (few classes, small cells) must not clip them, so the margins grow to hold them
  const half = Math.max(title ? textWidth(title, titleSize, true) : 0, textWidth('Predicted label', axis)) / 2;
  const tall = textWidth('True label', axis) / 2 - grid.height / 2;
  const top = pad + (title ? titleSize + 10 : 0) + Math.max(0, tall);
  const left = Math.max(pad + axis + 8 + widest + 6, pad + half - grid.width / 2);
  const gridBottom = top + grid.height;
  const centre = left + grid.width / 2;
  const width = Math.max(left + grid.width + pad + (slanted ? tick : 0), centre + half + pad);
  const height = Math.max(gridBottom + 6 + below + 8 + axis + pad, gridBottom + tall + pad);
  const body = grid.draw(left, top);
  if (title) body.push(textElement(title, centre, pad + titleSize, { size: titleSize, anchor: 'middle', weight: 'bold' }));
  names.forEach((name, k) => {
    if (k % every !== 0) return;
    const middle = (k + 0.5) * cell;
    body.push(textElement(name, left - 6, top + middle, { size: tick, anchor: 'end', middle: true }));
    const x = left + middle;
    const y = gridBottom + 6 + tick;
    body.push(
      slanted
        ? `<g transform="rotate(-45 ${fmt(x)} ${fmt(y - tick / 2)})">${textElement(name, x, y, { size: tick, anchor: 'end' })}</g>`
        : textElement(name, x, y, { size: tick, anchor: 'middle' }),
    );
  });
  const gridMiddle = top + grid.height / 2;
  const trueX = left - widest - 14; // beside the row names, however far a wide title moved the grid
  body.push(
    `<g transform="rotate(-90 ${fmt(trueX)} ${fmt(gridMiddle)})">${textElement('True label', trueX, gridMiddle, { size: axis, anchor: 'middle' })}</g>`,
    textElement('Predicted label', left + grid.width / 2, height - pad, { size: axis, anchor: 'middle' }),
  );
  return Figure.of(width, height, body, title || 'confusion matrix');
}
