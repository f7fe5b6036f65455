import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { CONVNET_LAYERS, kerasFixture, tfjsChannelsFirst, tfjsConvnet, tfjsResidual } from '../../test/helpers/keras_fixtures.js';
import { f32, tfOf } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import type { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { BatchNormalization } from './batch_normalization.js';
import { Conv2D } from './conv2d.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import type { Functional } from './functional.js';
import { BranchingModelError } from './functional_chain.js';
import { kerasArtifacts, kerasWeightsArtifacts } from './keras_file.js';
import { MaxPool2D } from './pooling.js';
import { Sequential } from './sequential.js';
import { fromArtifacts, functionalFromArtifacts, loadFunctional, loadModel } from './serialization.js';

const fixture = kerasFixture;
const scratch = mkdtempSync(join(tmpdir(), 'convlens-keras-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The convnet built in convlens, without the file's weights. */
function convnet(units = 3): Sequential {
  return new Sequential([
    new Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 1] }),
    new MaxPool2D(),
    new BatchNormalization(),
    new Conv2D({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new Flatten(),
    new Dropout({ rate: 0.25 }),
    new Dense({ units, activation: 'softmax' }),
  ]);
}

const predicts = (model: Sequential | Functional, tfjs: tfl.LayersModel, shape: number[], seed: number) => {
  const x = f32(caseRng('keras file', seed), shape, 0, 1);
  expectClose(model.predict(x), (tfjs.predict(tfOf(x)) as tf.Tensor).dataSync(), 1e-5, 'predict');
};

/** A .keras file of these entries (a fixture's, changed). */
function kerasFile(name: string, entries: Record<string, Uint8Array | string | undefined>): string {
  const files = unzipSync(readFileSync(fixture('convnet.keras')));
  for (const [entry, content] of Object.entries(entries)) {
    if (content === undefined) delete files[entry];
    else files[entry] = typeof content === 'string' ? new TextEncoder().encode(content) : Uint8Array.from(content);
  }
  const path = join(scratch, name);
  writeFileSync(path, zipSync(files));
  return path;
}

describe('Keras 3 files, against the same networks in tfjs-layers', () => {
  it('loadModel reads a .keras file: its config, its weights by class and order, and its compile settings', async () => {
    const model = await loadModel(fixture('convnet.keras'));
    expect(model.layers.map((l) => l.name)).toEqual(CONVNET_LAYERS);
    predicts(model, tfjsConvnet(), [3, 12, 12, 1], 1);
    // compiled as saved: Adam, sparse categorical crossentropy, accuracy
    const x = f32(caseRng('keras file', 2), [4, 12, 12, 1], 0, 1);
    const labels = [0, 1, 2, 1];
    const { loss, accuracy } = model.evaluate(x, new Tensor(Int32Array.from(labels), [4], 'int32'));
    const p = (tfjsConvnet().predict(tfOf(x)) as tf.Tensor).arraySync() as number[][];
    const hits = p.filter((row, i) => row.indexOf(Math.max(...row)) === labels[i]).length;
    expectClose(accuracy, hits / 4, 1e-6, 'accuracy');
    expectClose(loss, -p.reduce((sum, row, i) => sum + Math.log(row[labels[i]]), 0) / 4, 1e-4, 'loss');
  });

  it('loadFunctional reads a functional .keras file whose layer names are not their classes; loadModel names loadFunctional', async () => {
    const model = await loadFunctional(fixture('residual.keras'));
    expect(model.layers.map((l) => l.name)).toEqual(['stem', 'skip', 'widen', 'pool', 'classes']);
    predicts(model, tfjsResidual(), [2, 8, 8, 2], 3);
    await expect(loadModel(fixture('residual.keras'))).rejects.toThrow(BranchingModelError);
  });

  it('loadModel reads a channels-first model (its kernels [kh, kw, in, out] as any Keras kernel)', async () => {
    const model = await loadModel(fixture('channels_first.keras'));
    expect(model.inputDataFormat).toBe('channels_first');
    predicts(model, tfjsChannelsFirst(), [2, 1, 12, 12], 13);
  });

  it('kerasArtifacts reads the bytes (in browsers too) for fromArtifacts and functionalFromArtifacts', () => {
    const artifacts = kerasArtifacts(readFileSync(fixture('convnet.keras')));
    expect(artifacts.modelJson.weightsManifest[0].weights.map((w) => w.keras_path)).toContain('layers/conv2d_1/vars/0');
    predicts(fromArtifacts(artifacts), tfjsConvnet(), [2, 12, 12, 1], 4);
    predicts(functionalFromArtifacts(kerasArtifacts(readFileSync(fixture('residual.keras')))), tfjsResidual(), [2, 8, 8, 2], 5);
  });

  it("loadWeights reads save_weights' .weights.h5 and a .keras file's weights into a model built alike", async () => {
    const model = convnet();
    await model.loadWeights(fixture('convnet.weights.h5'));
    predicts(model, tfjsConvnet(), [2, 12, 12, 1], 6);
    const again = convnet();
    await again.loadWeights(fixture('convnet.keras'));
    predicts(again, tfjsConvnet(), [2, 12, 12, 1], 7);
    const inMemory = convnet();
    await inMemory.loadWeights(kerasWeightsArtifacts(readFileSync(fixture('convnet.weights.h5'))));
    predicts(inMemory, tfjsConvnet(), [2, 12, 12, 1], 8);
  });
});

describe("Keras 2's HDF5 files, against the same network in tfjs-layers", () => {
  it("loadModel reads a whole model (model.save('….h5')): its config, its weights by name, its compile settings", async () => {
    const model = await loadModel(fixture('legacy_convnet.h5'));
    predicts(model, tfjsConvnet(), [3, 12, 12, 1], 9);
    predicts(fromArtifacts(kerasArtifacts(readFileSync(fixture('legacy_convnet.h5')))), tfjsConvnet(), [2, 12, 12, 1], 10);
    const x = f32(caseRng('keras file', 11), [2, 12, 12, 1], 0, 1);
    expect(Object.keys(model.evaluate(x, new Tensor(new Int32Array([2, 0]), [2], 'int32')))).toEqual(['loss', 'accuracy']);
  });

  it("loadWeights reads save_weights('….h5') and a whole model's .h5 into a model built alike", async () => {
    for (const file of ['legacy_convnet_weights.h5', 'legacy_convnet.h5']) {
      const model = convnet();
      await model.loadWeights(fixture(file));
      predicts(model, tfjsConvnet(), [2, 12, 12, 1], 12);
    }
  });
});

describe('Keras files: bad input', () => {
  it('a file that is not a zip, a zip without its weights or with npz weights, and a subclassed model', async () => {
    const notZip = join(scratch, 'text.keras');
    writeFileSync(notZip, 'hello');
    await expect(loadModel(notZip)).rejects.toThrow(
      `loadModel: ${notZip} is not a Keras model file: neither a .keras file (a zip archive) nor Keras 2's HDF5 model`,
    );
    const noWeights = kerasFile('no-weights.keras', { 'model.weights.h5': undefined });
    await expect(loadModel(noWeights)).rejects.toThrow(
      `loadModel: ${noWeights} holds no model.weights.h5 (its files: metadata.json, config.json)`,
    );
    const npz = kerasFile('npz.keras', { 'model.weights.h5': undefined, 'model.weights.npz': new Uint8Array(8) });
    await expect(loadModel(npz)).rejects.toThrow(`loadModel: ${npz} holds its weights as model.weights.npz (weights_format='npz')`);
    const subclassed = kerasFile('subclassed.keras', { 'config.json': JSON.stringify({ class_name: 'MyModel', config: {} }) });
    await expect(loadModel(subclassed)).rejects.toThrow(
      `loadModel: ${subclassed} holds a model of class "MyModel", a subclassed model whose layers its config does not list`,
    );
    const badJson = kerasFile('bad-json.keras', { 'config.json': '{"class_name": ' });
    await expect(loadModel(badJson)).rejects.toThrow(`loadModel: ${badJson}'s config.json is not valid JSON`);
  });

  it('weights that are not HDF5, are truncated, or do not fit the model: named, and no weight is set', async () => {
    const notHdf5 = kerasFile('not-hdf5.keras', { 'model.weights.h5': new Uint8Array(64) });
    await expect(loadModel(notHdf5)).rejects.toThrow(`loadModel: ${notHdf5}'s model.weights.h5 is not an HDF5 file`);
    const whole = readFileSync(fixture('convnet.weights.h5'));
    const truncated = kerasFile('truncated.keras', { 'model.weights.h5': whole.subarray(0, 4000) });
    await expect(loadModel(truncated)).rejects.toThrow(/is not an HDF5 file|cannot be read as HDF5|holds no Keras weights/);
    // a Dense of 4 units where the file's has 3
    const wider = convnet(4);
    const before = wider.getWeights().map((w) => Array.from(w.data));
    await expect(wider.loadWeights(fixture('convnet.weights.h5'))).rejects.toThrow(
      /dense(_\d+)?\/kernel has shape \[150, 4\], the file's layers\/dense\/vars\/0 \[150, 3\], .* \(no weight was set\)/,
    );
    expect(wider.getWeights().map((w) => Array.from(w.data))).toEqual(before);
    // one more layer than the file has
    const longer = new Sequential([...convnet().layers.map((l) => l), new Dense({ units: 2 })]);
    await expect(longer.loadWeights(fixture('convnet.weights.h5'))).rejects.toThrow(/the file has no .*layers\/dense_1\/vars\/0/);
  });

  it("weights neither float32 nor float64 (a quantized layer's int8 kernel) are named", async () => {
    const file = fixture('int8.weights.h5');
    await expect(convnet().loadWeights(file)).rejects.toThrow(
      `loadWeights: ${file}: weight layers/conv2d/vars/0 has dtype int8; only float32 weights are supported (float64 ones are read as float32)`,
    );
  });

  it('an HDF5 weights file given as a model is named for what it is', async () => {
    const weights = fixture('convnet.weights.h5');
    await expect(loadModel(weights)).rejects.toThrow(
      `loadModel: ${weights} is an HDF5 file, which holds a Keras model's weights without the model (model.save_weights): build the model and call its loadWeights`,
    );
  });
});
