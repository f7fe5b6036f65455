import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { cast } from '../ops/cast.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  Add,
  Conv2D,
  Dense,
  Flatten,
  fromArtifacts,
  model as functionalModel,
  Input,
  RandomContrast,
  RandomFlip,
  Rescaling,
  resetNames,
  Sequential,
} from './index.js';

beforeEach(() => resetNames());

describe('Rescaling', () => {
  it("takes raw pixel values as tfjs' rescaling does: predict, fit, and saved both ways", async () => {
    setSeed(60);
    const rng = caseRng('rescaling', 0);
    const ours = new Sequential([
      new Rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [5, 5, 1] }),
      new Conv2D({ filters: 2, kernelSize: 3, activation: 'relu' }),
      new Flatten(),
      new Dense({ units: 2, activation: 'softmax' }),
    ]);
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [5, 5, 1] }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const x = new Tensor(Float32Array.from(rng.ints(4 * 25, 0, 255)), [4, 5, 5, 1], 'float32');
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    const y = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1), [4, 2], 'float32');
    await expectSameSgdFit(ours, theirs, x, y, { epochs: 2, batchSize: 4, learningRate: 0.1 });
    const { modelJson, weightData } = ours.toArtifacts();
    const back = await tfjsLoad(modelJson, weightData);
    expectClose(ours.predict(x), (back.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'convlens → tfjs');
    expect(fromArtifacts(ours.toArtifacts()).getLayer(0)).toMatchObject({ scale: 1 / 127.5, offset: -1 });
  });

  it("computes in float32 as Keras and tfjs do: equal to tfjs' rescaling bit for bit", () => {
    const rng = caseRng('rescaling float32', 0);
    const x = new Tensor(Float32Array.from(rng.ints(500, 0, 255)), [1, 500], 'float32');
    for (const [scale, offset] of [
      [1 / 255, 0],
      [1 / 127.5, -1],
      [0.3, 0.1],
    ]) {
      const theirs = tfl.sequential({ layers: [tfl.layers.rescaling({ scale, offset, inputShape: [500] })] });
      expectClose(new Rescaling({ scale, offset }).apply(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 0, `${scale} ${offset}`);
    }
  });

  it("a scale alone stands for the options, as Keras' Rescaling(1 / 255); bad values are named", () => {
    const layer = new Rescaling(1 / 255);
    expect([layer.scale, layer.offset]).toEqual([1 / 255, 0]);
    const first = new Rescaling(1 / 127.5, { offset: -1, inputShape: [2, 2, 1] });
    expect([first.scale, first.offset, first.inputShape]).toEqual([1 / 127.5, -1, [2, 2, 1]]);
    expect(Array.from(layer.apply(new Tensor(Float32Array.of(0, 255, 51), [1, 3], 'float32')).data)).toEqual([
      0,
      1,
      Math.fround(51 * Math.fround(1 / 255)),
    ]);
    expectConvlensError(() => new Rescaling({ scale: Number.NaN }), /^Rescaling 'rescaling_\d+': scale must be a finite number, got NaN$/);
    expectConvlensError(() => new Rescaling({ scale: 1, offset: '1' as never }), /offset must be a finite number, got "1"/);
    // a null after the options object was a TypeError (Object.keys(null))
    expectConvlensError(
      () => new Rescaling({ scale: 2 }, null as never),
      'Rescaling: give the options in one object, or the scale first (new Rescaling(1 / 255, { inputShape })), got null after an object',
    );
    // Keras' scale per channel is not read
    const { modelJson, weightData } = new Sequential([new Rescaling({ scale: 2, inputShape: [3] })]).toArtifacts();
    const json = JSON.parse(JSON.stringify(modelJson));
    json.modelTopology.config.layers[0].config.scale = [1, 2, 3];
    expectConvlensError(() => fromArtifacts(json, weightData), /scale \[1, 2, 3\] is not supported \(only one number\)/);
  });
});

