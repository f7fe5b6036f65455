import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConvlensError } from '../errors.js';
import * as image from '../image/index.js';
import { argMax } from '../ops/arg_max.js';
import { confusionMatrix } from '../ops/confusion_matrix.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { showConfusionMatrix } from '../viz/confusion.js';
import { showImages } from '../viz/images.js';
import { writeFileAtomic } from './files.js';
import { fsReason, readInputFile } from './inputs.js';
import { CLASSES_FILE, type ImageModel, imageInput } from './model_input.js';

/**
 * A saved model read as a classifier of images (`predict`, `evaluate`): one image input, one
 * output of a score per class. A one-unit output is Keras' binary classifier (`oneUnit`: two
 * classes, its unit P(class 1) after a sigmoid, else a logit). `op` starts the messages.
 */
export function classifierOutput(op: string, model: ImageModel): { count: number; activation: string | undefined; oneUnit: boolean } {
  imageInput(op, model); // once, rather than for every image
  if ('outputNames' in model && model.outputNames.length > 1) {
    throw new ConvlensError(
      `${op}: model '${model.name}' has ${model.outputNames.length} outputs (${model.outputNames.join(', ')}), not one score per class (show-maps shows a layer's outputs)`,
    );
  }
  const outputs = model.outputShape;
  if (outputs?.length !== 1 || outputs[0] === null) {
    throw new ConvlensError(
      `${op}: the model outputs shape ${formatShape(outputs ?? [])} per image, not a score per class (show-maps shows such outputs)`,
    );
  }
  const activation = outputActivation(model);
  if (outputs[0] === 1 && activation !== undefined && activation !== 'sigmoid' && activation !== 'linear') {
    throw new ConvlensError(
      `${op}: the model outputs one value per image with activation ${activation}, not a binary classifier's probability (sigmoid) or logit (linear)`,
    );
  }
  const oneUnit = outputs[0] === 1;
  return { count: oneUnit ? 2 : outputs[0], activation, oneUnit };
}

/** Layers whose outputs at inference are their inputs' values, moved, picked or averaged: a probability stays one. */
const PASS_THROUGH = new Set([
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'Flatten',
  'Reshape',
  'Cropping2D',
  'UpSampling2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalMaxPooling2D',
  'GlobalAveragePooling2D',
]);

/**
 * The activation that made the model's output: its final layer's, inside a nested model too, or
 * the one before a Dropout, Flatten or pooling that ends it; the outer last layer's alone read a
 * Dense(1, sigmoid) so followed as a logit, and its probability went through a second sigmoid.
 */
function outputActivation(model: ImageModel): string | undefined {
  const layers = model.flatLayers();
  let at = layers.lastIndexOf(model.finalLayer());
  while (at > 0 && layers[at].activation === undefined && PASS_THROUGH.has(layers[at].className)) at--;
  return layers[at]?.activation;
}

/**
 * One image's score per class. A one-unit output is Keras' binary classifier: P(class 1), so
 * class 0 gets 1 − p; without a sigmoid, the unit is its logit (Keras' from_logits), and p its sigmoid.
 */
export function classScores(output: Float32Array, activation: string | undefined): number[] {
  if (output.length !== 1) return Array.from(output);
  const p = activation === 'sigmoid' ? output[0] : 1 / (1 + Math.exp(-output[0]));
  return [1 - p, p];
}

/** The `count` class names in classes.json beside model.json; none without the file. */
export async function classNames(op: string, modelPath: string, count: number): Promise<string[]> {
  const folder = (await stat(modelPath).catch(() => undefined))?.isDirectory() ? modelPath : dirname(modelPath);
  const path = join(folder, CLASSES_FILE);
  // none is fine (classes go by index); one that cannot be read, a device or a pipe say, is named
  const text = await readInputFile(path).then(
    (bytes) => new TextDecoder().decode(bytes),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new ConvlensError(`${op}: cannot read ${path}: ${fsReason(error)}`);
    },
  );
  if (text === undefined) return [];
  let names: unknown;
  try {
    names = JSON.parse(text.replace(/^\uFEFF/, '')); // a file written by hand in Windows' Notepad starts with a byte-order mark
  } catch {
    throw new ConvlensError(`${op}: ${path} is not JSON (a list of class names, as convlens train writes it)`);
  }
  if (!Array.isArray(names) || names.length !== count || !names.every((n) => typeof n === 'string')) {
    throw new ConvlensError(`${op}: ${path} must list the model's ${count} class names, got ${text.trim().slice(0, 80)}`);
  }
  return names;
}

/**
 * A held-out set's confusion matrix (its `labels` against the classes the model's `scores`, one
 * row per example, pick) and its most confident mistakes, from one argMax of the scores.
 */
