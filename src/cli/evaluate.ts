import { join, resolve, sep } from 'node:path';
// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { ConvlensError } from '../errors.js';
import { indexDirectory } from '../image/dataset_from_directory.js';
import { confusionMatrix } from '../ops/confusion_matrix.js';
import type { Tensor } from '../tensor/tensor.js';
import { jsonFloat32 } from '../viz/numbers.js';
import {
  classifierOutput,
  classNames,
  classScores,
  confusionSummary,
  decodedMistakes,
  type Mistake,
  Mistakes,
  mostConfidentMistakes,
  writeConfusion,
  writeMistakes,
} from './classifier.js';
import { checkWritable } from './files.js';
import { ImageFileError, imageInput, modelInput, openModel, type PixelRange } from './model_input.js';
import { fileProgress } from './progress.js';
import { toStdout } from './stdout.js';
import { errorLine, printable } from './term.js';
import { UsageError } from './usage.js';

export interface EvaluateOptions {
  pixels: PixelRange;
  json: boolean;
  /** A folder for confusion.png; none written without it. */
  out?: string;
  progress: boolean;
}

/**
 * `convlens evaluate MODEL FOLDER`: a saved classifier on a folder whose subfolders are the
 * classes, read as `convlens train` reads its folder (Keras' image_dataset_from_directory): the
 * accuracy, each class's and the mistakes made most often, printed; the confusion matrix in the
 * JSON of --json, and drawn to --out/confusion.png. A subfolder is matched to the model's class of its
 * name (classes.json beside model.json), or without names to the class of its place in sorted
 * order, as training gave them. An image that cannot be read is reported and the rest go on.
 */
export async function runEvaluate(modelPath: string, folder: string, options: EvaluateOptions): Promise<number> {
  const model = await openModel(modelPath);
  const { count, activation } = classifierOutput('evaluate', model);
  const named = await classNames('evaluate', modelPath, count);
  const listing = await indexDirectory(folder, { verbose: false });
  const toModel = classMapping(folder, listing.classNames, named, count);
  // without names, class k is the k-th folder and is named so: by its index, folder 10's images
  // were reported as class 2's
  const classes = named.length > 0 ? named : listing.classNames;
  const out = options.out === undefined ? undefined : resolve(options.out);
  if (out && (out + sep).startsWith(resolve(folder) + sep)) {
    // its pictures would be a class folder of the next run
    throw new UsageError(`--out ${options.out} is inside the folder evaluated, ${folder}: choose a folder outside it`);
  }
  if (out) await checkWritable(out); // before the work, not after
  const bar = options.progress ? fileProgress('evaluate') : undefined;
  bar?.setTotal(listing.filePaths.length);
  const labels: number[] = [];
  const predictions: number[] = [];
  let failed = 0;
  let notANumber = 0;
  const mistakes = new Mistakes<Mistake & { path: string }>();
  try {
    for (const [n, path] of listing.filePaths.entries()) {
      try {
        const { batch } = await modelInput('evaluate', model, path, options.pixels);
        const scores = classScores((model.predict(batch) as Tensor<'float32'>).data, activation);
        const picked = best(scores);
        if (scores.some(Number.isNaN)) notANumber++;
        const label = toModel[listing.labels[n]];
        predictions.push(picked);
        labels.push(label);
        if (picked !== label) mistakes.add({ path, label, picked, score: scores[picked] });
      } catch (error) {
        if (!(error instanceof ConvlensError)) throw error;
        failed++;
        bar?.tick(failed); // first: the redraw that shows the line shows the new count too (it lagged one behind)
        const line = errorLine(error instanceof ImageFileError ? error.message : `evaluate: ${path}: ${error.message}`);
        if (bar) bar.log(line);
        else process.stderr.write(line);
        continue;
      }
      bar?.tick(failed);
    }
  } finally {
    bar?.stop();
  }
  if (notANumber > 0) {
    // argMax's rule picks the first class then: the counts are the model's fault, say so
    process.stderr.write(
      errorLine(
        `evaluate: the model gave scores that are not numbers (NaN) for ${notANumber} of ${labels.length} images; their predicted classes mean nothing (each is the one argMax gives)`,
      ),
    );
  }
  if (labels.length === 0) throw new ConvlensError(`evaluate: none of the ${listing.filePaths.length} images in ${folder} could be read`);
  const matrix = confusionMatrix(labels, predictions, count);
  const { accuracy, lines } = confusionSummary(matrix, classes, 'evaluated');
  const picture = out ? join(out, 'confusion.png') : undefined;
  if (picture) await writeConfusion(picture, matrix, classes, { name: printable(folder), size: `${labels.length} images` });
  const gallery = out && mistakes.list.length > 0 ? join(out, 'mistakes.png') : undefined;
  if (gallery) await writeMistakes(gallery, await decodedMistakes(mistakes.list, imageInput('evaluate', model).channels), classes);
  return toStdout('evaluate', async (print) => {
    if (options.json) {
      const rows = Array.from({ length: count }, (_, r) => Array.from(matrix.data.subarray(r * count, (r + 1) * count)));
      const perClass = classes.map((name, k) => ({ class: name, right: rows[k][k], total: rows[k].reduce((a, b) => a + b, 0) }));
      const mistaken = mistakes.list.map((m) => ({
        input: m.path,
        class: classes[m.label],
        predicted: classes[m.picked],
        score: jsonFloat32(m.score),
      }));
      const pictures = { picture: picture ?? null, mistakesPicture: gallery ?? null };
      print(
        `${JSON.stringify({ images: labels.length, failed, accuracy, classes, perClass, confusion: rows, mistakes: mistaken, ...pictures })}\n`,
      );
    } else {
      const right = labels.filter((label, i) => label === predictions[i]).length;
      print(`Accuracy ${(100 * accuracy).toFixed(2)}% (${right} of ${labels.length} images in ${printable(folder)})\n`);
      for (const line of lines) print(`${printable(line)}\n`);
      if (picture) print(`Wrote the confusion matrix to ${printable(picture)}\n`);
      if (gallery) print(`Wrote ${mostConfidentMistakes(mistakes.list.length).replace(/^The/, 'the')} to ${printable(gallery)}\n`);
    }
    return failed > 0 ? 1 : 0;
  });
}

