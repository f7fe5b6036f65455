import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Tensor as ConvlensTensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import {
  Concatenate,
  Conv2D,
  Dense,
  Flatten,
  Functional,
  functionalFromArtifacts,
  GlobalAveragePooling2D,
  Input,
  model,
  resetNames,
} from './index.js';

// Shared layers (one layer, one set of weights, applied several times), against tfjs-layers'
// models of the same layers applied the same way, with the same weights.

beforeEach(() => resetNames());

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;

/** A siamese network: two images through one trunk (a conv, a flatten, a dense), joined, into a classifier. */
function siamese(): { ours: Functional; theirs: tfl.LayersModel } {
  const left = Input({ shape: [5, 5, 2], name: 'left' });
  const right = Input({ shape: [5, 5, 2], name: 'right' });
  const conv = new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', name: 'trunk_conv' });
  const flat = new Flatten({ name: 'trunk_flat' });
  const dense = new Dense({ units: 4, activation: 'tanh', name: 'trunk_dense' });
  const trunk = (x: ReturnType<typeof Input>) => dense.apply(flat.apply(conv.apply(x)));
  const joined = new Concatenate({ name: 'joined' }).apply([trunk(left), trunk(right)]);
  const ours = model({
    inputs: [left, right],
    outputs: new Dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(joined),
    name: 'siamese',
  });
  const tLeft = tfl.input({ shape: [5, 5, 2], name: 'left' });
  const tRight = tfl.input({ shape: [5, 5, 2], name: 'right' });
  const tConv = tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'trunk_conv' });
  const tFlat = tfl.layers.flatten({ name: 'trunk_flat' });
  const tDense = tfl.layers.dense({ units: 4, activation: 'tanh', name: 'trunk_dense' });
  const tTrunk = (x: tfl.SymbolicTensor) => apply(tDense, apply(tFlat, apply(tConv, x)));
  const tJoined = apply(tfl.layers.concatenate({ name: 'joined' }), [tTrunk(tLeft), tTrunk(tRight)]);
  const theirs = tfl.model({
    inputs: [tLeft, tRight],
    outputs: apply(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'cls' }), tJoined),
    name: 'siamese',
  });
  return { ours, theirs };
}

/** One path through a conv applied twice ('same' padding keeps the shape) and a dense applied twice, into a classifier. */
function alongOnePath(): { ours: Functional; theirs: tfl.LayersModel } {
  const image = Input({ shape: [5, 5, 3], name: 'image' });
  const conv = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'conv' });
  const hidden = new Dense({ units: 6, activation: 'tanh', name: 'hidden' });
  const flat = new Flatten({ name: 'flat' }).apply(conv.apply(conv.apply(image)));
  const squeeze = new Dense({ units: 6, activation: 'tanh', name: 'squeeze' }).apply(flat);
  const output = new Dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(hidden.apply(hidden.apply(squeeze)));
  const ours = model({ inputs: image, outputs: output, name: 'path' });
  const tImage = tfl.input({ shape: [5, 5, 3], name: 'image' });
  const tConv = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'conv' });
  const tHidden = tfl.layers.dense({ units: 6, activation: 'tanh', name: 'hidden' });
  const tFlat = apply(tfl.layers.flatten({ name: 'flat' }), apply(tConv, apply(tConv, tImage)));
  const tSqueeze = apply(tfl.layers.dense({ units: 6, activation: 'tanh', name: 'squeeze' }), tFlat);
  const tOutput = apply(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'cls' }), apply(tHidden, apply(tHidden, tSqueeze)));
  return { ours, theirs: tfl.model({ inputs: tImage, outputs: tOutput, name: 'path' }) };
}

/** One conv applied to images of two sizes (the same channels), each pooled, then joined. */
function twoSizes(): { ours: Functional; theirs: tfl.LayersModel } {
  const small = Input({ shape: [5, 5, 2], name: 'small' });
  const large = Input({ shape: [7, 6, 2], name: 'large' });
  const conv = new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' });
  const pooled = [small, large].map((x, i) => new GlobalAveragePooling2D({ name: `pool_${i}` }).apply(conv.apply(x)));
  const output = new Dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(new Concatenate({ name: 'joined' }).apply(pooled));
  const ours = model({ inputs: [small, large], outputs: output, name: 'sizes' });
  const tSmall = tfl.input({ shape: [5, 5, 2], name: 'small' });
  const tLarge = tfl.input({ shape: [7, 6, 2], name: 'large' });
  const tConv = tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' });
  const tPooled = [tSmall, tLarge].map((x, i) => apply(tfl.layers.globalAveragePooling2d({ name: `pool_${i}` }), apply(tConv, x)));
  const tOutput = apply(
    tfl.layers.dense({ units: 2, activation: 'softmax', name: 'cls' }),
    apply(tfl.layers.concatenate({ name: 'joined' }), tPooled),
  );
  return { ours, theirs: tfl.model({ inputs: [tSmall, tLarge], outputs: tOutput, name: 'sizes' }) };
}

