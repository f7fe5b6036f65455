import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { tfjsLoad, tfOf } from '../../test/helpers/layers.js';
import { KERAS3_BASE_SETTINGS } from '../../test/helpers/optimizers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { ConvlensError } from '../errors.js';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Adam, RMSprop, SGD } from '../train/optimizers.js';
import {
  Activation,
  AvgPool2D,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  fromArtifacts,
  loadFunctional,
  loadModel,
  MaxPool2D,
  type ModelJson,
  resetNames,
  Sequential,
} from './index.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convlens-serialization-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => resetNames());

let dirCount = 0;
const freshDir = () => join(root, `case-${dirCount++}`);

function smallConvnet(): Sequential {
  return new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [8, 8, 2] }),
    new MaxPool2D(),
    new Conv2D({ filters: 3, kernelSize: 2, strides: 2, dilationRate: 1, useBias: false }),
    new AvgPool2D({ poolSize: 1 }),
    new Activation('tanh'),
    new Flatten(),
    new Dropout(0.2),
    new Dense({ units: 5, activation: 'softmax' }),
  ]);
}

const input = (n = 3) => new Tensor(caseRng('serialization input', n).floats(n * 8 * 8 * 2), [n, 8, 8, 2], 'float32');

/**
 * tfjs-layers' save of `model`: its model.json fields and weight bytes, as tfjs-node would write
 * them (with `includeOptimizer`, also the optimizer's state and the training configuration).
 */
async function tfjsArtifacts(
  model: tfl.LayersModel,
  config?: tf.io.SaveConfig,
): Promise<{ modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer; trainingConfig?: unknown }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    config,
  );
  const { modelTopology, weightSpecs, weightData, trainingConfig } = saved!;
  return { modelTopology: modelTopology as object, weightSpecs: weightSpecs!, weightData: weightData as ArrayBuffer, trainingConfig };
}

