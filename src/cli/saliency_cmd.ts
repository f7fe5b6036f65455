// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { type SaliencyMethod, saliency, showSaliency } from '../viz/saliency.js';
import { classifierOutput, classNames } from './classifier.js';
import { checkFigureSettings, writeFigure } from './kernels_cmd.js';
import { type ImageModel, modelInput, openModel, type PixelRange } from './model_input.js';
import { mapPreview } from './preview.js';
import { withStdout } from './stdout.js';
import { colorEnabled, previewWidth, printable } from './term.js';
import { UsageError } from './usage.js';

export interface SaliencyCommandOptions {
  /** The class to explain: its index, or its name in classes.json (default: the predicted one). */
  class?: string;
  /** Default: Grad-CAM, or the input's gradient for a model with no feature maps before its output (as viz.saliency). */
  method?: SaliencyMethod;
  layer?: string;
  pixels: PixelRange;
  out?: string;
  json: boolean;
}

/**
 * `convlens saliency MODEL IMAGE`: where in the image a saved classifier finds the evidence for a
 * class (Grad-CAM, or the input's gradient): the class and its score, a terminal preview of the
 * heat map, and with --out the image, the heat map and the overlay.
 */
export async function runSaliency(modelPath: string, imagePath: string, options: SaliencyCommandOptions): Promise<number> {
  if (options.method === 'gradient' && options.layer !== undefined) {
    throw new UsageError("--layer is Grad-CAM's; --method gradient takes the gradient of the input, not of a layer");
  }
  await checkFigureSettings({ out: options.out, cmap: 'turbo' });
  return withStdout((print) => explain(modelPath, imagePath, options, print));
}

async function explain(
  modelPath: string,
  imagePath: string,
  options: SaliencyCommandOptions,
  print: (text: string) => void,
): Promise<number> {
  const model = await openModel(modelPath);
  const { count } = classifierOutput('saliency', model);
  const names = await classNames('saliency', modelPath, count);
  const classIndex = options.class === undefined ? undefined : classArg(options.class, names, count);
  const input = await modelInput('saliency', model, imagePath, options.pixels);
  const image = new Tensor(input.batch.data, input.batch.shape.slice(1), 'float32');
  // no --method: viz.saliency's default (Grad-CAM, or the gradient for a model without maps)
  const what = {
    classIndex,
    method: options.method,
    layerName: options.layer === undefined ? undefined : layerNamed(model, options.layer),
  };
  const result = usageErrors(() => saliency(model, image, what));
  const name = names[result.classIndex] ?? String(result.classIndex);
  const how = result.method === 'gradcam' ? `Grad-CAM of layer ${result.layerName}` : "the input's gradient";
  if (options.json) {
    const report = {
      model: model.name,
      image: imagePath,
      input: input.note,
      classIndex: result.classIndex,
      className: names[result.classIndex] ?? null,
      score: result.score,
      method: result.method,
      layer: result.layerName ?? null,
    };
    print(`${JSON.stringify(report)}\n`);
  } else {
    print(`${printable(`model ${model.name}; image ${input.note}`)}\n`);
    print(`${printable(`class ${name} (score ${result.score.toPrecision(4)}): where its evidence lies, by ${how}`)}\n`);
    const mode = colorEnabled(process.stdout) ? 'color' : 'plain';
    print(`${mapPreview(result.map, { mode, cmap: 'turbo', width: previewWidth(process.stdout) })}\n`);
  }
  if (options.out) {
    const figure = showSaliency(model, image, {
      ...what,
      method: result.method,
      classIndex: result.classIndex,
      classNames: names.length ? names : undefined,
    });
    process.stderr.write(`wrote ${await writeFigure(options.out, figure)}\n`);
  }
  return 0;
}

/** --layer: a layer's name, or its index from 0 among the model's layers (as show-maps and show-patterns take it). */
function layerNamed(model: ImageModel, wanted: string): string {
  if (!/^\d+$/.test(wanted)) return wanted;
  const names = model.layers.map((l) => l.name);
  const index = Number(wanted);
  if (index >= names.length)
    throw new UsageError(`--layer ${wanted}: model '${model.name}' has ${names.length} layers (0 to ${names.length - 1})`);
  return names[index];
}

/** --class: a class index, or a name from classes.json. */
function classArg(value: string, names: string[], count: number): number {
  const named = names.indexOf(value);
  if (named >= 0) return named;
  if (/^\d+$/.test(value) && Number(value) < count) return Number(value);
  const known = names.length ? `its classes: ${names.join(', ')}` : `classes 0 to ${count - 1}; no classes.json names them`;
  throw new UsageError(`--class ${value}: not one of the model's classes (${known})`);
}

/** A layer Grad-CAM cannot take is the user's choice, a usage error; so is Grad-CAM of a model without maps (--method gradient needs none). */
function usageErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    // no --layer was given: the message must not blame it
    if (error instanceof ConvlensError && /^saliency: model '.*' has no layer with feature maps/.test(error.message)) {
      throw new UsageError(error.message);
    }
    if (
      error instanceof ConvlensError &&
      /^saliency: (model '.*' has no layer '|layer '.*' (has no feature maps|is the model's output))/.test(error.message)
    ) {
      throw new UsageError(`--layer: ${error.message.replace(/^saliency: /, '')}`);
    }
    throw error;
  }
}
