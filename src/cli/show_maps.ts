import { ConvlensError } from '../errors.js';
import { CONVOLUTION_CLASSES } from '../layers/conv_layer.js';
import { type LayerOutput, outputLabel as label, outputNamed } from '../layers/layer_paths.js';
import type { Tensor } from '../tensor/tensor.js';
import { dataExtent } from '../viz/extent.js';
import { showFeatureMaps } from '../viz/feature_maps.js';
import { channelsLastMaps, plane } from '../viz/maps.js';
import { jsonFloat32 } from '../viz/numbers.js';
import { checkFigureSettings, writeFigure } from './kernels_cmd.js';
import { type ImageModel, modelInput, openModel, type PixelRange } from './model_input.js';
import { mapPreview } from './preview.js';
import { withStdout } from './stdout.js';
import { colorEnabled, previewWidth, printable } from './term.js';
import { UsageError } from './usage.js';

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
  const input = await modelInput('show-maps', model, imagePath, options.pixels);
  // the layers of nested models too: a nested layer's maps with the outer model's layers (its Rescaling) in front
  const outputs = model.layerOutputs(input.batch, { expandNested: true });
  const chosen = chooseLayer(model, outputs, options.layer);
  // drawn and summed channels-last: a channels-first layer's [C, H, W] maps are C maps of H×W too
  const maps = channelsLastMaps(chosen.output, chosen.dataFormat);
  const channels = maps.shape[3];
  if (options.offset >= channels) {
    throw new UsageError(`--offset ${options.offset}: layer '${label(chosen)}' has ${channels} feature maps (0 to ${channels - 1})`);
  }
  const stats = Array.from({ length: channels }, (_, c) => channelStats(maps, c));
  if (options.json) {
    const report = {
      model: model.name,
      image: imagePath,
      input: input.note,
      layer: label(chosen),
      className: chosen.layer.className,
      // the layer's own output shape, in its layout
      shape: chosen.output.shape.slice(1),
      dataFormat: chosen.dataFormat,
      // non-finite values written as extract writes them ("NaN", "Infinity"): JSON has no number for them
      channels: stats.map((c) => ({ index: c.index, min: jsonFloat32(c.min), max: jsonFloat32(c.max), mean: jsonFloat32(c.mean) })),
    };
    print(`${JSON.stringify(report)}\n`);
  } else {
    printSummary(model, outputs, chosen, maps, input.note, stats, options, print);
  }
  if (options.out) {
    const figure = showFeatureMaps(model, input.batch, label(chosen), {
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

/** Layer names listed in a message before the rest are only counted (a nested pretrained base holds a hundred). */
const LISTED_LAYERS = 16;

function listed(names: readonly string[]): string {
  const more = names.length > LISTED_LAYERS ? `, … ${names.length - LISTED_LAYERS} more` : '';
  return `${names.slice(0, LISTED_LAYERS).join(', ')}${more}`;
}

/**
 * The layer named (or numbered) by --layer, or the first convolution (the first layer with feature
 * maps if none), at any depth: a layer inside a nested model goes by its path, 'base/conv2d', a
 * later application of a shared layer by its index, 'conv[1]', and a layer in a later application
 * of a shared model by that application's, 'encoder[1]/conv2d'.
 */
function chooseLayer(model: ImageModel, outputs: LayerOutput[], wanted: string | undefined): LayerOutput {
  const withMaps = outputs.filter((o) => o.output.rank === 4);
  const names = listed(withMaps.map(label));
  if (wanted === undefined) {
    if (withMaps.length === 0)
      throw new ConvlensError(
        `show-maps: no layer of model '${model.name}' (nor of a model nested in it) outputs feature maps ([height, width, channels], or [channels, height, width] channels-first)`,
      );
    return withMaps.find((o) => CONVOLUTION_CLASSES.has(o.layer.className)) ?? withMaps[0];
  }
  let found: LayerOutput;
  try {
    found = outputNamed('show-maps', outputs, /^\d+$/.test(wanted) ? Number(wanted) : wanted, (n) => model.getLayer(n));
  } catch (error) {
    throw new UsageError(`--layer ${wanted}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (found.output.rank !== 4) {
    throw new UsageError(
      `--layer ${wanted}: layer '${label(found)}' outputs shape [${found.output.shape.slice(1).join(', ')}], not feature maps; these do: ${names || 'none'}`,
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

/** How the summary counts the layers: the model's own, and those inside its nested models. */
function layerCount(model: ImageModel, outputs: readonly LayerOutput[]): string {
  const own = model.layers.length;
  // a shared layer's (or shared model's) applications are one layer
  const nested = new Set(outputs.map((o) => o.layer)).size - own;
  return `${own} ${own === 1 ? 'layer' : 'layers'}${nested > 0 ? `, ${nested} more in nested models` : ''}`;
}

/** The other layers --layer may pick (the summary's hint when it took the default). */
function otherLayersHint(outputs: readonly LayerOutput[], chosen: LayerOutput): string {
  const others = outputs.filter((o) => o !== chosen && o.output.rank === 4).map(label);
  return others.length === 0 ? '' : `Other layers with feature maps (--layer NAME): ${printable(listed(others))}\n`;
}

function printSummary(
  model: ImageModel,
  outputs: readonly LayerOutput[],
  chosen: LayerOutput,
  maps: Tensor<'float32'>,
  inputNote: string,
  stats: ChannelStats[],
  options: ShowMapsOptions,
  print: (text: string) => void,
): void {
  const [, h, w, c] = maps.shape;
  const dead = stats.filter((s) => s.max === 0 && s.min === 0).length;
  const lines = [
    `model ${model.name} (${layerCount(model, outputs)}); image ${inputNote}`,
    `layer ${label(chosen)} (${chosen.layer.className}): ${c} feature maps of ${h}×${w}${dead ? `, ${dead} all zero` : ''}`,
  ];
  const shown = stats.slice(options.offset, options.offset + 8);
  for (const s of shown)
    lines.push(`  map ${s.index}: min ${s.min.toPrecision(4)}, max ${s.max.toPrecision(4)}, mean ${s.mean.toPrecision(4)}`);
  if (c > options.offset + shown.length) lines.push(`  … ${c - options.offset - shown.length} more (--json lists all)`);
  lines.push(`map ${options.offset}:`);
  // the model's and its layers' names come from its file: written so that none drives the terminal
  print(`${lines.map(printable).join('\n')}\n`);
  const mode = colorEnabled(process.stdout) ? 'color' : 'plain';
  const preview = plane(maps, options.offset);
  print(`${mapPreview(preview, { mode, cmap: options.cmap, gamma: options.gamma, width: previewWidth(process.stdout) })}\n`);
  if (options.layer === undefined) process.stderr.write(otherLayersHint(outputs, chosen));
  if (!options.out) process.stderr.write('Write the grid of maps with --out maps.png (or .svg, .html)\n');
}