describe('save and load round trip', () => {
  it('toArtifacts → fromArtifacts gives identical predictions, names and config', () => {
    setSeed(1);
    const model = smallConvnet();
    const { modelJson, weightData } = model.toArtifacts();
    expect(weightData.byteLength).toBe(model.countParams() * 4);
    const loaded = fromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(loaded.name).toBe(model.name);
    expect(loaded.layers.map((l) => [l.name, l.className, l.outputShape])).toEqual(
      model.layers.map((l) => [l.name, l.className, l.outputShape]),
    );
    expect(loaded.predict(input()).data).toEqual(model.predict(input()).data);
    expect(loaded.toArtifacts().modelJson).toEqual(modelJson);
    // or the artifacts as toArtifacts() gives them, in one object
    expect(fromArtifacts(model.toArtifacts()).predict(input()).data).toEqual(model.predict(input()).data);
    expect(() => fromArtifacts(modelJson as never)).toThrow(
      /^fromArtifacts: weight data must be an ArrayBuffer or a typed array .*, got undefined$/,
    );
  });

  it('writes the documented TF.js Layers format: model.json + little-endian float32 weights.bin', async () => {
    setSeed(2);
    const model = smallConvnet();
    const dir = freshDir();
    await model.save(dir);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Sequential');
    const [first, ...rest] = json.modelTopology.config.layers;
    expect(first.class_name).toBe('Conv2D');
    expect(first.config).toMatchObject({
      name: 'conv2d',
      filters: 4,
      kernel_size: [3, 3],
      strides: [1, 1],
      padding: 'same',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: 'relu',
      use_bias: true,
      batch_input_shape: [null, 8, 8, 2],
      dtype: 'float32',
    });
    expect(rest.map((l: { class_name: string }) => l.class_name)).toEqual([
      'MaxPooling2D',
      'Conv2D',
      'AveragePooling2D',
      'Activation',
      'Flatten',
      'Dropout',
      'Dense',
    ]);
    expect(rest.every((l: { config: object }) => !('batch_input_shape' in l.config))).toBe(true);
    expect(json.weightsManifest).toEqual([
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'conv2d/kernel', shape: [3, 3, 2, 4], dtype: 'float32' },
          { name: 'conv2d/bias', shape: [4], dtype: 'float32' },
          { name: 'conv2d_1/kernel', shape: [2, 2, 4, 3], dtype: 'float32' },
          { name: 'dense/kernel', shape: [12, 5], dtype: 'float32' },
          { name: 'dense/bias', shape: [5], dtype: 'float32' },
        ],
      },
    ]);
    const bytes = await readFile(join(dir, 'weights.bin'));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const all = model.getWeights().flatMap((w) => Array.from(w.data));
    expect(bytes.byteLength).toBe(all.length * 4);
    expect(Array.from({ length: all.length }, (_, i) => view.getFloat32(i * 4, true))).toEqual(all);
  });

  it('save(dir) → loadModel(dir) and loadModel(dir/model.json) predict identically; saving again replaces the model', async () => {
    setSeed(3);
    const model = smallConvnet();
    const dir = freshDir();
    await model.save(dir);
    const expected = model.predict(input()).data;
    expect((await loadModel(dir)).predict(input()).data).toEqual(expected);
    expect((await loadModel(join(dir, 'model.json'))).predict(input()).data).toEqual(expected);
    // Overwrite with other weights: the new model replaces the old, nothing else is left around.
    model.setWeights(
      model.getWeights().map(
        (w) =>
          new Tensor(
            w.data.map((v) => v * 0.5),
            w.shape,
            'float32',
          ),
      ),
    );
    await model.save(dir);
    expect((await loadModel(dir)).predict(input()).data).toEqual(model.predict(input()).data);
    expect((await readdir(root)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('loadFunctional of a saved Sequential model points to loadModel, which reads it from the same folder', async () => {
    setSeed(3);
    const dir = freshDir();
    await smallConvnet().save(dir);
    await expect(loadFunctional(dir)).rejects.toThrow(
      `loadFunctional: ${join(dir, 'model.json')}: model class "Sequential" is not a functional model (Functional or Model; layers.loadModel reads Sequential ones)`,
    );
    await expect(loadFunctional(dir)).rejects.toBeInstanceOf(ConvlensError);
  });

  it("tfjs' file:// URLs save and load as tfjs-node reads them (file:///abs, file://./relative); other storage URLs are named", async () => {
    setSeed(3);
    const model = smallConvnet();
    const dir = freshDir();
    await model.save(`file://${dir}`);
    const expected = model.predict(input()).data;
    expect((await loadModel(`file://${join(dir, 'model.json')}`)).predict(input()).data).toEqual(expected);
    expect((await loadModel(`file://./${relative(process.cwd(), dir)}`)).predict(input()).data).toEqual(expected);
    await expect(model.save('indexeddb://my-model')).rejects.toThrow(
      "save: 'indexeddb://my-model' is a URL convlens does not read or write: give a path or a file:// URL (in the browser, toArtifacts() / fromArtifacts())",
    );
    await expect(loadModel('https://example.com/model.json')).rejects.toThrow(
      /^loadModel: 'https:\/\/example.com\/model.json' is a URL convlens does not read/,
    );
    await expect(model.save('file://')).rejects.toThrow(/^save: 'file:\/\/' names no path/);
  });

  it('our saved model opens in TF.js (tfjs-layers) and predicts the same', async () => {
    setSeed(4);
    const model = smallConvnet();
    const dir = freshDir();
    await model.save(dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    const bytes = await readFile(join(dir, 'weights.bin'));
    const theirs = await tfjsLoad(json, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(theirs.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const expected = (theirs.predict(tfOf(input())) as tf.Tensor).dataSync();
    expectClose(model.predict(input()), expected, 1e-5);
  });

  it("a compiled model is loaded compiled (Keras' load_model), in convlens and in TF.js, with its loss, metrics and optimizer", async () => {
    setSeed(5);
    const model = smallConvnet();
    model.compile({
      optimizer: new Adam({ learningRate: 0.005, beta2: 0.99 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const labels = new Tensor(Int32Array.of(0, 3, 1), [3], 'int32');
    const { modelJson, weightData } = model.toArtifacts();
    expect(modelJson.trainingConfig).toEqual({
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
      optimizer_config: { class_name: 'Adam', config: { learningRate: 0.005, beta1: 0.9, beta2: 0.99, epsilon: 1e-7 } },
    });
    const loaded = fromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData);
    expect(loaded.evaluate(input(), labels)).toEqual(model.evaluate(input(), labels));
    expect(loaded.trainingConfig()).toEqual(modelJson.trainingConfig);
    // tfjs-layers compiles from the same keys: its evaluate gives the same loss
    const theirs = await tfjsLoad(modelJson, weightData);
    expect(theirs.optimizer.getConfig()).toMatchObject({ learningRate: 0.005, beta2: 0.99 });
    const [loss] = theirs.evaluate(tfOf(input()), tf.tensor2d([[0], [3], [1]])) as tf.Scalar[];
    expectClose(model.evaluate(input(), labels).loss, loss.dataSync()[0], 1e-5, 'loss');
    // momentum SGD is tfjs' Momentum
    model.compile({ optimizer: new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }), loss: 'categoricalCrossentropy' });
    expect(fromArtifacts(model.toArtifacts()).trainingConfig()?.optimizer_config).toEqual({
      class_name: 'Momentum',
      config: { learningRate: 0.1, momentum: 0.9, useNesterov: true },
    });
    // a loss from logits, which tfjs cannot read back, is saved as Keras saves it (tfjs ignores it) and read back compiled
    model.compile({ optimizer: 'sgd', loss: { name: 'binaryCrossentropy', fromLogits: true } });
    const logits = model.toArtifacts();
    expect(logits.modelJson.trainingConfig).toBeUndefined();
    expect(logits.modelJson.modelTopology.training_config?.loss).toEqual({
      class_name: 'BinaryCrossentropy',
      config: { from_logits: true },
    });
    expect(fromArtifacts(JSON.parse(JSON.stringify(logits.modelJson)), logits.weightData).trainingConfig()).toEqual(model.trainingConfig());
    // metrics in the names tfjs compiles with; with one tfjs lacks (sparse accuracy by name), all as compile named them, where tfjs does not read them
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['acc', 'categorical_accuracy', 'mean_squared_error'] });
    const saved = model.toArtifacts();
    expect(saved.modelJson.trainingConfig?.metrics).toEqual(['acc', 'categoricalAccuracy', 'mse']);
    const withMetrics = fromArtifacts(JSON.parse(JSON.stringify(saved.modelJson)), saved.weightData);
    const y = new Tensor(
      Float32Array.from({ length: 15 }, (_, i) => (i % 5 === 1 ? 1 : 0)),
      [3, 5],
      'float32',
    );
    expect(Object.keys(withMetrics.evaluate(input(), y)).sort()).toEqual(['acc', 'accuracy', 'categoricalAccuracy', 'loss', 'mse']);
    // sparse accuracy is tfjs' 'accuracy' beside the sparse loss; beside another loss tfjs has none
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['sparse_categorical_accuracy', 'ACC'] });
    expect(model.toArtifacts().modelJson.trainingConfig?.metrics).toEqual(['accuracy', 'acc']);
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['sparse_categorical_accuracy', 'mean_squared_error'] });
    const lacking = model.toArtifacts();
    expect(lacking.modelJson.trainingConfig).toBeUndefined();
    expect(lacking.modelJson.modelTopology.training_config?.metrics).toEqual(['sparse_categorical_accuracy', 'mean_squared_error']);
    expect(fromArtifacts(JSON.parse(JSON.stringify(lacking.modelJson)), lacking.weightData).trainingConfig()).toEqual(
      model.trainingConfig(),
    );
  });

  it('RMSprop settings go both ways: convlens → tfjs (its RMSProp) and tfjs or Keras → convlens', async () => {
    setSeed(6);
    const model = smallConvnet();
    model.compile({
      optimizer: new RMSprop({ learningRate: 0.002, rho: 0.8, momentum: 0.5, centered: true }),
      loss: 'sparseCategoricalCrossentropy',
    });
    const { modelJson, weightData } = model.toArtifacts();
    const theirs = await tfjsLoad(modelJson, weightData);
    expect(theirs.optimizer.getConfig()).toEqual({ learningRate: 0.002, decay: 0.8, momentum: 0.5, epsilon: 1e-7, centered: true });
    const back = fromArtifacts(JSON.parse(JSON.stringify(modelJson)), weightData).trainingConfig();
    expect(back).toEqual(modelJson.trainingConfig);
    // tfjs writes its own model's rmsprop; Keras writes RMSprop with snake_case keys
    const dense = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
    dense.compile({ optimizer: tf.train.rmsprop(0.01, 0.95, 0.1), loss: 'categoricalCrossentropy' });
    const saved = await tfjsArtifacts(dense, { includeOptimizer: true });
    const json = {
      modelTopology: saved.modelTopology,
      weightsManifest: [{ paths: [], weights: saved.weightSpecs }],
      trainingConfig: saved.trainingConfig,
    };
    expect(fromArtifacts(json, saved.weightData).trainingConfig()?.optimizer_config).toEqual({
      class_name: 'RMSProp',
      config: { learningRate: 0.01, decay: 0.95, momentum: 0.1, epsilon: 1e-7, centered: false },
    });
    // tf.keras 2 also writes `decay`, its learning-rate decay (0 by default), beside rho
    const keras = {
      ...json,
      trainingConfig: {
        loss: 'mse',
        optimizer_config: { class_name: 'RMSprop', config: { learning_rate: 0.004, decay: 0.0, rho: 0.7, momentum: 0, centered: false } },
      },
    };
    expect(fromArtifacts(keras, saved.weightData).trainingConfig()?.optimizer_config.config).toEqual({
      learningRate: 0.004,
      decay: 0.7,
      momentum: 0,
      epsilon: 1e-7,
      centered: false,
    });
  });

  it("a tfjs-layers or Keras model's compile settings are restored; ones convlens lacks leave it uncompiled, with a warning", async () => {
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
    theirs.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    // tfjs writes its trainingConfig with the optimizer's state (whose weights the loader skips)
    const saved = await tfjsArtifacts(theirs, { includeOptimizer: true });
    const json = {
      modelTopology: saved.modelTopology,
      weightsManifest: [{ paths: [], weights: saved.weightSpecs }],
      trainingConfig: saved.trainingConfig,
    };
    const ours = fromArtifacts(json, saved.weightData);
    const x = new Tensor(caseRng('tfjs compiled', 0).floats(8), [2, 4], 'float32');
    const y = new Tensor(Float32Array.of(1, 0, 0, 0, 0, 1), [2, 3], 'float32');
    const [loss, accuracy] = theirs.evaluate(tfOf(x), tfOf(y)) as tf.Scalar[];
    const result = ours.evaluate(x, y);
    expectClose(result.loss, loss.dataSync()[0], 1e-5, 'loss');
    expectClose(result.accuracy, accuracy.dataSync()[0], 0, 'accuracy');
    expect(ours.trainingConfig()?.optimizer_config.config).toMatchObject({ learningRate: 0.02 });
    // Keras' own form (tensorflowjs_converter): snake_case keys and a loss object with from_logits
    const keras = structuredClone(json) as Record<string, unknown>;
    delete keras.trainingConfig;
    (keras.modelTopology as Record<string, unknown>).training_config = {
      loss: { class_name: 'CategoricalCrossentropy', config: { from_logits: false } },
      metrics: ['accuracy'],
      optimizer_config: { class_name: 'Adam', config: { learning_rate: 0.03, beta_1: 0.8 } },
    };
    expect(fromArtifacts(keras, saved.weightData).trainingConfig()?.optimizer_config.config).toMatchObject({
      learningRate: 0.03,
      beta1: 0.8,
    });
    // an optimizer convlens lacks: loaded all the same, uncompiled, and said so
    (keras.modelTopology as { training_config: { optimizer_config: unknown } }).training_config.optimizer_config = {
      class_name: 'Nadam',
      config: {},
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const plain = fromArtifacts(keras, saved.weightData);
      expect(plain.trainingConfig()).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(
        `convlens: the model's saved compile settings are not restored (optimizer "Nadam"); compile it before fit or evaluate`,
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("Keras 3's use_ema, its settings and gradient_accumulation_steps load compiled, with Keras' reading of them", async () => {
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
    const saved = await tfjsArtifacts(theirs);
    const loaded = (config: Record<string, unknown>) => {
      const json = {
        modelTopology: {
          ...(saved.modelTopology as object),
          training_config: {
            loss: 'categorical_crossentropy',
            optimizer_config: { class_name: 'SGD', config: { ...KERAS3_BASE_SETTINGS, learning_rate: 0.1, momentum: 0, ...config } },
          },
        },
        weightsManifest: [{ paths: [], weights: saved.weightSpecs }],
      };
      return fromArtifacts(json, saved.weightData).trainingConfig()?.optimizer_config.config;
    };
    const given = { use_ema: true, ema_momentum: 0.9, ema_overwrite_frequency: 3, gradient_accumulation_steps: 2 };
    expect(loaded(given)).toMatchObject(given);
    // Keras reads ema_momentum and ema_overwrite_frequency only with use_ema, and 0 as None
    expect(loaded({ ema_momentum: 7, ema_overwrite_frequency: -1 })).not.toHaveProperty('ema_momentum');
    const zeros = loaded({ use_ema: true, ema_overwrite_frequency: 0, gradient_accumulation_steps: 0 });
    expect(zeros).toMatchObject({ use_ema: true, ema_momentum: 0.99 });
    expect(zeros).not.toHaveProperty('ema_overwrite_frequency');
    expect(zeros).not.toHaveProperty('gradient_accumulation_steps');
  });

  it('Keras optimizer settings that change the update and that convlens lacks or refuses leave the model uncompiled, not silently dropped', async () => {
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
    const saved = await tfjsArtifacts(theirs);
    // Keras 3 writes every base optimizer setting, unused ones as None (null) or False: such a config compiles
    const keras3Adam = {
      ...KERAS3_BASE_SETTINGS,
      name: 'adam',
      learning_rate: 0.01,
      beta_1: 0.9,
      beta_2: 0.999,
      epsilon: 1e-7,
      amsgrad: false,
    };
    const withOptimizer = (class_name: string, config: Record<string, unknown>) => ({
      modelTopology: {
        ...(saved.modelTopology as object),
        training_config: { loss: 'categorical_crossentropy', optimizer_config: { class_name, config } },
      },
      weightsManifest: [{ paths: [], weights: saved.weightSpecs }],
    });
    expect(fromArtifacts(withOptimizer('Adam', keras3Adam), saved.weightData).trainingConfig()?.optimizer_config.config).toMatchObject({
      learningRate: 0.01,
    });
    const unsupported: [string, Record<string, unknown>, string][] = [
      ['Adam', { ...keras3Adam, use_ema: 'yes' }, 'Adam with use_ema "yes"'],
      ['Adam', { ...keras3Adam, use_ema: true, ema_momentum: 1.5 }, 'adam: emaMomentum must be a number in [0, 1], got 1.5'],
      [
        'Adam',
        { ...keras3Adam, use_ema: true, ema_overwrite_frequency: 2.5 },
        'adam: emaOverwriteFrequency must be an integer ≥ 1 or null, got 2.5',
      ],
      ['Adam', { ...keras3Adam, gradient_accumulation_steps: 1 }, 'adam: gradientAccumulationSteps must be an integer ≥ 2 or null, got 1'],
      ['Adam', { ...keras3Adam, clipnorm: 'big' }, 'Adam with clipnorm "big"'],
      // tf.keras 2 took clipnorm with clipvalue; Keras 3 and convlens take one
      [
        'Adam',
        { ...keras3Adam, clipnorm: 1, clipvalue: 0.5 },
        'adam: set one of clipnorm, clipvalue and globalClipnorm, as Keras does, got clipnorm and clipvalue',
      ],
      // a value convlens refuses is a warning too, not an error from the loader
      ['Adam', { ...keras3Adam, beta_1: 1 }, 'adam: beta1 must be a number in [0, 1), got 1'],
      // tf.keras 2's learning-rate decay, lr / (1 + decay · iterations)
      ['SGD', { learning_rate: 0.1, decay: 1e-4, momentum: 0.9, nesterov: false }, 'SGD with decay 0.0001'],
      ['RMSprop', { learning_rate: 0.01, decay: 0.001, rho: 0.9 }, 'RMSprop with decay 0.001'],
      // a schedule of one's own (Keras' registered_name), one with settings convlens lacks or refuses
      [
        'Adam',
        { ...keras3Adam, learning_rate: { module: 'builtins', class_name: 'WarmUp', config: {}, registered_name: 'WarmUp' } },
        'Adam with the learning-rate schedule "WarmUp"',
      ],
      [
        'SGD',
        {
          learning_rate: {
            class_name: 'ExponentialDecay',
            config: { initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5, cycle: true },
          },
        },
        'SGD with the learning-rate schedule ExponentialDecay with cycle true',
      ],
      [
        'Adam',
        { ...keras3Adam, learning_rate: { module: 'keras.optimizers.schedules', class_name: 'ExponentialDecay', config: {} } },
        'ExponentialDecay: initialLearningRate is required',
      ],
      ['Adam', { ...keras3Adam, weight_decay: 'l2' }, 'Adam with weight_decay "l2"'],
    ];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      for (const [className, config, reason] of unsupported) {
        warn.mockClear();
        expect(fromArtifacts(withOptimizer(className, config), saved.weightData).trainingConfig(), reason).toBeUndefined();
        expect(warn).toHaveBeenCalledWith(
          `convlens: the model's saved compile settings are not restored (${reason}); compile it before fit or evaluate`,
        );
      }
    } finally {
      warn.mockRestore();
    }
  });

  it('a Keras loss with another reduction or axis or an ignored class leaves the model uncompiled, not silently dropped', async () => {
    const theirs = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })] });
    const saved = await tfjsArtifacts(theirs);
    const withLoss = (loss: unknown) => ({
      modelTopology: {
        ...(saved.modelTopology as object),
        training_config: { loss, optimizer_config: { class_name: 'SGD', config: { learning_rate: 0.01 } } },
      },
      weightsManifest: [{ paths: [], weights: saved.weightSpecs }],
    });
    // as Keras 3 and tf.keras 2 write a loss compiled as an object, settings at their defaults
    const keras3 = {
      name: 'categorical_crossentropy',
      reduction: 'sum_over_batch_size',
      from_logits: false,
      label_smoothing: 0.0,
      axis: -1,
    };
    const tfKeras2 = { reduction: 'auto', name: 'sparse_categorical_crossentropy', from_logits: false, ignore_class: null };
    for (const [class_name, config, name] of [
      ['CategoricalCrossentropy', keras3, 'categorical_crossentropy'],
      ['SparseCategoricalCrossentropy', tfKeras2, 'sparse_categorical_crossentropy'],
    ] as const) {
      expect(fromArtifacts(withLoss({ class_name, config }), saved.weightData).trainingConfig()?.loss).toBe(name);
    }
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      for (const config of [
        { ...keras3, reduction: 'sum' },
        { ...keras3, axis: 1 },
        { ...tfKeras2, ignore_class: 0 },
      ]) {
        warn.mockClear();
        const loss = { class_name: 'CategoricalCrossentropy', config };
        expect(fromArtifacts(withLoss(loss), saved.weightData).trainingConfig(), JSON.stringify(config)).toBeUndefined();
        expect(warn).toHaveBeenCalledTimes(1);
        expect(warn.mock.calls[0][0]).toMatch(
          /^convlens: the model's saved compile settings are not restored \(loss \{ class_name: "CategoricalCrossentropy"/,
        );
      }
    } finally {
      warn.mockRestore();
    }
  });

  it('saving an unbuilt model says what to do', async () => {
    const model = new Sequential([new Dense({ units: 2 })]);
    expectConvlensError(() => model.toArtifacts(), /save: model 'sequential(_\d+)?' is not built \(give its first layer an inputShape/);
    await expect(model.save(freshDir())).rejects.toThrow(/is not built/);
  });
});

