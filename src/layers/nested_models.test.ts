import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { alternatingLabels, expectSameSgdFit, f32, randomizeWeights, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  Activation,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  type Functional,
  fromArtifacts,
  functionalFromArtifacts,
  GlobalAveragePooling2D,
  Input,
  type Layer,
  loadFunctional,
  loadModel,
  MaxPool2D,
  model,
  RandomFlip,
  RandomRotation,
  Rescaling,
  resetNames,
  Sequential,
} from './index.js';

beforeEach(() => resetNames());

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor) => layer.apply(x) as tfl.SymbolicTensor;
type Model = Sequential | Functional;

/** tfjs' weights of `theirs` in our model's order, matched by name (tfjs lists every trainable weight before the others). */
const theirWeightsLike = (ours: Model, theirs: tfl.LayersModel) => () =>
  ours.weights.map((w) => theirs.weights.find((t) => t.originalName === w.name)!.read());

/** Saves ours as the TensorFlow.js Layers format, loads it with tfjs-layers, and checks that both predict the same. */
async function expectTfjsPredictsTheSame(ours: Model, x: Tensor): Promise<tfl.LayersModel> {
  const { modelJson, weightData } = ours.toArtifacts();
  const theirs = await tfjsLoad(modelJson, weightData);
  expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, `${ours.name} predict`);
  return theirs;
}

/** An augmentation and feature block: Conv2D, BatchNormalization and Dropout, which act differently in training. */
const featureBlock = (name: string, inputShape?: number[]) =>
  new Sequential(
    [
      new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', name: `${name}_conv`, ...(inputShape ? { inputShape } : {}) }),
      new BatchNormalization({ name: `${name}_bn` }),
      new Dropout({ rate: 0.5, name: `${name}_dropout` }),
    ],
    { name },
  );

