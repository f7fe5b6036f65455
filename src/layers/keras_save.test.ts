import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { H5PY_DUMP, h5pyJson, h5pyTitle, skipH5py } from '../../test/helpers/h5py.js';
import { f32 } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adadelta } from '../train/adadelta.js';
import { Adagrad } from '../train/adagrad.js';
import { Adamax } from '../train/adamax.js';
import { Adam, AdamW, type Optimizer, RMSprop, SGD } from '../train/optimizers.js';
import {
  Add,
  BatchNormalization,
  type CompileArgs,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  type Functional,
  fromArtifacts,
  functionalFromArtifacts,
  model as functionalModel,
  GlobalAveragePooling2D,
  Input,
  kerasArtifacts,
  kerasH5Bytes,
  kerasWeightsArtifacts,
  kerasWeightsBytes,
  type Layer,
  loadFunctional,
  loadModel,
  MaxPool2D,
  resetNames,
  Sequential,
} from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'convlens-keras-save-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
beforeEach(() => resetNames());

/** Every weight set to random values (a moving variance's positive), so that a weight saved in the wrong place shows. */
function randomize(layers: readonly Layer[], seed: number): void {
  const rng = caseRng('keras save weights', seed);
  for (const weight of layers.flatMap((l) => l.weights)) {
    const values = f32(rng, [weight.value.length], 0.1, 1).data;
    weight.value.set(weight.name.endsWith('moving_variance') ? values : values.map((v) => v - 0.55));
  }
}

/** A Sequential convnet with BatchNormalization and Dropout, its weights random. */
function convnet(seed = 1): Sequential {
  const net = new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [10, 10, 2] }),
    new MaxPool2D(),
    new BatchNormalization(),
    new Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new Flatten(),
    new Dropout({ rate: 0.3 }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  randomize(net.layers, seed);
  return net;
}

/** A functional model with a residual Add and its own layer names, its weights random. */
function residual(seed = 2): Functional {
  const image = Input({ shape: [6, 6, 2], name: 'image' });
  const stem = new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(image);
  const skip = new Add({ name: 'skip' }).apply([image, stem]);
  const widen = new Conv2D({ filters: 3, kernelSize: 3, activation: 'relu', name: 'widen' }).apply(skip);
  const pooled = new GlobalAveragePooling2D({ name: 'pool' }).apply(widen);
  const classes = new Dense({ units: 2, activation: 'softmax', name: 'classes' }).apply(pooled);
  const net = functionalModel({ inputs: image, outputs: classes, name: 'residual' });
  randomize(net.layers, seed);
  return net;
}

const COMPILE: CompileArgs = { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] };

/** The predictions of both models on the same images, to compare bit for bit. */
function bothPredict(a: Sequential | Functional, b: Sequential | Functional, shape: number[]): [number[], number[]] {
  const x = f32(caseRng('keras save predict', shape.length), shape, 0, 1);
  return [Array.from((a.predict(x) as Tensor).data), Array.from((b.predict(x) as Tensor).data)];
}

