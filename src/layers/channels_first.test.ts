import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import {
  expectSameSgdFit,
  f32,
  alternatingLabels as labels,
  randomizeWeights,
  tfjsLoad,
  tfjsSaved,
  tfOf,
} from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { transpose } from '../ops/transpose.js';
import { Random, setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  Add,
  AvgPool2D,
  BatchNormalization,
  Conv2D,
  Conv2DTranspose,
  Cropping2D,
  Dense,
  DepthwiseConv2D,
  Flatten,
  fromArtifacts,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  Input,
  type Layer,
  MaxPool2D,
  model,
  RandomContrast,
  RandomFlip,
  RandomRotation,
  resetNames,
  SeparableConv2D,
  Sequential,
  SpatialDropout2D,
  UpSampling2D,
  ZeroPadding2D,
} from './index.js';

beforeEach(() => resetNames());

/** Channels-first examples [channels, height, width] into the first convolution. */
const INPUT = [2, 6, 7];

/** A layer in channels-first layout in both libraries: ours, and tfjs-layers' with the same settings. */
interface Case {
  name: string;
  ours: () => Layer;
  /** tfjs' layer with the same settings: what it saves and reads. */
  theirs: () => tfl.layers.Layer;
  /** The layers that compute the reference in tfjs, where its own layer computes wrongly (by default `theirs`). */
  reference?: () => tfl.layers.Layer[];
  /** Its output is one vector per example (no Flatten after it: tfjs' takes images only). */
  flat?: boolean;
  /** Why tfjs' fit cannot be the reference (a wrong gradient in tfjs), where it cannot. */
  noFit?: string;
}

const CF = { dataFormat: 'channels_first' } as const;
const TF_CF = { dataFormat: 'channelsFirst' } as const;
/** [[top, bottom], [left, right]] for Cropping2D and ZeroPadding2D. */
const CROP: [[number, number], [number, number]] = [
  [1, 0],
  [2, 1],
];
const PAD: [[number, number], [number, number]] = [
  [1, 2],
  [0, 1],
];

/**
 * Batch normalization over axis 1 in tfjs: over the last axis between two Permutes. tfjs' own
 * axis 1 normalises wrongly (its CPU kernel reads the statistics as if the channels were last) and
 * does not train (a reshape fails).
 */
const batchNormOverAxis1 = (momentum: number) => [
  tfl.layers.permute({ dims: [2, 3, 1] }),
  tfl.layers.batchNormalization({ axis: -1, momentum }),
  tfl.layers.permute({ dims: [3, 1, 2] }),
];

