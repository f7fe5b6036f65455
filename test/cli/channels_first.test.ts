import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as image from '../../src/image/index.js';
import { cast } from '../../src/ops/cast.js';
import { expandDims } from '../../src/ops/expand_dims.js';
import { transpose } from '../../src/ops/transpose.js';
import { expectClose } from '../helpers/close.js';
import { f32, tfjsSaved, tfOf } from '../helpers/layers.js';
import { caseRng } from '../helpers/random.js';
import { tf } from '../helpers/tf.js';
import { convlens, IMAGES, jsonLines, pngSize, removeTempDirs, tempDir } from './helpers.js';

// A channels-first convnet written and saved by tfjs-layers (Rescaling, two convolutions joined on
// the channel axis, ReLU, max pooling, a convolution, Flatten and Dense), and the same network
// channels-last with the same weights: the commands must feed the first [1, C, H, W] images and
// show its maps as the second's.

const SIZE = 24;
const rocket = join(IMAGES, 'rocket.jpg');
let dir: string;
let first: tfl.LayersModel;

interface MapsReport {
  layer: string;
  className: string;
  shape: number[];
  dataFormat: string;
  input: string;
  channels: { index: number; min: number; max: number; mean: number }[];
}

const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;

/** The network in `layout`, with tfjs' own initial weights. */
function network(channelsFirst: boolean): tfl.LayersModel {
  const dataFormat = channelsFirst ? 'channelsFirst' : 'channelsLast';
  const input = tfl.input({ shape: channelsFirst ? [3, SIZE, SIZE] : [SIZE, SIZE, 3], name: 'pixels' });
  const scaled = apply(tfl.layers.rescaling({ scale: 1 / 255, name: 'scale' }), input);
  const edges = apply(
    tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', dataFormat, name: 'edges' }),
    scaled,
  );
  const mix = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 1, dataFormat, name: 'mix' }), scaled);
  const joined = apply(tfl.layers.concatenate({ axis: channelsFirst ? 1 : -1, name: 'joined' }), [edges, mix]);
  const relu = apply(tfl.layers.activation({ activation: 'relu', name: 'relu' }), joined);
  const pool = apply(tfl.layers.maxPooling2d({ poolSize: 2, dataFormat, name: 'pool' }), relu);
  const shapes = apply(tfl.layers.conv2d({ filters: 5, kernelSize: 3, dataFormat, name: 'shapes' }), pool);
  const flat = apply(tfl.layers.flatten({ dataFormat, name: 'flat' }), shapes);
  const classes = apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }), flat);
  return tfl.model({ inputs: input, outputs: classes, name: 'convnet' });
}

async function save(model: tfl.LayersModel, folder: string): Promise<void> {
  const { modelJson, weightData } = await tfjsSaved(model);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'model.json'), JSON.stringify({ format: 'layers-model', ...modelJson }));
  writeFileSync(join(folder, 'weights.bin'), new Uint8Array(weightData));
}

/** The photo as the command makes it for the channels-first model: RGB, raw 0..255 (the model rescales), resized, [1, 3, H, W]. */
function photoBatch(): tf.Tensor {
  const img = image.resize(cast(image.decodeImage(readFileSync(rocket), { channels: 3 }), 'float32'), [SIZE, SIZE]);
  return tfOf(expandDims(transpose(img, [2, 0, 1]), 0));
}

/** tfjs' output of the channels-first model at `layerName` for the photo, [1, C, H, W]. */
function theirMaps(layerName: string): tf.Tensor {
  const upTo = tfl.model({ inputs: first.inputs, outputs: first.getLayer(layerName).output as tfl.SymbolicTensor });
  return upTo.predict(photoBatch()) as tf.Tensor;
}

/** Each channel's min, max and mean of channels-first maps [1, C, H, W]. */
function channelStats(maps: tf.Tensor): number[][] {
  const [, channels, h, w] = maps.shape;
  const values = maps.dataSync();
  return Array.from({ length: channels }, (_, c) => {
    const plane = Array.from(values.subarray(c * h * w, (c + 1) * h * w));
    return [Math.min(...plane), Math.max(...plane), plane.reduce((a, b) => a + b, 0) / plane.length];
  });
}

const showMaps = (folder: string, ...args: string[]) => convlens(['show-maps', join(dir, folder), rocket, ...args]);
const report = (stdout: string): MapsReport => JSON.parse(stdout);

