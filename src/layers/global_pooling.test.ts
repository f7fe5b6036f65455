import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2D, Dense, fromArtifacts, GlobalAveragePooling2D, GlobalMaxPooling2D, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

const KINDS = [
  { name: 'average', ours: () => new GlobalAveragePooling2D(), theirs: () => tfl.layers.globalAveragePooling2d({}) },
  { name: 'max', ours: () => new GlobalMaxPooling2D(), theirs: () => tfl.layers.globalMaxPooling2d({}) },
];

/** Conv2D → global pooling → Dense softmax in both libraries, with our seeded weights. */
function twins(kind: (typeof KINDS)[number]) {
  const ours = new Sequential([
    new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 5, 2] }),
    kind.ours(),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 5, 2] }),
      kind.theirs(),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  theirs.setWeights(ours.getWeights().map(tfOf));
  return { ours, theirs };
}

forEachBackend(() => {
  describe('global pooling against tfjs-layers', () => {
    for (const kind of KINDS) {
      it(`${kind.name}: predict, and fit's losses and weights over 3 epochs`, async () => {
        setSeed(50);
        const rng = caseRng(`global ${kind.name}`, 0);
        const { ours, theirs } = twins(kind);
        const x = f32(rng, [6, 6, 5, 2]);
        expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
        const y = new Tensor(
          Float32Array.from({ length: 12 }, (_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0)),
          [6, 2],
          'float32',
        );
        await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 3, learningRate: 0.5 });
      });
    }
  });
});

describe('global pooling', () => {
  it('shapes: [batch, channels], or [batch, 1, 1, channels] with keepdims', () => {
    const x = new Tensor(
      Float32Array.from({ length: 2 * 2 * 3 * 2 }, (_, i) => i),
      [2, 2, 3, 2],
      'float32',
    );
    const avg = new Sequential([new GlobalAveragePooling2D({ inputShape: [2, 3, 2] })]);
    // image 0, channel 0: the even values 0..10, mean 5; channel 1: 1..11, mean 6
    expect(Array.from(avg.predict(x).data)).toEqual([5, 6, 17, 18]);
    const kept = new Sequential([new GlobalMaxPooling2D({ keepdims: true, inputShape: [2, 3, 2] })]);
    expect(kept.outputShape).toEqual([1, 1, 2]);
    expect(Array.from(kept.predict(x).data)).toEqual([10, 11, 22, 23]);
  });

  it("max's gradient is shared among tied maxima, as TensorFlow's reduce_max gradient", () => {
    const layer = new GlobalMaxPooling2D();
    const x = new Tensor(Float32Array.of(3, 1, 3, 2), [1, 2, 2, 1], 'float32');
    layer.apply(x, true);
    const dx = layer.backward(new Tensor(Float32Array.of(1), [1, 1], 'float32'), true)!;
    expect(Array.from(dx.data)).toEqual([0.5, 0, 0.5, 0]);
    // a NaN maximum: 0 / 0 everywhere in its channel, as in TensorFlow
    layer.apply(new Tensor(Float32Array.of(3, Number.NaN, 1, 2), [1, 2, 2, 1], 'float32'), true);
    expect(Array.from(layer.backward(new Tensor(Float32Array.of(1), [1, 1], 'float32'), true)!.data).every(Number.isNaN)).toBe(true);
  });

  it('saved and loaded both ways, also with keepdims', async () => {
    setSeed(51);
    const rng = caseRng('global load', 0);
    const { ours, theirs } = twins(KINDS[0]);
    const x = f32(rng, [2, 6, 5, 2]);
    const { modelJson, weightData } = ours.toArtifacts();
    const back = await tfjsLoad(modelJson, weightData);
    expectClose(ours.predict(x), (back.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'convlens → tfjs');
    expectClose(fromArtifacts(ours.toArtifacts()).predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'round trip');
    const kept = new Sequential([new GlobalMaxPooling2D({ keepdims: true, inputShape: [2, 3, 2] })]);
    expect(fromArtifacts(kept.toArtifacts()).outputShape).toEqual([1, 1, 2]);
  });

  it('names what is wrong', () => {
    expectConvlensError(
      () => new GlobalAveragePooling2D({ dataFormat: 'NCHW' as never, name: 'g' }),
      "GlobalAveragePooling2D 'g': unknown dataFormat \"NCHW\" (expected 'channels_last' or 'channels_first')",
    );
    expectConvlensError(() => new GlobalMaxPooling2D({ keepdims: 1 as never }), /keepdims must be true or false, got 1/);
    expectConvlensError(
      () => new Sequential([new GlobalAveragePooling2D({ inputShape: [4, 3] })]),
      /expected inputs of shape \(height, width, channels\), got \[4, 3\]/,
    );
  });
});
