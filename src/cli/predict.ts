// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { ConvlensError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { jsonFloat32 } from '../viz/numbers.js';
import { classifierOutput, classNames, classScores } from './classifier.js';
import { imagePaths } from './inputs.js';
import { ImageFileError, modelInput, openModel, type PixelRange } from './model_input.js';
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

/** The classes, best first; NaN scores (a model gone wrong) last, rather than wherever the sort happens to leave them. */
function ranked(scores: number[], classes: string[]): Prediction[] {
  const key = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
  return scores.map((score, i) => ({ className: classes[i] ?? String(i), score })).sort((a, b) => key(b.score) - key(a.score));
}

/**
 * `convlens predict MODEL IMAGE...`: each image (a folder: its images) through a saved classifier (decoded with the
 * channels it takes, resized to its input), and its best classes, named by the classes.json
 * `convlens train` writes beside model.json (by index without one). An image that cannot be read
 * is reported and the others go on; the exit code says so.
 */
export async function runPredict(modelPath: string, images: string[], options: PredictOptions): Promise<number> {
  const model = await openModel(modelPath);
  const { count, activation, oneUnit } = classifierOutput('predict', model);
  const classes = await classNames('predict', modelPath, count);
  return toStdout('predict', async (print) => {
    let failed = 0;
    for await (const item of imagePaths(images)) {
      if (print.lost()) break; // the reader quit (| head): the rest would be computed for no one
      if (typeof item !== 'string') {
        failed++;
        process.stderr.write(errorLine(`predict: ${item.path}: ${item.error}`));
        if (options.json) print(`${JSON.stringify({ input: item.path, status: 'failed', error: item.error })}\n`);
        continue;
      }
      const path = item;
      let predictions: Prediction[];
      try {
        const { batch } = await modelInput('predict', model, path, options.pixels);
        predictions = ranked(classScores((model.predict(batch) as Tensor<'float32'>).data, activation), classes).slice(0, options.top);
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
        const asPercent = oneUnit || activation === 'softmax' || activation === 'sigmoid';
        const shown = predictions.map(
          (p) => `${printable(p.className)} ${asPercent ? `${(100 * p.score).toFixed(1)}%` : p.score.toPrecision(4)}`,
        );
        print(`${printable(path)}: ${shown.join(', ')}\n`);
      }
    }
    return failed > 0 ? 1 : 0;
  });
}
