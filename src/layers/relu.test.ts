import * as tfl from '@tensorflow/tfjs-layers';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose, maxDiff, reportDiff } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { expectSameSgdFit, f32, tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2D, Dense, Flatten, fromArtifacts, ReLU, type ReLULayerArgs, resetNames, Sequential } from './index.js';

beforeEach(() => resetNames());

const LABELS = new Tensor(Float32Array.of(1, 0, 0, 1, 1, 0, 0, 1, 1, 0), [5, 2], 'float32');

/** Ours with `relu` between a Conv2D and a softmax head, and tfjs-layers' with `theirs` there. */
function twins(relu: ReLU, theirs: tfl.layers.Layer): [Sequential, tfl.Sequential] {
  const ours = new Sequential([
    new Conv2D({ filters: 3, kernelSize: 2, inputShape: [4, 4, 1] }),
    relu,
    new Flatten(),
    new Dense({ units: 2, activation: 'softmax' }),
  ]);
  const reference = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 1] }),
      theirs,
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  reference.setWeights(ours.getWeights().map(tfOf));
  return [ours, reference];
}

describe("ReLU against tfjs-layers' reLU (maxValue)", () => {
  for (const [c, maxValue] of [undefined, 6, 0.4].entries()) {
    it(`maxValue ${maxValue}: predict, fit and saving both ways`, async () => {
      setSeed(60 + c);
      const rng = caseRng('relu layer', c);
      const [ours, theirs] = twins(new ReLU({ maxValue }), tfl.layers.reLU({ maxValue }));
      // a larger kernel, so that outputs pass 6
      ours.getLayer(0).setWeights([f32(rng, [2, 2, 1, 3], -4, 4), f32(rng, [3])]);
      theirs.layers[0].setWeights(ours.getLayer(0).getWeights().map(tfOf));
      const x = f32(rng, [5, 4, 4, 1]);
      const predicted = ours.predict(x);
      expectClose(predicted, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6, 'predict');
      const hidden = ours.layerOutputs(x)[1].output.data;
      if (maxValue !== undefined) expect(Math.max(...hidden)).toBe(Math.fround(maxValue));
      await expectSameSgdFit(ours, theirs, x, LABELS, { epochs: 3, batchSize: 5, learningRate: 0.5 });

      const { modelJson, weightData } = ours.toArtifacts();
      const config = (modelJson.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[1].config;
      expect(config).toMatchObject({ name: 're_lu', max_value: maxValue ?? null, negative_slope: 0, threshold: 0 });
      const trained = ours.predict(x);
      expectClose(trained, ((await tfjsLoad(modelJson, weightData)).predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6, 'ours in tfjs');

      let saved: tf.io.ModelArtifacts | undefined;
      await theirs.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = fromArtifacts(
        { modelTopology: saved!.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: saved!.weightSpecs! }] },
        saved!.weightData as ArrayBuffer,
      );
      const relu = loaded.getLayer(1) as ReLU;
      expect([relu.className, relu.maxValue, relu.negativeSlope, relu.threshold]).toEqual(['ReLU', maxValue ?? null, 0, 0]);
      expectClose(loaded.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6, 'theirs in convlens');
    });
  }
});

/**
 * Keras' relu(x, negative_slope, max_value, threshold) step by step (keras/src/activations/
 * activations.py, ReLU.static_call; tf.keras 2's backend.relu is the same) in tfjs-core ops, so
 * that tfjs differentiates it: the reference for what tfjs-layers' reLU lacks.
 */
