import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import {
  Add,
  BatchNormalization,
  Concatenate,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  type Functional,
  functionalFromArtifacts,
  GlobalAveragePooling2D,
  Input,
  type Layer,
  model,
  resetNames,
  Sequential,
} from './index.js';
import type { SymbolicTensor } from './symbolic.js';

// A model applied several times in a functional model (a shared model: Keras' siamese encoder),
// against tfjs-layers' models of the same layers applied the same way, with the same weights.

beforeEach(() => resetNames());

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;

/** One encoder in both libraries: ours and tfjs', the same layers with the same names. */
interface Encoder {
  ours: Sequential | Functional;
  theirs: tfl.LayersModel;
}

const IMAGE = [8, 8, 1];

/** The brief's encoder: Conv2D, Flatten, Dense, as a Sequential named 'encoder'. */
function sequentialEncoder(): Encoder {
  const ours = new Sequential(
    [
      new Conv2D({ filters: 4, kernelSize: 3, inputShape: IMAGE, name: 'conv' }),
      new Flatten({ name: 'flat' }),
      new Dense({ units: 5, name: 'code' }),
    ],
    { name: 'encoder' },
  );
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: IMAGE, name: 'conv' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ units: 5, name: 'code' }),
    ],
    name: 'encoder',
  });
  return { ours, theirs };
}

/** A functional encoder with a branch inside: two convolutions added, then Flatten and a tanh Dense. */
function functionalEncoder(): Encoder {
  const pixels = Input({ shape: IMAGE, name: 'pixels' });
  const first = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_a' }).apply(pixels);
  const second = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv_b' }).apply(first);
  const sum = new Add({ name: 'sum' }).apply([first, second]);
  const code = new Dense({ units: 5, activation: 'tanh', name: 'code' }).apply(new Flatten({ name: 'flat' }).apply(sum));
  const ours = model({ inputs: pixels, outputs: code, name: 'encoder' });
  const tPixels = tfl.input({ shape: IMAGE, name: 'pixels' });
  const tFirst = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_a' }), tPixels);
  const tSecond = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv_b' }), tFirst);
  const tSum = apply(tfl.layers.add({ name: 'sum' }), [tFirst, tSecond]);
  const tCode = apply(tfl.layers.dense({ units: 5, activation: 'tanh', name: 'code' }), apply(tfl.layers.flatten({ name: 'flat' }), tSum));
  return { ours, theirs: tfl.model({ inputs: tPixels, outputs: tCode, name: 'encoder' }) };
}

/** A Sequential encoder with a BatchNormalization, which normalizes by each batch in training and updates its moving statistics. */
function normalizingEncoder(): Encoder {
  const ours = new Sequential(
    [
      new Conv2D({ filters: 3, kernelSize: 3, inputShape: IMAGE, name: 'conv' }),
      new BatchNormalization({ name: 'bn' }),
      new Flatten({ name: 'flat' }),
      new Dense({ units: 5, activation: 'tanh', name: 'code' }),
    ],
    { name: 'encoder' },
  );
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 3, inputShape: IMAGE, name: 'conv' }),
      tfl.layers.batchNormalization({ name: 'bn' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ units: 5, activation: 'tanh', name: 'code' }),
    ],
    name: 'encoder',
  });
  return { ours, theirs };
}

/**
 * The siamese pattern around `encoder`: two images 'a' and 'b' through it, the codes joined and
 * classified by a sigmoid Dense; with `codeOutput`, the second code is an output too.
 */
function siamese(encoder: Encoder, codeOutput = false): { ours: Functional; theirs: tfl.LayersModel } {
  const a = Input({ shape: IMAGE, name: 'a' });
  const b = Input({ shape: IMAGE, name: 'b' });
  const [codeA, codeB] = [encoder.ours.apply(a), encoder.ours.apply(b)];
  const out = new Dense({ units: 1, activation: 'sigmoid', name: 'out' }).apply(new Concatenate({ name: 'cat' }).apply([codeA, codeB]));
  const ours = model({ inputs: [a, b], outputs: codeOutput ? [out, codeB] : out, name: 'siamese' });
  const tA = tfl.input({ shape: IMAGE, name: 'a' });
  const tB = tfl.input({ shape: IMAGE, name: 'b' });
  const [tCodeA, tCodeB] = [apply(encoder.theirs, tA), apply(encoder.theirs, tB)];
  const tOut = apply(
    tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }),
    apply(tfl.layers.concatenate({ name: 'cat' }), [tCodeA, tCodeB]),
  );
  const theirs = tfl.model({ inputs: [tA, tB], outputs: codeOutput ? [tOut, tCodeB] : tOut, name: 'siamese' });
  return { ours, theirs };
}

