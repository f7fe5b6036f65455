import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { removeTempDirs, tempDir } from '../../test/cli/helpers.js';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensRejection } from '../../test/helpers/errors.js';
import { tfjsSaved, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import {
  Add,
  BatchNormalization,
  Conv2D,
  Dense,
  Flatten,
  model as functionalModel,
  Input,
  MaxPool2D,
  resetNames,
  Sequential,
  type WeightsJson,
} from './index.js';

afterAll(removeTempDirs);
beforeEach(() => resetNames());

const rng = caseRng('weights_file', 0);
const values = (ws: Tensor[]) => ws.map((w) => Array.from(w.data));

/** Every weight drawn afresh, so that a load that did nothing, or loaded the wrong weight, shows. */
function scramble(model: { getWeights(): Tensor[]; setWeights(ws: Tensor[]): void }): void {
  model.setWeights(
    model.getWeights().map(
      (w) =>
        new Tensor(
          Float32Array.from(w.data, () => rng.float()),
          w.shape,
          'float32',
        ),
    ),
  );
}

const convnet = (units = 3) =>
  new Sequential([
    new Conv2D({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1], activation: 'relu' }),
    new BatchNormalization(),
    new MaxPool2D({ poolSize: 2 }),
    new Flatten(),
    new Dense({ units: 4, activation: 'relu' }),
    new Dense({ units }),
  ]);

const images = new Tensor(
  Float32Array.from({ length: 2 * 36 }, () => rng.next()),
  [2, 6, 6, 1],
  'float32',
);

