import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { backend } from '../backend/index.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { EarlyStopping } from './callbacks.js';
import type { BatchDataset, DataBatch } from './datasets.js';
import { Add, Concatenate, Conv2D, Dense, Flatten, type Functional, functionalFromArtifacts, Input, model, resetNames } from './index.js';
import { gather, range } from './model_common.js';

// Functional models of several inputs and outputs, against tfjs-layers' tf.model with the same weights.

beforeEach(() => resetNames());

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;

/** Keras' guide's first example: an image and some metadata, joined by a Concatenate, into a classifier. */
function imageAndMetadata(): { ours: Functional; theirs: tfl.LayersModel } {
  const image = Input({ shape: [6, 6, 2], name: 'image' });
  const meta = Input({ shape: [4], name: 'meta' });
  const features = new Flatten({ name: 'flat' }).apply(
    new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(image),
  );
  const metaFeatures = new Dense({ units: 5, activation: 'relu', name: 'meta_dense' }).apply(meta);
  const joined = new Concatenate({ name: 'joined' }).apply([features, metaFeatures]);
  const ours = model({
    inputs: [image, meta],
    outputs: new Dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(joined),
    name: 'two_in',
  });
  const tImage = tfl.input({ shape: [6, 6, 2], name: 'image' });
  const tMeta = tfl.input({ shape: [4], name: 'meta' });
  const tFeatures = apply(
    tfl.layers.flatten({ name: 'flat' }),
    apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' }), tImage),
  );
  const tMetaFeatures = apply(tfl.layers.dense({ units: 5, activation: 'relu', name: 'meta_dense' }), tMeta);
  const tJoined = apply(tfl.layers.concatenate({ name: 'joined' }), [tFeatures, tMetaFeatures]);
  const theirs = tfl.model({
    inputs: [tImage, tMeta],
    outputs: apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }), tJoined),
    name: 'two_in',
  });
  return { ours, theirs };
}

/** Two inputs summed (Add), a shared trunk, and two heads: a classifier and a regression. */
function twoHeads(): { ours: Functional; theirs: tfl.LayersModel } {
  const a = Input({ shape: [4], name: 'a' });
  const b = Input({ shape: [4], name: 'b' });
  const trunk = new Dense({ units: 6, activation: 'relu', name: 'trunk' }).apply(new Add({ name: 'sum' }).apply([a, b]));
  const cls = new Dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(trunk);
  const reg = new Dense({ units: 2, name: 'reg' }).apply(trunk);
  const ours = model({ inputs: [a, b], outputs: [cls, reg], name: 'two_heads' });
  const tA = tfl.input({ shape: [4], name: 'a' });
  const tB = tfl.input({ shape: [4], name: 'b' });
  const tTrunk = apply(tfl.layers.dense({ units: 6, activation: 'relu', name: 'trunk' }), apply(tfl.layers.add({ name: 'sum' }), [tA, tB]));
  const theirs = tfl.model({
    inputs: [tA, tB],
    outputs: [
      apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }), tTrunk),
      apply(tfl.layers.dense({ units: 2, name: 'reg' }), tTrunk),
    ],
    name: 'two_heads',
  });
  return { ours, theirs };
}

/** tfjs' random weights, given to ours too (the layers in the same order). */
function sameWeights(ours: Functional, theirs: tfl.LayersModel, rng: Rng): void {
  expect(ours.layers.map((l) => l.name)).toEqual(theirs.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name));
  theirs.setWeights(theirs.weights.map((w) => tf.tensor(f32(rng, w.shape as number[]).data, w.shape as number[])));
  ours.setWeights(theirs.getWeights().map((w) => new Tensor(w.dataSync() as Float32Array, w.shape, 'float32')));
}

const tfjsOutputs = (theirs: tfl.LayersModel, xs: Tensor[]) => {
  const out = theirs.predict(xs.map(tfOf));
  return (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()));
};

const oneHot = (rng: Rng, n: number, classes: number) => {
  const data = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) data[i * classes + Math.floor(rng.floats(1, 0, classes)[0])] = 1;
  return new Tensor(data, [n, classes], 'float32');
};

