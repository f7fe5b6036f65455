import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { ConvlensError } from '../errors.js';
import { imageDatasetFromDirectory, indexDirectory } from '../image/dataset_from_directory.js';
import type { ImageBatch, ImageBatchDataset } from '../image/image_batch_dataset.js';
import {
  Conv2D,
  Dense,
  GlobalAveragePooling2D,
  MaxPool2D,
  RandomContrast,
  RandomFlip,
  RandomRotation,
  Rescaling,
  Sequential,
} from '../layers/index.js';
import { RandomImageLayer } from '../layers/random_image_layer.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam } from '../train/optimizers.js';
import type { Figure } from '../viz/figure.js';
import { showImages } from '../viz/images.js';
import { confusionSummary, decodedMistakes, scoredResults, writeConfusion, writeMistakes } from './classifier.js';
import { checkModelFile, checkModelFolder, checkWritable, writeFileAtomic } from './files.js';
import { fsReason } from './inputs.js';
import { byteText, memoryBytes } from './memory.js';
import { CLASSES_FILE } from './model_input.js';
import { errorLine } from './term.js';
import { epochsDone, fitWithProgress, median, writeTrainingFigures } from './training_run.js';
import { UsageError } from './usage.js';

export interface TrainFolderOptions {
  imageSize: [number, number];
  channels: 1 | 3;
  validationSplit: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Augment the training images (random horizontal flips, rotations up to ±36°, contrast ±10%). */
  augment: boolean;
  out: string;
  log: (line: string) => void;
  /**
   * The most bytes the decoded images may take to be kept in memory after the first epoch (by
   * default a quarter of the memory); a folder that needs more is decoded a batch at a time at every epoch.
   */
  cacheBytes?: number;
  /** The memory training may use (by default the machine's, or the container's limit when lower). */
  memoryBytes?: number;
}

/**
 * The network `convlens train` fits: Keras' tutorial convnet, pixel values 0..255 scaled by its
 * first layer (so the saved model takes images as decoded), three conv/pool blocks, global
 * average pooling (any image size) and a softmax over the classes; with `augment`, augmentation
 * layers before it.
 */
export function folderNetwork(inputShape: number[], classes: number, augment: boolean): Sequential {
  // the Kaggle course's augmentation, on the pixels as decoded (RandomContrast clips to 0..255); identity at inference
  const augmentation = augment
    ? [new RandomFlip({ mode: 'horizontal', inputShape }), new RandomRotation(0.1), new RandomContrast(0.1)]
    : [];
  return new Sequential([
    ...augmentation,
    new Rescaling(1 / 255, { inputShape }),
    new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' }),
    new MaxPool2D(),
    new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }),
    new MaxPool2D(),
    new Conv2D({ filters: 64, kernelSize: 3, activation: 'relu', padding: 'same' }),
    new MaxPool2D(),
    new GlobalAveragePooling2D(),
    new Dense({ units: classes, activation: 'softmax' }),
  ]);
}

/**
 * `convlens train FOLDER`: the images of FOLDER's subfolders (one per class) read as Keras'
 * image_dataset_from_directory reads them, a held-out share for validation, the network above
 * trained on the rest with a progress bar, then the model (with classes.json, and as model.h5 for Keras), its curves,
 * history and first-layer pictures written to --out.
 */