const CASES: Case[] = [
  {
    name: 'Conv2D, strides and a ReLU',
    ours: () => new Conv2D({ filters: 3, kernelSize: [2, 3], strides: [1, 2], activation: 'relu', ...CF }),
    theirs: () => tfl.layers.conv2d({ filters: 3, kernelSize: [2, 3], strides: [1, 2], activation: 'relu', ...TF_CF }),
  },
  {
    name: "Conv2D, SAME, tanh (tfjs' spelling channelsFirst)",
    ours: () => new Conv2D({ filters: 2, kernelSize: [3, 2], padding: 'same', activation: 'tanh', dataFormat: 'channelsFirst' }),
    theirs: () => tfl.layers.conv2d({ filters: 2, kernelSize: [3, 2], padding: 'same', activation: 'tanh', ...TF_CF }),
  },
  {
    name: 'Conv2DTranspose',
    ours: () => new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...CF }),
    theirs: () => tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...TF_CF }),
  },
  {
    name: 'DepthwiseConv2D',
    ours: () => new DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', ...CF }),
    theirs: () => tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', ...TF_CF }),
  },
  {
    name: 'SeparableConv2D',
    // no bias: tfjs-layers 4 adds it channels-first to its channels-last result, which fails
    ours: () => new SeparableConv2D({ filters: 3, kernelSize: [3, 2], depthMultiplier: 2, strides: 2, useBias: false, ...CF }),
    theirs: () => tfl.layers.separableConv2d({ filters: 3, kernelSize: [3, 2], depthMultiplier: 2, strides: 2, useBias: false, ...TF_CF }),
  },
  {
    name: 'MaxPool2D',
    ours: () => new MaxPool2D({ poolSize: 2, ...CF }),
    theirs: () => tfl.layers.maxPooling2d({ poolSize: 2, ...TF_CF }),
  },
  {
    name: 'AvgPool2D, overlapping windows',
    ours: () => new AvgPool2D({ poolSize: [3, 2], strides: [2, 1], ...CF }),
    theirs: () => tfl.layers.averagePooling2d({ poolSize: [3, 2], strides: [2, 1], ...TF_CF }),
  },
  {
    name: 'AvgPool2D, SAME',
    ours: () => new AvgPool2D({ poolSize: 3, strides: 2, padding: 'same', ...CF }),
    theirs: () => tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', ...TF_CF }),
    noFit: "tfjs' AvgPoolGrad divides by the whole window, where its forward pass counts only the cells inside",
  },
  {
    name: 'GlobalMaxPooling2D',
    ours: () => new GlobalMaxPooling2D(CF),
    theirs: () => tfl.layers.globalMaxPooling2d(TF_CF),
    flat: true,
  },
  {
    name: 'GlobalAveragePooling2D',
    ours: () => new GlobalAveragePooling2D(CF),
    theirs: () => tfl.layers.globalAveragePooling2d(TF_CF),
    flat: true,
  },
  {
    name: 'Cropping2D',
    ours: () => new Cropping2D({ cropping: CROP, ...CF }),
    theirs: () => tfl.layers.cropping2D({ cropping: CROP, ...TF_CF }),
  },
  {
    name: 'ZeroPadding2D',
    ours: () => new ZeroPadding2D({ padding: PAD, ...CF }),
    theirs: () => tfl.layers.zeroPadding2d({ padding: PAD, ...TF_CF }),
  },
  {
    name: 'UpSampling2D',
    // nearest only: tfjs' bilinear has no half-pixel centres, unlike Keras' and ours
    ours: () => new UpSampling2D({ size: [2, 3], ...CF }),
    theirs: () => tfl.layers.upSampling2d({ size: [2, 3], ...TF_CF }),
    noFit: "tfjs' ResizeNearestNeighbor gradient is wrong (see up_sampling.test.ts); its gradient is checked below",
  },
  {
    name: 'BatchNormalization over axis 1',
    ours: () => new BatchNormalization({ axis: 1, momentum: 0.8 }),
    theirs: () => tfl.layers.batchNormalization({ axis: 1, momentum: 0.8 }),
    reference: () => batchNormOverAxis1(0.8),
  },
];

/**
 * Conv2D (channels-first, ReLU) → the case's layer → Flatten (channels-first) → Dense softmax in
 * both libraries, with the same weights (a batch normalization's random): the gradient of every
 * layer before the case's goes through its backward. tfjs' model computes the case's reference,
 * or holds its own layer with `asSaved`.
 */