describe('uint8 pixels given to a model that scales them itself', () => {
  it("go in as decoded, cast to float32 as Keras' and tfjs' Rescaling casts them: predict, evaluate, fit, functional too", async () => {
    const build = () => {
      setSeed(61);
      resetNames();
      const net = new Sequential([
        new Rescaling(1 / 255, { inputShape: [2, 2, 1] }),
        new Flatten(),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      net.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return net;
    };
    const model = build();
    const pixels = new Tensor(Uint8Array.of(0, 64, 128, 255, 9, 200, 30, 7), [2, 2, 2, 1], 'uint8');
    const floats = cast(pixels, 'float32');
    const labels = new Tensor(Int32Array.of(1, 0), [2], 'int32');
    // tfjs-layers' Rescaling on the same integer pixels (tfjs has no uint8 tensors: int32)
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.rescaling({ scale: 1 / 255, inputShape: [2, 2, 1] }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    theirs.setWeights(model.getWeights().map(tfOf));
    const ints = tfOf(cast(pixels, 'int32'));
    expectClose(model.predict(pixels), (theirs.predict(ints) as tf.Tensor).dataSync(), 1e-6, 'predict');
    expect(model.evaluate(pixels, labels)).toEqual(model.evaluate(floats, labels));
    const input = Input({ shape: [2, 2, 1] });
    const functional = functionalModel({
      inputs: input,
      outputs: model.getLayer(2).apply(model.getLayer(1).apply(model.getLayer(0).apply(input))),
    });
    expectClose(functional.predict(pixels) as Tensor, (theirs.predict(ints) as tf.Tensor).dataSync(), 1e-6, 'functional predict');
    // fit on the pixels trains as on their float32 cast
    const [a, b] = [build(), build()];
    await a.fit(pixels, labels, { epochs: 2, batchSize: 1, shuffle: false });
    await b.fit(floats, labels, { epochs: 2, batchSize: 1, shuffle: false });
    expect(a.getWeights().map((w) => Array.from(w.data))).toEqual(b.getWeights().map((w) => Array.from(w.data)));
  });

  it("augmentation layers first take them too (Keras': 'of integer or floating point dtype'): predict and fit as on their cast", async () => {
    const build = () => {
      setSeed(62);
      resetNames();
      const net = new Sequential([
        new RandomFlip({ mode: 'horizontal', inputShape: [4, 4, 1] }),
        new RandomContrast(0.1),
        new Rescaling(1 / 255),
        new Flatten(),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      net.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      return net;
    };
    const pixels = new Tensor(
      Uint8Array.from({ length: 32 }, (_, i) => (i * 37) % 256),
      [2, 4, 4, 1],
      'uint8',
    );
    const labels = new Tensor(Int32Array.of(0, 1), [2], 'int32');
    const [a, b] = [build(), build()];
    expect(Array.from(a.predict(pixels).data)).toEqual(Array.from(b.predict(cast(pixels, 'float32')).data));
    // training draws each flip and contrast: the same draws for the same seed, on pixels as on their cast
    setSeed(63);
    await a.fit(pixels, labels, { epochs: 2, batchSize: 1, shuffle: false });
    setSeed(63);
    await b.fit(cast(pixels, 'float32'), labels, { epochs: 2, batchSize: 1, shuffle: false });
    expect(a.getWeights().map((w) => Array.from(w.data))).toEqual(b.getWeights().map((w) => Array.from(w.data)));
  });

  it("a model that does not scale them refuses them, advising the lesson's convertImageDtype, or a cast for a model with Rescaling first", async () => {
    const model = new Sequential([new Flatten({ inputShape: [2, 2, 1] }), new Dense({ units: 2 })]);
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const pixels = new Tensor(Uint8Array.of(0, 64, 128, 255), [1, 2, 2, 1], 'uint8');
    const labels = new Tensor(Int32Array.of(1), [1], 'int32');
    const advice = "or cast(x, 'float32') for a model that scales 0..255 itself (a Rescaling layer first)";
    expectConvlensError(() => model.predict(pixels), /^flatten(_\d+)?: input must be float32, got uint8 \(/);
    expect(() => model.predict(pixels)).toThrow(advice);
    expect(() => model.evaluate(pixels, labels)).toThrow(
      `evaluate: x must be float32, got uint8 (an image: convert it with image.convertImageDtype(x, 'float32'), to 0..1 as the lesson does, ${advice})`,
    );
    await expect(model.fit(pixels, labels)).rejects.toThrow(advice);
    // a functional model whose input also goes straight into another layer takes float32 only
    const input = Input({ shape: [2, 2, 1] });
    const skip = new Flatten().apply(input);
    const scaled = new Flatten().apply(new Rescaling(1 / 255).apply(input));
    const functional = functionalModel({ inputs: input, outputs: new Dense({ units: 2 }).apply(new Add().apply([skip, scaled])) });
    expect(() => functional.predict(pixels)).toThrow(advice);
  });
});