describe('loading TF.js Layers models', () => {
  /** tfjs-layers models covering every layer class we read. */
  function tfjsModels(): [string, tfl.Sequential][] {
    const withInputLayer = tfl.sequential();
    withInputLayer.add(tfl.layers.inputLayer({ inputShape: [8, 8, 2] }));
    withInputLayer.add(tfl.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, activation: 'sigmoid' }));
    withInputLayer.add(tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }));
    withInputLayer.add(tfl.layers.flatten());
    withInputLayer.add(tfl.layers.dense({ units: 4 }));
    withInputLayer.add(tfl.layers.activation({ activation: 'softmax' }));
    return [
      [
        'batch_input_shape on the first layer',
        tfl.sequential({
          layers: [
            tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [8, 8, 2] }),
            tfl.layers.maxPooling2d({ poolSize: 2 }),
            tfl.layers.conv2d({ filters: 2, kernelSize: [2, 1], strides: [1, 2], useBias: false, activation: 'tanh' }),
            tfl.layers.flatten(),
            tfl.layers.dropout({ rate: 0.3 }),
            tfl.layers.dense({ units: 3, activation: 'softmax' }),
          ],
        }),
      ],
      ['an InputLayer first', withInputLayer],
    ];
  }

  for (const [index, [what, _]] of tfjsModels().entries()) {
    it(`a model saved by tfjs-layers itself (${what}), split over several weight shards`, async () => {
      const theirs = tfjsModels()[index][1];
      const { modelTopology, weightSpecs, weightData } = await tfjsArtifacts(theirs);
      // tfjs writes shards of at most 4 MB; these cuts exercise the same reassembly.
      const bytes = new Uint8Array(weightData);
      const cuts = [0, 10, 77, bytes.length];
      const paths = cuts.slice(1).map((_, i) => `group1-shard${i + 1}of${cuts.length - 1}.bin`);
      const dir = freshDir();
      await mkdir(dir);
      await Promise.all(paths.map((p, i) => writeFile(join(dir, p), bytes.subarray(cuts[i], cuts[i + 1]))));
      const modelJson = {
        format: 'layers-model',
        generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
        convertedBy: null,
        modelTopology,
        weightsManifest: [{ paths, weights: weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      const ours = await loadModel(dir);
      expect(ours.layers.map((l) => l.name)).toEqual(theirs.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name));
      const x = input();
      const expected = (theirs.predict(tfOf(x)) as tf.Tensor).dataSync();
      expectClose(ours.predict(x), expected, 1e-5, what);
      if (process.env.CONVLENS_REPORT) {
        const got = ours.predict(x).data;
        console.log(
          `max |diff| loaded tfjs-layers model (${what}): ${Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i]))).toExponential(2)}`,
        );
      }
    });
  }

  it('a tfjs-layers model saved with its optimizer state (includeOptimizer): the state, int32 step count included, is skipped', async () => {
    const theirs = tfjsModels()[0][1];
    theirs.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = input();
    await theirs.fit(tfOf(x), tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3), { epochs: 1, verbose: 0 });
    const saved = await tfjsArtifacts(theirs, { includeOptimizer: true });
    const specs = saved.weightSpecs;
    expect(specs.some((w) => w.group === 'optimizer' && w.dtype === 'int32')).toBe(true);
    const modelJson = {
      format: 'layers-model',
      modelTopology: saved.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
    };
    const ours = fromArtifacts(modelJson, saved.weightData);
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5);
  });

  it("a model from tensorflowjs_converter (Keras 2 config in model_config, 'conv2d/kernel' names, manifest order differing)", async () => {
    const rng = caseRng('converter', 0);
    const spec = (name: string, shape: number[]) => ({ name, shape, dtype: 'float32' });
    // The converter groups weights by layer in its own order: here the dense layer first.
    const weights = [spec('dense/kernel', [4, 2]), spec('dense/bias', [2]), spec('conv2d/kernel', [3, 3, 1, 1]), spec('conv2d/bias', [1])];
    const values = weights.map((w) => rng.floats(w.shape.reduce((a, b) => a * b, 1)));
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'keras v2.13.1',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '2.13.1',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            layers: [
              {
                class_name: 'InputLayer',
                config: { batch_input_shape: [null, 4, 4, 1], dtype: 'float32', sparse: false, ragged: false, name: 'conv2d_input' },
              },
              {
                class_name: 'Conv2D',
                config: {
                  name: 'conv2d',
                  trainable: true,
                  dtype: 'float32',
                  filters: 1,
                  kernel_size: [3, 3],
                  strides: [1, 1],
                  padding: 'valid',
                  data_format: 'channels_last',
                  dilation_rate: [1, 1],
                  groups: 1,
                  activation: 'relu',
                  use_bias: true,
                  kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
                  bias_initializer: { class_name: 'Zeros', config: {} },
                  kernel_regularizer: null,
                  bias_regularizer: null,
                  activity_regularizer: null,
                  kernel_constraint: null,
                  bias_constraint: null,
                },
              },
              {
                class_name: 'MaxPooling2D',
                config: {
                  name: 'max_pooling2d',
                  trainable: true,
                  dtype: 'float32',
                  pool_size: [1, 1],
                  padding: 'valid',
                  strides: [1, 1],
                  data_format: 'channels_last',
                },
              },
              { class_name: 'Flatten', config: { name: 'flatten', trainable: true, dtype: 'float32', data_format: 'channels_last' } },
              {
                class_name: 'Dense',
                config: { name: 'dense', trainable: true, dtype: 'float32', units: 2, activation: 'linear', use_bias: true },
              },
            ],
          },
        },
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
    };
    const weightData = new Float32Array(values.flatMap((v) => Array.from(v))).buffer;
    const ours = fromArtifacts(modelJson, weightData);
    expect(ours.getLayer('conv2d').getWeights()[0].data).toEqual(values[2]);
    expect(ours.getLayer('dense').getWeights()[1].data).toEqual(values[1]);
    const x = new Tensor(rng.floats(2 * 16), [2, 4, 4, 1], 'float32');
    const theirs = await tfjsLoad(modelJson, weightData);
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5);
  });
});