/** Random weights, small enough that no output saturates, in ours and (matched by name) in tfjs'; moving variances positive. */
function sameWeights(ours: Layer, theirs: tfl.LayersModel, rng: Rng): void {
  ours.setWeights(
    ours.weights.map((w) => f32(rng, w.shape, ...((w.name.endsWith('moving_variance') ? [0.5, 1.5] : [-0.5, 0.5]) as [number, number]))),
  );
  const byName = new Map(ours.weights.map((w, i) => [w.name, ours.getWeights()[i]]));
  expect(theirs.weights.map((w) => w.originalName).sort()).toEqual([...byName.keys()].sort());
  theirs.setWeights(theirs.weights.map((w) => tfOf(byName.get(w.originalName)!)));
}

/** tfjs' weights in our order, matched by name (tfjs lists every trainable weight before the others). */
const theirWeightsLike = (ours: Layer, theirs: tfl.LayersModel) => () =>
  ours.weights.map((w) => theirs.weights.find((t) => t.originalName === w.name)!.read());

const theirOutputs = (theirs: tfl.LayersModel, xs: Tensor[]) => {
  const out = theirs.predict(xs.map(tfOf));
  return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync());
};

const ourOutputs = (ours: Functional, xs: Tensor[]) => {
  const out = ours.predict(xs);
  return Array.isArray(out) ? out : [out];
};

/** Each output of ours as tfjs' for the same inputs. */
function expectSamePredictions(ours: Functional, theirs: tfl.LayersModel, xs: Tensor[], what: string, rtol = 1e-5): void {
  const expected = theirOutputs(theirs, xs);
  const got = ourOutputs(ours, xs);
  expect(got.length, `${what}: outputs`).toBe(expected.length);
  got.forEach((out, i) => {
    expectClose(out, expected[i], rtol, `${what}: output ${i}`);
  });
}

/** `n` labels 0 and 1, alternating, as a column. */
const binaryLabels = (n: number) =>
  new Tensor(
    Float32Array.from({ length: n }, (_, i) => i % 2),
    [n, 1],
    'float32',
  );

/** Each layer's inbound_nodes in a saved model.json, by layer name. */
const inboundNodes = (modelJson: { modelTopology?: unknown }) =>
  Object.fromEntries(
    (modelJson.modelTopology as { config: { layers: { name: string; inbound_nodes: unknown }[] } }).config.layers.map((l) => [
      l.name,
      l.inbound_nodes,
    ]),
  );

