import { ConvlensError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import { layersWithin, ModelLayer } from '../layers/model_layer.js';
import type { Tensor } from '../tensor/tensor.js';
import { dataExtent } from '../viz/extent.js';
import { showFeatureMaps } from '../viz/feature_maps.js';
import { plane } from '../viz/maps.js';
import { jsonFloat32 } from '../viz/numbers.js';
import { terminalPreview } from '../viz/terminal.js';
import { checkFigureSettings, writeFigure } from './kernels_cmd.js';
import { type ImageModel, modelInput, openModel, type PixelRange } from './model_input.js';
import { withStdout } from './stdout.js';
import { colorEnabled, columns } from './term.js';
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

type LayerOutput = { layer: Layer; output: Tensor<'float32'> };

/** Layers whose maps are features the model learned (what comes before them only rescales, pads or crops the image). */
const CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose']);

/** Where the model's own layers have no maps, the nested models that hold layers with some, which show-maps does not reach. */
function nestedMapsHint(model: ImageModel): string {
  const holders = model.layers.filter(
    (layer) => layer instanceof ModelLayer && layersWithin(layer).some((inner) => inner.outputShape?.length === 3),
  );
  if (holders.length === 0) return '';
  const names = holders.map((layer) => `'${layer.name}'`).join(', ');
  const which = holders.length === 1 ? `the nested model ${names} has` : `the nested models ${names} have`;
  return `; ${which} maps inside, which show-maps does not reach (it shows the model's own layers: in code, ${holders[0].name}'s layerOutputs gives them)`;
}

/** The layer named (or numbered) by --layer, or the first convolution (the first layer with feature maps if none). */
function chooseLayer(model: ImageModel, outputs: LayerOutput[], wanted: string | undefined): LayerOutput {
  const withMaps = outputs.filter((o) => o.output.rank === 4);
  const names = withMaps.map((o) => o.layer.name).join(', ');
  if (wanted === undefined) {
    if (withMaps.length === 0)
      throw new ConvlensError(
        `show-maps: no layer of model '${model.name}' outputs feature maps (height, width, channels)${nestedMapsHint(model)}`,
      );
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
  model: ImageModel,
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
