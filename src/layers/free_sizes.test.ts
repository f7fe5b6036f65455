import * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError, expectConvlensRejection } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, alternatingLabels as labels, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import {
  AvgPool2D,
  BatchNormalization,
  Concatenate,
  Conv2D,
  Conv2DTranspose,
  Cropping2D,
  Dense,
  DepthwiseConv2D,
  Flatten,
  fromArtifacts,
  functionalFromArtifacts,
  GlobalAveragePooling2D,
  Input,
  type Layer,
  MaxPool2D,
  model,
  Reshape,
  resetNames,
  SeparableConv2D,
  Sequential,
  UpSampling2D,
  ZeroPadding2D,
} from './index.js';

beforeEach(() => resetNames());

/** (height, width) of the batches each model is run on: one model, images of several sizes. */
const SIZES: [number, number][] = [
  [11, 11],
  [12, 17],
  [23, 14],
];

const predicted = (m: tfl.LayersModel, x: Tensor) => (m.predict(tfOf(x)) as tf.Tensor).dataSync();

/** A tfjs-layers model taking images of any height and width, and the same model as convlens loads it from tfjs' own files. */
async function twins(theirs: tfl.LayersModel) {
  const saved = await tfjsSaved(theirs);
  return { ours: fromArtifacts(saved.modelJson, saved.weightData) };
}

/** Convolutions (strided, dilated, same and valid), pooling and upsampling, then one value per channel and a classifier. */
function theirConvnet(channels: number, { dilationRate = 2, upsample = true } = {}): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, inputShape: [null, null, channels], activation: 'relu' }),
      tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', dilationRate }),
      tfl.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      tfl.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: 'same' }),
      tfl.layers.averagePooling2d({ poolSize: 2 }),
      // last before the global pooling: tfjs-layers 4.22 computes its output's free sizes as 0 (null × 2) (its ZeroPadding2D and
      // Cropping2D too, as 3 and -3), which a layer after it would refuse, and swaps the height and width of a bilinear one:
      // those are checked against models of fixed sizes below
      ...(upsample ? [tfl.layers.upSampling2d({ size: [2, 3] })] : []),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
}