describe('saveWeights / loadWeights', () => {
  it('round trip through a folder: weights.json (no topology) and weights.bin, loaded into a model built again (other names)', async () => {
    const saved = convnet();
    scramble(saved);
    const dir = join(tempDir(), 'w');
    await saved.saveWeights(dir);
    expect(readdirSync(dir).sort()).toEqual(['weights.bin', 'weights.json']);
    const json = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8')) as WeightsJson;
    expect(Object.keys(json).sort()).toEqual(['convertedBy', 'format', 'generatedBy', 'weightsManifest']);
    expect(json.weightsManifest[0].weights.slice(0, 3)).toEqual([
      { name: 'conv2d/kernel', shape: [3, 3, 1, 2], dtype: 'float32', keras_path: 'layers/conv2d/vars/0' },
      { name: 'conv2d/bias', shape: [2], dtype: 'float32', keras_path: 'layers/conv2d/vars/1' },
      { name: 'batch_normalization/gamma', shape: [2], dtype: 'float32', keras_path: 'layers/batch_normalization/vars/0' },
    ]);
    expect(json.weightsManifest[0].weights.at(-1)).toMatchObject({ name: 'dense_1/bias', keras_path: 'layers/dense_1/vars/1' });
    expect(readFileSync(join(dir, 'weights.bin')).byteLength).toBe(saved.countParams() * 4);

    // the same model, weights changed, then loaded back
    const before = values(saved.getWeights());
    scramble(saved);
    await saved.loadWeights(dir);
    expect(values(saved.getWeights())).toEqual(before);

    // a second model of the same layers has other names (conv2d_1, dense_2...): Keras 3 does not match by name either
    const again = convnet();
    expect(again.layers[0].name).toBe('conv2d_1');
    await again.loadWeights(join(dir, 'weights.json'));
    expect(values(again.getWeights())).toEqual(before);
    expect(again.predict(images).data).toEqual(saved.predict(images).data);
  });

  it('a functional model with a nested one, through artifacts in memory (browser) and a file:// URL', async () => {
    const inner = new Sequential([new Dense({ units: 3, inputShape: [4], activation: 'relu' }), new Dense({ units: 4 })]);
    const input = Input({ shape: [4] });
    const sum = new Add().apply([inner.apply(input), new Dense({ units: 4 }).apply(input)]);
    const build = () => functionalModel({ inputs: input, outputs: new Dense({ units: 2 }).apply(sum) });
    const saved = build();
    scramble(saved);
    const artifacts = saved.toWeightsArtifacts();
    expect(artifacts.weightsJson.weightsManifest[0].weights.map((w) => w.keras_path)).toEqual([
      'layers/sequential/layers/dense/vars/0',
      'layers/sequential/layers/dense/vars/1',
      'layers/sequential/layers/dense_1/vars/0',
      'layers/sequential/layers/dense_1/vars/1',
      'layers/dense/vars/0',
      'layers/dense/vars/1',
      'layers/dense_1/vars/0',
      'layers/dense_1/vars/1',
    ]);
    const before = values(saved.getWeights());
    scramble(saved);
    await saved.loadWeights(artifacts);
    expect(values(saved.getWeights())).toEqual(before);
    const dir = join(tempDir(), 'functional');
    await saved.saveWeights(`file://${dir}`);
    scramble(saved);
    await saved.loadWeights(dir);
    expect(values(saved.getWeights())).toEqual(before);
  });

  it('matches layers by class and rank, as Keras 3 does: names do not count, the order among layers of a class does', async () => {
    const saved = new Sequential([new Dense({ units: 4, inputShape: [4], name: 'first' }), new Dense({ units: 4, name: 'second' })]);
    scramble(saved);
    const [firstKernel] = saved.layers[0].getWeights();
    // the same layers under each other's names: the first Dense still gets the first's weights
    const swapped = new Sequential([new Dense({ units: 4, inputShape: [4], name: 'second' }), new Dense({ units: 4, name: 'first' })]);
    await swapped.loadWeights(saved.toWeightsArtifacts());
    expect(Array.from(swapped.layers[0].getWeights()[0].data)).toEqual(Array.from(firstKernel.data));
  });

  it('a missing or extra layer, or another shape: an error naming the weights and the model, and no weight changed', async () => {
    const artifacts = convnet().toWeightsArtifacts();
    const expectUnchanged = async (model: Sequential, message: RegExp) => {
      const before = values(model.getWeights());
      await expectConvlensRejection(model.loadWeights(artifacts), message);
      expect(values(model.getWeights())).toEqual(before);
    };
    const longer = new Sequential([...convnet().layers, new Dense({ units: 5 })]);
    await expectUnchanged(
      longer,
      /^loadWeights: the weights in the artifacts do not fit model 'sequential_2' \(Sequential\): the file has no dense_4\/kernel \(layers\/dense_2\/vars\/0\), dense_4\/bias \(layers\/dense_2\/vars\/1\) \(the model has 12 weights, the file 10; no weight was set\)$/,
    );
    const shorter = new Sequential(convnet().layers.slice(0, 5));
    await expectUnchanged(
      shorter,
      /the model has no dense_1\/kernel \(layers\/dense_1\/vars\/0\), dense_1\/bias \(layers\/dense_1\/vars\/1\) \(the model has 8 weights, the file 10/,
    );
    await expectUnchanged(
      convnet(5),
      /^loadWeights: the weights in the artifacts do not fit model 'sequential_5' \(Sequential\): dense_8\/kernel has shape \[4, 5\], the file's dense_1\/kernel \(layers\/dense_1\/vars\/0\) \[4, 3\], dense_8\/bias has shape \[5\], the file's dense_1\/bias \(layers\/dense_1\/vars\/1\) \[3\] \(no weight was set\)$/,
    );
  });

  it("skipMismatch (Keras' skip_mismatch): the weights that fit are set, the others keep their values and are named in a warning", async () => {
    const source = convnet();
    scramble(source);
    const saved = values(source.getWeights());
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      // a new head of 5 classes: every weight but the last Dense's is loaded (by Keras 3 path)
      const head = convnet(5);
      const before = values(head.getWeights());
      await head.loadWeights(source.toWeightsArtifacts(), { skipMismatch: true });
      expect(values(head.getWeights())).toEqual([...saved.slice(0, 8), ...before.slice(8)]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(
        /^convlens: loadWeights \(skipMismatch\): left as they were, not fitting the weights in the artifacts: dense_\d+\/kernel has shape \[4, 5\], the file's dense_1\/kernel \(layers\/dense_1\/vars\/0\) \[4, 3\], dense_\d+\/bias has shape \[5\], the file's dense_1\/bias \(layers\/dense_1\/vars\/1\) \[3\]$/,
      );

      // a model with a layer more, from a tfjs model folder matched by name (the same names, made afresh): the extra layer's weights are not in the file
      const dir = tempDir();
      await source.save(dir);
      resetNames();
      const longer = new Sequential([...convnet().layers, new Dense({ units: 2 })]);
      const extra = values(longer.getWeights()).slice(10);
      await longer.loadWeights(dir, { skipMismatch: true });
      expect(values(longer.getWeights())).toEqual([...saved, ...extra]);
      expect(warn.mock.calls[1][0]).toMatch(/: dense_2\/kernel \(not in the file\), dense_2\/bias \(not in the file\)$/);

      // a wider hidden Dense: the last Dense's bias has its shape, but its kernel does not: that layer is left whole, as in Keras
      const wider = new Sequential([...convnet().layers.slice(0, 4), new Dense({ units: 5, activation: 'relu' }), new Dense({ units: 3 })]);
      const widerBefore = values(wider.getWeights());
      await wider.loadWeights(source.toWeightsArtifacts(), { skipMismatch: true });
      expect(values(wider.getWeights())).toEqual([...saved.slice(0, 6), ...widerBefore.slice(6)]);
      expect(warn.mock.calls[2][0]).toMatch(
        /: dense_\d+\/kernel has shape \[8, 5\], .*, dense_\d+\/bias \(its layer's other weights do not fit\)$/,
      );

      // everything fits: no warning
      await convnet().loadWeights(source.toWeightsArtifacts(), { skipMismatch: true });
      expect(warn).toHaveBeenCalledTimes(3);
    } finally {
      warn.mockRestore();
    }
    await expectConvlensRejection(
      convnet().loadWeights(source.toWeightsArtifacts(), { skipMismatch: 'yes' } as never),
      'loadWeights: skipMismatch must be true or false, got "yes"',
    );
    await expectConvlensRejection(
      convnet().loadWeights(source.toWeightsArtifacts(), { skip_mismatch: true } as never),
      "loadWeights: unknown option 'skip_mismatch' (did you mean 'skipMismatch'?)",
    );
  });

  it('refuses an unbuilt model, a .h5 name, a folder without weights, and data that is not artifacts', async () => {
    const dir = tempDir();
    const unbuilt = new Sequential([new Dense({ units: 2 })]);
    await expectConvlensRejection(
      unbuilt.loadWeights(convnet().toWeightsArtifacts()),
      "loadWeights: model 'sequential' (Sequential) is not built (give its first layer an inputShape, or call predict once)",
    );
    expect(() => unbuilt.toWeightsArtifacts()).toThrow(/^saveWeights: model 'sequential' \(Sequential\) is not built/);
    await expectConvlensRejection(
      convnet().saveWeights(join(dir, 'ckpt.h5')),
      `saveWeights: ${join(dir, 'ckpt.h5')} is not a weights file name: give a path ending in .weights.h5 for Keras 3's weights file (as Keras 3's save_weights requires), or a folder; save('….h5') writes a whole model`,
    );
    await expectConvlensRejection(
      convnet().loadWeights(dir),
      `loadWeights: the folder ${dir} holds no weights.json or model.json (a saved model is model.json and its weights files)`,
    );
    await expectConvlensRejection(convnet().loadWeights({ weights: [] } as never), /^loadWeights: expected a path, or artifacts/);
  });

  it("loads a model folder: convlens' model.save, and tfjs-layers' save of the same layers (by name), predicting as tfjs", async () => {
    const source = convnet();
    scramble(source);
    const dir = join(tempDir(), 'model');
    await source.save(dir);
    const target = convnet();
    await target.loadWeights(dir);
    expect(values(target.getWeights())).toEqual(values(source.getWeights()));

    // tfjs names its weights conv2d_Conv2D1/kernel...: matched by name, as tfjs' loadWeights does
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 5, inputShape: [3], activation: 'relu', name: 'hidden' }),
        tfl.layers.dense({ units: 2, name: 'out' }),
      ],
    });
    const { modelJson, weightData } = await tfjsSaved(theirs);
    const tfjsDir = join(tempDir(), 'tfjs');
    await mkdir(tfjsDir);
    await writeFile(
      join(tfjsDir, 'model.json'),
      JSON.stringify({
        ...modelJson,
        weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: (modelJson.weightsManifest as { weights: unknown[] }[])[0].weights }],
      }),
    );
    await writeFile(join(tfjsDir, 'group1-shard1of1.bin'), new Uint8Array(weightData));
    const ours = new Sequential([
      new Dense({ units: 5, inputShape: [3], activation: 'relu', name: 'hidden' }),
      new Dense({ units: 2, name: 'out' }),
    ]);
    await ours.loadWeights(tfjsDir);
    const x = new Tensor(
      Float32Array.from({ length: 6 }, () => rng.next()),
      [2, 3],
      'float32',
    );
    expectClose(ours.predict(x).data, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6);
    // names that do not all match: by order when the counts agree (as loadModel reads model.json), else the names are listed
    const renamed = new Sequential([new Dense({ units: 5, inputShape: [3], activation: 'relu' }), new Dense({ units: 2 })]);
    await renamed.loadWeights(tfjsDir);
    expect(values(renamed.getWeights())).toEqual(values(ours.getWeights()));
    await expectConvlensRejection(
      new Sequential([new Dense({ units: 5, inputShape: [3], name: 'hidden' })]).loadWeights(tfjsDir),
      `loadWeights: the weights in ${join(tfjsDir, 'model.json')} do not fit model 'sequential_4' (Sequential): the model has no out/kernel, out/bias (the model has 2 weights, the file 4; no weight was set)`,
    );
    // in memory too
    scramble(ours);
    await ours.loadWeights({ modelJson: modelJson as never, weightData });
    expectClose(ours.predict(x).data, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6);
  });

  it("loads a tfjs-layers functional model's weights (tf.model with a branch) into a convlens functional model of the same layers", async () => {
    const tfInput = tfl.input({ shape: [3] });
    const branches = [tfl.layers.dense({ units: 4, name: 'left' }), tfl.layers.dense({ units: 4, activation: 'relu', name: 'right' })];
    const tfSum = tfl.layers.add().apply(branches.map((b) => b.apply(tfInput) as tfl.SymbolicTensor)) as tfl.SymbolicTensor;
    const theirs = tfl.model({ inputs: tfInput, outputs: tfl.layers.dense({ units: 2, name: 'head' }).apply(tfSum) as tfl.SymbolicTensor });
    const input = Input({ shape: [3] });
    const sum = new Add().apply([
      new Dense({ units: 4, name: 'left' }).apply(input),
      new Dense({ units: 4, activation: 'relu', name: 'right' }).apply(input),
    ]);
    const ours = functionalModel({ inputs: input, outputs: new Dense({ units: 2, name: 'head' }).apply(sum) });
    const { modelJson, weightData } = await tfjsSaved(theirs);
    await ours.loadWeights({ modelJson: modelJson as never, weightData });
    const x = new Tensor(
      Float32Array.from({ length: 9 }, () => rng.float()),
      [3, 3],
      'float32',
    );
    expectClose((ours.predict(x) as Tensor).data, (theirs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-6);
  });

  it("tfjs-core decodes weights.bin by weights.json's manifest into the model's weights", async () => {
    const model = convnet();
    scramble(model);
    const { weightsJson, weightData } = model.toWeightsArtifacts();
    const decoded = tf.io.decodeWeights(weightData, weightsJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[]);
    const byName = model.layers.flatMap((l) => l.weights);
    for (const w of byName) expect(Array.from(decoded[w.name].dataSync())).toEqual(Array.from(w.value));
  });
});
