import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose, maxDiff, reportDiff } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  Conv2D,
  Dense,
  Flatten,
  fromArtifacts,
  LayerNormalization,
  type LayerNormalizationLayerArgs,
  resetNames,
  Sequential,
} from './index.js';

beforeEach(() => resetNames());

type Options = Pick<LayerNormalizationLayerArgs, 'axis' | 'epsilon' | 'center' | 'scale'>;

/**
 * Dense → LayerNormalization → Dense (2-D inputs to the norm) or Conv2D → LayerNormalization →
 * Flatten → Dense (4-D), in both libraries, ours seeded, with random gamma and beta copied into tfjs.
 * tfjs-layers 4.22 cannot train its layer without center or scale (its gradient tape fails on the
 * missing weight), so its layer always has both, and the one ours lacks is put back to 1 (gamma)
 * or 0 (beta) after every batch: under plain SGD, the same function and the same updates of the
 * other weights. (Marking that LayerVariable non-trainable did not stop tfjs' fit from updating it.)
 */
function twins(rng: Rng, images: boolean, options: Options = {}) {
  const head = images
    ? [new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [4, 4, 2] })]
    : [new Dense({ units: 6, inputShape: [5] })];
  const tail = images ? [new Flatten(), new Dense({ units: 3, activation: 'softmax' })] : [new Dense({ units: 3, activation: 'softmax' })];
  const ours = new Sequential([...head, new LayerNormalization(options), ...tail]);
  // (a copy of the axis list: tfjs resolves negative axes in the array it is given)
  const axis = Array.isArray(options.axis) ? [...options.axis] : options.axis;
  const theirs = tfl.sequential({
    layers: [
      images
        ? tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [4, 4, 2] })
        : tfl.layers.dense({ units: 6, inputShape: [5] }),
      tfl.layers.layerNormalization({ axis, epsilon: options.epsilon }),
      ...(images ? [tfl.layers.flatten()] : []),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const norm = ours.getLayer(1) as LayerNormalization;
  norm.setWeights(norm.weights.map((w) => new Tensor(rng.floats(w.value.length, -1.5, 1.5), w.shape, 'float32')));
  theirs.layers.forEach((layer, i) => {
    if (i !== 1) layer.setWeights(ours.getLayer(i).getWeights().map(tfOf));
  });
  const [gamma, beta] = theirs.layers[1].weights;
  const used = [norm.scale && gamma, norm.center && beta].filter((w) => w !== false);
  const restore = () => {
    if (!norm.scale) gamma.write(tf.onesLike(gamma.read()));
    if (!norm.center) beta.write(tf.zerosLike(beta.read()));
  };
  restore();
  used.forEach((w, i) => {
    w.write(tfOf(norm.getWeights()[i]));
  });
  // tfjs' weights as ours, layer by layer: the norm's without the one held
  const theirWeights = () => theirs.layers.flatMap((layer, i) => (i === 1 ? used.map((w) => w.read()) : layer.getWeights()));
  return { ours, theirs, theirWeights, theirCallbacks: { onBatchEnd: async () => restore() } };
}

/** One-hot labels for `n` examples of 3 classes. */
function labels(rng: Rng, n: number): Tensor {
  const y = new Float32Array(n * 3);
  rng.ints(n, 0, 2).forEach((l, i) => {
    y[i * 3 + l] = 1;
  });
  return new Tensor(y, [n, 3], 'float32');
}

const CASES: { images: boolean; options: Options }[] = [
  { images: false, options: {} },
  { images: false, options: { axis: [1], center: false } },
  { images: false, options: { axis: -1, scale: false, epsilon: 0.1 } },
  { images: true, options: {} },
  { images: true, options: { axis: [3] } },
  { images: true, options: { axis: [1, 2, 3] } },
  { images: true, options: { axis: [-2, -1], center: false, scale: false } },
  { images: true, options: { epsilon: 0 } },
];