function twins(c: Case, { asSaved = false } = {}) {
  const ours = new Sequential([
    new Conv2D({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu', inputShape: INPUT, ...CF }),
    c.ours(),
    ...(c.flat ? [] : [new Flatten(CF)]),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
  const middle = asSaved || !c.reference ? [c.theirs()] : c.reference();
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu', inputShape: INPUT, ...TF_CF }),
      ...middle,
      ...(c.flat ? [] : [tfl.layers.flatten(TF_CF)]),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const rng = caseRng('channels-first weights', CASES.indexOf(c));
  for (const layer of ours.layers) if (layer instanceof BatchNormalization) randomizeWeights(layer, rng);
  setSameWeights(ours, theirs);
  return { ours, theirs, caseOutput: theirs.layers[middle.length].outputShape as number[] };
}

/** Our weights into tfjs' model, layer by layer (its model-wide list puts the moving statistics last). */
function setSameWeights(ours: Sequential, theirs: tfl.LayersModel): void {
  const theirLayers = theirs.layers.filter((l) => l.weights.length > 0);
  const ourLayers = ours.layers.filter((l) => l.weights.length > 0);
  for (const [i, layer] of ourLayers.entries()) theirLayers[i].setWeights(layer.getWeights().map(tfOf));
}

/** tfjs' weights in our order, layer by layer. */
const weightsByLayer = (theirs: tfl.LayersModel) => () => theirs.layers.flatMap((l) => l.getWeights());

const predicted = (model: tfl.LayersModel, x: Tensor) => (model.predict(tfOf(x)) as tf.Tensor).dataSync();

forEachBackend(() => {
  describe('channels-first layers against tfjs-layers', () => {
    for (const [i, c] of CASES.entries()) {
      it(`${c.name}: shapes, predict, and fit's losses and weights (SGD)`, async () => {
        setSeed(700 + i);
        const { ours, theirs, caseOutput } = twins(c);
        expect(ours.layers[1].outputShape).toEqual(caseOutput.slice(1));
        expect(ours.outputShape).toEqual((theirs.outputs[0].shape as number[]).slice(1));
        const x = f32(caseRng('channels-first input', i), [4, ...INPUT]);
        expectClose(ours.predict(x), predicted(theirs, x), 1e-5, 'predict');
        if (c.noFit) return;
        await expectSameSgdFit(ours, theirs, x, labels(4), {
          epochs: 2,
          batchSize: 2,
          learningRate: 0.3,
          theirWeights: weightsByLayer(theirs),
        });
      });
    }

    it('a small convnet (Conv2D → MaxPool2D → BatchNormalization(axis 1) → Conv2D → GlobalAveragePooling2D → Dense) trains as in tfjs', async () => {
      setSeed(720);
      const ours = new Sequential([
        new Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [3, 8, 8], ...CF }),
        new MaxPool2D(2, CF),
        new BatchNormalization({ axis: 1, momentum: 0.8 }),
        new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', ...CF }),
        new GlobalAveragePooling2D(CF),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [3, 8, 8], ...TF_CF }),
          tfl.layers.maxPooling2d({ poolSize: 2, ...TF_CF }),
          ...batchNormOverAxis1(0.8),
          tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', ...TF_CF }),
          tfl.layers.globalAveragePooling2d(TF_CF),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      setSameWeights(ours, theirs);
      const x = f32(caseRng('channels-first convnet', 0), [6, 3, 8, 8]);
      await expectSameSgdFit(ours, theirs, x, labels(6), {
        epochs: 3,
        batchSize: 3,
        learningRate: 0.2,
        theirWeights: weightsByLayer(theirs),
      });
      expectClose(ours.predict(x), predicted(theirs, x), 1e-4, 'predict after fit');
    });

    it('a functional residual block (Conv2D → Conv2D + the input → MaxPool2D → Flatten → Dense) trains as in tfjs', async () => {
      setSeed(722);
      const input = Input({ shape: [3, 6, 5] });
      let h = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', ...CF }).apply(input);
      h = new Conv2D({ filters: 3, kernelSize: [2, 3], padding: 'same', ...CF }).apply(h);
      h = new MaxPool2D(2, CF).apply(new Add().apply([h, input]));
      const ours = model({ inputs: input, outputs: new Dense({ units: 2, activation: 'softmax' }).apply(new Flatten(CF).apply(h)) });
      const theirInput = tfl.input({ shape: [3, 6, 5] });
      const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;
      let t = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', ...TF_CF }), theirInput);
      t = apply(tfl.layers.conv2d({ filters: 3, kernelSize: [2, 3], padding: 'same', ...TF_CF }), t);
      t = apply(tfl.layers.maxPooling2d({ poolSize: 2, ...TF_CF }), apply(tfl.layers.add(), [t, theirInput]));
      const output = apply(tfl.layers.dense({ units: 2, activation: 'softmax' }), apply(tfl.layers.flatten(TF_CF), t));
      const theirs = tfl.model({ inputs: theirInput, outputs: output });
      theirs.setWeights(ours.getWeights().map(tfOf));
      const x = f32(caseRng('channels-first functional', 0), [6, 3, 6, 5]);
      expectClose(ours.predict(x) as Tensor, predicted(theirs, x), 1e-5, 'predict');
      await expectSameSgdFit(ours, theirs, x, labels(6), { epochs: 2, batchSize: 3, learningRate: 0.3 });
    });

    it('a channels-first convolution with sigmoid as the last layer: its logits, in the output layout, feed the loss', async () => {
      setSeed(721);
      const config = { filters: 2, kernelSize: 3, padding: 'same', activation: 'sigmoid' } as const;
      const ours = new Sequential([new Conv2D({ ...config, inputShape: [2, 3, 4], ...CF })]);
      const theirs = tfl.sequential({ layers: [tfl.layers.conv2d({ ...config, inputShape: [2, 3, 4], ...TF_CF })] });
      theirs.setWeights(ours.getWeights().map(tfOf));
      const x = f32(caseRng('channels-first sigmoid', 0), [3, 2, 3, 4]);
      const y = new Tensor(
        Float32Array.from({ length: x.size }, (_, i) => (i % 3 === 0 ? 1 : 0)),
        x.shape,
        'float32',
      );
      await expectSameSgdFit(ours, theirs, x, y, { epochs: 2, batchSize: 3, learningRate: 0.5, loss: 'binaryCrossentropy' });
    });
  });
});

describe('channels-first layers: Flatten, global pooling with keepdims, summary', () => {
  it("the gradients tfjs gets wrong (UpSampling2D, AvgPool2D SAME) are their forward pass' adjoints: <f(x), dy> = <x, backward(dy)>", () => {
    const dot = (a: Tensor<'float32'>, b: Tensor<'float32'>) => a.data.reduce((sum, v, i) => sum + v * b.data[i], 0);
    for (const c of CASES.filter((k) => k.noFit)) {
      const layer = c.ours();
      const rng = caseRng('channels-first adjoint', CASES.indexOf(c));
      const x = f32(rng, [2, ...INPUT]);
      const y = layer.apply(x, true);
      const dy = f32(rng, y.shape);
      const dx = layer.backward(dy, true)!;
      expect(dx.shape).toEqual(x.shape);
      expectClose([dot(x, dx)], [dot(y, dy)], 1e-5, c.name);
    }
  });

  it("Flatten moves the channels last before flattening, as tfjs-layers' Flatten does (images and rank-2 examples)", () => {
    for (const shape of [
      [3, 4, 5],
      [3, 4],
      [2, 3, 2, 2],
    ]) {
      const ours = new Sequential([new Flatten({ inputShape: shape, ...CF })]);
      const theirs = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: shape, ...TF_CF })] });
      const x = f32(caseRng('channels-first flatten', shape.length), [2, ...shape]);
      expectClose(ours.predict(x), predicted(theirs, x), 0, `shape ${shape}`);
    }
  });

  it("keepdims keeps height and width as 1 after the channels (Keras' [batch, channels, 1, 1]); the values are tfjs' pooled ones", () => {
    const x = f32(caseRng('channels-first keepdims', 0), [2, 3, 4, 5]);
    for (const [Ours, theirs] of [
      [GlobalMaxPooling2D, tfl.layers.globalMaxPooling2d(TF_CF)],
      [GlobalAveragePooling2D, tfl.layers.globalAveragePooling2d(TF_CF)],
    ] as const) {
      const model = new Sequential([new Ours({ keepdims: true, inputShape: [3, 4, 5], ...CF })]);
      expect(model.outputShape).toEqual([3, 1, 1]);
      const y = model.predict(x);
      expect(y.shape).toEqual([2, 3, 1, 1]);
      expectClose(y, (theirs.apply(tfOf(x)) as tf.Tensor).dataSync(), 1e-6, Ours.name);
    }
  });

  it("summary() shows the shapes in the channels-first layout, as tfjs-layers' outputShape", () => {
    const { ours, theirs } = twins(CASES[0]);
    const text = ours.summary(null);
    for (const layer of theirs.layers) {
      const shape = `(None, ${(layer.outputShape as number[]).slice(1).join(', ')})`;
      expect(text).toContain(shape);
    }
    expect(text).toContain('conv2d_1 (Conv2D)           (None, 3, 5, 3)');
  });
});