describe('free input sizes (Keras None): one model for images of any height and width', () => {
  forEachBackend((backend) => {
    it('computes as tfjs-layers on images of several sizes, from the model tfjs saves', async () => {
      const theirs = theirConvnet(2);
      const { ours } = await twins(theirs);
      expect(ours.inputShape).toEqual([null, null, 2]);
      expect(ours.layers.map((l) => l.outputShape)).toEqual([
        [null, null, 4],
        [null, null, 3],
        [null, null, 3],
        [null, null, 6],
        [null, null, 6],
        [null, null, 6],
        [6],
        [2],
      ]);
      expect(ours.summary(null)).toContain('(None, None, None, 4)');
      for (const [i, [h, w]] of SIZES.entries()) {
        const x = f32(caseRng('free sizes', i), [2, h, w, 2]);
        expectClose(ours.predict(x), predicted(theirs, x), 1e-5, `${backend} ${h}×${w}`);
      }
    });
  });

  it('gives every layer the output of its own size (feature maps of any image)', async () => {
    const { ours } = await twins(theirConvnet(1));
    const outputs = ours.layerOutputs(f32(caseRng('free sizes maps', 0), [1, 20, 14, 1]));
    expect(outputs.map((o) => o.output.shape).slice(0, 3)).toEqual([
      [1, 9, 6, 4],
      [1, 9, 6, 3],
      [1, 5, 3, 3],
    ]);
  });

  it('writes null sizes that tfjs-layers loads, and reads them back', async () => {
    const theirs = theirConvnet(1);
    const { ours } = await twins(theirs);
    const files = ours.toArtifacts();
    expect(JSON.stringify(files.modelJson)).toContain('"batch_input_shape":[null,null,null,1]');
    const theirLoad = await tfjsLoad(files.modelJson, files.weightData as ArrayBuffer);
    const again = fromArtifacts(files);
    for (const [i, [h, w]] of SIZES.entries()) {
      const x = f32(caseRng('free sizes files', i), [1, h, w, 1]);
      expectClose(predicted(theirLoad, x), predicted(theirs, x), 0, `tfjs reads our file, ${h}×${w}`);
      expectClose(again.predict(x), ours.predict(x), 0, `round trip, ${h}×${w}`);
    }
  });

  it('trains as tfjs-layers does (SGD: losses and every weight), on images of one size and then another', async () => {
    // tfjs-layers takes no gradient of a dilated convolution, and its UpSampling2D's is wrong (the next test checks ours)
    const theirs = theirConvnet(1, { dilationRate: 1, upsample: false });
    const { ours } = await twins(theirs);
    for (const [i, [h, w]] of SIZES.entries()) {
      const x = f32(caseRng('free sizes fit', i), [4, h, w, 1]);
      await expectSameSgdFit(ours, theirs, x, labels(4), { epochs: 2, batchSize: 2, learningRate: 0.2 });
    }
  });

  it('pads, crops, upsamples, transposes, normalises and reshapes each batch as a model built for its size computes it (forward and SGD)', async () => {
    const layers = (inputShape: (number | null)[]) => [
      new Conv2D({ filters: 3, kernelSize: 3, inputShape, activation: 'relu' }),
      new ZeroPadding2D({
        padding: [
          [1, 2],
          [0, 1],
        ],
      }),
      new Cropping2D({
        cropping: [
          [2, 0],
          [1, 1],
        ],
      }),
      new UpSampling2D({ size: [2, 3], interpolation: 'bilinear' }),
      new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }),
      new SeparableConv2D({ filters: 3, kernelSize: 2, depthMultiplier: 2 }),
      new BatchNormalization(),
      new Conv2D({ filters: 2, kernelSize: 2, strides: 2 }),
      new Reshape({ targetShape: [-1, 1, 2] }),
      new GlobalAveragePooling2D(),
      new Dense({ units: 2, activation: 'softmax' }),
    ];
    const free = new Sequential(layers([null, null, 2]));
    const weights = free.getWeights();
    for (const [i, [h, w]] of SIZES.entries()) {
      const fixed = new Sequential(layers([h, w, 2]));
      fixed.setWeights(free.getWeights());
      const x = f32(caseRng('free sizes against fixed', i), [4, h, w, 2]);
      expectClose(free.predict(x), fixed.predict(x), 0, `predict ${h}×${w}`);
      for (const m of [free, fixed]) m.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy' });
      const options = { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 as const };
      const [a, b] = [await free.fit(x, labels(4), options), await fixed.fit(x, labels(4), options)];
      expectClose(a.history.loss, b.history.loss, 0, `fit ${h}×${w}: losses`);
      expectClose(
        free.getWeights().flatMap((t) => [...t.data]),
        fixed.getWeights().flatMap((t) => [...t.data]),
        0,
        `fit ${h}×${w}: weights`,
      );
    }
    expect(free.getWeights()).not.toEqual(weights);
  });

  it('on random chains of image layers and sizes: each size computes as a model built for it, or fails as it does', () => {
    const padding = fc.constantFrom('valid' as const, 'same' as const);
    const small = fc.integer({ min: 1, max: 3 });
    // each entry makes a layer (the first with the input shape), the same settings for both models
    const layer = fc.oneof(
      fc.record({ kind: fc.constant('conv'), k: small, s: small, padding }),
      fc.record({ kind: fc.constant('dilated'), k: small, d: fc.integer({ min: 2, max: 3 }), padding }),
      fc.record({ kind: fc.constant('max'), k: small, s: small, padding }),
      fc.record({ kind: fc.constant('avg'), k: small, s: small, padding }),
      fc.record({ kind: fc.constant('transpose'), k: small, s: small, padding }),
      fc.record({ kind: fc.constant('depthwise'), k: small, s: small, padding }),
      fc.record({ kind: fc.constant('pad'), k: small, s: small, padding }),
      fc.record({ kind: fc.constant('crop'), k: small, s: small, padding }),
      fc.record({ kind: fc.constant('up'), k: small, s: small, padding }),
    );
    type Spec = { kind: string; k: number; s?: number; d?: number; padding: 'valid' | 'same' };
    const make = (spec: Spec, inputShape?: (number | null)[]): Layer => {
      const first = inputShape ? { inputShape } : {};
      const { k, s = 1, padding: pad } = spec;
      switch (spec.kind) {
        case 'conv':
          return new Conv2D({ filters: 2, kernelSize: k, strides: s, padding: pad, ...first });
        case 'dilated':
          return new Conv2D({ filters: 2, kernelSize: k, dilationRate: spec.d, padding: pad, ...first });
        case 'max':
          return new MaxPool2D({ poolSize: k, strides: s, padding: pad, ...first });
        case 'avg':
          return new AvgPool2D({ poolSize: k, strides: s, padding: pad, ...first });
        case 'transpose':
          return new Conv2DTranspose({ filters: 2, kernelSize: k, strides: s, padding: pad, ...first });
        case 'depthwise':
          return new DepthwiseConv2D({ kernelSize: k, strides: s, padding: pad, ...first });
        case 'pad':
          return new ZeroPadding2D({
            padding: [
              [k - 1, s - 1],
              [s, k],
            ],
            ...first,
          });
        case 'crop':
          return new Cropping2D({
            cropping: [
              [k - 1, s - 1],
              [s - 1, k - 1],
            ],
            ...first,
          });
        default:
          return new UpSampling2D({ size: [k, s], interpolation: pad === 'same' ? 'bilinear' : 'nearest', ...first });
      }
    };
    const modelOf = (specs: Spec[], inputShape: (number | null)[]) =>
      new Sequential(specs.map((spec, i) => make(spec, i === 0 ? inputShape : undefined)));
    const outcome = (run: () => Tensor) => {
      try {
        return run();
      } catch (error) {
        if (!(error instanceof ConvlensError)) throw error;
        return 'refused';
      }
    };
    const size = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }));
    fc.assert(
      // one model with free sizes on two sizes in turn, each against a model built for it
      fc.property(
        fc.array(layer, { minLength: 1, maxLength: 4 }),
        small,
        fc.array(size, { minLength: 2, maxLength: 2 }),
        (specs, c, sizes) => {
          const free = modelOf(specs, [null, null, c]);
          for (const [h, w] of sizes) {
            const x = f32(caseRng('free sizes random', h * 13 + w), [2, h, w, c]);
            const fixed = outcome(() => {
              const model = modelOf(specs, [h, w, c]);
              model.setWeights(free.getWeights());
              return model.predict(x);
            });
            const got = outcome(() => free.predict(x));
            if (fixed === 'refused' || got === 'refused') expect(got).toBe(fixed);
            else expectClose(got, fixed, 0, JSON.stringify({ specs, c, h, w }));
          }
        },
      ),
      { numRuns: 150, seed: 20_261_127 },
    );
  });

  it('builds from inputShape with nulls, and a functional model from Input({ shape: [null, null, 3] }), as tfjs-layers computes them', async () => {
    const input = tfl.input({ shape: [null, null, 3] });
    const a = tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
    const joined = tfl.layers.concatenate({}).apply([a, b]) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalMaxPooling2d({}).apply(joined) as tfl.SymbolicTensor;
    const theirs = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 3 }).apply(pooled) as tfl.SymbolicTensor });
    const saved = await tfjsSaved(theirs);
    const ours = functionalFromArtifacts(saved.modelJson, saved.weightData);
    expect(ours.inputShape).toEqual([null, null, 3]);
    for (const [i, [h, w]] of SIZES.entries()) {
      const x = f32(caseRng('free sizes functional', i), [2, h, w, 3]);
      expectClose(ours.predict(x) as Tensor, predicted(theirs, x), 1e-5, `${h}×${w}`);
    }
    // the same model built here rather than loaded
    const x = Input({ shape: [null, null, 3] });
    const ownJoined = new Concatenate().apply([
      new Conv2D({ filters: 2, kernelSize: 3, padding: 'same' }).apply(x),
      new Conv2D({ filters: 3, kernelSize: 1 }).apply(x),
    ]);
    const own = model({ inputs: x, outputs: new Dense({ units: 3 }).apply(new GlobalAveragePooling2D().apply(ownJoined)) });
    expect(own.layers.map((l) => l.outputShape)).toEqual([[null, null, 2], [null, null, 3], [null, null, 5], [5], [3]]);
    expect((own.predict(f32(caseRng('free sizes functional', 9), [1, 7, 11, 3])) as Tensor).shape).toEqual([1, 3]);
  });

  it('leaves one size free and fixes another', () => {
    const net = new Sequential([
      new Conv2D({ filters: 2, kernelSize: 3, inputShape: [null, 8, 1] }),
      new MaxPool2D({}),
      new Reshape({ targetShape: [-1, 6] }),
    ]);
    expect(net.outputShape).toEqual([null, 6]);
    expect(net.predict(f32(caseRng('free sizes one axis', 0), [2, 10, 8, 1])).shape).toEqual([2, 4, 6]);
    expectConvlensError(
      () => net.predict(f32(caseRng('free sizes one axis', 1), [2, 10, 9, 1])),
      'conv2d (Conv2D): expected input of shape (None, None, 8, 1), got [2, 10, 9, 1]',
    );
  });

  it('refuses what needs a known size, naming the layer and the shape', async () => {
    expectConvlensError(
      () =>
        new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [null, null, 1] }), new Flatten(), new Dense({ units: 3 })]),
      /^dense \(Dense\): the last axis of its input must be known, got \(None, None\) \(after a free height or width, GlobalAveragePooling2D/,
    );
    expectConvlensError(
      () => new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [8, 8, null] })]),
      "conv2d_1 (Conv2D): the input's channels must be known, got (None, 8, 8, None) (only the height and width may be free)",
    );
    expectConvlensError(
      () => new Conv2D({ filters: 2, kernelSize: 3, inputShape: [0, null, 1] }),
      "Conv2D 'conv2d_2': inputShape must be a list of positive integers or null (a free size), got [0, null, 1]",
    );
    expectConvlensError(() => Input({ shape: [null, -1, 3] }), /^Input: shape must be a list of positive integers or null \(a free size\)/);
    // a size the model cannot take is the op's error, when the batch comes
    const net = new Sequential([new Conv2D({ filters: 2, kernelSize: 5, inputShape: [null, null, 1] })]);
    expectConvlensError(
      () => net.predict(new Tensor(new Float32Array(9), [1, 3, 3, 1], 'float32')),
      'conv2d_3 (Conv2D): conv2d: window height 5 is larger than the input height 3 under VALID padding',
    );
    // an output of free size predicts, but has no labels to train on
    net.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = f32(caseRng('free sizes fit refused', 0), [2, 6, 6, 1]);
    await expect(net.fit(x, f32(caseRng('free sizes fit refused', 1), [2, 2, 2, 2]), { epochs: 1, verbose: 0 })).rejects.toThrow(
      "fit: the output of 'conv2d_3' has a free size, (None, None, None, 2): training needs an output of known shape",
    );
    // inputs whose free sizes differ in one batch do not merge
    const input = Input({ shape: [null, null, 1] });
    const joined = new Concatenate().apply([input, new MaxPool2D({ padding: 'same' }).apply(input)]);
    const two = model({ inputs: input, outputs: joined });
    expect(two.outputShape).toEqual([null, null, 2]);
    expectConvlensError(
      () => two.predict(f32(caseRng('free sizes concat', 0), [1, 4, 4, 1])),
      /^concatenate \(Concatenate\): inputs of shapes \(None, 4, 4, 1\), \(None, 2, 2, 1\) do not match except along axis -1/,
    );
  });
});