describe('Keras config keys the loader does not map', () => {
  it('training-only settings (regularizers, constraints, a dropout seed) and the common keys load; the model predicts the same', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          filters: 3,
          kernelSize: 3,
          inputShape: [8, 8, 2],
          dataFormat: 'channelsLast',
          kernelRegularizer: 'l1l2',
          biasRegularizer: 'l1l2',
          kernelConstraint: 'maxNorm',
          biasConstraint: 'nonNeg',
          trainable: false,
        }),
        tfl.layers.maxPooling2d({ poolSize: 2, dataFormat: 'channelsLast' }),
        tfl.layers.flatten(),
        tfl.layers.dropout({ rate: 0.5, seed: 7 }),
        tfl.layers.dense({ units: 2, kernelRegularizer: tfl.regularizers.l2(), kernelConstraint: 'unitNorm', dtype: 'float32' }),
      ],
    });
    const { modelTopology, weightSpecs, weightData } = await tfjsArtifacts(theirs);
    const config = (modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config;
    // what tfjs wrote: the keys are there, with values
    expect(config.layers[0].config).toMatchObject({ trainable: false, dtype: 'float32', data_format: 'channels_last' });
    expect(config.layers[0].config.kernel_regularizer).not.toBeNull();
    expect(config.layers[3].config.seed).toBe(7);
    // Keras writes this too; tfjs-layers cannot run a layer with one, so it is added here
    config.layers[0].config.activity_regularizer = { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } };
    const ours = fromArtifacts(
      { format: 'layers-model', modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: weightSpecs }] },
      weightData,
    );
    expect(ours.layers[0].trainable).toBe(false);
    const x = input();
    expectClose(ours.predict(x), (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5);
  });

  /** Our saved artifacts with layer `index`'s config edited. */
  function withConfig(index: number, edit: (config: Record<string, unknown>) => void): [unknown, ArrayBuffer] {
    setSeed(7);
    resetNames();
    const { modelJson, weightData } = smallConvnet().toArtifacts();
    const json = JSON.parse(JSON.stringify(modelJson));
    edit(json.modelTopology.config.layers[index].config);
    return [json, weightData];
  }

  it('an unknown key is an error naming the layer when it has a value, and ignored when null (a feature not in use)', () => {
    const [rank, rankData] = withConfig(7, (c) => {
      c.lora_rank = 4;
    });
    expectConvlensError(
      () => fromArtifacts(rank, rankData),
      "fromArtifacts: layer 7 'dense' (Dense): lora_rank 4 is not supported (not a Dense setting convlens reads)",
    );
    const [pool, poolData] = withConfig(1, (c) => {
      c.pool_mode = 'median';
    });
    expectConvlensError(
      () => fromArtifacts(pool, poolData),
      'fromArtifacts: layer 1 \'max_pooling2d\' (MaxPooling2D): pool_mode "median" is not supported (not a MaxPooling2D setting convlens reads)',
    );
    const [unused, unusedData] = withConfig(7, (c) => {
      c.quantization_config = null;
    });
    expect(fromArtifacts(unused, unusedData).layers.map((l) => l.name)).toContain('dense');
  });

  it('bad values of mapped keys are ConvlensErrors naming the layer (never a TypeError)', () => {
    const cases: [number, Record<string, unknown>, string][] = [
      [0, { trainable: 'yes' }, 'fromArtifacts: layer 0 \'conv2d\' (Conv2D): Conv2D: trainable must be true or false, got "yes"'],
      [0, { use_bias: 'false' }, "fromArtifacts: layer 0 'conv2d' (Conv2D): Conv2D 'conv2d': useBias must be true or false, got \"false\""],
      [6, { rate: 'half' }, "fromArtifacts: layer 6 'dropout' (Dropout): Dropout 'dropout': rate must be a number in [0, 1), got \"half\""],
      [2, { groups: 3 }, "fromArtifacts: layer 2 'conv2d_1' (Conv2D): groups 3 is not supported (grouped convolution)"],
    ];
    for (const [index, patch, message] of cases) {
      const [json, data] = withConfig(index, (c) => Object.assign(c, patch));
      expectConvlensError(() => fromArtifacts(json, data), message);
    }
    const [json, data] = withConfig(0, () => {});
    (json as ModelJson).modelTopology.config.layers[3].class_name = 'toString';
    expectConvlensError(
      () => fromArtifacts(json, data),
      /^fromArtifacts: layer 3 'average_pooling2d' \(toString\): layer class toString is not supported/,
    );
  });
});

