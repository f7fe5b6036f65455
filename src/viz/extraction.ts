import { backend } from '../backend/registry.js';
import { ConvlensError, checkBoolean, checkNumber, checkOptions, checkString, closestName, describeValue } from '../errors.js';
import { activationName, applyActivation } from '../layers/activations.js';
import type { ImageDataFormat } from '../layers/args.js';
import type { Padding } from '../ops/conv_util.js';
import type { TensorInput } from '../ops/convert.js';
import { conv2dInfo, conv2dNHWC } from '../ops/nn/conv2d.js';
import { nn } from '../ops/nn/index.js';
import { pool2dInfo } from '../ops/nn/pool_util.js';
import { fromValues } from '../tensor/create.js';
import { Tensor } from '../tensor/tensor.js';
import { colorbarPanel } from './colorbar.js';
import { finiteExtent } from './extent.js';
import { Figure } from './figure.js';
import { kernel2d, kernelPanel, type Panel } from './kernel.js';
import { inputImage, mapImage, plane } from './maps.js';
import { fmt, imageElement, textElement, textWidth } from './svg.js';

export interface ExtractionOptions {
  /** Convolution stride (default 1). */
  convStride?: number | [number, number];
  /** Convolution padding, `'valid'` (default, as learntools' show_extraction) or `'same'`. */
  convPadding?: Padding;
  /** Detect step: `'relu'` (default), `'linear'`, `'sigmoid'` or `'tanh'`. */
  activation?: string;
  /** Max-pooling window (default 2); `0` or `null` skips the condense step. */
  poolSize?: number | [number, number] | null;
  /** Pooling stride (default 2). */
  poolStride?: number | [number, number];
  /** Pooling padding, `'same'` (default) or `'valid'`. */
  poolPadding?: Padding;
}

/** The three stages of one feature extraction, each `[1, H, W, 1]` float32. */
export interface Extraction {
  /** The image as the network sees it: float32 `[1, H, W, C]` in 0..1. */
  input: Tensor<'float32'>;
  /** The kernel, 2-D. */
  kernel: Tensor;
  filter: Tensor<'float32'>;
  detect: Tensor<'float32'>;
  /** Undefined when pooling is switched off (`poolSize: 0`). */
  condense: Tensor<'float32'> | undefined;
}

/**
 * An image as float32 `[1, H, W, C]`: uint8 in 0..1, divided by 255 (tf.image.convert_image_dtype),
 * unless `uint8Scale` says otherwise; `[H, W]`, `[H, W, C]` and `[1, H, W, C]` are accepted. For a
 * channels-first model (`dataFormat`), `[1, C, H, W]` from `[H, W]`, `[C, H, W]` or `[1, C, H, W]`.
 */
export function imageBatch(
  op: string,
  input: Tensor | TensorInput,
  dataFormat: ImageDataFormat = 'channels_last',
  uint8Scale = 1 / 255,
): Tensor<'float32'> {
  // nested arrays (the lesson's 6×6 matrix) read like tf.constant
  const image =
    input instanceof Tensor ? input : Array.isArray(input) ? fromValues(op, input, undefined, undefined, true, "'image'") : undefined;
  if (!image) throw new ConvlensError(`${op}: image must be a Tensor or nested arrays, got ${typeof input}`);
  const channelsFirst = dataFormat === 'channels_first';
  const oneChannel = channelsFirst ? [1, 1, ...image.shape] : [1, ...image.shape, 1];
  const shape = image.rank === 2 ? oneChannel : image.rank === 3 ? [1, ...image.shape] : image.shape;
  if (shape.length !== 4 || shape[0] !== 1) {
    const forms = channelsFirst
      ? '[H, W], [C, H, W] or [1, C, H, W] (the model takes channels-first images)'
      : '[H, W], [H, W, C] or [1, H, W, C]';
    throw new ConvlensError(`${op}: image must be ${forms}, got shape [${image.shape.join(', ')}]`);
  }
  if (image.dtype === 'float32') return new Tensor(image.data as Float32Array, shape, 'float32');
  const out = new Float32Array(image.size);
  const scale = image.dtype === 'uint8' ? uint8Scale : 1;
  for (let i = 0; i < out.length; i++) out[i] = image.data[i] * scale;
  return new Tensor(out, shape, 'float32');
}

