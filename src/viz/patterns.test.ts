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
import { Add } from '../layers/merge.js';
import { MaxPool2D } from '../layers/pooling.js';
import { Rescaling } from '../layers/rescaling.js';
import { Sequential } from '../layers/sequential.js';
import { transpose } from '../ops/transpose.js';
import { Tensor } from '../tensor/tensor.js';
import { ascentValues, filterPatterns, showFilterPatterns } from './patterns.js';

function convnet(seed: number, dataFormat: 'channels_last' | 'channels_first' = 'channels_last'): Sequential {
  const inputShape = dataFormat === 'channels_last' ? [10, 10, 2] : [2, 10, 10];
  const model = new Sequential([
    new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', dataFormat, inputShape }),
    new MaxPool2D({ poolSize: 2, dataFormat }),
    new Conv2D({ filters: 5, kernelSize: 3, activation: 'relu', dataFormat }),
    new Flatten(),
    new Dense({ units: 4, activation: 'softmax' }),
  ]);
  randomizeWeights(model, caseRng('filterPatterns weights', seed));
  return model;
}

/** The model in tfjs-layers, from convlens' save, with layer `linear`'s activation taken off (its response before the activation). */
async function inTfjs(model: Sequential, linear?: string): Promise<tfl.LayersModel> {
  const { modelJson, weightData } = model.toArtifacts();
  for (const layer of modelJson.modelTopology.config.layers) if (layer.config.name === linear) layer.config.activation = 'linear';
  return tfjsLoad(modelJson, weightData);
}

/** A tfjs model of `model`'s layers up to `name`. */
const upToLayer = (model: tfl.LayersModel, name: string) =>
  tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor });

/**
 * The ascent as the docs define it, in tfjs: for one filter, the gradient of its mean response
 * (before the layer's activation: `upTo` has none) over the layer's positions, scaled to a root
 * mean square of `stepSize`, added and clipped.
 */
function tfjsAscent(upTo: tfl.LayersModel, start: Tensor, filter: number, steps: number, stepSize: number): Float32Array {
  const response = (x: tf.Tensor) => tf.mean(tf.gather(upTo.apply(x, { training: false }) as tf.Tensor, filter, 3));
  let x = tf.expandDims(tfOf(start), 0);
  for (let s = 0; s < steps; s++) {
    const g = tf.grad(response)(x);
    const rms = tf.sqrt(tf.mean(tf.square(g))).dataSync()[0];
    if (rms === 0) continue; // a filter that does not respond: nothing to follow
    x = tf.clipByValue(tf.add(x, tf.mul(g, stepSize / rms)), 0, 1);
  }
  return x.dataSync() as Float32Array;
}