describe('load errors', () => {
  async function savedModelDir(): Promise<string> {
    setSeed(5);
    const dir = freshDir();
    await smallConvnet().save(dir);
    return dir;
  }

  it('a truncated or padded weights file names the file and the expected and actual byte counts', async () => {
    const dir = await savedModelDir();
    const file = join(dir, 'weights.bin');
    const bytes = await readFile(file);
    const expected = bytes.byteLength;
    await writeFile(file, bytes.subarray(0, 100));
    await expect(loadModel(dir)).rejects.toThrow(
      `loadModel: ${join(dir, 'model.json')}: weights file ${file} has 100 bytes, expected ${expected} (corrupt or truncated)`,
    );
    await writeFile(file, Buffer.concat([bytes, Buffer.alloc(4)]));
    await expect(loadModel(dir)).rejects.toThrow(`has ${expected + 4} bytes, expected ${expected}`);
    const { modelJson } = smallConvnet().toArtifacts();
    expectConvlensError(
      () => fromArtifacts(modelJson, new ArrayBuffer(8)),
      `fromArtifacts: weight data has 8 bytes, expected ${expected} (the sizes the weights manifest lists)`,
    );
  });

  it("weights whose names match none of the model's load in manifest order when the counts agree; a missing one is named", () => {
    setSeed(6);
    const model = smallConvnet();
    const { modelJson, weightData } = model.toArtifacts();
    const [group] = modelJson.weightsManifest;
    const x = input(2);

    const renamed = { ...group, weights: group.weights.map((w, i) => ({ ...w, name: `w${i}` })) };
    const byOrder = fromArtifacts({ ...modelJson, weightsManifest: [renamed] }, weightData);
    expect(byOrder.predict(x).data).toEqual(model.predict(x).data);

    const last = group.weights.at(-1)!;
    const lastBytes = 4 * last.shape.reduce((a, b) => a * b, 1);
    const short = { ...group, weights: group.weights.slice(0, -1) };
    expectConvlensError(
      () => fromArtifacts({ ...modelJson, weightsManifest: [short] }, (weightData as ArrayBuffer).slice(0, -lastBytes)),
      `fromArtifacts: the weights do not fit the model: the file has no ${last.name} (the model has 5 weights, the file 4; no weight was set)`,
    );
  });

  it('weight data may be any view of the bytes (a Float32Array, a Buffer at an offset, a DataView); anything else is named', () => {
    setSeed(12);
    const model = smallConvnet();
    const { modelJson, weightData } = model.toArtifacts();
    const x = new Tensor(
      Float32Array.from({ length: 128 }, (_, i) => i / 128),
      [1, 8, 8, 2],
      'float32',
    );
    const padded = Buffer.alloc(weightData.byteLength + 3);
    Buffer.from(weightData).copy(padded, 3);
    for (const data of [new Float32Array(weightData), new DataView(weightData), padded.subarray(3), [new Uint8Array(weightData)]]) {
      expect(fromArtifacts(modelJson, data).predict(x).data).toEqual(model.predict(x).data);
    }
    expectConvlensError(
      () => fromArtifacts(modelJson, undefined as never),
      'fromArtifacts: weight data must be an ArrayBuffer or a typed array (or a list of them, one per weight file), got undefined',
    );
  });

  it('a path that is not a string is named (not a TypeError from node:path)', async () => {
    await expect(loadModel(undefined as never)).rejects.toThrow(
      /^loadModel: expected the path of model.json or of its folder, got undefined$/,
    );
    await expect(smallConvnet().save(42 as never)).rejects.toThrow(/^save: expected a folder path, got 42$/);
  });

  it('model.keras and a .json name are refused before anything is written, naming what to give instead (.h5 writes a Keras file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'convlens-keras-name-'));
    try {
      await expect(smallConvnet().save(join(dir, 'model.keras'))).rejects.toThrow(
        `save: convlens does not write .keras files (${join(dir, 'model.keras')}): give a path ending in .h5 for a Keras HDF5 model file, which Keras' load_model reads, or a folder for the TensorFlow.js Layers format`,
      );
      await expect(smallConvnet().save(join(dir, 'model.json'))).rejects.toThrow(
        `save: ${join(dir, 'model.json')} names a .json file, but a model is saved as a folder in the TensorFlow.js Layers format (model.json and weights.bin): give a folder path, such as '${join(dir, 'model')}'`,
      );
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a weight shape that is not a list of integers, and a model without an input shape, are named as such', () => {
    setSeed(13);
    const { modelJson, weightData } = smallConvnet().toArtifacts();
    const json = structuredClone(modelJson) as { weightsManifest: { weights: { shape: unknown[] }[] }[]; modelTopology: unknown };
    json.weightsManifest[0].weights[0].shape[0] = '3';
    expectConvlensError(
      () => fromArtifacts(json, weightData),
      /^fromArtifacts: weight .* has shape \["3", 3, 2, 4\] \(expected a list of non-negative integers\)$/,
    );
    const shapeless = structuredClone(modelJson) as { modelTopology: { config: { layers: { config: Record<string, unknown> }[] } } };
    delete shapeless.modelTopology.config.layers[0].config.batch_input_shape;
    expectConvlensError(() => fromArtifacts(shapeless, weightData), /^fromArtifacts: the model has no input shape/);
  });

  it('a missing weights file, model.json or directory is named', async () => {
    const dir = await savedModelDir();
    await rm(join(dir, 'weights.bin'));
    await expect(loadModel(dir)).rejects.toThrow(
      `loadModel: weights file ${join(dir, 'weights.bin')} is missing (listed in ${join(dir, 'model.json')})`,
    );
    await expect(loadModel(join(root, 'nowhere'))).rejects.toThrow(`loadModel: ${join(root, 'nowhere')} does not exist`);
    const empty = freshDir();
    await mkdir(empty);
    await expect(loadModel(empty)).rejects.toThrow(`loadModel: the folder ${empty} holds no model.json`);
    await writeFile(join(empty, 'model.json'), '{"format": ');
    await expect(loadModel(empty)).rejects.toThrow(`loadModel: ${join(empty, 'model.json')} is not valid JSON`);
  });

  it('a binary file given as model.json is named as such, without quoting its bytes', async () => {
    const dir = await savedModelDir();
    const weights = join(dir, 'weights.bin');
    const message = await loadModel(weights).then(
      () => '',
      (error: Error) => error.message,
    );
    expect(message).toBe(`loadModel: ${weights} is not a model.json: it holds binary data, not JSON text`);
  });

  it('a device or a pipe as model.json or weights is refused, not read without end (/dev/zero)', async () => {
    await expect(loadModel('/dev/zero')).rejects.toThrow('loadModel: cannot read /dev/zero: not a regular file');
    const dir = await savedModelDir();
    await rm(join(dir, 'weights.bin'));
    await symlink('/dev/zero', join(dir, 'weights.bin'));
    await expect(loadModel(dir)).rejects.toThrow(`loadModel: cannot read ${join(dir, 'weights.bin')}: not a regular file`);
  });

  it('a manifest may not point outside the model directory', async () => {
    const dir = await savedModelDir();
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../../secret.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadModel(dir)).rejects.toThrow(
      `weights path "../../secret.bin" in ${join(dir, 'model.json')} leaves the model's directory`,
    );
  });

  /** Our saved artifacts with one layer config (or the topology) edited. */
  function edited(edit: (json: ModelJson & Record<string, unknown>) => void): [unknown, ArrayBuffer] {
    setSeed(6);
    resetNames();
    const { modelJson, weightData } = smallConvnet().toArtifacts();
    const json = JSON.parse(JSON.stringify(modelJson));
    edit(json);
    return [json, weightData];
  }

  it('unsupported layers and features are named', () => {
    const cases: [string, (json: ModelJson & Record<string, unknown>) => void, string | RegExp][] = [
      [
        'Conv3D',
        (j) => {
          j.modelTopology.config.layers[1] = {
            class_name: 'Conv3D',
            config: { name: 'conv3d', filters: 2, kernel_size: [2, 2, 2] },
          };
        },
        /^fromArtifacts: layer 1 'conv3d' \(Conv3D\): layer class Conv3D is not supported \(supported: Conv2D, .*SeparableConv2D, .*MaxPooling2D, .*Cropping2D, .*BatchNormalization.*\)$/,
      ],
      [
        'channels_first',
        (j) => {
          j.modelTopology.config.layers[7].config.data_format = 'channels_first';
        },
        'fromArtifacts: layer 7 \'dense\' (Dense): data_format "channels_first" is not supported (only channels_last: this layer takes no data format)',
      ],
      [
        'unknown activation',
        (j) => {
          j.modelTopology.config.layers[7].config.activation = 'hard_silu';
        },
        "fromArtifacts: layer 7 'dense' (Dense): Dense 'dense': unknown activation \"hard_silu\" (expected one of linear, relu, sigmoid, tanh, softmax, log_softmax, elu, selu, softplus, softsign, relu6, gelu, gelu_new, swish, mish, hard_sigmoid, exponential; or silu, hardSigmoid, geluNew, logSoftmax)",
      ],
      [
        'float16 layer',
        (j) => {
          j.modelTopology.config.layers[0].config.dtype = 'float16';
        },
        'fromArtifacts: layer 0 \'conv2d\' (Conv2D): dtype "float16" is not supported (only float32)',
      ],
      [
        'an input size of 0',
        (j) => {
          j.modelTopology.config.layers[0].config.batch_input_shape = [null, 0, null, 2];
        },
        "fromArtifacts: layer 0 'conv2d' (Conv2D): input shape [null, 0, null, 2] is not supported (positive sizes, or null for a free size)",
      ],
      [
        'functional model without its graph',
        (j) => {
          (j.modelTopology as { class_name: string }).class_name = 'Functional';
        },
        "fromArtifacts: the Functional config's input_layers is undefined (expected [[layer name, node, tensor]])",
      ],
      [
        'a model class that is not a Keras model',
        (j) => {
          (j.modelTopology as { class_name: string }).class_name = 'Graph';
        },
        'fromArtifacts: model class "Graph" is not supported (Sequential, or a functional model whose layers form one chain)',
      ],
      [
        'a misspelt model class',
        (j) => {
          (j.modelTopology as { class_name: string }).class_name = 'Sequentail';
        },
        `fromArtifacts: model class "Sequentail" is not supported (did you mean 'Sequential'? Sequential, or a functional model whose layers form one chain)`,
      ],
      [
        'no model class (it said "model class undefined")',
        (j) => {
          delete (j.modelTopology as { class_name?: string }).class_name;
        },
        "fromArtifacts: the modelTopology names no model class (its class_name: 'Sequential', 'Functional' or 'Model')",
      ],
      [
        'graph model',
        (j) => {
          (j as { format: string }).format = 'graph-model';
        },
        `fromArtifacts: format "graph-model" is not supported (only 'layers-model', TensorFlow.js Layers)`,
      ],
      [
        'quantized weights',
        (j) => {
          j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', scale: 0.01, min: -1 };
        },
        'fromArtifacts: weight conv2d/kernel is quantized; only float32 weights are supported',
      ],
      [
        'int32 weights',
        (j) => {
          j.weightsManifest[0].weights[1].dtype = 'int32';
        },
        'fromArtifacts: weight conv2d/bias has dtype int32; only float32 weights are supported',
      ],
      [
        'weight shape mismatch',
        (j) => {
          j.weightsManifest[0].weights[3].shape = [5, 12];
        },
        "fromArtifacts: weight dense/kernel has shape [12, 5], the file's dense/kernel has [5, 12]",
      ],
    ];
    for (const [what, edit, message] of cases) {
      const [json, data] = edited(edit);
      expectConvlensError(() => fromArtifacts(json, data), message);
      void what;
    }
  });
});

