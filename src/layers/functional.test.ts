import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { BranchingModelError } from './functional_chain.js';
import {
  Add,
  Concatenate,
  Conv2D,
  Dense,
  Functional,
  fromArtifacts,
  functionalFromArtifacts,
  Input,
  loadFunctional,
  loadModel,
  model,
  resetNames,
  Sequential,
  Subtract,
} from './index.js';

beforeEach(() => resetNames());

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;

/** Random weights for every layer of `model`, moving variances positive, so inference-mode batch normalisation shows. */
function randomize(model: tfl.LayersModel, rng: Rng): void {
  const range = (name: string): [number, number] => (name.includes('moving_variance') ? [0.5, 1.5] : [-1, 1]);
  model.setWeights(model.weights.map((w) => tf.tensor(f32(rng, w.shape as number[], ...range(w.name)).data, w.shape as number[])));
}

/** What tfjs computes at each layer of `theirs` for `x`, by the layer's name. */
function tfjsLayerOutput(theirs: tfl.LayersModel, name: string, x: Tensor): Float32Array {
  const upTo = tfl.model({ inputs: theirs.inputs, outputs: theirs.getLayer(name).output as tfl.SymbolicTensor });
  return (upTo.predict(tfOf(x)) as tf.Tensor).dataSync() as Float32Array;
}

/** Saves `theirs` as tfjs-layers does, loads it with functionalFromArtifacts, and checks predict and every layer's output against tfjs. */
async function expectSameAsTfjs(theirs: tfl.LayersModel, rng: Rng, batch = 2): Promise<Functional> {
  randomize(theirs, rng);
  const { modelJson, weightData } = await tfjsSaved(theirs);
  const ours = functionalFromArtifacts(modelJson, weightData);
  expect(ours.name).toBe(theirs.name);
  expect(ours.layers.map((l) => [l.name, l.className])).toEqual(theirs.layers.slice(1).map((l) => [l.name, l.getClassName()]));
  const x = f32(rng, [batch, ...(theirs.inputs[0].shape.slice(1) as number[])]);
  const predicted = ours.predict(x) as Tensor<'float32'>;
  expect(predicted.shape).toEqual(theirs.outputs[0].shape.map((d) => d ?? batch));
  expectClose(predicted, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, `${theirs.name} predict`);
  const outputs = ours.layerOutputs(x);
  expect(outputs.map((o) => o.layer)).toEqual([...ours.layers]);
  for (const { layer, output } of outputs)
    expectClose(output, tfjsLayerOutput(theirs, layer.name, x), 1e-5, `${theirs.name} ${layer.name}`);
  return ours;
}

/** ResNet's basic block: Conv2D → BatchNormalization → ReLU → Conv2D → BatchNormalization, added to the skip path, then ReLU. */
function residualModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 4], name: 'image' });
  let x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv_a' }), input);
  x = apply(tfl.layers.batchNormalization({ name: 'bn_a' }), x);
  x = apply(tfl.layers.activation({ activation: 'relu', name: 'relu_a' }), x);
  x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv_b' }), x);
  x = apply(tfl.layers.batchNormalization({ name: 'bn_b' }), x);
  x = apply(tfl.layers.add({ name: 'add_1' }), [x, input]);
  x = apply(tfl.layers.activation({ activation: 'relu', name: 'out_relu' }), x);
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const output = apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }), x);
  return tfl.model({ inputs: input, outputs: output, name: 'resnet_like' });
}