export async function trainFolder(
  folder: string,
  options: TrainFolderOptions,
): Promise<{ validationAccuracy: number; stoppedBy?: NodeJS.Signals }> {
  const { log } = options;
  const [height, width] = options.imageSize;
  if (height < 8 || width < 8)
    throw new UsageError(`--image-size ${height}x${width}: the network pools three times, so images need 8×8 pixels at least`);
  // before decoding every image and minutes of training, not after
  await checkWritable(options.out);
  await checkModelFolder(join(options.out, 'model'), [CLASSES_FILE]);
  await checkModelFile(join(options.out, 'model.h5'));
  setSeed(options.seed);
  const datasetOptions = {
    imageSize: options.imageSize,
    colorMode: options.channels === 1 ? 'grayscale' : 'rgb',
    validationSplit: options.validationSplit,
    subset: 'both',
    seed: options.seed,
    verbose: false,
  } as const;
  // the folder's classes and counts checked from its listing, before any image is decoded
  const { classNames: classes, filePaths, labels } = await indexDirectory(folder, datasetOptions);
  const total = labels.length;
  if (classes.length < 2) {
    // the folder is not what training reads: an input that failed, as a folder of no images is
    throw new ConvlensError(`${folder} has one class (${classes[0]}): a classifier needs two subfolders of images at least`);
  }
  if (Math.floor(options.validationSplit * total) === 0) {
    throw new UsageError(
      `--validation-split ${options.validationSplit} of ${total} images leaves none for validation: give more images or a larger split`,
    );
  }
  const model = folderNetwork([height, width, options.channels], classes.length, options.augment);
  const trainingCount = total - Math.floor(options.validationSplit * total);
  checkTrainingMemory(model, Math.min(options.batchSize, trainingCount), options);
  const empty = classes.filter((_, k) => !labels.includes(k));
  if (empty.length > 0) {
    // Keras keeps an empty subfolder as a class too; say so, since the model can never learn it
    const which = `${empty.map((c) => `'${c}'`).join(', ')} in ${folder} ${empty.length === 1 ? 'has' : 'have'}`;
    process.stderr.write(errorLine(`train: ${which} no images: a class the model cannot learn`));
  }
  // decoded a batch at a time as training goes; kept after the first epoch when they fit in memory
  const batched = await imageDatasetFromDirectory(folder, { ...datasetOptions, batchSize: options.batchSize });
  const decodedBytes = total * height * width * options.channels * 4;
  const cacheBytes = options.cacheBytes ?? memoryBytes() / 4;
  const [training, validation] = decodedBytes <= cacheBytes ? batched.map((d) => d.cache()) : batched;
  log(
    `${folder}: ${total} images of ${classes.length} classes (${classes.join(', ')}), ${training.exampleCount} for training and ${validation.exampleCount} for validation, resized to ${height}×${width}`,
  );
  log(
    decodedBytes <= cacheBytes
      ? `The decoded images (${byteText(decodedBytes)}) are kept in memory after the first epoch`
      : `The decoded images would take ${byteText(decodedBytes)}, more than the ${byteText(cacheBytes)} kept in memory: they are decoded a batch at a time, at every epoch`,
  );
  model.summary(log);
  model.compile({
    optimizer: new Adam({ learningRate: options.learningRate }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const run = await fitWithProgress(model, { dataset: training, validationData: validation }, options.epochs);
  const out = resolve(options.out);
  const sample = await firstImage(validation);
  await writeTrainingFigures(out, model, run, { name: 'validation', size: `${validation.exampleCount} images` }, sample, classes);
  await saveClassifier(model, classes, join(out, 'model'));
  // the same model as a Keras HDF5 file, which Keras' load_model opens; its classes are the
  // subfolders in sorted order, as Keras' image_dataset_from_directory numbers them
  await model.save(join(out, 'model.h5'));
  if (options.augment) await writeFileAtomic(join(out, 'augmentation.png'), await augmentationFigure(model, sample).png());
  // one pass over the validation set, in its files' order, for its confusion matrix: the overall and each class's accuracy
  const scores = await model.predictDataset(validation.epoch(0));
  const labelOf = new Map(filePaths.map((file, n) => [file, labels[n]]));
  const heldOut = { name: 'validation', size: `${validation.exampleCount} images` };
  const validationLabels = validation.filePaths.map((file) => labelOf.get(file)!);
  const { matrix, mistakes } = scoredResults(validationLabels, scores, classes.length);
  await writeConfusion(join(out, 'confusion.png'), matrix, classes, heldOut);
  const mistaken = mistakes.map((m) => ({ ...m, path: validation.filePaths[m.index] }));
  await writeMistakes(join(out, 'mistakes.png'), await decodedMistakes(mistaken, options.channels), classes);
  const { accuracy, lines } = confusionSummary(matrix, classes, heldOut.name);
  log(
    `Validation accuracy ${(accuracy * 100).toFixed(2)}% after ${epochsDone(run.history.epoch.length, run.stoppedBy)}; ${median(run.secondsPerEpoch).toFixed(2)} s per epoch (median)`,
  );
  for (const line of lines) log(line);
  log(
    `Wrote the model (model/model.json, weights.bin and ${CLASSES_FILE}, and model.h5 for Keras, its classes in the order above), the curves, the history, the confusion matrix, the most confident mistakes${options.augment ? ', augmented copies of one image' : ''}, the first layer's pictures, what the filters look for and where the model sees one image's class to ${out}`,
  );
  return { validationAccuracy: accuracy, stoppedBy: run.finish() };
}

/** The most values one Float32Array holds (V8's limit). */
const MAX_ARRAY_LENGTH = 2 ** 32;

/**
 * Refuses, before any image is decoded, an --image-size too large to train on in batches of
 * `batch` images: fit keeps each layer's output and its gradient for a batch, each in one array,
 * beside the batch itself. That is a lower bound of what training takes (about two thirds of it).
 */
function checkTrainingMemory(model: Sequential, batch: number, options: TrainFolderOptions): void {
  const [height, width] = options.imageSize;
  const count = (shape: readonly number[]) => batch * shape.reduce((a, b) => a * b, 1);
  // built for --image-size: every output's size is known
  const outputs = model.layers.map((layer) => count((layer.outputShape ?? []) as number[]));
  const bytes = 4 * (count([height, width, options.channels]) + 2 * outputs.reduce((a, b) => a + b, 0));
  const memory = options.memoryBytes ?? memoryBytes();
  const training = `--image-size ${height}x${width}: training on batches of ${batch} images`;
  const remedy = 'give a smaller --image-size or --batch-size';
  const largest = Math.max(...outputs);
  if (largest > MAX_ARRAY_LENGTH) {
    throw new UsageError(
      `${training} makes a layer output of ${largest.toLocaleString('en-US')} values, more than the limit of ${MAX_ARRAY_LENGTH.toLocaleString('en-US')} one array holds: ${remedy}`,
    );
  }
  if (bytes > memory) {
    throw new UsageError(
      `${training} keeps each layer's output and gradient, at least ${byteText(bytes)}, more than the ${byteText(memory)} of memory: ${remedy}`,
    );
  }
}

/** The first image of the dataset's files, `[1, height, width, channels]`. */
async function firstImage(dataset: ImageBatchDataset): Promise<Tensor<'float32'>> {
  const batches = dataset.epoch(0);
  const { x } = (await batches.next()).value as ImageBatch;
  await batches.return(undefined);
  return new Tensor(x.data.slice(0, x.size / x.shape[0]), [1, ...x.shape.slice(1)], 'float32');
}

/**
 * The validation image `sample` and seven augmented copies, as the model's augmentation layers
 * make them while training (the Kaggle course shows its augmentation so): a titled grid, the
 * original and the copies captioned (an untitled grid left the original unnamed).
 */
export function augmentationFigure(model: Sequential, sample: Tensor<'float32'>): Figure {
  const augmentation = model.layers.filter((l) => l instanceof RandomImageLayer);
  const [, height, width, channels] = sample.shape;
  const asImage = (t: Tensor<'float32'>) =>
    new Tensor(
      Uint8Array.from({ length: height * width * 3 }, (_, i) =>
        Math.round(Math.min(255, Math.max(0, t.data[Math.floor(i / 3) * channels + (channels === 3 ? i % 3 : 0)]))),
      ),
      [height, width, 3],
      'uint8',
    );
  const copies = Array.from({ length: 7 }, () => augmentation.reduce((t, layer) => layer.apply(t, true), sample));
  const side = Math.max(height, width);
  const tileSize = Math.min(2048, Math.max(8, side * Math.max(1, Math.floor(128 / side))));
  return showImages([sample, ...copies].map(asImage), {
    captions: ['original', ...copies.map((_, k) => `augmented ${k + 1}`)],
    cols: 4,
    tileSize,
    title: 'One image and 7 augmented copies',
  });
}

/**
 * The model and its class names, written as one: into a new folder beside `dir`, then swapped in
 * for the previous run's (checkModelFolder made sure it holds nothing else), so a save that fails
 * half-way leaves the previous model and its class names as they were.
 */
export async function saveClassifier(model: Sequential, classes: string[], dir: string): Promise<void> {
  const fresh = `${dir}.new-${process.pid}`;
  const previous = `${dir}.old-${process.pid}`;
  let moved = false;
  try {
    await rm(fresh, { recursive: true, force: true }); // left by a run killed half-way
    await model.save(fresh);
    await writeFileAtomic(join(fresh, CLASSES_FILE), `${JSON.stringify(classes)}\n`);
    moved = await rename(dir, previous).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await rename(fresh, dir);
  } catch (error) {
    if (moved) await rename(previous, dir).catch(() => {});
    await rm(fresh, { recursive: true, force: true });
    throw error instanceof ConvlensError ? error : new ConvlensError(`cannot write the model to ${dir}: ${fsReason(error)}`);
  }
  if (moved) await rm(previous, { recursive: true, force: true });
}
