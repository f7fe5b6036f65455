import { readFile } from 'node:fs/promises';
import { ConvlensError } from '../errors.js';
import * as image from '../image/index.js';
import type { Functional } from '../layers/functional.js';
import { BranchingModelError } from '../layers/functional_chain.js';
import type { Layer } from '../layers/layer.js';
import type { Sequential } from '../layers/sequential.js';
import { loadFunctional, loadModel } from '../layers/serialization.js';
import { cast } from '../ops/cast.js';
import { expandDims } from '../ops/expand_dims.js';
import { Tensor } from '../tensor/tensor.js';
import { dataExtent } from '../viz/extent.js';
import { showFeatureMaps } from '../viz/feature_maps.js';
import { plane } from '../viz/maps.js';
import { jsonFloat32 } from '../viz/numbers.js';
import { terminalPreview } from '../viz/terminal.js';
import { fsReason } from './inputs.js';
import { checkFigureSettings, writeFigure } from './kernels_cmd.js';
import { withStdout } from './stdout.js';
import { colorEnabled, columns } from './term.js';
import { UsageError } from './usage.js';

/** How pixels are scaled before the model sees them: what the model was trained on. */
export type PixelRange = '0..1' | '0..255' | '-1..1';
export const PIXEL_RANGES: PixelRange[] = ['0..1', '0..255', '-1..1'];

export interface ShowMapsOptions {
  layer?: string;
  out?: string;
  rows?: number;
  cols: number;
  offset: number;
  gamma: number;
  cmap: string;
  pixels: PixelRange;
  json: boolean;
}

/**
 * `convlens show-maps MODEL IMAGE`: one image through a saved model (convlens', TensorFlow.js'
 * or a converted Keras model), and the feature maps of one of its layers: a summary and a
 * terminal preview, and with --out the lesson's grid of maps.
 */
export async function runShowMaps(modelPath: string, imagePath: string, options: ShowMapsOptions): Promise<number> {
  await checkFigureSettings(options);
  return withStdout((print) => showMaps(modelPath, imagePath, options, print));
}

async function showMaps(modelPath: string, imagePath: string, options: ShowMapsOptions, print: (text: string) => void): Promise<number> {
  const model = await openModel(modelPath);
  const input = await modelInput(model, imagePath, options.pixels);
  const outputs = model.layerOutputs(input.batch);
  const chosen = chooseLayer(model, outputs, options.layer);
  const maps = chosen.output;
  const channels = maps.shape[3];
  if (options.offset >= channels) {
    throw new UsageError(`--offset ${options.offset}: layer '${chosen.layer.name}' has ${channels} feature maps (0 to ${channels - 1})`);
  }
  const stats = Array.from({ length: channels }, (_, c) => channelStats(maps, c));
  if (options.json) {
    const report = {
      model: model.name,
      image: imagePath,
      input: input.note,
      layer: chosen.layer.name,
      className: chosen.layer.className,
      shape: maps.shape.slice(1),
      // non-finite values written as extract writes them ("NaN", "Infinity"): JSON has no number for them
      channels: stats.map((c) => ({ index: c.index, min: jsonFloat32(c.min), max: jsonFloat32(c.max), mean: jsonFloat32(c.mean) })),
    };
    print(`${JSON.stringify(report)}\n`);
  } else {
    printSummary(model, chosen, input.note, stats, options, print);
  }
  if (options.out) {
    const figure = showFeatureMaps(model, input.batch, chosen.layer.name, {
      rows: options.rows ?? null,
      cols: options.cols,
      offset: options.offset,
      gamma: options.gamma,
      cmap: options.cmap,
    });
    process.stderr.write(`wrote ${await writeFigure(options.out, figure)}\n`);
  }
  return 0;
}

/** A model whose maps can be shown: a Sequential, or a functional model that branches (ResNet's and Inception's blocks). */
type MapsModel = Sequential | Functional;

/** The model as loadModel reads it, or, when it branches (which no Sequential computes), as loadFunctional does. */
async function openModel(modelPath: string): Promise<MapsModel> {
  try {
    return await loadModel(modelPath);
  } catch (error) {
    if (error instanceof BranchingModelError) return loadFunctional(modelPath);
    throw error;
  }
}