describe('Functional models that branch, loaded from tfjs-layers and compared with tfjs', () => {
  it('a ResNet-style residual block (Conv2D, BatchNormalization, ReLU, Conv2D, Add with the skip path)', async () => {
    const ours = await expectSameAsTfjs(residualModel(), caseRng('functional', 0), 3);
    expect(ours.inputShape).toEqual([8, 8, 4]);
    expect(ours.getLayer('add_1').className).toBe('Add');
  });

  it('an Inception-style block: parallel 1×1, 3×3 and pooled branches, joined by Concatenate', async () => {
    const input = tfl.input({ shape: [9, 9, 3], name: 'image' });
    const b1 = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'b1_1x1' }), input);
    let b2 = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'b2_1x1' }), input);
    b2 = apply(tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'b2_3x3' }), b2);
    let b3 = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'b3_pool' }), input);
    b3 = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'b3_1x1' }), b3);
    const joined = apply(tfl.layers.concatenate({ name: 'mixed' }), [b1, b2, b3]);
    // and along the height, which Concatenate also takes
    const stacked = apply(tfl.layers.concatenate({ axis: 1, name: 'stacked' }), [joined, joined]);
    const theirs = tfl.model({ inputs: input, outputs: stacked, name: 'inception_like' });
    const ours = await expectSameAsTfjs(theirs, caseRng('functional', 1));
    expect(ours.getLayer('mixed').outputShape).toEqual([9, 9, 11]);
    expect(ours.outputShape).toEqual([18, 9, 11]);
  });

  it('a MobileNetV2-style inverted residual (1×1 expand, DepthwiseConv2D, 1×1 project, Add)', async () => {
    const input = tfl.input({ shape: [7, 7, 4], name: 'image' });
    let x = apply(tfl.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, name: 'expand' }), input);
    x = apply(tfl.layers.batchNormalization({ name: 'expand_bn' }), x);
    x = apply(tfl.layers.reLU({ maxValue: 6, name: 'expand_relu' }), x);
    x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'depthwise' }), x);
    x = apply(tfl.layers.batchNormalization({ name: 'depthwise_bn' }), x);
    x = apply(tfl.layers.reLU({ maxValue: 6, name: 'depthwise_relu' }), x);
    x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'project' }), x);
    x = apply(tfl.layers.batchNormalization({ name: 'project_bn' }), x);
    const output = apply(tfl.layers.add({ name: 'block_add' }), [input, x]);
    await expectSameAsTfjs(tfl.model({ inputs: input, outputs: output, name: 'mobilenet_v2_like' }), caseRng('functional', 2));
  });

  it('the other merges: Multiply, Average, Maximum, Minimum, on outputs several layers take', async () => {
    const input = tfl.input({ shape: [5, 5, 2], name: 'image' });
    const a = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'a' }), input);
    const b = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'b' }), input);
    const c = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'c' }), input);
    const merged = [
      apply(tfl.layers.multiply({ name: 'product' }), [a, b, c]),
      apply(tfl.layers.average({ name: 'mean' }), [a, b, c]),
      apply(tfl.layers.maximum({ name: 'most' }), [a, c]),
      apply(tfl.layers.minimum({ name: 'least' }), [b, c, a]),
    ];
    const output = apply(tfl.layers.concatenate({ name: 'all' }), merged);
    await expectSameAsTfjs(tfl.model({ inputs: input, outputs: output, name: 'merges' }), caseRng('functional', 3));
  });

  it("Subtract (which tfjs-layers lacks), added to a saved model as Keras writes it: tfjs' difference of its inputs", async () => {
    const input = tfl.input({ shape: [5, 5, 2], name: 'image' });
    const a = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'a' }), input);
    const b = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'b' }), input);
    const theirs = tfl.model({ inputs: input, outputs: [a, b], name: 'two' });
    randomize(theirs, caseRng('functional', 12));
    const { modelJson, weightData } = await tfjsSaved(theirs);
    const config = (modelJson.modelTopology as { config: { layers: unknown[]; output_layers: unknown } }).config;
    config.layers.push({
      class_name: 'Subtract',
      config: { name: 'difference', trainable: true, dtype: 'float32' },
      name: 'difference',
      inbound_nodes: [
        [
          ['a', 0, 0, {}],
          ['b', 0, 0, {}],
        ],
      ],
    });
    config.output_layers = [['difference', 0, 0]];
    const ours = functionalFromArtifacts(modelJson, weightData);
    const x = f32(caseRng('functional', 13), [2, 5, 5, 2]);
    const [outA, outB] = theirs.predict(tfOf(x)) as tf.Tensor[];
    expectClose(ours.predict(x), tf.sub(outA, outB).dataSync(), 1e-5, 'difference');
  });

  it('predict in batches gives what one batch gives; weights round-trip; summary lists what each layer is connected to', async () => {
    const theirs = residualModel();
    randomize(theirs, caseRng('functional', 4));
    const { modelJson, weightData } = await tfjsSaved(theirs);
    const ours = functionalFromArtifacts({ modelJson, weightData } as never);
    const x = f32(caseRng('functional', 5), [7, 8, 8, 4]);
    const whole = ours.predict(x);
    expectClose(ours.predict(x, { batchSize: 3 }), whole, 0, 'batched');
    expectConvlensError(() => ours.predict(x, { batchSize: 0 }), 'predict: batchSize must be a positive integer, got 0');
    expectConvlensError(() => ours.predict(x, { batch: 2 } as never), /^predict: unknown option 'batch'/);
    expectConvlensError(
      () => ours.predict(f32(caseRng('functional', 6), [2, 8, 8, 3])),
      'resnet_like: expected input of shape (None, 8, 8, 4), got [2, 8, 8, 3]',
    );
    const weights = ours.getWeights();
    expect(weights.length).toBe(ours.weights.length);
    ours.setWeights(
      weights.map(
        (w) =>
          new Tensor(
            w.data.map((v) => v * 0),
            w.shape,
            'float32',
          ),
      ),
    );
    expect(Array.from((ours.predict(x) as Tensor<'float32'>).data).every((v) => Math.abs(v - 1 / 3) < 1e-6)).toBe(true);
    ours.setWeights(weights);
    expectClose(ours.predict(x), whole, 0, 'weights restored');
    // the same errors as Sequential's
    const sequential = new Sequential([new Dense({ units: 2, inputShape: [3], name: 'only' })]);
    for (const wanted of [12, 'nope']) {
      const message = (fn: () => unknown) => {
        try {
          fn();
        } catch (error) {
          return (error as Error).message;
        }
      };
      expect(message(() => ours.getLayer(wanted))).toMatch(/^getLayer: no layer (at index 12|named "nope")/);
      expect(message(() => sequential.getLayer(wanted))?.split(' (')[0]).toBe(message(() => ours.getLayer(wanted))?.split(' (')[0]);
    }
    const text = ours.summary(null);
    expect(text).toContain('Model: "resnet_like"');
    expect(text).toMatch(/Layer \(type\)\s+Output Shape\s+Param #\s+Connected to/);
    expect(text).toMatch(/image \(InputLayer\)\s+\(None, 8, 8, 4\)\s+0\s+-/);
    expect(text).toMatch(/add_1 \(Add\)\s+\(None, 8, 8, 4\)\s+0\s+bn_b\[0\]\[0\],\n\s+image\[0\]\[0\]/);
    // tfjs counts the parameters as Keras does, moving statistics as non-trainable
    const trainable = theirs.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((p, d) => p * d, 1), 0);
    expect(text).toContain(`Total params: ${theirs.countParams().toLocaleString('en-US')}`);
    expect(text).toContain(`Trainable params: ${trainable.toLocaleString('en-US')}`);
    expect(text).toContain(`Non-trainable params: ${(theirs.countParams() - trainable).toLocaleString('en-US')}`);
  });

  it("reads Keras 3's Functional config with an Add ({ args, kwargs } calls, __keras_tensor__ inputs)", () => {
    const tensor = (layer: string, shape: (number | null)[]) => ({
      class_name: '__keras_tensor__',
      config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] },
    });
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    const layer = (class_name: string, name: string, config: object, args: unknown[]) => ({
      module: 'keras.layers',
      class_name,
      config: { name, trainable: true, dtype: policy, ...config },
      registered_name: null,
      name,
      inbound_nodes: args.length ? [{ args, kwargs: {} }] : [],
    });
    const conv = { filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', activation: 'relu' };
    const modelTopology = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'functional',
        trainable: true,
        layers: [
          layer('InputLayer', 'input_layer', { batch_shape: [null, 5, 5, 2], sparse: false }, []),
          layer('Conv2D', 'conv2d', conv, [tensor('input_layer', [null, 5, 5, 2])]),
          layer('Add', 'add', {}, [[tensor('input_layer', [null, 5, 5, 2]), tensor('conv2d', [null, 5, 5, 2])]]),
        ],
        input_layers: [['input_layer', 0, 0]],
        output_layers: [['add', 0, 0]],
      },
      keras_version: '3.6.0',
    };
    // the same network in tfjs gives the weights and the expected output
    const input = tfl.input({ shape: [5, 5, 2] });
    const reference = tfl.model({
      inputs: input,
      outputs: apply(tfl.layers.add({}), [
        input,
        apply(tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }), input),
      ]),
    });
    randomize(reference, caseRng('functional', 7));
    const weights = reference.getWeights();
    const specs = weights.map((w, i) => ({ name: ['conv2d/kernel', 'conv2d/bias'][i], shape: w.shape, dtype: 'float32' }));
    const bytes = new Float32Array(weights.flatMap((w) => Array.from(w.dataSync())));
    const modelJson = { modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] };
    const ours = functionalFromArtifacts(modelJson, bytes);
    expect(ours.layers.map((l) => l.name)).toEqual(['conv2d', 'add']);
    const x = f32(caseRng('functional', 8), [3, 5, 5, 2]);
    expectClose(ours.predict(x), (reference.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    // loadModel's reader refuses it, pointing to the functional one
    let refusal: unknown;
    try {
      fromArtifacts(modelJson, bytes);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(BranchingModelError);
    expect((refusal as Error).message).toBe(
      "fromArtifacts: layer 'add' takes 2 inputs ('input_layer', 'conv2d'); convlens reads functional models whose layers form one chain as a Sequential; layers.loadFunctional (or layers.functionalFromArtifacts) reads this one",
    );
  });

  it('reads a chain too, and from files: loadFunctional; loadModel refuses a branching model, naming loadFunctional', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'convlens-functional-'));
    try {
      const theirs = residualModel();
      randomize(theirs, caseRng('functional', 9));
      const { modelJson, weightData } = await tfjsSaved(theirs);
      mkdirSync(join(dir, 'resnet_like'));
      writeFileSync(join(dir, 'resnet_like', 'model.json'), JSON.stringify(modelJson));
      writeFileSync(join(dir, 'resnet_like', 'weights.bin'), new Uint8Array(weightData));
      const ours = await loadFunctional(join(dir, 'resnet_like'));
      const x = f32(caseRng('functional', 10), [2, 8, 8, 4]);
      expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'loadFunctional');
      const file = join(dir, 'resnet_like', 'model.json');
      await expect(loadModel(join(dir, 'resnet_like'))).rejects.toThrow(
        `loadModel: ${file}: layer 'add_1' takes 2 inputs ('bn_b', 'image'); convlens reads functional models whose layers form one chain as a Sequential; layers.loadFunctional (or layers.functionalFromArtifacts) reads this one`,
      );
      await expect(loadFunctional(join(dir, 'nothing'))).rejects.toThrow(`loadFunctional: ${join(dir, 'nothing')} does not exist`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // a chain is a functional model too
    const input = tfl.input({ shape: [4], name: 'x' });
    const chain = tfl.model({ inputs: input, outputs: apply(tfl.layers.dense({ units: 2, name: 'd' }), input), name: 'chain' });
    await expectSameAsTfjs(chain, caseRng('functional', 11));
  });
});

