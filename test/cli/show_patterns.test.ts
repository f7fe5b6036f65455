import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as image from '../../src/image/index.js';
import { expectClose } from '../helpers/close.js';
import { saveTfjs } from '../helpers/layers.js';
import { tf } from '../helpers/tf.js';
import { convlens, IMAGES, pngSize, removeTempDirs, tempDir } from './helpers.js';

interface Report {
  layer: string;
  pixels: string;
  size: number[];
  steps: number;
  filters: { index: number; start: number; end: number }[];
}

let dir: string;
let model: tfl.LayersModel;
const camera = join(IMAGES, 'camera.png');

/** A small Sequential convnet made and saved by tfjs-layers (its own random initial weights). */
async function saveTfjsSequential(folder: string): Promise<tfl.LayersModel> {
  const built = tfl.sequential({
    name: 'tiny',
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'edges', inputShape: [20, 20, 1], biasInitializer: 'ones' }),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      tfl.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', name: 'shapes', biasInitializer: 'ones' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }),
    ],
  });
  await saveTfjs(built, folder);
  return built;
}

/** The photo as tfjs sees it through the model: gray, 0..1, resized to 20×20. */
function cameraImage(): tf.Tensor {
  const img = image.resize(image.convertImageDtype(image.decodeImage(readFileSync(camera), { channels: 1 }), 'float32'), [20, 20]);
  return tf.tensor(Array.from(img.data), [1, 20, 20, 1]);
}

/**
 * The ascent show-patterns documents, in tfjs: the gradient of a filter's mean response before its
 * ReLU ('shapes' computed by hand from 'pool''s output and its weights), scaled to a root mean
 * square of `stepSize`, added, clipped to 0..1.
 */
