import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { scoreGradient, tfjsGradCam, tfjsScores, unit } from '../../test/helpers/gradcam.js';
import { f32, randomizeWeights, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Activation } from '../layers/activation.js';
import { Conv2D } from '../layers/conv2d.js';
import { Dense } from '../layers/dense.js';
import { Flatten } from '../layers/flatten.js';
import { Functional, type FunctionalArgs } from '../layers/functional.js';
import { GlobalAveragePooling2D } from '../layers/global_pooling.js';
import { Add, Concatenate } from '../layers/merge.js';
import { MaxPool2D } from '../layers/pooling.js';
import { Rescaling } from '../layers/rescaling.js';
import { Sequential } from '../layers/sequential.js';
import { expandDims } from '../ops/expand_dims.js';
import { transpose } from '../ops/transpose.js';
import { Tensor } from '../tensor/tensor.js';
import { saliency, showSaliency } from './saliency.js';

function classifier(
  seed: number,
  dataFormat: 'channels_last' | 'channels_first' = 'channels_last',
  activation: 'softmax' | 'sigmoid' = 'softmax',
): Sequential {
  const model = new Sequential([
    new Conv2D({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      dataFormat,
      inputShape: dataFormat === 'channels_last' ? [12, 12, 2] : [2, 12, 12],
    }),
    new MaxPool2D({ poolSize: 2, dataFormat }),
    new Conv2D({ filters: 6, kernelSize: 3, activation: 'relu', dataFormat }),
    new Flatten(),
    new Dense({ units: activation === 'sigmoid' ? 1 : 5, activation }),
  ]);
  randomizeWeights(model, caseRng('saliency weights', seed));
  return model;
}

/** The model in tfjs-layers with a linear output: its logits, the scores both methods take. */
function inTfjs(model: Sequential | Functional): Promise<tfl.LayersModel> {
  const { modelJson, weightData } = model.toArtifacts();
  return tfjsScores(modelJson, weightData);
}