for (const [kind, makeEncoder, className] of [
  ['a Sequential', sequentialEncoder, 'Sequential'],
  ['a Functional', functionalEncoder, 'Functional'],
] as const) {
  describe(`${kind} encoder applied to two inputs (the siamese pattern)`, () => {
    it('predicts as tfjs-layers does; layers, getWeights and summary count the encoder once', () => {
      const rng = caseRng(`shared ${className}`, 0);
      const encoder = makeEncoder();
      const { ours, theirs } = siamese(encoder);
      sameWeights(ours, theirs, rng);
      const xs = [f32(rng, [4, ...IMAGE]), f32(rng, [4, ...IMAGE])];
      expectSamePredictions(ours, theirs, xs, 'predict');
      // the encoder alone still computes as before (its own state is not the applications')
      expectClose(encoder.ours.predict(xs[1]) as Tensor, (encoder.theirs.predict(tfOf(xs[1])) as tf.Tensor).dataSync(), 1e-5, 'encoder');
      expect(ours.layers.map((l) => l.name)).toEqual(['encoder', 'cat', 'out']);
      expect(ours.layers[0]).toBe(encoder.ours);
      expect(ours.getWeights()).toHaveLength(theirs.getWeights().length);
      expect(ours.weights.map((w) => w.name)).toEqual([...encoder.ours.weights.map((w) => w.name), 'out/kernel', 'out/bias']);
      expect(ours.countParams()).toBe(theirs.countParams());
      // tfjs' summary: the encoder one row with what each application takes, its parameters counted once,
      // its outputs named by their node index (a model's construction is its node 0)
      const text = ours.summary(null);
      const params = encoder.ours.countParams().toLocaleString('en-US');
      expect(text).toMatch(new RegExp(`\\n encoder \\(${className}\\) +\\(None, 5\\) +${params} +a\\[0\\]\\[0\\],\\n +b\\[0\\]\\[0\\]\\n`));
      expect(text).toMatch(/\n cat \(Concatenate\) +\(None, 10\) +0 +encoder\[1\]\[0\],\n +encoder\[2\]\[0\]\n/);
      expect(text.match(/encoder \(/g)).toHaveLength(1);
      expect(text).toContain(`Total params: ${theirs.countParams().toLocaleString('en-US')}`);
      expect(text).toContain(`Trainable params: ${theirs.countParams().toLocaleString('en-US')}`);
    });

    it('trains as tfjs-layers does: 3 epochs of SGD, loss by loss and weight by weight (the encoder summing both applications’ gradients)', async () => {
      const rng = caseRng(`shared ${className}`, 1);
      const { ours, theirs } = siamese(makeEncoder());
      sameWeights(ours, theirs, rng);
      const xs = [f32(rng, [6, ...IMAGE]), f32(rng, [6, ...IMAGE])];
      await expectSameSgdFit(ours, theirs, xs, binaryLabels(6), {
        batchSize: 3,
        learningRate: 0.2,
        loss: 'binaryCrossentropy',
        theirWeights: theirWeightsLike(ours, theirs),
      });
    });

    it('saves as tfjs-layers does (encoder[1] and encoder[2] in inbound_nodes and outputs), tfjs reads ours and ours reads tfjs’', async () => {
      const rng = caseRng(`shared ${className}`, 2);
      const { ours, theirs } = siamese(makeEncoder(), true);
      sameWeights(ours, theirs, rng);
      const xs = [f32(rng, [3, ...IMAGE]), f32(rng, [3, ...IMAGE])];
      const { modelJson, weightData } = ours.toArtifacts();
      const saved = await tfjsSaved(theirs);
      expect(inboundNodes(modelJson)).toEqual(inboundNodes(saved.modelJson));
      expect(inboundNodes(modelJson).cat).toEqual([
        [
          ['encoder', 1, 0, {}],
          ['encoder', 2, 0, {}],
        ],
      ]);
      expect(modelJson.modelTopology.config.output_layers).toEqual([
        ['out', 0, 0],
        ['encoder', 2, 0],
      ]);
      expect(modelJson.modelTopology.config.output_layers).toEqual(
        (saved.modelJson.modelTopology as typeof modelJson.modelTopology).config.output_layers,
      );
      expectSamePredictions(ours, await tfjsLoad(modelJson, weightData), xs, 'tfjs reads ours');
      const back = functionalFromArtifacts(saved.modelJson, saved.weightData);
      expect(back.layers.map((l) => l.className)).toEqual([className, 'Concatenate', 'Dense']);
      expect(back.outputNames).toEqual(['out', 'encoder[1]']);
      expectSamePredictions(back, theirs, xs, "ours reads tfjs'");
    });
  });
}

describe("a shared encoder read from tfjs' file", () => {
  it('trains as the tfjs model it was saved from: 3 epochs of SGD, with BatchNormalization inside (its trained weights, and tfjs reads them back)', async () => {
    const rng = caseRng('shared from file', 0);
    const { ours: built, theirs } = siamese(normalizingEncoder());
    sameWeights(built, theirs, rng);
    const saved = await tfjsSaved(theirs);
    const loaded = functionalFromArtifacts(saved.modelJson, saved.weightData);
    const xs = [f32(rng, [6, ...IMAGE]), f32(rng, [6, ...IMAGE])];
    // the moving statistics follow Keras' order of the applications, tfjs' the other (see the test above): ours are kept
    const movingStatistics = (model: Functional) => model.weights.flatMap((w, i) => (w.name.includes('moving') ? [i] : []));
    const theirWeights = () =>
      theirWeightsLike(loaded, theirs)().map((w, i) => (movingStatistics(loaded).includes(i) ? tfOf(loaded.getWeights()[i]) : w));
    await expectSameSgdFit(loaded, theirs, xs, binaryLabels(6), {
      batchSize: 3,
      learningRate: 0.2,
      loss: 'binaryCrossentropy',
      theirWeights,
    });
    const { modelJson, weightData } = loaded.toArtifacts();
    expectSamePredictions(loaded, await tfjsLoad(modelJson, weightData), xs, 'tfjs reads the trained model');
  });
});

describe('a frozen shared encoder (trainable = false)', () => {
  it('keeps its weights in fit while the head trains, as tfjs-layers does', async () => {
    const rng = caseRng('shared frozen', 0);
    const encoder = sequentialEncoder();
    const { ours, theirs } = siamese(encoder);
    sameWeights(ours, theirs, rng);
    encoder.ours.trainable = false;
    encoder.theirs.trainable = false;
    expect(ours.trainableWeights.map((w) => w.name)).toEqual(['out/kernel', 'out/bias']);
    const before = encoder.ours.getWeights().map((w) => w.data.slice());
    const xs = [f32(rng, [6, ...IMAGE]), f32(rng, [6, ...IMAGE])];
    await expectSameSgdFit(ours, theirs, xs, binaryLabels(6), {
      batchSize: 3,
      loss: 'binaryCrossentropy',
      theirWeights: theirWeightsLike(ours, theirs),
    });
    encoder.ours.getWeights().forEach((w, i) => {
      expect(w.data).toEqual(before[i]);
    });
    expect(ours.summary(null)).toContain(`Non-trainable params: ${encoder.ours.countParams().toLocaleString('en-US')}`);
  });
});

describe('a shared encoder with BatchNormalization inside, in training mode', () => {
  it("trains as tfjs-layers does, each application normalizing by its own batch; the moving statistics follow each in turn, a's first as Keras runs them", async () => {
    const rng = caseRng('shared batch normalization', 0);
    const { ours, theirs } = siamese(normalizingEncoder());
    sameWeights(ours, theirs, rng);
    const xs = [f32(rng, [6, ...IMAGE]), f32(rng, [6, ...IMAGE], 0, 2)];
    // TensorFlow's update m ← 0.99·m + 0.01·s, for the batch moments s of each application in turn, from tfjs'
    // weights before each step: in Keras' order (its graph runs depth by depth, a's application first), and in
    // tfjs' (whose executor runs a merge's last input first), which checks the arithmetic against tfjs' own
    const conv = (theirs.getLayer('encoder') as tfl.Sequential).getLayer('conv');
    const start = () => ours.getLayer('encoder/bn').getWeights().slice(2).map(tfOf);
    const expected = { keras: start(), tfjs: start() };
    const onBatchBegin = async (batch: number) => {
      const [kernel, bias] = conv.getWeights();
      const moments = xs.map((x) =>
        tf.moments(tf.add(tf.conv2d(tf.slice(tfOf(x), batch * 3, 3) as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid'), bias), [0, 1, 2]),
      );
      for (const [order, apps] of [
        ['keras', [0, 1]],
        ['tfjs', [1, 0]],
      ] as const) {
        for (const i of apps) {
          const [mean, variance] = expected[order];
          expected[order] = [
            tf.add(tf.mul(mean, 0.99), tf.mul(moments[i].mean, 0.01)),
            tf.add(tf.mul(variance, 0.99), tf.mul(moments[i].variance, 0.01)),
          ];
        }
      }
    };
    const movingStatistics = ['bn/moving_mean', 'bn/moving_variance'];
    const theirWeights = () =>
      ours.weights.map((w, i) =>
        movingStatistics.includes(w.name) ? expected.keras[movingStatistics.indexOf(w.name)] : theirWeightsLike(ours, theirs)()[i],
      );
    await expectSameSgdFit(ours, theirs, xs, binaryLabels(6), {
      batchSize: 3,
      learningRate: 0.2,
      loss: 'binaryCrossentropy',
      theirWeights,
      theirCallbacks: { onBatchBegin },
    });
    const theirBn = (theirs.getLayer('encoder') as tfl.Sequential).getLayer('bn').getWeights().slice(2);
    theirBn.forEach((w, i) => {
      expectClose(w.dataSync(), expected.tfjs[i].dataSync(), 1e-5, `tfjs' ${movingStatistics[i]}`);
    });
    // the orders differ by (1 - 0.99)² × the difference of the two batches' statistics: seen here
    expect(Math.abs(theirBn[0].dataSync()[0] - expected.keras[0].dataSync()[0])).toBeGreaterThan(1e-5);
  });
});

describe('a shared encoder with Dropout inside', () => {
  /** An encoder of Dense, Dropout and Dense on two inputs, as a nested model or as the same layers shared directly. */
  function dropoutSiamese(nested: boolean): Functional {
    resetNames();
    const layers = [
      new Dense({ units: 8, activation: 'relu', inputShape: [4], name: 'hidden' }),
      new Dropout({ rate: 0.5, name: 'drop' }),
      new Dense({ units: 3, name: 'code' }),
    ];
    const encoder = nested ? new Sequential(layers, { name: 'encoder' }) : undefined;
    const encode = (x: SymbolicTensor) => encoder?.apply(x) ?? layers.reduce((t, layer) => layer.apply(t), x);
    const a = Input({ shape: [4], name: 'a' });
    const b = Input({ shape: [4], name: 'b' });
    const out = new Dense({ units: 2, activation: 'softmax', name: 'out' }).apply(
      new Concatenate({ name: 'cat' }).apply([encode(a), encode(b)]),
    );
    return model({ inputs: [a, b], outputs: out, name: 'pair' });
  }

  it('trains exactly as the same layers shared directly, each application drawing its own mask (tfjs draws other masks: no tfjs comparison)', async () => {
    const rng = caseRng('shared dropout', 0);
    const initial = dropoutSiamese(true).weights.map((w) => f32(rng, w.shape));
    const y = new Tensor(
      Float32Array.from({ length: 16 }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)),
      [8, 2],
      'float32',
    );
    const xs = [f32(rng, [8, 4]), f32(rng, [8, 4])];
    /** A fresh model from the same weights, trained 3 epochs with masks drawn from `seed`: its losses and weights. */
    const trained = async (nested: boolean, seed: number) => {
      const net = dropoutSiamese(nested);
      net.setWeights(initial);
      net.compile({ optimizer: new SGD({ learningRate: 0.3 }), loss: 'categoricalCrossentropy' });
      setSeed(seed);
      const history = await net.fit(xs, y, { epochs: 3, batchSize: 4, shuffle: false });
      return { loss: history.history.loss, weights: net.getWeights() };
    };
    // the same masks, drawn in the same order (a's application, then b's, each its own)
    const nested = await trained(true, 11);
    const direct = await trained(false, 11);
    expectClose(nested.loss, direct.loss, 1e-6, 'loss');
    nested.weights.forEach((w, i) => {
      expectClose(w, direct.weights[i].data, 1e-6, `weight ${i}`);
    });
    // and the masks matter: other ones train otherwise
    expect((await trained(true, 12)).loss).not.toEqual(nested.loss);
  });
});

describe('a nested model applied twice along one path', () => {
  /** block(block(x)): a Sequential of two tanh Dense layers applied to its own output, then a softmax. */
  function twice(): { ours: Functional; theirs: tfl.LayersModel } {
    const block = new Sequential(
      [new Dense({ units: 4, activation: 'tanh', inputShape: [4], name: 'd1' }), new Dense({ units: 4, activation: 'tanh', name: 'd2' })],
      { name: 'block' },
    );
    const x = Input({ shape: [4], name: 'x' });
    const ours = model({
      inputs: x,
      outputs: new Dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(block.apply(block.apply(x))),
    });
    const tBlock = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 4, activation: 'tanh', inputShape: [4], name: 'd1' }),
        tfl.layers.dense({ units: 4, activation: 'tanh', name: 'd2' }),
      ],
      name: 'block',
    });
    const tX = tfl.input({ shape: [4], name: 'x' });
    const tOut = apply(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'cls' }), apply(tBlock, apply(tBlock, tX)));
    return { ours, theirs: tfl.model({ inputs: tX, outputs: tOut }) };
  }

  it('predicts, trains (3 epochs of SGD) and saves and loads both ways as tfjs-layers does', async () => {
    const rng = caseRng('shared along a path', 0);
    const { ours, theirs } = twice();
    sameWeights(ours, theirs, rng);
    const x = f32(rng, [6, 4]);
    expectSamePredictions(ours, theirs, [x], 'predict');
    expect(ours.summary(null)).toMatch(/\n block \(Sequential\) +\(None, 4\) +40 +x\[0\]\[0\],\n +block\[1\]\[0\]\n/);
    const { modelJson, weightData } = ours.toArtifacts();
    const saved = await tfjsSaved(theirs);
    expect(inboundNodes(modelJson)).toEqual(inboundNodes(saved.modelJson));
    expectSamePredictions(ours, await tfjsLoad(modelJson, weightData), [x], 'tfjs reads ours');
    expectSamePredictions(functionalFromArtifacts(saved.modelJson, saved.weightData), theirs, [x], "ours reads tfjs'");
    const labels = new Tensor(
      Float32Array.from({ length: 12 }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)),
      [6, 2],
      'float32',
    );
    await expectSameSgdFit(ours, theirs, x, labels, { batchSize: 3 });
  });
});