/** tfjs' random weights, given to ours too: the same layers, each once, in the same order. */
function sameWeights(ours: Functional, theirs: tfl.LayersModel, rng: Rng): void {
  expect(ours.layers.map((l) => l.name)).toEqual(theirs.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name));
  theirs.setWeights(theirs.weights.map((w) => tf.tensor(f32(rng, w.shape as number[]).data, w.shape as number[])));
  ours.setWeights(theirs.getWeights().map((w) => new ConvlensTensor(w.dataSync() as Float32Array, w.shape, 'float32')));
}

const theirOutput = (theirs: tfl.LayersModel, xs: Tensor[]) => (theirs.predict(xs.map(tfOf)) as tf.Tensor).dataSync();

const oneHot = (rng: Rng, n: number, classes: number) => {
  const data = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) data[i * classes + Math.floor(rng.floats(1, 0, classes)[0])] = 1;
  return new ConvlensTensor(data, [n, classes], 'float32');
};

/** Each layer's inbound_nodes in a saved model.json, by layer name. */
const inboundNodes = (modelJson: { modelTopology?: unknown }) =>
  Object.fromEntries(
    (modelJson.modelTopology as { config: { layers: { name: string; inbound_nodes: unknown }[] } }).config.layers.map((l) => [
      l.name,
      l.inbound_nodes,
    ]),
  );