/** The class a row of scores picks: the first of the highest, as argMax (a NaN is never higher, so it wins only first). */
function best(scores: number[]): number {
  let k = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[k]) k = i;
  return k;
}

/**
 * The model's class of each subfolder: the one of its name when the model names its classes,
 * else the one at its place (the subfolders sorted, as training numbered them).
 */
function classMapping(folder: string, subfolders: string[], named: string[], count: number): number[] {
  if (named.length > 0) {
    return subfolders.map((name) => {
      const k = named.indexOf(name);
      if (k < 0) {
        throw new ConvlensError(
          `evaluate: ${printable(join(folder, name))} is not one of the model's classes (${named.map(printable).join(', ')}), as classes.json beside its model.json names them`,
        );
      }
      return k;
    });
  }
  if (subfolders.length !== count) {
    throw new ConvlensError(
      `evaluate: ${printable(folder)} has ${subfolders.length} class ${subfolders.length === 1 ? 'folder' : 'folders'} (${subfolders.map(printable).join(', ')}) but the model scores ${count} classes; without a classes.json beside model.json, the folders are its classes in sorted order`,
    );
  }
  // folders 0 to 11 sort as 0, 1, 10, 11, 2, ...: as Keras' training numbers them, but not as a
  // model whose class k is the digit k (trained on arrays) reads them, which would count silently wrong
  const moved = subfolders.findIndex((name, k) => name !== String(k));
  if (moved >= 0 && subfolders.every((name) => /^\d+$/.test(name))) {
    process.stderr.write(
      errorLine(
        `evaluate: without a classes.json beside model.json, the folders are the model's classes in sorted order, as training numbered them: folder ${subfolders[moved]} is class ${moved} (a classes.json of ["0", "1", "2", ...] makes class k the folder named k)`,
      ),
    );
  }
  return subfolders.map((_, k) => k);
}