describe('a failed save leaves no partial model', () => {
  it('when the target is a file: error, the file untouched, no temporary directory', async () => {
    const target = join(root, 'a-file');
    await writeFile(target, 'not a model');
    setSeed(7);
    await expect(smallConvnet().save(target)).rejects.toThrow(`save: ${target} exists and is not a directory`);
    expect(await readFile(target, 'utf8')).toBe('not a model');
    expect((await readdir(root)).filter((f) => f.startsWith('a-file.'))).toEqual([]);
  });

  it('when the target directory holds other files: refused, untouched', async () => {
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    setSeed(8);
    await expect(smallConvnet().save(dir)).rejects.toThrow(
      `save: refusing to replace ${dir}: it holds files that are not part of a saved model (notes.txt)`,
    );
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('when a parent directory cannot be created (a file is in the way): nothing is written', async () => {
    const blocker = join(root, 'blocker');
    await writeFile(blocker, '');
    const target = join(blocker, 'sub', 'model');
    setSeed(9);
    await expect(smallConvnet().save(target)).rejects.toThrow(/^save: could not write the model to /);
    expect(existsSync(join(blocker, 'sub'))).toBe(false);
  });

  it("the model folder gets the mode of any folder made here (not mkdtemp's private 0700)", async () => {
    const root = freshDir();
    const reference = join(root, 'reference');
    await mkdir(reference, { recursive: true });
    const target = join(root, 'model');
    setSeed(11);
    await smallConvnet().save(target);
    expect((await stat(target)).mode & 0o777).toBe((await stat(reference)).mode & 0o777);
  });

  it('creates missing parent directories', async () => {
    const target = join(freshDir(), 'nested', 'model');
    setSeed(10);
    await smallConvnet().save(target);
    expect((await readdir(target)).sort()).toEqual(['model.json', 'weights.bin']);
  });
});
