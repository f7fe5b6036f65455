import { ConvlensError, checkArray, checkNumber, checkOptions, checkString, describeValue } from '../errors.js';
import type { ImageDataFormat } from '../layers/args.js';
import { Functional } from '../layers/functional.js';
import { outputLayout, rescalesItsInput } from '../layers/image_layout.js';
import { chainGradient, layersUpTo } from '../layers/input_gradient.js';
import type { Layer } from '../layers/layer.js';
import { Sequential } from '../layers/sequential.js';
import type { Shape } from '../layers/shapes.js';
import { Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { Figure } from './figure.js';
import { showImages } from './images.js';
import { checkImageValues, displayImages } from './input_images.js';

export interface FilterPatternOptions {
  /** The filters (channels of the layer's output) to show: their indices (default: the first 16, or all when fewer). */
  filters?: readonly number[];
  /** Steps of gradient ascent (default 30). */
  steps?: number;
  /** How far each step moves the image: the root mean square of the change per value, in input units (default 2% of `range`). */
  stepSize?: number;
  /**
   * The values the model's inputs take, which the image is kept within: default [0, 1], as
   * `convertImageDtype` gives, or [0, 255] for a model that scales its own pixels (a Rescaling first).
   */
  range?: readonly [number, number];
  /** Height and width of the image, for a model that takes any size (default 64×64); a model of fixed size takes its own. */
  size?: readonly [number, number];
  /** The starting image `[H, W, C]` (as the model takes it), instead of gray with faint noise: what the filter would add to a real picture. */
  start?: Tensor;
  /** Seed of the starting noise (default 0), so a picture can be made again. */
  seed?: number;
  /** Called after each step (1 to `steps`), to show progress: the ascent is synchronous. */
  onStep?: (step: number, steps: number) => void;
}

export interface FilterPatterns {
  /** One image per filter, within `range`, in the layout the model takes (`[filters, H, W, C]`, or `[filters, C, H, W]` channels-first): the input that filter responds to most, from the start. */
  patterns: Tensor<'float32'>;
  /** The filters, in the order of `patterns`. */
  filters: number[];
  /** Each filter's mean output (after the layer's activation) over the layer's positions, at the start and after the ascent. */
  responses: { start: number; end: number }[];
}

const OP = 'filterPatterns';
const OPTIONS = ['filters', 'steps', 'stepSize', 'range', 'size', 'start', 'seed', 'onStep'];

/**
 * What each filter of a layer looks for: gradient ascent on an input image to make the filter's
 * mean response over the layer's positions as large as it can, as in Keras' "visualizing what
 * convnets learn" (F. Chollet). From gray with faint noise (or `start`), each step adds the
 * gradient of that mean, scaled to a root mean square of `stepSize`, and keeps the image within
 * `range`. The response ascended is the one before the layer's activation (its ReLU's input, a
 * softmax's logits), as Lucid's feature visualizations take pre-ReLU channels: a ReLU that is 0
 * everywhere at the start passes no gradient back, and a softmax's probability saturates. The
 * filters are ascended together, one image each (they do not interact: the model computes as
 * predict does). `layerName` is one of the model's layers (a convolution, or any layer; in a
 * functional model, `'name[k]'` for application k of a shared layer).
 */
export function filterPatterns(model: Sequential | Functional, layerName: string, options: FilterPatternOptions = {}): FilterPatterns {
  checkOptions(OP, options, OPTIONS);
  if (!(model instanceof Sequential || model instanceof Functional)) {
    throw new ConvlensError(`${OP}: model must be a Sequential or functional model, got ${describeValue(model)}`);
  }
  checkString(OP, 'layerName', layerName);
  const settings = checkedSettings(options, model);
  const x = startImages(model, settings, options);
  const chain = layersUpTo(model, layerName, OP);
  checkOutputSizes(chain, x.shape.slice(1), options.filters?.length ?? 16);
  const upTo = (batch: Tensor<'float32'>) => chain.reduce((t, layer) => layer.apply(t, false), batch);
  // the response before the layer's activation is ascended: a ReLU at 0 passes back no gradient
  const activation = chain[chain.length - 1].finalLayer().activation;
  const beforeActivation = activation !== undefined && activation !== 'linear';
  const outputShape = upTo(x).shape;
  const channelAxis = channelAxisOf(chain, model.inputDataFormat, outputShape.length);
  const channels = outputShape[channelAxis];
  const filters = filterList(options.filters, channels);
  const batch = repeatTo(x, filters.length);
  const dy = responseGradient(outputShape, channelAxis, filters);
  const responses = () => meanResponses(upTo(batch), dy);
  const start = responses();
  for (let step = 0; step < settings.steps; step++) {
    const { gradient } = chainGradient(chain, batch, () => dy, beforeActivation);
    ascend(batch, gradient, settings);
    options.onStep?.(step + 1, settings.steps);
  }
  const end = responses();
  return { patterns: batch, filters, responses: start.map((s, i) => ({ start: s, end: end[i] })) };
}

export interface ShowFilterPatternsOptions extends FilterPatternOptions {
  /** Images per row (default: up to 8). */
  cols?: number;
  /** The longest side of each image in pixels (default 96). */
  tileSize?: number;
  /** A title above the grid (default: the layer's name). */
  title?: string;
}

/**
 * `filterPatterns` drawn in a grid, each image stretched to its own darkest..brightest values
 * (as Keras' example normalizes them) and captioned with its filter and mean response. Gray and
 * RGB inputs are drawn as they are; inputs of other channel counts as their channels' mean.
 */
export function showFilterPatterns(model: Sequential | Functional, layerName: string, options: ShowFilterPatternsOptions = {}): Figure {
  checkOptions('showFilterPatterns', options, [...OPTIONS, 'cols', 'tileSize', 'title']);
  const { cols, tileSize, title, ...ascent } = options;
  return drawFilterPatterns(model, layerName, filterPatterns(model, layerName, ascent), { cols, tileSize, title });
}

/** The figure of showFilterPatterns, of patterns already computed. */
export function drawFilterPatterns(
  model: Sequential | Functional,
  layerName: string,
  { patterns, filters, responses }: FilterPatterns,
  { cols, tileSize, title }: Pick<ShowFilterPatternsOptions, 'cols' | 'tileSize' | 'title'>,
): Figure {
  const images = displayImages(patterns, model.inputDataFormat === 'channels_first');
  const captions = filters.map(
    (f, i) => `filter ${f}\n${responses[i].end > responses[i].start ? `mean ${formatResponse(responses[i].end)}` : 'no response'}`,
  );
  return showImages(images, { captions, cols, tileSize, title: title ?? `What the filters of ${layerName} look for` });
}

interface Settings {
  steps: number;
  stepSize: number;
  range: readonly [number, number];
}

function checkedSettings(options: FilterPatternOptions, model: Sequential | Functional): Settings {
  const range = options.range ?? (rescalesItsInput(model) ? [0, 255] : [0, 1]);
  checkArray(OP, 'range', range, 'two numbers [low, high]');
  if (range.length !== 2 || !range.every((v) => Number.isFinite(v)) || !(range[0] < range[1])) {
    throw new ConvlensError(`${OP}: range must be two finite numbers [low, high] with low < high, got ${describeValue(range)}`);
  }
  const steps = options.steps ?? 30;
  checkNumber(OP, 'steps', steps, { min: 0, max: 100_000, integer: true });
  const stepSize = options.stepSize ?? 0.02 * (range[1] - range[0]);
  checkNumber(OP, 'stepSize', stepSize, { min: 0 });
  if (options.seed !== undefined) checkNumber(OP, 'seed', options.seed);
  if (options.onStep !== undefined && typeof options.onStep !== 'function') {
    throw new ConvlensError(`${OP}: onStep must be a function (step, steps) => void, got ${describeValue(options.onStep)}`);
  }
  return { steps, stepSize, range };
}

/** The most values one Float32Array holds (V8's limit). */
const MAX_ARRAY_LENGTH = 2 ** 32;

/** Each layer's output shape for one example of `exampleShape`. */
function outputShapes(chain: readonly Layer[], exampleShape: readonly number[]): number[][] {
  const shapes: number[][] = [];
  let shape: Shape = [...exampleShape];
  for (const layer of chain) {
    shape = layer.computeOutputShape(shape);
    shapes.push(shape.map((d) => d ?? 1));
  }
  return shapes;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Refuses, before anything is computed, an ascent of `count` images (one per filter, run through
 * the layers together) of which a layer's output is more than one array holds: past the limit the
 * ascent threw a RangeError, after the first image alone had taken minutes.
 */
function checkOutputSizes(chain: readonly Layer[], exampleShape: readonly number[], count: number): void {
  for (const [i, shape] of outputShapes(chain, exampleShape).entries()) {
    const values = count * sizeOf(shape);
    if (values > MAX_ARRAY_LENGTH) {
      throw new ConvlensError(
        `${OP}: ${count} images of shape [${exampleShape.join(', ')}] (one per filter) make layer '${chain[i].name}' output ${values.toLocaleString('en-US')} values, more than the ${MAX_ARRAY_LENGTH.toLocaleString('en-US')} one array holds: give a smaller size or fewer filters`,
      );
    }
  }
}

/**
 * The float32 values `filterPatterns(model, layerName, options)` keeps at once, before it computes
 * anything: its images (one per filter) and each layer's output and gradient for them. A lower
 * bound of its memory, for a caller that knows how much there is (the CLI).
 */
export function ascentValues(model: Sequential | Functional, layerName: string, options: FilterPatternOptions = {}): number {
  const chain = layersUpTo(model, layerName, OP);
  const example = startImages(model, checkedSettings(options, model), options).shape.slice(1);
  const shapes = outputShapes(chain, example);
  const last = shapes[shapes.length - 1];
  const count = options.filters?.length ?? Math.min(16, last[channelAxisOf(chain, model.inputDataFormat, last.length + 1) - 1]);
  checkOutputSizes(chain, example, count);
  return count * (sizeOf(example) + 2 * shapes.reduce((sum, shape) => sum + sizeOf(shape), 0));
}

/** One starting image as a batch of one: `start`, or the middle of `range` with noise of ±5% of it. */
function startImages(model: Sequential | Functional, settings: Settings, options: FilterPatternOptions): Tensor<'float32'> {
  const shape = model.inputShape;
  if (!shape) throw new ConvlensError(`${OP}: the model has no input shape yet (give its first layer an inputShape)`);
  if (options.start !== undefined) return startFrom(options.start, shape, settings.range);
  const size = options.size ?? [64, 64];
  checkArray(OP, 'size', size, 'two whole numbers [height, width]');
  if (size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 1 && v <= 4096)) {
    throw new ConvlensError(`${OP}: size must be [height, width], whole numbers from 1 to 4096, got ${describeValue(size)}`);
  }
  const channelsFirst = model.inputDataFormat === 'channels_first';
  const spatial = channelsFirst ? [1, 2] : [0, 1];
  const exampleShape = shape.map((d, axis) => d ?? size[spatial.indexOf(axis)] ?? 1);
  if (exampleShape.length !== 3) {
    throw new ConvlensError(`${OP}: the model takes inputs of shape [${shape.join(', ')}], not images [height, width, channels]`);
  }
  const random = new Random(options.seed ?? 0);
  const [low, high] = settings.range;
  const data = new Float32Array(exampleShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * (0.5 + 0.1 * (random.next() - 0.5));
  return new Tensor(data, [1, ...exampleShape], 'float32');
}

function startFrom(start: Tensor, shape: readonly (number | null)[], [low, high]: readonly [number, number]): Tensor<'float32'> {
  if (
    !(start instanceof Tensor) ||
    start.dtype !== 'float32' ||
    start.rank !== shape.length ||
    start.shape.some((d, i) => shape[i] !== null && d !== shape[i])
  ) {
    const got = start instanceof Tensor ? `a ${start.dtype} tensor of shape [${start.shape.join(', ')}]` : describeValue(start);
    throw new ConvlensError(
      `${OP}: start must be a float32 image of the shape the model takes, [${shape.map((d) => d ?? 'any').join(', ')}], got ${got}`,
    );
  }
  checkImageValues(OP, 'start', start);
  const data = Float32Array.from(start.data as Float32Array, (v) => Math.min(high, Math.max(low, v)));
  return new Tensor(data, [1, ...start.shape], 'float32');
}

/** The axis of the output of `chain` (on inputs of `inputFormat`) that holds its filters: channels-first image layers have them second, the rest last. */
export function channelAxisOf(chain: readonly Layer[], inputFormat: ImageDataFormat, rank: number): number {
  const format = chain.reduce((layout, layer) => outputLayout(layer, layout), inputFormat);
  return format === 'channels_first' && rank === 4 ? 1 : rank - 1;
}

function filterList(filters: readonly number[] | undefined, channels: number): number[] {
  if (filters === undefined) return Array.from({ length: Math.min(16, channels) }, (_, i) => i);
  checkArray(OP, 'filters', filters, 'filter indices');
  if (filters.length === 0) throw new ConvlensError(`${OP}: filters is empty (give at least one index, from 0 to ${channels - 1})`);
  for (const f of filters) {
    if (!Number.isInteger(f) || f < 0 || f >= channels) {
      throw new ConvlensError(`${OP}: filter ${describeValue(f)} is not one of the layer's ${channels} filters (0 to ${channels - 1})`);
    }
  }
  return [...filters];
}

/** A batch of `n` copies of a batch of one. */
function repeatTo(x: Tensor<'float32'>, n: number): Tensor<'float32'> {
  const data = new Float32Array(n * x.size);
  for (let i = 0; i < n; i++) data.set(x.data as Float32Array, i * x.size);
  return new Tensor(data, [n, ...x.shape.slice(1)], 'float32');
}

/** The gradient of each example's mean response of its own filter: 1 / positions on that filter's channel, 0 elsewhere. */
function responseGradient(outputShape: readonly number[], channelAxis: number, filters: number[]): Tensor<'float32'> {
  const shape = [filters.length, ...outputShape.slice(1)];
  const perExample = shape.slice(1).reduce((a, b) => a * b, 1);
  const channels = shape[channelAxis];
  const positions = perExample / channels;
  const inner = shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const dy = new Float32Array(filters.length * perExample);
  filters.forEach((filter, example) => {
    for (let i = 0; i < perExample; i++) if (Math.floor(i / inner) % channels === filter) dy[example * perExample + i] = 1 / positions;
  });
  return new Tensor(dy, shape, 'float32');
}

/** Each example's objective: its output weighted by its row of `dy` (its filter's mean response). */
function meanResponses(output: Tensor<'float32'>, dy: Tensor<'float32'>): number[] {
  const perExample = output.size / output.shape[0];
  return Array.from({ length: output.shape[0] }, (_, example) => {
    let sum = 0;
    for (let i = example * perExample; i < (example + 1) * perExample; i++) if (dy.data[i] !== 0) sum += output.data[i] * dy.data[i];
    return sum;
  });
}

/** One step for each example: its gradient scaled to a root mean square of `stepSize`, added, and the result kept within `range`. */
function ascend(batch: Tensor<'float32'>, gradient: Tensor<'float32'>, { stepSize, range: [low, high] }: Settings): void {
  const perExample = batch.size / batch.shape[0];
  const [x, g] = [batch.data as Float32Array, gradient.data as Float32Array];
  for (let start = 0; start < x.length; start += perExample) {
    let squares = 0;
    for (let i = start; i < start + perExample; i++) squares += g[i] * g[i];
    const rms = Math.sqrt(squares / perExample);
    if (!(rms > 0) || !Number.isFinite(rms)) continue; // no response to follow (or an overflow): the image stays
    const scale = stepSize / rms;
    for (let i = start; i < start + perExample; i++) x[i] = Math.min(high, Math.max(low, x[i] + scale * g[i]));
  }
}

function formatResponse(value: number): string {
  return Math.abs(value) >= 100 || (Math.abs(value) < 0.01 && value !== 0) ? value.toExponential(1) : value.toFixed(2);
}
