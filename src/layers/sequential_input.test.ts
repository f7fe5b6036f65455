import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  Conv2D,
  Dense,
  Flatten,
  fromArtifacts,
  functionalFromArtifacts,
  Input,
  MaxPool2D,
  model,
  resetNames,
  Sequential,
} from './index.js';

// Keras 3's Sequential([keras.Input(shape), ...]) (its MNIST convnet), and Keras' symbolic
// `model.inputs`, `model.outputs` and `layer.output`, for its feature-extraction model:
// keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers]).

beforeEach(() => resetNames());

/** Keras' MNIST convnet, small: Input, then layers with no inputShape. */
const convnet = () =>
  new Sequential([
    Input({ shape: [12, 12, 1] }),
    new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }),
    new MaxPool2D({ poolSize: [2, 2] }),
    new Flatten(),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);

/** The same network in tfjs-layers, its first layer given the input shape. */
const tfjsConvnet = () =>
  tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 1] }),
      tfl.layers.maxPooling2d({ poolSize: [2, 2] }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });

const copyWeights = (from: Sequential, to: tfl.LayersModel) => to.setWeights(from.getWeights().map(tfOf));

describe("Sequential([Input(shape), ...]), as Keras 3's tutorials begin one", () => {
  it('builds the first layer for the Input: shapes, predictions and the saved model are those of inputShape', async () => {
    const rng = caseRng('sequential input', 0);
    const ours = convnet();
    randomizeWeights(ours, rng);
    expect(ours.inputShape).toEqual([12, 12, 1]);
    expect(ours.layers.map((l) => l.outputShape)).toEqual([[10, 10, 4], [5, 5, 4], [100], [3]]);
    const theirs = tfjsConvnet();
    copyWeights(ours, theirs);
    const x = f32(rng, [2, 12, 12, 1]);
    expectClose(ours.predict(x).data, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5);
    // saved as tfjs saves the model given inputShape: tfjs loads it, with the input shape
    const { modelJson, weightData } = ours.toArtifacts();
    const loaded = await tfjsLoad(modelJson, weightData);
    expect(loaded.inputs[0].shape).toEqual([null, 12, 12, 1]);
    expect(fromArtifacts(modelJson, weightData).inputShape).toEqual([12, 12, 1]);
  });

  it('model.add(Input(...)) first, then the layers, as Keras 3 allows', () => {
    const net = new Sequential();
    net.add(Input({ shape: [4] }));
    net.add(new Dense({ units: 2 }));
    expect(net.layers[0].inputShape).toEqual([4]);
    expect(net.outputShape).toEqual([2]);
  });

  it('refuses a first layer whose own inputShape differs from the Input, and a second Input', () => {
    expectConvlensError(
      () => new Sequential([Input({ shape: [4], name: 'x' }), new Dense({ units: 2, inputShape: [5], name: 'd' })], { name: 'net' }),
      "Sequential 'net': the Input 'x' gives inputs (None, 4), but its first layer 'd' takes (None, 5)",
    );
    expectConvlensError(
      () => new Sequential([Input({ shape: [4], name: 'x' }), Input({ shape: [4], name: 'y' })], { name: 'net' }),
      "Sequential 'net': an Input ('y') may only come first, as in Keras, and the Input 'x' is already there",
    );
  });
});

describe("Keras' model.inputs and layer.output: the feature-extraction model", () => {
  it("a Sequential's layers' outputs give tfjs-layers' activation model's outputs", () => {
    const rng = caseRng('activation model', 0);
    const ours = convnet();
    randomizeWeights(ours, rng);
    const theirs = tfjsConvnet();
    copyWeights(ours, theirs);
    const extractor = model({ inputs: ours.inputs, outputs: ours.layers.map((layer) => layer.output) });
    const theirExtractor = tfl.model({ inputs: theirs.inputs, outputs: theirs.layers.map((layer) => layer.output as tfl.SymbolicTensor) });
    const x = f32(rng, [2, 12, 12, 1]);
    const outputs = extractor.predict(x) as Tensor[];
    const expected = theirExtractor.predict(tfOf(x)) as tf.Tensor[];
    expect(outputs.map((o) => o.shape)).toEqual(expected.map((e) => e.shape));
    outputs.forEach((o, i) => {
      expectClose(o.data, expected[i].dataSync(), 1e-5, `layer ${i}`);
    });
    // the extractor shares the model's layers: its last output is the model's prediction
    expectClose(outputs[3].data, ours.predict(x).data, 0);
    expect(ours.outputs).toEqual([ours.output]);
    expect(ours.output).toBe(ours.layers[3].output);
  });

  it('the inputs are the Input the Sequential began with, or one of its input shape; layers added later join the graph', () => {
    const start = Input({ shape: [4], name: 'start' });
    const net = new Sequential([start, new Dense({ units: 3 })]);
    expect(net.inputs).toEqual([start]);
    const other = new Sequential([new Dense({ units: 3, inputShape: [4] })]);
    expect(other.inputs[0].shape).toEqual([null, 4]);
    other.add(new Dense({ units: 2, name: 'late' }));
    expect(other.output).toBe(other.getLayer('late').output);
    expect(other.output.shape).toEqual([null, 2]);
    other.pop();
    expect(other.output.shape).toEqual([null, 3]);
  });

  it("a functional model's inputs, outputs and layers' outputs are the tensors it was made from", () => {
    const image = Input({ shape: [6, 6, 1] });
    const maps = new Conv2D({ filters: 2, kernelSize: 3 }).apply(image);
    const scores = new Dense({ units: 2 }).apply(new Flatten().apply(maps));
    const net = model({ inputs: image, outputs: scores });
    expect(net.inputs).toEqual([image]);
    expect(net.outputs).toEqual([scores]);
    expect(net.output).toBe(scores);
    expect(net.layers[0].output).toBe(maps);
    const features = model({ inputs: net.inputs, outputs: net.layers[0].output });
    expect(features.outputShape).toEqual([4, 4, 2]);
  });

  it('is refused where Keras has no one output: outside a model, a shared layer, a model of no input shape, a loaded model', () => {
    expectConvlensError(
      () => new Dense({ units: 2, name: 'alone' }).output,
      'alone (Dense): output is the symbolic tensor of its application in a model, and the layer is in none: apply it to a layers.Input, or put it in a Sequential with a known input shape',
    );
    const shared = new Dense({ units: 4, name: 'shared' });
    shared.apply(shared.apply(Input({ shape: [4] })));
    expectConvlensError(
      () => shared.output,
      'shared (Dense): output is ambiguous, the layer was applied 2 times (as in Keras, a layer of several applications has no one output): use what each apply returned',
    );
    expectConvlensError(
      () => new Sequential([new Dense({ units: 2 })], { name: 'open' }).inputs,
      "Sequential 'open': its symbolic inputs and outputs need its input shape: give the first layer inputShape (or begin with layers.Input({ shape })), or call predict first",
    );
    const input = Input({ shape: [4] });
    const { modelJson, weightData } = model({ inputs: input, outputs: new Dense({ units: 1 }).apply(input), name: 'saved' }).toArtifacts();
    expectConvlensError(
      () => functionalFromArtifacts(modelJson, weightData).inputs,
      "Functional 'saved': inputs needs the symbolic tensors of a model made with layers.model({ inputs, outputs }), and this one was loaded or made from a list of layers (layerOutputs(x) gives every layer's output)",
    );
  });
});