describe('functional models of several inputs and outputs', () => {
  it('predicts as tfjs-layers does: two inputs through a Concatenate; two inputs through an Add into two heads', () => {
    const rng = caseRng('multi_io', 1);
    const { ours, theirs } = imageAndMetadata();
    sameWeights(ours, theirs, rng);
    const xs = [f32(rng, [5, 6, 6, 2]), f32(rng, [5, 4])];
    const predicted = ours.predict(xs) as Tensor<'float32'>;
    expect(predicted.shape).toEqual([5, 3]);
    expectClose(predicted, tfjsOutputs(theirs, xs)[0], 1e-5, 'concatenate');
    expectClose(ours.predict(xs, { batchSize: 2 }) as Tensor<'float32'>, predicted.data, 0, 'in batches');
    expect(ours.inputShapes).toEqual([[6, 6, 2], [4]]);
    expect(ours.outputShapes).toEqual([[3]]);
    expect(ours.layerOutputs(xs).map(({ layer, output }) => [layer.name, output.shape])).toEqual([
      ['conv', [5, 4, 4, 3]],
      ['flat', [5, 48]],
      ['meta_dense', [5, 5]],
      ['joined', [5, 53]],
      ['cls', [5, 3]],
    ]);

    const heads = twoHeads();
    sameWeights(heads.ours, heads.theirs, rng);
    const ab = [f32(rng, [7, 4]), f32(rng, [7, 4])];
    const outputs = heads.ours.predict(ab, { batchSize: 3 }) as Tensor<'float32'>[];
    expect(outputs.map((o) => o.shape)).toEqual([
      [7, 3],
      [7, 2],
    ]);
    const expected = tfjsOutputs(heads.theirs, ab);
    outputs.forEach((o, i) => {
      expectClose(o, expected[i], 1e-5, `head ${i}`);
    });
    expect(heads.ours.outputNames).toEqual(['cls', 'reg']);
    expect(heads.ours.getWeights().length).toBe(heads.theirs.getWeights().length);
  });

  it("summarizes as Keras: every InputLayer, what each layer is connected to, and tfjs' parameter count", () => {
    const { ours, theirs } = twoHeads();
    const text = ours.summary(null);
    expect(text).toContain('a (InputLayer)');
    expect(text).toContain('b (InputLayer)');
    expect(text).toMatch(/sum \(Add\) +\(None, 4\) +0 +a\[0\]\[0\],\n +b\[0\]\[0\]/);
    expect(text).toMatch(/reg \(Dense\) +\(None, 2\) +14 +trunk\[0\]\[0\]/);
    expect(text).toContain(`Total params: ${theirs.countParams().toLocaleString('en-US')}`);
    expect(ours.countParams()).toBe(theirs.countParams());
  });

  it('trains as tfjs-layers does: 3 epochs of SGD, the total and each output loss, lossWeights, and every weight; evaluate', async () => {
    const rng = caseRng('multi_io', 2);
    const { ours, theirs } = twoHeads();
    sameWeights(ours, theirs, rng);
    const n = 12;
    const xs = [f32(rng, [n, 4]), f32(rng, [n, 4])];
    const ys = [oneHot(rng, n, 3), f32(rng, [n, 2])];
    const weights = [0.5, 2];
    // tfjs-layers has no lossWeights: each loss is weighted by hand (its per-output logs are then the weighted losses)
    const weighted = (fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, w: number) => (yTrue: tf.Tensor, yPred: tf.Tensor) =>
      tf.mul(fn(yTrue, yPred), w);
    theirs.compile({
      optimizer: tf.train.sgd(0.1),
      loss: [weighted(tfl.metrics.categoricalCrossentropy, weights[0]), weighted(tfl.metrics.meanSquaredError, weights[1])],
    });
    ours.compile({
      optimizer: new SGD({ learningRate: 0.1 }),
      loss: { cls: 'categoricalCrossentropy', reg: 'meanSquaredError' },
      lossWeights: weights,
    });
    const history = await ours.fit(xs, { cls: ys[0], reg: ys[1] }, { epochs: 3, batchSize: 5, shuffle: false });
    const expected = await theirs.fit(xs.map(tfOf), ys.map(tfOf), { epochs: 3, batchSize: 5, shuffle: false, verbose: 0 });
    expect(Object.keys(history.history)).toEqual(['loss', 'cls_loss', 'reg_loss']);
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'total loss');
    expectClose(
      history.history.cls_loss.map((l) => l * weights[0]),
      expected.history.cls_loss as number[],
      1e-5,
      'cls_loss',
    );
    expectClose(
      history.history.reg_loss.map((l) => l * weights[1]),
      expected.history.reg_loss as number[],
      1e-5,
      'reg_loss',
    );
    const theirWeights = theirs.getWeights();
    for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirWeights[i].dataSync(), 1e-4, ours.weights[i].name);

    // evaluate, without weights, and a metric for one output: tfjs' loss, cls_loss, reg_loss, cls_acc
    ours.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: { cls: ['accuracy'] } });
    theirs.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: { cls: 'accuracy' } });
    const result = ours.evaluate(xs, ys, { batchSize: 5 });

    const tfjsResult = (theirs.evaluate(xs.map(tfOf), ys.map(tfOf), { batchSize: 5 }) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    expect(Object.keys(result)).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy']);
    // tfjs-layers' evaluate of a model of several outputs lists the first output's loss once more, first
    expectClose(tfjsResult[0], tfjsResult[2], 0, "tfjs' first value");
    expectClose(Object.values(result), tfjsResult.slice(1), 1e-5, 'evaluate');
  });

  it('trains as tfjs-layers does when a softmax output is also taken by another output layer', async () => {
    const rng = caseRng('multi_io', 6);
    const a = Input({ shape: [4], name: 'a' });
    const cls = new Dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(a);
    const ours = model({ inputs: a, outputs: [cls, new Dense({ units: 2, name: 'reg' }).apply(cls)] });
    const tA = tfl.input({ shape: [4], name: 'a' });
    const tCls = apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }), tA);
    const theirs = tfl.model({ inputs: tA, outputs: [tCls, apply(tfl.layers.dense({ units: 2, name: 'reg' }), tCls)] });
    sameWeights(ours, theirs, rng);
    const n = 8;
    const x = f32(rng, [n, 4]);
    const ys = [oneHot(rng, n, 3), f32(rng, [n, 2])];
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    // the gradient 'cls' gets from 'reg' goes through its softmax, the loss's does not
    const history = await ours.fit(x, ys, { epochs: 3, batchSize: 3, shuffle: false });
    const expected = await theirs.fit(tfOf(x), ys.map(tfOf), { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'total loss');
    const theirWeights = theirs.getWeights();
    for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirWeights[i].dataSync(), 1e-4, ours.weights[i].name);
  });

  it('logs a model of several inputs and one output by the keys of a model of one (loss, accuracy), as tfjs and Keras', async () => {
    const rng = caseRng('multi_io', 7);
    const { ours, theirs } = imageAndMetadata();
    sameWeights(ours, theirs, rng);
    const n = 6;
    const xs = [f32(rng, [n, 6, 6, 2]), f32(rng, [n, 4])];
    const y = oneHot(rng, n, 3);
    ours.compile({ optimizer: new SGD({ learningRate: 0 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    theirs.compile({ optimizer: tf.train.sgd(0), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const history = await ours.fit(xs, y, { epochs: 1, validationSplit: 0.5 });
    expect(Object.keys(history.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    // Keras trains on the first floor(n · (1 − validationSplit)) examples: none of 6 at 0.9
    await expectConvlensRejection(
      ours.fit(xs, y, { validationSplit: 0.9 }),
      "fit: no training examples: validationSplit 0.9 holds out all 6 of x's examples (expected a split that leaves at least one: more data or a smaller validationSplit)",
    );
    const result = ours.evaluate(xs, y);
    const expected = (theirs.evaluate(xs.map(tfOf), tfOf(y)) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    expectClose([result.loss, result.accuracy], expected, 1e-5, 'evaluate: loss, accuracy');
  });

  it('splits, shuffles and validates every array alike', async () => {
    const rng = caseRng('multi_io', 3);
    const { ours } = twoHeads();
    const n = 10;
    const xs = [f32(rng, [n, 4]), f32(rng, [n, 4])];
    const ys = [oneHot(rng, n, 3), f32(rng, [n, 2])];
    ours.compile({ optimizer: new SGD({ learningRate: 0 }), loss: ['categoricalCrossentropy', 'mse'], metrics: { cls: 'accuracy' } });
    const seen: string[][] = [];
    const history = await ours.fit(xs, ys, {
      epochs: 2,
      batchSize: 3,
      validationSplit: 0.3,
      callbacks: { onEpochEnd: (_, logs) => void seen.push(Object.keys(logs)) },
    });
    expect(seen[0]).toEqual([
      'loss',
      'cls_loss',
      'reg_loss',
      'cls_accuracy',
      'val_loss',
      'val_cls_loss',
      'val_reg_loss',
      'val_cls_accuracy',
    ]);
    // learning rate 0: the validation is evaluate on the last 3 examples, and shuffled training is evaluate on the first 7
    const last = (t: Tensor, from: number, to: number) =>
      new Tensor((t.data as Float32Array).slice((from * t.size) / n, (to * t.size) / n), [to - from, ...t.shape.slice(1)], 'float32');
    const validation = ours.evaluate(
      xs.map((x) => last(x, 7, n)),
      ys.map((y) => last(y, 7, n)),
    );
    const training = ours.evaluate(
      xs.map((x) => last(x, 0, 7)),
      ys.map((y) => last(y, 0, 7)),
    );
    for (const key of Object.keys(validation)) {
      expectClose(history.history[`val_${key}`], [validation[key], validation[key]], 1e-6, `val_${key}`);
      expectClose(history.history[key], [training[key], training[key]], 1e-5, key);
    }
    const withData = await ours.fit(xs, ys, {
      epochs: 1,
      validationData: [xs.map((x) => last(x, 7, n)), { cls: last(ys[0], 7, n), reg: last(ys[1], 7, n) }],
    });
    expectClose(withData.history.val_loss, [validation.loss], 1e-6, 'validationData');
  });

  it("stops early on an output's loss or metric, which goes down or up as tfjs' earlyStopping takes it", async () => {
    const rng = caseRng('multi_io', 12);
    const n = 8;
    const xs = [f32(rng, [n, 4]), f32(rng, [n, 4])];
    const ys = [oneHot(rng, n, 3), f32(rng, [n, 2])];
    // the training logs: tfjs' validation logs of several outputs are off by one (see evaluate above)
    for (const monitor of ['reg_loss', 'cls_accuracy']) {
      resetNames();
      const { ours, theirs } = twoHeads();
      sameWeights(ours, theirs, rng);
      const loss = ['categoricalCrossentropy', 'meanSquaredError'];
      ours.compile({ optimizer: new SGD({ learningRate: 2 }), loss, metrics: { cls: 'accuracy' } });
      theirs.compile({ optimizer: tf.train.sgd(2), loss, metrics: { cls: 'accuracy' } });
      const history = await ours.fit(xs, ys, {
        epochs: 10,
        batchSize: 4,
        shuffle: false,
        callbacks: [new EarlyStopping({ monitor, patience: 1 })],
      });
      const expected = await theirs.fit(xs.map(tfOf), ys.map(tfOf), {
        epochs: 10,
        batchSize: 4,
        shuffle: false,
        verbose: 0,
        callbacks: [tfl.callbacks.earlyStopping({ monitor: monitor.replace('accuracy', 'acc'), patience: 1 })],
      });
      expectClose(history.history[monitor], expected.history[monitor.replace('accuracy', 'acc')] as number[], 1e-4, monitor);
      expect(history.epoch.length, monitor).toBeLessThan(10);
    }
  });

  it('saves as tfjs-layers writes a multi-input, multi-output model, and reads what tfjs saves', async () => {
    const rng = caseRng('multi_io', 4);
    const { ours, theirs } = twoHeads();
    sameWeights(ours, theirs, rng);
    const xs = [f32(rng, [3, 4]), f32(rng, [3, 4])];
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.modelTopology.config.input_layers).toEqual([
      ['a', 0, 0],
      ['b', 0, 0],
    ]);
    expect(modelJson.modelTopology.config.output_layers).toEqual([
      ['cls', 0, 0],
      ['reg', 0, 0],
    ]);
    const inTfjs = await tfjsLoad(modelJson, weightData);
    const expected = tfjsOutputs(theirs, xs);
    tfjsOutputs(inTfjs, xs).forEach((o, i) => {
      expectClose(o, expected[i], 1e-6, `tfjs reads ours, output ${i}`);
    });
    const saved = await tfjsSaved(theirs);
    const back = functionalFromArtifacts(saved.modelJson, saved.weightData);
    expect(back.inputNames).toEqual(['a', 'b']);
    expect(back.outputNames).toEqual(['cls', 'reg']);
    (back.predict(xs) as Tensor<'float32'>[]).forEach((o, i) => {
      expectClose(o, expected[i], 1e-5, `ours reads tfjs', output ${i}`);
    });
    const again = functionalFromArtifacts(ours.toArtifacts());
    expect(again.toArtifacts().modelJson).toEqual(modelJson);
  });

  it("reads Keras 3's config of a model of two inputs and two outputs", () => {
    const tensor = (layer: string, shape: (number | null)[]) => ({
      class_name: '__keras_tensor__',
      config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] },
    });
    const layer = (class_name: string, name: string, config: object, args: unknown[]) => ({
      module: 'keras.layers',
      class_name,
      config: { name, trainable: true, dtype: 'float32', ...config },
      registered_name: null,
      name,
      inbound_nodes: args.length ? [{ args, kwargs: {} }] : [],
    });
    const dense = (units: number, activation: string) => ({ units, activation, use_bias: true });
    const modelTopology = {
      class_name: 'Functional',
      config: {
        name: 'functional',
        layers: [
          layer('InputLayer', 'a', { batch_shape: [null, 4], sparse: false }, []),
          layer('InputLayer', 'b', { batch_shape: [null, 4], sparse: false }, []),
          layer('Add', 'sum', {}, [[tensor('a', [null, 4]), tensor('b', [null, 4])]]),
          layer('Dense', 'trunk', dense(6, 'relu'), [tensor('sum', [null, 4])]),
          layer('Dense', 'cls', dense(3, 'softmax'), [tensor('trunk', [null, 6])]),
          layer('Dense', 'reg', dense(2, 'linear'), [tensor('trunk', [null, 6])]),
        ],
        input_layers: [
          ['a', 0, 0],
          ['b', 0, 0],
        ],
        output_layers: [
          ['cls', 0, 0],
          ['reg', 0, 0],
        ],
      },
      keras_version: '3.6.0',
    };
    const { theirs } = twoHeads();
    const rng = caseRng('multi_io', 5);
    theirs.setWeights(theirs.weights.map((w) => tf.tensor(f32(rng, w.shape as number[]).data, w.shape as number[])));
    const weights = theirs.getWeights();
    const names = ['trunk/kernel', 'trunk/bias', 'cls/kernel', 'cls/bias', 'reg/kernel', 'reg/bias'];
    const specs = weights.map((w, i) => ({ name: names[i], shape: w.shape, dtype: 'float32' }));
    const bytes = new Float32Array(weights.flatMap((w) => Array.from(w.dataSync())));
    const ours = functionalFromArtifacts({ modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] }, bytes);
    const xs = [f32(rng, [3, 4]), f32(rng, [3, 4])];
    const expected = tfjsOutputs(theirs, xs);
    (ours.predict(xs) as Tensor<'float32'>[]).forEach((o, i) => {
      expectClose(o, expected[i], 1e-5, `output ${i}`);
    });
  });

  it('refuses what does not fit, naming the model, the input or output and the shapes', async () => {
    const rng = caseRng('multi_io', 6);
    const { ours } = twoHeads();
    const [xa, xb] = [f32(rng, [3, 4]), f32(rng, [3, 4])];
    expectConvlensError(
      () => ours.predict(xa),
      "predict: model 'two_heads' has 2 inputs ('a' (None, 4), 'b' (None, 4)), got x as one array of shape [3, 4]: give one array per input, in order, or an object keyed by input name",
    );
    expectConvlensError(
      () => ours.predict([xa, f32(rng, [3, 5])]),
      "predict: two_heads: expected input 'b' of shape (None, 4), got [3, 5]",
    );
    expectConvlensError(
      () => ours.predict([xa, f32(rng, [2, 4])]),
      "predict: model 'two_heads': the arrays have different numbers of examples ('a' [3, 4], 'b' [2, 4]); each needs one row per example",
    );
    expectConvlensError(
      () => ours.compile({ optimizer: 'sgd', loss: ['mse'] }),
      "compile: model 'two_heads' has 2 outputs ('cls', 'reg'), got loss of 1: give one per output, in order, or an object keyed by output name",
    );
    expectConvlensError(
      () => ours.compile({ optimizer: 'sgd', loss: { cls: 'mse', rgr: 'mse' } }),
      "compile: loss has the key 'rgr', which is not an output of model 'two_heads' ('cls', 'reg')",
    );
    expectConvlensError(
      () => ours.compile({ optimizer: 'sgd', loss: { cls: 'mse' } }),
      "compile: model 'two_heads': no loss for the output 'reg'",
    );
    ours.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(ours.fit([xa, xb], [f32(rng, [3, 3])])).rejects.toThrow(
      "fit: model 'two_heads' has 2 outputs ('cls' (None, 3), 'reg' (None, 2)), got y as a list of 1 array ([3, 3]): give one array per output, in order, or an object keyed by output name",
    );
    await expect(ours.fit([xa, xb], [f32(rng, [3, 3]), f32(rng, [4, 2])])).rejects.toThrow(
      "fit: model 'two_heads': the inputs have 3 examples but the labels for 'reg' have shape [4, 2]",
    );
    // a loss's check of its labels names the output, and the validation data when theirs are at fault
    await expect(ours.fit([xa, xb], [f32(rng, [3, 3]), f32(rng, [3, 3])])).rejects.toThrow(
      "fit (output 'reg'): meanSquaredError: labels of shape [3, 3] do not match predictions of shape [3, 2]",
    );
    const good = [f32(rng, [3, 3]), f32(rng, [3, 2])];
    await expect(
      ours.fit([xa, xb], good, {
        validationData: [
          [xa, xb],
          [f32(rng, [3, 2]), good[1]],
        ],
      }),
    ).rejects.toThrow(
      "fit (validationData) (output 'cls'): meanSquaredError: labels of shape [3, 2] do not match predictions of shape [3, 3]",
    );
    expect(() => ours.inputShape).toThrow(
      "Functional 'two_heads': it has 2 inputs ('a', 'b'), not one: use inputShapes, inputNames; a model of several inputs or outputs cannot be a layer of another model",
    );

    expectConvlensError(
      () => ours.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: 2 as never }),
      "compile: lossWeights must be a list of one per output or an object keyed by output name ('cls', 'reg'), got 2",
    );
    // convlens nests models of one input and one output only
    expectConvlensError(
      () => ours.apply(Input({ shape: [4] })),
      "Functional 'two_heads': it has 2 inputs ('a', 'b'), not one: use inputShapes, inputNames; a model of several inputs or outputs cannot be a layer of another model",
    );
    const a = Input({ shape: [4], name: 'in_a' });
    const b = Input({ shape: [4], name: 'in_b' });
    const c = Input({ shape: [4], name: 'in_c' });
    const sum = new Add({ name: 'sum_ab' }).apply([a, b]);
    expectConvlensError(
      () => model({ inputs: [a, b, c], outputs: sum, name: 'm' }),
      "model 'm': the input 'in_c' (shape (None, 4)) does not lead to any output ('sum_ab'): the graph is disconnected",
    );
    expectConvlensError(
      () => model({ inputs: [a], outputs: [sum, new Dense({ units: 1, name: 'head' }).apply(a)], name: 'm' }),
      "model 'm': the output 'sum_ab' depends on the input 'in_b', which is not among the model's inputs ('in_a'): it cannot be computed from them",
    );
  });
});

/** tfjs' evaluate of a model of several outputs: its values after the first (a repeat of the first output's loss). */
const tfjsEvaluate = (theirs: tfl.LayersModel, xs: Tensor[], ys: Tensor[], batchSize: number) =>
  (theirs.evaluate(xs.map(tfOf), ys.map(tfOf), { batchSize }) as tf.Scalar[]).slice(1).map((s) => s.dataSync()[0]);

describe('a compiled model of several outputs saved and loaded', () => {
  it('saves its compile settings keyed by output name, as tfjs-layers does; tfjs and convlens load it compiled, to evaluate and fit alike', async () => {
    const rng = caseRng('multi_io', 8);
    const { ours, theirs } = twoHeads();
    sameWeights(ours, theirs, rng);
    // the same compile in both: tfjs writes the config ours does
    ours.compile({
      optimizer: new SGD({ learningRate: 0.1 }),
      loss: { cls: 'categoricalCrossentropy', reg: 'meanSquaredError' },
      metrics: { cls: 'accuracy' },
    });
    theirs.compile({
      optimizer: tf.train.sgd(0.1),
      loss: { cls: 'categoricalCrossentropy', reg: 'meanSquaredError' },
      metrics: { cls: 'accuracy' },
    });
    const fromTfjs = await tfjsSaved(theirs, { includeOptimizer: true });
    expect(ours.toArtifacts().modelJson.trainingConfig).toEqual(fromTfjs.modelJson.trainingConfig);
    expect(functionalFromArtifacts(fromTfjs.modelJson, fromTfjs.weightData).trainingConfig()).toEqual(ours.trainingConfig());

    // several metrics for an output: a list, which tfjs reads too
    ours.compile({
      optimizer: new SGD({ learningRate: 0.1 }),
      loss: ['categoricalCrossentropy', 'mse'],
      metrics: { cls: ['accuracy', 'mse'], reg: 'mae' },
    });
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.trainingConfig).toEqual({
      loss: { cls: 'categorical_crossentropy', reg: 'mean_squared_error' },
      metrics: { cls: ['accuracy', 'mse'], reg: 'mae' },
      optimizer_config: { class_name: 'SGD', config: { learningRate: 0.1 } },
    });
    const loaded = functionalFromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(loaded.trainingConfig()).toEqual(modelJson.trainingConfig);
    const inTfjs = await tfjsLoad(modelJson, weightData);
    expect(inTfjs.optimizer.getConfig()).toMatchObject({ learningRate: 0.1 });
    const n = 9;
    const xs = [f32(rng, [n, 4]), f32(rng, [n, 4])];
    const ys = [oneHot(rng, n, 3), f32(rng, [n, 2])];
    const result = loaded.evaluate(xs, ys, { batchSize: 4 });
    expect(Object.keys(result)).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'cls_mse', 'reg_mae']);
    expectClose(Object.values(result), tfjsEvaluate(inTfjs, xs, ys, 4), 1e-5, 'evaluate');
    const history = await loaded.fit(xs, ys, { epochs: 2, batchSize: 4, shuffle: false });
    const expected = await inTfjs.fit(xs.map(tfOf), ys.map(tfOf), { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'fit loss');
    expectClose(history.history.cls_mse, expected.history.cls_mse as number[], 1e-5, 'fit cls_mse');
    const theirWeights = inTfjs.getWeights();
    for (const [i, w] of loaded.getWeights().entries()) expectClose(w, theirWeights[i].dataSync(), 1e-4, loaded.weights[i].name);
  });

  it("keeps lossWeights and losses from logits, which tfjs cannot compile from, where the converter writes Keras' settings; reads Keras' lists", async () => {
    const rng = caseRng('multi_io', 9);
    const { ours, theirs } = twoHeads();
    sameWeights(ours, theirs, rng);
    ours.compile({
      optimizer: new SGD({ learningRate: 0.05 }),
      loss: ['categoricalCrossentropy', 'mse'],
      lossWeights: { cls: 0.5, reg: 2 },
    });
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.trainingConfig).toBeUndefined();
    expect(modelJson.modelTopology.training_config).toEqual({
      loss: { cls: 'categorical_crossentropy', reg: 'mean_squared_error' },
      metrics: {},
      loss_weights: { cls: 0.5, reg: 2 },
      optimizer_config: { class_name: 'SGD', config: { learningRate: 0.05 } },
    });
    // tfjs-layers refuses loss_weights in its trainingConfig; here it loads the model uncompiled, as a converted Keras model
    const inTfjs = await tfjsLoad(modelJson, weightData);
    expect(inTfjs.optimizer).toBeUndefined();
    const n = 7;
    const xs = [f32(rng, [n, 4]), f32(rng, [n, 4])];
    const ys = [oneHot(rng, n, 3), f32(rng, [n, 2])];
    tfjsOutputs(inTfjs, xs).forEach((o, i) => {
      expectClose(o, tfjsOutputs(theirs, xs)[i], 1e-6, `tfjs predicts, output ${i}`);
    });
    const loaded = functionalFromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(loaded.trainingConfig()).toEqual(modelJson.modelTopology.training_config);
    // the weighted total, as tfjs' with each loss weighted by hand
    const weighted = (fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, w: number) => (yTrue: tf.Tensor, yPred: tf.Tensor) =>
      tf.mul(fn(yTrue, yPred), w);
    theirs.compile({
      optimizer: tf.train.sgd(0.05),
      loss: [weighted(tfl.metrics.categoricalCrossentropy, 0.5), weighted(tfl.metrics.meanSquaredError, 2)],
    });
    const history = await loaded.fit(xs, ys, { epochs: 2, batchSize: 3, shuffle: false });
    const expected = await theirs.fit(xs.map(tfOf), ys.map(tfOf), { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'fit loss');

    // Keras 2 (tensorflowjs_converter) writes what compile got: lists of one per output, metrics a list of lists
    const keras = structuredClone(modelJson);
    keras.modelTopology.training_config = {
      loss: ['categorical_crossentropy', 'mse'],
      metrics: [['accuracy'], []],
      loss_weights: [0.5, 2],
      optimizer_config: { class_name: 'SGD', config: { learning_rate: 0.05, momentum: 0, nesterov: false } },
    };
    const fromKeras = functionalFromArtifacts(keras, weightData);
    ours.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'], lossWeights: [0.5, 2], metrics: { cls: 'accuracy' } });
    expect(fromKeras.evaluate(xs, ys)).toEqual(ours.evaluate(xs, ys));
    expect(Object.keys(fromKeras.evaluate(xs, ys))).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy']);

    // a loss from logits: Keras' serialized loss object
    ours.compile({ optimizer: 'adam', loss: { cls: { name: 'categoricalCrossentropy', fromLogits: true }, reg: 'mse' } });
    const saved = ours.toArtifacts().modelJson;
    expect(saved.modelTopology.training_config?.loss).toEqual({
      cls: { class_name: 'CategoricalCrossentropy', config: { from_logits: true } },
      reg: 'mean_squared_error',
    });
    expect(functionalFromArtifacts(JSON.parse(JSON.stringify(saved)), weightData).trainingConfig()).toEqual(ours.trainingConfig());
  });

  it('loads uncompiled, with a warning naming the setting, what convlens cannot compile from', () => {
    const { ours } = twoHeads();
    ours.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [1, 3] });
    const { modelJson, weightData } = ours.toArtifacts();
    const bad = structuredClone(modelJson);
    bad.modelTopology.training_config!.loss_weights = { cls: 'heavy' } as never;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(functionalFromArtifacts(bad, weightData).trainingConfig()).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(
        `convlens: the model's saved compile settings are not restored (loss_weights { cls: "heavy" }); compile it before fit or evaluate`,
      );
      bad.modelTopology.training_config!.loss_weights = { cls: 1, rgr: 2 };
      expect(functionalFromArtifacts(bad, weightData).trainingConfig()).toBeUndefined();
      expect(warn).toHaveBeenLastCalledWith(
        `convlens: the model's saved compile settings are not restored (compile: lossWeights has the key 'rgr', which is not an output of model 'two_heads' ('cls', 'reg')); compile it before fit or evaluate`,
      );
    } finally {
      warn.mockRestore();
    }
  });
});