describe('saliency against tfjs-layers', () => {
  forEachBackend(() => {
    it("'gradient': each pixel's largest gradient size over the channels, of the class score", async () => {
      const model = classifier(1);
      const scores = await inTfjs(model);
      const image = f32(caseRng('saliency image', 1), [12, 12, 2], 0, 1);
      const x = tf.expandDims(tfOf(image), 0);
      const result = saliency(model, image, { method: 'gradient', classIndex: 3 });
      const dy = scoreGradient(5, 3, true);
      const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(scores.apply(input) as tf.Tensor, dy)))(x);
      expect(result.map.shape).toEqual([12, 12]);
      expectClose(result.map, unit(tf.max(tf.abs(g), 3)).dataSync(), 1e-4, 'map');
      expect(result).toMatchObject({ classIndex: 3, method: 'gradient' });
      expectClose(result.score, model.predict(batchOf(image)).data[3], 0, 'score');
    });

    it("'gradcam': the last convolution's maps weighted by the mean gradient of the class score, resized to the image (half-pixel bilinear)", async () => {
      const model = classifier(2);
      const scores = await inTfjs(model);
      const image = f32(caseRng('saliency image', 2), [12, 12, 2], 0, 1);
      const result = saliency(model, image);
      // the default class is the predicted one
      const probabilities = model.predict(batchOf(image)).data;
      const predicted = probabilities.indexOf(Math.max(...probabilities));
      expect(result).toMatchObject({ classIndex: predicted, method: 'gradcam', layerName: model.layers[2].name });
      expect(result.score).toBe(probabilities[predicted]);

      const upTo = tfl.model({ inputs: scores.inputs, outputs: scores.getLayer(model.layers[2].name).output as tfl.SymbolicTensor });
      const maps = upTo.predict(tf.expandDims(tfOf(image), 0)) as tf.Tensor;
      const head = (a: tf.Tensor) => scores.layers.slice(3).reduce((t, layer) => layer.apply(t) as tf.Tensor, a);
      const dy = scoreGradient(5, predicted, true);
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(head(a), dy)))(maps);
      const cam = tf.relu(tf.sum(tf.mul(maps, tf.mean(g, [0, 1, 2])), 3, true));
      const resized = tf.image.resizeBilinear(cam as tf.Tensor4D, [12, 12], false, true);
      expect(tf.max(cam).dataSync()[0]).toBeGreaterThan(0);
      expectClose(result.map, unit(resized).dataSync(), 1e-4, 'map');
    });

    it("one sigmoid unit (Keras' binary classifier): class 1's score is its logit, class 0's minus it", async () => {
      const model = classifier(3, 'channels_last', 'sigmoid');
      const scores = await inTfjs(model);
      const image = f32(caseRng('saliency image', 3), [12, 12, 2], 0, 1);
      const x = tf.expandDims(tfOf(image), 0);
      const p = model.predict(batchOf(image)).data[0];
      expect(saliency(model, image)).toMatchObject({ classIndex: p >= 0.5 ? 1 : 0, score: p >= 0.5 ? p : 1 - p });
      const maps = tfl.model({ inputs: scores.inputs, outputs: scores.getLayer(model.layers[2].name).output as tfl.SymbolicTensor });
      const a = maps.predict(x) as tf.Tensor;
      const head = (t: tf.Tensor) => scores.layers.slice(3).reduce((out, layer) => layer.apply(out) as tf.Tensor, t);
      for (const [classIndex, sign] of [
        [1, 1],
        [0, -1],
      ]) {
        const g = tf.grad((input: tf.Tensor) => tf.mul(tf.sum(head(input)), sign))(a);
        const cam = tf.relu(tf.sum(tf.mul(a, tf.mean(g, [0, 1, 2])), 3, true));
        const expected =
          tf.max(cam).dataSync()[0] > 0
            ? unit(tf.image.resizeBilinear(cam as tf.Tensor4D, [12, 12], false, true)).dataSync()
            : new Float32Array(144);
        expectClose(saliency(model, image, { classIndex }).map, expected, 1e-4, `class ${classIndex}`);
      }
    });
  });

  it('a channels-first model gives the same maps', () => {
    const last = classifier(4);
    const first = classifier(4, 'channels_first');
    // the same weights, the Dense kernel's rows in the order Flatten gives channels-first maps [c, h, w]
    const weights = last.getWeights();
    const [h, w, c] = last.layers[2].outputShape as number[];
    const kernel = weights[weights.length - 2];
    const units = kernel.shape[1];
    const rows = new Float32Array(kernel.size);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const [from, to] = [(y * w + x) * c + k, (k * h + y) * w + x];
          rows.set(kernel.data.subarray(from * units, (from + 1) * units), to * units);
        }
    weights[weights.length - 2] = new Tensor(rows, kernel.shape, 'float32');
    first.setWeights(weights);
    const image = f32(caseRng('saliency image', 4), [12, 12, 2], 0, 1);
    const chw = transpose(image, [2, 0, 1]);
    expectClose(first.predict(batchOf(chw)), last.predict(batchOf(image)), 1e-5, 'the same model');
    for (const method of ['gradcam', 'gradient'] as const) {
      expectClose(saliency(first, chw, { method }).map, saliency(last, image, { method }).map, 1e-5, method);
    }
  });

  it('a model that scales its own pixels (a Rescaling first) takes a uint8 image as Keras feeds it: as it is, not divided by 255', async () => {
    const model = new Sequential([new Rescaling({ scale: 1 / 255, inputShape: [12, 12, 2] }), ...classifier(9).layers]);
    randomizeWeights(model, caseRng('saliency rescaling weights', 9));
    const scores = await inTfjs(model);
    const random = caseRng('saliency rescaling image', 9);
    const image = new Tensor(Uint8Array.from(random.ints(12 * 12 * 2, 0, 255)), [12, 12, 2], 'uint8');
    // Keras casts the pixels to float32 and the model's Rescaling scales them
    const x = tf.expandDims(tf.tensor(Array.from(image.data), image.shape, 'float32'), 0);
    const result = saliency(model, image, { method: 'gradient', classIndex: 2 });
    const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(scores.apply(input) as tf.Tensor, scoreGradient(5, 2, true))))(x);
    expectClose(result.map, unit(tf.max(tf.abs(g), 3)).dataSync(), 1e-4, 'map');
    const softmax = tf.softmax(scores.predict(x) as tf.Tensor).dataSync();
    expectClose(result.score, softmax[2], 1e-5, 'score');
  });

  it("a functional classifier: the input's gradient, as tfjs computes it", async () => {
    const model = new Functional({
      input: { shape: [8, 8, 1], name: 'image' },
      layers: [
        { layer: new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'left' }), inputs: ['image'] },
        { layer: new Conv2D({ filters: 3, kernelSize: 1, name: 'right' }), inputs: ['image'] },
        { layer: new Add({ name: 'sum' }), inputs: ['left', 'right'] },
        { layer: new Flatten({ name: 'flat' }), inputs: ['sum'] },
        { layer: new Dense({ units: 4, activation: 'softmax', name: 'scores' }), inputs: ['flat'] },
      ],
    });
    randomizeWeights(model, caseRng('saliency functional', 8));
    const scores = await inTfjs(model);
    const image = f32(caseRng('saliency functional image', 8), [8, 8, 1], 0, 1);
    const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(scores.apply(input) as tf.Tensor, scoreGradient(4, 1, true))))(
      tf.expandDims(tfOf(image), 0),
    );
    expectClose(saliency(model, image, { method: 'gradient', classIndex: 1 }).map, unit(tf.max(tf.abs(g), 3)).dataSync(), 1e-4, 'map');
  });

  it('showSaliency draws the image, the heat map and the overlay, titled with the class name', () => {
    const model = classifier(5);
    const image = f32(caseRng('saliency image', 5), [12, 12, 2], 0, 1);
    const classNames = ['cat', 'dog', 'car', 'cup', 'sun'];
    const { classIndex } = saliency(model, image);
    const figure = showSaliency(model, image, { classNames, tileSize: 48 });
    expect(figure.svg).toContain(`sees ${classNames[classIndex]} (score`);
    for (const caption of ['input', `Grad-CAM of ${model.layers[2].name}`, 'overlay']) expect(figure.svg).toContain(caption);
    expect((figure.svg.match(/<image /g) ?? []).length).toBe(3);
  });
});