export function scoredResults(
  labels: ArrayLike<number>,
  scores: Tensor,
  classes: number,
): { matrix: Tensor<'int32'>; mistakes: (Mistake & { index: number })[] } {
  const picked = argMax(scores, 1);
  const mistakes = new Mistakes<Mistake & { index: number }>();
  for (let i = 0; i < labels.length; i++) {
    const guess = picked.data[i];
    if (guess !== labels[i]) mistakes.add({ index: i, label: labels[i], picked: guess, score: scores.data[i * classes + guess] });
  }
  return { matrix: confusionMatrix(Int32Array.from(labels), picked, classes), mistakes: mistakes.list };
}

/** The matrix drawn to `path`, with the class names and a title naming the set (`test: 2000 digits`). */
export async function writeConfusion(path: string, matrix: Tensor<'int32'>, classes: string[], set: { name: string; size: string }) {
  const title = `Confusion matrix (${set.name}: ${set.size})`;
  await writeFileAtomic(path, await showConfusionMatrix(matrix, { classNames: classes, title }).png());
}

/**
 * What a confusion matrix says, as lines for the log: each class's accuracy ("  cat   95.0% (19
 * of 20)", or no examples in the `setName` set) and the mistakes made most often; and the overall accuracy.
 */
export function confusionSummary(matrix: Tensor<'int32'>, classes: string[], setName: string): { accuracy: number; lines: string[] } {
  const n = classes.length;
  const at = (r: number, c: number) => matrix.data[r * n + c];
  const width = classes.reduce((w, c) => Math.max(w, c.length), 0);
  let right = 0;
  let total = 0;
  const lines = classes.map((name, k) => {
    const seen = classes.reduce((sum, _, c) => sum + at(k, c), 0);
    right += at(k, k);
    total += seen;
    return seen === 0
      ? `  ${name.padEnd(width)}  no ${setName} examples`
      : `  ${name.padEnd(width)}  ${((100 * at(k, k)) / seen).toFixed(1).padStart(5)}% (${at(k, k)} of ${seen})`;
  });
  // only the cells that hold mistakes: an object per cell was 10⁸ of them for 10 000 classes
  const mistakes: { truth: string; guess: string; count: number }[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (r !== c && at(r, c) > 0) mistakes.push({ truth: classes[r], guess: classes[c], count: at(r, c) });
  }
  mistakes.sort((a, b) => b.count - a.count).splice(3);
  if (mistakes.length > 0) {
    lines.push(`  most often mistaken: ${mistakes.map((m) => `${m.truth} taken for ${m.guess} (${m.count}×)`).join(', ')}`);
  }
  return { accuracy: total === 0 ? 0 : right / total, lines };
}

/** How many mistakes mistakes.png shows (and evaluate's --json lists): the most confident ones. */
export const MISTAKES_SHOWN = 32;

/** An example the model got wrong: its class, the one picked, and that one's score. */
export interface Mistake {
  label: number;
  picked: number;
  score: number;
}

export type ShownMistake = Mistake & { image: Tensor };

/** The `limit` mistakes of highest score so far (memory bounded, whatever the number of examples), highest first. */
export class Mistakes<M extends Mistake> {
  readonly list: M[] = [];

  constructor(private readonly limit = MISTAKES_SHOWN) {}

  add(mistake: M): void {
    const at = this.list.findIndex((m) => !(m.score >= mistake.score));
    if (at < 0 && this.list.length >= this.limit) return;
    this.list.splice(at < 0 ? this.list.length : at, 0, mistake);
    if (this.list.length > this.limit) this.list.pop();
  }
}

/** 'The 18 most confident mistakes', or for one, 'The most confident mistake' (not 'The 1 ... mistakes'). */
export function mostConfidentMistakes(count: number): string {
  return count === 1 ? 'The most confident mistake' : `The ${count} most confident mistakes`;
}

/** The mistakes' images in a grid (`showImages`), each captioned with its class and the one the model took it for. */
export async function writeMistakes(path: string, shown: ShownMistake[], classes: string[]): Promise<void> {
  if (shown.length === 0) return;
  const captions = shown.map((m) => `${classes[m.label]}\ntaken for ${classes[m.picked]} (${(100 * m.score).toFixed(0)}%)`);
  const figure = showImages(
    shown.map((m) => m.image),
    { captions, title: mostConfidentMistakes(shown.length), tileSize: 96 },
  );
  await writeFileAtomic(path, await figure.png());
}

/** The mistaken files decoded again for their picture (one changed since is left out): only these are ever held. */
export async function decodedMistakes(list: (Mistake & { path: string })[], channels: number | undefined): Promise<ShownMistake[]> {
  const shown: ShownMistake[] = [];
  for (const m of list) {
    const bytes = await readInputFile(m.path).catch(() => undefined);
    if (!bytes) continue;
    try {
      shown.push({
        ...m,
        image: image.decodeImage(bytes, { channels: channels === 1 ? 1 : 3, expandAnimations: false, cmykToGray: true }),
      });
    } catch {}
  }
  return shown;
}
