import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2D, Dense, Flatten, fromArtifacts, Reshape, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

describe('Reshape', () => {
  it("a Dense output as an image for a Conv2D (-1 worked out): predict, fit and saving match tfjs-layers' reshape", async () => {
    setSeed(90);
    const rng = caseRng('reshape', 0);
    const ours = new Sequential([
      new Dense({ units: 16, activation: 'relu', inputShape: [5] }),
      new Reshape({ targetShape: [4, -1, 1] }),
      new Conv2D({ filters: 2, kernelSize: 2 }),
      new Flatten(),
      new Dense({ units: 2, activation: 'softmax' }),
    ]);
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 16, activation: 'relu', inputShape: [5] }),
        tfl.layers.reshape({ targetShape: [4, 4, 1] }), // tfjs cannot carry a -1 on to the Flatten
        tfl.layers.conv2d({ filters: 2, kernelSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    expect(ours.getLayer(1).outputShape).toEqual([4, 4, 1]);
    const x = f32(rng, [4, 5]);
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    const y = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1), [4, 2], 'float32');
    await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 4, learningRate: 0.5 });
    const { modelJson, weightData } = ours.toArtifacts();
    expectClose(ours.predict(x), ((await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'in tfjs');
    expect(fromArtifacts(ours.toArtifacts()).getLayer(1).outputShape).toEqual([4, 4, 1]);
  });

  it('names a shape that does not fit', () => {
    expectConvlensError(
      () => new Reshape({ targetShape: [-1, -1] }),
      /targetShape must be a list of positive whole numbers, one of them -1 at most, got \[-1, -1\]/,
    );
    expectConvlensError(
      () => new Sequential([new Reshape({ targetShape: [3, -1], inputShape: [4] })]),
      /reshape(_\d+)? \(Reshape\): cannot reshape an example of shape \[4\] \(4 values\) to \[3, -1\]/,
    );
    expectConvlensError(() => new Sequential([new Reshape({ targetShape: [3, 2], inputShape: [4] })]), /to \[3, 2\]/);
  });
});