/** Node `key`'s output for `x` in tfjs (Keras' `Model(inputs, layer.output)`): a layer's name, or `'name[k]'` for its application k. */
function outputOf(scores: tfl.LayersModel, key: string, x: tf.Tensor): tf.Tensor {
  const [, name, application = '0'] = /^(.*?)(?:\[(\d+)\])?$/.exec(key)!;
  const output = scores.getLayer(name).getOutputAt(Number(application)) as tfl.SymbolicTensor;
  return tfl.model({ inputs: scores.inputs, outputs: output }).predict(x) as tf.Tensor;
}

/** tfjs' layer `name` applied to a tensor (or, for a merge, a list of them). */
const call = (scores: tfl.LayersModel, name: string, t: tf.Tensor | tf.Tensor[]) => scores.getLayer(name).apply(t) as tf.Tensor;

/** A Grad-CAM map against tfjs' (one with evidence somewhere, so that the comparison says something). */
function expectMap(map: Tensor, expected: Float32Array, rtol: number, context: string): void {
  expect(Math.max(...expected), `${context}: tfjs' map is empty`).toBe(1);
  expectClose(map, expected, rtol, context);
}

/** Each class's Grad-CAM map against tfjs' (`[ours, theirs]` from `maps`); some class's must have evidence somewhere. */
function expectEveryClass(classes: number, maps: (classIndex: number) => [Tensor, Float32Array]): void {
  let withEvidence = 0;
  for (let c = 0; c < classes; c++) {
    const [ours, theirs] = maps(c);
    expectClose(ours, theirs, 1e-4, `class ${c}`);
    if (Math.max(...theirs) > 0) withEvidence++;
  }
  expect(withEvidence).toBeGreaterThan(0);
}