describe('filterPatterns: gradient ascent on the input, against the same ascent in tfjs', () => {
  forEachBackend(() => {
    it('each filter of a second convolution, from a given start', async () => {
      const model = convnet(1);
      const layer = model.layers[2].name;
      const upTo = upToLayer(await inTfjs(model), layer);
      const beforeRelu = upToLayer(await inTfjs(model, layer), layer);
      const start = f32(caseRng('filterPatterns start', 1), [10, 10, 2], 0.3, 0.7);
      const { patterns, filters, responses } = filterPatterns(model, layer, { start, steps: 5, stepSize: 0.05, filters: [0, 2, 4] });
      expect(patterns.shape).toEqual([3, 10, 10, 2]);
      expect(filters).toEqual([0, 2, 4]);
      // the comparison follows real ascents: most of these filters respond and rise
      expect(responses.filter(({ start, end }) => end > start).length).toBeGreaterThanOrEqual(2);
      filters.forEach((filter, i) => {
        const expected = tfjsAscent(beforeRelu, start, filter, 5, 0.05);
        expectClose(patterns.data.subarray(i * 200, (i + 1) * 200), expected, 1e-4, `filter ${filter}`);
        const [startResponse, endResponse] = [start, new Tensor(expected, [10, 10, 2], 'float32')].map(
          (image) => tf.mean(tf.gather(upTo.predict(tf.expandDims(tfOf(image), 0)) as tf.Tensor, filter, 3)).dataSync()[0],
        );
        expectClose([responses[i].start, responses[i].end], [startResponse, endResponse], 1e-4, `filter ${filter} responses`);
      });
    });
  });

  it("raises every live filter's mean response, keeps the image within range, and is the same for the same seed", () => {
    const model = convnet(2);
    const layer = model.layers[0].name;
    const { patterns, responses } = filterPatterns(model, layer, { seed: 3, range: [-1, 1] });
    expect(patterns.shape).toEqual([3, 10, 10, 2]);
    for (const v of patterns.data) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    for (const { start, end } of responses) if (start > 0) expect(end).toBeGreaterThan(start);
    expect(responses.some(({ start, end }) => end > 2 * start && start > 0)).toBe(true);
    expect(Array.from(filterPatterns(model, layer, { seed: 3, range: [-1, 1] }).patterns.data)).toEqual(Array.from(patterns.data));
    expect(Array.from(filterPatterns(model, layer, { seed: 4, range: [-1, 1] }).patterns.data)).not.toEqual(Array.from(patterns.data));
  });

  it('a model that scales its own pixels (a Rescaling first) starts and stays within 0..255 by default, the range it takes', () => {
    const model = new Sequential([new Rescaling({ scale: 1 / 255, inputShape: [10, 10, 2] }), ...convnet(5).layers]);
    randomizeWeights(model, caseRng('filterPatterns rescaling', 5));
    const layer = model.layers[1].name;
    // one step from gray (127.5) with ±5% noise, of 2% of 255: far outside 0..1
    const { patterns } = filterPatterns(model, layer, { seed: 1, steps: 1 });
    for (const v of patterns.data) expect(v > 100 && v < 155).toBe(true);
    const explicit = filterPatterns(model, layer, { seed: 1, steps: 1, range: [0, 255] }).patterns;
    expect(Array.from(patterns.data)).toEqual(Array.from(explicit.data));
    // after 30 steps, within it
    for (const v of filterPatterns(model, layer, { seed: 1 }).patterns.data) expect(v >= 0 && v <= 255).toBe(true);
  });

  it("a Dense layer's units (the class a classifier's input would be taken for)", () => {
    const model = convnet(3);
    const { patterns, responses } = filterPatterns(model, model.layers[4].name, { steps: 10 });
    expect(patterns.shape).toEqual([4, 10, 10, 2]);
    for (const { start, end } of responses) expect(end).toBeGreaterThan(start);
  });

  it('a channels-first model gives the same patterns in its own layout', () => {
    const last = convnet(4);
    const first = convnet(4, 'channels_first');
    // the same filters: channels-first conv kernels are stored as channels-last ones (Keras' layout)
    first.setWeights(last.getWeights());
    const start = f32(caseRng('filterPatterns channels-first', 4), [10, 10, 2], 0.2, 0.8);
    const options = { steps: 4, filters: [1, 2] };
    const ours = filterPatterns(last, last.layers[2].name, { ...options, start });
    const theirs = filterPatterns(first, first.layers[2].name, { ...options, start: transpose(start, [2, 0, 1]) as Tensor<'float32'> });
    expect(theirs.patterns.shape).toEqual([2, 2, 10, 10]);
    expectClose(transpose(theirs.patterns, [0, 2, 3, 1]), ours.patterns, 1e-5, 'patterns');
  });

  it("a functional model's layer: the model cut there, as the same ascent in tfjs on Keras' Model(inputs, layer.output)", async () => {
    const model = new Functional({
      input: { shape: [8, 8, 1], name: 'image' },
      layers: [
        { layer: new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'left' }), inputs: ['image'] },
        { layer: new Conv2D({ filters: 3, kernelSize: 1, name: 'right' }), inputs: ['image'] },
        { layer: new Add({ name: 'sum' }), inputs: ['left', 'right'] },
        { layer: new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', name: 'top' }), inputs: ['sum'] },
        { layer: new Flatten({ name: 'flat' }), inputs: ['top'] },
        { layer: new Dense({ units: 2, activation: 'softmax', name: 'scores' }), inputs: ['flat'] },
      ],
    });
    randomizeWeights(model, caseRng('filterPatterns functional', 7));
    const { modelJson, weightData } = model.toArtifacts();
    for (const layer of modelJson.modelTopology.config.layers) if (layer.config.name === 'top') layer.config.activation = 'linear';
    const beforeRelu = upToLayer(await tfjsLoad(modelJson, weightData), 'top');
    const start = f32(caseRng('filterPatterns functional start', 7), [8, 8, 1], 0.3, 0.7);
    const { patterns, responses } = filterPatterns(model, 'top', { start, steps: 4, stepSize: 0.05 });
    expect(patterns.shape).toEqual([4, 8, 8, 1]);
    for (let filter = 0; filter < 4; filter++) {
      expectClose(
        patterns.data.subarray(filter * 64, (filter + 1) * 64),
        tfjsAscent(beforeRelu, start, filter, 4, 0.05),
        1e-4,
        `filter ${filter}`,
      );
    }
    expect(responses.some(({ start: before, end }) => end > before)).toBe(true);
  });

  it('showFilterPatterns draws one captioned tile per filter', async () => {
    const model = convnet(5);
    const figure = showFilterPatterns(model, model.layers[2].name, { filters: [0, 1, 3], steps: 3, tileSize: 40 });
    for (const f of [0, 1, 3]) expect(figure.svg).toContain(`filter ${f}`);
    expect(figure.svg).not.toContain('filter 2');
    expect(figure.svg).toContain(`What the filters of ${model.layers[2].name} look for`);
    expect((await figure.png()).subarray(1, 4)).toEqual(new TextEncoder().encode('PNG'));
    // an RGB model's patterns in colour: its tiles are embedded as RGB images
    const rgb = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 3] })]);
    expect(showFilterPatterns(rgb, rgb.layers[0].name, { steps: 2 }).svg).toContain('filter 1');
  });
});

