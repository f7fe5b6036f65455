import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { SGD } from '../train/optimizers.js';
import { Conv2D, Conv2DTranspose, Dense, Flatten, fromArtifacts, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

describe('Conv2DTranspose', () => {
  it("strided SAME and VALID layers between convolutions (one with gelu, whose gradient needs the pre-activation): predict, fit and saving match tfjs-layers' conv2dTranspose", async () => {
    setSeed(52);
    const rng = caseRng('conv2d transpose', 0);
    const ours = new Sequential([
      new Conv2D({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [7, 6, 1] }),
      new Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      new Conv2DTranspose({ filters: 2, kernelSize: [2, 3], strides: [1, 2], activation: 'gelu' }),
      new Flatten(),
      new Dense({ units: 2, activation: 'softmax' }),
    ]);
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [7, 6, 1] }),
        tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        tfl.layers.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: [1, 2], activation: 'gelu' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    expect(ours.layers.map((l) => l.outputShape)).toEqual(theirs.layers.map((l) => (l.outputShape as number[]).slice(1)));
    expect(ours.getLayer(1).outputShape).toEqual([8, 6, 2]);
    const x = f32(rng, [4, 7, 6, 1]);
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    const y = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1), [4, 2], 'float32');
    await expectSameSgdFit(ours, theirs, x, y, { epochs: 3, batchSize: 2, learningRate: 0.3 });
    const { modelJson, weightData } = ours.toArtifacts();
    expectClose(ours.predict(x), ((await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'in tfjs');
    const again = fromArtifacts(ours.toArtifacts());
    expectClose(again.predict(x), ours.predict(x), 1e-6, 'reloaded');
    expect(again.getLayer(2)).toBeInstanceOf(Conv2DTranspose);
  });

  it('as the sigmoid output of a small autoencoder, fit with binary cross-entropy (from its logits) matches tfjs-layers', async () => {
    setSeed(53);
    const rng = caseRng('conv2d transpose', 1);
    const ours = new Sequential([
      new Conv2D({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [6, 6, 1] }),
      new Conv2DTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
    ]);
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [6, 6, 1] }),
        tfl.layers.conv2dTranspose({ filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const x = f32(rng, [4, 6, 6, 1], 0, 1);
    const target = new Tensor(
      Float32Array.from(x.data, (v) => (v > 0.5 ? 1 : 0)),
      x.shape,
      'float32',
    );
    ours.compile({ optimizer: new SGD({ learningRate: 0.5 }), loss: 'binaryCrossentropy' });
    theirs.compile({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy' });
    const history = await ours.fit(x, target, { epochs: 3, batchSize: 2, shuffle: false });
    const expected = await theirs.fit(tfOf(x), tfOf(target), { epochs: 3, batchSize: 2, shuffle: false, verbose: 0 });
    expectClose(history.history.loss, expected.history.loss as number[], 1e-5, 'loss');
    const theirWeights = theirs.getWeights();
    for (const [i, w] of ours.getWeights().entries()) expectClose(w, theirWeights[i].dataSync(), 1e-4, ours.weights[i].name);
  });

  it("works out Keras' output sizes, dilated windows included, and refuses what it does not compute", () => {
    const shapeOf = (args: ConstructorParameters<typeof Conv2DTranspose>[0], input: number[]) => {
      const layer = new Conv2DTranspose(args);
      layer.build(input);
      return layer.outputShape;
    };
    // VALID: size × stride + max(window − stride, 0); SAME: size × stride
    expect(shapeOf({ filters: 4, kernelSize: 5, strides: 2 }, [3, 4, 1])).toEqual([9, 11, 4]);
    expect(shapeOf({ filters: 4, kernelSize: 1, strides: 3 }, [3, 4, 1])).toEqual([9, 12, 4]);
    expect(shapeOf({ filters: 1, kernelSize: 3, dilationRate: 2 }, [3, 4, 2])).toEqual([7, 8, 1]);
    expect(shapeOf({ filters: 1, kernelSize: 3, dilationRate: 2, padding: 'same' }, [3, 4, 2])).toEqual([3, 4, 1]);
    const layer = new Conv2DTranspose({ filters: 3, kernelSize: 2, inputShape: [2, 2, 5] });
    new Sequential([layer]);
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[2, 2, 3, 5], [3]]);

    expectConvlensError(
      () => new Conv2DTranspose({ filters: 2, kernelSize: 3, outputPadding: 1 as never }),
      "Conv2DTranspose 'conv2d_transpose_5': outputPadding 1 is not supported (only null: the size padding gives)",
    );
    expectConvlensError(() => new Conv2DTranspose({ filters: 0, kernelSize: 3 }), /filters must be a positive integer, got 0/);
    expectConvlensError(
      () => new Conv2DTranspose(16 as never),
      /Keras' Conv2DTranspose\(16, 3\) is new Conv2DTranspose\(\{ filters: 16, kernelSize: 3 \}\)/,
    );
  });
});
