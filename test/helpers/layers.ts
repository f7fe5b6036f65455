import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import type { ModelJson } from '../../src/layers/artifacts.js';
import type { Functional } from '../../src/layers/functional.js';
import type { Layer } from '../../src/layers/layer.js';
import type { Sequential } from '../../src/layers/sequential.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { SGD } from '../../src/train/optimizers.js';
import { expectClose } from './close.js';
import type { Rng } from './random.js';
import { tf } from './tf.js';

/** A convlens tensor as a tfjs one (int32 stays int32; the rest is float32). */
export const tfOf = (t: Tensor) => tf.tensor(Array.from(t.data), t.shape, t.dtype === 'int32' ? 'int32' : 'float32');

/** A float32 tensor of `shape` with values uniform in [lo, hi). */
export const f32 = (rng: Rng, shape: number[], lo = -1, hi = 1) =>
  new Tensor(
    rng.floats(
      shape.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
    shape,
    'float32',
  );

/** Random values for every weight of `layer` (a model too; moving variances positive), so that inference-mode batch normalization shows. */
export function randomizeWeights(layer: Layer, rng: Rng): void {
  layer.setWeights(
    layer.weights.map((w) => f32(rng, w.shape, ...((w.name.includes('moving_variance') ? [0.5, 1.5] : [-1, 1]) as [number, number]))),
  );
}

/** tfjs-layers' own loader, reading artifacts from memory (compiled from their trainingConfig, if any). */
export function tfjsLoad(modelJson: ModelJson | Record<string, unknown>, weightData: ArrayBuffer): Promise<tfl.LayersModel> {
  const json = modelJson as ModelJson;
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as never,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as never,
      weightData,
      trainingConfig: json.trainingConfig as never,
    }),
  );
}

/** tfjs-layers' save of `model`, as the artifacts fromArtifacts reads (with its trainingConfig and optimizer state when `includeOptimizer`). */
export async function tfjsSaved(
  model: tfl.LayersModel,
  { includeOptimizer = false } = {},
): Promise<{ modelJson: Record<string, unknown>; weightData: ArrayBuffer }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer },
  );
  const modelJson: Record<string, unknown> = {
    modelTopology: saved!.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved!.weightSpecs }],
  };
  if (saved!.trainingConfig) modelJson.trainingConfig = saved!.trainingConfig;
  return { modelJson, weightData: saved!.weightData as ArrayBuffer };
}

/**
 * Trains both models (the same starting weights) with plain SGD on the same data (`x` one array,
 * or one per input), in order, and checks that tfjs-layers' losses and final weights match ours:
 * the forward pass and every gradient of the layers in between. `theirWeights` gives tfjs' weights
 * in our order, where its model-wide order differs (by default `theirs.getWeights()`);
 * `theirCallbacks` go to tfjs' fit.
 */
export async function expectSameSgdFit(
  ours: Sequential | Functional,
  theirs: tfl.LayersModel,
  x: Tensor | Tensor[],
  y: Tensor,
  {
    epochs = 3,
    batchSize = (Array.isArray(x) ? x[0] : x).shape[0],
    learningRate = 0.5,
    loss = 'categoricalCrossentropy',
    theirWeights = () => theirs.getWeights(),
    theirCallbacks,
  }: {
    epochs?: number;
    batchSize?: number;
    learningRate?: number;
    loss?: 'categoricalCrossentropy' | 'binaryCrossentropy';
    theirWeights?: () => tf.Tensor[];
    theirCallbacks?: tfl.CustomCallbackArgs;
  } = {},
): Promise<void> {
  ours.compile({ optimizer: new SGD({ learningRate }), loss });
  theirs.compile({ optimizer: tf.train.sgd(learningRate), loss });
  const options = { epochs, batchSize, shuffle: false };
  const history = Array.isArray(x) ? await (ours as Functional).fit(x, y, options) : await ours.fit(x, y, options);
  const theirX = Array.isArray(x) ? x.map(tfOf) : tfOf(x);
  const expected = await theirs.fit(theirX, tfOf(y), { ...options, verbose: 0, callbacks: theirCallbacks });
  expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
  const expectedWeights = theirWeights();
  expect(expectedWeights.length, 'number of weights').toBe(ours.weights.length);
  for (const [i, w] of ours.getWeights().entries()) expectClose(w, expectedWeights[i].dataSync(), 1e-4, ours.weights[i].name);
}

/** `n` one-hot labels of two classes, alternating: [1, 0], [0, 1], [1, 0]... */
export const alternatingLabels = (n: number) =>
  new Tensor(
    Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)),
    [n, 2],
    'float32',
  );

/**
 * `n` examples shaped as MNIST's (28×28×1, values (i mod 97) / 97) and their labels 0 to 9 in
 * turn: data for tests of memory and buffers, where the values do not matter.
 */
export function mnistShapedData(n: number): { x: Tensor<'float32'>; y: Tensor<'int32'> } {
  return {
    x: new Tensor(
      Float32Array.from({ length: n * 784 }, (_, i) => (i % 97) / 97),
      [n, 28, 28, 1],
      'float32',
    ),
    y: new Tensor(
      Int32Array.from({ length: n }, (_, i) => i % 10),
      [n],
      'int32',
    ),
  };
}

/** Saves a tfjs model as tfjs-node saves one (model.json + weights.bin). */
export async function saveTfjs(built: tfl.LayersModel, folder: string): Promise<void> {
  await built.save(
    tf.io.withSaveHandler(async (artifacts) => {
      mkdirSync(folder, { recursive: true });
      const manifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }];
      writeFileSync(
        join(folder, 'model.json'),
        JSON.stringify({ format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: manifest }),
      );
      writeFileSync(join(folder, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}
