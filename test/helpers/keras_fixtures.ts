/**
 * The Keras 3 files in test/fixtures/keras (written by make_fixtures.py with h5py, as Keras 3's
 * saving_lib lays them out) and the same networks in tfjs-layers, with the weights the script
 * gives them: sin(1 + i + 7k) / 2 for element i of the file's k-th weight (a moving variance's
 * made positive), so that a reader of the files can be checked against tfjs.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from './tf.js';

const fixtures = fileURLToPath(new URL('../fixtures/keras/', import.meta.url));
export const kerasFixture = (name: string) => join(fixtures, name);

/** The values make_fixtures.py gives the k-th weight of a file. */
function fixtureValues(shape: number[], k: number, positive: boolean): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, (_, i) => {
    const v = Math.sin(1 + i + 7 * k) / 2;
    return positive ? Math.abs(v) + 0.5 : v;
  });
  return tf.tensor(values, shape);
}

/** The fixture's values, layer by layer in the file's order (tfjs' model.weights puts the moving statistics last). */
function setInFileOrder(model: tfl.LayersModel): void {
  let k = 0;
  for (const layer of model.layers) {
    layer.setWeights(layer.weights.map((w) => fixtureValues(w.shape as number[], k++, w.name.includes('moving_variance'))));
  }
}

/** The names of convnet.keras' layers, as its config gives them. */
export const CONVNET_LAYERS = ['conv2d', 'max_pooling2d', 'batch_normalization', 'conv2d_1', 'flatten', 'dropout', 'dense'];

/** convnet.keras' network in tfjs-layers, with the fixture's weights. */
export function tfjsConvnet(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [12, 12, 1] }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.batchNormalization(),
      tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.25 }),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  setInFileOrder(model);
  return model;
}

/** channels_first.keras' network in tfjs-layers: channels-first images [1, 12, 12]. */
export function tfjsChannelsFirst(): tfl.LayersModel {
  const dataFormat = 'channelsFirst';
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', dataFormat, inputShape: [1, 12, 12] }),
      tfl.layers.maxPooling2d({ poolSize: 2, dataFormat }),
      tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', dataFormat }),
      tfl.layers.flatten({ dataFormat }),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  setInFileOrder(model);
  return model;
}

/** residual.keras' network in tfjs-layers: its layers' names are not their classes'. */
export function tfjsResidual(): tfl.LayersModel {
  const image = tfl.input({ shape: [8, 8, 2], name: 'image' });
  const stem = tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(image);
  const skip = tfl.layers.add({ name: 'skip' }).apply([image, stem as tfl.SymbolicTensor]);
  const widen = tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'widen' }).apply(skip);
  const pool = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(widen);
  const classes = tfl.layers.dense({ units: 2, activation: 'softmax', name: 'classes' }).apply(pool);
  const model = tfl.model({ inputs: image, outputs: classes as tfl.SymbolicTensor });
  setInFileOrder(model);
  return model;
}