describe('free input sizes, channels-first', () => {
  // their output shapes read the NHWC shape as channels-first: the free height stood for the channels, which must be known
  it('builds a depthwise convolution channels-first on free sizes, and computes and trains as tfjs-layers', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, inputShape: [3, null, null], dataFormat: 'channelsFirst' }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', dataFormat: 'channelsFirst', activation: 'tanh' }),
        tfl.layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    const { ours } = await twins(theirs);
    expect(ours.layers[0].outputShape).toEqual([6, null, null]);
    for (const [i, [h, w]] of SIZES.entries()) {
      const x = f32(caseRng('free sizes channels first', i), [4, 3, h, w]);
      expectClose(ours.predict(x), predicted(theirs, x), 1e-5, `${h}×${w}`);
      await expectSameSgdFit(ours, theirs, x, labels(4), { epochs: 2, batchSize: 2, learningRate: 0.2 });
    }
  });

  it('builds a separable convolution channels-first on free sizes, computing as one built for each size', () => {
    // against convlens at fixed sizes: tfjs-layers 4.22 adds a channels-first SeparableConv2D's bias on the wrong axis
    const layers = (inputShape: (number | null)[]) => [
      new SeparableConv2D({ filters: 2, kernelSize: 3, depthMultiplier: 2, dataFormat: 'channels_first', inputShape }),
      new GlobalAveragePooling2D({ dataFormat: 'channels_first' }),
    ];
    const free = new Sequential(layers([3, null, null]));
    expect(free.layers[0].outputShape).toEqual([2, null, null]);
    for (const [i, [h, w]] of SIZES.entries()) {
      const fixed = new Sequential(layers([3, h, w]));
      fixed.setWeights(free.getWeights());
      const x = f32(caseRng('free sizes separable channels first', i), [2, 3, h, w]);
      expectClose(free.predict(x), fixed.predict(x), 0, `${h}×${w}`);
    }
  });
});