describe('inputs and labels keyed by name', () => {
  it('predict, fit (with validationData) and evaluate take objects keyed by input and output name, as tfjs takes lists', async () => {
    const rng = caseRng('multi_io', 10);
    const { ours, theirs } = twoHeads();
    sameWeights(ours, theirs, rng);
    const n = 8;
    const [xa, xb] = [f32(rng, [n, 4]), f32(rng, [n, 4])];
    const [cls, reg] = [oneHot(rng, n, 3), f32(rng, [n, 2])];
    const [va, vb, vCls, vReg] = [f32(rng, [3, 4]), f32(rng, [3, 4]), oneHot(rng, 3, 3), f32(rng, [3, 2])];
    const predicted = ours.predict({ b: xb, a: xa }, { batchSize: 3 }) as Tensor<'float32'>[];
    tfjsOutputs(theirs, [xa, xb]).forEach((o, i) => {
      expectClose(predicted[i], o, 1e-5, `predict, output ${i}`);
    });
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: ['categoricalCrossentropy', 'mse'] });
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    const history = await ours.fit(
      { b: xb, a: xa },
      { reg, cls },
      {
        epochs: 2,
        batchSize: 3,
        shuffle: false,
        validationData: [
          { a: va, b: vb },
          { cls: vCls, reg: vReg },
        ],
      },
    );
    const expected = await theirs.fit([xa, xb].map(tfOf), [cls, reg].map(tfOf), {
      epochs: 2,
      batchSize: 3,
      shuffle: false,
      verbose: 0,
      validationData: [[va, vb].map(tfOf), [vCls, vReg].map(tfOf)],
    });
    for (const key of ['loss', 'cls_loss', 'reg_loss']) expectClose(history.history[key], expected.history[key] as number[], 1e-5, key);
    // tfjs names its validation logs of several outputs one place off: the last epoch's are its evaluate after fit
    const validation = tfjsEvaluate(theirs, [va, vb], [vCls, vReg], 32);
    const lastValidation = ['val_loss', 'val_cls_loss', 'val_reg_loss'].map((key) => history.history[key][1]);
    expectClose(lastValidation, validation, 1e-5, 'validation');
    expectClose(
      Object.values(ours.evaluate({ a: xa, b: xb }, { cls, reg })),
      tfjsEvaluate(theirs, [xa, xb], [cls, reg], 32),
      1e-5,
      'evaluate',
    );
    expect(ours.layerOutputs({ a: xa, b: xb }).map(({ layer }) => layer.name)).toEqual(['sum', 'trunk', 'cls', 'reg']);

    // a model of one input and one output takes its array keyed by name too
    const a = Input({ shape: [4], name: 'x' });
    const one = model({ inputs: a, outputs: new Dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(a) });
    const tA = tfl.input({ shape: [4], name: 'x' });
    const theirOne = tfl.model({ inputs: tA, outputs: apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }), tA) });
    sameWeights(one, theirOne, rng);
    expectClose(one.predict({ x: xa }) as Tensor<'float32'>, tfjsOutputs(theirOne, [xa])[0], 1e-5, 'one input');
    one.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    theirOne.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const oneHistory = await one.fit(
      { x: xa },
      { probs: cls },
      { epochs: 2, batchSize: 3, shuffle: false, validationData: [{ x: va }, [vCls]] },
    );
    const oneExpected = await theirOne.fit(tfOf(xa), tfOf(cls), {
      epochs: 2,
      batchSize: 3,
      shuffle: false,
      verbose: 0,
      validationData: [tfOf(va), tfOf(vCls)],
    });
    for (const key of ['loss', 'val_loss']) expectClose(oneHistory.history[key], oneExpected.history[key] as number[], 1e-5, `one: ${key}`);
    const loss = theirOne.evaluate(tfOf(xa), tfOf(cls)) as tf.Scalar; // a model without metrics: the loss alone
    expectClose(one.evaluate({ x: xa }, { probs: cls }).loss, loss.dataSync()[0], 1e-5, 'one: evaluate');
  });

  it('refuses a missing or unknown key, naming the model, the key and the names it has', async () => {
    const rng = caseRng('multi_io', 11);
    const { ours } = twoHeads();
    const [xa, xb] = [f32(rng, [3, 4]), f32(rng, [3, 4])];
    const [cls, reg] = [oneHot(rng, 3, 3), f32(rng, [3, 2])];
    expectConvlensError(() => ours.predict({ a: xa }), "predict: x has no array for the input 'b' of model 'two_heads' (inputs: 'a', 'b')");
    expectConvlensError(
      () => ours.predict({ a: xa, b: xb, c: xb }),
      "predict: x has the key 'c', which is not an input of model 'two_heads' (inputs: 'a', 'b')",
    );
    expectConvlensError(
      () => ours.layerOutputs({ a: xa, B: xb }),
      "layerOutputs: x has the key 'B', which is not an input of model 'two_heads' (inputs: 'a', 'b')",
    );
    expectConvlensError(() => ours.predict({ a: xa, b: 'xb' as never }), 'predict: x[1] (input \'b\') must be a convlens Tensor, got "xb"');
    ours.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'] });
    await expect(ours.fit({ a: xa, b: xb }, { cls, rgr: reg })).rejects.toThrow(
      "fit: y has the key 'rgr', which is not an output of model 'two_heads' (outputs: 'cls', 'reg')",
    );
    await expect(ours.fit({ a: xa, b: xb }, { cls })).rejects.toThrow(
      "fit: y has no array for the output 'reg' of model 'two_heads' (outputs: 'cls', 'reg')",
    );
    await expect(ours.fit([xa, xb], [cls, reg], { validationData: [{ a: xa }, [cls, reg]] })).rejects.toThrow(
      "fit (validationData): x has no array for the input 'b' of model 'two_heads' (inputs: 'a', 'b')",
    );
    expectConvlensError(
      () => ours.evaluate({ a: xa, b: xb, extra: xa }, [cls, reg]),
      "evaluate: x has the key 'extra', which is not an input of model 'two_heads' (inputs: 'a', 'b')",
    );

    const input = Input({ shape: [4], name: 'x' });
    const one = model({ inputs: input, outputs: new Dense({ units: 3, name: 'probs' }).apply(input), name: 'one' });
    expectConvlensError(
      () => one.predict({ image: xa }),
      "predict: x has the key 'image', which is not an input of model 'one' (inputs: 'x')",
    );
    one.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(one.fit({ x: xa }, { out: cls })).rejects.toThrow(
      "fit: y has the key 'out', which is not an output of model 'one' (outputs: 'probs')",
    );
    await expect(one.fit({ x: xa }, cls, { validationData: [{}, cls] })).rejects.toThrow(
      "fit (validationData): x has no array for the input 'x' of model 'one' (inputs: 'x')",
    );
    expectConvlensError(
      () => one.evaluate({ x: xa }, {}),
      "evaluate: y has no array for the output 'probs' of model 'one' (outputs: 'probs')",
    );
  });
});

