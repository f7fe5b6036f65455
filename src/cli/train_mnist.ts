import { join, resolve } from 'node:path';
// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { convertImageDtype, encodePng } from '../image/index.js';
import { Conv2D, Dense, Flatten, MaxPool2D, Sequential } from '../layers/index.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam } from '../train/optimizers.js';
import { lineChart } from '../viz/chart.js';
import { showFeatureMaps } from '../viz/feature_maps.js';
import { showKernels } from '../viz/kernel.js';
import { checkWritable, writeFileAtomic } from './files.js';
import { loadMnist } from './mnist_data.js';
import { epochProgress } from './progress.js';
import { STOP_SIGNALS } from './signals.js';

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

  const batches = Math.ceil(train.x.shape[0] / options.batchSize);
  const progress = epochProgress(options.epochs, options.batchSize);
  const secondsPerEpoch: number[] = [];
  let epochStart = 0;
  // Ctrl-C, or the SIGTERM of a scheduler: training ends after the current batch and what it
  // learned so far is written as usual; a second signal quits at once
  let stoppedBy: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => {
    stoppedBy = signal;
    model.stopTraining = true;
  };
  for (const signal of STOP_SIGNALS) process.once(signal, stop);
  const history = await model.fit(train.x, train.y, {
    epochs: options.epochs,
    batchSize: options.batchSize,
    validationData: [test.x, test.y],
    callbacks: {
      onEpochBegin: (epoch) => {
        epochStart = performance.now();
        progress.start(epoch, batches);
      },
      onBatchEnd: (batch, logs) => {
        progress.update(batch + 1, logs);
      },
      onEpochEnd: (_, logs) => {
        secondsPerEpoch.push((performance.now() - epochStart) / 1000);
        progress.stop(
          Object.entries(logs)
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join('  '),
        );
      },
    },
  });

  for (const signal of STOP_SIGNALS) process.removeListener(signal, stop);
  // a message, as the epoch lines are, on stderr; stdout keeps the results
  if (stoppedBy)
    process.stderr.write(`Stopped by ${stoppedBy} during epoch ${history.epoch.length}: writing what the model learned so far\n`);
  const out = resolve(options.out);
  const h = history.history;
  await writeFileAtomic(join(out, 'history.json'), `${JSON.stringify({ ...history, secondsPerEpoch }, null, 2)}\n`);
  const curves = (metric: 'loss' | 'accuracy', title: string) =>
    lineChart(
      [
        { name: 'training', values: h[metric] },
        { name: 'test', values: h[`val_${metric}`] ?? [] },
      ],
      { title: `${title} (test: ${test.x.shape[0]} digits)`, yMax: metric === 'accuracy' ? 1 : undefined },
    );
  await writeFileAtomic(join(out, 'loss.svg'), curves('loss', 'Loss'));
  await writeFileAtomic(join(out, 'accuracy.svg'), curves('accuracy', 'Accuracy'));

  // the learned kernels drawn as the lesson draws one, and what the first layer makes of one test digit
  const [kernel] = model.layers[0].getWeights();
  const [kh, kw, , count] = kernel.shape;
  const learned = Array.from({ length: count }, (_, k) => ({
    kernel: new Tensor(
      Float32Array.from({ length: kh * kw }, (_, i) => kernel.data[i * count + k]),
      [kh, kw],
      'float32',
    ),
    title: `kernel ${k}`,
  }));
  await writeFileAtomic(join(out, 'kernels.png'), await showKernels(learned, { digits: 2, cellSize: 40, textSize: 11 }).png());
  const digit = new Tensor(test.x.data.slice(0, 28 * 28), [1, 28, 28, 1], 'float32');
  await writeFileAtomic(join(out, 'digit.png'), encodePng(convertImageDtype(new Tensor(digit.data, [28, 28, 1], 'float32'), 'uint8')));
  const firstLayer = model.layers[0].name;
  const maps = showFeatureMaps(model, digit, firstLayer, { rows: 2, cols: Math.ceil(count / 2), tileSize: 112 });
  await writeFileAtomic(join(out, 'feature-maps.png'), await maps.png());

  await model.save(join(out, 'model'));
  const { accuracy } = model.evaluate(test.x, test.y);
  log(
    `Test accuracy ${(accuracy * 100).toFixed(2)}% after ${epochsDone(history.epoch.length, stoppedBy)}; ${median(secondsPerEpoch).toFixed(2)} s per epoch (median)`,
  );
  log(
    `Wrote the model (model/model.json + weights.bin), the learned kernels, one digit's feature maps, the curves and the history to ${out}`,
  );
  return { testAccuracy: accuracy, secondsPerEpoch, stoppedBy };
}

function epochsDone(epochs: number, stoppedBy: NodeJS.Signals | undefined): string {
  const count = `${epochs} epoch${epochs === 1 ? '' : 's'}`;
  return stoppedBy ? `${count} (the last one cut short by ${stoppedBy})` : count;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
}
