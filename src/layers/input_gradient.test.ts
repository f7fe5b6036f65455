import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it, vi } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { backend } from '../backend/registry.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { l2 } from '../train/regularizers.js';
import { BatchNormalization } from './batch_normalization.js';
import { Conv2D } from './conv2d.js';
import { Conv2DTranspose } from './conv2d_transpose.js';
import { Dense } from './dense.js';
import { DepthwiseConv2D } from './depthwise_conv2d.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { Functional } from './functional.js';
import { model as functionalModel, Input } from './functional_api.js';
import { GaussianNoise } from './gaussian_noise.js';
import { inputGradient, layerGradient } from './input_gradient.js';
import type { Layer } from './layer.js';
import { LayerNormalization } from './layer_normalization.js';
import { Add } from './merge.js';
import { MaxPool2D } from './pooling.js';
import { SeparableConv2D } from './separable_conv2d.js';
import { Sequential } from './sequential.js';

/** A small convnet with every layer whose training and inference differ (BatchNormalization, Dropout, GaussianNoise); and an activity penalty, which tfjs-layers cannot load. */
function convnet(seed: number, activityPenalty = false): Sequential {
  const model = new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 2] }),
    new BatchNormalization(),
    new MaxPool2D({ poolSize: 2 }),
    new Dropout({ rate: 0.5 }),
    new GaussianNoise({ stddev: 0.3 }),
    new Conv2D({ filters: 3, kernelSize: 3, activation: 'tanh', ...(activityPenalty ? { activityRegularizer: l2(0.5) } : {}) }),
    new Flatten(),
    new Dense({ units: 5, activation: 'softmax' }),
  ]);
  randomizeWeights(model, caseRng('inputGradient weights', seed));
  return model;
}

/** The same model in tfjs-layers, read from convlens' save; `edit` may change its topology first. */
async function inTfjs(model: Sequential, edit: (json: string) => string = (json) => json): Promise<tfl.LayersModel> {
  const { modelJson, weightData } = model.toArtifacts();
  return tfjsLoad(JSON.parse(edit(JSON.stringify(modelJson))), weightData);
}

/** tfjs' gradient of sum(f(x) · dy) with respect to x: TensorFlow's output_gradients. */
function tfjsGradient(f: (x: tf.Tensor) => tf.Tensor, x: Tensor, dy: Tensor): Float32Array {
  const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(f(input), tfOf(dy))));
  return grad(tfOf(x)).dataSync() as Float32Array;
}

const applyInference = (model: tfl.LayersModel) => (x: tf.Tensor) => model.apply(x, { training: false }) as tf.Tensor;

