import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as image from '../../src/image/index.js';
import * as layers from '../../src/layers/index.js';
import { expandDims } from '../../src/ops/expand_dims.js';
import { zeros } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/close.js';
import { saveTfjs } from '../helpers/layers.js';
import { tf } from '../helpers/tf.js';
import { CLI, convlens, convlensStdoutClosed, IMAGES, pngSize, removeTempDirs, tempDir } from './helpers.js';

interface Report {
  layer: string;
  className: string;
  shape: number[];
  input: string;
  channels: { index: number; min: number; max: number; mean: number }[];
}

let dir: string;
let model: tfl.LayersModel;
const camera = join(IMAGES, 'camera.png');

/** A small convnet written with tfjs' functional API, saved by tfjs. */
async function saveTfjsModel(folder: string): Promise<tfl.LayersModel> {
  const input = tfl.input({ shape: [32, 32, 1], name: 'pixels' });
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor) => layer.apply(x) as tfl.SymbolicTensor;
  let x = apply(tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'edges', biasInitializer: 'zeros' }), input);
  x = apply(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }), x);
  x = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 3, name: 'shapes' }), x);
  x = apply(tfl.layers.flatten({ name: 'flat' }), x);
  const output = apply(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'classes' }), x);
  const built = tfl.model({ inputs: input, outputs: output, name: 'tiny' });
  await saveTfjs(built, folder);
  return built;
}

/** The sample photo as a tfjs batch of one, decoded and resized to `size`×`size` as TensorFlow would (0..1 pixels, times `scale`). */
function cameraBatch(scale = 1, size = 32): tf.Tensor {
  let img: Tensor = image.convertImageDtype(image.decodeImage(readFileSync(camera), { channels: 1 }), 'float32');
  img = image.resize(img, [size, size]);
  const x = expandDims(img, 0);
  return tf.mul(tf.tensor(Array.from(x.data), x.shape), scale);
}

/** tfjs' `keras.Model(inner.inputs, inner.get_layer(layerName).output)`'s output for `x`. */
function outputAt(inner: tfl.LayersModel, layerName: string, x: tf.Tensor): Float32Array {
  const upTo = tfl.model({ inputs: inner.inputs, outputs: inner.getLayer(layerName).output as tfl.SymbolicTensor });
  return (upTo.predict(x) as tf.Tensor).dataSync() as Float32Array;
}

/** What tfjs' model gives at `layerName` for the sample photo (0..1 pixels, times `scale`). */
function expectedMaps(layerName: string, scale = 1): Float32Array {
  return outputAt(model, layerName, cameraBatch(scale));
}

/** Each channel's min, max and mean of NHWC maps with `channels` channels. */
function statsOf(values: Float32Array, channels: number) {
  return Array.from({ length: channels }, (_, c) => {
    const plane = values.filter((_, i) => i % channels === c);
    // reduce rather than Math.min(...plane): a photo's maps are too many values for one call's arguments
    return [
      plane.reduce((a, b) => Math.min(a, b)),
      plane.reduce((a, b) => Math.max(a, b)),
      plane.reduce((a, b) => a + b, 0) / plane.length,
    ];
  });
}

const json = (stdout: string): Report => JSON.parse(stdout);

beforeAll(async () => {
  dir = tempDir();
  model = await saveTfjsModel(join(dir, 'tiny'));
});
afterAll(removeTempDirs);

