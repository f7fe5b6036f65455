import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as image from '../../src/image/index.js';
import { saveTfjs } from '../helpers/layers.js';
import { tf } from '../helpers/tf.js';
import { convlens, IMAGES, pngSize, removeTempDirs, tempDir } from './helpers.js';

interface Report {
  classIndex: number;
  className: string | null;
  score: number;
  method: string;
  layer: string | null;
}

let dir: string;
let model: tfl.LayersModel;
const camera = join(IMAGES, 'camera.png');
const CLASSES = ['sky', 'coat', 'grass'];

beforeAll(async () => {
  dir = tempDir();
  model = tfl.sequential({
    name: 'looker',
    layers: [
      tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'edges', inputShape: [24, 24, 1], biasInitializer: 'ones' }),
      tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      tfl.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', name: 'parts', biasInitializer: 'ones' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }),
    ],
  });
  await saveTfjs(model, join(dir, 'looker'));
  writeFileSync(join(dir, 'looker', 'classes.json'), JSON.stringify(CLASSES));
});
afterAll(removeTempDirs);

/** tfjs' probabilities for the photo as the command feeds it: gray, 0..1, resized to 24×24. */
function tfjsProbabilities(): Float32Array {
  const img = image.resize(image.convertImageDtype(image.decodeImage(readFileSync(camera), { channels: 1 }), 'float32'), [24, 24]);
  return (model.predict(tf.tensor(Array.from(img.data), [1, 24, 24, 1])) as tf.Tensor).dataSync() as Float32Array;
}

