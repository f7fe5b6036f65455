import { join, resolve } from 'node:path';
// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { encodePng } from '../image/index.js';
import { Conv2D, Dense, Flatten, MaxPool2D, Sequential } from '../layers/index.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam } from '../train/optimizers.js';
import { lineChart } from '../viz/chart.js';
import { colorize } from '../viz/colormap.js';
import { grid } from '../viz/grid.js';
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

/** One picture per slice along the last axis of `t` ([H, W, C] or [kh, kw, 1, C]). */
function slices(t: Tensor, symmetric: boolean, cmap: string): Tensor<'uint8'>[] {
  const channels = t.shape[t.rank - 1];
  const [h, w] = t.shape;
  let bound = 0;
  for (const v of t.data) bound = Math.max(bound, Math.abs(v));
  return Array.from({ length: channels }, (_, c) => {
    const plane = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) plane[i] = t.data[i * channels + c];
    const range = symmetric ? { vmin: -bound, vmax: bound } : {};
    return colorize(new Tensor(plane, [h, w], 'float32'), { cmap, ...range });
  });
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
  if (stoppedBy) log(`Stopped by ${stoppedBy} during epoch ${history.epoch.length}: writing what the model learned so far`);
  const out = resolve(options.out);
  const h = history.history;
  await writeFileAtomic(join(out, 'history.json'), `${JSON.stringify({ ...history, secondsPerEpoch }, null, 2)}\n`);
  await writeFileAtomic(
    join(out, 'loss.svg'),
    lineChart(
      [
        { name: 'loss', values: h.loss },
        { name: 'val_loss', values: h.val_loss ?? [] },
      ],
      { title: 'Loss' },
    ),
  );
  await writeFileAtomic(
    join(out, 'accuracy.svg'),
    lineChart(
      [
        { name: 'accuracy', values: h.accuracy },
        { name: 'val_accuracy', values: h.val_accuracy ?? [] },
      ],
      { title: 'Accuracy' },
    ),
  );

  const [kernel] = model.layers[0].getWeights();
  await writeFileAtomic(join(out, 'kernels.png'), encodePng(grid(slices(kernel, true, 'RdBu_r'), { cols: 8, scale: 16, gap: 4 })));
  const digit = new Tensor(test.x.data.slice(0, 28 * 28), [1, 28, 28, 1], 'float32');
  const maps = model.layerOutputs(digit)[0].output;
  await writeFileAtomic(
    join(out, 'digit.png'),
    encodePng(grid(slices(new Tensor(digit.data, [28, 28, 1], 'float32'), false, 'gray'), { scale: 8, gap: 0 })),
  );
  await writeFileAtomic(
    join(out, 'feature-maps.png'),
    encodePng(grid(slices(new Tensor(maps.data, maps.shape.slice(1), 'float32'), false, 'magma'), { cols: 8, scale: 4, gap: 4 })),
  );

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