/** The residual block's path in tfjs: the max pooling, then the tanh. */
const block = (scores: tfl.LayersModel, t: tf.Tensor) => call(scores, 'bend', call(scores, 'mix', t));

/** The largest difference between two maps. */
const largestDifference = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((top, v, i) => Math.max(top, Math.abs(v - b[i])), 0);

/** The convlens functional classifier, randomized, and its tfjs-layers twin with linear outputs (logits). */
async function functionalPair(args: FunctionalArgs, seed: number): Promise<{ model: Functional; scores: tfl.LayersModel }> {
  const model = new Functional(args);
  randomizeWeights(model, caseRng('saliency functional Grad-CAM', seed));
  return { model, scores: await inTfjs(model) };
}

/** tfjs' class probabilities of a linear-output twin: softmax of its logits, or the sigmoid of one. */
function tfjsProbabilities(scores: tfl.LayersModel, x: tf.Tensor, softmax: boolean): Float32Array {
  const logits = scores.predict(x) as tf.Tensor;
  return (softmax ? tf.softmax(logits) : tf.sigmoid(logits)).dataSync() as Float32Array;
}

describe('Grad-CAM of a functional model, against tfjs-layers', () => {
  // a residual block after the last convolution: its maps reach the sum directly and through a
  // max pooling and a tanh, so the score's gradient on them is the sum of two paths' (Keras'
  // tape.gradient). Not a pooling alone: it passes on each channel's gradient sum unchanged, so
  // Grad-CAM's channel weights, means of the gradient, would not tell the paths apart.
  const residual = (activation: 'softmax' | 'sigmoid'): FunctionalArgs => ({
    input: { shape: [10, 10, 2], name: 'image' },
    layers: [
      { layer: new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }), inputs: ['image'] },
      { layer: new Conv2D({ filters: 5, kernelSize: 3, padding: 'same', name: 'c2' }), inputs: ['c1'] },
      { layer: new MaxPool2D({ poolSize: 3, strides: 1, padding: 'same', name: 'mix' }), inputs: ['c2'] },
      { layer: new Activation({ activation: 'tanh', name: 'bend' }), inputs: ['mix'] },
      { layer: new Add({ name: 'skip' }), inputs: ['c2', 'bend'] },
      { layer: new Flatten({ name: 'flat' }), inputs: ['skip'] },
      { layer: new Dense({ units: activation === 'softmax' ? 4 : 1, activation, name: 'scores' }), inputs: ['flat'] },
    ],
  });

  forEachBackend(() => {
    it('a residual block: the last convolution, its gradient summed over the skip path and the block', async () => {
      const { model, scores } = await functionalPair(residual('softmax'), 1);
      const image = f32(caseRng('saliency functional image', 1), [10, 10, 2], 0, 1);
      const x = tf.expandDims(tfOf(image), 0);
      const p = tfjsProbabilities(scores, x, true);
      const predicted = p.indexOf(Math.max(...p));
      const result = saliency(model, image);
      expect(result).toMatchObject({ method: 'gradcam', layerName: 'c2', classIndex: predicted });
      expectClose(result.score, p[predicted], 1e-5, 'score');
      const dy = scoreGradient(4, predicted, true);
      const head = (a: tf.Tensor) => call(scores, 'scores', call(scores, 'flat', call(scores, 'skip', [a, block(scores, a)])));
      const expected = tfjsGradCam(outputOf(scores, 'c2', x), head, dy, [10, 10]);
      expectMap(result.map, expected, 1e-4, 'map');
      // the case tells the paths apart: the map through either path alone (the other's input held fixed) is another
      const c2 = outputOf(scores, 'c2', x);
      const directOnly = (a: tf.Tensor) => call(scores, 'scores', call(scores, 'flat', call(scores, 'skip', [a, block(scores, c2)])));
      const blockOnly = (a: tf.Tensor) => call(scores, 'scores', call(scores, 'flat', call(scores, 'skip', [c2, block(scores, a)])));
      for (const onePath of [directOnly, blockOnly]) {
        expect(largestDifference(expected, tfjsGradCam(outputOf(scores, 'c2', x), onePath, dy, [10, 10]))).toBeGreaterThan(0.05);
      }
    });

    it('layerName picks an earlier layer: the gradient goes back through the block, both paths', async () => {
      const { model, scores } = await functionalPair(residual('softmax'), 2);
      const image = f32(caseRng('saliency functional image', 2), [10, 10, 2], 0, 1);
      const x = tf.expandDims(tfOf(image), 0);
      const head = (a: tf.Tensor) => {
        const c2 = call(scores, 'c2', a);
        return call(scores, 'scores', call(scores, 'flat', call(scores, 'skip', [c2, block(scores, c2)])));
      };
      expectEveryClass(4, (classIndex) => {
        const result = saliency(model, image, { layerName: 'c1', classIndex });
        expect(result).toMatchObject({ method: 'gradcam', layerName: 'c1', classIndex });
        return [result.map, tfjsGradCam(outputOf(scores, 'c1', x), head, scoreGradient(4, classIndex, true), [10, 10])];
      });
    });
  });

  it("one sigmoid unit: class 1's score is its logit, class 0's minus it", async () => {
    const { model, scores } = await functionalPair(residual('sigmoid'), 3);
    const image = f32(caseRng('saliency functional image', 3), [10, 10, 2], 0, 1);
    const x = tf.expandDims(tfOf(image), 0);
    const [p] = tfjsProbabilities(scores, x, false);
    const byDefault = saliency(model, image);
    expect(byDefault).toMatchObject({ classIndex: p >= 0.5 ? 1 : 0, layerName: 'c2' });
    expectClose(byDefault.score, p >= 0.5 ? p : 1 - p, 1e-5, 'score');
    const head = (a: tf.Tensor) => call(scores, 'scores', call(scores, 'flat', call(scores, 'skip', [a, block(scores, a)])));
    expectEveryClass(2, (classIndex) => [
      saliency(model, image, { classIndex }).map,
      tfjsGradCam(outputOf(scores, 'c2', x), head, tf.tensor([[classIndex === 1 ? 1 : -1]]), [10, 10]),
    ]);
  });

  it('two branches joined (Concatenate): the convolution after the join by default, one branch by name (the other held fixed)', async () => {
    const { model, scores } = await functionalPair(
      {
        input: { shape: [9, 9, 1], name: 'image' },
        layers: [
          { layer: new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'left' }), inputs: ['image'] },
          { layer: new Conv2D({ filters: 2, kernelSize: 1, activation: 'tanh', name: 'right' }), inputs: ['image'] },
          { layer: new Concatenate({ name: 'join' }), inputs: ['left', 'right'] },
          { layer: new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', name: 'fuse' }), inputs: ['join'] },
          { layer: new Flatten({ name: 'flat' }), inputs: ['fuse'] },
          { layer: new Dense({ units: 3, activation: 'softmax', name: 'scores' }), inputs: ['flat'] },
        ],
      },
      4,
    );
    const image = f32(caseRng('saliency functional image', 4), [9, 9, 1], 0, 1);
    const x = tf.expandDims(tfOf(image), 0);
    const p = tfjsProbabilities(scores, x, true);
    const predicted = p.indexOf(Math.max(...p));
    const byDefault = saliency(model, image);
    expect(byDefault).toMatchObject({ layerName: 'fuse', classIndex: predicted });
    const fromFuse = (a: tf.Tensor) => call(scores, 'scores', call(scores, 'flat', a));
    expectMap(byDefault.map, tfjsGradCam(outputOf(scores, 'fuse', x), fromFuse, scoreGradient(3, predicted, true), [9, 9]), 1e-4, 'fuse');
    const right = outputOf(scores, 'right', x);
    const fromLeft = (a: tf.Tensor) => fromFuse(call(scores, 'fuse', call(scores, 'join', [a, right])));
    expectEveryClass(3, (classIndex) => {
      const left = saliency(model, image, { layerName: 'left', classIndex });
      expect(left).toMatchObject({ layerName: 'left', classIndex });
      return [left.map, tfjsGradCam(outputOf(scores, 'left', x), fromLeft, scoreGradient(3, classIndex, true), [9, 9])];
    });
  });

  it("a channels-first model: its maps' channels on axis 1", async () => {
    const dataFormat = 'channels_first';
    const { model, scores } = await functionalPair(
      {
        input: { shape: [2, 8, 10], name: 'image' },
        layers: [
          {
            layer: new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', dataFormat, name: 'c1' }),
            inputs: ['image'],
          },
          { layer: new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', dataFormat, name: 'c2' }), inputs: ['c1'] },
          { layer: new Add({ name: 'skip' }), inputs: ['c1', 'c2'] },
          { layer: new GlobalAveragePooling2D({ dataFormat, name: 'gap' }), inputs: ['skip'] },
          { layer: new Dense({ units: 3, activation: 'softmax', name: 'scores' }), inputs: ['gap'] },
        ],
      },
      5,
    );
    const image = f32(caseRng('saliency functional image', 5), [2, 8, 10], 0, 1);
    const x = tf.expandDims(tfOf(image), 0);
    const fromSkip = (t: tf.Tensor) => call(scores, 'scores', call(scores, 'gap', t));
    const c2 = saliency(model, image, { classIndex: 1 });
    expect(c2).toMatchObject({ layerName: 'c2', classIndex: 1 });
    expect(c2.map.shape).toEqual([8, 10]);
    const c1 = outputOf(scores, 'c1', x);
    const fromC2 = (a: tf.Tensor) => fromSkip(call(scores, 'skip', [c1, a]));
    expectMap(c2.map, tfjsGradCam(outputOf(scores, 'c2', x), fromC2, scoreGradient(3, 1, true), [8, 10], true), 1e-4, 'c2');
    // c1 reaches the sum directly and through c2
    const fromC1 = (a: tf.Tensor) => fromSkip(call(scores, 'skip', [a, call(scores, 'c2', a)]));
    const expected = tfjsGradCam(outputOf(scores, 'c1', x), fromC1, scoreGradient(3, 1, true), [8, 10], true);
    expectMap(saliency(model, image, { classIndex: 1, layerName: 'c1' }).map, expected, 1e-4, 'c1');
  });

  it("a shared layer: its applications by 'name[k]', the last one by default", async () => {
    // one convolution applied twice and its outputs summed: its first application reaches the sum directly and through the second
    const enc = new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'enc' });
    const { model, scores } = await functionalPair(
      {
        input: { shape: [7, 7, 2], name: 'image' },
        layers: [
          { layer: enc, inputs: ['image'] },
          { layer: enc, inputs: ['enc'] },
          { layer: new Add({ name: 'skip' }), inputs: ['enc', 'enc[1]'] },
          { layer: new Flatten({ name: 'flat' }), inputs: ['skip'] },
          { layer: new Dense({ units: 3, activation: 'softmax', name: 'scores' }), inputs: ['flat'] },
        ],
      },
      8,
    );
    const image = f32(caseRng('saliency functional image', 8), [7, 7, 2], 0, 1);
    const x = tf.expandDims(tfOf(image), 0);
    const dy = scoreGradient(3, 2, true);
    const tail = (t: tf.Tensor) => call(scores, 'scores', call(scores, 'flat', t));
    const first = outputOf(scores, 'enc', x);
    const fromSecond = (a: tf.Tensor) => tail(call(scores, 'skip', [first, a]));
    const second = saliency(model, image, { classIndex: 2 });
    expect(second.layerName).toBe('enc[1]');
    expectMap(second.map, tfjsGradCam(outputOf(scores, 'enc[1]', x), fromSecond, dy, [7, 7]), 1e-4, 'enc[1]');
    const fromFirst = (t: tf.Tensor) => tail(call(scores, 'skip', [t, call(scores, 'enc', t)]));
    const expected = tfjsGradCam(outputOf(scores, 'enc', x), fromFirst, dy, [7, 7]);
    expectMap(saliency(model, image, { classIndex: 2, layerName: 'enc' }).map, expected, 1e-4, 'enc');
  });

  it('a frozen model (trainable false) too: the gradient is of its outputs, not for its weights', async () => {
    const { model, scores } = await functionalPair(residual('softmax'), 9);
    model.trainable = false;
    const image = f32(caseRng('saliency functional image', 9), [10, 10, 2], 0, 1);
    const x = tf.expandDims(tfOf(image), 0);
    const head = (a: tf.Tensor) => call(scores, 'scores', call(scores, 'flat', call(scores, 'skip', [a, block(scores, a)])));
    expectEveryClass(4, (classIndex) => [
      saliency(model, image, { classIndex }).map,
      tfjsGradCam(outputOf(scores, 'c2', x), head, scoreGradient(4, classIndex, true), [10, 10]),
    ]);
  });

  it('a nested model: without a convolution of its own, the last layer with maps (the nested base) by default', async () => {
    const base = new Sequential(
      [
        new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [9, 9, 1], name: 'inner1' }),
        new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', name: 'inner2' }),
      ],
      { name: 'base' },
    );
    const { model, scores } = await functionalPair(
      {
        input: { shape: [9, 9, 1], name: 'image' },
        layers: [
          { layer: base, inputs: ['image'] },
          { layer: new GlobalAveragePooling2D({ name: 'gap' }), inputs: ['base'] },
          { layer: new Dense({ units: 3, activation: 'softmax', name: 'scores' }), inputs: ['gap'] },
        ],
      },
      10,
    );
    const image = f32(caseRng('saliency functional image', 10), [9, 9, 1], 0, 1);
    const x = tf.expandDims(tfOf(image), 0);
    expect(saliency(model, image).layerName).toBe('base');
    const head = (a: tf.Tensor) => call(scores, 'scores', call(scores, 'gap', a));
    expectEveryClass(3, (classIndex) => [
      saliency(model, image, { classIndex }).map,
      tfjsGradCam(call(scores, 'base', x), head, scoreGradient(3, classIndex, true), [9, 9]),
    ]);
  });

  describe('bad input', () => {
    const model = new Functional(residual('softmax'));
    const image = f32(caseRng('saliency functional bad', 7), [10, 10, 2], 0, 1);
    const twoInputs = new Functional({
      input: [
        { shape: [6, 6, 1], name: 'left' },
        { shape: [6, 6, 1], name: 'right' },
      ],
      layers: [
        { layer: new Add({ name: 'both' }), inputs: ['left', 'right'] },
        { layer: new Conv2D({ filters: 2, kernelSize: 3, name: 'conv' }), inputs: ['both'] },
        { layer: new Flatten({ name: 'flat' }), inputs: ['conv'] },
        { layer: new Dense({ units: 2, activation: 'softmax', name: 'scores' }), inputs: ['flat'] },
      ],
      name: 'pair',
    });
    it.each([
      [
        'an unknown layer',
        () => saliency(model, image, { layerName: 'c3' }),
        `saliency: model '${model.name}' has no layer 'c3' (its layers: c1, c2, mix, bend, skip, flat, scores)`,
      ],
      [
        'a layer without maps',
        () => saliency(model, image, { layerName: 'flat' }),
        "saliency: layer 'flat' has no feature maps (its output is [500] per example) for Grad-CAM",
      ],
      [
        'the output layer',
        () => saliency(model, image, { layerName: 'scores' }),
        "saliency: layer 'scores' has no feature maps (its output is [4] per example) for Grad-CAM",
      ],
      [
        'a model of two inputs',
        () => saliency(twoInputs, f32(caseRng('x', 2), [6, 6, 1])),
        "saliency: takes a classifier of one input and one output; functional model 'pair' has 2 inputs (left, right): make one of the input and output wanted (layers.model)",
      ],
      ['a layer for the gradient method', () => saliency(model, image, { method: 'gradient', layerName: 'c1' }), "layerName is Grad-CAM's"],
    ])('%s', (_, work, message) => {
      expect(work).toThrow(message);
    });
  });

  it("a model without feature maps before its output: the input's gradient by default; Grad-CAM asked for is refused", () => {
    const model = new Functional({
      input: { shape: [6, 6, 1], name: 'image' },
      layers: [
        { layer: new Flatten({ name: 'flat' }), inputs: ['image'] },
        { layer: new Dense({ units: 3, activation: 'softmax', name: 'scores' }), inputs: ['flat'] },
      ],
    });
    const image = f32(caseRng('saliency no maps', 6), [6, 6, 1], 0, 1);
    const byDefault = saliency(model, image, { classIndex: 0 });
    expect(byDefault.method).toBe('gradient');
    expectClose(byDefault.map, saliency(model, image, { classIndex: 0, method: 'gradient' }).map, 0, 'the gradient method');
    expect(() => saliency(model, image, { method: 'gradcam' })).toThrow(
      `saliency: model '${model.name}' has no layer with feature maps for Grad-CAM (the 'gradient' method needs none)`,
    );
  });
});