describe('a Sequential nested in a Sequential', () => {
  it('predicts as tfjs-layers does with the same weights, and is one entry of layers, getWeights and summary', async () => {
    const rng = caseRng('nested sequential', 0);
    const inner = featureBlock('features', [6, 6, 2]);
    const outer = new Sequential([inner, new Flatten({ name: 'flat' }), new Dense({ units: 3, activation: 'softmax', name: 'classes' })], {
      name: 'outer',
    });
    randomizeWeights(outer, rng);
    expect(outer.layers.map((l) => l.name)).toEqual(['features', 'flat', 'classes']);
    expect(outer.layers[0]).toBe(inner);
    expect(outer.outputShape).toEqual([3]);
    // the inner weights in place (Keras' order), then the head's
    expect(outer.weights.map((w) => w.name)).toEqual([...inner.weights.map((w) => w.name), 'classes/kernel', 'classes/bias']);
    const x = f32(rng, [4, 6, 6, 2]);
    const theirs = await expectTfjsPredictsTheSame(outer, x);
    expect(theirs.layers.map((l) => [l.name, l.getClassName()])).toEqual([
      ['features', 'Sequential'],
      ['flat', 'Flatten'],
      ['classes', 'Dense'],
    ]);
    // summary: the inner model is one row with all its parameters, the totals those tfjs counts
    const text = outer.summary(null);
    expect(text).toMatch(/^ features \(Sequential\)\s+\(None, 4, 4, 3\)\s+69$/m);
    expect(outer.countParams()).toBe(theirs.countParams());
    const trainable = theirs.trainableWeights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);
    expect(text).toContain(`Total params: ${theirs.countParams()}`);
    expect(text).toContain(`Trainable params: ${trainable}`);
    expect(text).toContain(`Non-trainable params: ${theirs.countParams() - trainable}`);
    // the inner model still works on its own
    expectClose(inner.predict(x), (theirs.layers[0].apply(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'inner predict');
    expect(inner.summary(null)).toContain('features_bn (BatchNormalization)');
  });

  it('passes the training flag down: its Dropout drops in training only', () => {
    const inner = new Sequential([new Dropout({ rate: 0.5, inputShape: [200] })]);
    const outer = new Sequential([inner, new Activation('linear')]);
    const x = f32(caseRng('nested dropout', 0), [2, 200], 1, 2);
    expectClose(outer.apply(x, false), x.data, 0, 'inference');
    const trained = outer.apply(x, true);
    // Keras' inverted dropout: each value is 0 or doubled
    trained.data.forEach((v, i) => {
      expect([0, Math.fround(2 * x.data[i])]).toContain(v);
    });
    expect(trained.data.some((v) => v === 0)).toBe(true);
  });

  it('fit: losses and every weight as tfjs-layers trains the same model with SGD (batch statistics in the inner BatchNormalization)', async () => {
    setSeed(5);
    const rng = caseRng('nested sequential fit', 0);
    const inner = new Sequential(
      [new Conv2D({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1], name: 'conv' }), new BatchNormalization({ name: 'bn' })],
      { name: 'inner' },
    );
    const outer = new Sequential([inner, new Flatten({ name: 'flat' }), new Dense({ units: 2, activation: 'softmax', name: 'head' })]);
    randomizeWeights(outer, rng);
    const { modelJson, weightData } = outer.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    await expectSameSgdFit(outer, theirs, f32(rng, [6, 5, 5, 1]), alternatingLabels(6), {
      batchSize: 3,
      learningRate: 0.1,
      theirWeights: theirWeightsLike(outer, theirs),
    });
    // the inner layers computed in the outer model's workspace
    for (const layer of inner.layers) expect(layer.workspace).toBeDefined();
  });

  it('fit with the inner model last: its softmax reaches the loss as logits, as a plain last layer does', async () => {
    setSeed(6);
    const rng = caseRng('nested last', 0);
    const head = new Sequential(
      [new Dense({ units: 4, activation: 'relu', name: 'hidden' }), new Dense({ units: 2, activation: 'softmax', name: 'probabilities' })],
      {
        name: 'head',
      },
    );
    const outer = new Sequential([new Flatten({ inputShape: [3, 3, 1], name: 'flat' }), head]);
    randomizeWeights(outer, rng);
    const { modelJson, weightData } = outer.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    await expectSameSgdFit(outer, theirs, f32(rng, [8, 3, 3, 1]), alternatingLabels(8), { batchSize: 4 });
  });

  it('trainable = false freezes the whole inner model (a frozen base): fit leaves its weights, trains the head, as tfjs', async () => {
    setSeed(7);
    const rng = caseRng('nested frozen', 0);
    const base = new Sequential(
      [
        new Conv2D({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1], name: 'base_conv' }),
        new MaxPool2D({ name: 'base_pool' }),
      ],
      { name: 'base' },
    );
    const outer = new Sequential([base, new Flatten({ name: 'flat' }), new Dense({ units: 2, activation: 'softmax', name: 'head' })]);
    randomizeWeights(outer, rng);
    base.trainable = false;
    expect(base.layers.map((l) => l.trainable)).toEqual([false, false]);
    expect(outer.trainableWeights.map((w) => w.name)).toEqual(['head/kernel', 'head/bias']);
    const before = base.getWeights().map((w) => w.data.slice());
    const { modelJson, weightData } = outer.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    expect(theirs.trainableWeights.map((w) => w.originalName)).toEqual(['head/kernel', 'head/bias']);
    // read back, the inner model is frozen as a whole, not only its layers
    const reloaded = fromArtifacts(modelJson, weightData);
    expect((reloaded.getLayer('base') as Sequential).trainable).toBe(false);
    expect(reloaded.trainableWeights.map((w) => w.name)).toEqual(['head/kernel', 'head/bias']);
    await expectSameSgdFit(outer, theirs, f32(rng, [4, 6, 6, 1]), alternatingLabels(4), { theirWeights: theirWeightsLike(outer, theirs) });
    base.getWeights().forEach((w, i) => {
      expect(w.data).toEqual(before[i]);
    });
    expect(outer.summary(null)).toContain('Non-trainable params: 20');
  });

  it("the tutorial's Sequential([augmentation, Rescaling, ...]) without an input shape: built by its first batch, augmenting only in fit", async () => {
    setSeed(9);
    const rng = caseRng('nested augmentation sequential', 0);
    const augmentation = new Sequential([new RandomFlip('horizontal'), new RandomRotation(0.1)], { name: 'augmentation' });
    const net = new Sequential([augmentation, new Rescaling(1 / 255), new Flatten(), new Dense({ units: 2, activation: 'softmax' })]);
    expect(net.built).toBe(false);
    const x = f32(rng, [4, 6, 6, 3], 0, 255);
    const predicted = net.predict(x);
    expect(augmentation.inputShape).toEqual([6, 6, 3]);
    expect(net.summary(null)).toMatch(/^ augmentation \(Sequential\)\s+\(None, 6, 6, 3\)\s+0$/m);
    // in inference the augmentation is the identity: the same model without it predicts the same
    const { modelJson, weightData } = new Sequential(net.layers.slice(1) as Layer[]).toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    expectClose(predicted, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    expectClose(augmentation.apply(x, false), x.data, 0, 'inference');
    // in training it flips and rotates
    expect(augmentation.apply(x, true).data).not.toEqual(x.data);
  });

  it('three levels deep, and as the first layer, predicts and saves as tfjs does', async () => {
    const rng = caseRng('nested deep', 0);
    const innermost = new Sequential([new Dense({ units: 4, activation: 'tanh', inputShape: [3], name: 'd1' })], { name: 'innermost' });
    const middle = new Sequential([innermost, new Dense({ units: 5, name: 'd2' })], { name: 'middle' });
    const outer = new Sequential([middle, new Dense({ units: 2, name: 'd3' })], { name: 'outer' });
    randomizeWeights(outer, rng);
    const x = f32(rng, [3, 3]);
    await expectTfjsPredictsTheSame(outer, x);
    const back = fromArtifacts(outer.toArtifacts());
    expect(back.layers[0]).toBeInstanceOf(Sequential);
    expect(((back.layers[0] as Sequential).layers[0] as Sequential).layers.map((l) => l.name)).toEqual(['d1']);
    expectClose(back.predict(x), outer.predict(x).data, 0, 'reloaded');
  });
});

