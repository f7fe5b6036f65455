import { beforeEach, describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32 } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2D, Dense, Flatten, fromArtifacts, resetNames, Sequential, SpatialDropout2D } from './index.js';

beforeEach(() => resetNames());

/** What happened to each channel of each example: all its values kept (times `scale`), all dropped, or a mix. */
function channelFates(x: Tensor, out: ArrayLike<number>, scale: number): ('kept' | 'dropped' | 'mixed')[] {
  const [batch, height, width, channels] = x.shape;
  const fates: ('kept' | 'dropped' | 'mixed')[] = [];
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const indices = Array.from({ length: height * width }, (_, p) => (n * height * width + p) * channels + c);
      if (indices.every((i) => out[i] === 0)) fates.push('dropped');
      else if (indices.every((i) => out[i] === Math.fround(x.data[i] * scale))) fates.push('kept');
      else fates.push('mixed');
    }
  }
  return fates;
}

describe('SpatialDropout2D', () => {
  it('passes values through at inference (predict, or apply without training)', () => {
    const x = f32(caseRng('spatial inference', 0), [3, 4, 4, 5]);
    const layer = new SpatialDropout2D({ rate: 0.6, inputShape: [4, 4, 5] });
    expect(new Sequential([layer]).predict(x).data).toEqual(x.data);
    expect(layer.apply(x).data).toEqual(x.data);
  });

  it('in training, every channel of every example is all zero or all scaled by 1/(1 − rate); about rate of them drop', () => {
    setSeed(80);
    const rate = 0.3;
    const x = f32(caseRng('spatial mask', 0), [200, 2, 3, 50], 0.5, 1.5);
    const out = new SpatialDropout2D(rate).apply(x, true);
    // the scale in float32, as tf.nn.dropout multiplies by it
    const fates = channelFates(x, out.data, Math.fround(1 / (1 - rate)));
    expect(fates.filter((f) => f === 'mixed')).toHaveLength(0);
    // 10,000 channels: the dropped fraction's standard deviation is √(0.3·0.7/10⁴) ≈ 0.0046
    const dropped = fates.filter((f) => f === 'dropped').length / fates.length;
    expect(Math.abs(dropped - rate)).toBeLessThan(0.02);
  });

  it('its gradient is the same mask, and a seed repeats the masks', () => {
    const rng = caseRng('spatial grad', 0);
    const x = f32(rng, [4, 3, 3, 6], 0.5, 1.5);
    const dy = f32(rng, x.shape);
    setSeed(81);
    const layer = new SpatialDropout2D(0.5);
    const out = layer.apply(x, true);
    const dx = layer.backward(dy, true)!;
    dx.data.forEach((v, i) => {
      expect(v).toBe(Math.fround(dy.data[i] * (out.data[i] === 0 ? 0 : 2)));
    });
    setSeed(81);
    expect(new SpatialDropout2D(0.5).apply(x, true).data).toEqual(out.data);
    expect(new SpatialDropout2D(0).apply(x, true).data).toEqual(x.data);
  });

  it('trains in a convnet, reproducibly under setSeed', async () => {
    const rng = caseRng('spatial fit', 0);
    const x = f32(rng, [8, 5, 5, 1]);
    const y = new Tensor(Int32Array.from(rng.ints(8, 0, 2)), [8], 'int32');
    const run = async () => {
      setSeed(82);
      resetNames();
      const model = new Sequential([
        new Conv2D({ filters: 4, kernelSize: 3, inputShape: [5, 5, 1] }),
        new SpatialDropout2D(0.5),
        new Flatten(),
        new Dense({ units: 3, activation: 'softmax' }),
      ]);
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      return (await model.fit(x, y, { epochs: 3, batchSize: 4 })).history.loss;
    };
    const losses = await run();
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(await run()).toEqual(losses);
  });

  it("saves as Keras' SpatialDropout2D and loads back; reads Keras 3's config", () => {
    const model = new Sequential([new SpatialDropout2D({ rate: 0.25, inputShape: [4, 4, 3] })]);
    const { modelJson } = model.toArtifacts();
    const layerJson = (modelJson.modelTopology as { config: { layers: { class_name: string; config: object }[] } }).config.layers[0];
    expect(layerJson.class_name).toBe('SpatialDropout2D');
    expect(layerJson.config).toMatchObject({ name: 'spatial_dropout2d', rate: 0.25, data_format: 'channels_last' });
    expect((fromArtifacts(model.toArtifacts()).getLayer(0) as SpatialDropout2D).rate).toBe(0.25);
    const keras3 = (config: object) => ({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          layers: [
            { class_name: 'InputLayer', config: { batch_shape: [null, 4, 4, 3], name: 'input' } },
            {
              class_name: 'SpatialDropout2D',
              config: {
                name: 'sd',
                rate: 0.4,
                seed: null,
                dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } },
                data_format: 'channels_last',
                ...config,
              },
            },
          ],
        },
      },
      weightsManifest: [],
    });
    expect((fromArtifacts(keras3({}), new ArrayBuffer(0)).getLayer(0) as SpatialDropout2D).rate).toBe(0.4);
    expect((fromArtifacts(keras3({ data_format: 'channels_first' }), new ArrayBuffer(0)).getLayer(0) as SpatialDropout2D).dataFormat).toBe(
      'channels_first',
    );
    expect(() => fromArtifacts(keras3({ data_format: 'channels_middle' }), new ArrayBuffer(0))).toThrow(
      `fromArtifacts: layer 1 'sd' (SpatialDropout2D): SpatialDropout2D 'sd': unknown dataFormat "channels_middle" (expected 'channels_last' or 'channels_first')`,
    );
  });

  it('names what is wrong', () => {
    expectConvlensError(() => new SpatialDropout2D(1), "SpatialDropout2D 'spatial_dropout2d': rate must be a number in [0, 1), got 1");
    expectConvlensError(() => new SpatialDropout2D(-0.1), /rate must be a number in \[0, 1\), got -0\.1/);
    expectConvlensError(
      () => new SpatialDropout2D({ rate: 0.5, data_format: 'channels_last' } as never),
      "SpatialDropout2D: unknown option 'data_format' (did you mean 'dataFormat'?)",
    );
    expectConvlensError(
      () => new SpatialDropout2D(0.5, { dataFormat: 'channelsMiddle' as never, name: 's' }),
      "SpatialDropout2D 's': unknown dataFormat \"channelsMiddle\" (expected 'channels_last' or 'channels_first')",
    );
    expectConvlensError(
      () => new Sequential([new SpatialDropout2D({ rate: 0.5, inputShape: [10] })]),
      /^spatial_dropout2d_\d+ \(SpatialDropout2D\): expected images \[batch, height, width, channels\], got inputs \(batch, 10\)$/,
    );
    expectConvlensError(
      () => new SpatialDropout2D(0.5).apply(new Tensor(new Float32Array(12), [2, 3, 2], 'float32')),
      /apply takes a batch \[batch, height, width, channels\], got shape \[2, 3, 2\]/,
    );
  });
});
