import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import {
  Add,
  Average,
  Conv2D,
  Dense,
  earlyStopping,
  Flatten,
  Functional,
  functionalFromArtifacts,
  Maximum,
  Minimum,
  Multiply,
  resetNames,
  Subtract,
} from './index.js';

beforeEach(() => resetNames());

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;
const LEARNING_RATE = 0.05;

/** Small random weights for every layer of `model` (moving variances positive), so the softmax stays far from tfjs' 1e-7 clip. */
function randomize(model: tfl.LayersModel, rng: Rng): void {
  const range = (name: string): [number, number] => (name.includes('moving_variance') ? [0.5, 1.5] : [-0.5, 0.5]);
  model.setWeights(model.weights.map((w) => tf.tensor(f32(rng, w.shape as number[], ...range(w.name)).data, w.shape as number[])));
}

/** Every weight of `theirs`, by name (tfjs' getWeights lists the trainable ones first). */
function tfjsWeightsByName(theirs: tfl.LayersModel): Map<string, Float32Array> {
  return new Map(theirs.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

/** Labels 0..classes-1 for `n` examples. */
const labels = (rng: Rng, n: number, classes: number) => new Tensor(rng.ints(n, 0, classes - 1), [n], 'int32');
/** Labels as tfjs' sparse cross-entropy takes them (float32: it floors them). */
const tfLabels = (y: Tensor) => tf.tensor(Array.from(y.data), y.shape, 'float32');

/**
 * Loads `theirs` (randomized) into a convlens Functional, trains both 3 epochs of SGD with 2 batches
 * each, and compares the losses, every weight by name, and evaluate, to 1e-4; returns the worst weight gap.
 */
async function expectTrainsAsTfjs(theirs: tfl.LayersModel, rng: Rng, freeze: string[] = []): Promise<number> {
  randomize(theirs, rng);
  const { modelJson, weightData } = await tfjsSaved(theirs);
  const ours = functionalFromArtifacts(modelJson, weightData);
  for (const name of freeze) {
    ours.getLayer(name).trainable = false;
    theirs.getLayer(name).trainable = false;
  }
  const classes = ours.outputShape!.at(-1)!;
  const x = f32(rng, [6, ...(ours.inputShape as number[])]);
  const y = labels(rng, 6, classes);
  const frozenBefore = freeze.flatMap((name) => ours.getLayer(name).getWeights());
  ours.compile({ optimizer: new SGD({ learningRate: LEARNING_RATE }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  theirs.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const history = await ours.fit(x, y, { epochs: 3, batchSize: 3, shuffle: false });
  const expected = await theirs.fit(tfOf(x), tfLabels(y), { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
  expectClose(history.history.loss, expected.history.loss as number[], 1e-4, `${theirs.name} loss`);
  expectClose(history.history.accuracy, expected.history.acc as number[], 1e-6, `${theirs.name} accuracy`);
  const theirWeights = tfjsWeightsByName(theirs);
  expect([...theirWeights.keys()].sort()).toEqual(ours.weights.map((w) => w.name).sort());
  let worst = 0;
  for (const weight of ours.weights) {
    expectClose(weight.value, theirWeights.get(weight.name)!, 1e-4, `${theirs.name} ${weight.name}`);
    weight.value.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - theirWeights.get(weight.name)![i]));
    });
  }
  expect(freeze.flatMap((name) => ours.getLayer(name).getWeights())).toEqual(frozenBefore);
  const evaluated = ours.evaluate(x, y);
  const [loss, accuracy] = theirs.evaluate(tfOf(x), tfLabels(y)) as tf.Scalar[];
  expectClose([evaluated.loss, evaluated.accuracy], [loss.dataSync()[0], accuracy.dataSync()[0]], 1e-5, `${theirs.name} evaluate`);
  return worst;
}

/** Conv2D → ReLU → Conv2D, added to the skip path, then GlobalAveragePooling2D and a softmax Dense. */
function residualModel(withBatchNorm: boolean): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 3], name: 'image' });
  let x = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv_a' }), input);
  if (withBatchNorm) x = apply(tfl.layers.batchNormalization({ name: 'bn_a' }), x);
  x = apply(tfl.layers.activation({ activation: 'relu', name: 'relu_a' }), x);
  x = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv_b' }), x);
  x = apply(tfl.layers.add({ name: 'add_1' }), [x, input]);
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const output = apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }), x);
  return tfl.model({ inputs: input, outputs: output, name: withBatchNorm ? 'resnet_bn' : 'resnet_like' });
}

