import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { ActivationIdentifier } from './activations.js';
import { Activation, Conv2D, Dense, Flatten, fromArtifacts, type Layer, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

/** A model.json and weights as tfjs-layers' own save writes them. */
async function tfjsSaved(model: tfl.LayersModel): Promise<{ modelJson: Record<string, unknown>; weightData: ArrayBuffer }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const { modelTopology, weightSpecs, weightData } = saved!;
  return {
    modelJson: { format: 'layers-model', modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] },
    weightData: weightData as ArrayBuffer,
  };
}

/** Conv2D, Dense and Activation layers all with `activation`, then a softmax head; ours and tfjs-layers' (by tfjs' name). */
function models(ours: ActivationIdentifier, theirs: string): [Sequential, tfl.Sequential] {
  const model = new Sequential([
    new Conv2D({ filters: 3, kernelSize: 2, activation: ours, inputShape: [4, 4, 2] }),
    new Flatten(),
    new Dense({ units: 5, activation: ours }),
    new Activation(ours),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
  const reference = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 2, activation: theirs as never, inputShape: [4, 4, 2] }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 5, activation: theirs as never }),
      tfl.layers.activation({ activation: theirs as never }),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  reference.setWeights(model.getWeights().map(tfOf));
  return [model, reference];
}

const LABELS = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0), [6, 2], 'float32');

