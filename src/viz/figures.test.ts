import { readFileSync } from 'node:fs';
import { interpolateBlues, interpolateMagma } from 'd3-scale-chromatic';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { ConvlensError } from '../errors.js';
import * as kernels from '../kernels/index.js';
import { Conv2D, Flatten, MaxPool2D, Rescaling, Sequential } from '../layers/index.js';
import { nn } from '../ops/nn/index.js';
import { reshape } from '../ops/reshape.js';
import { constant, tensor, zeros } from '../tensor/create.js';
import { Tensor } from '../tensor/tensor.js';
import {
  colorbar,
  colorIndices,
  colorize,
  colormap,
  drawExtraction,
  extractFeature,
  grid,
  lineChart,
  matrix,
  report,
  showExtraction,
  showFeatureMaps,
  showKernel,
  showKernels,
  terminalPreview,
  toPng,
  upscale,
} from './index.js';

/** d3 gives '#rrggbb' for some schemes and 'rgb(r, g, b)' for others. */
function hexOf(css: string): string {
  if (css.startsWith('#')) return css.toLowerCase();
  const [r, g, b] = (css.match(/\d+/g) ?? []).map(Number);
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

function size(svg: string): [number, number] {
  const m = /<svg[^>]* width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
  return [Number(m[1]), Number(m[2])];
}

const camera = (() => {
  const png = decode(readFileSync(new URL('../../assets/images/camera.png', import.meta.url)));
  return new Tensor(Uint8Array.from(png.data), [png.height, png.width, png.channels], 'uint8');
})();

/** The lesson's 6×6 image. */
const six = constant([
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 1, 1, 1],
  [0, 1, 0, 0, 0, 0],
]);

describe('showKernel', () => {
  it('writes every value of the kernel in its cell, in cells of the given size', () => {
    const fig = showKernel(kernels.edge, { cellSize: 50 });
    expect(size(fig.svg)).toEqual([3 * 50 + 24, 3 * 50 + 24]);
    expect([fig.width, fig.height]).toEqual([174, 174]);
    const values = texts(fig.svg);
    expect(values.filter((t) => t === '-1')).toHaveLength(8);
    expect(values.filter((t) => t === '8')).toHaveLength(1);
    expect(fig.svg.match(/<rect x=[^>]*width="50" height="50"/g)).toHaveLength(9);
  });

  it("colours cells with Blues_r and picks learntools' contrasting text colour", () => {
    const fig = showKernel(kernels.edge);
    const darkest = hexOf(interpolateBlues(1)); // Blues_r(0)
    const lightest = hexOf(interpolateBlues(0)); // Blues_r(255)
    // the 8 is the maximum: the lightest cell, written in the darkest colour; the -1s the other way round
    expect(fig.svg).toContain(`fill="${lightest}"/>`);
    expect(fig.svg).toMatch(new RegExp(`fill="${darkest}"[^>]*>8</text>`));
    expect(fig.svg).toMatch(new RegExp(`fill="${lightest}"[^>]*>-1</text>`));
  });

  it('prints floats as Python does and rounds with digits (half to even, like numpy)', () => {
    expect(texts(showKernel(kernels.blur).svg)).toEqual(expect.arrayContaining(['0.0625', '0.125', '0.25']));
    expect(texts(showKernel(kernels.blur, { digits: 3 }).svg)).toEqual(expect.arrayContaining(['0.062', '0.125', '0.25']));
    expect(texts(showKernel(tensor([[1, 2]]), {}).svg)).toEqual(['1.0', '2.0']); // a float32 tensor, as numpy prints it
    expect(texts(showKernel([[1, -1]]).svg)).toEqual(['1', '-1']); // nested arrays read like tf.constant
    expect(texts(showKernel(kernels.edge, { label: false }).svg)).toEqual([]);
  });

  it('takes a title and lays several kernels out in a row', () => {
    const fig = showKernels([
      { kernel: kernels.edge, title: 'Edge Detect' },
      { kernel: kernels.sharpen, title: 'Sharpen' },
    ]);
    expect(texts(fig.svg)).toEqual(expect.arrayContaining(['Edge Detect', 'Sharpen', '5']));
    expect(fig.width).toBeGreaterThan(2 * 3 * 64);
    // with and without a title, and of two sizes, the grids start on one line
    const mixed = showKernels([
      { kernel: kernels.edge, title: 'Edge Detect' },
      { kernel: kernels.sharpen },
      { kernel: [[1, -1]], title: 'Two' },
    ]);
    const cellTops = [...mixed.svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="64" height="64"/g)].map((m) => Number(m[1]));
    expect(cellTops.length).toBe(9 + 9 + 2);
    const firstRows = [cellTops[0], cellTops[9], cellTops[18]];
    expect(new Set(firstRows).size).toBe(1);
  });

  it('rejects a kernel that is not 2-D', () => {
    expect(() => showKernel(tensor([1, 2, 3]))).toThrow(/showKernel: kernel must be 2-D/);
    // sizes summed from text widths are whole pixels, as the PNG is
    const long = showKernel(tensor([[1, 2]]), { title: 'A title long enough to set the width '.repeat(3) });
    expect(Number.isInteger(long.width) && Number.isInteger(long.height)).toBe(true);
    expect(() => showKernel(zeros([0, 3]))).toThrow(/^showKernel: kernel is empty \(shape \[0, 3\]\): it needs at least one value$/);
  });

  it('renders to a PNG of the same size with the text drawn (shipped font)', async () => {
    const fig = showKernel(constant([[8]]), { cellSize: 80 });
    const png = decode(await fig.png());
    expect([png.width, png.height]).toEqual([fig.width, fig.height]);
    const bare = decode(await showKernel(constant([[8]]), { cellSize: 80, label: false }).png());
    // the glyph changes pixels in the middle of the cell, and only there
    let changed = 0;
    for (let i = 0; i < png.data.length; i++) if (png.data[i] !== bare.data[i]) changed++;
    expect(changed).toBeGreaterThan(100);
    const twice = decode(await fig.png({ scale: 2 }));
    expect([twice.width, twice.height]).toEqual([2 * fig.width, 2 * fig.height]);
  });
});