describe('inputGradient: the gradient of what predict computes, against tfjs-layers', () => {
  forEachBackend(() => {
    it("the model's output, through BatchNormalization on its moving statistics, Dropout and noise off", async () => {
      const model = convnet(1);
      const theirs = await inTfjs(model);
      const rng = caseRng('inputGradient model', 1);
      const x = f32(rng, [3, 8, 8, 2]);
      const dy = f32(rng, [3, 5]);
      const before = model.getWeights().map((w) => Array.from(w.data));
      const { output, gradient } = inputGradient(model, x, { dy });
      expect(gradient.shape).toEqual(x.shape);
      expectClose(output, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'output');
      expectClose(gradient, tfjsGradient(applyInference(theirs), x, dy), 1e-4, 'gradient');
      // weights and moving statistics are left as they were
      expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    });

    it("a layer's output (a feature-extractor model), with dy ones by default", async () => {
      const model = convnet(2);
      const theirs = await inTfjs(model);
      const x = f32(caseRng('inputGradient layer', 2), [2, 8, 8, 2]);
      for (const name of [model.layers[0].name, model.layers[5].name]) {
        const upTo = tfl.model({ inputs: theirs.inputs, outputs: theirs.getLayer(name).output as tfl.SymbolicTensor });
        const { output, gradient } = inputGradient(model, x, { layer: name });
        const ones = new Tensor(new Float32Array(output.size).fill(1), output.shape, 'float32');
        expectClose(output, (upTo.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, `${name} output`);
        expectClose(gradient, tfjsGradient(applyInference(upTo), x, ones), 1e-4, `${name} gradient`);
      }
    });

    it("with logits, dy is the gradient of the output layer's scores before its softmax", async () => {
      const model = convnet(3);
      // the same model with a linear output layer gives the scores
      const scores = await inTfjs(model, (json) => json.replace(/"activation":"softmax"/, '"activation":"linear"'));
      const rng = caseRng('inputGradient logits', 3);
      const x = f32(rng, [2, 8, 8, 2]);
      const dy = new Tensor(new Float32Array([0, 0, 1, 0, 0, 0, 1, 0, 0, 0]), [2, 5], 'float32');
      const { output, gradient } = inputGradient(model, x, { dy, logits: true });
      expectClose(output, model.predict(x), 0, 'output: the probabilities');
      expectClose(gradient, tfjsGradient(applyInference(scores), x, dy), 1e-4, 'gradient of the class scores');
    });

    it('leaves out an activity penalty, which is no part of the output', () => {
      const x = f32(caseRng('inputGradient activity', 6), [2, 8, 8, 2]);
      const [penalised, plain] = [convnet(6, true), convnet(6)];
      expectClose(inputGradient(penalised, x).gradient, inputGradient(plain, x).gradient, 0, 'gradient');
    });

    it('a functional model of two branches joined by Add', async () => {
      const model = new Functional({
        input: { shape: [6, 6, 1], name: 'image' },
        layers: [
          { layer: new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'left' }), inputs: ['image'] },
          { layer: new Conv2D({ filters: 2, kernelSize: 1, activation: 'sigmoid', name: 'right' }), inputs: ['image'] },
          { layer: new Add({ name: 'sum' }), inputs: ['left', 'right'] },
          { layer: new Flatten({ name: 'flat' }), inputs: ['sum'] },
          { layer: new Dense({ units: 3, activation: 'softmax', name: 'scores' }), inputs: ['flat'] },
        ],
      });
      randomizeWeights(model, caseRng('inputGradient functional', 5));
      const { modelJson, weightData } = model.toArtifacts();
      const theirs = await tfjsLoad(modelJson, weightData);
      const rng = caseRng('inputGradient functional input', 5);
      const x = f32(rng, [2, 6, 6, 1]);
      const dy = f32(rng, [2, 3]);
      const { gradient } = inputGradient(model, x, { dy });
      expectClose(gradient, tfjsGradient(applyInference(theirs), x, dy), 1e-4, 'gradient');
      // a layer's output: the model cut there, as Keras' Model(inputs, layer.output)
      for (const name of ['left', 'right', 'sum']) {
        const upTo = tfl.model({ inputs: theirs.inputs, outputs: theirs.getLayer(name).output as tfl.SymbolicTensor });
        const part = inputGradient(model, x, { layer: name });
        const ones = new Tensor(new Float32Array(part.output.size).fill(1), part.output.shape, 'float32');
        expectClose(part.output, (upTo.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, `${name} output`);
        expectClose(part.gradient, tfjsGradient(applyInference(upTo), x, ones), 1e-4, `${name} gradient`);
      }
      expect(() => inputGradient(model, x, { layer: 'nope' })).toThrow(
        `inputGradient: model '${model.name}' has no layer 'nope' (its layers: left, right, sum, flat, scores)`,
      );
    });
  });
});

