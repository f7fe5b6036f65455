import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as image from '../../src/image/index.js';
import { expandDims } from '../../src/ops/expand_dims.js';
import { expectClose } from '../helpers/close.js';
import { f32, tfjsSaved } from '../helpers/layers.js';
import { caseRng } from '../helpers/random.js';
import { tf } from '../helpers/tf.js';
import { convlens, IMAGES, pngSize, removeTempDirs, tempDir } from './helpers.js';

let dir: string;
let model: tfl.LayersModel;
const camera = join(IMAGES, 'camera.png');
const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;

/** A stem convolution, then a ResNet-style residual block (its Add takes the stem's output too), with random weights, saved as tfjs saves one. */
async function saveResidualModel(folder: string): Promise<tfl.LayersModel> {
  const input = tfl.input({ shape: [32, 32, 1], name: 'pixels' });
  const stem = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }), input);
  let x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv_a' }), stem);
  x = apply(tfl.layers.batchNormalization({ name: 'bn_a' }), x);
  x = apply(tfl.layers.activation({ activation: 'relu', name: 'relu_a' }), x);
  x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv_b' }), x);
  x = apply(tfl.layers.add({ name: 'add_1' }), [x, stem]);
  const output = apply(tfl.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const built = tfl.model({ inputs: input, outputs: output, name: 'resnet_like' });
  const rng = caseRng('show-maps functional', 0);
  built.setWeights(
    built.weights.map((w) => {
      const [lo, hi] = w.name.includes('moving_variance') ? [0.5, 1.5] : [-1, 1];
      return tf.tensor(f32(rng, w.shape as number[], lo, hi).data, w.shape as number[]);
    }),
  );
  const { modelJson, weightData } = await tfjsSaved(built);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'model.json'), JSON.stringify({ format: 'layers-model', ...modelJson }));
  writeFileSync(join(folder, 'weights.bin'), new Uint8Array(weightData));
  return built;
}

/** Each channel's min, max and mean of what tfjs computes at `layerName` for the photo, decoded and resized as the command does. */
function expectedStats(layerName: string): number[] {
  const img = image.resize(image.convertImageDtype(image.decodeImage(readFileSync(camera), { channels: 1 }), 'float32'), [32, 32]);
  const x = expandDims(img, 0);
  const upTo = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layerName).output as tfl.SymbolicTensor });
  const values = Array.from((upTo.predict(tf.tensor(Array.from(x.data), x.shape)) as tf.Tensor).dataSync());
  const channels = 4;
  return Array.from({ length: channels }, (_, c) => {
    const plane = values.filter((_, i) => i % channels === c);
    return [Math.min(...plane), Math.max(...plane), plane.reduce((a, b) => a + b, 0) / plane.length];
  }).flat();
}

beforeAll(async () => {
  dir = tempDir();
  model = await saveResidualModel(join(dir, 'resnet_like'));
});
afterAll(removeTempDirs);

describe('convlens show-maps on a branching functional model', { timeout: 180_000 }, () => {
  it("shows the Add's maps of a residual model (loaded as a functional model): tfjs' own numbers, and the grid", () => {
    const out = join(dir, 'maps.png');
    const run = convlens(['show-maps', join(dir, 'resnet_like'), camera, '--layer', 'add_1', '--out', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      layer: string;
      className: string;
      shape: number[];
      channels: { min: number; max: number; mean: number }[];
    };
    expect([report.layer, report.className, report.shape]).toEqual(['add_1', 'Add', [32, 32, 4]]);
    expectClose(
      report.channels.flatMap((c) => [c.min, c.max, c.mean]),
      expectedStats('add_1'),
      1e-4,
      'add_1',
    );
    expect(run.stderr).toContain(`wrote ${out}`);
    expect(pngSize(out)[0]).toBeGreaterThan(0);
  });

  it('takes the first convolution by default, layers by index, and says what it loaded', () => {
    const byDefault = convlens(['show-maps', join(dir, 'resnet_like'), camera]);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(byDefault.stdout).toContain('model resnet_like (7 layers); image 512×512×1');
    expect(byDefault.stdout).toContain('layer stem (Conv2D): 4 feature maps of 32×32');
    const byIndex = JSON.parse(convlens(['show-maps', join(dir, 'resnet_like'), camera, '--layer', '1', '--json']).stdout);
    expect(byIndex.layer).toBe('conv_a');
    const pool = convlens(['show-maps', join(dir, 'resnet_like'), camera, '--layer', 'pool']);
    expect(pool.code).toBe(2);
    expect(pool.stderr).toContain(
      "--layer pool: layer 'pool' outputs shape [4], not feature maps; these do: stem, conv_a, bn_a, relu_a, conv_b, add_1",
    );
  });
});