const batchOf = (image: Tensor) => expandDims(image, 0);

describe('saliency: bad input', () => {
  const model = classifier(6);
  const image = f32(caseRng('saliency bad', 6), [12, 12, 2], 0, 1);
  /** The image but for one value at index 9. */
  const withValue = (value: number) => {
    const data = Float32Array.from(image.data as Float32Array);
    data[9] = value;
    return new Tensor(data, image.shape, 'float32');
  };
  const anySize = new Sequential([
    new Conv2D({ filters: 2, kernelSize: 1, activation: 'relu', inputShape: [null, null, 2] }),
    new GlobalAveragePooling2D(),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  it.each([
    [
      'a model that is no classifier',
      () => saliency(new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1] })]), f32(caseRng('x', 0), [8, 8, 1])),
      'outputs [6, 6, 2] per example',
    ],
    ['a class the model lacks', () => saliency(model, image, { classIndex: 5 }), 'classIndex must be a whole number from 0 to 4, got 5'],
    [
      'class 2 of one unit',
      () => saliency(classifier(7, 'channels_last', 'sigmoid'), image, { classIndex: 2 }),
      'classIndex must be a whole number from 0 to 1, got 2',
    ],
    ['an unknown method', () => saliency(model, image, { method: 'cam' as never }), `method must be 'gradcam' or 'gradient', got "cam"`],
    [
      'a layer without maps',
      () => saliency(model, image, { layerName: model.layers[3].name }),
      'has no feature maps (its output is [96] per example) for Grad-CAM',
    ],
    ['the output layer', () => saliency(model, image, { layerName: model.layers[4].name }), 'has no feature maps'],
    [
      'a layer for the gradient method',
      () => saliency(model, image, { method: 'gradient', layerName: 'conv2d' }),
      "layerName is Grad-CAM's",
    ],
    // a NaN or infinite pixel gave an all-NaN Grad-CAM map and score, drawn by showSaliency without a word
    [
      'an image with NaN',
      () => saliency(model, withValue(Number.NaN)),
      'saliency: image has NaN at index 9; its values must be finite numbers',
    ],
    ['an image with -Infinity', () => showSaliency(model, withValue(Number.NEGATIVE_INFINITY)), 'saliency: image has -Infinity at index 9'],
    // Grad-CAM failed in resize, naming it; the gradient method gave a 0 × 0 map and a NaN score
    [
      'an empty image',
      () => saliency(anySize, new Tensor(new Float32Array(0), [0, 0, 2], 'float32'), { method: 'gradient' }),
      'saliency: image is empty (shape [1, 0, 0, 2])',
    ],
    [
      'an empty image for Grad-CAM',
      () => saliency(anySize, new Tensor(new Float32Array(0), [0, 5, 2], 'float32')),
      'saliency: image is empty',
    ],
    [
      'an image of the wrong shape',
      () => saliency(model, f32(caseRng('x', 1), [12, 12, 3])),
      'expected input of shape (None, 12, 12, 2), got [1, 12, 12, 3]',
    ],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});