describe('filterPatterns: bad input', () => {
  const model = convnet(6);
  const layer = model.layers[2].name;
  const wide = new Sequential([new Conv2D({ filters: 48, kernelSize: 1, inputShape: [null, null, 1], name: 'wide' })]);
  /** A start image in range but for one value at index 7. */
  const withValue = (value: number) => {
    const start = f32(caseRng('filterPatterns bad start', 6), [10, 10, 2], 0, 1);
    (start.data as Float32Array)[7] = value;
    return start;
  };
  it.each([
    [
      'a filter the layer does not have',
      () => filterPatterns(model, layer, { filters: [5] }),
      "filter 5 is not one of the layer's 5 filters (0 to 4)",
    ],
    ['no filters', () => filterPatterns(model, layer, { filters: [] }), 'filters is empty'],
    // named by filterPatterns, not by the inputGradient it calls
    ['an unknown layer', () => filterPatterns(model, 'conv9', {}), /^filterPatterns: model '\w+' has no layer 'conv9' \(its layers: /],
    [
      'a range the wrong way round',
      () => filterPatterns(model, layer, { range: [1, 0] }),
      'range must be two finite numbers [low, high] with low < high, got [1, 0]',
    ],
    [
      'a start of the wrong shape',
      () => filterPatterns(model, layer, { start: f32(caseRng('s', 0), [10, 10, 3]) }),
      'start must be a float32 image of the shape the model takes, [10, 10, 2], got a float32 tensor of shape [10, 10, 3]',
    ],
    // a NaN start gave NaN patterns and responses; an infinite one was clamped without a word
    [
      'a start with NaN',
      () => filterPatterns(model, layer, { start: withValue(Number.NaN) }),
      'start has NaN at index 7; its values must be finite',
    ],
    [
      'a start with Infinity',
      () => filterPatterns(model, layer, { start: withValue(Number.POSITIVE_INFINITY) }),
      'start has Infinity at index 7',
    ],
    // threw a RangeError once the batch of 90 reached the convolution (the first image alone took seconds)
    [
      'more filters of a free-size model than an array of the outputs holds',
      () => filterPatterns(wide, 'wide', { size: [1024, 1024], filters: Array.from({ length: 90 }, (_, i) => i % 48), steps: 1 }),
      "filterPatterns: 90 images of shape [1024, 1024, 1] (one per filter) make layer 'wide' output 4,529,848,320 values, more than the 4,294,967,296 one array holds: give a smaller size or fewer filters",
    ],
    ['a negative step count', () => filterPatterns(model, layer, { steps: -1 }), 'steps must be a whole number'],
    ['not a model', () => filterPatterns({} as Sequential, layer), 'filterPatterns: model must be a Sequential or functional model, got'],
    ['an unknown option', () => filterPatterns(model, layer, { iterations: 3 } as never), 'iterations'],
  ])('%s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});

describe('ascentValues: what filterPatterns keeps at once', () => {
  it('its images (one per filter) and each layer output and gradient for them', () => {
    const model = new Sequential([
      new Conv2D({ filters: 8, kernelSize: 3, inputShape: [null, null, 1], name: 'conv' }),
      new MaxPool2D({ poolSize: 2, name: 'pool' }),
    ]);
    // 64×64 by default: conv 62×62×8, pool 31×31×8
    expect(ascentValues(model, 'pool')).toBe(8 * (64 * 64 + 2 * (62 * 62 * 8 + 31 * 31 * 8)));
    // 20×30, one filter: conv 18×28×8, pool 9×14×8
    expect(ascentValues(model, 'pool', { size: [20, 30], filters: [3] })).toBe(20 * 30 + 2 * (18 * 28 * 8 + 9 * 14 * 8));
    expect(ascentValues(model, 'conv', { start: f32(caseRng('ascentValues', 0), [5, 6, 1]), filters: [0, 1] })).toBe(
      2 * (5 * 6 + 2 * (3 * 4 * 8)),
    );
  });
});
