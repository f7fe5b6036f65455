import { join } from 'node:path';
import type { ImageBatchDataset } from '../image/image_batch_dataset.js';
import type { Callbacks, History } from '../layers/callbacks.js';
import type { Sequential } from '../layers/sequential.js';
import { Tensor } from '../tensor/tensor.js';
import { lineChart } from '../viz/chart.js';
import { showFeatureMaps } from '../viz/feature_maps.js';
import { showFilters } from '../viz/filters.js';
import { showKernels } from '../viz/kernel.js';
import { showFilterPatterns } from '../viz/patterns.js';
import { showSaliency } from '../viz/saliency.js';
import { writeFileAtomic } from './files.js';
import { PIXEL_RANGES, resolvedPixels } from './model_input.js';
import { epochProgress } from './progress.js';
import { STOP_SIGNALS } from './signals.js';

export interface TrainingRun {
  history: History;
  secondsPerEpoch: number[];
  /** The signal that cut training short (Ctrl-C, a scheduler's SIGTERM), if one did. */
  stoppedBy?: NodeJS.Signals;
  /**
   * Called once the run's results are written: the signal that stopped the run, during training
   * or while they were being written (the command exits with its code), if one did.
   */
  finish(): NodeJS.Signals | undefined;
}

/** What fitWithProgress trains on: arrays (which fit batches) or a batched dataset, each with its held-out set. */
export type TrainingData =
  | { x: Tensor; y: Tensor; batchSize: number; validationData: [Tensor, Tensor] }
  | { dataset: ImageBatchDataset; validationData: ImageBatchDataset };

/**
 * `fit` with a progress bar per epoch (loss, accuracy, rate, ETA) on stderr. Ctrl-C, or the
 * SIGTERM of a scheduler, ends training after the current batch, so that what the model learned
 * so far can be written as usual; one arriving while that is written lets it finish (it killed the
 * command half-way through its files, without the model); a second signal quits at once.
 */
export async function fitWithProgress(model: Sequential, data: TrainingData, epochs: number): Promise<TrainingRun> {
  const batchSize = 'dataset' in data ? data.dataset.batchSize : data.batchSize;
  const batches = 'dataset' in data ? data.dataset.batchCount : Math.ceil(data.x.shape[0] / batchSize);
  const examples = 'dataset' in data ? data.dataset.exampleCount : data.x.shape[0];
  const progress = epochProgress(epochs, batchSize, examples);
  const secondsPerEpoch: number[] = [];
  let epochStart = 0;
  let stoppedBy: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => {
    stoppedBy = signal;
    model.stopTraining = true;
  };
  const callbacks: Callbacks = {
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
  };
  for (const signal of STOP_SIGNALS) process.once(signal, stop);
  try {
    const history =
      'dataset' in data
        ? await model.fit(data.dataset, { epochs, validationData: data.validationData, callbacks })
        : await model.fit(data.x, data.y, { epochs, batchSize, validationData: data.validationData, callbacks });
    // a message, as the epoch lines are, on stderr; stdout keeps the results
    if (stoppedBy)
      process.stderr.write(`Stopped by ${stoppedBy} during epoch ${history.epoch.length}: writing what the model learned so far\n`);
    return { history, secondsPerEpoch, stoppedBy, finish: whileWriting(stoppedBy) };
  } finally {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, stop);
  }
}

/**
 * Until the returned `finish` is called, the first stop signal (of a run that training did not
 * already stop) is noted and said, and the writing goes on; `finish` gives the signal that stopped
 * the run, if any.
 */
function whileWriting(stoppedBy: NodeJS.Signals | undefined): () => NodeJS.Signals | undefined {
  let late: NodeJS.Signals | undefined;
  const note = (signal: NodeJS.Signals) => {
    late ??= signal;
    process.stderr.write(`Stopped by ${signal} after training: writing what the model learned first (again to quit at once)\n`);
  };
  if (!stoppedBy) for (const signal of STOP_SIGNALS) process.once(signal, note);
  return () => {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, note);
    return stoppedBy ?? late;
  };
}