function kerasRelu(input: tf.Tensor, maxValue: number | null, negativeSlope: number, threshold: number): tf.Tensor {
  let x = input;
  let negativePart: tf.Tensor | undefined;
  if (negativeSlope !== 0) {
    if (maxValue === null && threshold === 0) return tf.leakyRelu(x, negativeSlope);
    negativePart = threshold !== 0 ? tf.relu(tf.add(tf.neg(x), threshold)) : tf.relu(tf.neg(x));
  }
  let clipMax = maxValue !== null;
  if (threshold !== 0) {
    // cast(x > threshold) as a step, which tfjs differentiates (to 0, as TF does the cast)
    x = tf.mul(x, tf.step(tf.sub(x, threshold)));
  } else if (maxValue === 6) {
    x = tf.relu6(x);
    clipMax = false;
  } else {
    x = tf.relu(x);
  }
  if (clipMax) x = tf.clipByValue(x, 0, maxValue!);
  if (negativePart) x = tf.sub(x, tf.mul(negativeSlope, negativePart));
  return x;
}

/** kerasRelu as a tfjs-layers layer, for fit. */
class KerasReLU extends tfl.layers.Layer {
  static className = 'KerasReLU';
  constructor(private readonly options: { maxValue: number | null; negativeSlope: number; threshold: number }) {
    super({});
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const { maxValue, negativeSlope, threshold } = this.options;
    return kerasRelu(Array.isArray(inputs) ? inputs[0] : inputs, maxValue, negativeSlope, threshold);
  }
}

describe("ReLU's negativeSlope and threshold, as Keras computes them", () => {
  it("Keras' documented examples", () => {
    const x = new Tensor(Float32Array.of(-10, -5, 0, 5, 10), [1, 5], 'float32');
    const relu = (args: ReLULayerArgs) => Array.from(new ReLU(args).apply(x).data);
    expect(relu({})).toEqual([0, 0, 0, 5, 10]);
    expect(relu({ negativeSlope: 0.5 })).toEqual([-5, -2.5, 0, 5, 10]);
    expect(relu({ maxValue: 5 })).toEqual([0, 0, 0, 5, 5]);
    expectClose(relu({ threshold: 5 }), [0, 0, 0, 0, 10], 0, 'threshold 5');
    // the ReLU layer's docstring: max_value=10, negative_slope=0.5, threshold=0
    expect(relu({ maxValue: 10, negativeSlope: 0.5 })).toEqual([-5, -2.5, 0, 5, 10]);
  });

  const cases: { maxValue: number | null; negativeSlope: number; threshold: number }[] = [
    { maxValue: null, negativeSlope: 0.1, threshold: 0 },
    { maxValue: null, negativeSlope: 0, threshold: 0.3 },
    { maxValue: 6, negativeSlope: 0.2, threshold: 0 },
    { maxValue: 0.8, negativeSlope: 0.3, threshold: 0.25 },
    { maxValue: 1, negativeSlope: 1.5, threshold: 0 },
  ];
  for (const [c, options] of cases.entries()) {
    it(`${JSON.stringify(options)}: forward and gradient match tf.grads of Keras' steps, fit too; saved and loaded`, async () => {
      const rng = caseRng('relu keras', c);
      // random values, and the bends themselves (but 6 for maxValue 6, where tfjs' relu6 passes the gradient and TF's does not: below)
      const bends = [0, options.threshold, options.maxValue === 6 ? 5 : (options.maxValue ?? 0), -options.threshold];
      const x = new Tensor(Float32Array.from([...bends, ...rng.floats(60, -8, 8)]), [4, 16], 'float32');
      const dy = f32(rng, x.shape);
      const layer = new ReLU(options);
      const f = (t: tf.Tensor) => kerasRelu(t, options.maxValue, options.negativeSlope, options.threshold);
      const expected = f(tfOf(x)).dataSync();
      // (tfjs' leakyRelu rounds slope · x from the float64 slope, TensorFlow from its float32 one)
      expectClose(layer.apply(x, true), expected, 1e-7, 'forward');
      const dx = layer.backward(dy, true)!;
      const tfDx = tf.grad(f)(tfOf(x), tfOf(dy)).dataSync();
      expectClose(dx, tfDx, 1e-7, 'gradient');
      reportDiff(`ReLU ${JSON.stringify(options)} gradient vs tf.grads`, maxDiff(dx.data, tfDx));

      setSeed(70 + c);
      const [ours, theirs] = twins(new ReLU(options), new KerasReLU(options));
      const input = f32(rng, [5, 4, 4, 1]);
      expectClose(ours.predict(input), (theirs.predict(tfOf(input)) as tf.Tensor).dataSync(), 1e-6, 'predict');
      await expectSameSgdFit(ours, theirs, input, LABELS, { epochs: 3, batchSize: 5, learningRate: 0.5 });

      const loaded = fromArtifacts(ours.toArtifacts()).getLayer(1) as ReLU;
      expect({ maxValue: loaded.maxValue, negativeSlope: loaded.negativeSlope, threshold: loaded.threshold }).toEqual(options);
    });
  }

  it("relu6's gradient at 6 is 0 for maxValue 6, as TensorFlow's Relu6Grad (Keras uses relu6 there); clip's bound passes it", () => {
    const x = new Tensor(Float32Array.of(6, 5), [1, 2], 'float32');
    const dy = new Tensor(Float32Array.of(1, 1), [1, 2], 'float32');
    const five = new ReLU({ maxValue: 5 });
    five.apply(x, true);
    expect(Array.from(five.backward(dy, true)!.data)).toEqual([0, 1]);
    const relu6 = new ReLU({ maxValue: 6 });
    relu6.apply(x, true);
    expect(Array.from(relu6.backward(dy, true)!.data)).toEqual([0, 1]);
    const withSlope = new ReLU({ maxValue: 6, threshold: 1 });
    withSlope.apply(x, true);
    expect(Array.from(withSlope.backward(dy, true)!.data)).toEqual([1, 1]);
  });
});