describe('a model applied in the functional API', () => {
  it("the augmentation pattern: x = augmentation.apply(inputs), then the rest; predicts as tfjs', and its weights are the inner model's in place", async () => {
    const rng = caseRng('nested functional', 0);
    const augmentation = new Sequential([new RandomFlip({ mode: 'horizontal' }), new RandomRotation({ factor: 0.1 })], {
      name: 'augmentation',
    });
    const features = featureBlock('features');
    const inputs = Input({ shape: [8, 8, 3], name: 'image' });
    let x = augmentation.apply(inputs);
    x = new Rescaling(1 / 255, { name: 'rescale' }).apply(x);
    x = features.apply(x);
    x = new GlobalAveragePooling2D({ name: 'pool' }).apply(x);
    const outputs = new Dense({ units: 3, activation: 'softmax', name: 'classes' }).apply(x);
    const net = model({ inputs, outputs, name: 'net' });
    randomizeWeights(net, rng);
    expect(net.layers.map((l) => l.name)).toEqual(['augmentation', 'rescale', 'features', 'pool', 'classes']);
    expect(augmentation.outputShape).toEqual([8, 8, 3]);
    expect(net.getWeights().length).toBe(8);
    expect(net.weights.slice(0, 6).map((w) => w.name)).toEqual(features.weights.map((w) => w.name));
    expect(net.summary(null)).toMatch(/^ augmentation \(Sequential\)\s+\(None, 8, 8, 3\)\s+0\s+image\[0\]\[0\]$/m);
    // in inference the augmentation is the identity: tfjs, which has no RandomFlip, computes the rest
    const images = f32(rng, [2, 8, 8, 3], 0, 255);
    const reference = new Sequential([
      new Rescaling(1 / 255, { inputShape: [8, 8, 3] }),
      features,
      new GlobalAveragePooling2D(),
      net.getLayer('classes'),
    ]);
    const { modelJson, weightData } = reference.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    expectClose(net.predict(images), (theirs.predict(tfOf(images)) as tf.Tensor).dataSync(), 1e-5, 'predict');
  });

  it('a Sequential in a functional model, and a functional model in a Sequential: saved for tfjs, which predicts the same and fits the same', async () => {
    setSeed(8);
    const rng = caseRng('nested functional fit', 0);
    const block = new Sequential(
      [new Dense({ units: 4, activation: 'relu', name: 'block_dense' }), new BatchNormalization({ name: 'block_bn' })],
      {
        name: 'block',
      },
    );
    const input = Input({ shape: [5], name: 'x' });
    const net = model({
      inputs: input,
      outputs: new Dense({ units: 2, activation: 'softmax', name: 'out' }).apply(block.apply(input)),
      name: 'net',
    });
    randomizeWeights(net, rng);
    const saved = net.toArtifacts().modelJson.modelTopology.config.layers as unknown as {
      name: string;
      class_name: string;
      inbound_nodes: unknown;
    }[];
    // tfjs-layers' own format: the inner model's config in place, its call referred to as call 1
    expect(saved.map((l) => l.class_name)).toEqual(['InputLayer', 'Sequential', 'Dense']);
    expect(saved[2].inbound_nodes).toEqual([[['block', 1, 0, {}]]]);
    const x = f32(rng, [6, 5]);
    const theirs = await expectTfjsPredictsTheSame(net, x);
    await expectSameSgdFit(net, theirs, x, alternatingLabels(6), { learningRate: 0.2, theirWeights: theirWeightsLike(net, theirs) });

    // the other way round, a functional model as a layer of a Sequential (last, with its softmax)
    const inner = Input({ shape: [3], name: 'inner_x' });
    const classifier = model({
      inputs: inner,
      outputs: new Dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(inner),
      name: 'classifier',
    });
    const outer = new Sequential([new Dense({ units: 3, activation: 'relu', inputShape: [4], name: 'first' }), classifier]);
    randomizeWeights(outer, rng);
    expect(outer.toArtifacts().modelJson.modelTopology.config.layers[1].class_name).toBe('Model');
    const x2 = f32(rng, [6, 4]);
    const theirs2 = await expectTfjsPredictsTheSame(outer, x2);
    await expectSameSgdFit(outer, theirs2, x2, alternatingLabels(6));
  });

  it("reads tfjs-layers' nested models (Sequential in a functional model, functional in a Sequential) and predicts as tfjs", async () => {
    const rng = caseRng('nested tfjs', 0);
    const input = tfl.input({ shape: [6, 6, 2], name: 'image' });
    const inner = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2], name: 'conv' }),
        tfl.layers.batchNormalization({ name: 'bn' }),
      ],
      name: 'inner',
    });
    const pooled = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), apply(inner, input));
    const functional = tfl.model({
      inputs: input,
      outputs: apply(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out' }), pooled),
      name: 'net',
    });
    const sequential = tfl.sequential({ layers: [functional, tfl.layers.dense({ units: 3, name: 'after' })], name: 'outer' });
    for (const theirs of [functional, sequential]) {
      theirs.setWeights(
        theirs.weights.map((w) =>
          tf.tensor(f32(rng, w.shape as number[], w.name.includes('variance') ? 0.5 : -1, 1.5).data, w.shape as number[]),
        ),
      );
    }
    const x = f32(rng, [3, 6, 6, 2]);
    const { modelJson, weightData } = await tfjsSaved(functional);
    // a chain, so both readers take it
    for (const ours of [functionalFromArtifacts(modelJson, weightData), fromArtifacts(modelJson, weightData)]) {
      expect(ours.layers.map((l) => l.className)).toEqual(['Sequential', 'GlobalAveragePooling2D', 'Dense']);
      expectClose(ours.predict(x), (functional.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, `${ours.className} predict`);
    }
    const outer = await tfjsSaved(sequential);
    const ours = fromArtifacts(outer.modelJson, outer.weightData);
    expect(ours.layers.map((l) => l.className)).toEqual(['Functional', 'Dense']);
    expectClose(ours.predict(x), (sequential.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'outer predict');
    // a functional model in a functional model: the inner one's output is its call 1 there too
    const outerInput = tfl.input({ shape: [6, 6, 2], name: 'outer_image' });
    const graph = tfl.model({
      inputs: outerInput,
      outputs: apply(tfl.layers.dense({ units: 1, name: 'last' }), apply(functional, outerInput)),
    });
    const savedGraph = await tfjsSaved(graph);
    const ourGraph = functionalFromArtifacts(savedGraph.modelJson, savedGraph.weightData);
    expect(ourGraph.layers.map((l) => l.name)).toEqual(['net', 'last']);
    expectClose(ourGraph.predict(x), (graph.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'functional in functional predict');
  });
});