/** Examples [from, to) of `t`. */
const rows = (t: Tensor, from: number, to: number) => gather(t, range(from, to));

/** A dataset of these batches, the same at every iteration. */
function listDataset(batches: unknown[]): BatchDataset {
  return {
    async *[Symbol.asyncIterator]() {
      yield* batches as DataBatch[];
    },
  };
}

type Arrays = Tensor | Tensor[] | Record<string, Tensor>;
const tfjsArrays = (arrays: Arrays) =>
  arrays instanceof Tensor
    ? tfOf(arrays)
    : Array.isArray(arrays)
      ? arrays.map(tfOf)
      : Object.fromEntries(Object.entries(arrays).map(([name, t]) => [name, tfOf(t)]));

/** A tfjs dataset (what fitDataset and evaluateDataset read: `iterator()`, then `next()`) of these `{ xs, ys }` batches, the same each epoch. */
function tfjsDataset(batches: { xs: Arrays; ys: Arrays }[]) {
  // new tensors for every batch: tfjs disposes of them after its step
  const batch = ({ xs, ys }: { xs: Arrays; ys: Arrays }) => ({ value: { xs: tfjsArrays(xs), ys: tfjsArrays(ys) }, done: false });
  return {
    iterator: async () => {
      let i = 0;
      return { next: async () => (i < batches.length ? batch(batches[i++]) : { value: undefined, done: true }) };
    },
  };
}