describe('a shared model applied to inputs of another shape', () => {
  const SMALL = [6, 6, 2];
  const LARGE = [9, 7, 2];

  /** An encoder of a convolution and global pooling (weights that fit any image size of 2 channels), on a small and a large image. */
  function twoSizes(functional: boolean): { ours: Functional; theirs: tfl.LayersModel } {
    let encoder: Sequential | Functional;
    let tEncoder: tfl.LayersModel;
    const conv = () => ({ filters: 3, kernelSize: 3, activation: 'relu' as const, name: 'conv' });
    if (functional) {
      const pixels = Input({ shape: SMALL, name: 'pixels' });
      encoder = model({
        inputs: pixels,
        outputs: new GlobalAveragePooling2D({ name: 'gap' }).apply(new Conv2D(conv()).apply(pixels)),
        name: 'encoder',
      });
      const tPixels = tfl.input({ shape: SMALL, name: 'pixels' });
      const tOut = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), apply(tfl.layers.conv2d(conv()), tPixels));
      tEncoder = tfl.model({ inputs: tPixels, outputs: tOut, name: 'encoder' });
    } else {
      encoder = new Sequential([new Conv2D({ ...conv(), inputShape: SMALL }), new GlobalAveragePooling2D({ name: 'gap' })], {
        name: 'encoder',
      });
      tEncoder = tfl.sequential({
        layers: [tfl.layers.conv2d({ ...conv(), inputShape: SMALL }), tfl.layers.globalAveragePooling2d({ name: 'gap' })],
        name: 'encoder',
      });
    }
    const small = Input({ shape: SMALL, name: 'small' });
    const large = Input({ shape: LARGE, name: 'large' });
    const joined = new Concatenate({ name: 'cat' }).apply([encoder.apply(small), encoder.apply(large)]);
    const ours = model({ inputs: [small, large], outputs: new Dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(joined) });
    const tSmall = tfl.input({ shape: SMALL, name: 'small' });
    const tLarge = tfl.input({ shape: LARGE, name: 'large' });
    const tJoined = apply(tfl.layers.concatenate({ name: 'cat' }), [apply(tEncoder, tSmall), apply(tEncoder, tLarge)]);
    const theirs = tfl.model({
      inputs: [tSmall, tLarge],
      outputs: apply(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'cls' }), tJoined),
    });
    return { ours, theirs };
  }

  for (const functional of [false, true]) {
    it(`runs where its layers' weights fit them, as Keras and tfjs (${functional ? 'Functional' : 'Sequential'}): predict, fit, summary, save`, async () => {
      const rng = caseRng('shared model sizes', functional ? 1 : 0);
      const { ours, theirs } = twoSizes(functional);
      sameWeights(ours, theirs, rng);
      const xs = [f32(rng, [6, ...SMALL]), f32(rng, [6, ...LARGE])];
      expectSamePredictions(ours, theirs, xs, 'predict');
      // one output shape for both applications: (None, 3)
      expect(ours.summary(null)).toMatch(/\n encoder \((Sequential|Functional)\) +\(None, 3\) +57 +small\[0\]\[0\],\n +large\[0\]\[0\]\n/);
      const { modelJson, weightData } = ours.toArtifacts();
      expectSamePredictions(ours, await tfjsLoad(modelJson, weightData), xs, 'tfjs reads ours');
      const labels = new Tensor(
        Float32Array.from({ length: 12 }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)),
        [6, 2],
        'float32',
      );
      await expectSameSgdFit(ours, theirs, xs, labels, { batchSize: 3, theirWeights: theirWeightsLike(ours, theirs) });
    });
  }

  it('draws no random numbers for the other shape: a layer made afterwards starts as it would without that application', () => {
    const laterKernel = (applyAgain: boolean) => {
      setSeed(5);
      const encoder = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: SMALL }), new GlobalAveragePooling2D()]);
      encoder.apply(Input({ shape: SMALL }));
      if (applyAgain) encoder.apply(Input({ shape: LARGE }));
      const later = new Dense({ units: 2 });
      later.apply(Input({ shape: [3] }));
      return later.getWeights()[0].data;
    };
    expect(laterKernel(true)).toEqual(laterKernel(false));
  });

  it('refuses inputs its layers’ weights do not fit, naming the model, the layer and the shapes', () => {
    const { ours: sequential } = sequentialEncoder();
    expectConvlensError(
      () => sequential.apply(Input({ shape: [10, 10, 1], name: 'larger' })),
      'encoder (Sequential): built for inputs (None, 8, 8, 1), cannot run on larger (None, 10, 10, 1) with the same weights: code (Dense): built for inputs (None, 144), applied again to flat (None, 256): a shared layer keeps its weights (kernel [144, 5], bias [5]), which do not fit these inputs (they would need kernel [256, 5], bias [5])',
    );
    const { ours: functional } = functionalEncoder();
    expectConvlensError(
      () => functional.apply(Input({ shape: [8, 8, 2], name: 'rgb' })),
      'encoder (Functional): built for inputs (None, 8, 8, 1), cannot run on rgb (None, 8, 8, 2) with the same weights: conv_a (Conv2D): built for inputs (None, 8, 8, 1), applied again to pixels (None, 8, 8, 2): a shared layer keeps its weights (kernel [3, 3, 1, 3], bias [3]), which do not fit these inputs (they would need kernel [3, 3, 2, 3], bias [3])',
    );
  });
});