describe('models nested on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'convlens-nested-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('save and loadModel / loadFunctional keep the nesting and the weights', async () => {
    const rng = caseRng('nested disk', 0);
    const block = featureBlock('block', [6, 6, 2]);
    const sequential = new Sequential([block, new Flatten(), new Dense({ units: 2 })]);
    const input = Input({ shape: [6, 6, 2], name: 'image' });
    const block2 = featureBlock('block2');
    const functional = model({ inputs: input, outputs: new Flatten({ name: 'flat2' }).apply(block2.apply(input)) });
    const x = f32(rng, [2, 6, 6, 2]);
    for (const [ours, load] of [
      [sequential, loadModel],
      [functional, loadFunctional],
    ] as const) {
      randomizeWeights(ours, rng);
      const path = join(dir, ours.name);
      await ours.save(path);
      const back = await load(path);
      expect(back.layers[0].className).toBe('Sequential');
      expect((back.layers[0] as Sequential).layers.map((l) => l.name)).toEqual((ours.layers[0] as Sequential).layers.map((l) => l.name));
      expectClose(back.predict(x) as Tensor<'float32'>, (ours.predict(x) as Tensor<'float32'>).data, 0, `${ours.name} reloaded`);
    }
  });
});

describe("Keras 3's configs of nested models", () => {
  /** Keras 3's float32 dtype policy, as it writes it in a config. */
  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const keras3Layer = (className: string, name: string, config: Record<string, unknown>) => ({
    module: 'keras.layers',
    class_name: className,
    config: { name, trainable: true, dtype: policy, ...config },
    registered_name: null,
  });
  const shape = [8, 8, 3];
  /** `data_augmentation = keras.Sequential([RandomFlip("horizontal"), RandomRotation(0.1)])`, built when the outer model calls it. */
  const augmentation = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'data_augmentation',
      trainable: true,
      dtype: policy,
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, name: 'input_layer' },
          registered_name: null,
        },
        keras3Layer('RandomFlip', 'random_flip', { seed: null, mode: 'horizontal', data_format: 'channels_last' }),
        keras3Layer('RandomRotation', 'random_rotation', {
          factor: [-0.1, 0.1],
          data_format: 'channels_last',
          fill_mode: 'reflect',
          fill_value: 0,
          interpolation: 'bilinear',
          seed: null,
        }),
      ],
      build_input_shape: [null, ...shape],
    },
    registered_name: null,
    build_config: { input_shape: [null, ...shape] },
  };
  const conv = {
    filters: 4,
    kernel_size: [3, 3],
    strides: [1, 1],
    padding: 'valid',
    data_format: 'channels_last',
    activation: 'relu',
    use_bias: true,
  };
  const dense = { units: 2, activation: 'softmax', use_bias: true };
  const tensor = (layer: string, node: number, tensorShape: (number | null)[]) => ({
    class_name: '__keras_tensor__',
    config: { shape: tensorShape, dtype: 'float32', keras_history: [layer, node, 0] },
  });
  const called = (entry: { config: { name: string } }, ...inputs: ReturnType<typeof tensor>[]) => ({
    ...entry,
    name: entry.config.name,
    inbound_nodes: [{ args: inputs, kwargs: {} }],
  });

  /** The tutorial's model without its augmentation (the identity in inference), in convlens: it gives the weights and the expected output. */
  function reference(rng: Rng): Sequential {
    const plain = new Sequential([
      new Rescaling(1 / 255, { inputShape: shape, name: 'rescaling' }),
      new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv2d' }),
      new GlobalAveragePooling2D({ name: 'pool' }),
      new Dense({ units: 2, activation: 'softmax', name: 'dense' }),
    ]);
    randomizeWeights(plain, rng);
    return plain;
  }

  const converted = (modelConfig: object, weights: Sequential) => ({
    format: 'layers-model',
    generatedBy: 'keras v3.8.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: '3.8.0', backend: 'tensorflow', model_config: modelConfig },
    weightsManifest: weights.toArtifacts().modelJson.weightsManifest,
  });

  it('a Functional whose first step is a Sequential of augmentation layers (Keras 3 refers to its call as call 0)', async () => {
    const rng = caseRng('keras 3 nested functional', 0);
    const plain = reference(rng);
    const functional = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'functional',
        trainable: true,
        layers: [
          {
            ...keras3Layer('InputLayer', 'input_layer_1', { batch_shape: [null, ...shape], sparse: false }),
            name: 'input_layer_1',
            inbound_nodes: [],
          },
          called(augmentation, tensor('input_layer_1', 0, [null, ...shape])),
          called(keras3Layer('Rescaling', 'rescaling', { scale: 1 / 255, offset: 0 }), tensor('data_augmentation', 0, [null, ...shape])),
          called(keras3Layer('Conv2D', 'conv2d', conv), tensor('rescaling', 0, [null, ...shape])),
          called(
            keras3Layer('GlobalAveragePooling2D', 'pool', { data_format: 'channels_last', keepdims: false }),
            tensor('conv2d', 0, [null, 6, 6, 4]),
          ),
          called(keras3Layer('Dense', 'dense', dense), tensor('pool', 0, [null, 4])),
        ],
        input_layers: [['input_layer_1', 0, 0]],
        output_layers: [['dense', 0, 0]],
      },
    };
    const json = converted(functional, plain);
    const ours = functionalFromArtifacts(json, plain.toArtifacts().weightData);
    expect(ours.layers.map((l) => l.name)).toEqual(['data_augmentation', 'rescaling', 'conv2d', 'pool', 'dense']);
    expect((ours.layers[0] as Sequential).layers.map((l) => l.className)).toEqual(['RandomFlip', 'RandomRotation']);
    const x = f32(rng, [2, ...shape], 0, 255);
    expectClose(ours.predict(x), plain.predict(x).data, 1e-6, 'predict');
    // and as tfjs-layers computes the model without augmentation
    await expectTfjsPredictsTheSame(plain, x);
  });

  it('a Sequential whose first layer is that Sequential, frozen (trainable false)', () => {
    const rng = caseRng('keras 3 nested sequential', 0);
    const plain = reference(rng);
    const sequential = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        trainable: true,
        dtype: policy,
        layers: [
          {
            module: 'keras.layers',
            class_name: 'InputLayer',
            config: { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, name: 'input_layer' },
            registered_name: null,
          },
          { ...augmentation, config: { ...augmentation.config, trainable: false } },
          keras3Layer('Rescaling', 'rescaling', { scale: 1 / 255, offset: 0 }),
          keras3Layer('Conv2D', 'conv2d', conv),
          keras3Layer('GlobalAveragePooling2D', 'pool', { data_format: 'channels_last', keepdims: false }),
          keras3Layer('Dense', 'dense', dense),
        ],
        build_input_shape: [null, ...shape],
      },
    };
    const ours = fromArtifacts(converted(sequential, plain), plain.toArtifacts().weightData);
    expect(ours.layers[0].trainable).toBe(false);
    const x = f32(rng, [2, ...shape], 0, 255);
    expectClose(ours.predict(x), plain.predict(x).data, 1e-6, 'predict');
  });

  it('an error in a nested layer names the outer layer and the inner one', () => {
    const plain = reference(caseRng('keras 3 nested error', 0));
    const broken = {
      ...augmentation,
      config: { ...augmentation.config, layers: [...augmentation.config.layers, keras3Layer('Lambda', 'lambda', {})] },
    };
    const sequential = {
      class_name: 'Sequential',
      config: { name: 'sequential', layers: [broken, keras3Layer('Rescaling', 'rescaling', { scale: 1 })] },
    };
    expectConvlensError(
      () => fromArtifacts(converted(sequential, plain), plain.toArtifacts().weightData),
      /^fromArtifacts: layer 0 'data_augmentation' \(Sequential\): layer 3 'lambda' \(Lambda\): layer class Lambda is not supported/,
    );
  });
});

