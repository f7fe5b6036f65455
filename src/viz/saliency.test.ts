import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { f32, randomizeWeights, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Conv2D } from '../layers/conv2d.js';
import { Dense } from '../layers/dense.js';
import { Flatten } from '../layers/flatten.js';
import { Functional } from '../layers/functional.js';
import { GlobalAveragePooling2D } from '../layers/global_pooling.js';
import { Add } from '../layers/merge.js';
import { MaxPool2D } from '../layers/pooling.js';
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
async function tfjsScores(model: Sequential): Promise<tfl.LayersModel> {
  const { modelJson, weightData } = model.toArtifacts();
  return tfjsLoad(JSON.parse(JSON.stringify(modelJson).replace(/"activation":"(softmax|sigmoid)"/, '"activation":"linear"')), weightData);
}

/** The class score's gradient on the logits: one-hot, less 1/classes for a softmax (its logits count only by their differences). */
function scoreGradient(classes: number, classIndex: number, softmax: boolean): tf.Tensor {
  return tf.tensor([Array.from({ length: classes }, (_, c) => (c === classIndex ? 1 : 0) - (softmax ? 1 / classes : 0))]);
}

const unit = (t: tf.Tensor) => tf.div(t, tf.max(t));

describe('saliency against tfjs-layers', () => {
  forEachBackend(() => {
    it("'gradient': each pixel's largest gradient size over the channels, of the class score", async () => {
      const model = classifier(1);
      const scores = await tfjsScores(model);
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
      const scores = await tfjsScores(model);
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
      const scores = await tfjsScores(model);
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

  it("a functional classifier: the input's gradient (its default), as tfjs computes it; Grad-CAM is refused", async () => {
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
    const { modelJson, weightData } = model.toArtifacts();
    const scores = await tfjsLoad(
      JSON.parse(JSON.stringify(modelJson).replace('"activation":"softmax"', '"activation":"linear"')),
      weightData,
    );
    const image = f32(caseRng('saliency functional image', 8), [8, 8, 1], 0, 1);
    const g = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(scores.apply(input) as tf.Tensor, scoreGradient(4, 1, true))))(
      tf.expandDims(tfOf(image), 0),
    );
    expectClose(saliency(model, image, { method: 'gradient', classIndex: 1 }).map, unit(tf.max(tf.abs(g), 3)).dataSync(), 1e-4, 'map');
    expect(saliency(model, image, { classIndex: 1 }).method).toBe('gradient');
    expect(() => saliency(model, image, { method: 'gradcam' })).toThrow(
      `saliency: Grad-CAM splits a Sequential model at a layer; for the functional model '${model.name}', method 'gradient'`,
    );
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