describe('a siamese network: two inputs through one shared trunk', () => {
  it('predicts as tfjs-layers does, each layer and weight listed once', () => {
    const rng = caseRng('shared', 1);
    const { ours, theirs } = siamese();
    sameWeights(ours, theirs, rng);
    const xs = [f32(rng, [4, 5, 5, 2]), f32(rng, [4, 5, 5, 2])];
    expectClose(ours.predict(xs) as Tensor, theirOutput(theirs, xs), 1e-5, 'predict');
    expect(ours.layers.map((l) => l.name)).toEqual(['trunk_conv', 'trunk_flat', 'trunk_dense', 'joined', 'cls']);
    expect(ours.getWeights()).toHaveLength(6);
    expect(ours.countParams()).toBe(theirs.countParams());
    // each application's output, in order: the trunk's two differ (two inputs)
    const outputs = ours.layerOutputs(xs).filter((o) => o.layer.name === 'trunk_dense');
    expect(outputs.map((o) => o.call)).toEqual([0, 1]);
    expect(outputs[0].output.shape).toEqual([4, 4]);
    expect(Array.from(outputs[0].output.data)).not.toEqual(Array.from(outputs[1].output.data));
  });

  it("summarizes as tfjs: a shared layer once, its parameters counted once, 'Connected to' each application's inputs", () => {
    const { ours, theirs } = siamese();
    const text = ours.summary(null);
    expect(text).toMatch(/trunk_conv \(Conv2D\) +\(None, 3, 3, 3\) +57 +left\[0\]\[0\],\n +right\[0\]\[0\]/);
    expect(text).toMatch(/trunk_dense \(Dense\) +\(None, 4\) +112 +trunk_flat\[0\]\[0\],\n +trunk_flat\[1\]\[0\]/);
    expect(text).toMatch(/joined \(Concatenate\) +\(None, 8\) +0 +trunk_dense\[0\]\[0\],\n +trunk_dense\[1\]\[0\]/);
    expect(text.match(/trunk_conv \(Conv2D\)/g)).toHaveLength(1);
    expect(text).toContain(`Total params: ${theirs.countParams().toLocaleString('en-US')}`);
    expect(text).toContain(`Trainable params: ${theirs.countParams().toLocaleString('en-US')}`);
  });

  it('trains as tfjs-layers does: 3 epochs of SGD, each loss and every weight (the trunk summing both applications’ gradients)', async () => {
    const rng = caseRng('shared', 2);
    const { ours, theirs } = siamese();
    sameWeights(ours, theirs, rng);
    const xs = [f32(rng, [6, 5, 5, 2]), f32(rng, [6, 5, 5, 2])];
    await expectSameSgdFit(ours, theirs, xs, oneHot(rng, 6, 2), { batchSize: 3 });
  });

  it('saves as tfjs-layers writes it (a node per application), tfjs reads it, and ours reads what tfjs saves', async () => {
    const rng = caseRng('shared', 3);
    const { ours, theirs } = siamese();
    sameWeights(ours, theirs, rng);
    const xs = [f32(rng, [3, 5, 5, 2]), f32(rng, [3, 5, 5, 2])];
    const expected = theirOutput(theirs, xs);
    const { modelJson, weightData } = ours.toArtifacts();
    const saved = await tfjsSaved(theirs);
    expect(inboundNodes(modelJson)).toEqual(inboundNodes(saved.modelJson));
    expect(inboundNodes(modelJson).trunk_dense).toEqual([[['trunk_flat', 0, 0, {}]], [['trunk_flat', 1, 0, {}]]]);
    expect(modelJson.weightsManifest[0].weights).toHaveLength(6);
    const inTfjs = await tfjsLoad(modelJson, weightData);
    expectClose(theirOutput(inTfjs, xs), expected, 1e-6, 'tfjs reads ours');
    const back = functionalFromArtifacts(saved.modelJson, saved.weightData);
    expect(back.layers.map((l) => l.name)).toEqual(ours.layers.map((l) => l.name));
    expectClose(back.predict(xs) as Tensor, expected, 1e-5, "ours reads tfjs'");
    expect(functionalFromArtifacts(ours.toArtifacts()).toArtifacts().modelJson).toEqual(modelJson);
  });

  it("reads Keras 3's config of a shared layer (keras_history's node index)", () => {
    const tensor = (layer: string, node: number, shape: (number | null)[]) => ({
      class_name: '__keras_tensor__',
      config: { shape, dtype: 'float32', keras_history: [layer, node, 0] },
    });
    const layer = (class_name: string, name: string, config: object, calls: unknown[][]) => ({
      module: 'keras.layers',
      class_name,
      config: { name, trainable: true, dtype: 'float32', ...config },
      registered_name: null,
      name,
      inbound_nodes: calls.map((args) => ({ args, kwargs: {} })),
    });
    const modelTopology = {
      class_name: 'Functional',
      config: {
        name: 'functional',
        layers: [
          layer('InputLayer', 'a', { batch_shape: [null, 3], sparse: false }, []),
          layer('InputLayer', 'b', { batch_shape: [null, 3], sparse: false }, []),
          layer('Dense', 'enc', { units: 4, activation: 'tanh', use_bias: true }, [
            [tensor('a', 0, [null, 3])],
            [tensor('b', 0, [null, 3])],
          ]),
          layer('Concatenate', 'joined', { axis: -1 }, [[[tensor('enc', 0, [null, 4]), tensor('enc', 1, [null, 4])]]]),
        ],
        input_layers: [
          ['a', 0, 0],
          ['b', 0, 0],
        ],
        output_layers: [['joined', 0, 0]],
      },
      keras_version: '3.6.0',
    };
    const rng = caseRng('shared', 4);
    const tA = tfl.input({ shape: [3], name: 'a' });
    const tB = tfl.input({ shape: [3], name: 'b' });
    const tEnc = tfl.layers.dense({ units: 4, activation: 'tanh', name: 'enc' });
    const theirs = tfl.model({
      inputs: [tA, tB],
      outputs: apply(tfl.layers.concatenate({ name: 'joined' }), [apply(tEnc, tA), apply(tEnc, tB)]),
    });
    theirs.setWeights(theirs.weights.map((w) => tf.tensor(f32(rng, w.shape as number[]).data, w.shape as number[])));
    const weights = theirs.getWeights();
    const specs = [
      { name: 'enc/kernel', shape: [3, 4], dtype: 'float32' },
      { name: 'enc/bias', shape: [4], dtype: 'float32' },
    ];
    const bytes = new Float32Array(weights.flatMap((w) => Array.from(w.dataSync())));
    const ours = functionalFromArtifacts({ modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] }, bytes);
    const xs = [f32(rng, [2, 3]), f32(rng, [2, 3])];
    expectClose(ours.predict(xs) as Tensor, theirOutput(theirs, xs), 1e-5, 'predict');
    expect(ours.layers.map((l) => l.name)).toEqual(['enc', 'joined']);
  });
});