describe('extractFeature and showExtraction', () => {
  it("reproduces the lesson's worked example with learntools' defaults (valid, relu, 2×2 pool stride 2 same)", () => {
    const kernel = constant([
      [1, -1],
      [1, -1],
    ]);
    const r = extractFeature(six, kernel);
    expect(r.filter.shape).toEqual([1, 5, 5, 1]);
    expect(Array.from(r.filter.data)).toEqual([-2, 2, 0, 0, 0, -2, 2, 0, 0, 0, -2, 2, 0, 0, 0, -2, 2, -1, 0, 0, -2, 2, -1, 0, 0]);
    expect(Array.from(r.detect.data)).toEqual([0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0]);
    expect(r.condense!.shape).toEqual([1, 3, 3, 1]);
    expect(Array.from(r.condense!.data)).toEqual([2, 0, 0, 2, 0, 0, 2, 0, 0]);
    // nested arrays work as well as tensors
    expect(
      extractFeature(six.array() as number[][], [
        [1, -1],
        [1, -1],
      ]).detect.data,
    ).toEqual(r.detect.data);
  });

  it('matches nn ops on a real image, and tiles a 2-D kernel over RGB channels', () => {
    const r = extractFeature(camera, kernels.edge, { convPadding: 'same', poolSize: 3, poolStride: 3 });
    const x = new Tensor(
      Float32Array.from(camera.data, (v) => v / 255),
      [1, 512, 512, 1],
      'float32',
    );
    const f = nn.conv2d({
      input: x,
      filters: new Tensor(Float32Array.from(kernels.edge.data), [3, 3, 1, 1], 'float32'),
      strides: 1,
      padding: 'SAME',
    });
    expect(r.filter.data).toEqual(f.data);
    expect(r.condense!.shape).toEqual([1, 171, 171, 1]);
    const rgb = new Tensor(new Uint8Array(4 * 4 * 3).fill(255), [4, 4, 3], 'uint8');
    const t = extractFeature(rgb, constant([[1]]), { poolSize: 0 });
    expect(t.condense).toBeUndefined();
    expect(Array.from(t.filter.data)).toEqual(new Array(16).fill(3));
  });

  it('draws the four stages with titles, sizes and colorbars', () => {
    const fig = showExtraction(camera, kernels.edge, { title: 'camera.png' });
    const t = texts(fig.svg);
    for (const title of ['camera.png', 'Input', 'Filter', 'Detect', 'Condense', 'kernel', '512×512']) expect(t).toContain(title);
    expect(t).toContain('510×510 · conv 3×3, stride 1, valid');
    expect(t).toContain('255×255 · max pool 2×2, stride 2, same');
    expect(fig.svg.match(/<image /g)).toHaveLength(4);
    expect(fig.svg.match(/<linearGradient/g)).toHaveLength(3);
    expect(fig.width).toBeGreaterThan(4 * 240);
    // a gamma is drawn on detect and condense, and both captions say so
    const gamma = texts(showExtraction(camera, kernels.edge, { gamma: 0.5 }).svg);
    expect(gamma).toContain('510×510 · relu, gamma 0.5');
    expect(gamma).toContain('255×255 · max pool 2×2, stride 2, same, gamma 0.5');
  });

  it("puts a gamma-drawn map's zero tick where the map's colour for 0 is", () => {
    // values -1, 0 and 4 drawn with gamma 0.5 are drawn as sign(v)·|v|^0.5: -1, 0 and 2, so 0 takes the
    // colour a third of the way along the bar (linearly it would be a fifth)
    const map = new Tensor(Float32Array.from([-1, 0, 4]), [1, 3, 1], 'float32');
    const svg = showExtraction(map, [[1]], { activation: 'linear', gamma: 0.5, ops: ['Detect'] }).svg;
    const [bx, , bw] = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+" fill="url\(#colorbar/g)].map(
      (m) => m.slice(1).map(Number),
    )[0];
    const tickX = [...svg.matchAll(/<line x1="([\d.]+)"[^>]*stroke="#666"/g)].map((m) => Number(m[1]));
    expect(texts(svg)).toEqual(expect.arrayContaining(['-1', '4', '0']));
    expect(tickX).toHaveLength(3);
    expect(tickX[0]).toBeCloseTo(bx, 1);
    expect(tickX[1]).toBeCloseTo(bx + bw, 1);
    expect(tickX[2]).toBeCloseTo(bx + bw / 3, 1);
  });

  it('keeps the kernel of a panorama below the title and every shape inside the figure', () => {
    const wide = new Tensor(
      new Float32Array(10 * 400).map((_, i) => (i % 13) / 13),
      [10, 400, 1],
      'float32',
    );
    const fig = showExtraction(wide, kernels.edge, { title: 'wide' });
    const rects = [...fig.svg.matchAll(/<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"/g)].map((m) =>
      m.slice(1).map(Number),
    );
    expect(rects.length).toBeGreaterThan(9); // the pictures' frames and the kernel's 9 cells
    for (const [, y, , h] of rects) {
      expect(y).toBeGreaterThanOrEqual(30); // below the title's line
      expect(y + h).toBeLessThanOrEqual(fig.height);
    }
    expect(texts(fig.svg)).toContain('10×400');
  });

  it('writes sizes height×width, the order of tensor shapes and --resize', () => {
    const wide = new Tensor(
      new Float32Array(6 * 20).map((_, i) => i % 7),
      [6, 20, 1],
      'float32',
    );
    const t = texts(showExtraction(wide, constant([[1, 0, -1]]), {}).svg);
    expect(t).toContain('6×20');
    expect(t).toContain('6×18 · conv 1×3, stride 1, valid');
    expect(t).toContain('3×9 · max pool 2×2, stride 2, same');
  });

  it('draws a chosen subset of stages, with gamma noted', () => {
    const fig = showExtraction(
      six,
      [
        [1, -1],
        [1, -1],
      ],
      { ops: ['Filter', 'Detect'], gamma: 0.5, colorbar: false },
    );
    const t = texts(fig.svg);
    expect(t).toEqual(expect.arrayContaining(['Filter', 'Detect', '5×5 · relu, gamma 0.5']));
    expect(t).not.toContain('Input');
    expect(fig.svg.match(/<image /g)).toHaveLength(2);
  });

  it('renders to PNG', async () => {
    const fig = showExtraction(
      six,
      [
        [1, -1],
        [1, -1],
      ],
      { panelSize: 120 },
    );
    const png = decode(await fig.png());
    expect([png.width, png.height]).toEqual([Math.round(fig.width), Math.round(fig.height)]);
  });
});

describe('showFeatureMaps', () => {
  function model() {
    const m = new Sequential([
      new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', useBias: false, inputShape: [6, 6, 1], name: 'conv' }),
      new MaxPool2D({ poolSize: 2, name: 'pool' }),
    ]);
    const w = new Float32Array(3 * 3 * 1 * 4);
    for (let i = 0; i < w.length; i++) w[i] = ((i * 7) % 5) - 2;
    m.getLayer('conv').setWeights([new Tensor(w, [3, 3, 1, 4], 'float32')]);
    return m;
  }

  it("draws a layer's maps from offset, rows × cols of them", () => {
    const fig = showFeatureMaps(model(), six, 'conv', { rows: 1, cols: 2, offset: 1 });
    expect(fig.svg.match(/<image /g)).toHaveLength(2);
    expect(texts(fig.svg)).toEqual(expect.arrayContaining(['#1', '#2']));
    expect(texts(fig.svg)[0]).toBe('layer conv (Conv2D)');
    const all = showFeatureMaps(model(), six, 'pool', { rows: null, cols: 3 });
    expect(all.svg.match(/<image /g)).toHaveLength(4);
    expect(texts(all.svg)[1]).toMatch(/^feature maps 0–3 of 4 · /);
    // one map is "feature map", and the figure's size is whole pixels, as its PNG's
    const one = showFeatureMaps(model(), six, 'conv', { offset: 2, rows: 1, cols: 1 });
    expect(texts(one.svg)[1]).toMatch(/^feature map 2 of 4 · /);
    expect(Number.isInteger(one.width) && Number.isInteger(one.height)).toBe(true);
  });

  it("draws a layer inside a nested model by its path, with the outer model's layers in front", () => {
    const base = model();
    const nested = new Sequential([new Rescaling(1, { offset: 0.5, inputShape: [6, 6, 1] }), base, new Flatten()]);
    const fig = showFeatureMaps(nested, six, `${base.name}/conv`, { rows: 1, cols: 4 });
    expect(texts(fig.svg)[0]).toBe(`layer ${base.name}/conv (Conv2D)`);
    // the maps the base alone draws for the image the Rescaling gives it
    const shifted = new Tensor(
      Float32Array.from(six.data, (v) => v + 0.5),
      [6, 6],
      'float32',
    );
    const images = (svg: string) => svg.match(/<image [^>]*>/g);
    expect(images(fig.svg)).toEqual(images(showFeatureMaps(model(), shifted, 'conv', { rows: 1, cols: 4 }).svg));
    expect(images(fig.svg)).not.toEqual(images(showFeatureMaps(model(), six, 'conv', { rows: 1, cols: 4 }).svg));
    expect(() => showFeatureMaps(nested, six, 'conv')).toThrow(`did you mean "${base.name}/conv"?`);
  });

  it('also takes a list of kernels, and names what is wrong', () => {
    expect(showFeatureMaps([kernels.edge, kernels.blur], camera).svg.match(/<image /g)).toHaveLength(2);
    expect(() => showFeatureMaps(model(), six, 'nope')).toThrow(/no layer named "nope"/);
    // a layer by index, as getLayer (Keras' get_layer(index=...)) takes it
    expect(showFeatureMaps(model(), six, 1, { rows: null }).svg).toBe(showFeatureMaps(model(), six, 'pool', { rows: null }).svg);
    expect(() => showFeatureMaps(model(), six, 2)).toThrow(ConvlensError);
    expect(() => showFeatureMaps(model(), six, 'conv', { offset: 4 })).toThrow(/offset must be a channel index 0..3/);
  });

  it('refuses a layerName with a list of kernels, which have no layers to name', () => {
    for (const layerName of ['conv2d', 0]) {
      expectConvlensError(
        () => showFeatureMaps([kernels.edge], camera, layerName),
        /^showFeatureMaps: layerName names a model's layer, but a list of kernels was given, which has none \(got .+\); pass undefined$/,
      );
    }
  });
});

describe('colorbar', () => {
  it("uses d3's colours from vmin to vmax", () => {
    const svg = colorbar(-2, 3, { cmap: 'magma' }).svg;
    const stops = [...svg.matchAll(/stop-color="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(stops[0]).toBe(hexOf(interpolateMagma(0)));
    expect(stops[stops.length - 1]).toBe(hexOf(interpolateMagma(1)));
    expect(texts(svg)).toEqual(['-2', '3', '0']);
  });

  it('labels the two ends with 3 significant digits, or as many more as tell them apart', () => {
    expect(texts(colorbar(0, 3.5803924).svg)).toEqual(['0', '3.58']);
    expect(texts(colorbar(1000, 1001).svg)).toEqual(['1000', '1001']); // was 1000 at both ends
    expect(texts(colorbar(12345, 12346).svg)).toEqual(['12345', '12346']); // was 12300 at both
    expect(texts(colorbar(0.5, 0.50001).svg)).toEqual(['0.5', '0.50001']);
    expect(texts(colorbar(123456789, 123456790).svg)).toEqual(['1.23456789e8', '1.23456790e8']);
    expect(texts(colorbar(7, 7).svg)).toEqual(['7']);
  });
});

describe('matrix', () => {
  it('prints like the lesson (sympy): aligned columns, floats with one decimal, zeros as 0', () => {
    const r = extractFeature(
      six,
      constant([
        [1, -1],
        [1, -1],
      ]),
    );
    expect(matrix(r.filter)).toBe(
      [
        '⎡-2.0  2.0     0  0  0⎤',
        '⎢-2.0  2.0     0  0  0⎥',
        '⎢-2.0  2.0     0  0  0⎥',
        '⎢-2.0  2.0  -1.0  0  0⎥',
        '⎣-2.0  2.0  -1.0  0  0⎦',
      ].join('\n'),
    );
    expect(matrix(kernels.edge, { style: 'ascii' })).toBe('[-1  -1  -1]\n[-1   8  -1]\n[-1  -1  -1]');
    // NumPy's rounding, as showKernel's digits: np.round([0.0625, 0.125], 2) is [0.06, 0.12]
    expect(matrix(kernels.blur, { digits: 2 }).split('\n')[0]).toBe('⎡0.06  0.12  0.06⎤');
    expect(matrix([[1, 2, 3]])).toBe('[1.0  2.0  3.0]');
    // a column kernel stays a column, as sympy.Matrix([[-1], [0], [1]]) prints it and showKernel draws it
    expect(matrix(constant([[-1], [0], [1]]))).toBe('⎡-1⎤\n⎢ 0⎥\n⎣ 1⎦');
    expect(matrix(reshape(constant([[-1], [0], [1]]), [3, 1, 1, 1]))).toBe('⎡-1⎤\n⎢ 0⎥\n⎣ 1⎦');
  });

  it('writes values fixed notation would hide in scientific notation, as NumPy prints them', () => {
    // np.array([[1.2e-7, -3e-7], [1e-7, 2e-7]], dtype=np.float32) prints 1.2e-07 -3.0e-07 / 1.0e-07 2.0e-07
    expect(
      matrix([
        [1.2e-7, -3e-7],
        [1e-7, 2e-7],
      ]),
    ).toBe('⎡1.2e-07  -3.0e-07⎤\n⎣1.0e-07   2.0e-07⎦');
    expect(matrix([[1.2e-7, 0]], { digits: 3 })).toBe('[0.000  0]'); // digits asked for: fixed
  });

  it('digits: 0 writes no decimals; digits must be a whole number from 0 to 20', () => {
    expect(matrix([[1.26, -0.4, 2.5]], { digits: 0 })).toBe('[1  0  2]'); // np.round([1.26, -0.4, 2.5]) is [1, -0, 2]
    expect(matrix([[1.26]], { digits: 1 })).toBe('[1.3]');
    expect(() => matrix([[1]], { digits: -1 })).toThrow(/^matrix: digits must be a whole number from 0 to 20, got -1$/);
    expect(() => matrix([[1]], { digits: 1.5 })).toThrow(/got 1\.5$/);
    expect(() => matrix([[1]], { style: 'plain' as 'ascii' })).toThrow(/^matrix: style must be 'unicode' or 'ascii', got "plain"$/);
  });
});

describe('lineChart', () => {
  const ticks = (svg: string) => [...svg.matchAll(/text-anchor="end">([\d.-]+)<\/text>/g)].map((m) => Number(m[1]));
  it('draws each series with a legend; the y axis starts at 0 and reaches yMax when given', () => {
    const series = [
      { name: 'training', values: [0.5, 0.8, 0.9] },
      { name: 'test', values: [0.6, 0.85, 0.88] },
    ];
    const svg = lineChart(series, { title: 'Accuracy', yMax: 1 });
    expect(texts(svg)).toEqual(expect.arrayContaining(['Accuracy', 'training', 'test', 'epoch']));
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(Math.min(...ticks(svg))).toBe(0);
    expect(Math.max(...ticks(svg))).toBe(1);
    expect(Math.max(...ticks(lineChart(series)))).toBeLessThan(1); // the data's own top
    expect(() => lineChart(series, { yMax: Number.NaN })).toThrow(/^lineChart: yMax must be a finite number, got NaN$/);
  });
});

describe('terminalPreview', () => {
  it('plain: shading characters only, sized to the width', () => {
    const text = terminalPreview(camera, { mode: 'plain', width: 40, cmap: 'gray' });
    const lines = text.split('\n');
    expect(lines).toHaveLength(20); // square image, characters twice as tall as wide
    expect(text).not.toContain('\x1b');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
    expect(text).toMatch(/[@%#]/);
  });

  it("takes vmin and vmax in the map's values with a gamma too: its own ends given draw as the default does", () => {
    // with gamma 0.5 the largest value, 4, is drawn at sqrt(4): vmax 4 was compared with the drawn 2, the top shown halfway
    const map = tensor([[0, 1, 4]]);
    for (const mode of ['plain', 'color'] as const) {
      const byDefault = terminalPreview(map, { mode, width: 3, gamma: 0.5 });
      expect(terminalPreview(map, { mode, width: 3, gamma: 0.5, vmin: 0, vmax: 4 }), mode).toBe(byDefault);
    }
    expect(terminalPreview(map, { mode: 'plain', width: 3, gamma: 0.5 })).toBe(' +@'); // sqrt(1) / sqrt(4): half the ramp
    expect(() => terminalPreview(map, { gamma: 0.5, vmin: 5 })).toThrow(
      /^terminalPreview: vmin \(5\) must not exceed vmax \(4, the values' largest, as vmax was not given\)$/,
    );
  });

  it('draws a float32 RGB image in 0..1 in its colours, as a uint8 one (and as imshow reads both); refuses 2 channels', () => {
    const red = (scale: number, dtype: 'float32' | 'uint8') =>
      new Tensor(
        dtype === 'uint8'
          ? new Uint8Array(4 * 4 * 3).map((_, i) => (i % 3 === 0 ? scale : 0))
          : new Float32Array(4 * 4 * 3).map((_, i) => (i % 3 === 0 ? scale : 0)),
        [4, 4, 3],
        dtype,
      );
    for (const image of [red(1, 'float32'), red(255, 'uint8'), red(7, 'float32')]) {
      const text = terminalPreview(image, { width: 4 });
      expect(text).toContain('\x1b[38;2;255;0;0m');
      expect(text).not.toMatch(/38;2;(?!255;0;0m)/);
    }
    expect(terminalPreview(red(1, 'float32'), { width: 4, mode: 'plain' })).toBe(
      terminalPreview(red(255, 'uint8'), { width: 4, mode: 'plain' }),
    );
    expect(() => terminalPreview(zeros([4, 4, 2]))).toThrow(
      /^terminalPreview: expected one map \[H, W\] or \[H, W, 1\], or an RGB\(A\) image \[H, W, 3 or 4\], got \[4, 4, 2\] \(take one channel first\)$/,
    );
  });

  it('colour: 24-bit half blocks, two pixel rows per line', () => {
    const text = terminalPreview(kernels.edge, { width: 6, cmap: 'Blues_r' });
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('\x1b[38;2;');
    expect(lines[0]).toContain('\x1b[48;2;');
    expect(lines[0].match(/▀/g)).toHaveLength(6);
    expect(lines[0].endsWith('\x1b[0m')).toBe(true);
  });
});

describe('report', () => {
  it('is one self-contained HTML file', () => {
    const html = report({
      title: 'Run <1>',
      sections: [
        {
          heading: 'Kernel',
          figures: [{ figure: showKernel(kernels.edge), caption: 'edge' }],
          table: [
            ['a', 'b'],
            ['1', '2'],
          ],
        },
      ],
    });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Run &lt;1&gt;</title>');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).not.toContain('<script');
  });

  it('figures inlined in one page keep their ids apart (two colorbars of one colormap), and numbers may fill a table', () => {
    const strip = showExtraction(camera, kernels.edge);
    const html = report({
      title: 'Run',
      sections: [
        {
          heading: 'A',
          figures: [{ figure: strip }],
          table: [
            ['images', 'seconds'],
            [200, 1.3],
          ],
        },
        { heading: 'B', text: 'one paragraph', figures: [{ figure: strip.svg }] },
      ],
    });
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(html).toContain(`url(#${id})`);
    expect(html).toContain('<td>200</td><td>1.3</td>');
    expect(html).toContain('<p>one paragraph</p>');
  });

  it('a figure has a page of its own too', () => {
    expect(showKernel(kernels.edge, { title: 'Edge' }).html()).toContain('<title>Edge</title>');
  });
});

describe('figure options are checked, never silently ignored', () => {
  const map = tensor([
    [0, 1],
    [2, 3],
  ]);
  const cases: [string, () => unknown, RegExp][] = [
    ['a misspelt colormap option', () => showKernel(kernels.edge, { cmpa: 'magma' } as never), /^showKernel: unknown option 'cmpa'/],
    [
      "the lesson's Python name",
      () => showExtraction(map, kernels.edge, { pool_size: 2 } as never),
      /^showExtraction: unknown option 'pool_size' \(did you mean 'poolSize'\?\)$/,
    ],
    [
      'a drawing option given to extractFeature',
      () => extractFeature(map, kernels.edge, { cmap: 'magma' } as never),
      /^extractFeature: unknown option 'cmap'/,
    ],
    ['colorize', () => colorize(map, { colormap: 'gray' } as never), /^colorize: unknown option 'colormap'/],
    ['colorIndices, which has no cmap', () => colorIndices(map, { cmap: 'gray' } as never), /^colorIndices: unknown option 'cmap'/],
    ['matrix given null', () => matrix(map, null as never), /^matrix: expected an options object \(\{ digits, style \}\), got null$/],
    ['terminalPreview', () => terminalPreview(map, { colour: true } as never), /^terminalPreview: unknown option 'colour'/],
  ];
  it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));
});

describe('figure functions name a missing or wrong argument (not a TypeError from inside)', () => {
  const square = tensor([
    [1, 2],
    [3, 4],
  ]);
  const cases: [string, () => unknown, RegExp][] = [
    ['colorize(null)', () => colorize(null as never), /^colorize: values must be a Tensor, got null$/],
    ['colorIndices()', () => colorIndices(undefined as never), /^colorIndices: values must be a Tensor, got undefined$/],
    ['colormap(null)', () => colormap(null as never), /^colormap: name must be a string such as 'magma' or 'gray_r', got null$/],
    [
      'showKernel of ragged rows',
      () => showKernel([[1, 2], [3]]),
      /^showKernel: ragged 'kernel': kernel\[1\] has length 1, expected length 2$/,
    ],
    [
      'showExtraction of a ragged kernel',
      () => showExtraction(zeros([8, 8, 1], 'uint8'), [[1, 2], [3]]),
      /^showExtraction: ragged 'kernel': kernel\[1\] has length 1, expected length 2$/,
    ],
    [
      'showExtraction of a ragged image',
      () => showExtraction([[1, 2], [3]], kernels.edge),
      /^showExtraction: ragged 'image': image\[1\] has length 1, expected length 2$/,
    ],
    // the ops inside name the function called and the options that set them, not only ops the caller never called
    [
      'showExtraction of an image smaller than the kernel',
      () => showExtraction(square, kernels.edge),
      /^showExtraction: filter step \(convStride 1, convPadding "valid"\): conv2d: window height 3 is larger than the input height 2 under VALID padding$/,
    ],
    [
      'extractFeature with a zero convStride',
      () => extractFeature(square, [[1]], { convStride: 0 }),
      /^extractFeature: filter step \(convStride 0, convPadding "valid"\): conv2d: strides must be positive integers, got 0$/,
    ],
    [
      'extractFeature with a fractional poolStride',
      () => extractFeature(square, [[1]], { poolStride: 1.5 }),
      /^extractFeature: condense step \(poolSize 2, poolStride 1.5, poolPadding "same"\): maxPool2d: strides must be positive integers, got 1.5$/,
    ],
    ['grid(null)', () => grid(null as never), /^grid: images must be an array of RGB images, got null$/],
    ['grid of non-tensors', () => grid([{}] as never), /^grid: images must be uint8 images \[H, W, C\] \(what colorize gives\), got \{\}$/],
    [
      'grid of a 2-D tensor',
      () => grid([tensor([[1, 2]])] as never),
      /^grid: images must be uint8 images \[H, W, C\] \(what colorize gives\), got a float32 tensor of shape \[1, 2\]$/,
    ],
    [
      'upscale(undefined, 2)',
      () => upscale(undefined as never, 2),
      /^upscale: image must be uint8 images \[H, W, C\] \(what colorize gives\), got undefined$/,
    ],
    [
      'upscale of a float32 tensor',
      () => upscale(zeros([2, 2, 3]) as never, 2),
      /^upscale: image must be uint8 images \[H, W, C\] \(what colorize gives\), got a float32 tensor of shape \[2, 2, 3\]$/,
    ],
    [
      'upscale by a text factor',
      () => upscale(colorize(tensor([[1, 2]])), '2' as never),
      /^upscale: factor must be a positive integer, got "2"$/,
    ],
    // an image too large for any array: the op and the size, not a RangeError from inside
    [
      'upscale by a factor no array can hold',
      () => upscale(colorize(tensor([[1, 2]])), 1e6),
      /^upscale: cannot allocate 6\.00e\+12 uint8 values \(5\.59e\+3 GiB\): the result is too large$/,
    ],
    [
      'grid of more columns than an array can hold',
      () => grid([colorize(tensor([[1, 2]]))], { cols: 1e12, gap: 0 }),
      /^grid: cannot allocate 6\.00e\+12 uint8 values \(5\.59e\+3 GiB\): the result is too large$/,
    ],
    ['grid with no columns', () => grid([colorize(tensor([[1, 2]]))], { cols: 0 }), /^grid: cols must be a whole number >= 1, got 0$/],
    [
      'grid with a negative gap',
      () => grid([colorize(tensor([[1, 2]]))], { gap: -1 }),
      /^grid: gap must be a whole number from 0 to 1000, got -1$/,
    ],
    ['a colorbar with no range', () => colorbar(undefined as never, 1), /^colorbar: vmin must be a number \(finite\), got undefined$/],
    ['a colorbar upside down', () => colorbar(5, -5), /^colorbar: vmin \(5\) must not exceed vmax \(-5\)$/],
    [
      'colorize with vmin above vmax',
      () => colorize(tensor([[1, 2]]), { vmin: 5, vmax: -5 }),
      /^colorize: vmin \(5\) must not exceed vmax \(-5\)$/,
    ],
    [
      // matplotlib's Normalize: "minvalue must be less than or equal to maxvalue" once the missing end is autoscaled
      'colorize with only vmin, above the largest value',
      () => colorize(tensor([[1, 2]]), { vmin: 5 }),
      /^colorize: vmin \(5\) must not exceed vmax \(2, the values' largest, as vmax was not given\)$/,
    ],
    [
      'colorIndices with only vmax, below the smallest value',
      () => colorIndices(tensor([[1, 2]]), { vmax: -1 }),
      /^colorIndices: vmin \(1, the values' smallest, as vmin was not given\) must not exceed vmax \(-1\)$/,
    ],
    [
      'terminalPreview with only vmin, above the largest value',
      () => terminalPreview(tensor([[1, 2]]), { vmin: 5, mode: 'plain' }),
      /^terminalPreview: vmin \(5\) must not exceed vmax \(2, the values' largest, as vmax was not given\)$/,
    ],
    [
      'colorize with a text vmin',
      () => colorize(tensor([[1, 2]]), { vmin: '0.2' as never }),
      /^colorize: vmin must be a number \(finite\), got "0.2"$/,
    ],
    // sizes that drew the values nowhere (NaN, negative) or the cells infinitely large, without a word
    [
      'showKernel with a NaN textSize',
      () => showKernel(kernels.edge, { textSize: Number.NaN }),
      /^showKernel: textSize must be a positive number, got NaN$/,
    ],
    [
      'showKernel with a negative textSize',
      () => showKernel(kernels.edge, { textSize: -3 }),
      /^showKernel: textSize must be a positive number, got -3$/,
    ],
    [
      'showKernel with an infinite cellSize',
      () => showKernel(kernels.edge, { cellSize: Infinity }),
      /^showKernel: cellSize must be a positive number, got Infinity$/,
    ],
    [
      'showKernels with a negative minTextSize',
      () => showKernels([{ kernel: kernels.edge }], { minTextSize: -1 }),
      /^showKernel: minTextSize must be a number >= 0, got -1$/,
    ],
    ['Figure.html with a number title', () => showKernel(kernels.edge).html(3 as never), /^Figure\.html: title must be a string, got 3$/],
    [
      'showKernel with a number title',
      () => showKernel(kernels.edge, { title: 42 as never }),
      /^showKernel: title must be a string, got 42$/,
    ],
    [
      'showExtraction with a number title',
      () => showExtraction(square, [[1]], { title: 5 as never }),
      /^showExtraction: title must be a string, got 5$/,
    ],
    [
      'showExtraction with ops a string',
      () => showExtraction(square, [[1]], { ops: 'Filter' as never }),
      /^showExtraction: ops must be a non-empty list of Input, Filter, Detect, Condense, got "Filter"$/,
    ],
    [
      'showExtraction with an unknown stage',
      () => showExtraction(square, [[1]], { ops: ['Input', 'Filtr' as never] }),
      /^showExtraction: unknown stage "Filtr" in ops \(did you mean 'Filter'\?\)$/,
    ],
    ['showExtraction with no stages', () => showExtraction(square, [[1]], { ops: [] }), /^showExtraction: ops must be a non-empty list/],
    [
      'showExtraction with a huge panel',
      () => showExtraction(square, [[1]], { panelSize: 1e5 }),
      /^showExtraction: panelSize must be a number from 16 to 4096, got 100000$/,
    ],
    ['report without sections', () => report({ title: 't' } as never), /^report: sections must be an array of/],
    [
      'report with a section without heading',
      () => report({ title: 't', sections: [{} as never] }),
      /^report: sections\[0\]\.heading must be a string, got undefined$/,
    ],
    [
      'report with a figure that is not one',
      () => report({ title: 't', sections: [{ heading: 'h', figures: [{ figure: 42 as never }] }] }),
      /^report: sections\[0\]\.figures\[0\]\.figure must be a Figure or SVG text \(markup with an <svg> element\), got 42$/,
    ],
    [
      'report with a figure given as a file name rather than its SVG text (it went into the page as it was)',
      () => report({ title: 't', sections: [{ heading: 'h', figures: [{ figure: 'strip.svg' }] }] }),
      /^report: sections\[0\]\.figures\[0\]\.figure must be a Figure or SVG text \(markup with an <svg> element\), got "strip\.svg"$/,
    ],
    [
      'lineChart()',
      () => lineChart(undefined as never),
      /^lineChart: series must be an array of \{ name, values \} objects, got undefined$/,
    ],
    ['lineChart([null])', () => lineChart([null] as never), /^lineChart: each series must be \{ name, values: number\[\] \}, got null$/],
    // a name that is not text failed inside ('text.replace is not a function'); values that are not numbers drew nothing
    [
      'lineChart with a number name',
      () => lineChart([{ name: 5 as never, values: [1] }]),
      /^lineChart: series\[0\]\.name must be a string, got 5$/,
    ],
    [
      'lineChart with values as text',
      () => lineChart([{ name: 'loss', values: [0.5, '0.4' as never] }]),
      /^lineChart: series\[0\]\.values\[1\] must be a number \(NaN for a gap\), got "0\.4"$/,
    ],
    [
      'lineChart with a number title',
      () => lineChart([{ name: 'loss', values: [1] }], { title: 5 as never }),
      /^lineChart: title must be a string, got 5$/,
    ],
    [
      'lineChart too narrow for its margins',
      () => lineChart([{ name: 'loss', values: [1] }], { width: 100 }),
      /^lineChart: width must be a number from 240 to 8192, got 100$/,
    ],
    [
      "showKernel with label 'no' (which would count as true)",
      () => showKernel(kernels.edge, { label: 'no' as never }),
      /^showKernel: label must be true or false, got "no"$/,
    ],
    [
      'showExtraction with colorbar 0',
      () => showExtraction(square, [[1]], { colorbar: 0 as never }),
      /^showExtraction: colorbar must be true or false, got 0$/,
    ],
    [
      "showExtraction with showKernel 'no'",
      () => showExtraction(square, [[1]], { showKernel: 'no' as never }),
      /^showExtraction: showKernel must be true or false, got "no"$/,
    ],
    [
      "showFeatureMaps with labels 'off'",
      () => showFeatureMaps([kernels.edge], zeros([8, 8, 1]), undefined, { labels: 'off' as never }),
      /^showFeatureMaps: labels must be true or false, got "off"$/,
    ],
    [
      'showFeatureMaps with a list holding a kernel that is not 2-D: which one',
      () => showFeatureMaps([kernels.edge, [1, 2, 3]], zeros([8, 8, 1]), undefined),
      /^showFeatureMaps: kernels\[1\]: kernel must be 2-D \[rows, cols\] \(length-1 trailing axes allowed\), got shape \[3\]$/,
    ],
    [
      'showKernels(null)',
      () => showKernels(null as never),
      /^showKernels: items must be an array of \{ kernel, title \} objects, got null$/,
    ],
    ['showKernels([null])', () => showKernels([null] as never), /^showKernels: each item must be \{ kernel, title\? \}, got null$/],
    [
      'showKernels of bare kernels',
      () => showKernels([kernels.edge] as never),
      /^showKernels: each item must be \{ kernel, title\? \}, got an int32 tensor of shape \[3, 3\]$/,
    ],
    [
      'terminalPreview with gamma 0',
      () => terminalPreview(square, { gamma: 0 }),
      /^terminalPreview: gamma must be a finite number > 0 \(1 for none\), got 0$/,
    ],
    [
      'terminalPreview with a negative gamma',
      () => terminalPreview(square, { gamma: -1, mode: 'plain' }),
      /^terminalPreview: gamma must be a finite number > 0 \(1 for none\), got -1$/,
    ],
    [
      'terminalPreview with gamma NaN',
      () => terminalPreview(square, { gamma: Number.NaN }),
      /^terminalPreview: gamma must be a finite number > 0 \(1 for none\), got NaN$/,
    ],
    [
      'drawExtraction()',
      () => drawExtraction(undefined as never),
      /^drawExtraction: result must be what extractFeature returns, got undefined$/,
    ],
  ];
  it.each(cases)('%s', (_, fn, message) => expectConvlensError(fn, message));

  it('toPng(null) rejects with a ConvlensError', async () => {
    const rejection = toPng(null as never);
    await expect(rejection).rejects.toBeInstanceOf(ConvlensError);
    await expect(rejection).rejects.toThrow(/^toPng: svg must be SVG text \(a string\), got null$/);
  });

  const blank = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>';
  it.each([
    ['text that is not SVG', 'x', undefined, /^toPng: svg is not SVG that resvg can read \(.*unknown token.*\)$/],
    ['null options', blank, null, /^toPng: expected an options object \(\{ scale, background \}\), got null$/],
    ['a misspelt option', blank, { scal: 2 }, /^toPng: unknown option 'scal' \(did you mean 'scale'\?\)$/],
    ['a text scale', blank, { scale: '2' }, /^toPng: scale must be in \(0, 16\], got "2"$/],
    [
      'a background that is no colour',
      blank,
      { background: 'notacolor' },
      /^toPng: resvg could not render the SVG of 4×4 pixels: .*\(is background "notacolor" a CSS colour\?\)$/,
    ],
    [
      // resvg panics allocating the picture; freeing it afterwards threw wasm-bindgen's "recursive use of an object"
      'a picture too large for memory',
      '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="50000"/>',
      undefined,
      /^toPng: resvg could not render the SVG of 100000×50000 pixels: unreachable \(too large to render\? a smaller figure or scale would fit\)$/,
    ],
  ])('toPng of %s rejects with a ConvlensError saying so', async (_, svg, options, message) => {
    const rejection = toPng(svg, options as never);
    await expect(rejection).rejects.toBeInstanceOf(ConvlensError);
    await expect(rejection).rejects.toThrow(message);
    // and resvg still renders the next picture
    const next = decode(await toPng(blank));
    expect([next.width, next.height]).toEqual([4, 4]);
  });
});