describe('nesting refused, naming the models', () => {
  it('a model in itself, directly or through another (a cycle)', () => {
    const inner = new Sequential([new Dense({ units: 2, inputShape: [3], name: 'd' })], { name: 'inner' });
    const outer = new Sequential([inner], { name: 'outer' });
    expectConvlensError(() => outer.add(outer), "Sequential 'outer': cannot hold itself (a model nested in itself is a cycle)");
    expectConvlensError(
      () => inner.add(outer),
      "Sequential 'inner': cannot hold the model 'outer', which holds 'inner' (a model nested in itself is a cycle)",
    );
  });

  it('the same inner model (or one of its layers) twice in a Sequential, or a model and one of its layers in a functional model', () => {
    const shared =
      "a layer used twice is a shared layer, which convlens runs only among a functional model's own layers (each applied several times), not in a Sequential nor both in a model and in a model nested in it";
    const inner = new Sequential([new Dense({ units: 3, inputShape: [3], name: 'd' })], { name: 'inner' });
    expectConvlensError(
      () => new Sequential([inner, inner], { name: 'twice' }),
      `Sequential 'twice': Sequential 'inner' is already in the model; ${shared}`,
    );
    expectConvlensError(
      () => new Sequential([inner, inner.layers[0] as Layer], { name: 'both' }),
      `Sequential 'both': Dense 'd' is already in the model; ${shared}`,
    );
    const copy = new Sequential([inner.layers[0] as Layer], { name: 'copy' });
    expectConvlensError(
      () => new Sequential([inner, copy], { name: 'again' }),
      `Sequential 'again': Dense 'd' is already in the model (in 'copy' too); ${shared}`,
    );
    const input = Input({ shape: [3], name: 'x' });
    expectConvlensError(
      () => model({ inputs: input, outputs: inner.layers[0].apply(inner.apply(input)), name: 'graph' }),
      `Functional 'graph': Dense 'd' is already in the model; ${shared}`,
    );
  });

  it("Keras 3's Sequential([Input(shape), ...]) takes the Input first only (src/layers/sequential_input.test.ts has the rest)", () => {
    const digits = () => Input({ shape: [28, 28, 1], name: 'digits' });
    expectConvlensError(
      () => new Sequential([new Rescaling(1 / 255, { name: 'scale' }), digits()], { name: 'net' }),
      "Sequential 'net': an Input ('digits') may only come first, as in Keras, and layer 'scale' is already there",
    );
    const output = new Rescaling(1 / 255, { name: 'scaled' }).apply(digits());
    expectConvlensError(
      () => new Sequential([output], { name: 'net' }),
      "Sequential 'net': add expects a layer or an Input, got the symbolic tensor 'scaled', the output of a layer (apply layers to it and make a model with layers.model({ inputs, outputs }))",
    );
  });

  it("a model's inputShape and outputShape are read-only, as Keras' input_shape (setting one was a TypeError, or ignored)", () => {
    const net = new Sequential([new Dense({ units: 2, inputShape: [4], name: 'd' })], { name: 'net' });
    expectConvlensError(() => {
      (net as { inputShape: number[] | undefined }).inputShape = [5];
    }, "Sequential 'net': inputShape is read-only (a model's shapes come from its layers): give inputShape to its first layer, or start it from layers.Input({ shape })");
    const input = Input({ shape: [4], name: 'x' });
    const graph = model({ inputs: input, outputs: new Dense({ units: 2, name: 'e' }).apply(input), name: 'graph' });
    expectConvlensError(() => {
      (graph as { outputShape: number[] | undefined }).outputShape = [3];
    }, "Functional 'graph': outputShape is read-only (a model's shapes come from its layers)");
    expect([net.inputShape, graph.outputShape]).toEqual([[4], [2]]);
  });

  it('an inner model given inputs of another shape', () => {
    const inner = new Sequential([new Dense({ units: 2, inputShape: [4], name: 'd' })], { name: 'inner' });
    expectConvlensError(
      () => new Sequential([new Dense({ units: 3, inputShape: [5], name: 'first' }), inner]),
      'inner (Sequential): expects input (None, 4) but first outputs (None, 3)',
    );
    // applied in the functional API, as a shared layer: its layers' weights must fit the input
    expectConvlensError(
      () => inner.apply(Input({ shape: [6], name: 'x' })),
      'inner (Sequential): built for inputs (None, 4), cannot run on x (None, 6) with the same weights: d (Dense): built for inputs (None, 4), applied again to x (None, 6): a shared layer keeps its weights (kernel [4, 2], bias [2]), which do not fit these inputs (they would need kernel [6, 2], bias [2])',
    );
    const input = Input({ shape: [4], name: 'y' });
    const functional = model({ inputs: input, outputs: new Dense({ units: 2, name: 'e' }).apply(input), name: 'graph' });
    expectConvlensError(
      () => new Sequential([new Dense({ units: 3, inputShape: [2] }), functional]),
      /^graph \(Functional\): expects input \(None, 4\) but dense\S* outputs \(None, 3\)$/,
    );
    expectConvlensError(
      () => new Sequential([functional, new Dense({ units: 1 })]).predict(f32(caseRng('nested shape', 0), [2, 3])),
      'graph (Functional): expected input of shape (None, 4), got [2, 3]',
    );
  });
});