/** The kernel as conv2d filters `[kh, kw, C, 1]`: a 2-D kernel is applied to each of C channels and summed (one Conv2D filter). */
export function kernelFilters(kernel: Tensor, channels: number): Tensor<'float32'> {
  const [kh, kw] = kernel.shape;
  const out = new Float32Array(kh * kw * channels);
  for (let i = 0; i < kh * kw; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = kernel.data[i];
  return new Tensor(out, [kh, kw, channels, 1], 'float32');
}

function poolWindow(poolSize: ExtractionOptions['poolSize']): number | [number, number] | undefined {
  if (poolSize === null || poolSize === 0) return undefined;
  return poolSize ?? 2;
}

/**
 * Filter (conv2d with the kernel, no bias) → detect (activation) → condense (max pooling), as
 * learntools' `show_extraction` builds it from Keras layers. Defaults: stride 1, `'valid'`
 * padding, ReLU, 2×2 pooling with stride 2 and `'same'` padding.
 */
export function extractFeature(image: Tensor | TensorInput, kernel: TensorInput, options: ExtractionOptions = {}): Extraction {
  checkOptions('extractFeature', options, EXTRACTION_OPTIONS);
  return extract('extractFeature', image, kernel, options);
}

/** Arrays an extraction writes its maps into instead of new ones (the CLI's workers reuse theirs from image to image). */
export interface ExtractionBuffers {
  /** An array of `length` floats for `stage`'s map; its contents are overwritten. */
  take(stage: 'filter' | 'detect' | 'condense', length: number): Float32Array;
}

/**
 * `extractFeature` with its maps in `buffers`' arrays: the same values, but the result views
 * arrays that the next call given the same buffers may overwrite.
 */
export function extractFeatureInto(
  image: Tensor | TensorInput,
  kernel: TensorInput,
  options: ExtractionOptions,
  buffers: ExtractionBuffers,
): Extraction {
  checkOptions('extractFeature', options, EXTRACTION_OPTIONS);
  return extract('extractFeature', image, kernel, options, buffers);
}

/** The three steps; errors name `op`, the function the caller called. */
function extract(
  op: string,
  image: Tensor | TensorInput,
  kernel: TensorInput,
  options: ExtractionOptions,
  buffers?: ExtractionBuffers,
): Extraction {
  const input = imageBatch(op, image);
  const k = kernel2d(op, kernel);
  const filters = kernelFilters(k, input.shape[3]);
  const conv = { convStride: options.convStride ?? 1, convPadding: options.convPadding ?? 'valid' };
  const filter = step(op, 'filter', conv, () =>
    buffers
      ? convolveInto(input, filters, conv, buffers)
      : nn.conv2d({ input, filters, strides: conv.convStride, padding: conv.convPadding }),
  );
  const activation = activationName(op, options.activation ?? 'relu');
  const detect = buffers && activation === 'relu' ? reluInto(filter, buffers) : applyActivation(activation, filter);
  const window = poolWindow(options.poolSize);
  const pool = { poolSize: window, poolStride: options.poolStride ?? 2, poolPadding: options.poolPadding ?? 'same' };
  const condense = window
    ? (step(op, 'condense', pool, () =>
        buffers
          ? maxPoolInto(detect, { ksize: window, strides: pool.poolStride, padding: pool.poolPadding }, buffers)
          : nn.maxPool2d({ input: detect, ksize: window, strides: pool.poolStride, padding: pool.poolPadding }),
      ) as Tensor<'float32'>)
    : undefined;
  return { input, kernel: k, filter, detect, condense };
}

/*
 * The three steps as nn.conv2d, nn.relu and nn.maxPool2d compute them (the same geometry, checks
 * and kernels) on operands those already took (float32 NHWC), into the buffers' arrays: in the
 * wasm backend's resident memory the kernels read and write them in place, with no copy in or out.
 */

function convolveInto(
  input: Tensor<'float32'>,
  filters: Tensor<'float32'>,
  conv: { convStride: number | [number, number]; convPadding: Padding },
  buffers: ExtractionBuffers,
): Tensor<'float32'> {
  const info = conv2dInfo({ strides: conv.convStride, padding: conv.convPadding }, input.shape, filters.shape, 'NHWC');
  return conv2dNHWC(input, filters, info, undefined, 'conv2d', (length) => buffers.take('filter', length));
}

function reluInto(x: Tensor<'float32'>, buffers: ExtractionBuffers): Tensor<'float32'> {
  const out = buffers.take('detect', x.size);
  backend().unary('relu', x.data, out);
  return new Tensor(out, x.shape, 'float32');
}

function maxPoolInto(
  x: Tensor<'float32'>,
  window: { ksize: number | [number, number]; strides: number | [number, number]; padding: Padding },
  buffers: ExtractionBuffers,
): Tensor<'float32'> {
  const info = pool2dInfo('maxPool2d', window, x.shape, 'NHWC');
  const out = buffers.take('condense', info.batch * info.outHeight * info.outWidth * info.channels);
  if (out.length > 0) backend().maxPool(x.data, info, out);
  return new Tensor(out, [info.batch, info.outHeight, info.outWidth, info.channels], 'float32');
}

/**
 * Runs the op of one step; its errors also name `op` and the options that set the step (the
 * caller gave convStride, not conv2d's strides).
 */
function step<T>(op: string, stage: string, settings: Record<string, unknown>, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof ConvlensError)) throw error;
    const given = Object.entries(settings).map(([key, value]) => `${key} ${describeValue(value)}`);
    throw new ConvlensError(`${op}: ${stage} step (${given.join(', ')}): ${error.message}`);
  }
}