/** The image as the model takes it: decoded with its channels, scaled to its pixel range, resized to its input. */
async function modelInput(model: MapsModel, path: string, pixels: PixelRange): Promise<{ batch: Tensor; note: string }> {
  const shape = model.inputShape;
  if (shape?.length !== 3) {
    throw new ConvlensError(
      `show-maps: the model takes inputs of shape ${shape ? `[${shape.join(', ')}]` : '(unknown)'}, not images (height, width, channels)`,
    );
  }
  const [height, width, channels] = shape;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ConvlensError(`show-maps: the model takes ${channels} channels; images have 1 (gray), 3 (RGB) or 4 (RGBA)`);
  }
  const bytes = await readFile(path).catch((error: unknown) => {
    throw new ConvlensError(`show-maps: cannot read ${path}: ${fsReason(error)}`);
  });
  let decoded: Tensor;
  try {
    decoded = image.decodeImage(bytes, { channels });
  } catch (error) {
    // name the file, as extract does: the decoder only knows the bytes
    if (error instanceof ConvlensError) throw new ConvlensError(`${path}: ${error.message}`);
    throw error;
  }
  // 0..1 as convertImageDtype gives it; 0..255 and -1..1 from the pixel values themselves, as Keras' preprocessing computes them
  let img: Tensor = pixels === '0..1' ? image.convertImageDtype(decoded, 'float32') : cast(decoded, 'float32');
  const [h, w] = decoded.shape;
  const notes = [`${h}×${w}×${channels}`];
  if (h !== height || w !== width) {
    img = image.resize(img, [height, width]);
    notes.push(`resized to ${height}×${width} (the model's input)`);
  }
  if (pixels === '-1..1')
    img = new Tensor(
      Float32Array.from(img.data, (v) => v / 127.5 - 1),
      img.shape,
      'float32',
    );
  notes.push(`pixels ${pixels}`);
  return { batch: expandDims(img, 0), note: notes.join(', ') };
}

type LayerOutput = { layer: Layer; output: Tensor<'float32'> };

/** Layers whose maps are features the model learned (what comes before them only rescales, pads or crops the image). */
const CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose']);

/** The layer named (or numbered) by --layer, or the first convolution (the first layer with feature maps if none). */
function chooseLayer(model: MapsModel, outputs: LayerOutput[], wanted: string | undefined): LayerOutput {
  const withMaps = outputs.filter((o) => o.output.rank === 4);
  const names = withMaps.map((o) => o.layer.name).join(', ');
  if (wanted === undefined) {
    if (withMaps.length === 0)
      throw new ConvlensError(`show-maps: no layer of model '${model.name}' outputs feature maps (height, width, channels)`);
    return withMaps.find((o) => CONVOLUTIONS.has(o.layer.className)) ?? withMaps[0];
  }
  let layer: Layer;
  try {
    layer = model.getLayer(/^\d+$/.test(wanted) ? Number(wanted) : wanted);
  } catch (error) {
    throw new UsageError(`--layer ${wanted}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const found = outputs.find((o) => o.layer === layer)!;
  if (found.output.rank !== 4) {
    throw new UsageError(
      `--layer ${wanted}: layer '${layer.name}' outputs shape [${found.output.shape.slice(1).join(', ')}], not feature maps; these do: ${names || 'none'}`,
    );
  }
  return found;
}

interface ChannelStats {
  index: number;
  min: number;
  max: number;
  mean: number;
}

function channelStats(maps: Tensor<'float32'>, channel: number): ChannelStats {
  const values = plane(maps, channel).data;
  const [lo, hi] = dataExtent(values);
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  // a map of NaN alone has no range (dataExtent leaves NaN out)
  return lo <= hi ? { index: channel, min: lo, max: hi, mean } : { index: channel, min: Number.NaN, max: Number.NaN, mean };
}

function printSummary(
  model: MapsModel,
  chosen: LayerOutput,
  inputNote: string,
  stats: ChannelStats[],
  options: ShowMapsOptions,
  print: (text: string) => void,
): void {
  const [, h, w, c] = chosen.output.shape;
  const dead = stats.filter((s) => s.max === 0 && s.min === 0).length;
  const lines = [
    `model ${model.name} (${model.layers.length} ${model.layers.length === 1 ? 'layer' : 'layers'}); image ${inputNote}`,
    `layer ${chosen.layer.name} (${chosen.layer.className}): ${c} feature maps of ${h}×${w}${dead ? `, ${dead} all zero` : ''}`,
  ];
  const shown = stats.slice(options.offset, options.offset + 8);
  for (const s of shown)
    lines.push(`  map ${s.index}: min ${s.min.toPrecision(4)}, max ${s.max.toPrecision(4)}, mean ${s.mean.toPrecision(4)}`);
  if (c > options.offset + shown.length) lines.push(`  … ${c - options.offset - shown.length} more (--json lists all)`);
  lines.push(`map ${options.offset}:`);
  print(`${lines.join('\n')}\n`);
  const mode = colorEnabled(process.stdout) ? 'color' : 'plain';
  const preview = plane(chosen.output, options.offset);
  print(
    `${terminalPreview(preview, { mode, cmap: options.cmap, gamma: options.gamma, width: Math.min(64, columns(process.stdout) - 4) })}\n`,
  );
  if (!options.out) process.stderr.write('Write the grid of maps with --out maps.png (or .svg, .html)\n');
}