describe('save(.h5) and saveWeights(.weights.h5), read back by convlens', () => {
  for (const compiled of [false, true]) {
    it(`a Sequential convnet with BatchNormalization and Dropout${compiled ? ', compiled' : ''}`, async () => {
      const net = convnet();
      if (compiled) net.compile(COMPILE);
      const file = join(scratch, `convnet${compiled}.h5`);
      await net.save(file);
      const loaded = await loadModel(file);
      expect(loaded.layers.map((l) => l.name)).toEqual(net.layers.map((l) => l.name));
      const [theirs, ours] = bothPredict(net, loaded, [2, 10, 10, 2]);
      expect(theirs).toEqual(ours);
      expect(loaded.trainingConfig()).toEqual(net.trainingConfig());
      expect(loaded.trainingConfig() === undefined).toBe(!compiled);
    });

    it(`a functional model with a residual Add and its own layer names${compiled ? ', compiled' : ''}`, async () => {
      const net = residual();
      if (compiled) net.compile(COMPILE);
      const file = join(scratch, `residual${compiled}.hdf5`);
      await net.save(file);
      const loaded = await loadFunctional(file);
      expect(loaded.layers.map((l) => l.name)).toEqual(['stem', 'skip', 'widen', 'pool', 'classes']);
      const [theirs, ours] = bothPredict(net, loaded, [3, 6, 6, 2]);
      expect(theirs).toEqual(ours);
      expect(loaded.trainingConfig()).toEqual(net.trainingConfig());
      expect(loaded.trainingConfig() === undefined).toBe(!compiled);
    });
  }

  it("compile's settings in Keras' form, read back as compiled (Adam, AdamW, SGD with Nesterov momentum, RMSprop, Adagrad, Adamax, clipping)", async () => {
    const optimizers: Optimizer[] = [
      new Adam({ learningRate: 0.01, beta1: 0.8 }),
      new AdamW({ weightDecay: 0.01 }),
      new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true }),
      new SGD({ learningRate: 0.2 }),
      new RMSprop({ rho: 0.8, momentum: 0.1 }),
      new Adagrad({ initialAccumulatorValue: 0.2 }),
      new Adamax({ beta2: 0.99 }),
      new Adadelta({ rho: 0.9 }),
      new Adam({ clipnorm: 1, amsgrad: true }),
    ];
    for (const optimizer of optimizers) {
      const net = convnet();
      net.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const file = join(scratch, 'compiled.h5');
      await net.save(file);
      expect((await loadModel(file)).trainingConfig()).toEqual(net.trainingConfig());
    }
    // Keras' class names and settings (its optimizers' constructor arguments)
    const kerasOptimizer = (optimizer: Optimizer) => {
      const net = convnet();
      net.compile({ optimizer, loss: 'mse' });
      return kerasArtifacts(kerasH5Bytes(net)).modelJson.trainingConfig?.optimizer_config;
    };
    expect(kerasOptimizer(new SGD({ learningRate: 0.5, momentum: 0.9, nesterov: true }))).toEqual({
      class_name: 'SGD',
      config: { learning_rate: 0.5, momentum: 0.9, nesterov: true },
    });
    expect(kerasOptimizer(new RMSprop({ learningRate: 0.5, rho: 0.8 }))).toEqual({
      class_name: 'RMSprop',
      config: { learning_rate: 0.5, rho: 0.8, momentum: 0, epsilon: 1e-7, centered: false },
    });
    expect(kerasOptimizer(new Adagrad({ learningRate: 0.5, initialAccumulatorValue: 0.2 }))).toEqual({
      class_name: 'Adagrad',
      config: { learning_rate: 0.5, initial_accumulator_value: 0.2 },
    });
  });

  it("refuses an optimizer Keras would train by another rule (tfjs' Adadelta, a learning-rate decay)", async () => {
    for (const [optimizer, what] of [
      [new Adadelta({ tfjsUpdate: true }), "TensorFlow.js' Adadelta update"],
      [new Adamax({ decay: 0.01 }), "Adamax's learning-rate decay 0.01"],
    ] as [Optimizer, string][]) {
      const net = convnet();
      net.compile({ optimizer, loss: 'mse' });
      await expect(net.save(join(scratch, 'refused.h5'))).rejects.toThrow(
        `save: the model is compiled with ${what}, which Keras has no equal of (it would train the loaded model by another rule): compile it with another optimizer, or save it as a folder`,
      );
    }
  });

  it('saveWeights writes .weights.h5, which loadWeights reads into a model built alike (Sequential and functional)', async () => {
    for (const [saved, fresh, shape] of [
      [convnet(1), convnet(5), [2, 10, 10, 2]],
      [residual(2), residual(6), [2, 6, 6, 2]],
    ] as [Sequential | Functional, Sequential | Functional, number[]][]) {
      const file = join(scratch, 'nested/dir/ckpt.weights.h5');
      await saved.saveWeights(file);
      const before = bothPredict(saved, fresh, shape);
      expect(before[0]).not.toEqual(before[1]);
      await fresh.loadWeights(file);
      const [theirs, ours] = bothPredict(saved, fresh, shape);
      expect(theirs).toEqual(ours);
    }
  });

  it('a Sequential nested in a Sequential: its weights in its group, the trainable ones first, as Keras 2 saves a nested model', async () => {
    const nested = (seed: number) => {
      const block = new Sequential(
        [
          new Conv2D({ filters: 3, kernelSize: 3, name: 'block_conv', inputShape: [6, 6, 2] }),
          new BatchNormalization({ name: 'block_bn' }),
        ],
        { name: 'block' },
      );
      const net = new Sequential([block, new Flatten(), new Dense({ units: 2 })]);
      randomize(
        net.layers.flatMap((l) => (l instanceof Sequential ? l.layers : [l])),
        seed,
      );
      return net;
    };
    const net = nested(1);
    const file = join(scratch, 'nested.h5');
    await net.save(file);
    const [theirs, ours] = bothPredict(net, await loadModel(file), [2, 6, 6, 2]);
    expect(theirs).toEqual(ours);
    const { File } = await import('jsfive');
    const block = new File(readFileSync(file).buffer.slice(0)).get('model_weights/block') as unknown as { attrs: Record<string, string[]> };
    expect(block.attrs.weight_names.map((n) => n.replace(/\0+$/, ''))).toEqual(
      ['block_conv/kernel', 'block_conv/bias', 'block_bn/gamma', 'block_bn/beta', 'block_bn/moving_mean', 'block_bn/moving_variance'].map(
        (n) => `${n}:0`,
      ),
    );
    const weightsFile = join(scratch, 'nested.weights.h5');
    await net.saveWeights(weightsFile);
    const fresh = nested(2);
    await fresh.loadWeights(weightsFile);
    const [before, after] = bothPredict(net, fresh, [2, 6, 6, 2]);
    expect(before).toEqual(after);
  });

  it('kerasH5Bytes and kerasWeightsBytes give the files in memory (browsers), which kerasArtifacts and kerasWeightsArtifacts read', async () => {
    const net = convnet();
    const [theirs, ours] = bothPredict(net, fromArtifacts(kerasArtifacts(kerasH5Bytes(net))), [1, 10, 10, 2]);
    expect(theirs).toEqual(ours);
    const graph = residual();
    const [graphs, loadedGraphs] = bothPredict(graph, functionalFromArtifacts(kerasArtifacts(kerasH5Bytes(graph))), [1, 6, 6, 2]);
    expect(graphs).toEqual(loadedGraphs);
    const fresh = residual(7);
    await fresh.loadWeights(kerasWeightsArtifacts(kerasWeightsBytes(graph)));
    const [before, after] = bothPredict(graph, fresh, [1, 6, 6, 2]);
    expect(before).toEqual(after);
  });

  it('a config over 64 KB and a list of layer names split as Keras splits it (layer_names0, layer_names1)', async () => {
    const long = 'x'.repeat(450);
    const layers = Array.from(
      { length: 150 },
      (_, i) => new Dense({ units: 2, name: `dense_${long}_${i}`, ...(i === 0 ? { inputShape: [2] } : {}) }),
    );
    const net = new Sequential(layers);
    randomize(net.layers, 3);
    const file = join(scratch, 'deep.h5');
    await net.save(file);
    const loaded = await loadModel(file);
    const x = f32(caseRng('keras save deep', 0), [2, 2]);
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(net.predict(x).data));
    expect(JSON.stringify(net.toArtifacts().modelJson.modelTopology.config).length).toBeGreaterThan(65_536);
  });
});

