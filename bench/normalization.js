/**
 * BatchNormalization and LayerNormalization alone: one training step (forward in training mode
 * and backward with the input's gradient) and one inference forward, on the activation shapes of
 * small convnets; then whole epochs of examples/keras_cnn.mjs's model on its 900 MNIST digits.
 * Medians of several interleaved runs, in milliseconds, on the js and wasm backends.
 * Run after building dist/: node bench/normalization.js [--only=bn,ln,cnn] [--backends=js,wasm] [--dist=<another dist folder>]
 * (--dist times another build, e.g. a copy of dist/ from before a change, with the same script).
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { random } from './lib/random.js';
import { measureInterleaved } from './lib/timing.js';

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = option('only')?.split(',') ?? ['bn', 'ln', 'cnn'];
const backends = option('backends')?.split(',') ?? ['js', 'wasm'];
const dist = pathToFileURL(`${resolve(option('dist') ?? new URL('../dist', import.meta.url).pathname)}/`);
const convlens = await import(new URL('index.js', dist).href);
const { Workspace } = await import(new URL('layers/layer.js', dist).href);
const { layers, setBackend, setSeed, tensor } = convlens;
const timing = { minReps: 10, budgetMs: 2000, rounds: 4 };

/** A built layer with its buffers in a workspace, as fit runs it, and a training step and an inference pass on `shape`. */
function layerCase(layer, shape) {
  layer.build(shape.slice(1));
  const workspace = new Workspace();
  workspace.active = true;
  layer.workspace = workspace;
  const size = shape.reduce((a, b) => a * b, 1);
  const x = tensor(random(size, 7), shape);
  const dy = tensor(random(size, 11), shape);
  return {
    train: () => {
      layer.forward(x, true);
      layer.backward(dy, true);
    },
    infer: () => layer.forward(x, false),
  };
}

const SHAPES = [
  [64, 28, 28, 32],
  [64, 14, 14, 64],
  [64, 7, 7, 64],
];

async function layerRows(id, make) {
  for (const shape of SHAPES) {
    const fns = {};
    for (const backend of backends) {
      setBackend(backend);
      const { train, infer } = layerCase(make(), shape);
      fns[`${backend} train`] = () => {
        setBackend(backend);
        train();
      };
      fns[`${backend} infer`] = () => {
        setBackend(backend);
        infer();
      };
    }
    const times = await measureInterleaved(fns, timing);
    const cells = Object.entries(times).map(([name, t]) => `${name} ${t.median.toFixed(2)}`);
    console.log(`${id} [${shape.join(', ')}]: ${cells.join(' | ')} ms`);
  }
}

/** examples/keras_cnn.mjs's training digits: 100 of each, as 0..255 pixel values. */
function digits(count) {
  const require = createRequire(import.meta.url);
  const pixels = new Float32Array(10 * count * 784);
  const labels = new Int32Array(10 * count);
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8'));
    for (let k = 0; k < count; k++) {
      const at = (k * 10 + digit) * 784;
      for (let p = 0; p < 784; p++) pixels[at + p] = Math.round(data[k * 784 + p] * 255);
      labels[k * 10 + digit] = digit;
    }
  }
  return { x: tensor(pixels, [10 * count, 28, 28, 1]), y: tensor(labels, [10 * count], 'int32') };
}

/** examples/keras_cnn.mjs's model and its fit options (one epoch a call, without early stopping). */
async function cnnRows() {
  const train = digits(100);
  const fns = {};
  for (const backend of backends) {
    setBackend(backend);
    setSeed(1);
    const model = new layers.Sequential([
      new layers.Rescaling(1 / 255, { inputShape: [28, 28, 1] }),
      new layers.Conv2D({ filters: 16, kernelSize: 3, activation: 'relu' }),
      new layers.BatchNormalization({ momentum: 0.9 }),
      new layers.MaxPool2D(),
      new layers.Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }),
      new layers.GlobalAveragePooling2D(),
      new layers.Dense({ units: 10, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    fns[`${backend} epoch`] = async () => {
      setBackend(backend);
      await model.fit(train.x, train.y, { epochs: 1, batchSize: 32, validationSplit: 0.1, verbose: 0 });
    };
  }
  const times = await measureInterleaved(fns, { minReps: 6, budgetMs: 4000, rounds: 3 });
  console.log(
    `keras_cnn: ${Object.entries(times)
      .map(([name, t]) => `${name} ${t.median.toFixed(1)}`)
      .join(' | ')} ms`,
  );
}

if (only.includes('bn')) await layerRows('BatchNormalization', () => new layers.BatchNormalization());
if (only.includes('ln')) await layerRows('LayerNormalization', () => new layers.LayerNormalization());
if (only.includes('cnn')) await cnnRows();