describe("Keras 2's and Keras 3's files of a shared encoder", () => {
  const CONV = {
    filters: 4,
    kernel_size: [3, 3],
    strides: [1, 1],
    padding: 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    groups: 1,
    activation: 'linear',
    use_bias: true,
  };
  const FLAT = { data_format: 'channels_last' };
  const CODE = { units: 5, activation: 'linear', use_bias: true };
  const OUT = { units: 1, activation: 'sigmoid', use_bias: true };

  /** The siamese model whose second code is an output too, with random weights: its file's weights, and tfjs' model for the expected outputs. */
  function reference(encoder: Encoder, rng: Rng): { weights: Functional; theirs: tfl.LayersModel } {
    const { ours, theirs } = siamese(encoder, true);
    sameWeights(ours, theirs, rng);
    return { weights: ours, theirs };
  }

  /** What tensorflowjs_converter writes for a Keras model: its config in model_config, and the weights manifest. */
  const converted = (kerasVersion: string, modelConfig: object, weights: Functional) => ({
    format: 'layers-model',
    generatedBy: `keras v${kerasVersion}`,
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: kerasVersion, backend: 'tensorflow', model_config: modelConfig },
    weightsManifest: weights.toArtifacts().modelJson.weightsManifest,
  });

  /** Loads the file as ours and checks both outputs (the classifier's and the second code) against tfjs'. */
  function expectReadAsTfjs(json: object, reference: { weights: Functional; theirs: tfl.LayersModel }, rng: Rng, className: string): void {
    const ours = functionalFromArtifacts(json, reference.weights.toArtifacts().weightData);
    expect(ours.layers.map((l) => [l.name, l.className])).toEqual([
      ['encoder', className],
      ['cat', 'Concatenate'],
      ['out', 'Dense'],
    ]);
    expect(ours.outputNames).toEqual(['out', 'encoder[1]']);
    expectSamePredictions(ours, reference.theirs, [f32(rng, [3, ...IMAGE]), f32(rng, [3, ...IMAGE])], 'predict');
  }

  it("Keras 2's (tf.keras, converted): a model's applications are its nodes 1 and 2, in inbound_nodes and output_layers", () => {
    const rng = caseRng('shared keras 2', 0);
    const keras2 = (className: string, name: string, config: object) => ({
      class_name: className,
      config: { name, trainable: true, dtype: 'float32', ...config },
    });
    const inputLayer = (name: string) => ({
      class_name: 'InputLayer',
      config: { batch_input_shape: [null, ...IMAGE], dtype: 'float32', sparse: false, ragged: false, name },
    });
    const called = (entry: { config: { name: string } }, ...calls: [string, number][][]) => ({
      ...entry,
      name: entry.config.name,
      inbound_nodes: calls.map((call) => call.map(([layer, node]) => [layer, node, 0, {}])),
    });
    const encoder = {
      class_name: 'Sequential',
      config: {
        name: 'encoder',
        layers: [inputLayer('conv_input'), keras2('Conv2D', 'conv', CONV), keras2('Flatten', 'flat', FLAT), keras2('Dense', 'code', CODE)],
      },
    };
    const functional = {
      class_name: 'Functional',
      config: {
        name: 'siamese',
        layers: [
          { ...inputLayer('a'), name: 'a', inbound_nodes: [] },
          { ...inputLayer('b'), name: 'b', inbound_nodes: [] },
          called(encoder, [['a', 0]], [['b', 0]]),
          called(keras2('Concatenate', 'cat', { axis: -1 }), [
            ['encoder', 1],
            ['encoder', 2],
          ]),
          called(keras2('Dense', 'out', OUT), [['cat', 0]]),
        ],
        input_layers: [
          ['a', 0, 0],
          ['b', 0, 0],
        ],
        output_layers: [
          ['out', 0, 0],
          ['encoder', 2, 0],
        ],
      },
    };
    const ref = reference(sequentialEncoder(), rng);
    expectReadAsTfjs(converted('2.13.1', functional, ref.weights), ref, rng, 'Sequential');
  });

  /** Keras 3's float32 dtype policy, as it writes it in a config. */
  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const keras3 = (className: string, name: string, config: object) => ({
    module: 'keras.layers',
    class_name: className,
    config: { name, trainable: true, dtype: policy, ...config },
    registered_name: null,
  });
  const tensor = (layer: string, node: number, shape: (number | null)[]) => ({
    class_name: '__keras_tensor__',
    config: { shape, dtype: 'float32', keras_history: [layer, node, 0] },
  });
  /** A layer entry with its calls, each call's positional arguments (Keras 3 writes `{ args, kwargs }`). */
  const called = (entry: { config: { name: string } }, ...calls: unknown[][]) => ({
    ...entry,
    name: entry.config.name,
    inbound_nodes: calls.map((args) => ({ args, kwargs: {} })),
  });
  const input3 = (name: string) => ({
    ...keras3('InputLayer', name, { batch_shape: [null, ...IMAGE], sparse: false }),
    name,
    inbound_nodes: [],
  });
  const image = [null, ...IMAGE];

  /** Keras 3's functional siamese model around `encoder`: its calls are the encoder's nodes 0 and 1; output_layers names the second as `outputNode`. */
  const keras3Siamese = (encoder: { config: { name: string } }, outputNode: number) => ({
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'siamese',
      trainable: true,
      layers: [
        input3('a'),
        input3('b'),
        called(encoder, [tensor('a', 0, image)], [tensor('b', 0, image)]),
        called(keras3('Concatenate', 'cat', { axis: -1 }), [[tensor('encoder', 0, [null, 5]), tensor('encoder', 1, [null, 5])]]),
        called(keras3('Dense', 'out', OUT), [tensor('cat', 0, [null, 10])]),
      ],
      input_layers: [
        ['a', 0, 0],
        ['b', 0, 0],
      ],
      output_layers: [
        ['out', 0, 0],
        ['encoder', outputNode, 0],
      ],
    },
    registered_name: 'Functional',
  });

  it("Keras 3's, a Sequential encoder: its applications are its nodes 0 and 1 (in output_layers too)", () => {
    const rng = caseRng('shared keras 3', 0);
    const encoder = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        name: 'encoder',
        trainable: true,
        dtype: policy,
        layers: [
          {
            module: 'keras.layers',
            class_name: 'InputLayer',
            config: { batch_shape: image, dtype: 'float32', sparse: false, name: 'input_layer' },
            registered_name: null,
          },
          keras3('Conv2D', 'conv', CONV),
          keras3('Flatten', 'flat', FLAT),
          keras3('Dense', 'code', CODE),
        ],
        build_input_shape: image,
      },
      registered_name: null,
      build_config: { input_shape: image },
    };
    const ref = reference(sequentialEncoder(), rng);
    expectReadAsTfjs(converted('3.8.0', keras3Siamese(encoder, 1), ref.weights), ref, rng, 'Sequential');
  });

  it("Keras 3's, a Functional encoder: nodes 0 and 1 in its calls, but 1 and 2 in output_layers (Keras' count for a functional model)", () => {
    const rng = caseRng('shared keras 3', 1);
    const maps = [null, 8, 8, 3];
    const encoder = {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: {
        name: 'encoder',
        trainable: true,
        layers: [
          { ...input3('pixels') },
          called(keras3('Conv2D', 'conv_a', { ...CONV, filters: 3, padding: 'same', activation: 'relu' }), [tensor('pixels', 0, image)]),
          called(keras3('Conv2D', 'conv_b', { ...CONV, filters: 3, padding: 'same' }), [tensor('conv_a', 0, maps)]),
          called(keras3('Add', 'sum', {}), [[tensor('conv_a', 0, maps), tensor('conv_b', 0, maps)]]),
          called(keras3('Flatten', 'flat', FLAT), [tensor('sum', 0, maps)]),
          called(keras3('Dense', 'code', { ...CODE, activation: 'tanh' }), [tensor('flat', 0, [null, 192])]),
        ],
        input_layers: [['pixels', 0, 0]],
        output_layers: [['code', 0, 0]],
      },
      registered_name: 'Functional',
      build_config: { input_shape: image },
    };
    const ref = reference(functionalEncoder(), rng);
    expectReadAsTfjs(converted('3.8.0', keras3Siamese(encoder, 2), ref.weights), ref, rng, 'Functional');
  });
});

