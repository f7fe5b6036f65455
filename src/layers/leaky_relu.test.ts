import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2D, Dense, Flatten, fromArtifacts, LeakyReLU, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

describe('LeakyReLU', () => {
  for (const alpha of [0.3, 0.01, -0.5]) {
    it(`alpha ${alpha}: predict and fit match tfjs-layers' leakyReLU, and it is saved both ways`, async () => {
      setSeed(70);
      const rng = caseRng('leaky', alpha);
      const ours = new Sequential([
        new Conv2D({ filters: 3, kernelSize: 2, inputShape: [4, 4, 1] }),
        new LeakyReLU({ alpha }),
        new Flatten(),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      const theirs = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 1] }),
          tfl.layers.leakyReLU({ alpha }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      theirs.setWeights(ours.getWeights().map(tfOf));
      const x = f32(rng, [5, 4, 4, 1]);
      expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
      const y = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1, 1, 0), [5, 2], 'float32');
      await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 5, learningRate: 0.5 });
      const { modelJson, weightData } = ours.toArtifacts();
      expectClose(ours.predict(x), ((await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'in tfjs');
      expect((fromArtifacts(ours.toArtifacts()).getLayer(1) as LeakyReLU).alpha).toBe(alpha);
    });
  }

  it("reads Keras 3's negative_slope; names a bad alpha", () => {
    const { modelJson, weightData } = new Sequential([new LeakyReLU({ inputShape: [2] })]).toArtifacts();
    const json = JSON.parse(JSON.stringify(modelJson));
    const config = json.modelTopology.config.layers[0].config;
    delete config.alpha;
    config.negative_slope = 0.2;
    const layer = fromArtifacts(json, weightData).getLayer(0) as LeakyReLU;
    expect(layer.alpha).toBe(0.2);
    expect(Array.from(layer.apply(new Tensor(Float32Array.of(-1, 2), [1, 2], 'float32')).data)).toEqual([Math.fround(-0.2), 2]);
    expect(new LeakyReLU().alpha).toBe(0.3);
    // both keys: alpha wins, as in Keras 3
    config.alpha = 0.1;
    expect((fromArtifacts(json, weightData).getLayer(0) as LeakyReLU).alpha).toBe(0.1);
    expectConvlensError(() => new LeakyReLU({ alpha: Number.POSITIVE_INFINITY }), /alpha must be a finite number, got Infinity/);
  });
});