/**
 * What a training run leaves beside its model, in `out`: history.json, the loss and accuracy
 * curves (loss.svg, accuracy.svg; the held-out set called `heldOut.name`, described by its `size`), the first convolution's
 * learned kernels drawn as the lesson draws one (kernels.png; as colour pictures when it reads RGB), and its
 * feature maps of `sample`, one input `[1, height, width, channels]` (feature-maps.png); and what the
 * model looks for (patterns.png, saliency.png: see writeLearnedLooks).
 */
export async function writeTrainingFigures(
  out: string,
  model: Sequential,
  run: TrainingRun,
  heldOut: { name: string; size: string },
  sample: Tensor,
  classNames?: string[],
): Promise<void> {
  const h = run.history.history;
  await writeFileAtomic(
    join(out, 'history.json'),
    `${JSON.stringify({ ...run.history, secondsPerEpoch: run.secondsPerEpoch }, null, 2)}\n`,
  );
  const curves = (metric: 'loss' | 'accuracy', title: string) =>
    lineChart(
      [
        { name: 'training', values: h[metric] },
        { name: heldOut.name, values: h[`val_${metric}`] ?? [] },
      ],
      { title: `${title} (${heldOut.name}: ${heldOut.size})`, yMax: metric === 'accuracy' ? 1 : undefined },
    );
  await writeFileAtomic(join(out, 'loss.svg'), curves('loss', 'Loss'));
  await writeFileAtomic(join(out, 'accuracy.svg'), curves('accuracy', 'Accuracy'));
  const conv = model.layers.find((l) => l.className === 'Conv2D');
  if (!conv) return;
  const [kernel] = conv.getWeights();
  const [kh, kw, inputs, count] = kernel.shape;
  if (inputs === 1) {
    const learned = Array.from({ length: count }, (_, k) => ({
      kernel: new Tensor(
        Float32Array.from({ length: kh * kw }, (_, i) => kernel.data[i * count + k]),
        [kh, kw],
        'float32',
      ),
      title: `kernel ${k}`,
    }));
    await writeFileAtomic(join(out, 'kernels.png'), await showKernels(learned, { digits: 2, cellSize: 40, textSize: 11 }).png());
  } else if (inputs === 3) {
    // colour filters: each one's three channels as an RGB picture, on the kernel's common scale
    await writeFileAtomic(join(out, 'kernels.png'), await showFilters(kernel, { title: `${conv.name}: ${count} learned filters` }).png());
  }
  const maps = showFeatureMaps(model, sample, conv.name, { rows: 2, cols: Math.ceil(count / 2), tileSize: 112 });
  await writeFileAtomic(join(out, 'feature-maps.png'), await maps.png());
  await writeLearnedLooks(out, model, sample, classNames);
}

/**
 * What the trained model looks for: the input each of the last convolution's first 16 filters
 * responds to most (patterns.png), and where in `sample` it finds its predicted class (saliency.png,
 * Grad-CAM), with `classNames` when given.
 */
async function writeLearnedLooks(out: string, model: Sequential, sample: Tensor, classNames?: string[]): Promise<void> {
  const last = [...model.layers].reverse().find((l) => l.className === 'Conv2D');
  if (!last) return;
  // the model's pixel range: 0..255 when it rescales its own inputs, as train's models do
  const range = PIXEL_RANGES[resolvedPixels(model, 'auto')];
  const patterns = showFilterPatterns(model, last.name, { tileSize: 84, range });
  await writeFileAtomic(join(out, 'patterns.png'), await patterns.png());
  if (model.outputShape?.length === 1) {
    const image = new Tensor(sample.data as Float32Array, sample.shape.slice(1), 'float32');
    await writeFileAtomic(join(out, 'saliency.png'), await showSaliency(model, image, { tileSize: 160, classNames }).png());
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** "10 epochs", or "3 epochs (the last one cut short by SIGINT)". */
export function epochsDone(epochs: number, stoppedBy: NodeJS.Signals | undefined): string {
  const count = `${epochs} epoch${epochs === 1 ? '' : 's'}`;
  return stoppedBy ? `${count} (the last one cut short by ${stoppedBy})` : count;
}
