import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2D, Dense, Flatten, fromArtifacts, type Padding2D, resetNames, Sequential, ZeroPadding2D } from './index.js';

beforeEach(() => resetNames());

describe('ZeroPadding2D', () => {
  const paddings: Padding2D[] = [
    1,
    [2, 0],
    [
      [0, 2],
      [3, 1],
    ],
  ];
  for (const [c, padding] of paddings.entries()) {
    it(`padding ${JSON.stringify(padding)}: predict, fit and saving match tfjs-layers' zeroPadding2d`, async () => {
      setSeed(80 + c);
      const rng = caseRng('zero padding', c);
      const ours = new Sequential([
        new Conv2D({ filters: 2, kernelSize: 2, inputShape: [4, 5, 1] }),
        new ZeroPadding2D({ padding }),
        new Conv2D({ filters: 2, kernelSize: 3, activation: 'relu' }),
        new Flatten(),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [4, 5, 1] }),
          tfl.layers.zeroPadding2d({ padding }),
          tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      theirs.setWeights(ours.getWeights().map(tfOf));
      const x = f32(rng, [3, 4, 5, 1]);
      expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
      const y = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0), [3, 2], 'float32');
      await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 3, learningRate: 0.5 });
      const { modelJson, weightData } = ours.toArtifacts();
      expectClose(ours.predict(x), ((await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'in tfjs');
      expect(fromArtifacts(ours.toArtifacts()).getLayer(1).outputShape).toEqual(ours.getLayer(1).outputShape);
    });
  }

  it('names a bad padding', () => {
    expectConvlensError(
      () => new ZeroPadding2D({ padding: -1 }),
      /padding must be n, \[rows, cols\] or \[\[top, bottom\], \[left, right\]\] of whole numbers ≥ 0, got -1/,
    );
    expectConvlensError(() => new ZeroPadding2D({ padding: [1, 2, 3] as never }), /got \[1, 2, 3\]/);
    expectConvlensError(
      () => new Sequential([new ZeroPadding2D({ padding: 100_000, inputShape: [1, 1, 1] })]),
      /makes each example \[200001, 200001, 1\], more values than an array holds/,
    );
  });
});