describe('ReLU options, summary and Keras files', () => {
  it('names a bad option and what it expects', () => {
    expectConvlensError(
      () => new ReLU({ maxValue: -1 }),
      "ReLU 're_lu': maxValue must be a finite number ≥ 0 or null (no maximum), got -1",
    );
    expectConvlensError(
      () => new ReLU({ negativeSlope: -0.1 }),
      /^ReLU 're_lu(_\d+)?': negativeSlope must be a finite number ≥ 0, got -0.1$/,
    );
    expectConvlensError(() => new ReLU({ threshold: Number.NaN }), /threshold must be a finite number ≥ 0, got NaN/);
    expectConvlensError(() => new ReLU({ maxValue: '6' as never }), /maxValue must be a finite number ≥ 0 or null \(no maximum\), got "6"/);
    expectConvlensError(() => new ReLU({ max_value: 6 } as never), "ReLU: unknown option 'max_value' (did you mean 'maxValue'?)");
  });

  it('summary lists it with no parameters', () => {
    const model = new Sequential([new Dense({ units: 4, inputShape: [3] }), new ReLU({ maxValue: 6 })]);
    const text = model.summary(null);
    expect(text).toMatch(/re_lu \(ReLU\)\s+\(None, 4\)\s+0/);
    expect(text).toContain('Total params: 16');
  });

  it("reads a Keras 3 config (all three keys, floats) and tf.keras' ReLU(6.)", () => {
    const { modelJson, weightData } = new Sequential([new ReLU({ inputShape: [3] })]).toArtifacts();
    const json = JSON.parse(JSON.stringify(modelJson));
    const config = json.modelTopology.config.layers[0].config;
    Object.assign(config, { max_value: 6.0, negative_slope: 0.1, threshold: 0.5 });
    const relu = fromArtifacts(json, weightData).getLayer(0) as ReLU;
    expect([relu.maxValue, relu.negativeSlope, relu.threshold]).toEqual([6, 0.1, 0.5]);
    delete config.negative_slope;
    delete config.threshold;
    const relu6 = fromArtifacts(json, weightData).getLayer(0) as ReLU;
    expect([relu6.maxValue, relu6.negativeSlope, relu6.threshold]).toEqual([6, 0, 0]);
    config.max_value = -6;
    expectConvlensError(
      () => fromArtifacts(json, weightData),
      /layer 0 're_lu' \(ReLU\): ReLU 're_lu': maxValue must be a finite number ≥ 0/,
    );
  });
});