describe('channels-first layers: saving and loading', () => {
  /** One model with every case's layer (and the random layers, which pass through at inference). */
  function everyLayer() {
    return new Sequential([
      new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [2, 9, 8], ...CF }),
      new RandomFlip({ mode: 'horizontal', ...CF }),
      new RandomContrast({ factor: 0.2, ...CF }),
      new RandomRotation({ factor: 0.1, ...CF }),
      new SpatialDropout2D({ rate: 0.2, ...CF }),
      new DepthwiseConv2D({ kernelSize: 2, depthMultiplier: 2, ...CF }),
      new SeparableConv2D({ filters: 4, kernelSize: 2, padding: 'same', ...CF }),
      new BatchNormalization({ axis: 1 }),
      new Conv2DTranspose({ filters: 3, kernelSize: 2, strides: 2, ...CF }),
      new MaxPool2D({ poolSize: 2, ...CF }),
      new ZeroPadding2D({ padding: 1, ...CF }),
      new Cropping2D({
        cropping: [
          [0, 1],
          [1, 0],
        ],
        ...CF,
      }),
      new UpSampling2D({ size: 2, ...CF }),
      new AvgPool2D({ poolSize: 3, ...CF }),
      new GlobalMaxPooling2D({ keepdims: true, ...CF }),
      new Flatten(CF),
      new Dense({ units: 2 }),
    ]);
  }

  it("writes data_format 'channels_first' and loads back the same model", () => {
    const model = everyLayer();
    randomizeWeights(model, caseRng('channels-first save', 0));
    const { modelJson } = model.toArtifacts();
    const configs = (modelJson.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config
      .layers;
    for (const { class_name, config } of configs) {
      const expected = ['BatchNormalization', 'Dense'].includes(class_name) ? undefined : 'channels_first';
      expect(config.data_format, class_name).toBe(expected);
    }
    expect(configs.find((l) => l.class_name === 'BatchNormalization')?.config.axis).toBe(1);
    const loaded = fromArtifacts(model.toArtifacts());
    expect(loaded.layers.map((l) => l.outputShape)).toEqual(model.layers.map((l) => l.outputShape));
    const x = f32(caseRng('channels-first save', 1), [2, 2, 9, 8]);
    expectClose(loaded.predict(x), model.predict(x), 0, 'round trip');
  });

  it('loads what tfjs-layers saves with channels_first, and tfjs-layers loads what convlens saves', async () => {
    for (const [i, c] of CASES.entries()) {
      const { ours, theirs } = twins(c, { asSaved: true });
      const x = f32(caseRng('channels-first tfjs files', i), [2, ...INPUT]);
      const saved = await tfjsSaved(theirs);
      expect(JSON.stringify(saved.modelJson)).toContain('"channels_first"');
      // ours computes as tfjs' reference (checked above): tfjs' file must compute the same here
      expectClose(fromArtifacts(saved.modelJson, saved.weightData).predict(x), ours.predict(x), 1e-5, `${c.name}: tfjs' file`);
      const ourFiles = ours.toArtifacts();
      const theirLoad = await tfjsLoad(ourFiles.modelJson, ourFiles.weightData as ArrayBuffer);
      expectClose(predicted(theirLoad, x), predicted(theirs, x), 0, `${c.name}: our file is the model tfjs built`);
    }
  });
});