describe('saving a Functional', () => {
  it('writes what tfjs-layers loads as its own tf.model, and what loadFunctional reads back: the same predictions', async () => {
    const theirs = residualModel();
    const ours = await expectSameAsTfjs(theirs, caseRng('functional save', 0));
    const x = f32(caseRng('functional save', 1), [3, 8, 8, 4]);
    const expected = (theirs.predict(tfOf(x)) as tf.Tensor).dataSync();
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.modelTopology.class_name).toBe('Model');
    const inTfjs = await tfjsLoad(modelJson, weightData);
    expect(inTfjs.layers.map((l) => l.name)).toEqual(theirs.layers.map((l) => l.name));
    expectClose((inTfjs.predict(tfOf(x)) as tf.Tensor).dataSync(), expected, 1e-5, 'saved by convlens, loaded by tfjs');
    expectClose(functionalFromArtifacts(modelJson, weightData).predict(x), expected, 1e-5, 'read back by convlens');
    const dir = mkdtempSync(join(tmpdir(), 'convlens-functional-save-'));
    try {
      await ours.save(join(dir, 'model'));
      expectClose((await loadFunctional(join(dir, 'model'))).predict(x), expected, 1e-5, 'save and loadFunctional');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a Functional made by hand (an Inception-style Concatenate over a skip path) round-trips through tfjs', async () => {
    const conv = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' });
    const wide = new Conv2D({ filters: 2, kernelSize: 1 });
    const joined = new Concatenate();
    const ours = new Functional({
      name: 'by_hand',
      input: { shape: [6, 6, 2], name: 'image' },
      layers: [
        { layer: conv, inputs: ['image'] },
        { layer: wide, inputs: ['image'] },
        { layer: joined, inputs: [conv.name, wide.name, 'image'] },
      ],
    });
    const x = f32(caseRng('functional save', 2), [2, 6, 6, 2]);
    const { modelJson, weightData } = ours.toArtifacts();
    const inTfjs = await tfjsLoad(modelJson, weightData);
    expectClose((inTfjs.predict(tfOf(x)) as tf.Tensor).dataSync(), ours.predict(x), 1e-5, 'in tfjs');
    expect((ours.predict(x) as Tensor<'float32'>).shape).toEqual([2, 6, 6, 7]);
  });
});

