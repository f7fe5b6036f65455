import { interpolateBlues } from 'd3-scale-chromatic';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { confusionMatrix } from '../ops/confusion_matrix.js';
import { tensor } from '../tensor/create.js';
import { showConfusionMatrix } from './confusion.js';

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const fills = (svg: string) => [...svg.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]);

/** d3 gives 'rgb(r, g, b)' for Blues. */
const hexOf = (css: string) => {
  const [r, g, b] = (css.match(/\d+/g) ?? []).map(Number);
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
};

// TensorFlow's documented example of tf.math.confusion_matrix, 3 classes: rows are the labels
const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2];
const predictions = [0, 0, 1, 1, 2, 2, 2, 2, 0];

describe('showConfusionMatrix', () => {
  it('writes every count in its cell, darkest where most, with the class names on both axes', async () => {
    const figure = showConfusionMatrix(confusionMatrix(labels, predictions), { classNames: ['cat', 'dog', 'fox'], title: 'pets' });
    const words = texts(figure.svg);
    // the nine counts, row by row, then the names, the axes' titles
    expect(words.slice(0, 10)).toEqual(['2', '1', '0', '0', '1', '1', '1', '0', '3', 'pets']);
    expect(words.filter((w) => ['cat', 'dog', 'fox'].includes(w))).toEqual(['cat', 'cat', 'dog', 'dog', 'fox', 'fox']);
    expect(words).toContain('True label');
    expect(words).toContain('Predicted label');
    // Blues from d3: 0 the lightest, the largest count (3) the darkest
    const cells = fills(figure.svg).slice(0, 9);
    expect(cells[2]).toBe(hexOf(interpolateBlues(0)));
    expect(cells[8]).toBe(hexOf(interpolateBlues(1)));
    const png = decode(await figure.png());
    expect([png.width, png.height]).toEqual([figure.width, figure.height]);
    expect(figure.width).toBeGreaterThan(3 * 48);
  });

  it("normalizes as scikit-learn's normalize: rows (recall), columns (precision) or all, an empty row 0", () => {
    const m = confusionMatrix(labels, predictions, 4);
    expect(texts(showConfusionMatrix(m, { normalize: 'true' }).svg).slice(0, 16)).toEqual([
      '0.67',
      '0.33',
      '0.0',
      '0.0',
      '0.0',
      '0.5',
      '0.5',
      '0.0',
      '0.25',
      '0.0',
      '0.75',
      '0.0',
      '0.0',
      '0.0',
      '0.0',
      '0.0',
    ]);
    expect(texts(showConfusionMatrix(m, { normalize: 'pred', digits: 1 }).svg).slice(0, 4)).toEqual(['0.7', '0.5', '0.0', '0.0']);
    expect(texts(showConfusionMatrix(m, { normalize: 'all' }).svg)[0]).toBe('0.22');
  });

  it('slants column names that do not fit under their cells', () => {
    const svg = showConfusionMatrix(tensor([1, 0, 0, 1], [2, 2], 'int32'), { classNames: ['a launcher', 'b'] }).svg;
    expect(svg).toContain('rotate(-45');
    expect(showConfusionMatrix(tensor([1, 0, 0, 1], [2, 2], 'int32')).svg).not.toContain('rotate(-45');
  });

  it("keeps a long title and the axes' titles inside a figure of few classes: its edges stay white", async () => {
    // a one-class grid is narrower than 'Predicted label', and than a title, and lower than 'True label'
    for (const options of [{}, { title: 'a title much wider than one cell of the matrix' }, { cellSize: 8 }]) {
      const figure = showConfusionMatrix([[5]], options);
      const png = decode(await figure.png());
      const at = (x: number, y: number) =>
        Array.from(png.data.slice((y * png.width + x) * png.channels, (y * png.width + x) * png.channels + 3));
      const edge = [
        ...Array.from({ length: png.width }, (_, x) => [x, 0]),
        ...Array.from({ length: png.width }, (_, x) => [x, png.height - 1]),
        ...Array.from({ length: png.height }, (_, y) => [0, y]),
        ...Array.from({ length: png.height }, (_, y) => [png.width - 1, y]),
      ];
      expect(
        edge.filter(([x, y]) => at(x, y).some((v) => v < 255)),
        JSON.stringify(options),
      ).toEqual([]);
    }
  });

  it("draws 1000 classes (an ImageNet model's) in small cells of one picture, naming every few classes", () => {
    const n = 1000;
    const values = new Int32Array(n * n);
    for (let k = 0; k < n; k++) values[k * n + k] = 1 + (k % 5); // the diagonal, 1 to 5
    const figure = showConfusionMatrix(tensor(values, [n, n], 'int32'));
    // no larger than a few thousand pixels a side (48 px cells made 48 000)
    expect(figure.width).toBeLessThan(5000);
    expect(figure.height).toBeLessThan(5000);
    const [picture] = [...figure.svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => decode(Buffer.from(m[1], 'base64')));
    expect([picture.width, picture.height]).toEqual([n, n]);
    // cell (4, 4) holds the largest count, 5: Blues' darkest; (0, 1) a 0: its lightest
    const px = (r: number, c: number) => hexOf(`rgb(${Array.from(picture.data.slice((r * n + c) * 3, (r * n + c) * 3 + 3)).join(', ')})`);
    expect(px(4, 4)).toBe(hexOf(interpolateBlues(1)));
    expect(px(0, 1)).toBe(hexOf(interpolateBlues(0)));
    // the counts are not written; the names that are do not overlap: fewer than the grid's side over a 9 px font
    const names = texts(figure.svg).filter((w) => /^\d+$/.test(w));
    expect(names.length).toBeGreaterThan(100);
    expect(names.length / 2).toBeLessThan(figure.width / 9);
  });

  it('draws class names XML cannot hold (a control character from a folder name, a lone surrogate) as readable text', async () => {
    const figure = showConfusionMatrix(
      [
        [1, 0],
        [0, 1],
      ],
      { classNames: ['bad\u001b[31mred', 'half \ud83d'] },
    );
    // XML 1.0's Char production: tab, newlines, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 and up
    const notXml = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
    expect(notXml.test(figure.svg)).toBe(false);
    expect(texts(figure.svg)).toContain('bad\\x1b[31mred');
    expect(texts(figure.svg)).toContain('half \ufffd');
    // resvg refused the whole SVG
    const png = decode(await figure.png());
    expect([png.width, png.height]).toEqual([figure.width, figure.height]);
  });

  it('names bad input', () => {
    expectConvlensError(
      () => showConfusionMatrix(tensor([1, 2, 3], [1, 3], 'int32')),
      'showConfusionMatrix: matrix must be square [classes, classes] with at least one class (confusionMatrix(labels, predictions) makes one), got shape [1, 3]',
    );
    expectConvlensError(
      () => showConfusionMatrix(tensor([1, 0, 0, 1], [2, 2], 'int32'), { classNames: ['a'] }),
      'showConfusionMatrix: classNames must be 2 strings, one per row of the matrix, got ["a"]',
    );
    expectConvlensError(
      () => showConfusionMatrix([[1]], { normalize: 'rows' as never }),
      `showConfusionMatrix: normalize must be 'true', 'pred' or 'all', got "rows"`,
    );
    // its own name, not that of the kernel heatmap drawing the cells
    expectConvlensError(
      () => showConfusionMatrix([[1]], { cellSize: -5 }),
      'showConfusionMatrix: cellSize must be a number from 4 to 1024, got -5',
    );
    expectConvlensError(
      () => showConfusionMatrix([[1]], { normalize: 'true', digits: -1 }),
      'showConfusionMatrix: digits must be a whole number >= 0, got -1',
    );
    expectConvlensError(
      () => showConfusionMatrix([[1]], { colormap: 'Blues' } as never),
      /^showConfusionMatrix: unknown option 'colormap'/,
    );
  });
});