describe.skipIf(skipH5py)(h5pyTitle("h5py reads the files in the layout Keras' loaders expect"), () => {
  type Entry = {
    attrs: Record<string, { text?: string; list?: string[]; bytes?: string }>;
    shape?: number[];
    dtype?: string;
    values?: number[];
    members?: string[];
  };
  const dumpOf = (file: string) =>
    h5pyJson(`${H5PY_DUMP}\nprint(json.dumps(dump(h5py.File(sys.argv[1], "r"))))`, file) as Record<string, Entry>;
  /** A weight's values as float32 gives them, to compare with what h5py reads. */
  const valuesOf = (layer: Layer, i: number) => Array.from(layer.weights[i].value);

  it("a Sequential's .h5: model_config, training_config, versions, model_weights with layer_names and weight_names", async () => {
    const net = convnet();
    net.compile(COMPILE);
    const file = join(scratch, 'layout.h5');
    await net.save(file);
    const dump = dumpOf(file);
    const root = dump['/'].attrs;
    const config = JSON.parse(root.model_config.text!);
    expect(config.class_name).toBe('Sequential');
    expect(config.config.layers.map((l: { class_name: string }) => l.class_name)).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'BatchNormalization',
      'Conv2D',
      'Flatten',
      'Dropout',
      'Dense',
    ]);
    expect(config.config.layers[0].config.batch_input_shape).toEqual([null, 10, 10, 2]);
    expect(JSON.parse(root.training_config.text!)).toMatchObject({
      loss: 'sparse_categorical_crossentropy',
      optimizer_config: { class_name: 'Adam' },
    });
    expect([root.keras_version.text, root.backend.text]).toEqual(['2.15.0', 'tensorflow']);
    const names = ['conv2d', 'max_pooling2d', 'batch_normalization', 'conv2d_1', 'flatten', 'dropout', 'dense'];
    expect(dump.model_weights.attrs.layer_names.list).toEqual(names);
    expect(dump.model_weights.attrs.keras_version.bytes).toBe('2.15.0');
    expect(dump['model_weights/max_pooling2d'].attrs.weight_names.list).toEqual([]);
    const bn = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => `batch_normalization/${w}:0`);
    expect(dump['model_weights/batch_normalization'].attrs.weight_names.list).toEqual(bn);
    expect(dump['model_weights/conv2d_1'].attrs.weight_names.list).toEqual(['conv2d_1/kernel:0', 'conv2d_1/bias:0']);
    expect(dump['model_weights/conv2d/conv2d/kernel:0']).toMatchObject({
      shape: [3, 3, 2, 4],
      dtype: '<f4',
      values: valuesOf(net.layers[0], 0),
    });
    expect(dump['model_weights/dense/dense/bias:0']).toMatchObject({ shape: [3], dtype: '<f4', values: valuesOf(net.layers[6], 1) });
    bn.forEach((name, i) => {
      expect(dump[`model_weights/batch_normalization/${name}`]).toMatchObject({
        shape: [4],
        dtype: '<f4',
        values: valuesOf(net.layers[2], i),
      });
    });
  });

  it("a functional model's .h5 and a .weights.h5: Keras 3's paths layers/<class>/vars/<i>", async () => {
    const net = residual();
    const file = join(scratch, 'layout_functional.h5');
    await net.save(file);
    const dump = dumpOf(file);
    const config = JSON.parse(dump['/'].attrs.model_config.text!);
    expect(config.class_name).toBe('Functional');
    expect(config.config.layers.map((l: { name: string }) => l.name)).toEqual(['image', 'stem', 'skip', 'widen', 'pool', 'classes']);
    expect(dump['/'].attrs.training_config).toBeUndefined();
    expect(dump.model_weights.attrs.layer_names.list).toEqual(['stem', 'skip', 'widen', 'pool', 'classes']);
    expect(dump['model_weights/widen/widen/kernel:0']).toMatchObject({ shape: [3, 3, 2, 3], values: valuesOf(net.layers[2], 0) });
    const weightsFile = join(scratch, 'layout.weights.h5');
    await net.saveWeights(weightsFile);
    const weights = dumpOf(weightsFile);
    expect(weights.layers.members).toEqual(['add', 'conv2d', 'conv2d_1', 'dense', 'global_average_pooling2d']);
    expect(weights.vars.members).toEqual([]);
    expect(weights['layers/add/vars'].members).toEqual([]);
    expect(weights['layers/conv2d/vars'].members).toEqual(['0', '1']);
    expect(weights['layers/conv2d/vars/0']).toMatchObject({ shape: [3, 3, 2, 2], dtype: '<f4', values: valuesOf(net.layers[0], 0) });
    expect(weights['layers/conv2d_1/vars/1']).toMatchObject({ shape: [3], dtype: '<f4', values: valuesOf(net.layers[2], 1) });
    expect(weights['layers/dense/vars/0']).toMatchObject({ shape: [3, 2], dtype: '<f4', values: valuesOf(net.layers[4], 0) });
  });

  it('a long list of layer names in layer_names0, layer_names1, each under 64512 bytes, as Keras splits it', async () => {
    const long = 'y'.repeat(450);
    const layers = Array.from(
      { length: 150 },
      (_, i) => new Dense({ units: 1, name: `d_${long}_${i}`, ...(i === 0 ? { inputShape: [1] } : {}) }),
    );
    const file = join(scratch, 'split.h5');
    await new Sequential(layers).save(file);
    const attrs = h5pyJson(
      'import h5py, json, sys\nf = h5py.File(sys.argv[1], "r")["model_weights"]\nprint(json.dumps({k: [len(v), v.nbytes] for k, v in f.attrs.items() if k.startswith("layer_names")}))',
      file,
    );
    // numpy's array_split of 150 names of 456 bytes (68400) in two: 75 and 75
    expect(attrs).toEqual({ layer_names0: [75, 75 * 456], layer_names1: [75, 75 * 456] });
  });
});