describe('layerGradient: the gradient at a layer of a functional model, against tfjs-layers', () => {
  forEachBackend(() => {
    it('sums the paths from the layer to the output (a skip connection and the block), as predict computes', async () => {
      const model = new Functional({
        input: { shape: [6, 6, 2], name: 'image' },
        layers: [
          { layer: new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }), inputs: ['image'] },
          { layer: new BatchNormalization({ name: 'bn' }), inputs: ['c1'] },
          { layer: new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'c2' }), inputs: ['bn'] },
          { layer: new Add({ name: 'skip' }), inputs: ['bn', 'c2'] },
          { layer: new Dropout({ rate: 0.5, name: 'drop' }), inputs: ['skip'] },
          { layer: new Flatten({ name: 'flat' }), inputs: ['drop'] },
          { layer: new Dense({ units: 4, activation: 'softmax', name: 'scores' }), inputs: ['flat'] },
        ],
      });
      randomizeWeights(model, caseRng('layerGradient weights', 1));
      const { modelJson, weightData } = model.toArtifacts();
      const scores = await tfjsLoad(
        JSON.parse(JSON.stringify(modelJson).replace('"activation":"softmax"', '"activation":"linear"')),
        weightData,
      );
      const rng = caseRng('layerGradient input', 1);
      const x = f32(rng, [2, 6, 6, 2]);
      const dy = f32(rng, [2, 4]);
      const call = (name: string, t: tf.Tensor | tf.Tensor[]) => scores.getLayer(name).apply(t) as tf.Tensor;
      const tail = (t: tf.Tensor) => call('scores', call('flat', call('drop', t)));
      const heads: Record<string, (t: tf.Tensor) => tf.Tensor> = {
        // bn's output reaches the sum directly and through c2
        bn: (t) => tail(call('skip', [t, call('c2', t)])),
        c1: (t) => {
          const bn = call('bn', t);
          return tail(call('skip', [bn, call('c2', bn)]));
        },
      };
      for (const [name, head] of Object.entries(heads)) {
        const { output, layerOutput, layerGradient: gradient } = layerGradient(model, x, name, () => dy, true);
        expectClose(output, tf.softmax(scores.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, `${name}: output, the probabilities`);
        const upTo = tfl.model({ inputs: scores.inputs, outputs: scores.getLayer(name).output as tfl.SymbolicTensor });
        const maps = upTo.predict(tfOf(x)) as tf.Tensor;
        expectClose(layerOutput, maps.dataSync(), 1e-5, `${name}: its output`);
        expect(gradient.shape).toEqual(layerOutput.shape);
        const expected = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(head(t), tfOf(dy))))(maps);
        expectClose(gradient, expected.dataSync(), 1e-4, `${name}: gradient`);
      }
    });
  });
});

/** A convnet of every layer whose backward computes its weights' gradients, BatchNormalization on batch statistics in training. */
function everyWeightedLayer(): Sequential {
  const model = new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 2] }),
    new BatchNormalization(),
    new SeparableConv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new DepthwiseConv2D({ kernelSize: 3, activation: 'tanh' }),
    new Conv2DTranspose({ filters: 3, kernelSize: 2, strides: 2 }),
    new LayerNormalization(),
    new Flatten(),
    new Dense({ units: 5, activation: 'softmax' }),
  ]);
  randomizeWeights(model, caseRng('weight gradients: weights', 1));
  return model;
}

/** A functional model applying one Dense twice: its backward sums the two applications' weight gradients. */
function sharedDense(): Functional {
  const input = Input({ shape: [4] });
  const shared = new Dense({ units: 4, activation: 'tanh' });
  const output = new Dense({ units: 3, activation: 'softmax' }).apply(shared.apply(shared.apply(input)));
  const model = functionalModel({ inputs: input, outputs: output });
  randomizeWeights(model, caseRng('weight gradients: shared weights', 2));
  return model;
}

const weightGradients = (model: Layer) => model.weights.map((w) => Array.from(w.grad));

