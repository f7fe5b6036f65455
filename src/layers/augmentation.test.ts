import { beforeEach, describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32 } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { adam } from '../train/optimizers.js';
import {
  Conv2D,
  Dense,
  Flatten,
  fromArtifacts,
  GlobalAveragePooling2D,
  type Layer,
  RandomBrightness,
  RandomContrast,
  RandomFlip,
  RandomRotation,
  RandomTranslation,
  RandomZoom,
  Rescaling,
  resetNames,
  Sequential,
} from './index.js';

beforeEach(() => resetNames());

type LayerJson = { class_name: string; config: Record<string, unknown> };
const layersOf = (modelJson: { modelTopology: unknown }) => (modelJson.modelTopology as { config: { layers: LayerJson[] } }).config.layers;

/** Keras 3's float32 dtype policy, as it writes it in a layer's config. */
const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
/** A layer entry as Keras 3 writes it in model.json (module, registered_name, build_config around the config). */
const keras3Layer = (className: string, config: Record<string, unknown>, inputShape: number[]) => ({
  module: 'keras.layers',
  class_name: className,
  config: { trainable: true, dtype: policy, ...config },
  registered_name: null,
  build_config: { input_shape: [null, ...inputShape] },
});

describe('augmentation layers: saving and loading', () => {
  it("write Keras 3's configs (snake_case) and load back the same layers", () => {
    const model = new Sequential([
      new RandomFlip({ mode: 'horizontal', seed: 3, inputShape: [8, 8, 3] }),
      new RandomContrast({ factor: [0.1, 0.3], valueRange: [0, 1] }),
      new RandomBrightness({ factor: 0.2, valueRange: [0, 1], seed: 4 }),
      new RandomRotation({ factor: 0.1, fillMode: 'constant', fillValue: 0.5, interpolation: 'nearest' }),
      new RandomTranslation({ heightFactor: [-0.2, 0.1], widthFactor: 0.15, fillMode: 'wrap' }),
      new RandomZoom({ heightFactor: 0.2, fillMode: 'nearest' }),
      new RandomZoom({ heightFactor: [-0.3, -0.1], widthFactor: 0.25 }),
    ]);
    const { modelJson } = model.toArtifacts();
    const saved = layersOf(modelJson).filter((l) => l.class_name !== 'InputLayer');
    expect(saved.map((l) => l.class_name)).toEqual([
      'RandomFlip',
      'RandomContrast',
      'RandomBrightness',
      'RandomRotation',
      'RandomTranslation',
      'RandomZoom',
      'RandomZoom',
    ]);
    expect(saved[0].config).toMatchObject({ mode: 'horizontal', seed: 3, data_format: 'channels_last' });
    expect(saved[1].config).toMatchObject({ factor: [0.1, 0.3], value_range: [0, 1], seed: null });
    expect(saved[2].config).toMatchObject({ factor: [-0.2, 0.2], value_range: [0, 1], seed: 4 });
    expect(saved[3].config).toMatchObject({
      factor: [-0.1, 0.1],
      fill_mode: 'constant',
      fill_value: 0.5,
      interpolation: 'nearest',
      data_format: 'channels_last',
    });
    expect(saved[4].config).toMatchObject({ height_factor: [-0.2, 0.1], width_factor: 0.15, fill_mode: 'wrap', interpolation: 'bilinear' });
    expect(saved[5].config).toMatchObject({ height_factor: 0.2, width_factor: null, fill_mode: 'nearest' });
    expect(saved[6].config).toMatchObject({ height_factor: [-0.3, -0.1], width_factor: 0.25, fill_mode: 'reflect' });
    const back = fromArtifacts(model.toArtifacts());
    back.layers.forEach((layer, i) => {
      expect(layer.className).toBe(model.layers[i].className);
      expect(layer.getConfig()).toEqual(model.layers[i].getConfig());
    });
    // the seeded layers draw as the originals do
    const x = f32(caseRng('augmentation round trip', 0), [4, 8, 8, 3], 0, 1);
    expect((back.layers[0] as Layer).apply(x, true).data).toEqual(new RandomFlip({ mode: 'horizontal', seed: 3 }).apply(x, true).data);
  });

  it('a Keras 3 model.json with Rescaling, RandomFlip, RandomRotation, ... loads and predicts exactly as the model without them', () => {
    const rng = caseRng('augmentation keras 3', 0);
    const plain = new Sequential([
      new Rescaling(1 / 255, { inputShape: [8, 8, 3] }),
      new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv2d' }),
      new GlobalAveragePooling2D({ name: 'global_average_pooling2d' }),
      new Dense({ units: 3, activation: 'softmax', name: 'dense' }),
    ]);
    const { modelJson, weightData } = plain.toArtifacts();
    const configs = (className: string) => layersOf(modelJson).find((l) => l.class_name === className)!.config;
    const shape = [8, 8, 3];
    const converted = {
      format: 'layers-model',
      generatedBy: 'keras v3.8.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '3.8.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            trainable: true,
            dtype: policy,
            layers: [
              { class_name: 'InputLayer', config: { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, name: 'input_layer' } },
              keras3Layer('Rescaling', { name: 'rescaling', scale: 1 / 255, offset: 0 }, shape),
              keras3Layer('RandomFlip', { name: 'random_flip', seed: null, mode: 'horizontal', data_format: 'channels_last' }, shape),
              keras3Layer(
                'RandomRotation',
                {
                  name: 'random_rotation',
                  factor: [-0.1, 0.1],
                  data_format: 'channels_last',
                  fill_mode: 'reflect',
                  fill_value: 0,
                  interpolation: 'bilinear',
                  seed: null,
                },
                shape,
              ),
              keras3Layer('RandomContrast', { name: 'random_contrast', factor: [0, 0.1], value_range: [0, 255], seed: null }, shape),
              keras3Layer(
                'RandomTranslation',
                {
                  name: 'random_translation',
                  height_factor: 0.1,
                  width_factor: 0.1,
                  fill_mode: 'reflect',
                  interpolation: 'bilinear',
                  seed: null,
                  fill_value: 0,
                  data_format: 'channels_last',
                },
                shape,
              ),
              keras3Layer(
                'RandomZoom',
                {
                  name: 'random_zoom',
                  height_factor: [-0.2, 0.2],
                  width_factor: null,
                  fill_mode: 'reflect',
                  interpolation: 'bilinear',
                  seed: null,
                  fill_value: 0,
                  data_format: 'channels_last',
                },
                shape,
              ),
              keras3Layer('RandomBrightness', { name: 'random_brightness', factor: [-0.1, 0.1], value_range: [0, 1], seed: 7 }, shape),
              keras3Layer('Conv2D', configs('Conv2D'), shape),
              keras3Layer('GlobalAveragePooling2D', configs('GlobalAveragePooling2D'), [6, 6, 4]),
              keras3Layer('Dense', configs('Dense'), [4]),
            ],
          },
        },
      },
      weightsManifest: modelJson.weightsManifest,
    };
    const loaded = fromArtifacts(converted, weightData);
    expect(loaded.layers.map((l) => l.className)).toEqual([
      'Rescaling',
      'RandomFlip',
      'RandomRotation',
      'RandomContrast',
      'RandomTranslation',
      'RandomZoom',
      'RandomBrightness',
      'Conv2D',
      'GlobalAveragePooling2D',
      'Dense',
    ]);
    expect((loaded.layers[3] as RandomContrast).factor).toEqual([0, 0.1]);
    expect((loaded.layers[6] as RandomBrightness).seed).toBe(7);
    const x = f32(rng, [5, 8, 8, 3], 0, 255);
    expect(loaded.predict(x).data).toEqual(plain.predict(x).data);
  });

  it("a tf.keras 2 model (the Kaggle course's RandomContrast(0.1), RandomFlip('horizontal'), RandomRotation(0.1)) loads", () => {
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { class_name: 'InputLayer', config: { batch_input_shape: [null, 16, 16, 3], dtype: 'float32', name: 'input_1' } },
          { class_name: 'RandomContrast', config: { name: 'random_contrast', trainable: true, dtype: 'float32', factor: 0.1, seed: null } },
          { class_name: 'RandomFlip', config: { name: 'random_flip', trainable: true, dtype: 'float32', mode: 'horizontal', seed: null } },
          {
            class_name: 'RandomRotation',
            config: {
              name: 'random_rotation',
              trainable: true,
              dtype: 'float32',
              factor: 0.1,
              fill_mode: 'reflect',
              fill_value: 0.0,
              interpolation: 'bilinear',
              seed: null,
            },
          },
        ],
      },
    };
    const loaded = fromArtifacts(
      { modelTopology: { keras_version: '2.13.1', model_config: topology }, weightsManifest: [] },
      new ArrayBuffer(0),
    );
    expect((loaded.layers[0] as RandomContrast).factor).toEqual([0.1, 0.1]);
    expect((loaded.layers[1] as RandomFlip).mode).toBe('horizontal');
    expect((loaded.layers[2] as RandomRotation).factor).toEqual([-0.1, 0.1]);
    const x = f32(caseRng('augmentation keras 2', 0), [2, 16, 16, 3], 0, 255);
    expect(loaded.predict(x).data).toEqual(x.data);
  });

  it('refuses a config it cannot compute, naming the layer', () => {
    const json = (config: Record<string, unknown>) => ({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          layers: [
            { class_name: 'InputLayer', config: { batch_shape: [null, 4, 4, 1], name: 'input' } },
            { class_name: 'RandomRotation', config: { name: 'rot', factor: 0.1, ...config } },
          ],
        },
      },
      weightsManifest: [],
    });
    expectConvlensError(
      () => fromArtifacts(json({ fill_mode: 'mirror' }), new ArrayBuffer(0)),
      /^fromArtifacts: layer 1 'rot' \(RandomRotation\): RandomRotation 'rot': fillMode must be 'reflect', 'wrap', 'constant', 'nearest', got "mirror"$/,
    );
    expectConvlensError(
      () => fromArtifacts(json({ data_format: 'NCHW' }), new ArrayBuffer(0)),
      /^fromArtifacts: layer 1 'rot' \(RandomRotation\): RandomRotation 'rot': unknown dataFormat "NCHW" \(expected 'channels_last' or 'channels_first'\)$/,
    );
    expectConvlensError(
      () => fromArtifacts(json({ shear: 0.2 }), new ArrayBuffer(0)),
      /shear 0.2 is not supported \(not a RandomRotation setting convlens reads\)/,
    );
  });
});