forEachBackend(() => {
  describe('LayerNormalization against tfjs-layers', () => {
    for (const [c, { images, options }] of CASES.entries()) {
      it(`${images ? '4-D, after Conv2D' : '2-D, after Dense'}, ${JSON.stringify(options)}: predict, and losses and weights over 3 epochs of SGD`, async () => {
        setSeed(50 + c);
        const rng = caseRng('ln fit', c);
        const { ours, theirs, theirWeights, theirCallbacks } = twins(rng, images, options);
        const x = f32(rng, images ? [6, 4, 4, 2] : [6, 5], -2, 2);
        expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
        // a small rate: tfjs clips probabilities at 1e-7 where convlens (and Keras) take the loss from the
        // logits, so a softmax saturated by larger steps gets no gradient in tfjs and does in convlens
        await expectSameSgdFit(ours, theirs, x, labels(rng, 6), {
          epochs: 3,
          batchSize: 3,
          learningRate: 0.1,
          theirWeights,
          theirCallbacks,
        });
      });
    }

    it('extreme values: a large offset, large and tiny spreads, a constant example (variance 0: the output is beta)', () => {
      setSeed(60);
      const rng = caseRng('ln extreme', 0);
      const norm = new LayerNormalization({ inputShape: [8] });
      const theirs = tfl.sequential({ layers: [tfl.layers.layerNormalization({ inputShape: [8] })] });
      norm.build([8]);
      norm.setWeights([new Tensor(rng.floats(8, -2, 2), [8], 'float32'), new Tensor(rng.floats(8, -2, 2), [8], 'float32')]);
      theirs.setWeights(norm.getWeights().map(tfOf));
      const rows = [
        Array.from(rng.floats(8, -1, 1), (v) => 1e4 + v),
        Array.from(rng.floats(8, -1e6, 1e6)),
        Array.from(rng.floats(8, -1e-4, 1e-4)),
        Array(8).fill(-3.5e7),
        Array.from(rng.floats(8, -1, 1), (v) => v * 1e-30),
      ];
      const x = new Tensor(Float32Array.from(rows.flat()), [rows.length, 8], 'float32');
      const ours = norm.apply(x);
      const expected = referenceLayerNorm(x.data, 8, norm.getWeights()[0].data, norm.getWeights()[1].data, 1e-3);
      expectClose(ours, expected, 1e-6, 'float64 reference');
      // tfjs works in float32: its mean of 1e4 + u has a rounding error of ~1e-3 (about a 2e-3 shift of x̂)
      const tfjsValues = (theirs.predict(tfOf(x)) as tf.Tensor).dataSync();
      expectClose(ours, tfjsValues, 3e-3, 'tfjs');
      reportDiff('LayerNormalization extreme values vs tfjs', maxDiff(ours.data, tfjsValues));
      reportDiff('LayerNormalization extreme values vs float64 reference', maxDiff(ours.data, expected));
      expectClose(ours.data.slice(24, 32), norm.getWeights()[1].data, 0, 'constant example');
      expect(ours.data.every(Number.isFinite)).toBe(true);
    });
  });
});

/** LayerNormalization in float64 over runs of `groupSize` values, written out plainly (no tfjs). */
function referenceLayerNorm(
  x: ArrayLike<number>,
  groupSize: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  epsilon: number,
): number[] {
  const out: number[] = [];
  for (let start = 0; start < x.length; start += groupSize) {
    const group = Array.from({ length: groupSize }, (_, j) => x[start + j]);
    const mean = group.reduce((a, b) => a + b, 0) / groupSize;
    const variance = group.reduce((a, b) => a + (b - mean) ** 2, 0) / groupSize;
    for (const [j, v] of group.entries()) out.push(((v - mean) / Math.sqrt(variance + epsilon)) * gamma[j] + beta[j]);
  }
  return out;
}

/** Keras' formula in tfjs-core ops, for tf.grads: moments over `axes`, then scale and offset broadcast over them. */
function tfLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, axes: number[], epsilon: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, axes, true);
  const broadcast = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
  const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(normalized, tf.reshape(gamma, broadcast)), tf.reshape(beta, broadcast));
}