describe('a layer applied twice along one path', () => {
  it('predicts, trains (3 epochs of SGD, loss by loss and weight by weight) and summarizes as tfjs-layers does', async () => {
    const rng = caseRng('shared', 5);
    const { ours, theirs } = alongOnePath();
    sameWeights(ours, theirs, rng);
    const x = f32(rng, [6, 5, 5, 3]);
    expectClose(ours.predict(x) as Tensor, theirOutput(theirs, [x]), 1e-5, 'predict');
    const text = ours.summary(null);
    expect(text).toMatch(/conv \(Conv2D\) +\(None, 5, 5, 3\) +84 +image\[0\]\[0\],\n +conv\[0\]\[0\]/);
    expect(text).toMatch(/hidden \(Dense\) +\(None, 6\) +42 +squeeze\[0\]\[0\],\n +hidden\[0\]\[0\]/);
    expect(text).toContain(`Total params: ${theirs.countParams().toLocaleString('en-US')}`);
    await expectSameSgdFit(ours, theirs, x, oneHot(rng, 6, 2), { batchSize: 3 });
  });

  it('saves and loads both ways with tfjs-layers', async () => {
    const rng = caseRng('shared', 6);
    const { ours, theirs } = alongOnePath();
    sameWeights(ours, theirs, rng);
    const x = f32(rng, [3, 5, 5, 3]);
    const expected = theirOutput(theirs, [x]);
    const { modelJson, weightData } = ours.toArtifacts();
    const saved = await tfjsSaved(theirs);
    expect(inboundNodes(modelJson)).toEqual(inboundNodes(saved.modelJson));
    expect(inboundNodes(modelJson).conv).toEqual([[['image', 0, 0, {}]], [['conv', 0, 0, {}]]]);
    expectClose(theirOutput(await tfjsLoad(modelJson, weightData), [x]), expected, 1e-6, 'tfjs reads ours');
    expectClose(functionalFromArtifacts(saved.modelJson, saved.weightData).predict(x) as Tensor, expected, 1e-5, "ours reads tfjs'");
  });

  it("as the Functional constructor takes it: the layer listed once per application, 'name[k]' for a later one's output", () => {
    const rng = caseRng('shared', 7);
    const dense = new Dense({ units: 3, activation: 'tanh', name: 'd' });
    const ours = new Functional({
      input: { shape: [3], name: 'x' },
      layers: [
        { layer: dense, inputs: ['x'] },
        { layer: dense, inputs: ['d'] },
        { layer: dense, inputs: ['d[1]'] },
      ],
      output: 'd[2]',
    });
    const tX = tfl.input({ shape: [3], name: 'x' });
    const tDense = tfl.layers.dense({ units: 3, activation: 'tanh', name: 'd' });
    const theirs = tfl.model({ inputs: tX, outputs: apply(tDense, apply(tDense, apply(tDense, tX))) });
    sameWeights(ours, theirs, rng);
    const x = f32(rng, [4, 3]);
    expectClose(ours.predict(x) as Tensor, theirOutput(theirs, [x]), 1e-5, 'predict');
    expect(ours.outputNames).toEqual(['d[2]']);
    expect(ours.toArtifacts().modelJson.modelTopology.config.output_layers).toEqual([['d', 2, 0]]);
  });

  it("trains as tfjs-layers does when the output is a shared layer's later application (its softmax fused into the loss)", async () => {
    const rng = caseRng('shared', 9);
    const image = Input({ shape: [4, 4, 2], name: 'image' });
    const head = new Dense({ units: 2, activation: 'softmax', name: 'head' });
    const squeeze = new Dense({ units: 2, activation: 'relu', name: 'squeeze' });
    const pre = new Dense({ units: 2, activation: 'tanh', name: 'pre' }).apply(new Flatten({ name: 'flat' }).apply(image));
    const ours = model({ inputs: image, outputs: head.apply(squeeze.apply(head.apply(pre))) });
    expect(ours.outputNames).toEqual(['head[1]']);
    const tImage = tfl.input({ shape: [4, 4, 2], name: 'image' });
    const tHead = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'head' });
    const tPre = apply(
      tfl.layers.dense({ units: 2, activation: 'tanh', name: 'pre' }),
      apply(tfl.layers.flatten({ name: 'flat' }), tImage),
    );
    const tOut = apply(tHead, apply(tfl.layers.dense({ units: 2, activation: 'relu', name: 'squeeze' }), apply(tHead, tPre)));
    const theirs = tfl.model({ inputs: tImage, outputs: tOut });
    sameWeights(ours, theirs, rng);
    await expectSameSgdFit(ours, theirs, f32(rng, [6, 4, 4, 2]), oneHot(rng, 6, 2), { batchSize: 3 });
  });
});