describe('what a Functional hands out cannot change it (Keras gives new lists)', () => {
  const twoInputs = () => {
    const a = Input({ shape: [4], name: 'a' });
    const b = Input({ shape: [4], name: 'b' });
    const sum = new Add({ name: 'sum' }).apply([a, b]);
    return model({ inputs: [a, b], outputs: new Dense({ units: 2, name: 'out' }).apply(sum), name: 'two' });
  };

  it('layers is a new list each time; inputNames and outputNames are frozen', () => {
    const net = twoInputs();
    const x = [new Tensor(Float32Array.of(1, 2, 3, 4), [1, 4], 'float32'), new Tensor(Float32Array.of(0, 1, 0, 1), [1, 4], 'float32')];
    const before = (net.predict(x) as Tensor).data;
    net.layers.pop();
    net.layers.push(new Dense({ units: 1 }));
    expect(net.layers.map((l) => l.name)).toEqual(['sum', 'out']);
    expect(() => (net.inputNames as string[]).push('c')).toThrow(TypeError);
    expect(() => (net.outputNames as string[]).pop()).toThrow(TypeError);
    expect(net.inputNames).toEqual(['a', 'b']);
    expect((net.predict(x) as Tensor).data).toEqual(before);
  });

  it("shapes are copies or frozen: inputShapes, a merge layer's inputShapes, a symbolic tensor's exampleShape", () => {
    const net = twoInputs();
    net.inputShapes[0].push(9);
    net.outputShapes.pop();
    expect(net.inputShapes).toEqual([[4], [4]]);
    expect(net.outputShapes).toEqual([[2]]);
    const sum = net.getLayer('sum') as Add;
    expect(() => sum.inputShapes![1].push(1)).toThrow(TypeError);
    expect(() => {
      (sum as { inputShapes: unknown }).inputShapes = [[9]];
    }).toThrow(TypeError);
    const input = Input({ shape: [3, 3, 1] });
    expect(() => input.exampleShape.push(2)).toThrow(TypeError);
    input.shape.push(7); // a new array each time, as the batch shape Keras prints
    expect(input.shape).toEqual([null, 3, 3, 1]);
  });
});