describe('augmentation layers in training', () => {
  /** Toy images: class 0 a bright column, class 1 a bright row, at random places, values 0..1. */
  function bars(n: number) {
    const rng = caseRng('augmentation bars', 0);
    const x = new Float32Array(n * 36);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      const at = rng.int(0, 5);
      for (let p = 0; p < 36; p++) {
        const [row, col] = [Math.floor(p / 6), p % 6];
        x[i * 36 + p] = (y[i] === 0 ? col === at : row === at) ? rng.float(0.7, 1) : rng.float(0, 0.3);
      }
    }
    return { x: new Tensor(x, [n, 6, 6, 1], 'float32'), y: new Tensor(y, [n], 'int32') };
  }

  it('a Sequential starting with RandomFlip and RandomContrast fits (loss finite, decreasing), and predict is unaffected by them', async () => {
    setSeed(31);
    const { x, y } = bars(32);
    const model = new Sequential([
      new RandomFlip({ mode: 'horizontal', inputShape: [6, 6, 1] }),
      new RandomContrast({ factor: 0.2, valueRange: [0, 1] }),
      new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }),
      new Flatten(),
      new Dense({ units: 2, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    const { loss } = (await model.fit(x, y, { epochs: 12, batchSize: 8 })).history;
    expect(loss.every(Number.isFinite)).toBe(true);
    // decreasing over the epochs (each epoch's augmentations differ, so not at every step)
    expect(loss.at(-1)!).toBeLessThan(loss[0] * 0.8);
    expect(loss.slice(-3).reduce((a, b) => a + b) / 3).toBeLessThan(loss.slice(0, 3).reduce((a, b) => a + b) / 3);
    // the trained layers without the augmentation: the same predictions
    const withoutAugmentation = new Sequential(model.layers.slice(2));
    expect(model.predict(x).data).toEqual(withoutAugmentation.predict(x).data);
    withoutAugmentation.compile({ loss: 'sparseCategoricalCrossentropy' });
    expect((await model.evaluate(x, y)).loss).toBe((await withoutAugmentation.evaluate(x, y)).loss);
  });

  it('a geometric layer between others trains (its backward feeds the layers before it), reproducibly under setSeed', async () => {
    const { x, y } = bars(16);
    const run = async () => {
      setSeed(32);
      resetNames();
      const model = new Sequential([
        new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [6, 6, 1] }),
        new RandomRotation({ factor: 0.05, fillMode: 'nearest' }),
        new RandomZoom({ heightFactor: 0.1 }),
        new RandomTranslation({ heightFactor: 0.1, widthFactor: 0.1 }),
        new RandomBrightness({ factor: 0.1, valueRange: [-5, 5] }),
        new Flatten(),
        new Dense({ units: 2, activation: 'softmax' }),
      ]);
      model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const history = await model.fit(x, y, { epochs: 3, batchSize: 4 });
      return { loss: history.history.loss, kernel: model.layers[0].getWeights()[0].data };
    };
    const first = await run();
    expect(first.loss.every(Number.isFinite)).toBe(true);
    const again = await run();
    expect(again.loss).toEqual(first.loss);
    expect(again.kernel).toEqual(first.kernel);
  });
});