function tfjsPattern(start: tf.Tensor, filter: number, steps: number, stepSize: number): tf.Tensor {
  const pooled = tfl.model({ inputs: model.inputs, outputs: model.getLayer('pool').output as tfl.SymbolicTensor });
  const [kernel, bias] = model.getLayer('shapes').getWeights();
  const beforeRelu = (x: tf.Tensor) => tf.add(tf.conv2d(pooled.apply(x) as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid'), bias);
  const response = (x: tf.Tensor) => tf.mean(tf.gather(beforeRelu(x), filter, 3));
  let x = start;
  for (let s = 0; s < steps; s++) {
    const g = tf.grad(response)(x);
    const rms = tf.sqrt(tf.mean(tf.square(g))).dataSync()[0];
    if (rms > 0) x = tf.clipByValue(tf.add(x, tf.mul(g, stepSize / rms)), 0, 1);
  }
  return x;
}

const meanResponse = (upTo: tfl.LayersModel, x: tf.Tensor, filter: number) =>
  tf.mean(tf.gather(upTo.predict(x) as tf.Tensor, filter, 3)).dataSync()[0];

beforeAll(async () => {
  dir = tempDir();
  model = await saveTfjsSequential(join(dir, 'tiny'));
});
afterAll(removeTempDirs);

describe('convlens show-patterns', () => {
  it('an ascent no machine has the memory for is a usage error, found before any computing (it was killed for want of memory)', async () => {
    // 30 layers of 16 images × 4096 × 4096 × 15 values each (an array holds them), with their gradients: about 1 TB
    const deep = tfl.sequential({
      layers: Array.from({ length: 30 }, (_, i) =>
        tfl.layers.conv2d({ filters: 15, kernelSize: 1, name: `deep${i}`, ...(i === 0 ? { inputShape: [null, null, 1] } : {}) }),
      ),
    });
    await saveTfjs(deep, join(dir, 'deep'));
    const run = convlens(['show-patterns', join(dir, 'deep'), '--size', '4096x4096']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /--size, --filters: gradient ascent on layer 'deep29' keeps .*, at least [\d.]+ GB, more than the [\d.]+ GB of memory/,
    );
  });

  it('more --size and --filters of a free-size model than its arrays hold is a usage error, found before any computing', async () => {
    const wide = tfl.sequential({ layers: [tfl.layers.conv2d({ filters: 48, kernelSize: 1, inputShape: [null, null, 1], name: 'wide' })] });
    await saveTfjs(wide, join(dir, 'wide'));
    const run = convlens(['show-patterns', join(dir, 'wide'), '--size', '1024x1024', '--filters', '0-47,0-41']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "--size, --filters: 90 images of shape [1024, 1024, 1] (one per filter) make layer 'wide' output 4,529,848,320 values, more than the 4,294,967,296 one array holds: give a smaller --size or fewer --filters",
    );
  });

  it("starting from a photo: each filter's mean response before and after, as the same ascent in tfjs-layers gives them", () => {
    const run = convlens(['show-patterns', join(dir, 'tiny'), '--start', camera, '--steps', '4', '--filters', '0-2,5', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    // the default layer is the last convolution
    expect(report).toMatchObject({ layer: 'shapes', pixels: '0..1', size: [20, 20], steps: 4 });
    expect(report.filters.map((f) => f.index)).toEqual([0, 1, 2, 5]);
    const upTo = tfl.model({ inputs: model.inputs, outputs: model.getLayer('shapes').output as tfl.SymbolicTensor });
    const start = cameraImage();
    for (const { index, start: before, end: after } of report.filters) {
      // the default step: 2% of the pixel range
      const pattern = tfjsPattern(start, index, 4, 0.02);
      expectClose([before, after], [meanResponse(upTo, start, index), meanResponse(upTo, pattern, index)], 1e-4, `filter ${index}`);
    }
    expect(report.filters.filter((f) => f.end > f.start).length).toBeGreaterThanOrEqual(2);
  });

  it('prints a table and writes the grid of patterns', () => {
    const out = join(dir, 'patterns.png');
    const run = convlens(['show-patterns', join(dir, 'tiny'), '--layer', 'edges', '--steps', '3', '--cols', '2', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^model 'tiny', layer 'edges': 4 filters, 3 steps of gradient ascent on a 20×20 image \(pixels 0\.\.1\)\n/);
    expect(run.stdout.trim().split('\n')).toHaveLength(2 + 4);
    expect(run.stderr).toContain(`wrote ${out}`);
    // 2 columns of 96-pixel tiles, drawn at twice the size
    const [width, height] = pngSize(out);
    expect(width).toBeGreaterThan(2 * 2 * 96);
    expect(height).toBeGreaterThan(2 * 2 * 96);
  });

  it('says that --size is not used when the model takes images of one size (it was dropped silently)', () => {
    const run = convlens(['show-patterns', join(dir, 'tiny'), '--layer', 'edges', '--steps', '1', '--size', '5x7', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).size).toEqual([20, 20]);
    expect(run.stderr).toBe("convlens: show-patterns: --size 5x7 is not used: model 'tiny' takes 20×20 images\n");
    const fits = convlens(['show-patterns', join(dir, 'tiny'), '--layer', 'edges', '--steps', '1', '--size', '20x20', '--json']);
    expect([fits.code, fits.stderr]).toEqual([0, '']);
  });

  it.each([
    [
      'an unknown layer',
      ['--layer', 'nope'],
      "--layer nope: model 'tiny' has no such layer (its layers: edges, pool, shapes, flat, classes)",
    ],
    ['a filter the layer lacks', ['--filters', '9'], "--filters: filter 9 is not one of the layer's 6 filters (0 to 5)"],
    ['a malformed list', ['--filters', '3-1'], '--filters must be indices and ranges like 0-7,12, got "3-1"'],
    // exited 1 with filterPatterns' message
    ['a size over 4096', ['--size', '5000x5000'], '--size: height and width must be whole numbers from 1 to 4096, got [5000, 5000]'],
    ['a figure of an unknown type', ['--out', join('x', 'p.gif')], 'the file name must end in .png, .svg or .html'],
  ])('%s is a usage error', (_, args, message) => {
    const run = convlens(['show-patterns', join(dir, 'tiny'), ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(existsSync(join('x', 'p.gif'))).toBe(false);
  });
});