export type Stage = 'Input' | 'Filter' | 'Detect' | 'Condense';

const EXTRACTION_OPTIONS = ['convStride', 'convPadding', 'activation', 'poolSize', 'poolStride', 'poolPadding'];
const SHOW_EXTRACTION_OPTIONS = [
  ...EXTRACTION_OPTIONS,
  'gamma',
  'cmap',
  'inputCmap',
  'ops',
  'panelSize',
  'title',
  'colorbar',
  'showKernel',
];

export interface ShowExtractionOptions extends ExtractionOptions {
  /** Applied to Detect and Condense before drawing (learntools: `tf.image.adjust_gamma`); default 1. */
  gamma?: number;
  /** Colormap of the feature maps (default magma, the lesson's). */
  cmap?: string;
  /** Colormap of a one-channel input (default gray); RGB input is drawn as it is. */
  inputCmap?: string;
  /** Which stages to draw, in order (default all four). */
  ops?: Stage[];
  /** Longest side of each picture in pixels (default 240). */
  panelSize?: number;
  /** A title over the strip, e.g. the file name. */
  title?: string;
  /** Colorbars under the feature maps (default true). */
  colorbar?: boolean;
  /** The kernel drawn small on the first arrow (default true). */
  showKernel?: boolean;
}

function stride(s: number | [number, number] | undefined, fallback: number): string {
  const v = s ?? fallback;
  return Array.isArray(v) ? (v[0] === v[1] ? String(v[0]) : `${v[0]}×${v[1]}`) : String(v);
}

function paddingWord(p: Padding | undefined, fallback: string): string {
  return typeof p === 'string' ? p.toLowerCase() : p ? 'explicit' : fallback;
}

function arrow(x1: number, x2: number, y: number): string[] {
  return [
    `<line x1="${fmt(x1)}" x2="${fmt(x2 - 9)}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="#777" stroke-width="2.5"/>`,
    `<path d="M${fmt(x2)} ${fmt(y)} L${fmt(x2 - 11)} ${fmt(y - 6.5)} L${fmt(x2 - 11)} ${fmt(y + 6.5)} Z" fill="#777"/>`,
  ];
}

/**
 * The lesson's Input → Filter → Detect → Condense strip: each stage drawn with its title, its
 * size and what made it, the feature maps in a colormap with a colorbar of their values.
 */
export function showExtraction(image: Tensor | TensorInput, kernel: TensorInput, options: ShowExtractionOptions = {}): Figure {
  checkOptions('showExtraction', options, SHOW_EXTRACTION_OPTIONS);
  return drawExtraction(extract('showExtraction', image, kernel, options), options);
}