describe('a shared layer applied to inputs of another shape', () => {
  it("runs where its weights fit them, as Keras: a conv on two image sizes (the same channels); summary's 'multiple'", async () => {
    const rng = caseRng('shared', 8);
    const { ours, theirs } = twoSizes();
    sameWeights(ours, theirs, rng);
    const xs = [f32(rng, [6, 5, 5, 2]), f32(rng, [6, 7, 6, 2])];
    expectClose(ours.predict(xs) as Tensor, theirOutput(theirs, xs), 1e-5, 'predict');
    expect(ours.summary(null)).toMatch(/conv \(Conv2D\) +multiple +57 +small\[0\]\[0\],\n +large\[0\]\[0\]/);
    await expectSameSgdFit(ours, theirs, xs, oneHot(rng, 6, 2), { batchSize: 3 });
    const { modelJson, weightData } = ours.toArtifacts();
    expectClose(theirOutput(await tfjsLoad(modelJson, weightData), xs), theirOutput(theirs, xs), 1e-6, 'tfjs reads ours');
  });

  it('draws no random numbers for the other shape: a layer made afterwards starts as it would without that application', () => {
    const laterKernel = (applyAgain: boolean) => {
      setSeed(5);
      const dense = new Dense({ units: 3, name: 'enc' });
      dense.apply(Input({ shape: [4], name: 'a' }));
      if (applyAgain) dense.apply(Input({ shape: [2, 4], name: 'b' }));
      const later = new Dense({ units: 2, name: 'later' });
      later.apply(Input({ shape: [3], name: 'c' }));
      return later.getWeights()[0].data;
    };
    expect(laterKernel(true)).toEqual(laterKernel(false));
  });

  it('refuses inputs its weights do not fit, naming the layer and the shapes (tfjs refuses them too)', () => {
    const dense = new Dense({ units: 4, name: 'enc' });
    dense.apply(Input({ shape: [8], name: 'eight' }));
    expectConvlensError(
      () => dense.apply(Input({ shape: [5], name: 'five' })),
      'enc (Dense): built for inputs (None, 8), applied again to five (None, 5): a shared layer keeps its weights (kernel [8, 4], bias [4]), which do not fit these inputs (they would need kernel [5, 4], bias [4])',
    );
    const conv = new Conv2D({ filters: 2, kernelSize: 3, name: 'conv' });
    conv.apply(Input({ shape: [6, 6, 2], name: 'rgb' }));
    expectConvlensError(
      () => conv.apply(Input({ shape: [6, 6, 3], name: 'other' })),
      'conv (Conv2D): built for inputs (None, 6, 6, 2), applied again to other (None, 6, 6, 3): a shared layer keeps its weights (kernel [3, 3, 2, 2], bias [2]), which do not fit these inputs (they would need kernel [3, 3, 3, 2], bias [2])',
    );
    // a Dense applied to more axes, the same last one, fits (as in Keras)
    expect(dense.apply(Input({ shape: [3, 8], name: 'rows' })).shape).toEqual([null, 3, 4]);
    const tDense = tfl.layers.dense({ units: 4 });
    tDense.apply(tfl.input({ shape: [8] }));
    expect(() => tDense.apply(tfl.input({ shape: [5] }))).toThrow();
    const tConv = tfl.layers.conv2d({ filters: 2, kernelSize: 3 });
    tConv.apply(tfl.input({ shape: [6, 6, 2] }));
    expect(() => tConv.apply(tfl.input({ shape: [6, 6, 3] }))).toThrow();
  });
});