describe('convlens show-maps', { timeout: 180_000 }, () => {
  it("runs the photo through a TensorFlow.js functional model: each map's min, max and mean are tfjs' own", () => {
    for (const layer of ['edges', 'shapes']) {
      const run = convlens(['show-maps', join(dir, 'tiny'), camera, '--layer', layer, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const report = json(run.stdout);
      expect([report.layer, report.className]).toEqual([layer, 'Conv2D']);
      expect(report.input).toBe("512×512×1, resized to 32×32 (the model's input), pixels 0..1");
      const channels = report.shape[2];
      expect(report.channels).toHaveLength(channels);
      const expected = statsOf(expectedMaps(layer), channels);
      expectClose(
        report.channels.flatMap((c) => [c.min, c.max, c.mean]),
        expected.flat(),
        1e-4,
        layer,
      );
    }
  });

  it("takes the photo at its own size into a model of free height and width (Keras' None): its maps are tfjs' own, and predict classifies", async () => {
    const input = tfl.input({ shape: [null, null, 1] });
    const edges = tfl.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'edges' }).apply(input) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(edges) as tfl.SymbolicTensor;
    const output = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(pooled) as tfl.SymbolicTensor;
    const free = tfl.model({ inputs: input, outputs: output });
    const folder = join(dir, 'free');
    await saveTfjs(free, folder);
    const run = convlens(['show-maps', folder, camera, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = json(run.stdout);
    expect(report.input).toBe('512×512×1, pixels 0..1');
    expect(report.shape).toEqual([510, 510, 3]);
    const expected = statsOf(outputAt(free, 'edges', cameraBatch(1, 512)), 3);
    expectClose(
      report.channels.flatMap((c) => [c.min, c.max, c.mean]),
      expected.flat(),
      1e-4,
      'edges',
    );
    const predicted = convlens(['predict', folder, camera, join(IMAGES, 'chelsea.png'), '--json']);
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(predicted.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('predict names the image a model of free sizes cannot take (too small for its window), and goes on with the others', async () => {
    const folder = join(dir, 'free-large-window');
    const wide = new layers.Sequential([
      new layers.Conv2D({ filters: 2, kernelSize: 400, inputShape: [null, null, 1], name: 'wide' }),
      new layers.GlobalAveragePooling2D(),
      new layers.Dense({ units: 2, activation: 'softmax' }),
    ]);
    await wide.save(folder);
    const chelsea = join(IMAGES, 'chelsea.png'); // 300 rows, fewer than the window's 400; the camera has 512
    const run = convlens(['predict', folder, chelsea, camera]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `convlens: predict: ${chelsea}: wide (Conv2D): conv2d: window height 400 is larger than the input height 300 under VALID padding\n`,
    );
    expect(run.stdout).toMatch(/^.*camera\.png: [01] [\d.]+%, [01] [\d.]+%\n$/);
    // --json: the record names the image, its error the fault alone
    const json = convlens(['predict', folder, chelsea, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      input: chelsea,
      status: 'failed',
      error: 'wide (Conv2D): conv2d: window height 400 is larger than the input height 300 under VALID padding',
    });
  });

  it('takes the first layer with feature maps by default, a layer by index, and the pixel range the model was trained on', () => {
    const byDefault = json(convlens(['show-maps', join(dir, 'tiny', 'model.json'), camera, '--json']).stdout);
    expect(byDefault.layer).toBe('edges');
    const byIndex = json(convlens(['show-maps', join(dir, 'tiny'), camera, '--layer', '2', '--json']).stdout);
    expect(byIndex.layer).toBe('shapes');
    // ReLU(255 z) = 255 ReLU(z) with a zero bias: the maps of raw pixel values are 255 times larger
    const raw = json(convlens(['show-maps', join(dir, 'tiny'), camera, '--pixels', '0..255', '--json']).stdout);
    expectClose(
      raw.channels.map((c) => c.max),
      statsOf(expectedMaps('edges', 255), 4).map((s) => s[1]),
      1e-4,
      '0..255',
    );
  });

  it('prints a summary and a preview, and writes the grid of maps', () => {
    const out = join(dir, 'maps.png');
    const run = convlens(['show-maps', join(dir, 'tiny'), camera, '--layer', 'shapes', '--cols', '3', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('model tiny (5 layers); image 512×512×1');
    expect(run.stdout).toContain('layer shapes (Conv2D): 6 feature maps of 13×13');
    expect(run.stdout).toMatch(/map 5: min -?[\d.e-]+, max [\d.e-]+, mean -?[\d.e-]+/);
    expect(run.stderr).toContain(`wrote ${out}`);
    // 3 columns, 2 rows of tiles, drawn at twice the size
    const [width, height] = pngSize(out);
    expect(width).toBeGreaterThan(height);
    expect(height).toBeGreaterThan(2 * 2 * 160);
  });

  it('says a flat map is flat instead of previewing it as blank lines', async () => {
    const folder = join(dir, 'dead');
    const conv = new layers.Conv2D({ filters: 2, kernelSize: 3, inputShape: [16, 16, 1], name: 'dead' });
    const model = new layers.Sequential([conv]);
    conv.setWeights(conv.getWeights().map((w) => zeros(w.shape)));
    await model.save(folder);
    const run = convlens(['show-maps', folder, camera]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('2 feature maps of 14×14, 2 all zero');
    expect(run.stdout).toMatch(/map 0:\n {2}\(a flat map, 0\.000 throughout: nothing to draw\)\n$/);
  });

  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasScript)('previews a map on a terminal only 4 columns wide (run under a pseudo-terminal by script(1))', () => {
    const command = `stty cols 4; NO_COLOR=1 '${process.execPath}' '${CLI}' show-maps '${join(dir, 'tiny')}' '${camera}'`;
    const run = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stdout).toBe(0);
    expect(run.stdout).toContain('layer edges (Conv2D): 4 feature maps of 30×30');
    expect(run.stdout).not.toContain('terminalPreview');
  });

  it('a map poisoned by a NaN weight says NaN in --json (as extract writes it), the others keep their numbers', async () => {
    const { Conv2D, Sequential } = await import('../../src/layers/index.js');
    const { Tensor } = await import('../../src/tensor/tensor.js');
    const poisoned = new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [8, 8, 1] })]);
    const kernel = new Float32Array(18).fill(0.1);
    kernel[0] = Number.NaN; // filter 0's first tap: every pixel of map 0
    poisoned.setWeights([new Tensor(kernel, [3, 3, 1, 2], 'float32'), new Tensor(new Float32Array(2), [2], 'float32')]);
    await poisoned.save(join(dir, 'poisoned'));
    const run = convlens(['show-maps', join(dir, 'poisoned'), camera, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const [map0, map1] = json(run.stdout).channels;
    expect([map0.min, map0.max, map0.mean]).toEqual(['NaN', 'NaN', 'NaN']);
    expect([map1.min, map1.max, map1.mean].every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
  });

  it('names what cannot work: an unknown layer, a layer without maps, a missing model, a figure type it does not know', () => {
    const unknown = convlens(['show-maps', join(dir, 'tiny'), camera, '--layer', 'edgs']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--layer edgs: .*edges/);
    const dense = convlens(['show-maps', join(dir, 'tiny'), camera, '--layer', 'classes']);
    expect(dense.code).toBe(2);
    expect(dense.stderr).toContain("--layer classes: layer 'classes' outputs shape [3], not feature maps; these do: edges, pool, shapes");
    const missing = convlens(['show-maps', join(dir, 'nothing'), camera]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
    const figure = convlens(['show-maps', join(dir, 'tiny'), camera, '--out', join(dir, 'maps.txt')]);
    expect(figure.code).toBe(2);
    expect(figure.stderr).toContain('must end in .png, .svg or .html');
    const notImage = join(dir, 'notes.png');
    writeFileSync(notImage, 'hello\n');
    const undecodable = convlens(['show-maps', join(dir, 'tiny'), notImage]);
    expect(undecodable.code).toBe(1);
    expect(undecodable.stderr).toBe(
      `convlens: ${notImage}: decodeImage: data is not a known image format (it starts with 68 65 6c 6c 6f 0a; expected PNG, JPEG, GIF or BMP bytes)\n`,
    );
    const folder = convlens(['show-maps', dir, camera]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toBe(
      `convlens: loadModel: the folder ${dir} holds no model.json (a saved model is model.json and its weights files)\n`,
    );
    const weights = join(dir, 'tiny', 'weights.bin');
    const binary = convlens(['show-maps', weights, camera]);
    expect(binary.code).toBe(1);
    expect(binary.stderr).toBe(`convlens: loadModel: ${weights} is not a model.json: it holds binary data, not JSON text\n`);
    const offset = convlens(['show-maps', join(dir, 'tiny'), camera, '--offset', '4']);
    expect(offset.code).toBe(2);
    expect(offset.stderr).toContain("--offset 4: layer 'edges' has 4 feature maps (0 to 3)");
  });

  it('still writes the figure when the reader of stdout quits (| head), and exits 0 as cat does', async () => {
    for (const [args, out] of [
      [['show-maps', join(dir, 'tiny'), camera], join(dir, 'piped-maps.png')],
      [['show-maps', join(dir, 'tiny'), camera, '--json'], join(dir, 'piped-maps.svg')],
      [['kernels'], join(dir, 'piped-kernels.png')],
      [['show-kernel', 'edge'], join(dir, 'piped-kernel.png')],
      [['show-patterns', join(dir, 'tiny'), '--steps', '2'], join(dir, 'piped-patterns.png')],
      [['saliency', join(dir, 'tiny'), camera], join(dir, 'piped-saliency.png')],
    ] as const) {
      const run = await convlensStdoutClosed([...args, '--out', out]);
      expect([run.code, run.stderr, existsSync(out)], args.join(' ')).toEqual([0, expect.stringContaining(`wrote ${out}`), true]);
    }
  });

  it("says '1 layer' of a one-layer model", async () => {
    const single = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 })] });
    const folder = join(dir, 'single');
    mkdirSync(folder);
    const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) =>
      single.save(
        tf.io.withSaveHandler(async (a) => {
          resolve(a);
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      ),
    );
    // a name from the file with an escape sequence that would retitle the terminal: printed written out
    (artifacts.modelTopology as { config: { name: string } }).config.name = 'one\x1b]0;title\x07';
    writeFileSync(
      join(folder, 'model.json'),
      JSON.stringify({
        format: 'layers-model',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      }),
    );
    writeFileSync(join(folder, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
    const run = convlens(['show-maps', folder, camera]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^model one\\x1b\]0;title\\x07 \(1 layer\); image 512×512×1/);
  });

  it('by default shows the first convolution, not a Rescaling or padding layer before it', async () => {
    const folder = join(dir, 'rescaled');
    await new layers.Sequential([
      new layers.Rescaling(1 / 255, { inputShape: [16, 16, 3] }),
      new layers.ZeroPadding2D({ padding: 1 }),
      new layers.Conv2D({ filters: 4, kernelSize: 3, name: 'features' }),
      new layers.Flatten(),
      new layers.Dense({ units: 2 }),
    ]).save(folder);
    const run = convlens(['show-maps', folder, join(IMAGES, 'chelsea.png'), '--pixels', '0..255', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(json(run.stdout).layer).toBe('features');
    // without a convolution, the first layer with maps
    const padded = join(dir, 'padded');
    await new layers.Sequential([
      new layers.ZeroPadding2D({ padding: 1, inputShape: [8, 8, 1], name: 'pad' }),
      new layers.MaxPool2D(),
    ]).save(padded);
    expect(json(convlens(['show-maps', padded, camera, '--json']).stdout).layer).toBe('pad');
  });

  it("reads pixels as 0..255 when a nested model's augmentation comes before the Rescaling (Keras' data_augmentation pattern)", async () => {
    const augmentation = new layers.Sequential([new layers.RandomFlip('horizontal', { inputShape: [16, 16, 1] })]);
    const folder = join(dir, 'nested_augmentation');
    await new layers.Sequential([
      augmentation,
      new layers.Rescaling(1 / 255),
      new layers.Conv2D({ filters: 2, kernelSize: 3, name: 'features' }),
    ]).save(folder);
    const auto = convlens(['show-maps', folder, camera, '--json']);
    expect(auto.code, auto.stderr).toBe(0);
    expect(json(auto.stdout).input).toBe(
      "512×512×1, resized to 16×16 (the model's input), pixels 0..255 (the model's Rescaling layer scales them)",
    );
    expect(json(auto.stdout).channels).toEqual(
      json(convlens(['show-maps', folder, camera, '--json', '--pixels', '0..255']).stdout).channels,
    );
    // the Rescaling inside a nested preprocessing model, in the functional API
    const input = layers.Input({ shape: [16, 16, 1] });
    const preprocessing = new layers.Sequential([new layers.RandomFlip('horizontal'), new layers.Rescaling(1 / 255)]);
    const output = new layers.Conv2D({ filters: 2, kernelSize: 3 }).apply(preprocessing.apply(input));
    const functional = join(dir, 'nested_preprocessing');
    await layers.model({ inputs: input, outputs: output }).save(functional);
    expect(json(convlens(['show-maps', functional, camera, '--json']).stdout).input).toMatch(/pixels 0\.\.255 \(the model's Rescaling/);
  });

  describe("a nested base (Keras' transfer-learning pattern): its layers by path, the outer Rescaling in front", () => {
    let nestedModel: tfl.LayersModel;
    let tfjsBase: tfl.LayersModel;
    const folder = () => join(dir, 'nested_tfjs');
    /** tfjs' output of the base's layer `name` for the photo as decoded (0..255), through the outer Rescaling first. */
    const expectedInside = (name: string) =>
      outputAt(tfjsBase, name, nestedModel.getLayer('rescaling').apply(cameraBatch(255)) as tf.Tensor);

    beforeAll(async () => {
      // written and saved by tfjs: Rescaling, then a base Sequential, then the head
      tfjsBase = tfl.sequential({
        name: 'base',
        layers: [
          tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2d', inputShape: [32, 32, 1] }),
          tfl.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d' }),
          tfl.layers.conv2d({ filters: 5, kernelSize: 3, name: 'conv2d_1' }),
        ],
      });
      nestedModel = tfl.sequential({
        name: 'classifier',
        layers: [
          tfl.layers.rescaling({ scale: 1 / 255, inputShape: [32, 32, 1], name: 'rescaling' }),
          tfjsBase,
          tfl.layers.globalAveragePooling2d({ name: 'gap' }),
          tfl.layers.dense({ units: 3, name: 'dense' }),
        ],
      });
      await saveTfjs(nestedModel, folder());
    });

    it("shows the base's first convolution by default, any layer by path: each map's min, max and mean are tfjs'", () => {
      for (const [args, layer, channels] of [
        [[], 'base/conv2d', 4],
        [['--layer', 'base/conv2d_1'], 'base/conv2d_1', 5],
      ] as const) {
        const run = convlens(['show-maps', folder(), camera, ...args, '--json']);
        expect(run.code, run.stderr).toBe(0);
        const report = json(run.stdout);
        expect([report.layer, report.className]).toEqual([layer, 'Conv2D']);
        expect(report.input).toBe(
          "512×512×1, resized to 32×32 (the model's input), pixels 0..255 (the model's Rescaling layer scales them)",
        );
        const expected = statsOf(expectedInside(layer.slice('base/'.length)), channels);
        expectClose(
          report.channels.flatMap((c) => [c.min, c.max, c.mean]),
          expected.flat(),
          1e-4,
          layer,
        );
      }
    });

    it('with augmentation nested in front (passing images through) and a frozen base, convlens-saved: the same maps, pixels still 0..255', async () => {
      const loaded = await layers.loadModel(folder());
      const base = loaded.getLayer('base');
      base.trainable = false;
      const augmentation = new layers.Sequential(
        [new layers.RandomFlip('horizontal', { inputShape: [32, 32, 1] }), new layers.RandomRotation(0.2)],
        { name: 'data_augmentation' },
      );
      const augmented = join(dir, 'nested_augmented');
      await new layers.Sequential([augmentation, ...loaded.layers], { name: 'augmented' }).save(augmented);
      const run = convlens(['show-maps', augmented, camera, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const report = json(run.stdout);
      expect(report.layer).toBe('base/conv2d');
      expect(report.input).toMatch(/pixels 0\.\.255 \(the model's Rescaling layer scales them\)$/);
      expectClose(
        report.channels.flatMap((c) => [c.min, c.max, c.mean]),
        statsOf(expectedInside('conv2d'), 4).flat(),
        1e-4,
        'augmented base/conv2d',
      );
    });

    it('prints the path in its summary, counts the nested layers, offers the other layers, and writes the grid', () => {
      const out = join(dir, 'nested-maps.png');
      const run = convlens(['show-maps', folder(), camera, '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('model classifier (4 layers, 3 more in nested models); image 512×512×1');
      expect(run.stdout).toContain('layer base/conv2d (Conv2D): 4 feature maps of 32×32');
      expect(run.stderr).toContain('Other layers with feature maps (--layer NAME): rescaling, base, base/max_pooling2d, base/conv2d_1\n');
      expect(run.stderr).toContain(`wrote ${out}`);
      expect(pngSize(out)[0]).toBeGreaterThan(2 * 160);
    });

    it('names what cannot work: a nested name without its path, a misspelt path, a layer without maps, an offset past the maps', () => {
      const bare = convlens(['show-maps', folder(), camera, '--layer', 'conv2d_1']);
      expect(bare.code).toBe(2);
      expect(bare.stderr).toContain('--layer conv2d_1: getLayer: no layer named "conv2d_1"; did you mean "base/conv2d_1"?');
      expect(bare.stderr).toContain('in nested models: base/conv2d, base/max_pooling2d, base/conv2d_1)');
      const misspelt = convlens(['show-maps', folder(), camera, '--layer', 'base/conv2d_2']);
      expect(misspelt.code).toBe(2);
      expect(misspelt.stderr).toMatch(/did you mean "base\/conv2d_1" or "base\/conv2d"\?/);
      const dense = convlens(['show-maps', folder(), camera, '--layer', 'dense']);
      expect(dense.code).toBe(2);
      expect(dense.stderr).toContain(
        "--layer dense: layer 'dense' outputs shape [3], not feature maps; these do: rescaling, base, base/conv2d, base/max_pooling2d, base/conv2d_1",
      );
      const offset = convlens(['show-maps', folder(), camera, '--layer', 'base/conv2d', '--offset', '4']);
      expect(offset.code).toBe(2);
      expect(offset.stderr).toContain("--offset 4: layer 'base/conv2d' has 4 feature maps (0 to 3)");
    });
  });

  it("a shared conv (applied twice): counted once, each application offered and shown by name[k], its maps tfjs'", async () => {
    const folder = join(dir, 'shared');
    const input = tfl.input({ shape: [16, 16, 1], name: 'pixels' });
    const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor) => layer.apply(x) as tfl.SymbolicTensor;
    const twice = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'twice' });
    const first = apply(tfl.layers.conv2d({ filters: 3, kernelSize: 3, name: 'first' }), input);
    const second = apply(twice, apply(twice, first));
    const output = apply(tfl.layers.dense({ units: 2, name: 'out' }), apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), second));
    const built = tfl.model({ inputs: input, outputs: output, name: 'shared_conv' });
    await saveTfjs(built, folder);
    const run = convlens(['show-maps', folder, camera]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('model shared_conv (4 layers); image 512×512×1');
    expect(run.stderr).toContain('Other layers with feature maps (--layer NAME): twice, twice[1]\n');
    const shown = convlens(['show-maps', folder, camera, '--layer', 'twice[1]', '--json', '--out', join(dir, 'twice.svg')]);
    expect(shown.code, shown.stderr).toBe(0);
    const report = json(shown.stdout);
    expect(report.layer).toBe('twice[1]');
    const x = cameraBatch(1, 16);
    const expected = (tfl.model({ inputs: input, outputs: second }).predict(x) as tf.Tensor).dataSync() as Float32Array;
    const stats = statsOf(expected, 3);
    for (const [c, channel] of report.channels.entries())
      expectClose([channel.min, channel.max, channel.mean], stats[c], 1e-4, `channel ${c}`);
    expect(readFileSync(join(dir, 'twice.svg'), 'utf8')).toContain('layer twice[1] (Conv2D)');
    const missing = convlens(['show-maps', folder, camera, '--layer', 'twice[2]']);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      "convlens: --layer twice[2]: show-maps: layer 'twice' is applied 2 times, so has no application 2 (counting from 0)\n",
    ]);
  });

  it("a shared model (applied twice): its layers counted once, a later application's offered and shown as block[1]/conv, its maps tfjs'", async () => {
    const folder = join(dir, 'shared_model');
    const input = tfl.input({ shape: [16, 16, 1], name: 'pixels' });
    const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor) => layer.apply(x) as tfl.SymbolicTensor;
    const block = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [16, 16, 1], name: 'conv' }),
        tfl.layers.conv2d({ filters: 1, kernelSize: 1, name: 'mix' }),
      ],
      name: 'block',
    });
    const pooled = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), apply(block, apply(block, input)));
    await saveTfjs(
      tfl.model({ inputs: input, outputs: apply(tfl.layers.dense({ units: 2, name: 'out' }), pooled), name: 'shared_block' }),
      folder,
    );
    const run = convlens(['show-maps', folder, camera]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('model shared_block (3 layers, 2 more in nested models); image 512×512×1');
    expect(run.stdout).toContain('layer block/conv (Conv2D)');
    expect(run.stderr).toContain(
      'Other layers with feature maps (--layer NAME): block, block/mix, block[1], block[1]/conv, block[1]/mix\n',
    );
    const shown = convlens(['show-maps', folder, camera, '--layer', 'block[1]/conv', '--json', '--out', join(dir, 'block.svg')]);
    expect(shown.code, shown.stderr).toBe(0);
    const report = json(shown.stdout);
    expect(report.layer).toBe('block[1]/conv');
    const once = block.predict(cameraBatch(1, 16)) as tf.Tensor;
    const expected = (block.getLayer('conv').apply(once) as tf.Tensor).dataSync() as Float32Array;
    const stats = statsOf(expected, 3);
    for (const [c, channel] of report.channels.entries())
      expectClose([channel.min, channel.max, channel.mean], stats[c], 1e-4, `channel ${c}`);
    expect(readFileSync(join(dir, 'block.svg'), 'utf8')).toContain('layer block[1]/conv (Conv2D)');
    const missing = convlens(['show-maps', folder, camera, '--layer', 'block[2]/conv']);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      "convlens: --layer block[2]/conv: show-maps: layer 'block' is applied 2 times, so has no application 2 (counting from 0)\n",
    ]);
  });

  it('a siamese encoder: an application without feature maps is refused by its label too; a model of two inputs is named as such', async () => {
    const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;
    const encoder = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [16, 16, 1], name: 'conv' }),
        tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      ],
      name: 'encoder',
    });
    const siamese = (inputs: tfl.SymbolicTensor[], second: tfl.SymbolicTensor) =>
      tfl.model({
        inputs,
        outputs: apply(tfl.layers.concatenate({ name: 'cat' }), [apply(encoder, inputs[0]), apply(encoder, second)]),
        name: 'siamese',
      });
    const pixels = tfl.input({ shape: [16, 16, 1], name: 'pixels' });
    const oneInput = join(dir, 'siamese_one_input');
    await saveTfjs(siamese([pixels], apply(tfl.layers.rescaling({ scale: -1, offset: 1, name: 'inverted' }), pixels)), oneInput);
    const mapsOnly = convlens(['show-maps', oneInput, camera, '--layer', 'encoder[1]', '--json']);
    expect([mapsOnly.code, mapsOnly.stderr, mapsOnly.stdout]).toEqual([
      2,
      "convlens: --layer encoder[1]: layer 'encoder[1]' outputs shape [2], not feature maps; these do: inverted, encoder/conv, encoder[1]/conv\n",
      '',
    ]);
    const pair = [tfl.input({ shape: [16, 16, 1], name: 'left' }), tfl.input({ shape: [16, 16, 1], name: 'right' })];
    const twoInputs = join(dir, 'siamese_two_inputs');
    await saveTfjs(siamese(pair, pair[1]), twoInputs);
    const shown = convlens(['show-maps', twoInputs, camera]);
    expect([shown.code, shown.stderr]).toEqual([
      1,
      "convlens: show-maps: model 'siamese' takes 2 inputs (left, right); show-maps gives a model one image\n",
    ]);
  });

  it('a model without feature maps at any depth says so', async () => {
    const folder = join(dir, 'flat_only');
    const head = new layers.Sequential([new layers.Flatten({ inputShape: [8, 8, 1] }), new layers.Dense({ units: 2 })], { name: 'head' });
    await new layers.Sequential([head, new layers.Dense({ units: 2 })], { name: 'classifier' }).save(folder);
    const run = convlens(['show-maps', folder, camera]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      "convlens: show-maps: no layer of model 'classifier' (nor of a model nested in it) outputs feature maps ([height, width, channels], or [channels, height, width] channels-first)",
    );
  });
});