/** One layer's output taken by two (its gradient is their sum), the two added, then a softmax Dense. */
function forkedModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [5, 5, 2], name: 'image' });
  const shared = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'tanh', name: 'stem' }), input);
  const left = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'left' }), shared);
  const right = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'right' }), shared);
  const sum = apply(tfl.layers.add({ name: 'sum' }), [left, right]);
  const flat = apply(tfl.layers.flatten({ name: 'flat' }), sum);
  const output = apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }), flat);
  return tfl.model({ inputs: input, outputs: output, name: 'forked' });
}

describe('Functional.fit trains branching models as tfjs-layers does (3 epochs of SGD, 2 batches each)', () => {
  it('a ResNet-style residual block (Conv2D, ReLU, Conv2D, Add with the skip path, GlobalAveragePooling2D, Dense softmax)', async () => {
    expect(await expectTrainsAsTfjs(residualModel(false), caseRng('functional fit', 0))).toBeLessThan(1e-5);
  });

  it('the residual block with BatchNormalization: batch statistics while training, moving ones updated as tfjs does', async () => {
    expect(await expectTrainsAsTfjs(residualModel(true), caseRng('functional fit', 1))).toBeLessThan(1e-5);
  });

  it('an Inception-style block: parallel convolutions and a pooled branch joined by Concatenate', async () => {
    const input = tfl.input({ shape: [6, 6, 3], name: 'image' });
    const b1 = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'b1_1x1' }), input);
    let b2 = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'b2_1x1' }), input);
    b2 = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'b2_3x3' }), b2);
    let b3 = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'b3_pool' }), input);
    b3 = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'b3_1x1' }), b3);
    const joined = apply(tfl.layers.concatenate({ name: 'mixed' }), [b1, b2, b3]);
    const pooled = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), joined);
    const output = apply(tfl.layers.dense({ units: 4, activation: 'softmax', name: 'classes' }), pooled);
    const theirs = tfl.model({ inputs: input, outputs: output, name: 'inception_like' });
    expect(await expectTrainsAsTfjs(theirs, caseRng('functional fit', 2))).toBeLessThan(1e-5);
  });

  it('Multiply, Average, Maximum and Minimum, and a squeeze-and-excitation Multiply that broadcasts [1, 1, C] over the maps', async () => {
    const input = tfl.input({ shape: [4, 4, 2], name: 'image' });
    const a = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'a' }), input);
    const b = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'b' }), input);
    const product = apply(tfl.layers.multiply({ name: 'product' }), [a, b]);
    const mean = apply(tfl.layers.average({ name: 'mean' }), [a, b, product]);
    const most = apply(tfl.layers.maximum({ name: 'most' }), [product, mean, a]);
    const least = apply(tfl.layers.minimum({ name: 'least' }), [b, most]);
    let gate = apply(tfl.layers.globalAveragePooling2d({ name: 'squeeze' }), least);
    gate = apply(tfl.layers.dense({ units: 2, activation: 'sigmoid', name: 'excite' }), gate);
    gate = apply(tfl.layers.reshape({ targetShape: [1, 1, 2], name: 'gate' }), gate);
    const scaled = apply(tfl.layers.multiply({ name: 'scaled' }), [least, gate]);
    const flat = apply(tfl.layers.flatten({ name: 'flat' }), scaled);
    const output = apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }), flat);
    const theirs = tfl.model({ inputs: input, outputs: output, name: 'elementwise' });
    expect(await expectTrainsAsTfjs(theirs, caseRng('functional fit', 3))).toBeLessThan(1e-5);
  });

  it('an output two layers take: its gradient is the sum of theirs', async () => {
    expect(await expectTrainsAsTfjs(forkedModel(), caseRng('functional fit', 4))).toBeLessThan(1e-5);
  });

  it('a frozen layer (trainable = false) is not updated, and the layers below it still are', async () => {
    expect(await expectTrainsAsTfjs(forkedModel(), caseRng('functional fit', 5), ['left'])).toBeLessThan(1e-5);
  });
});

