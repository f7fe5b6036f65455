import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { alternatingLabels, expectSameSgdFit, f32, tfjsLoad, tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Conv2D, Dense, Flatten, fromArtifacts, resetNames, Sequential, Softmax } from './index.js';

beforeEach(() => resetNames());

/** A convolution whose channels a Softmax layer turns into probabilities, then a Dense head ending in another Softmax layer. */
function twins(): [Sequential, tfl.LayersModel] {
  const ours = new Sequential([
    new Conv2D({ filters: 3, kernelSize: 2, inputShape: [4, 4, 2] }),
    new Softmax(),
    new Flatten(),
    new Dense({ units: 2 }),
    new Softmax({ axis: 1 }),
  ]);
  const theirs = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 2] }),
      tfl.layers.softmax({ axis: -1 }), // tfjs' default axis is 1, where Keras' is -1
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2 }),
      tfl.layers.softmax(),
    ],
  });
  theirs.setWeights(ours.getWeights().map(tfOf));
  return [ours, theirs];
}

describe("Softmax layer (Keras' Softmax, tfjs' softmax layer)", () => {
  it('predicts, summarises, saves and loads both ways, and fits as tfjs-layers', async () => {
    setSeed(5);
    const [ours, theirs] = twins();
    const x = f32(caseRng('softmax layer', 0), [6, 4, 4, 2], -0.5, 0.5);
    const predicted = ours.predict(x);
    expectClose(predicted, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6, 'predict');
    expect(ours.layers.map((l) => [l.name, l.outputShape, l.countParams()])).toEqual(
      theirs.layers.map((l, i) => [ours.layers[i].name, (l.outputShape as number[]).slice(1), l.countParams()]),
    );
    expect(ours.layers.map((l) => l.name)).toEqual(['conv2d', 'softmax', 'flatten', 'dense', 'softmax_1']);

    const { modelJson, weightData } = ours.toArtifacts();
    const inTfjs = (await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor;
    expectClose(predicted, inTfjs.dataSync(), 1e-6, 'our save in tfjs');
    const theirSave = await tfjsSaved(theirs);
    const loaded = fromArtifacts(theirSave.modelJson, theirSave.weightData);
    expect(loaded.layers.map((l) => l.className)).toEqual(['Conv2D', 'Softmax', 'Flatten', 'Dense', 'Softmax']);
    expectClose(loaded.predict(x), predicted, 1e-6, 'tfjs save in convlens');

    // small inputs keep the last softmax off saturation, where Keras' loss from the logits and tfjs' from clipped probabilities part ways
    await expectSameSgdFit(ours, theirs, x, alternatingLabels(6), { epochs: 3, batchSize: 3, learningRate: 0.5 });
  });

  it('refuses an axis other than the last, naming the layer, the axis and the shape', () => {
    expect(new Sequential([new Softmax({ axis: 2, inputShape: [3, 4] })]).outputShape).toEqual([3, 4]);
    expectConvlensError(
      () => new Sequential([new Softmax({ axis: 1, inputShape: [3, 4], name: 'probs' })]),
      'probs (Softmax): axis 1 is not supported for inputs of shape (None, 3, 4): convlens takes the softmax over the last axis (-1, or 2)',
    );
    expectConvlensError(() => new Softmax({ axis: 0.5, name: 's' }), "Softmax 's': axis must be an integer, got 0.5");
    expectConvlensError(() => new Softmax({ axes: -1 } as never), "Softmax: unknown option 'axes' (did you mean 'axis'?)");
  });
});