describe('what stays refused', () => {
  it('a call of a layer that the file does not have, and a cycle', () => {
    const dense = new Dense({ units: 3, name: 'd' });
    expectConvlensError(
      () => new Functional({ name: 'm', input: { shape: [3], name: 'x' }, layers: [{ layer: dense, inputs: ['d[1]'] }] }),
      "Functional 'm': layer 'd' takes \"d[1]\", which is neither a layer of the model nor one of its inputs",
    );
    expectConvlensError(
      () =>
        new Functional({
          name: 'loop',
          input: { shape: [3], name: 'x' },
          layers: [
            { layer: dense, inputs: ['d[1]'] },
            { layer: dense, inputs: ['d'] },
          ],
        }),
      "Functional 'loop': layers 'd', 'd[1]' take each other's outputs (a cycle)",
    );
  });

  it('a saved call index the layer does not have, naming the layer that takes it', () => {
    const { ours } = siamese();
    const { modelJson, weightData } = ours.toArtifacts();
    const withCall = (node: number) => {
      const json = structuredClone(modelJson);
      const layers = json.modelTopology.config.layers as unknown as { name: string; inbound_nodes: unknown[][][] }[];
      layers.find((l) => l.name === 'trunk_dense')!.inbound_nodes[1][0][1] = node;
      return json;
    };
    expectConvlensError(
      () => functionalFromArtifacts(withCall(2), weightData),
      "functionalFromArtifacts: layer 'trunk_dense' takes the output of call 2 (counting from 0) of 'trunk_flat', which is called 2 times",
    );
    expectConvlensError(
      () => functionalFromArtifacts(withCall(-1), weightData),
      'functionalFromArtifacts: layer \'trunk_dense\' has an input ["trunk_flat", -1, 0, {}] that is not [layer, node, tensor, kwargs]',
    );
  });
});

describe("a shared layer's applications as outputs of a compiled model", () => {
  /** One softmax Dense applied to two inputs, each application an output ('head' and 'head[1]'). */
  function twoHeads(): { ours: Functional; theirs: tfl.LayersModel } {
    const a = Input({ shape: [3], name: 'a' });
    const b = Input({ shape: [3], name: 'b' });
    const head = new Dense({ units: 2, activation: 'softmax', name: 'head' });
    const ours = model({ inputs: [a, b], outputs: [head.apply(a), head.apply(b)], name: 'heads' });
    const tA = tfl.input({ shape: [3], name: 'a' });
    const tB = tfl.input({ shape: [3], name: 'b' });
    const tHead = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'head' });
    const theirs = tfl.model({ inputs: [tA, tB], outputs: [apply(tHead, tA), apply(tHead, tB)], name: 'heads' });
    return { ours, theirs };
  }

  it('saves its compile settings by output position (tfjs names both outputs after the layer), and tfjs and ours load it compiled', async () => {
    const rng = caseRng('shared', 9);
    const { ours, theirs } = twoHeads();
    sameWeights(ours, theirs, rng);
    expect(ours.outputNames).toEqual(['head', 'head[1]']);
    ours.compile({
      optimizer: new SGD({ learningRate: 0.5 }),
      loss: { head: 'categoricalCrossentropy', 'head[1]': 'categoricalCrossentropy' },
      metrics: ['accuracy'],
    });
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.trainingConfig).toMatchObject({
      loss: ['categorical_crossentropy', 'categorical_crossentropy'],
      metrics: ['accuracy'],
    });
    const xs = [f32(rng, [6, 3]), f32(rng, [6, 3])];
    const ys = [oneHot(rng, 6, 2), oneHot(rng, 6, 2)];
    const inTfjs = await tfjsLoad(modelJson, weightData);
    expect(inTfjs.loss).toEqual(['categoricalCrossentropy', 'categoricalCrossentropy']);
    const loaded = functionalFromArtifacts(modelJson, weightData);
    expect(loaded.trainingConfig()).toEqual(ours.trainingConfig());
    // tfjs' evaluate mixes up the logs of two outputs of one name; its fit's total loss does not
    const history = await loaded.fit(xs, ys, { epochs: 2, batchSize: 3, shuffle: false });
    const expected = await inTfjs.fit(xs.map(tfOf), ys.map(tfOf), { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    expect(Object.keys(history.history)).toEqual(['loss', 'head_loss', 'head[1]_loss', 'head_accuracy', 'head[1]_accuracy']);
  });

  it("keeps per-output metrics and loss weights, which tfjs cannot read by position, where the converter writes Keras' settings", () => {
    const { ours } = twoHeads();
    ours.compile({
      optimizer: new SGD({ learningRate: 0.5 }),
      loss: 'categoricalCrossentropy',
      metrics: { head: ['accuracy'] },
      lossWeights: { 'head[1]': 0.5 },
    });
    const { modelJson, weightData } = ours.toArtifacts();
    expect(modelJson.trainingConfig).toBeUndefined();
    expect(modelJson.modelTopology.training_config).toMatchObject({ metrics: [['accuracy'], []], loss_weights: [1, 0.5] });
    expect(functionalFromArtifacts(modelJson, weightData).trainingConfig()).toEqual(ours.trainingConfig());
  });
});