describe('what stays refused', () => {
  it('a saved node index beyond the applications of a shared model, naming the layer that takes it and the count', () => {
    const { ours } = siamese(sequentialEncoder());
    const { modelJson, weightData } = ours.toArtifacts();
    const json = structuredClone(modelJson);
    const cat = (json.modelTopology.config.layers as unknown as { name: string; inbound_nodes: unknown[][][] }[]).find(
      (l) => l.name === 'cat',
    )!;
    cat.inbound_nodes[0][1][1] = 3;
    expectConvlensError(
      () => functionalFromArtifacts(json, weightData),
      "functionalFromArtifacts: layer 'cat' takes the output of node 3 of the model 'encoder', which is called 2 times (nodes 1 to 2 here)",
    );
  });

  it('a model of two outputs applied as a layer, to its input shape or another', () => {
    const x = Input({ shape: [3], name: 'x' });
    const two = model({
      inputs: x,
      outputs: [new Dense({ units: 2, name: 'p' }).apply(x), new Dense({ units: 2, name: 'q' }).apply(x)],
      name: 'two',
    });
    for (const shape of [[3], [4, 3]]) {
      expectConvlensError(
        () => two.apply(Input({ shape })),
        "Functional 'two': it has 2 outputs ('p', 'q'), not one: use outputShapes, outputNames; a model of several inputs or outputs cannot be a layer of another model",
      );
    }
  });
});
