import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Dense, fromArtifacts, GaussianNoise, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

describe('GaussianNoise', () => {
  it('passes values through at inference (predict, or apply without training)', () => {
    const x = f32(caseRng('noise inference', 0), [3, 4, 4, 2]);
    const layer = new GaussianNoise({ stddev: 0.5, inputShape: [4, 4, 2] });
    expect(new Sequential([layer]).predict(x).data).toEqual(x.data);
    expect(layer.apply(x).data).toEqual(x.data);
  });

  it('in training adds noise of mean 0 and standard deviation stddev, new each call; its gradient passes unchanged', () => {
    setSeed(90);
    const stddev = 0.3;
    const rng = caseRng('noise stats', 0);
    const x = f32(rng, [400, 500], -5, 5);
    const layer = new GaussianNoise(stddev);
    const out = layer.apply(x, true);
    const noise = Array.from(out.data, (v, i) => v - x.data[i]);
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const std = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
    // 200,000 values: the mean's standard error is 0.3/√(2·10⁵) ≈ 6.7e-4, the deviation's about 4.7e-4
    expect(Math.abs(mean)).toBeLessThan(3e-3);
    expect(Math.abs(std - stddev)).toBeLessThan(3e-3);
    // about 68% within one deviation, as a normal distribution has
    expect(Math.abs(noise.filter((v) => Math.abs(v) < stddev).length / noise.length - 0.6827)).toBeLessThan(0.01);
    expect(layer.apply(x, true).data).not.toEqual(out.data);
    const dy = f32(rng, x.shape);
    expect(layer.backward(dy, true)!.data).toEqual(dy.data);
    expect(new GaussianNoise(0).apply(x, true).data).toEqual(x.data);
  });

  it('a seed repeats the noise', () => {
    const x = f32(caseRng('noise seed', 0), [5, 6]);
    setSeed(91);
    const first = new GaussianNoise(1).apply(x, true);
    setSeed(91);
    expect(new GaussianNoise(1).apply(x, true).data).toEqual(first.data);
  });

  it("saves as Keras' GaussianNoise, opening in tfjs-layers as its gaussianNoise; tfjs' and Keras 3's open in convlens", async () => {
    setSeed(92);
    const rng = caseRng('noise load', 0);
    const ours = new Sequential([new GaussianNoise({ stddev: 0.2, inputShape: [4] }), new Dense({ units: 2 })]);
    const x = f32(rng, [3, 4]);
    const { modelJson, weightData } = ours.toArtifacts();
    const back = await tfjsLoad(modelJson, weightData);
    expect(back.layers[0].getClassName()).toBe('GaussianNoise');
    expect(back.layers[0].getConfig()).toMatchObject({ stddev: 0.2 });
    expectClose(ours.predict(x), (back.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6, 'convlens → tfjs');

    const theirs = tfl.sequential({ layers: [tfl.layers.gaussianNoise({ stddev: 0.7, inputShape: [4] })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await theirs.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = fromArtifacts({ modelTopology: saved!.modelTopology, weightsManifest: [] }, new ArrayBuffer(0));
    expect((loaded.getLayer(0) as GaussianNoise).stddev).toBe(0.7);
    expect(loaded.predict(x).data).toEqual(x.data);

    const keras3 = {
      modelTopology: {
        class_name: 'Sequential',
        config: {
          layers: [
            { class_name: 'InputLayer', config: { batch_shape: [null, 4], name: 'input' } },
            { class_name: 'GaussianNoise', config: { name: 'noise', stddev: 0.1, seed: null, trainable: true } },
          ],
        },
      },
      weightsManifest: [],
    };
    expect((fromArtifacts(keras3, new ArrayBuffer(0)).getLayer(0) as GaussianNoise).stddev).toBe(0.1);
  });

  it('names what is wrong', () => {
    expectConvlensError(() => new GaussianNoise(-0.1), "GaussianNoise 'gaussian_noise': stddev must be a finite number ≥ 0, got -0.1");
    expectConvlensError(() => new GaussianNoise(Number.POSITIVE_INFINITY), /stddev must be a finite number ≥ 0, got Infinity/);
    expectConvlensError(() => new GaussianNoise({} as never), /stddev must be a finite number ≥ 0, got undefined/);
    expectConvlensError(
      () => new GaussianNoise({ stdev: 0.1 } as never),
      /^GaussianNoise: unknown option 'stdev' \(did you mean 'stddev'\?\)$/,
    );
    expectConvlensError(() => new GaussianNoise('0.1' as never), /^GaussianNoise: expected a stddev or an options object/);
  });
});