describe('LayerNormalization', () => {
  for (const [c, { shape, axis }] of [
    { shape: [3, 7], axis: -1 },
    { shape: [2, 3, 4, 5], axis: [1, 2, 3] },
    { shape: [2, 3, 4, 5], axis: -1 },
  ].entries()) {
    it(`one step on ${JSON.stringify(shape)}, axis ${JSON.stringify(axis)}: gradients to input, gamma and beta match tf.grads of tfjs-core ops`, () => {
      const rng = caseRng('ln grads', c);
      const layer = new LayerNormalization({ axis, epsilon: 0.01 });
      const x = f32(rng, shape, -3, 3);
      layer.apply(x);
      const paramShape = layer.weights[0].shape;
      const [gamma, beta] = [f32(rng, paramShape), f32(rng, paramShape)];
      layer.setWeights([gamma, beta]);
      const dy = f32(rng, shape);
      const axes = Array.isArray(axis) ? axis : [shape.length - 1];
      const expected = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tfLayerNorm(a, g, b, axes, 0.01))(
        [tfOf(x), tfOf(gamma), tfOf(beta)],
        tfOf(dy),
      );
      expectClose(layer.apply(x, true), tfLayerNorm(tfOf(x), tfOf(gamma), tfOf(beta), axes, 0.01).dataSync(), 1e-5, 'forward');
      const dx = layer.backward(dy, true)!;
      expectClose(dx, expected[0].dataSync(), 1e-4, 'dx');
      expectClose(layer.weights[0].grad, expected[1].dataSync(), 1e-4, 'dgamma');
      expectClose(layer.weights[1].grad, expected[2].dataSync(), 1e-4, 'dbeta');
      reportDiff(`LayerNormalization ${JSON.stringify(axis)} dx vs tf.grads`, maxDiff(dx.data, expected[0].dataSync()));
    });
  }

  it('its input gradient agrees with central differences of a float64 reference, without gamma and beta too', () => {
    const rng = caseRng('ln central', 0);
    for (const affine of [true, false]) {
      const layer = new LayerNormalization({ center: affine, scale: affine });
      const x = f32(rng, [2, 5], -2, 2);
      layer.apply(x);
      if (affine) layer.setWeights([f32(rng, [5]), f32(rng, [5])]);
      const [gamma, beta] = affine ? layer.getWeights().map((w) => w.data) : [new Float32Array(5).fill(1), new Float32Array(5)];
      const dy = f32(rng, [2, 5]);
      layer.apply(x, true);
      const dx = layer.backward(dy, true)!;
      const loss = (values: number[]) => referenceLayerNorm(values, 5, gamma, beta, 1e-3).reduce((s, y, i) => s + y * dy.data[i], 0);
      const h = 1e-5;
      const numeric = Array.from(x.data, (_, i) => {
        const [plus, minus] = [Array.from(x.data), Array.from(x.data)];
        plus[i] += h;
        minus[i] -= h;
        return (loss(plus) - loss(minus)) / (2 * h);
      });
      expectClose(dx, numeric, 1e-4, `affine ${affine}`);
    }
  });

  it('summary counts gamma and beta of the normalised axes, all trainable', () => {
    const model = new Sequential([new LayerNormalization({ axis: [1, 2, 3], inputShape: [4, 4, 2] })]);
    expect(model.weights.map((w) => [w.name, w.shape])).toEqual([
      ['layer_normalization/gamma', [4, 4, 2]],
      ['layer_normalization/beta', [4, 4, 2]],
    ]);
    const text = model.summary(null);
    expect(text).toMatch(/layer_normalization \(LayerNormalization\) +\(None, 4, 4, 2\) +64/);
    expect(text).toContain('Trainable params: 64');
    expect(text).toContain('Non-trainable params: 0');
    const channels = new Sequential([new LayerNormalization({ inputShape: [4, 4, 2], center: false })]);
    expect(channels.weights.map((w) => [w.name, w.shape])).toEqual([['layer_normalization_1/gamma', [2]]]);
  });

  it('initializers: gamma and beta from Keras-named ones, saved as Keras writes them', () => {
    setSeed(61);
    const layer = new LayerNormalization({ betaInitializer: 'ones', gammaInitializer: 'zeros', inputShape: [3] });
    const model = new Sequential([layer]);
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    expect(layer.getConfig()).toMatchObject({
      axis: [-1],
      epsilon: 1e-3,
      center: true,
      scale: true,
      beta_initializer: { class_name: 'Ones', config: {} },
      gamma_initializer: { class_name: 'Zeros', config: {} },
    });
  });

  it('ours opens in tfjs-layers as its own layer and predicts the same; what tfjs saves opens in convlens', async () => {
    for (const [c, options] of [{ axis: [1, 2, 3] }, { center: false, epsilon: 0.05 }, { axis: [-1], scale: false }].entries()) {
      setSeed(62 + c);
      const rng = caseRng('ln load', c);
      const { ours } = twins(rng, true, options);
      const x = f32(rng, [2, 4, 4, 2]);
      const { modelJson, weightData } = ours.toArtifacts();
      const back = await tfjsLoad(modelJson, weightData);
      expect(back.layers[1].getConfig()).toMatchObject({ center: options.center ?? true, scale: options.scale ?? true });
      expectClose(ours.predict(x), (back.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'convlens → tfjs');
      let saved: tf.io.ModelArtifacts | undefined;
      await back.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = fromArtifacts(
        { modelTopology: saved!.modelTopology, weightsManifest: [{ paths: [], weights: saved!.weightSpecs }] },
        saved!.weightData as ArrayBuffer,
      );
      expectClose(loaded.predict(x), ours.predict(x), 1e-6, 'tfjs → convlens');
      const norm = loaded.getLayer(1) as LayerNormalization;
      expect([norm.center, norm.scale, norm.epsilon]).toEqual([options.center ?? true, options.scale ?? true, options.epsilon ?? 1e-3]);
    }
  });

  it("reads Keras 3's config (rms_scaling false, regularizers null); refuses rms_scaling true", () => {
    const model = (config: Record<string, unknown>) => ({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'm',
          layers: [
            { class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'float32', name: 'input' } },
            {
              class_name: 'LayerNormalization',
              config: { name: 'ln', axis: [-1], epsilon: 0.001, center: true, scale: true, beta_regularizer: null, ...config },
            },
          ],
        },
      },
      weightsManifest: [{ paths: [], weights: ['gamma', 'beta'].map((w) => ({ name: `ln/${w}`, shape: [3], dtype: 'float32' })) }],
    });
    const weights = Float32Array.of(2, 2, 2, 1, 1, 1).buffer;
    const loaded = fromArtifacts(model({ rms_scaling: false }), weights);
    const x = new Tensor(Float32Array.of(1, 2, 3), [1, 3], 'float32');
    // (x − 2)/√(2/3 + 0.001)·2 + 1
    const s = Math.sqrt(2 / 3 + 0.001);
    expectClose(loaded.predict(x), [1 - 2 / s, 1, 1 + 2 / s], 1e-6);
    expect(() => fromArtifacts(model({ rms_scaling: true }), weights)).toThrow(
      "fromArtifacts: layer 1 'ln' (LayerNormalization): rms_scaling true is not supported (only false)",
    );
  });

  it('names what is wrong', () => {
    expectConvlensError(
      () => new LayerNormalization({ axis: 0 }),
      "LayerNormalization 'layer_normalization': axis must be an axis index or a list of them (not 0, the batch), e.g. -1 or [1, 2, 3], got 0",
    );
    expectConvlensError(() => new LayerNormalization({ axis: [] }), /axis must be an axis index or a list of them .*, got \[\]/);
    expectConvlensError(() => new LayerNormalization({ axis: 1.5 }), /got 1\.5$/);
    expectConvlensError(() => new LayerNormalization({ epsilon: -1 }), /epsilon must be a finite number >= 0, got -1/);
    expectConvlensError(() => new LayerNormalization({ center: 'no' as never }), /center must be true or false, got "no"/);
    expectConvlensError(
      () => new LayerNormalization({ gammaInitializer: 'one' }),
      /^LayerNormalization '[a-z_0-9]+': gammaInitializer: unknown initializer "one"/,
    );
    const images = (axis: number | number[]) => () => new Sequential([new LayerNormalization({ axis, inputShape: [4, 4, 2] })]);
    expectConvlensError(
      images([1, 2]),
      "layer_normalization_6 (LayerNormalization): axis [1, 2] of inputs (batch, 4, 4, 2) is not supported (only the last axes, in order: -1 for the channels, or e.g. [1, 2, 3] for all of an example's)",
    );
    expectConvlensError(images([3, 2]), /axis \[3, 2\] of inputs \(batch, 4, 4, 2\) is not supported/);
    expectConvlensError(images([3, 3]), /axis \[3, 3\] of inputs \(batch, 4, 4, 2\) is not supported/);
    expectConvlensError(images(4), /axis 4 is out of range \(-3 to 3, not 0\) of inputs \(batch, 4, 4, 2\)$/);
    expectConvlensError(images(-4), /axis -4 is the batch axis of inputs \(batch, 4, 4, 2\)$/);
    expectConvlensError(
      () => new LayerNormalization({ rmsScaling: true } as never),
      /^LayerNormalization: unknown option 'rmsScaling' \(expected one of axis, epsilon, center, scale, betaInitializer, gammaInitializer, betaRegularizer, betaConstraint, gammaRegularizer, gammaConstraint, name, inputShape, batchInputShape, trainable\)$/,
    );
    // Keras' other spellings of the last axis
    for (const axis of [3, [3], [-1], [2, 3], [-3, -2, -1]]) expect(images(axis)().outputShape).toEqual([4, 4, 2]);
  });
});
