// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { ConvlensError } from '../errors.js';
import { CONVOLUTION_CLASSES } from '../layers/conv_layer.js';
import { Tensor } from '../tensor/tensor.js';
import { ascentValues, drawFilterPatterns, type FilterPatternOptions, filterPatterns } from '../viz/patterns.js';
import { checkFigureSettings, writeFigure } from './kernels_cmd.js';
import { byteText, memoryBytes } from './memory.js';
import { type ImageModel, modelInput, openModel, PIXEL_RANGES, type PixelRange, resolvedPixels } from './model_input.js';
import { withStdout } from './stdout.js';
import { errorLine, printable, progressEnabled } from './term.js';
import { UsageError } from './usage.js';

export interface ShowPatternsOptions {
  layer?: string;
  /** An image to start from (decoded and scaled as show-maps does), instead of gray with faint noise. */
  start?: string;
  filters?: number[];
  steps: number;
  stepSize?: number;
  size?: [number, number];
  pixels: PixelRange;
  seed: number;
  cols: number;
  out?: string;
  json: boolean;
}

/**
 * `convlens show-patterns MODEL`: what each filter of a saved model's layer looks for, by
 * gradient ascent on an input image (viz.filterPatterns): each filter's mean response before and
 * after, and with --out the grid of images.
 */
export async function runShowPatterns(modelPath: string, options: ShowPatternsOptions): Promise<number> {
  await checkFigureSettings({ out: options.out, cmap: 'gray' });
  return withStdout((print) => showPatterns(modelPath, options, print));
}

async function showPatterns(modelPath: string, options: ShowPatternsOptions, print: (text: string) => void): Promise<number> {
  const model = await openModel(modelPath);
  const layer = chooseLayer(model, options.layer);
  const pixels = resolvedPixels(model, options.pixels);
  const start = options.start === undefined ? undefined : (await modelInput('show-patterns', model, options.start, options.pixels)).batch;
  const progress = progressEnabled(process.stderr);
  const ascent: FilterPatternOptions = {
    filters: options.filters,
    steps: options.steps,
    stepSize: options.stepSize,
    size: options.size,
    range: PIXEL_RANGES[pixels],
    seed: options.seed,
    start: start && new Tensor(start.data, start.shape.slice(1), 'float32'),
  };
  const { patterns, filters, responses } = usageErrors(() => {
    checkAscentMemory(model, layer, ascent);
    return filterPatterns(model, layer, {
      ...ascent,
      onStep: progress
        ? (step, steps) => process.stderr.write(`\rshow-patterns: step ${step}/${steps}${step === steps ? '\n' : ''}`)
        : undefined,
    });
  });
  const size = model.inputDataFormat === 'channels_first' ? patterns.shape.slice(2) : patterns.shape.slice(1, 3);
  if (options.size && (options.size[0] !== size[0] || options.size[1] !== size[1])) {
    // --size sets only what the model leaves free, and nothing with --start: said rather than dropped silently
    const why = options.start !== undefined ? 'the --start image sets the size' : `model '${model.name}' takes ${size.join('×')} images`;
    process.stderr.write(errorLine(`show-patterns: --size ${options.size.join('x')} is not used: ${why}`));
  }
  if (options.json) {
    const report = {
      model: model.name,
      layer,
      pixels,
      size,
      steps: options.steps,
      filters: filters.map((f, i) => ({ index: f, ...responses[i] })),
    };
    print(`${JSON.stringify(report)}\n`);
  } else {
    // the model's and its layers' names come from its file: written so that none drives the terminal
    print(
      `${printable(`model '${model.name}', layer '${layer}'`)}: ${filters.length} filters, ${options.steps} steps of gradient ascent on a ${size.join('×')} image (pixels ${pixels})\n`,
    );
    print('filter  mean response: start → after\n');
    filters.forEach((f, i) => {
      const { start, end } = responses[i];
      print(
        `${String(f).padStart(6)}  ${start.toPrecision(4).padStart(10)} → ${end.toPrecision(4)}${end > start ? '' : '  (its output did not rise)'}\n`,
      );
    });
  }
  if (options.out) {
    const figure = drawFilterPatterns(model, layer, { patterns, filters, responses }, { cols: options.cols });
    process.stderr.write(`wrote ${await writeFigure(options.out, figure)}\n`);
  }
  return 0;
}

/**
 * Refuses, before it starts, an ascent that cannot fit in `memory`: its images and each layer's
 * output and gradient for them (a free-size model given a large --size and many filters was
 * killed for want of memory).
 */
export function checkAscentMemory(model: ImageModel, layer: string, ascent: FilterPatternOptions, memory = memoryBytes()): void {
  const bytes = 4 * ascentValues(model, layer, ascent);
  if (bytes > memory) {
    throw new UsageError(
      `--size, --filters: gradient ascent on layer '${layer}' keeps its images and each layer's output and gradient, at least ${byteText(bytes)}, more than the ${byteText(memory)} of memory: give a smaller --size or fewer --filters`,
    );
  }
}

/** A filter the layer does not have is a usage error (its count is known once the layer has run); so are a --size over filterPatterns' limit and more --size and --filters than its arrays hold. */
function usageErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ConvlensError && /: filter .* is not one of the layer's/.test(error.message)) {
      throw new UsageError(`--filters: ${error.message.replace(/^filterPatterns: /, '')}`);
    }
    if (error instanceof ConvlensError && /one array holds: give a smaller size or fewer filters$/.test(error.message)) {
      const message = error.message.replace(/^filterPatterns: /, '--size, --filters: ');
      throw new UsageError(message.replace(/a smaller size or fewer filters$/, 'a smaller --size or fewer --filters'));
    }
    if (error instanceof ConvlensError && /^filterPatterns: size must be/.test(error.message)) {
      throw new UsageError(
        `--size: ${error.message.replace(/^filterPatterns: size must be \[height, width\], /, 'height and width must be ')}`,
      );
    }
    throw error;
  }
}

/** The layer named (or numbered from 0) by --layer, or the model's last convolution: its filters combine the others'. */
function chooseLayer(model: ImageModel, wanted: string | undefined): string {
  const names = model.layers.map((l) => l.name);
  if (wanted === undefined) {
    const last = [...model.layers].reverse().find((l) => CONVOLUTION_CLASSES.has(l.className));
    if (!last)
      throw new UsageError(`show-patterns: model '${model.name}' has no convolution; name a layer with --layer (${names.join(', ')})`);
    return last.name;
  }
  const index = /^\d+$/.test(wanted) ? Number(wanted) : names.indexOf(wanted);
  if (index < 0 || index >= names.length)
    throw new UsageError(`--layer ${wanted}: model '${model.name}' has no such layer (its layers: ${names.join(', ')})`);
  return names[index];
}
