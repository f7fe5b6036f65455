import { join, resolve } from 'node:path';
// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { convertImageDtype, encodePng } from '../image/index.js';
import { Conv2D, Dense, Flatten, MaxPool2D, Sequential } from '../layers/index.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam } from '../train/optimizers.js';
import { confusionSummary, scoredResults, writeConfusion, writeMistakes } from './classifier.js';
import { checkModelFile, checkModelFolder, checkWritable, writeFileAtomic } from './files.js';
import { loadMnist } from './mnist_data.js';
import { epochsDone, fitWithProgress, median, writeTrainingFigures } from './training_run.js';

export interface TrainMnistOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  perDigit: number;
  seed: number;
  out: string;
  log: (line: string) => void;
}

/** The reference network of issue 4: two conv/pool blocks and a softmax classifier. */
export function referenceNetwork(): Sequential {
  return new Sequential([
    new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
    new MaxPool2D({ poolSize: 2 }),
    new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }),
    new MaxPool2D({ poolSize: 2 }),
    new Flatten(),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
}

export async function trainMnist(
  options: TrainMnistOptions,
): Promise<{ testAccuracy: number; secondsPerEpoch: number[]; stoppedBy?: NodeJS.Signals }> {
  const { log } = options;
  setSeed(options.seed);
  const { train, test } = await loadMnist(options.perDigit); // a bad --per-digit is found here, before --out is made
  await checkWritable(options.out); // before minutes of training, not after
  await checkModelFolder(join(options.out, 'model'));
  await checkModelFile(join(options.out, 'model.h5'));
  log(
    `MNIST digits from the 'mnist' package: ${train.x.shape[0]} for training (the first ${options.perDigit} of each digit), ${test.x.shape[0]} for testing`,
  );
  const model = referenceNetwork();
  model.summary(log);
  model.compile({
    optimizer: new Adam({ learningRate: options.learningRate }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });

  const run = await fitWithProgress(
    model,
    { x: train.x, y: train.y, batchSize: options.batchSize, validationData: [test.x, test.y] },
    options.epochs,
  );
  const out = resolve(options.out);
  const digit = new Tensor(test.x.data.slice(0, 28 * 28), [1, 28, 28, 1], 'float32');
  const heldOut = { name: 'test', size: `${test.x.shape[0]} digits` };
  await writeTrainingFigures(out, model, run, heldOut, digit);
  await writeFileAtomic(join(out, 'digit.png'), encodePng(convertImageDtype(new Tensor(digit.data, [28, 28, 1], 'float32'), 'uint8')));
  await model.save(join(out, 'model'));
  // the same model as a Keras HDF5 file, which Keras' load_model opens
  await model.save(join(out, 'model.h5'));
  const { accuracy } = model.evaluate(test.x, test.y);
  const digits = Array.from({ length: 10 }, (_, k) => String(k));
  const scores = model.predict(test.x);
  const { matrix, mistakes } = scoredResults(test.y.data, scores, digits.length);
  await writeConfusion(join(out, 'confusion.png'), matrix, digits, heldOut);
  const pixels = 28 * 28;
  const mistaken = mistakes.map((m) => ({
    ...m,
    image: new Tensor(test.x.data.slice(m.index * pixels, (m.index + 1) * pixels), [28, 28, 1], 'float32'),
  }));
  await writeMistakes(join(out, 'mistakes.png'), mistaken, digits);
  const { lines } = confusionSummary(matrix, digits, heldOut.name);
  log(
    `Test accuracy ${(accuracy * 100).toFixed(2)}% after ${epochsDone(run.history.epoch.length, run.stoppedBy)}; ${median(run.secondsPerEpoch).toFixed(2)} s per epoch (median)`,
  );
  for (const line of lines) log(line);
  log(
    `Wrote the model (model/model.json + weights.bin, and model.h5 for Keras), the learned kernels, one digit's feature maps, what the filters look for, where the model sees the digit, the curves, the confusion matrix, the most confident mistakes and the history to ${out}`,
  );
  return { testAccuracy: accuracy, secondsPerEpoch: run.secondsPerEpoch, stoppedBy: run.finish() };
}
