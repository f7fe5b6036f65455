import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelJson } from '../../src/layers/artifacts.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { Rng } from './random.js';
import { tf } from './tf.js';

/** A convlens tensor as a tfjs one (int32 stays int32; the rest is float32). */
export const tfOf = (t: Tensor) => tf.tensor(Array.from(t.data), t.shape, t.dtype === 'int32' ? 'int32' : 'float32');

/** A float32 tensor of `shape` with values uniform in [lo, hi). */
export const f32 = (rng: Rng, shape: number[], lo = -1, hi = 1) =>
  new Tensor(
    rng.floats(
      shape.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
    shape,
    'float32',
  );

/** tfjs-layers' own loader, reading artifacts from memory (compiled from their trainingConfig, if any). */
export function tfjsLoad(modelJson: ModelJson | Record<string, unknown>, weightData: ArrayBuffer): Promise<tfl.LayersModel> {
  const json = modelJson as ModelJson;
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology as never,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as never,
      weightData,
      trainingConfig: json.trainingConfig as never,
    }),
  );
}