describe('activations tfjs-layers has: predict, fit and saving match it', () => {
  // [ours, tfjs' name, what our saved config says]
  const cases: [ActivationIdentifier, string, string][] = [
    ['gelu', 'gelu', 'gelu'],
    ['gelu_new', 'gelu_new', 'gelu_new'],
    ['swish', 'swish', 'swish'],
    ['silu', 'swish', 'swish'],
    ['mish', 'mish', 'mish'],
    ['hard_sigmoid', 'hardSigmoid', 'hard_sigmoid'],
    ['hardSigmoid', 'hardSigmoid', 'hard_sigmoid'],
  ];
  for (const [c, [ours, theirs, saved]] of cases.entries()) {
    it(`${ours} in Conv2D, Dense and Activation`, async () => {
      setSeed(90 + c);
      const rng = caseRng('activations', c);
      const [model, reference] = models(ours, theirs);
      // inputs wide enough to reach hard_sigmoid's bends and the saturated tails
      const x = f32(rng, [6, 4, 4, 2], -4, 4);
      const predicted = model.predict(x);
      expectClose(predicted, (reference.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');

      // tfjs' save opens in convlens and predicts the same
      const theirSave = await tfjsSaved(reference);
      expectClose(fromArtifacts(theirSave.modelJson, theirSave.weightData).predict(x), predicted, 1e-6, 'tfjs save in convlens');

      const { modelJson, weightData } = model.toArtifacts();
      const layers = (modelJson.modelTopology as { config: { layers: { config: { activation?: string } }[] } }).config.layers;
      expect(layers.slice(0, 4).map((l) => l.config.activation)).toEqual([saved, undefined, saved, saved]);
      expectClose(fromArtifacts(modelJson, weightData).predict(x), predicted, 0, 'convlens round trip');
      // tfjs-layers 4.22 reads 'gelu_new' back as 'geluNew', which it does not know
      if (saved !== 'gelu_new') {
        const inTfjs = (await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor;
        expectClose(predicted, inTfjs.dataSync(), 1e-5, 'convlens save in tfjs');
      }

      await expectSameSgdFit(model, reference, x, LABELS, { epochs: 3, batchSize: 3, learningRate: 0.5 });
    });
  }
});

describe("log_softmax (Keras' name; tfjs' logSoftmax)", () => {
  for (const [c, ours] of (['log_softmax', 'logSoftmax'] as const).entries()) {
    it(`${ours} in Conv2D (over the channels), Dense and Activation: predict, fit and saving match tfjs-layers' logSoftmax`, async () => {
      setSeed(80 + c);
      const [model, reference] = models(ours, 'logSoftmax');
      // small inputs: log-probabilities of a few classes feed the softmax head without saturating it,
      // where Keras' loss from its logits and tfjs' from its clipped probabilities part ways
      const x = f32(caseRng('log_softmax', c), [6, 4, 4, 2], -0.5, 0.5);
      const predicted = model.predict(x);
      expectClose(predicted, (reference.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
      const hidden = model.layerOutputs(x)[3].output;
      expect(Array.from({ length: 6 }, (_, r) => hidden.data.slice(5 * r, 5 * r + 5).reduce((a, v) => a + Math.exp(v), 0))).toEqual(
        Array.from({ length: 6 }, () => expect.closeTo(1, 6)),
      );

      const theirSave = await tfjsSaved(reference);
      expectClose(fromArtifacts(theirSave.modelJson, theirSave.weightData).predict(x), predicted, 1e-6, 'tfjs save in convlens');
      const { modelJson, weightData } = model.toArtifacts();
      const layers = (modelJson.modelTopology as { config: { layers: { config: { activation?: string } }[] } }).config.layers;
      expect(layers.slice(0, 4).map((l) => l.config.activation)).toEqual(['log_softmax', undefined, 'log_softmax', 'log_softmax']);
      const inTfjs = (await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor;
      expectClose(predicted, inTfjs.dataSync(), 1e-5, 'convlens save in tfjs');

      await expectSameSgdFit(model, reference, x, LABELS, { epochs: 3, batchSize: 3, learningRate: 0.1 });
    });
  }
});

/** Keras' exponential, which tfjs-layers lacks, as a tfjs-layers layer (tf.exp, differentiated by tfjs). */
class TfjsExp extends tfl.layers.Layer {
  static className = 'TfjsExp';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.exp(Array.isArray(inputs) ? inputs[0] : inputs);
  }
}

describe('exponential', () => {
  it("predicts and fits as tf.exp after tfjs-layers' linear layers; saved and loaded by convlens", async () => {
    setSeed(99);
    const rng = caseRng('exponential', 0);
    const ours = new Sequential([
      new Conv2D({ filters: 2, kernelSize: 2, activation: 'exponential', inputShape: [3, 3, 1] }),
      new Flatten(),
      new Dense({ units: 3, activation: 'exponential' }),
      new Activation('exponential'),
      new Dense({ units: 2, activation: 'softmax' }),
    ]);
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [3, 3, 1] }),
        new TfjsExp({}),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3 }),
        new TfjsExp({}),
        new TfjsExp({}),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    theirs.setWeights(ours.getWeights().map(tfOf));
    const x = f32(rng, [6, 3, 3, 1], -0.5, 0.5);
    const predicted = ours.predict(x);
    expectClose(predicted, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
    expectClose(fromArtifacts(ours.toArtifacts()).predict(x), predicted, 0, 'round trip');
    await expectSameSgdFit(ours, theirs, x, LABELS, { epochs: 3, batchSize: 3, learningRate: 0.1 });
  });
});

describe('activation names when loading', () => {
  /** A one-Dense model's artifacts with the activation (and Keras version) a file might carry. */
  function saved(activation: string, kerasVersion?: string) {
    const { modelJson, weightData } = new Sequential([new Dense({ units: 2, inputShape: [3] })]).toArtifacts();
    const json = JSON.parse(JSON.stringify(modelJson));
    json.modelTopology.config.layers[0].config.activation = activation;
    if (kerasVersion) json.modelTopology.keras_version = kerasVersion;
    return [json, weightData] as const;
  }
  const activationOf = (model: Sequential, index = 0) => (model.getLayer(index) as Layer & { activation: string }).activation;

  it("reads Keras 3's silu and tfjs' camelCase names, as the canonical names", () => {
    expect(activationOf(fromArtifacts(...saved('silu', '3.3.3')))).toBe('swish');
    expect(activationOf(fromArtifacts(...saved('hardSigmoid')))).toBe('hard_sigmoid');
    expect(activationOf(fromArtifacts(...saved('geluNew')))).toBe('gelu_new');
    expect(activationOf(fromArtifacts(...saved('hard_sigmoid', '2.13.1')))).toBe('hard_sigmoid');
  });

  it("refuses Keras 3's hard_sigmoid, which is another function under the same name", () => {
    expectConvlensError(
      () => fromArtifacts(...saved('hard_sigmoid', '3.3.3')),
      "fromArtifacts: layer 0 'dense' (Dense): Keras 3.3.3's activation 'hard_sigmoid' is not supported (Keras 3's is relu6(x + 3) / 6; convlens computes TensorFlow.js' and tf.keras 2's, clip(0.2x + 0.5, 0, 1))",
    );
  });

  it('values at known points: the documented formulas', () => {
    const x = new Tensor(Float32Array.of(-3, -2.5, 0, 1, 2.5, 3), [1, 6], 'float32');
    const apply = (name: ActivationIdentifier) => Array.from(new Activation(name).apply(x).data);
    // clip(0.2x + 0.5, 0, 1)
    expectClose(apply('hard_sigmoid'), [0, 0, 0.5, 0.7, 1, 1], 1e-7, 'hard_sigmoid');
    // gelu(1) = Φ(1) = 0.8413447460685429 (the standard normal's CDF at 1); gelu(−3) = −3·Φ(−3) = −3 · 0.0013498980316301
    const gelu = apply('gelu');
    expectClose([gelu[0], gelu[2], gelu[3]], [-3 * 0.0013498980316301, 0, 0.8413447460685429], 1e-7, 'gelu');
    // swish(1) = 1 / (1 + e^−1); mish(1) = tanh(log(1 + e))
    expectClose(apply('swish')[3], 1 / (1 + Math.exp(-1)), 1e-7, 'swish');
    expectClose(apply('mish')[3], Math.tanh(Math.log(1 + Math.E)), 1e-7, 'mish');
    expectClose(apply('exponential')[3], Math.E, 1e-7, 'exponential');
  });
});