describe('channels-first augmentation and spatial dropout (no tfjs-layers counterpart: Keras 3 semantics)', () => {
  const x = f32(caseRng('channels-first augmentation', 0), [5, 2, 4, 6], 0, 1);

  it("RandomFlip flips each drawn image along the width (Keras' horizontal), whole, in [batch, channels, height, width]", () => {
    const out = new RandomFlip({ mode: 'horizontal', seed: 5, ...CF }).apply(x, true);
    const draws = new Random(5);
    const [batch, channels, height, width] = x.shape;
    for (let n = 0; n < batch; n++) {
      const flipped = draws.next() <= 0.5;
      for (let i = 0; i < channels * height * width; i++) {
        const col = i % width;
        const from = n * channels * height * width + i - col + (flipped ? width - 1 - col : col);
        expect(out.data[n * channels * height * width + i]).toBe(x.data[from]);
      }
    }
  });

  it('RandomContrast scales each image channel about its own mean over height and width, clipped (channels on axis 1)', () => {
    const factor = 0.5;
    const out = new RandomContrast({ factor, valueRange: [0, 1], seed: 6, ...CF }).apply(x, true);
    const draws = new Random(6);
    const [batch, channels, height, width] = x.shape;
    const area = height * width;
    for (let n = 0; n < batch; n++) {
      const f = Math.fround(1 - factor + 2 * factor * draws.next());
      for (let c = 0; c < channels; c++) {
        const start = (n * channels + c) * area;
        const plane = Array.from(x.data.subarray(start, start + area));
        const mean = plane.reduce((a, b) => a + b, 0) / area;
        const expected = plane.map((v) => Math.min(1, Math.max(0, (v - mean) * f + mean)));
        expectClose(out.data.subarray(start, start + area), expected, 1e-5, `image ${n} channel ${c}`);
      }
    }
  });

  it('RandomRotation (and the other layers through the same adapter) gives the channels-last output in the channels-first layout, for the same draws', () => {
    const first = new RandomRotation({ factor: 0.2, seed: 7, ...CF }).apply(x, true);
    const last = new RandomRotation({ factor: 0.2, seed: 7 }).apply(transpose(x, [0, 2, 3, 1]), true);
    expectClose(first, transpose(last, [0, 3, 1, 2]), 0, 'rotation');
  });

  it('SpatialDropout2D drops whole channels ([batch, channels, 1, 1] noise), on the same draws as channels-last', () => {
    const rate = 0.5;
    setSeed(8);
    const out = new SpatialDropout2D({ rate, ...CF }).apply(x, true);
    setSeed(8);
    const last = new SpatialDropout2D(rate).apply(transpose(x, [0, 2, 3, 1]), true);
    const scale = Math.fround(1 / (1 - rate));
    const [batch, channels, height, width] = x.shape;
    let dropped = 0;
    for (let plane = 0; plane < batch * channels; plane++) {
      const values = Array.from({ length: height * width }, (_, p) => plane * height * width + p);
      const kept = out.data[values[0]] !== 0;
      if (!kept) dropped++;
      for (const i of values) expect(out.data[i]).toBe(kept ? Math.fround(x.data[i] * scale) : 0);
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(batch * channels);
    expectClose(out, transpose(last, [0, 3, 1, 2]), 0, 'same draws');
  });
});

describe('channels-first: errors', () => {
  it('an image layer checks its input in its own layout, naming the axes', () => {
    expectConvlensError(
      () => new Sequential([new MaxPool2D({ inputShape: [4, 4], name: 'p', ...CF })]),
      'p (MaxPooling2D): expected inputs of shape (channels, height, width), got [4, 4]',
    );
    expectConvlensError(
      () => new MaxPool2D({ name: 'q', ...CF }).apply(f32(caseRng('channels-first unbatched', 0), [3, 4, 4])),
      'q (MaxPooling2D): apply takes a batch [batch, channels, height, width], got shape [3, 4, 4] (for one image, expandDims(x, 0) adds the batch axis; for gray images without a channel axis, expandDims(x, 1) adds it)',
    );
    // [1, 2, 8] is one channel of 2 × 8 pixels: a 3 × 3 window does not fit its height
    expectConvlensError(
      () => new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [1, 2, 8], name: 'c', ...CF })]),
      'c (Conv2D): conv2d: window height 3 is larger than the input height 2 under VALID padding',
    );
    expectConvlensError(
      () =>
        new Sequential([
          new Cropping2D({
            cropping: [
              [0, 0],
              [3, 4],
            ],
            inputShape: [2, 5, 7],
            name: 'k',
            ...CF,
          }),
        ]),
      'k (Cropping2D): cropping [[0, 0], [3, 4]] leaves nothing of inputs of shape (2, 5, 7): top + bottom (0) must be less than the height 5, and left + right (7) less than the width 7',
    );
  });

  it('softmax on a channels-first convolution is refused: Keras takes it over the width there', () => {
    for (const make of [
      () => new Conv2D({ filters: 2, kernelSize: 3, activation: 'softmax', name: 'l', ...CF }),
      () => new DepthwiseConv2D({ kernelSize: 3, activation: 'softmax', name: 'l', ...CF }),
      () => new SeparableConv2D({ filters: 2, kernelSize: 3, activation: 'softmax', name: 'l', ...CF }),
    ]) {
      expectConvlensError(
        make,
        /^(Conv2D|DepthwiseConv2D|SeparableConv2D) 'l': activation 'softmax' is not supported with dataFormat 'channels_first' \(Keras takes that softmax over the last axis, the width, /,
      );
      resetNames();
    }
    expect(new Conv2D({ filters: 2, kernelSize: 3, activation: 'softmax' }).activation).toBe('softmax');
    expectConvlensError(
      () => new Conv2D({ filters: 2, kernelSize: 3, activation: 'logSoftmax', name: 'm', ...CF }),
      /^Conv2D 'm': activation 'log_softmax' is not supported with dataFormat 'channels_first' \(Keras takes that softmax over the last axis, the width, /,
    );
  });

  it('bad data formats are refused, naming the layer and the value; a layer that takes none refuses channels_first in a file', () => {
    expectConvlensError(
      () => new Conv2DTranspose({ filters: 1, kernelSize: 2, dataFormat: 'NCHW' as never, name: 't' }),
      "Conv2DTranspose 't': unknown dataFormat \"NCHW\" (expected 'channels_last' or 'channels_first')",
    );
    expectConvlensError(
      () => new Cropping2D({ dataFormat: 1 as never, name: 'k' }),
      "Cropping2D 'k': unknown dataFormat 1 (expected 'channels_last' or 'channels_first')",
    );
    const json = {
      modelTopology: {
        class_name: 'Sequential',
        config: {
          layers: [
            { class_name: 'Flatten', config: { name: 'f', data_format: 'channels_first', batch_input_shape: [null, 2, 3, 3] } },
            { class_name: 'Dense', config: { name: 'd', units: 1, data_format: 'channels_first' } },
          ],
        },
      },
      weightsManifest: [],
    };
    expectConvlensError(
      () => fromArtifacts(json, new ArrayBuffer(0)),
      `fromArtifacts: layer 1 'd' (Dense): data_format "channels_first" is not supported (only channels_last: this layer takes no data format)`,
    );
  });
});
