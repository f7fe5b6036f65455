import { ConvlensError, checkArray, checkOptions, checkString, describeValue } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Figure } from './figure.js';
import { kernelPanel } from './kernel.js';
import { fmt, textElement, textWidth } from './svg.js';

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
  /** Side of one cell in pixels (default 48). */
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
  const values = normalize ? shares(m, normalize) : m;
  const cell = options.cellSize ?? 48;
  const grid = kernelPanel(values, { cmap: options.cmap ?? 'Blues', digits: normalize ? digits : undefined, cellSize: cell });
  return layout(grid, names, cell, title);
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
  const widest = Math.max(...names.map((name) => textWidth(name, tick)));
  // column names that do not fit under their cell are slanted
  const slanted = widest > cell - 4;
  const below = slanted ? widest * Math.SQRT1_2 + tick : tick + 4;
  const titleSize = 16;
  const top = pad + (title ? titleSize + 10 : 0);
  const left = pad + axis + 8 + widest + 6;
  const gridBottom = top + grid.height;
  const width = left + grid.width + pad + (slanted ? tick : 0);
  const height = gridBottom + 6 + below + 8 + axis + pad;
  const body = grid.draw(left, top);
  if (title) body.push(textElement(title, width / 2, pad + titleSize, { size: titleSize, anchor: 'middle', weight: 'bold' }));
  names.forEach((name, k) => {
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
  body.push(
    `<g transform="rotate(-90 ${fmt(pad + axis)} ${fmt(gridMiddle)})">${textElement('True label', pad + axis, gridMiddle, { size: axis, anchor: 'middle' })}</g>`,
    textElement('Predicted label', left + grid.width / 2, height - pad, { size: axis, anchor: 'middle' }),
  );
  return Figure.of(width, height, body, title || 'confusion matrix');
}