describe("inputGradient leaves the weights' gradients alone", () => {
  forEachBackend(() => {
    it.each([
      ['every layer with weights', everyWeightedLayer, [3, 8, 8, 2], [3, 5]],
      ['a shared layer in a functional model', sharedDense, [3, 4], [3, 3]],
    ] as const)("%s: a call between a training backward and its optimizer step leaves the step's gradients", (_, make, xShape, dyShape) => {
      const model = make();
      const rng = caseRng('weight gradients: data', xShape.length);
      model.apply(f32(rng, [...xShape]), true);
      model.backward(f32(rng, [...dyShape]), false);
      const trained = weightGradients(model);
      inputGradient(model, f32(rng, [2, ...xShape.slice(1)]), { dy: f32(rng, [2, dyShape[1]]) });
      expect(weightGradients(model)).toEqual(trained);
    });

    it('asks the backend for no filter or bias gradient, only the input gradient', () => {
      const model = everyWeightedLayer();
      const x = f32(caseRng('weight gradients: spy', 3), [2, 8, 8, 2]);
      const spy = vi.spyOn(backend(), 'conv2dBackward');
      try {
        inputGradient(model, x);
        // Conv2D, and SeparableConv2D's 1×1 step
        expect(spy).toHaveBeenCalledTimes(2);
        for (const [, , , , grads] of spy.mock.calls)
          expect(grads).toMatchObject({ dFilters: undefined, dBias: undefined, dx: expect.any(Float32Array) });
      } finally {
        spy.mockRestore();
      }
    });

    it('a fit with input gradients taken in its callbacks gives the losses and weights of one without', async () => {
      const rng = caseRng('weight gradients: fit', 4);
      const x = f32(rng, [12, 8, 8, 2]);
      const y = new Tensor(
        Int32Array.from({ length: 12 }, (_, i) => i % 5),
        [12],
        'int32',
      );
      const probe = f32(rng, [2, 8, 8, 2]);
      const fitted = async (probing: boolean) => {
        const model = everyWeightedLayer();
        model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
        setSeed(5);
        const take = () => void inputGradient(model, probe);
        const callbacks = probing ? { onBatchBegin: take, onBatchEnd: take, onEpochEnd: take } : {};
        const history = await model.fit(x, y, { epochs: 2, batchSize: 4, callbacks });
        return { losses: history.history.loss, weights: model.getWeights().map((w) => Array.from(w.data)) };
      };
      expect(await fitted(true)).toEqual(await fitted(false));
    });
  });
});

/** A functional model of one input and two outputs, 'left' and 'right'. */
function twoOutputs(): Functional {
  return new Functional({
    input: { shape: [4], name: 'features' },
    layers: [
      { layer: new Dense({ units: 2, name: 'left' }), inputs: ['features'] },
      { layer: new Dense({ units: 3, name: 'right' }), inputs: ['features'] },
    ],
    output: ['left', 'right'],
  });
}

describe('inputGradient: bad input', () => {
  const model = convnet(4);
  const x = f32(caseRng('inputGradient errors', 4), [1, 8, 8, 2]);
  it.each([
    [
      'a layer, not a model',
      () => inputGradient(new Dense({ units: 2 }), x),
      /inputGradient: model must be a Sequential or functional model, got/,
    ],
    ['an unknown layer', () => inputGradient(model, x, { layer: 'conv9' }), /has no layer 'conv9' \(its layers: conv2d.*, dense/],
    [
      'dy of the wrong shape',
      () => inputGradient(model, x, { dy: f32(caseRng('dy', 0), [1, 4]) }),
      /dy has shape \[1, 4\], expected the output's \[1, 5\]/,
    ],
    ['int32 input', () => inputGradient(model, new Tensor(new Int32Array(128), [1, 8, 8, 2], 'int32')), /x must be float32, got int32/],
    [
      'an input of the wrong shape',
      () => inputGradient(model, f32(caseRng('x', 0), [1, 8, 8, 3])),
      'expected input of shape (None, 8, 8, 2), got [1, 8, 8, 3]',
    ],
    // said the model 'cannot be a layer of another model', which it was not asked to be
    [
      'a functional model of two outputs',
      () => inputGradient(twoOutputs(), f32(caseRng('x', 0), [1, 4])),
      /^inputGradient: takes a model of one input and one output; functional model '\w+' has 2 outputs \(left, right\)/,
    ],
    [
      'logits of a layer without softmax',
      () => inputGradient(model, x, { layer: model.layers[0].name, logits: true }),
      /logits needs an output layer with a softmax or sigmoid activation; 'conv2d.*' has relu/,
    ],
    ['an unknown option', () => inputGradient(model, x, { classIndex: 2 } as never), /inputGradient.*classIndex/],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});
