import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatShape } from '../tensor/shape.js';
// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { ConvlensError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { jsonFloat32 } from '../viz/numbers.js';
import { fsReason, readInputFile } from './inputs.js';
import { CLASSES_FILE, ImageFileError, imageInput, modelInput, openModel, type PixelRange } from './model_input.js';
import { toStdout } from './stdout.js';
import { errorLine, printable } from './term.js';

export interface PredictOptions {
  top: number;
  pixels: PixelRange;
  json: boolean;
}

interface Prediction {
  className: string;
  score: number;
}

/**
 * `convlens predict MODEL IMAGE...`: each image through a saved classifier (decoded with the
 * channels it takes, resized to its input), and its best classes, named by the classes.json
 * `convlens train` writes beside model.json (by index without one). An image that cannot be read
 * is reported and the others go on; the exit code says so.
 */
export async function runPredict(modelPath: string, images: string[], options: PredictOptions): Promise<number> {
  const model = await openModel(modelPath);
  imageInput('predict', model); // once, rather than for every image
  if ('outputNames' in model && model.outputNames.length > 1) {
    throw new ConvlensError(
      `predict: model '${model.name}' has ${model.outputNames.length} outputs (${model.outputNames.join(', ')}), not one score per class (show-maps shows a layer's outputs)`,
    );
  }
  const outputs = model.outputShape;
  if (outputs?.length !== 1 || outputs[0] === null) {
    throw new ConvlensError(
      `predict: the model outputs shape ${formatShape(outputs ?? [])} per image, not a score per class (show-maps shows such outputs)`,
    );
  }
  const activation = model.layers.at(-1)?.activation;
  if (outputs[0] === 1 && activation !== undefined && activation !== 'sigmoid' && activation !== 'linear') {
    throw new ConvlensError(
      `predict: the model outputs one value per image with activation ${activation}, not a binary classifier's probability (sigmoid) or logit (linear)`,
    );
  }
  const classes = await classNames(modelPath, outputs[0] === 1 ? 2 : outputs[0]);
  return toStdout('predict', async (print) => {
    let failed = 0;
    for (const path of images) {
      if (print.lost()) break; // the reader quit (| head): the rest would be computed for no one
      let predictions: Prediction[];
      try {
        const { batch } = await modelInput('predict', model, path, options.pixels);
        predictions = ranked((model.predict(batch) as Tensor<'float32'>).data, classes, activation).slice(0, options.top);
      } catch (error) {
        if (!(error instanceof ConvlensError)) throw error;
        failed++;
        // a file's own faults name it; the model's (an image too small for a model of free sizes) are named here
        process.stderr.write(errorLine(error instanceof ImageFileError ? error.message : `predict: ${path}: ${error.message}`));
        // the fault alone, as extract's --json gives it: the record names the input
        const reason = error instanceof ImageFileError ? error.reason : error.message;
        if (options.json) print(`${JSON.stringify({ input: path, status: 'failed', error: reason })}\n`);
        continue;
      }
      if (options.json) {
        print(
          `${JSON.stringify({ input: path, status: 'predicted', predictions: predictions.map((p) => ({ class: p.className, score: jsonFloat32(p.score) })) })}\n`,
        );
      } else {
        const asPercent = outputs[0] === 1 || activation === 'softmax' || activation === 'sigmoid';
        const shown = predictions.map(
          (p) => `${printable(p.className)} ${asPercent ? `${(100 * p.score).toFixed(1)}%` : p.score.toPrecision(4)}`,
        );
        print(`${printable(path)}: ${shown.join(', ')}\n`);
      }
    }
    return failed > 0 ? 1 : 0;
  });
}

/**
 * The classes, best first. A one-unit output is Keras' binary classifier: P(class 1), so class 0
 * gets 1 − p; without a sigmoid, the unit is its logit (Keras' from_logits), and p its sigmoid.
 */
function ranked(scores: Float32Array, classes: string[], activation: string | undefined): Prediction[] {
  const values = scores.length === 1 ? binary(activation === 'sigmoid' ? scores[0] : 1 / (1 + Math.exp(-scores[0]))) : Array.from(scores);
  // NaN scores (a model gone wrong) last, rather than wherever the sort happens to leave them
  const key = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
  return values.map((score, i) => ({ className: classes[i] ?? String(i), score })).sort((a, b) => key(b.score) - key(a.score));
}

const binary = (p: number) => [1 - p, p];

/** The `count` class names in classes.json beside model.json; none without the file. */
async function classNames(modelPath: string, count: number): Promise<string[]> {
  const folder = (await stat(modelPath).catch(() => undefined))?.isDirectory() ? modelPath : dirname(modelPath);
  const path = join(folder, CLASSES_FILE);
  // none is fine (classes go by index); one that cannot be read, a device or a pipe say, is named
  const text = await readInputFile(path).then(
    (bytes) => new TextDecoder().decode(bytes),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new ConvlensError(`predict: cannot read ${path}: ${fsReason(error)}`);
    },
  );
  if (text === undefined) return [];
  let names: unknown;
  try {
    names = JSON.parse(text.replace(/^\uFEFF/, '')); // a file written by hand in Windows' Notepad starts with a byte-order mark
  } catch {
    throw new ConvlensError(`predict: ${path} is not JSON (a list of class names, as convlens train writes it)`);
  }
  if (!Array.isArray(names) || names.length !== count || !names.every((n) => typeof n === 'string')) {
    throw new ConvlensError(`predict: ${path} must list the model's ${count} class names, got ${text.trim().slice(0, 80)}`);
  }
  return names;
}