describe('convlens saliency', () => {
  it("explains the class tfjs-layers predicts, with tfjs' score, by Grad-CAM of the last convolution", () => {
    const run = convlens(['saliency', join(dir, 'looker'), camera, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const p = tfjsProbabilities();
    const predicted = p.indexOf(Math.max(...p));
    expect(report).toMatchObject({ classIndex: predicted, className: CLASSES[predicted], method: 'gradcam', layer: 'parts' });
    expect(report.score).toBeCloseTo(p[predicted], 5);
  });

  it("takes Grad-CAM's layer by index, as show-maps takes it", () => {
    const byIndex = JSON.parse(convlens(['saliency', join(dir, 'looker'), camera, '--layer', '0', '--json']).stdout) as Report;
    expect(byIndex.layer).toBe('edges');
    const tooFar = convlens(['saliency', join(dir, 'looker'), camera, '--layer', '5']);
    expect([tooFar.code, tooFar.stderr]).toEqual([2, "convlens: --layer 5: model 'looker' has 5 layers (0 to 4)\n"]);
  });

  it('takes a class by name, the gradient method, and writes the three panels', () => {
    const out = join(dir, 'why.png');
    const run = convlens(['saliency', join(dir, 'looker'), camera, '--class', 'grass', '--method', 'gradient', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `class grass (score ${tfjsProbabilities()[2].toPrecision(4)}): where its evidence lies, by the input's gradient`,
    );
    expect(run.stderr).toContain(`wrote ${out}`);
    const [width, height] = pngSize(out);
    // three 224-pixel panels side by side, drawn at twice the size
    expect(width).toBeGreaterThan(2 * 3 * 224);
    expect(height).toBeGreaterThan(2 * 224);
  });

  it.each([
    ['a class the model lacks', ['--class', 'tree'], "--class tree: not one of the model's classes (its classes: sky, coat, grass)"],
    [
      'a layer without maps',
      ['--layer', 'flat'],
      "--layer: layer 'flat' has no feature maps (its output is [486] per example) for Grad-CAM",
    ],
    [
      'an unknown layer',
      ['--layer', 'nope'],
      "--layer: model 'looker' has no layer 'nope' (its layers: edges, pool, parts, flat, classes)",
    ],
    ['an unknown method', ['--method', 'cam'], "argument 'cam' is invalid"],
    // exited 1, as if the image or model were at fault
    ['a layer for the gradient method', ['--method', 'gradient', '--layer', 'parts'], "--layer is Grad-CAM's; --method gradient takes"],
  ])('%s is a usage error', (_, args, message) => {
    const run = convlens(['saliency', join(dir, 'looker'), camera, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it("a residual functional model: Grad-CAM of its last convolution by default, tfjs' class and score; --layer by name or index", async () => {
    const input = tfl.input({ shape: [24, 24, 1], name: 'pixels' });
    const c1 = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }).apply(input);
    const c2 = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c2' }).apply(c1);
    const sum = tfl.layers.add({ name: 'skip' }).apply([c1, c2] as tfl.SymbolicTensor[]);
    const flat = tfl.layers.flatten({ name: 'flat' }).apply(sum);
    const output = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }).apply(flat) as tfl.SymbolicTensor;
    const residual = tfl.model({ inputs: input, outputs: output, name: 'residual' });
    const folder = join(dir, 'residual');
    await saveTfjs(residual, folder);
    const run = convlens(['saliency', folder, camera, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const img = image.resize(image.convertImageDtype(image.decodeImage(readFileSync(camera), { channels: 1 }), 'float32'), [24, 24]);
    const p = (residual.predict(tf.tensor(Array.from(img.data), [1, 24, 24, 1])) as tf.Tensor).dataSync();
    const predicted = p.indexOf(Math.max(...p));
    expect(report).toMatchObject({ classIndex: predicted, method: 'gradcam', layer: 'c2' });
    expect(report.score).toBeCloseTo(p[predicted], 5);
    // c1 by name, then by its index among the model's layers; the class asked for keeps tfjs' score
    for (const layer of ['c1', '0']) {
      const byLayer = JSON.parse(convlens(['saliency', folder, camera, '--layer', layer, '--class', '1', '--json']).stdout) as Report;
      expect(byLayer).toMatchObject({ classIndex: 1, method: 'gradcam', layer: 'c1' });
      expect(byLayer.score).toBeCloseTo(p[1], 5);
    }
    const out = join(dir, 'residual.png');
    const drawn = convlens(['saliency', folder, camera, '--out', out]);
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(drawn.stdout).toContain('where its evidence lies, by Grad-CAM of layer c2');
    expect(pngSize(out)[0]).toBeGreaterThan(2 * 3 * 224);
    const unknown = convlens(['saliency', folder, camera, '--layer', 'c3']);
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      "convlens: --layer: model 'residual' has no layer 'c3' (its layers: c1, c2, skip, flat, classes)\n",
    ]);
    const gradient = JSON.parse(convlens(['saliency', folder, camera, '--method', 'gradient', '--json']).stdout) as Report;
    expect(gradient).toMatchObject({ classIndex: predicted, method: 'gradient', layer: null });
    const patterns = convlens(['show-patterns', folder, '--layer', 'skip', '--steps', '2', '--json']);
    expect(patterns.code, patterns.stderr).toBe(0);
    expect((JSON.parse(patterns.stdout) as { filters: unknown[] }).filters).toHaveLength(3);
  });

  it("a model without feature maps: the input's gradient by default; --method gradcam is a usage error that does not blame the --layer it was not given", async () => {
    const flat = tfl.sequential({
      layers: [tfl.layers.flatten({ inputShape: [24, 24, 1] }), tfl.layers.dense({ units: 3, activation: 'softmax' })],
    });
    await saveTfjs(flat, join(dir, 'flat'));
    const byDefault = convlens(['saliency', join(dir, 'flat'), camera, '--json']);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(JSON.parse(byDefault.stdout) as Report).toMatchObject({ method: 'gradient', layer: null });
    const run = convlens(['saliency', join(dir, 'flat'), camera, '--method', 'gradcam']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("has no layer with feature maps for Grad-CAM (the 'gradient' method needs none)");
    expect(run.stderr).not.toContain('--layer');
  });

  it('an image that cannot be read fails with its path', () => {
    const run = convlens(['saliency', join(dir, 'looker'), join(dir, 'missing.png')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot read ${join(dir, 'missing.png')}`);
  });
});