describe('saving refuses, naming the problem, and leaves no file behind', () => {
  const listing = (dir: string) => readdirSync(dir).sort();

  it('refuses .keras (with what to use instead), a weights file name for save, and a model file name for saveWeights', async () => {
    const dir = mkdtempSync(join(scratch, 'refuse-'));
    await expect(convnet().save(join(dir, 'm.keras'))).rejects.toThrow(
      `save: convlens does not write .keras files (${join(dir, 'm.keras')}): give a path ending in .h5 for a Keras HDF5 model file, which Keras' load_model reads, or a folder for the TensorFlow.js Layers format`,
    );
    await expect(convnet().saveWeights(join(dir, 'm.keras'))).rejects.toThrow(
      /saveWeights: .*m\.keras is not a weights file name: give a path ending in \.weights\.h5/,
    );
    await expect(convnet().saveWeights(join(dir, 'm.h5'))).rejects.toThrow(/saveWeights: .*m\.h5 is not a weights file name/);
    expect(listing(dir)).toEqual([]);
  });

  it('an unwritable path, a folder in the way, a model not built, a Keras 3 hard_sigmoid: no file, no temporary file', async () => {
    const dir = mkdtempSync(join(scratch, 'fail-'));
    writeFileSync(join(dir, 'a-file'), 'x');
    await expect(convnet().save(join(dir, 'a-file', 'm.h5'))).rejects.toThrow(
      `save: could not write the model to ${join(dir, 'a-file', 'm.h5')}`,
    );
    mkdirSync(join(dir, 'folder.h5'));
    await expect(convnet().save(join(dir, 'folder.h5'))).rejects.toThrow(
      `save: ${join(dir, 'folder.h5')} is a folder; give the path of a file to write`,
    );
    await expect(new Sequential([new Dense({ units: 2 })]).save(join(dir, 'unbuilt.h5'))).rejects.toThrow(/save: model '.*' is not built/);
    await expect(new Sequential([new Dense({ units: 2 })]).saveWeights(join(dir, 'unbuilt.weights.h5'))).rejects.toThrow(
      /saveWeights: model '.*' .* is not built/,
    );
    const hard = new Sequential([new Dense({ units: 2, activation: 'hard_sigmoid', inputShape: [2] })]);
    await expect(hard.save(join(dir, 'hard.h5'))).rejects.toThrow(
      "save: the model uses activation 'hard_sigmoid', which Keras 3 computes differently",
    );
    expect(listing(dir)).toEqual(['a-file', 'folder.h5']);
    expect(readFileSync(join(dir, 'a-file'), 'utf8')).toBe('x');
  });

  it('replaces an existing file whole, leaving no temporary file', async () => {
    const dir = mkdtempSync(join(scratch, 'replace-'));
    const file = join(dir, 'm.h5');
    writeFileSync(file, 'an older file');
    await convnet(4).save(file);
    expect(listing(dir)).toEqual(['m.h5']);
    const loaded = await loadModel(file);
    const [theirs, ours] = bothPredict(convnet(4), loaded, [1, 10, 10, 2]);
    expect(theirs).toEqual(ours);
  });
});