describe('what Functional and merge layers refuse', () => {
  const saved = async (model: tfl.LayersModel) => (await tfjsSaved(model)).modelJson;

  it('no model, a Sequential', async () => {
    expectConvlensError(
      () => functionalFromArtifacts({}, new ArrayBuffer(0)),
      'functionalFromArtifacts: model.json has no modelTopology (expected a TensorFlow.js Layers model)',
    );
    const sequential = await saved(tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4] })] }));
    expectConvlensError(
      () => functionalFromArtifacts(sequential, new ArrayBuffer(0)),
      'functionalFromArtifacts: model class "Sequential" is not a functional model (Functional or Model; layers.fromArtifacts reads Sequential ones)',
    );
  });

  it('merge shapes that do not match, naming the layer and the shapes; a merge layer in a saved model whose shapes were edited', async () => {
    const conv = () => new Conv2D({ filters: 3, kernelSize: 3, name: 'conv' });
    expectConvlensError(
      () =>
        new Functional({
          input: { shape: [6, 6, 2], name: 'in' },
          layers: [
            { layer: conv(), inputs: ['in'] },
            { layer: new Add({ name: 'sum' }), inputs: ['in', 'conv'] },
          ],
        }),
      'sum (Add): inputs of shapes (None, 6, 6, 2), (None, 4, 4, 3) do not match (each axis must be equal, or 1 in all but one)',
    );
    expectConvlensError(
      () =>
        new Functional({
          input: { shape: [6, 6, 2], name: 'in' },
          layers: [
            { layer: conv(), inputs: ['in'] },
            { layer: new Concatenate({ name: 'joined' }), inputs: ['in', 'conv'] },
          ],
        }),
      'joined (Concatenate): inputs of shapes (None, 6, 6, 2), (None, 4, 4, 3) do not match except along axis -1 (the one they are joined along)',
    );
    expectConvlensError(
      () => new Subtract({ name: 'minus' }).buildMany([[2], [2], [2]]),
      'minus (Subtract): takes exactly 2 inputs, got 3 ((None, 2), (None, 2), (None, 2))',
    );
    expectConvlensError(
      () => new Functional({ input: { shape: [6, 6, 2], name: 'in' }, layers: [{ layer: conv(), inputs: ['in', 'in'] }] }),
      'conv (Conv2D): takes one input, but is given 2 (in, in); merge them first (Add, Concatenate, ...)',
    );
    // a saved model edited so that its Add gets shapes that differ (tfjs would not build it)
    const modelJson = await saved(residualModel());
    const layers = (modelJson.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config
      .layers;
    layers.find((l) => l.config.name === 'conv_b')!.config.filters = 5;
    expectConvlensError(
      () => functionalFromArtifacts(modelJson, new ArrayBuffer(0)),
      /^functionalFromArtifacts: add_1 \(Add\): inputs of shapes \(None, 8, 8, 5\), \(None, 8, 8, 4\) do not match/,
    );
  });

  it('a merge layer gives one gradient per input, and checks its inputs when applied', () => {
    const sum = new Add({ name: 'sum' });
    const x = new Tensor(new Float32Array(6), [2, 3], 'float32');
    expect(Array.from(sum.applyMany([x, x]).data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(sum.backwardMany(x)).toEqual([x, x]);
    expectConvlensError(
      () => sum.applyMany([x, new Tensor(new Float32Array(4), [2, 2], 'float32')]),
      'sum (Add): expected inputs of shapes (None, 3), (None, 3), got [2, 3], [2, 2]',
    );
    expect(() => new Concatenate({ axis: 0 })).toThrow(ConvlensError);
  });
});
