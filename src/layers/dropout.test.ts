import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32, tfjsLoad } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { globalRandom, setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Dense, Dropout, fromArtifacts, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

const ones = (shape: number[]) => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape, 'float32');

describe("Dropout's noiseShape and seed (Keras' noise_shape and seed)", () => {
  it('draws one keep-or-drop per cell of noiseShape and shares it along the axes of 1: [null, 1, 1, null] drops whole feature maps', () => {
    setSeed(5);
    const layer = new Dropout({ rate: 0.5, noiseShape: [null, 1, 1, null] });
    const [batch, height, width, channels] = [3, 4, 5, 8];
    const x = f32(caseRng('dropout noise shape', 0), [batch, height, width, channels], 0.5, 1);
    const y = layer.apply(x, true);
    const kept = new Set<string>();
    const dropped = new Set<string>();
    for (let i = 0; i < x.size; i++) {
      const n = Math.floor(i / (height * width * channels));
      const c = i % channels;
      if (y.data[i] === 0) dropped.add(`${n},${c}`);
      else {
        expect(y.data[i]).toBeCloseTo(x.data[i] * 2, 6);
        kept.add(`${n},${c}`);
      }
    }
    // each (example, channel) is kept or dropped whole, and both happen
    expect([...kept].filter((k) => dropped.has(k))).toEqual([]);
    expect(kept.size + dropped.size).toBe(batch * channels);
    expect(kept.size).toBeGreaterThan(0);
    expect(dropped.size).toBeGreaterThan(0);
    // the gradient goes through the same mask
    const dx = layer.backward(ones(x.shape), true)!;
    for (let i = 0; i < x.size; i++) expect(dx.data[i]).toBe(y.data[i] === 0 ? 0 : 2);
    // inference passes values through
    expect(layer.apply(x).data).toEqual(x.data);
  });

  it('takes the noise shape as given where it is not null, the batch axis included', () => {
    const layer = new Dropout({ rate: 0.4, noiseShape: [1, 6], seed: 3 });
    const y = layer.apply(ones([5, 6]), true);
    // one row of draws, shared by every example
    for (let n = 1; n < 5; n++) expect(y.data.subarray(n * 6, n * 6 + 6)).toEqual(y.data.subarray(0, 6));
  });

  it('with a seed, draws the same masks from run to run from its own generator, leaving the global one alone', () => {
    const x = f32(caseRng('dropout seed', 0), [4, 10], 0.5, 1);
    const masks = () => {
      const layer = new Dropout({ rate: 0.5, seed: 42 });
      return [layer.apply(x, true).data, layer.apply(x, true).data];
    };
    setSeed(1);
    const first = masks();
    const globalNext = globalRandom().next();
    setSeed(2);
    const second = masks();
    expect(second).toEqual(first);
    expect(first[1]).not.toEqual(first[0]);
    setSeed(1);
    expect(globalRandom().next()).toBe(globalNext);
  });

  it('writes noise_shape and seed as Keras does, reads them back, and tfjs-layers loads the model', async () => {
    const model = new Sequential([
      new Dense({ units: 6, inputShape: [4] }),
      new Dropout({ rate: 0.25, noiseShape: [null, 1], seed: 7 }),
      new Dropout(0.1),
    ]);
    const files = model.toArtifacts();
    const configs = (files.modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    expect([configs[1].config.noise_shape, configs[1].config.seed]).toEqual([[null, 1], 7]);
    expect([configs[2].config.noise_shape, configs[2].config.seed]).toEqual([null, null]);
    const again = fromArtifacts(files).layers[1] as Dropout;
    expect([again.noiseShape, again.seed, again.rate]).toEqual([[null, 1], 7, 0.25]);
    const theirs = await tfjsLoad(files.modelJson, files.weightData as ArrayBuffer);
    const config = (theirs.layers[1] as tfl.layers.Layer).getConfig();
    expect([config.noiseShape, config.seed]).toEqual([[null, 1], 7]);
  });

  it('refuses a noise shape that does not fit the input, naming the layer and both shapes', () => {
    expectConvlensError(
      () => new Sequential([new Dense({ units: 4, inputShape: [3] }), new Dropout({ rate: 0.5, noiseShape: [null, 3] })]),
      "dropout (Dropout): noiseShape [null, 3] does not fit inputs [batch, 4]: each size must be 1, null or the input's",
    );
    expectConvlensError(
      () => new Sequential([new Dense({ units: 4, inputShape: [3] }), new Dropout({ rate: 0.5, noiseShape: [null, 1, 4] })]),
      "dropout_1 (Dropout): noiseShape [null, 1, 4] does not fit inputs [batch, 4]: each size must be 1, null or the input's",
    );
    expectConvlensError(
      () => new Dropout({ rate: 0.5, noiseShape: [null, 0] }),
      "Dropout 'dropout_2': noiseShape must be a list of positive integers or null (the input's size), batch axis first, got [null, 0]",
    );
    expectConvlensError(
      () => new Dropout({ rate: 0.5, seed: -1 }),
      "Dropout 'dropout_3': seed must be a non-negative integer (or null), got -1",
    );
    // a batch size the noise shape fixes otherwise
    const fixed = new Dropout({ rate: 0.5, noiseShape: [2, 4] });
    expectConvlensError(
      () => fixed.apply(ones([3, 4]), true),
      'dropout_4 (Dropout): noiseShape [2, 4] does not fit a batch of shape [3, 4]',
    );
  });
});