describe('merge layers’ gradients', () => {
  it('Subtract (missing from tfjs-layers): fit’s gradient against central differences of the loss', async () => {
    const rng = caseRng('functional fit', 6);
    setSeed(rng.seed); // the layers' initial weights, so a failure can be replayed
    const a = new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'a' });
    const b = new Conv2D({ filters: 2, kernelSize: 1, name: 'b' });
    const model = new Functional({
      input: { shape: [4, 4, 2], name: 'image' },
      layers: [
        { layer: a, inputs: ['image'] },
        { layer: b, inputs: ['a'] },
        { layer: new Subtract({ name: 'difference' }), inputs: ['a', 'b'] },
        { layer: new Flatten({ name: 'flat' }), inputs: ['difference'] },
        { layer: new Dense({ units: 3, activation: 'softmax', name: 'classes' }), inputs: ['flat'] },
      ],
    });
    const x = f32(rng, [4, 4, 4, 2]);
    const y = labels(rng, 4, 3);
    // SGD with learning rate 1 over one batch moves each weight by minus its gradient
    model.compile({ optimizer: new SGD({ learningRate: 1 }), loss: 'sparseCategoricalCrossentropy' });
    const before = model.getWeights();
    await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false });
    const gradients = model.getWeights().map((w, i) => w.data.map((v, j) => before[i].data[j] - v));
    model.setWeights(before);
    const lossAt = (weight: number, index: number, delta: number) => {
      const value = model.weights[weight].value;
      const saved = value[index];
      value[index] = saved + delta;
      const { loss } = model.evaluate(x, y);
      value[index] = saved;
      return loss;
    };
    // Richardson's extrapolation of two central differences cancels their eps² error, which for
    // steps of 1e-2 through tanh and softmax can reach the tolerance on its own
    const central = (w: number, i: number, eps: number) => (lossAt(w, i, eps) - lossAt(w, i, -eps)) / (2 * eps);
    const eps = 1e-2;
    // both branches into the Subtract: 'a' directly and through 'b'
    for (const [w, weight] of model.weights.entries()) {
      if (!['a', 'b'].some((name) => weight.name.startsWith(`${name}/`))) continue;
      for (let i = 0; i < weight.value.length; i += 3) {
        const numeric = (4 * central(w, i, eps / 2) - central(w, i, eps)) / 3;
        expect(Math.abs(gradients[w][i] - numeric), `${weight.name}[${i}]`).toBeLessThan(1e-4);
      }
    }
  });

  it('Maximum and Minimum send a tie to their first input, as TensorFlow’s maximum(x, y) (x where x >= y); Add to every input', () => {
    const x = new Tensor(Float32Array.of(1, 2, 3), [1, 3], 'float32');
    const y = new Tensor(Float32Array.of(1, 5, 0), [1, 3], 'float32');
    const dy = new Tensor(Float32Array.of(10, 20, 30), [1, 3], 'float32');
    for (const [layer, expected] of [
      [
        new Maximum(),
        [
          [10, 0, 30],
          [0, 20, 0],
        ],
      ],
      [
        new Minimum(),
        [
          [10, 20, 0],
          [0, 0, 30],
        ],
      ],
      [
        new Average(),
        [
          [5, 10, 15],
          [5, 10, 15],
        ],
      ],
      [
        new Multiply(),
        [
          [10, 100, 0],
          [10, 40, 90],
        ],
      ],
      [
        new Add(),
        [
          [10, 20, 30],
          [10, 20, 30],
        ],
      ],
    ] as const) {
      layer.applyMany([x, y]);
      expect(layer.backwardMany(dy).map((g) => Array.from(g.data))).toEqual(expected);
    }
  });

  it('an input broadcast (fewer axes, or axes of 1) gets its gradient summed over those axes', () => {
    // x [1, 2, 2] times s [1, 2] (Keras reads s as [1, 1, 2]): ds[c] = Σ_i dy[i, c]·x[i, c]
    const x = new Tensor(Float32Array.of(1, 2, 3, 4), [1, 2, 2], 'float32');
    const scale = new Tensor(Float32Array.of(10, 100), [1, 2], 'float32');
    const dy = new Tensor(Float32Array.of(1, 1, 2, 2), [1, 2, 2], 'float32');
    const product = new Multiply();
    expect(Array.from(product.applyMany([x, scale]).data)).toEqual([10, 200, 30, 400]);
    const [dx, dScale] = product.backwardMany(dy);
    expect(dx.shape).toEqual([1, 2, 2]);
    expect(Array.from(dx.data)).toEqual([10, 100, 20, 200]);
    expect(dScale.shape).toEqual([1, 2]);
    expect(Array.from(dScale.data)).toEqual([1 + 6, 2 + 8]);
  });
});