beforeAll(async () => {
  dir = tempDir();
  first = network(true);
  const rng = caseRng('cli channels-first', 0);
  first.setWeights(first.getWeights().map((w) => tf.tensor(f32(rng, w.shape as number[], -0.5, 0.5).data, w.shape)));
  const last = network(false);
  // a kernel is the same in both layouts, and Flatten channels-first orders its values as channels-last
  last.setWeights(first.getWeights());
  await save(first, join(dir, 'first'));
  await save(last, join(dir, 'last'));
});
afterAll(removeTempDirs);

describe('convlens predict and show-maps with a channels-first model', { timeout: 180_000 }, () => {
  it("predict feeds it [1, 3, H, W]: tfjs' scores for the same photo, and the channels-last model's classes and scores", () => {
    const run = convlens(['predict', join(dir, 'first'), rocket, '--top', '3', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const [line] = jsonLines(run.stdout) as { predictions: { class: string; score: number }[] }[];
    const expected = Array.from((first.predict(photoBatch()) as tf.Tensor).dataSync());
    const byClass = line.predictions.map((p) => [Number(p.class), p.score]);
    expectClose(
      byClass.map(([, score]) => score),
      byClass.map(([c]) => expected[c]),
      1e-4,
      'scores',
    );
    expect(byClass.map(([c]) => c)).toEqual([0, 1, 2].sort((a, b) => expected[b] - expected[a]));
    const channelsLast = convlens(['predict', join(dir, 'last'), rocket, '--top', '3', '--json']);
    expect(channelsLast.code, channelsLast.stderr).toBe(0);
    expect(run.stdout).toBe(channelsLast.stdout);
  });

  it("show-maps: each layer's maps (channels-first convolutions, Concatenate on axis 1, the ReLU after it, pooling) are tfjs', and the channels-last model's", () => {
    for (const layer of ['edges', 'joined', 'relu', 'pool', 'shapes']) {
      const run = showMaps('first', '--layer', layer, '--json');
      expect(run.code, run.stderr).toBe(0);
      const ours = report(run.stdout);
      const expected = theirMaps(layer);
      expect([ours.shape, ours.dataFormat], layer).toEqual([expected.shape.slice(1), 'channels_first']);
      expect(ours.input).toBe(
        "427×640×3, resized to 24×24 (the model's input), pixels 0..255 (the model's Rescaling layer scales them), channels first",
      );
      expectClose(
        ours.channels.flatMap((c) => [c.min, c.max, c.mean]),
        channelStats(expected).flat(),
        1e-4,
        layer,
      );
      const channelsLast = report(showMaps('last', '--layer', layer, '--json').stdout);
      const [c, h, w] = ours.shape;
      expect([channelsLast.shape, channelsLast.dataFormat]).toEqual([[h, w, c], 'channels_last']);
      expect(ours.channels).toEqual(channelsLast.channels);
    }
  });

  it('show-maps picks the first convolution, counts its channels, and draws the grid of the channels-last model, pixel for pixel', () => {
    const run = showMaps('first', '--out', join(dir, 'first.png'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('layer edges (Conv2D): 4 feature maps of 24×24');
    const pooled = showMaps('first', '--layer', 'pool', '--rows', '2', '--out', join(dir, 'first_pool.png'));
    expect(pooled.stdout).toContain('layer pool (MaxPooling2D): 6 feature maps of 12×12');
    const channelsLast = showMaps('last', '--layer', 'pool', '--rows', '2', '--out', join(dir, 'last_pool.png'));
    expect(channelsLast.code, channelsLast.stderr).toBe(0);
    // the summary and preview too, but for the input's note
    expect(pooled.stdout.replace(', channels first', '')).toBe(channelsLast.stdout);
    // 3 columns and 2 rows of 12×12 tiles
    expect(pngSize(join(dir, 'first_pool.png'))).toEqual(pngSize(join(dir, 'last_pool.png')));
    expect(readFileSync(join(dir, 'first_pool.png')).equals(readFileSync(join(dir, 'last_pool.png')))).toBe(true);
  });

  it('a channels-first model whose input has no image channel count is refused naming the model, its input and its first image layer', async () => {
    const input = tfl.input({ shape: [2, 8, 8] });
    const conv = apply(tfl.layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', name: 'conv' }), input);
    await save(tfl.model({ inputs: input, outputs: conv, name: 'two_channels' }), join(dir, 'two_channels'));
    for (const command of ['show-maps', 'predict']) {
      const run = convlens([command, join(dir, 'two_channels'), rocket]);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        `convlens: ${command}: model 'two_channels' takes images of 2 channels (its input [2, 8, 8] is [channels, height, width]: its first image layer, 'conv', is channels-first); images have 1 (gray), 3 (RGB) or 4 (RGBA)`,
      );
    }
  });
});
