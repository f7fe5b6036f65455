import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { SGD } from '../train/optimizers.js';
import { Dense, fromArtifacts, Sequential } from './index.js';

// compile's 'mape' metric (Keras' and tfjs'), in fit, evaluate and saved models, against tfjs-layers.

describe("the 'mape' metric in fit and evaluate", () => {
  it('history and evaluate match tfjs-layers; a model saved with it loads compiled in tfjs and back', async () => {
    const rng = caseRng('mape fit', 0);
    const ours = new Sequential([new Dense({ units: 4, activation: 'tanh', inputShape: [3] }), new Dense({ units: 2 })]);
    ours.setWeights(ours.weights.map((w) => f32(rng, w.shape, -0.8, 0.8)));
    const x = f32(rng, [8, 3]);
    const y = f32(rng, [8, 2], 0.5, 2);
    ours.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'meanSquaredError', metrics: ['mape'] });
    const theirs = await tfjsLoad(ours.toArtifacts().modelJson, ours.toArtifacts().weightData);
    theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError', metrics: ['mape'] });
    const options = { epochs: 3, batchSize: 4, shuffle: false };
    const history = await ours.fit(x, y, options);
    const expected = await theirs.fit(tfOf(x), tfOf(y), { ...options, verbose: 0 });
    expectClose(history.history.mape, expected.history.mape as number[], 1e-5, 'mape');
    const [, theirMape] = theirs.evaluate(tfOf(x), tfOf(y)) as tf.Scalar[];
    expectClose([(ours.evaluate(x, y) as unknown as { mape: number }).mape], [theirMape.dataSync()[0]], 1e-5, 'evaluate');

    // saved with it, the model opens compiled in tfjs (its metric is tfjs' 'mape') and in convlens
    const { modelJson, weightData } = ours.toArtifacts();
    const reopened = await tfjsLoad(modelJson, weightData);
    expect((reopened as tfl.LayersModel & { metricsNames: string[] }).metricsNames).toEqual(['loss', 'mape']);
    const again = fromArtifacts(modelJson, weightData);
    expect(Object.keys(again.evaluate(x, y))).toContain('mape');
  });
});