const STAGES: readonly Stage[] = ['Input', 'Filter', 'Detect', 'Condense'];

/** `ops` checked: a non-empty list of the four stages' names. */
function stageList(ops: unknown): Stage[] {
  if (!Array.isArray(ops) || ops.length === 0) {
    throw new ConvlensError(`showExtraction: ops must be a non-empty list of ${STAGES.join(', ')}, got ${describeValue(ops)}`);
  }
  for (const name of ops) {
    if (!STAGES.includes(name)) {
      const guess = typeof name === 'string' ? closestName(name, STAGES) : undefined;
      throw new ConvlensError(
        `showExtraction: unknown stage ${describeValue(name)} in ops (${guess ? `did you mean '${guess}'?` : `expected ${STAGES.join(', ')}`})`,
      );
    }
  }
  return ops;
}

/** Draws an extraction already computed (see `extractFeature`). */
export function drawExtraction(result: Extraction, options: ShowExtractionOptions = {}): Figure {
  checkOptions('drawExtraction', options, SHOW_EXTRACTION_OPTIONS);
  const given = result as Partial<Extraction> | null | undefined;
  if (
    !(given?.input instanceof Tensor && given.kernel instanceof Tensor && given.filter instanceof Tensor && given.detect instanceof Tensor)
  ) {
    throw new ConvlensError(`drawExtraction: result must be what extractFeature returns, got ${describeValue(result)}`);
  }
  const { gamma = 1, cmap = 'magma', inputCmap = 'gray', panelSize = 240, colorbar = true, title = '' } = options;
  if (!(gamma > 0 && Number.isFinite(gamma))) throw new ConvlensError(`showExtraction: gamma must be a positive number, got ${gamma}`);
  checkNumber('showExtraction', 'panelSize', panelSize, { min: 16, max: 4096 });
  checkString('showExtraction', 'title', title);
  checkBoolean('showExtraction', 'colorbar', colorbar);
  if (options.showKernel !== undefined) checkBoolean('showExtraction', 'showKernel', options.showKernel);
  const ops = stageList(options.ops ?? (result.condense ? ['Input', 'Filter', 'Detect', 'Condense'] : ['Input', 'Filter', 'Detect']));
  const [kh, kw] = result.kernel.shape;
  const window = poolWindow(options.poolSize);
  const act = activationName('showExtraction', options.activation ?? 'relu');
  const [, ih, iw, ic] = result.input.shape;
  const stages = ops.map((name) => {
    if (name === 'Input') {
      const oneChannel = ic === 1;
      return {
        name,
        tensor: result.input,
        caption: `${ih}×${iw}${ic === 1 ? '' : ` ×${ic}`}`,
        uri: oneChannel ? mapImage(plane(result.input), { cmap: inputCmap, display: panelSize }) : inputImage(result.input, panelSize),
        bar: false,
        gamma: 1,
      };
    }
    const tensor = name === 'Filter' ? result.filter : name === 'Detect' ? result.detect : result.condense;
    if (!tensor) throw new ConvlensError(`showExtraction: cannot draw ${name} with pooling switched off (poolSize 0)`);
    const g = name === 'Detect' || name === 'Condense' ? gamma : 1;
    const [, h, w] = tensor.shape;
    const how =
      name === 'Filter'
        ? `conv ${kh}×${kw}, stride ${stride(options.convStride, 1)}, ${paddingWord(options.convPadding, 'valid')}`
        : name === 'Detect'
          ? act + (g === 1 ? '' : `, gamma ${g}`)
          : `max pool ${Array.isArray(window) ? window.join('×') : `${window}×${window}`}, stride ${stride(options.poolStride, 2)}, ${paddingWord(options.poolPadding, 'same')}${g === 1 ? '' : `, gamma ${g}`}`;
    return {
      name,
      tensor,
      caption: `${h}×${w} · ${how}`,
      uri: mapImage(plane(tensor), { cmap, gamma: g, display: panelSize }),
      bar: colorbar,
      gamma: g,
    };
  });

  const pad = 18;
  const titleSize = 18;
  const headerHeight = title ? 30 : 0;
  const stageTitleHeight = 30;
  const boxes = stages.map((s) => {
    const [h, w] = s.tensor.shape.slice(1, 3);
    // a long strip (1×2000) keeps a few pixels across, so it can be seen
    const scale = panelSize / Math.max(h, w);
    return { w: Math.max(w * scale, 6), h: Math.max(h * scale, 6) };
  });
  const tallestBox = Math.max(...boxes.map((b) => b.h));
  const colWidths = stages.map((s, i) => Math.max(panelSize, textWidth(s.caption, 11) + 4, boxes[i].w));
  const inset: Panel | undefined =
    options.showKernel !== false && stages[0]?.name === 'Input' && stages.length > 1
      ? kernelPanel(result.kernel, {
          // at most about 80 px across, so a large kernel (31×31) fits beside the arrow; its numbers go when they cannot be read
          cellSize: Math.max(2, Math.min(26, 80 / Math.max(kh, kw))),
          minTextSize: 7,
        })
      : undefined;
  // the kernel sits above the first arrow, in the middle of the row: a short row (a panorama)
  // grows so that the kernel stays below the figure's title
  const boxHeight = Math.max(tallestBox, inset ? 2 * (inset.height + 12 - stageTitleHeight) : 0);
  const gaps = stages.slice(1).map((_, i) => (i === 0 && inset ? Math.max(60, inset.width + 28) : 56));
  const width = Math.max(2 * pad + colWidths.reduce((a, b) => a + b, 0) + gaps.reduce((a, b) => a + b, 0), 2 * pad + textWidth(title, 16));
  const barPanel = (s: (typeof stages)[number]) => {
    const [lo, hi] = finiteExtent(s.tensor.data);
    // a map of NaN (a NaN in the kernel) or ±Infinity has no scale: the bar says so, rather than a tick at 0
    if (!(lo <= hi)) return colorbarPanel(0, 0, { cmap, width: Math.min(panelSize, 200) }, 'no finite values');
    return colorbarPanel(lo, hi, { cmap, width: Math.min(panelSize, 200), gamma: s.gamma });
  };
  const footer = 6 + 14 + (stages.some((s) => s.bar) ? 8 + barPanel(stages[stages.length - 1]).height : 0);
  // below the lowest picture its caption and colorbar; below the arrow the kernel's label
  const height = 2 * pad + headerHeight + stageTitleHeight + Math.max((boxHeight + tallestBox) / 2 + footer, boxHeight / 2 + 26);
  const body: string[] = [];
  if (title) body.push(textElement(title, pad, pad + 16, { size: 16, weight: 'bold', fill: '#333' }));
  let x = pad;
  const top = pad + headerHeight;
  const imageTop = top + stageTitleHeight;
  stages.forEach((s, i) => {
    const colW = colWidths[i];
    const box = boxes[i];
    const cx = x + colW / 2;
    body.push(textElement(s.name, cx, top + titleSize, { size: titleSize, anchor: 'middle', weight: 'bold' }));
    const bx = cx - box.w / 2;
    const by = imageTop + (boxHeight - box.h) / 2;
    body.push(imageElement(s.uri, bx, by, box.w, box.h));
    body.push(`<rect x="${fmt(bx)}" y="${fmt(by)}" width="${fmt(box.w)}" height="${fmt(box.h)}" fill="none" stroke="#ccc"/>`);
    // under its own picture: in a row grown for the kernel, a panorama's caption stays beside it
    const captionY = by + box.h + 6 + 11;
    body.push(textElement(s.caption, cx, captionY, { size: 11, anchor: 'middle', fill: '#555' }));
    if (s.bar) {
      const bar = barPanel(s);
      body.push(...bar.draw(cx - bar.width / 2, captionY + 8));
    }
    x += colW;
    if (i < stages.length - 1) {
      const gap = gaps[i];
      const ay = imageTop + boxHeight / 2;
      if (i === 0 && inset) {
        const kx = x + (gap - inset.width) / 2;
        const ky = ay - inset.height - 12;
        body.push(...inset.draw(kx, ky));
        body.push(textElement('kernel', x + gap / 2, ay + 22, { size: 11, anchor: 'middle', fill: '#555' }));
      }
      body.push(...arrow(x + 8, x + gap - 8, ay));
      x += gap;
    }
  });
  return Figure.of(width, height, body, title || 'feature extraction');
}