describe('free input sizes, predict on a dataset', () => {
  it('refuses to join batches whose free-size outputs differ, naming the batch and the shapes (it threw a RangeError, or gave garbage when the dataset told its size)', async () => {
    const net = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [null, null, 1] })]);
    const batches = [
      { xs: f32(caseRng('free sizes predict dataset', 0), [2, 6, 7, 1]) },
      { xs: f32(caseRng('free sizes predict dataset', 1), [2, 5, 5, 1]) },
    ];
    // a tf.data Dataset's form: its size (2 batches) bounds the examples, so that predict writes them into one array
    const sized = {
      size: 2,
      iterator: () => {
        let i = 0;
        return { next: () => (i < batches.length ? { value: batches[i++], done: false } : { value: undefined, done: true }) };
      },
    };
    const unsized = {
      async *[Symbol.asyncIterator]() {
        yield* batches;
      },
    };
    for (const dataset of [sized, unsized]) {
      await expectConvlensRejection(
        net.predict(dataset),
        `predict (batch 2): model 'sequential': outputs examples of shape [3, 3, 2], the first batch's [4, 5, 2]: batches of other sizes cannot be joined into one output (predict them apart)`,
      );
    }
    // of one size, they join: each batch's output in turn
    batches[1] = { xs: f32(caseRng('free sizes predict dataset', 1), [2, 6, 7, 1]) };
    for (const dataset of [sized, unsized]) {
      const joined = await net.predict(dataset);
      expect(joined.shape).toEqual([4, 4, 5, 2]);
      expectClose(joined, [net.predict(batches[0].xs), net.predict(batches[1].xs)], 0, 'one size');
    }
  });
});