/**
 * Two-input, two-output data cut into batches at `cuts`, given in turn as convlens' `{ x, y }`
 * lists, tfjs' `{ xs, ys }` keyed by name (in another order) and `{ x, y }` keyed by name and listed.
 */
function batchesOf(xa: Tensor, xb: Tensor, cls: Tensor, reg: Tensor, cuts: number[]) {
  return cuts.slice(1).map((to, i) => {
    const [a, b, c, r] = [xa, xb, cls, reg].map((t) => rows(t, cuts[i], to));
    const forms = [
      { xs: [a, b], ys: [c, r], ours: { x: [a, b], y: [c, r] } },
      { xs: { b, a }, ys: { reg: r, cls: c }, ours: { xs: { b, a }, ys: { reg: r, cls: c } } },
      { xs: { a, b }, ys: [c, r], ours: { x: { a, b }, y: [c, r] } },
    ];
    return forms[i % 3];
  });
}

describe('a model of several inputs and outputs on a dataset: fit, evaluate and predict', () => {
  it("trains as on the arrays and as tfjs' fitDataset (3 epochs of SGD, loss by loss, weight by weight); evaluate(dataset) as evaluateDataset", async () => {
    const rng = caseRng('multi_io dataset', 1);
    const { ours, theirs } = twoHeads();
    sameWeights(ours, theirs, rng);
    const onArrays = twoHeads().ours;
    onArrays.setWeights(ours.getWeights());
    const n = 12;
    const [xa, xb, cls, reg] = [f32(rng, [n, 4]), f32(rng, [n, 4]), oneHot(rng, n, 3), f32(rng, [n, 2])];
    const [va, vb, vCls, vReg] = [f32(rng, [7, 4]), f32(rng, [7, 4]), oneHot(rng, 7, 3), f32(rng, [7, 2])];
    const batches = batchesOf(xa, xb, cls, reg, [0, 5, 10, 12]);
    const validation = batchesOf(va, vb, vCls, vReg, [0, 5, 7]);
    const compileArgs = () => ({
      optimizer: new SGD({ learningRate: 0.1 }),
      loss: ['categoricalCrossentropy', 'meanSquaredError'],
      metrics: { cls: ['accuracy'] },
    });
    ours.compile(compileArgs());
    onArrays.compile(compileArgs());
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: { cls: 'accuracy' } });

    const history = await ours.fit(listDataset(batches.map((b) => b.ours)), {
      epochs: 3,
      validationData: listDataset(validation.map((b) => b.ours)),
    });
    const expected = await onArrays.fit(
      [xa, xb],
      { cls, reg },
      {
        epochs: 3,
        batchSize: 5,
        shuffle: false,
        validationData: [
          [va, vb],
          [vCls, vReg],
        ],
      },
    );
    // the same epochs and logs (params differ: a dataset's batches come made, with no sample count or batch size)
    expect([history.epoch, history.history]).toEqual([expected.epoch, expected.history]);
    onArrays.getWeights().forEach((w, i) => {
      expect(Array.from(ours.getWeights()[i].data), `weight ${i}`).toEqual(Array.from(w.data));
    });

    // tfjs' validation logs of several outputs are one place off (see above): it trains without, and evaluates after
    const theirHistory = await theirs.fitDataset(tfjsDataset(batches) as never, { epochs: 3, verbose: 0 });
    for (const key of ['loss', 'cls_loss', 'reg_loss', 'cls_acc']) {
      expectClose(history.history[key.replace('acc', 'accuracy')], theirHistory.history[key] as number[], 1e-5, key);
    }
    const theirWeights = theirs.getWeights();
    for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirWeights[i].dataSync(), 1e-4, ours.weights[i].name);

    const evaluated = await ours.evaluate(listDataset(validation.map((b) => b.ours)));
    expect(Object.keys(evaluated)).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy']);
    expect(evaluated).toEqual(ours.evaluate([va, vb], [vCls, vReg], { batchSize: 5 }));
    expect(await ours.evaluateDataset(listDataset(validation.map((b) => b.ours)))).toEqual(evaluated);
    expect(['val_loss', 'val_cls_loss', 'val_reg_loss', 'val_cls_accuracy'].map((key) => history.history[key][2])).toEqual(
      Object.values(evaluated),
    );
    // tfjs-layers' evaluate of a model of several outputs lists the first output's loss once more, first
    const theirEvaluation = (await theirs.evaluateDataset(tfjsDataset(validation) as never, {})) as tf.Scalar[];
    expectClose(
      Object.values(evaluated),
      theirEvaluation.slice(1).map((s) => s.dataSync()[0]),
      1e-5,
      'evaluateDataset',
    );
  });

  it('predict(dataset) and predictDataset give each output as predict on the joined inputs, and as tfjs-layers gives it', async () => {
    const rng = caseRng('multi_io dataset', 2);
    const { ours, theirs } = twoHeads();
    sameWeights(ours, theirs, rng);
    const n = 11;
    const [xa, xb] = [f32(rng, [n, 4]), f32(rng, [n, 4])];
    // inputs alone (a dataset without labels), with labels, as a list, by name, as x or xs
    const cut = (from: number, to: number) => [xa, xb].map((t) => rows(t, from, to));
    const [b1, b2, b3] = [cut(0, 4), cut(4, 8), cut(8, n)];
    const dataset = listDataset([
      { x: b1 },
      { xs: { b: b2[1], a: b2[0] }, ys: [f32(rng, [4, 3]), f32(rng, [4, 2])] },
      { x: { a: b3[0], b: b3[1] } },
    ]);
    const expected = ours.predict([xa, xb]) as Tensor<'float32'>[];
    const predicted = (await ours.predict(dataset)) as Tensor<'float32'>[];
    expect(predicted.map((t) => t.shape)).toEqual([
      [n, 3],
      [n, 2],
    ]);
    const again = (await ours.predictDataset(dataset)) as Tensor<'float32'>[];
    const theirs2 = tfjsOutputs(theirs, [xa, xb]);
    predicted.forEach((t, k) => {
      expect(Array.from(t.data), `output ${k}`).toEqual(Array.from(expected[k].data));
      expect(Array.from(again[k].data), `output ${k}, predictDataset`).toEqual(Array.from(t.data));
      expectClose(t, theirs2[k], 1e-5, `tfjs output ${k}`);
    });

    // a model of one input and one output takes its batches' arrays in a list of one or by name too
    const input = Input({ shape: [4], name: 'x' });
    const one = model({ inputs: input, outputs: new Dense({ units: 3, name: 'probs' }).apply(input) });
    const oneExpected = one.predict(xa) as Tensor<'float32'>;
    const onePredicted = (await one.predict(listDataset([{ xs: [rows(xa, 0, 6)] }, { x: { x: rows(xa, 6, n) } }]))) as Tensor<'float32'>;
    expect(Array.from(onePredicted.data)).toEqual(Array.from(oneExpected.data));
  });

  it('computes every batch in the buffers of the first: fit, evaluate and predict on a dataset allocate none after their first', async () => {
    const rng = caseRng('multi_io dataset', 3);
    const { ours } = twoHeads();
    const n = 12;
    const [xa, xb, cls, reg] = [f32(rng, [n, 4]), f32(rng, [n, 4]), oneHot(rng, n, 3), f32(rng, [n, 2])];
    const dataset = listDataset(batchesOf(xa, xb, cls, reg, [0, 4, 8, 12]).map((b) => b.ours));
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    const made = vi.spyOn(backend(), 'residentBuffer');
    try {
      // predict computes in buffers of its own, which its layers share (see InferenceWorkspace)
      await ours.fit(dataset, { epochs: 1 });
      await ours.predict(dataset);
      expect(made.mock.calls.length, 'buffers of the first epoch and prediction').toBeGreaterThan(0);
      made.mockClear();
      await ours.fit(dataset, { epochs: 3, validationData: dataset });
      await ours.evaluate(dataset);
      await ours.predict(dataset);
      await ours.predict(dataset);
      expect(made.mock.calls.length, 'buffers made after the first epoch and prediction').toBe(0);
    } finally {
      made.mockRestore();
    }
  });

  it('refuses a batch whose arrays do not match the model, naming the model, the batch, what it got and what it expects', async () => {
    const rng = caseRng('multi_io dataset', 4);
    const { ours } = twoHeads();
    const [xa, xb, cls, reg] = [f32(rng, [5, 4]), f32(rng, [5, 4]), oneHot(rng, 5, 3), f32(rng, [5, 2])];
    const good = { x: [xa, xb], y: [cls, reg] };
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: ['categoricalCrossentropy', 'meanSquaredError'] });
    const fitOn = (bad: unknown) => ours.fit(listDataset([good, bad]));
    const inputs = "model 'two_heads' has 2 inputs ('a' (None, 4), 'b' (None, 4))";
    const outputs = "model 'two_heads' has 2 outputs ('cls' (None, 3), 'reg' (None, 2))";
    await expectConvlensRejection(
      fitOn({ x: xa, y: [cls, reg] }),
      `fit (epoch 1, batch 2): ${inputs}, got x as one array of shape [5, 4]: give one array per input, in order, or an object keyed by input name`,
    );
    await expectConvlensRejection(
      fitOn({ xs: [xa, xb, xb], ys: [cls, reg] }),
      `fit (epoch 1, batch 2): ${inputs}, got xs as a list of 3 arrays ([5, 4], [5, 4], [5, 4]): give one array per input, in order, or an object keyed by input name`,
    );
    await expectConvlensRejection(
      fitOn({ x: [xa, xb], y: [cls] }),
      `fit (epoch 1, batch 2): ${outputs}, got y as a list of 1 array ([5, 3]): give one array per output, in order, or an object keyed by output name`,
    );
    await expectConvlensRejection(
      fitOn({ xs: { a: xa, c: xb }, ys: [cls, reg] }),
      "fit (epoch 1, batch 2): xs has the key 'c', which is not an input of model 'two_heads' (inputs: 'a', 'b')",
    );
    await expectConvlensRejection(
      fitOn({ xs: [xa, xb], ys: { cls } }),
      "fit (epoch 1, batch 2): ys has no array for the output 'reg' of model 'two_heads' (outputs: 'cls', 'reg')",
    );
    await expectConvlensRejection(
      fitOn({ x: [xa, f32(rng, [5, 3])], y: [cls, reg] }),
      "fit (epoch 1, batch 2): two_heads: expected input 'b' of shape (None, 4), got [5, 3]",
    );
    await expectConvlensRejection(
      fitOn({ x: [xa, rows(xb, 0, 4)], y: [cls, reg] }),
      "fit (epoch 1, batch 2): model 'two_heads': the arrays have different numbers of examples ('a' [5, 4], 'b' [4, 4]); each needs one row per example",
    );
    await expectConvlensRejection(
      fitOn({ x: [xa, xb], y: [cls, rows(reg, 0, 4)] }),
      "fit (epoch 1, batch 2): model 'two_heads': the inputs have 5 examples but the labels for 'reg' have shape [4, 2]",
    );
    await expectConvlensRejection(
      fitOn({ x: [xa, xb], ys: [cls, reg] }),
      "fit (epoch 1, batch 2): a batch must be { x, y }, tfjs' { xs, ys } (either with sampleWeight) or [x, y] ([x, y, sampleWeight]), got { x: [a Tensor, a Tensor], ys: [a Tensor, a Tensor] }",
    );
    await expectConvlensRejection(
      fitOn({ xs: [xa, xb] }),
      'fit (epoch 1, batch 2): the batch has no labels (ys); training and evaluating need them',
    );
    await expectConvlensRejection(
      fitOn({ xs: [rows(xa, 0, 0), rows(xb, 0, 0)], ys: [rows(cls, 0, 0), rows(reg, 0, 0)] }),
      'fit (epoch 1, batch 2): no examples (xs has shape [0, 4])',
    );
    await expectConvlensRejection(
      ours.fit(listDataset([good]), { validationData: listDataset([good, { x: [xa], y: [cls, reg] }]) }),
      /^fit \(validationData\) \(batch 2\): model 'two_heads' has 2 inputs \('a' \(None, 4\), 'b' \(None, 4\)\), got x as a list of 1 array \(\[5, 4\]\)/,
    );
    await expectConvlensRejection(
      ours.evaluate(listDataset([{ x: { a: xa, b: xb }, y: { cls, rgr: reg } }])),
      "evaluate (batch 1): y has the key 'rgr', which is not an output of model 'two_heads' (outputs: 'cls', 'reg')",
    );
    await expectConvlensRejection(
      ours.predict(listDataset([good, { xs: { a: xa } }])),
      "predict (batch 2): xs has no array for the input 'b' of model 'two_heads' (inputs: 'a', 'b')",
    );
    await expectConvlensRejection(
      ours.fit(listDataset([good]), { batchSize: 5 } as never),
      "fit: batchSize is not an option when training on a dataset: the dataset's batches set it (imageDatasetFromDirectory's batchSize)",
    );
    await expectConvlensRejection(ours.evaluate(listDataset([])), 'evaluate: the dataset gave no examples');

    // a bad batch stops fit there (the batches before it trained), and leaves the model ready to fit again
    const ends: number[] = [];
    await expectConvlensRejection(
      ours.fit(listDataset([good, { x: [xa] }]), { callbacks: { onBatchEnd: (b) => void ends.push(b) } }),
      /^fit \(epoch 1, batch 2\): /,
    );
    expect(ends).toEqual([0]);
    const history = await ours.fit(listDataset([good]), { epochs: 1 });
    expect(Object.keys(history.history)).toEqual(['loss', 'cls_loss', 'reg_loss']);
  });
});