describe('Functional.fit takes what Sequential.fit takes', () => {
  /** Conv2D then two branches added, then a softmax Dense, made by hand. */
  const smallModel = () =>
    new Functional({
      input: { shape: [4, 4, 1], name: 'image' },
      layers: [
        { layer: new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }), inputs: ['image'] },
        { layer: new Conv2D({ filters: 2, kernelSize: 1, name: 'branch' }), inputs: ['stem'] },
        { layer: new Add({ name: 'sum' }), inputs: ['stem', 'branch'] },
        { layer: new Flatten({ name: 'flat' }), inputs: ['sum'] },
        { layer: new Dense({ units: 2, activation: 'softmax', name: 'classes' }), inputs: ['flat'] },
      ],
    });

  it('validationSplit, callbacks and earlyStopping with restoreBestWeights; the same messages', async () => {
    const rng = caseRng('functional fit', 8);
    const model = smallModel();
    const x = f32(rng, [10, 4, 4, 1]);
    const y = labels(rng, 10, 2);
    await expect(model.fit(x, y)).rejects.toThrow('fit: compile the model first (model.compile({ optimizer, loss }))');
    model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const ends: number[] = [];
    const history = await model.fit(x, y, {
      epochs: 4,
      batchSize: 4,
      validationSplit: 0.2,
      callbacks: [
        { onEpochEnd: (epoch) => void ends.push(epoch) },
        earlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true }),
      ],
    });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(ends).toEqual(history.epoch);
    expect(history.history.val_loss).toHaveLength(history.epoch.length);
    await expect(model.fit(x, labels(rng, 10, 2), { epochs: 1, batchSize: 0 })).rejects.toThrow(
      'fit: batchSize must be a positive integer, got 0',
    );
    expectConvlensError(
      () => model.evaluate(f32(rng, [2, 4, 4, 2]), labels(rng, 2, 2)),
      'functional: expected input of shape (None, 4, 4, 1), got [2, 4, 4, 2]',
    );
  });
});

describe('a compiled Functional saved and loaded', () => {
  it('keeps its compile settings: in model.json, in loadFunctional’s model and in tfjs-layers’ (same evaluate)', async () => {
    const rng = caseRng('functional fit', 7);
    const theirsToSave = forkedModel();
    randomize(theirsToSave, rng);
    const { modelJson, weightData } = await tfjsSaved(theirsToSave);
    const ours = functionalFromArtifacts(modelJson, weightData);
    ours.compile({ optimizer: new SGD({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const saved = ours.toArtifacts();
    expect(saved.modelJson.trainingConfig).toEqual({
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
      optimizer_config: { class_name: 'SGD', config: { learningRate: 0.02 } },
    });
    const loaded = functionalFromArtifacts(JSON.parse(JSON.stringify(saved.modelJson)), saved.weightData);
    expect(loaded.trainingConfig()).toEqual(saved.modelJson.trainingConfig);
    const x = f32(rng, [5, 5, 5, 2]);
    const y = labels(rng, 5, 3);
    expect(loaded.evaluate(x, y)).toEqual(ours.evaluate(x, y));
    const theirs = await tfjsLoad(saved.modelJson, saved.weightData);
    expect(theirs.optimizer.getConfig()).toMatchObject({ learningRate: 0.02 });
    const [loss, accuracy] = theirs.evaluate(tfOf(x), tfLabels(y)) as tf.Scalar[];
    const evaluated = ours.evaluate(x, y);
    expectClose([evaluated.loss, evaluated.accuracy], [loss.dataSync()[0], accuracy.dataSync()[0]], 1e-5, 'evaluate');
  });
});
