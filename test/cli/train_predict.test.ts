import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode_image.js';
import { encodePng } from '../../src/image/encode_png.js';
import { Add, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, Input, model, Sequential } from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/close.js';
import { tfjsLoad } from '../helpers/layers.js';
import { tf } from '../helpers/tf.js';
import { convlens, convlensStdoutClosed, jsonLines, pngSize, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/** Folders zero/, one/ and seven/ of `count` MNIST digits each (PNG), from the `mnist` package. */
function digitFolders(dir: string, count: number): string {
  const require = createRequire(import.meta.url);
  for (const [digit, name] of [
    [0, 'zero'],
    [1, 'one'],
    [7, 'seven'],
  ] as const) {
    mkdirSync(join(dir, name), { recursive: true });
    const { data } = JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${digit}.json`), 'utf8')) as { data: number[] };
    for (let k = 0; k < count; k++) {
      const pixels = Uint8Array.from(data.slice(k * 784, (k + 1) * 784), (v) => Math.round(v * 255));
      writeFileSync(join(dir, name, `${k}.png`), encodePng(new Tensor(pixels, [28, 28, 1], 'uint8')));
    }
  }
  return dir;
}

/** A saved two-class model whose weights are NaN, so every score it gives is NaN; its folder under `dir`. */
async function savedPoisonedModel(name: string): Promise<string> {
  const poisoned = new Sequential([new Flatten({ inputShape: [2, 2, 1] }), new Dense({ units: 2, activation: 'softmax' })]);
  poisoned.setWeights([
    new Tensor(new Float32Array(8).fill(Number.NaN), [4, 2], 'float32'),
    new Tensor(new Float32Array(2), [2], 'float32'),
  ]);
  const saved = join(dir, name);
  await poisoned.save(saved);
  return saved;
}

let dir: string;
let folder: string;
let trained: ReturnType<typeof convlens>;

beforeAll(() => {
  dir = tempDir();
  folder = digitFolders(join(dir, 'digits'), 40);
  trained = convlens([
    'train',
    folder,
    '--image-size',
    '28x28',
    '--channels',
    '1',
    '--epochs',
    '3',
    '--seed',
    '2',
    '--out',
    join(dir, 'run'),
  ]);
}, 180_000);

describe('convlens train FOLDER', { timeout: 180_000 }, () => {
  it('reads the class subfolders, holds out a validation share, trains, and writes the model with its class names and pictures', () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toContain(
      `${folder}: 120 images of 3 classes (one, seven, zero), 96 for training and 24 for validation, resized to 28×28`,
    );
    // 120 × 28 × 28 × 1 float32 values: kept after the first epoch (the default keeps up to a quarter of the memory)
    expect(trained.stdout).toContain('The decoded images (376 kB) are kept in memory after the first epoch');
    // the list of what was written lost its comma before "the first layer's pictures"
    expect(trained.stdout).toContain(
      "the most confident mistakes, the first layer's pictures, what the filters look for and where the model sees one image's class to ",
    );
    expect(trained.stdout).toContain('rescaling (Rescaling)');
    // Keras' summary table, a row per line (it was one line, its newlines written as \n)
    expect(trained.stdout).toMatch(/^ rescaling \(Rescaling\) +\(None, 28, 28, 1\) +0$/m);
    expect(trained.stdout).not.toContain('\\n');
    expect(trained.stdout).toMatch(/Validation accuracy [\d.]+% after 3 epochs/);
    // each class's share of its validation images, the counts adding up to the 24
    const perClass = [...trained.stdout.matchAll(/^ {2}(one|seven|zero) +[\d.]+% \((\d+) of (\d+)\)$/gm)];
    expect(perClass.map((m) => m[1])).toEqual(['one', 'seven', 'zero']);
    expect(perClass.reduce((n, m) => n + Number(m[3]), 0)).toBe(24);
    const right = perClass.reduce((n, m) => n + Number(m[2]), 0);
    expect(trained.stdout).toContain(`Validation accuracy ${((100 * right) / 24).toFixed(2)}%`);
    expect(pngSize(join(dir, 'run', 'confusion.png'))[0]).toBeGreaterThan(3 * 48);
    // the validation images the model got wrong, drawn when there are any
    expect(existsSync(join(dir, 'run', 'mistakes.png'))).toBe(right < 24);
    const run = join(dir, 'run');
    expect(JSON.parse(readFileSync(join(run, 'model', 'classes.json'), 'utf8'))).toEqual(['one', 'seven', 'zero']);
    expect(trained.stdout).toContain('and model.h5 for Keras, its classes in the order above)');
    expect(existsSync(join(run, 'model.h5'))).toBe(true); // evaluate MODEL FOLDER reads it
    const history = JSON.parse(readFileSync(join(run, 'history.json'), 'utf8'));
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(history.history.val_accuracy).toHaveLength(3);
    expect(readFileSync(join(run, 'accuracy.svg'), 'utf8')).toContain('Accuracy (validation: 24 images)');
    const [kw, kh] = pngSize(join(run, 'kernels.png'));
    expect(kw).toBeGreaterThan(8 * kh); // 16 kernels in a row
    expect(pngSize(join(run, 'feature-maps.png'))[0]).toBeGreaterThan(8 * 112);
    expect(pngSize(join(run, 'patterns.png'))[0]).toBeGreaterThan(8 * 84);
    // Grad-CAM of the first validation image, titled with the class the model predicts, by name
    expect(pngSize(join(run, 'saliency.png'))[0]).toBeGreaterThan(3 * 160);
  });

  it("with --augment, puts the Kaggle course's augmentation layers first; predict still reads its pixels as 0..255", async () => {
    const out = join(dir, 'augmented');
    const run = convlens(['train', folder, '--image-size', '28x28', '--channels', '1', '--epochs', '1', '--augment', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /random_flip \(RandomFlip\)[\s\S]*random_rotation \(RandomRotation\)[\s\S]*random_contrast \(RandomContrast\)[\s\S]*rescaling \(Rescaling\)/,
    );
    expect(run.stdout).toContain(
      "the most confident mistakes, augmented copies of one image, the first layer's pictures, what the filters",
    );
    // the first validation image and seven augmented copies, each 28×28 drawn 4 times as large, 4 to a row,
    // with a title and captions around them (src/cli/augmentation_figure.test.ts)
    const [aw, ah] = pngSize(join(out, 'augmentation.png'));
    expect(aw).toBeGreaterThan(4 * 112);
    expect(aw).toBeLessThan(5 * 112);
    expect(ah).toBeGreaterThan(2 * 112 + 28); // two rows of pictures and the title
    expect(ah).toBeLessThan(3 * 112);
    const maps = convlens(['show-maps', join(out, 'model'), join(folder, 'one', '0.png'), '--json']);
    expect(JSON.parse(maps.stdout).input).toBe("28×28×1, pixels 0..255 (the model's Rescaling layer scales them)");
  });

  it('still trains and writes the model when the reader of stdout has quit (| head), exit 0', async () => {
    const out = join(dir, 'piped');
    // RGB this time (the default --channels 3): the first layer's filters are drawn as colour pictures
    const run = await convlensStdoutClosed(['train', folder, '--image-size', '28x28', '--epochs', '1', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(join(out, 'model')).sort()).toEqual(['classes.json', 'model.json', 'weights.bin']);
    expect(pngSize(join(out, 'kernels.png'))).toEqual([2 * 12 + 8 * 48 + 7 * 8, 2 * 12 + 28 + 2 * (48 + 12 + 4) + 8]);
  });

  it('trains again into the same --out, replacing the model and its classes.json; refuses, before training, a model folder holding other files', () => {
    const out = join(dir, 'again');
    const args = ['train', folder, '--image-size', '28x28', '--channels', '1', '--epochs', '1', '--out', out];
    expect(convlens(args).code).toBe(0);
    const again = convlens(args);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'model', 'classes.json'), 'utf8'))).toEqual(['one', 'seven', 'zero']);
    // the new model was written beside the old one and swapped in, model.h5 under a temporary name
    // and renamed: nothing else is left
    expect(
      readdirSync(out)
        .filter((f) => f.startsWith('model'))
        .sort(),
    ).toEqual(['model', 'model.h5']);
    expect(readdirSync(join(out, 'model')).sort()).toEqual(['classes.json', 'model.json', 'weights.bin']);
    writeFileSync(join(out, 'model', 'notes.txt'), 'mine');
    const refused = convlens(args);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      `convlens: cannot write the model to ${join(out, 'model')}: it holds files that are not part of a saved model (notes.txt)\n`,
    ]);
    expect(refused.stdout).toBe('');
  });

  it('warns of a class subfolder without images (Keras keeps it as a class)', () => {
    const withEmpty = join(dir, 'with-empty');
    for (const name of ['one', 'zero']) {
      mkdirSync(join(withEmpty, name), { recursive: true });
      for (let k = 0; k < 10; k++) writeFileSync(join(withEmpty, name, `${k}.png`), readFileSync(join(folder, name, `${k}.png`)));
    }
    mkdirSync(join(withEmpty, 'nothing'));
    const run = convlens([
      'train',
      withEmpty,
      '--image-size',
      '28x28',
      '--channels',
      '1',
      '--epochs',
      '1',
      '--out',
      join(dir, 'empty-out'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`train: 'nothing' in ${withEmpty} has no images: a class the model cannot learn`);
  });

  it('refuses a folder with one class, images too small for the network, and a split that leaves nothing to validate', () => {
    const one = join(dir, 'one-class');
    mkdirSync(join(one, 'only'), { recursive: true });
    writeFileSync(join(one, 'only', 'a.png'), readFileSync(join(folder, 'one', '0.png')));
    // these are refused from the folder's listing, before any image is decoded (a broken one included)
    writeFileSync(join(one, 'only', 'broken.png'), 'not a PNG');
    const few = join(dir, 'two-images');
    mkdirSync(join(few, 'a'), { recursive: true });
    mkdirSync(join(few, 'b'), { recursive: true });
    writeFileSync(join(few, 'a', '0.png'), readFileSync(join(folder, 'one', '0.png')));
    writeFileSync(join(few, 'b', 'broken.png'), 'not a PNG');
    const blocked = join(dir, 'blocked');
    mkdirSync(join(blocked, 'model.h5'), { recursive: true });
    // a folder that is not what training needs is an input that failed (1); settings that cannot work, a usage error (2)
    const cases: [string[], string, number][] = [
      [['train', one, '--out', join(dir, 'x')], `${one} has one class (only): a classifier needs two subfolders of images at least`, 1],
      [
        ['train', folder, '--image-size', '4x4', '--out', join(dir, 'x')],
        '--image-size 4x4: the network pools three times, so images need 8×8 pixels at least',
        2,
      ],
      [
        ['train', folder, '--validation-split', '0.001', '--out', join(dir, 'x')],
        '--validation-split 0.001 of 120 images leaves none for validation',
        2,
      ],
      [['train', few, '--out', join(dir, 'x')], '--validation-split 0.2 of 2 images leaves none for validation', 2],
      [['train', folder, '--validation-split', '1.5'], '--validation-split must be a number between 0 and 1 (exclusive), got "1.5"', 2],
      [['train', folder, '--validation-split', '0'], '--validation-split must be a number between 0 and 1 (exclusive), got "0"', 2],
      [['train', join(dir, 'nowhere')], `cannot read ${join(dir, 'nowhere')}: no such folder`, 1],
      // --out is checked before the images are read
      [['train', join(dir, 'nowhere'), '--out', '/proc/x'], 'cannot write to --out /proc/x: ', 2],
      // and so is the Keras file it will write, before minutes of training
      [['train', folder, '--out', blocked], `cannot write the model to ${join(blocked, 'model.h5')}: it is a folder`, 2],
    ];
    for (const [args, message, code] of cases) {
      const run = convlens(args);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr).toContain(message);
    }
  });
});

describe('convlens train: settings too large to train on', { timeout: 180_000 }, () => {
  it('an --image-size no array can hold a layer output of is refused before any output, naming the option and the limit (it failed after the summary)', () => {
    const out = join(dir, 'huge');
    const run = convlens(['train', folder, '--image-size', '100000x100000', '--out', out]);
    expect([run.code, run.stdout]).toEqual([2, '']);
    // the first Conv2D's output: 32 images (of the 96 for training) × 100000 × 100000 × 16 filters
    expect(run.stderr).toBe(
      'convlens: --image-size 100000x100000: training on batches of 32 images makes a layer output of 5,120,000,000,000 values, more than the limit of 4,294,967,296 one array holds: give a smaller --image-size or --batch-size\n',
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('convlens predict MODEL IMAGE...', { timeout: 180_000 }, () => {
  it("gives each image's classes, best first, with the scores tfjs-layers computes from the same saved model", async () => {
    const images = [join(folder, 'seven', '39.png'), join(folder, 'zero', '1.png')];
    const run = convlens(['predict', join(dir, 'run', 'model'), ...images, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const modelJson = JSON.parse(readFileSync(join(dir, 'run', 'model', 'model.json'), 'utf8'));
    const weights = readFileSync(join(dir, 'run', 'model', 'weights.bin'));
    const theirs = await tfjsLoad(modelJson, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
    for (const [i, line] of lines.entries()) {
      expect(line.input).toBe(images[i]);
      const classes = line.predictions.map((p: { class: string }) => p.class);
      expect([...classes].sort()).toEqual(['one', 'seven', 'zero']);
      const scores = line.predictions.map((p: { score: number }) => p.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      // tfjs' model on the decoded pixels (0..255: the model's Rescaling layer scales them)
      const pixels = decodeImage(readFileSync(images[i]), { channels: 1 });
      const expected = (theirs.predict(tf.tensor(Array.from(pixels.data), [1, 28, 28, 1])) as tf.Tensor).dataSync();
      const byClass = ['one', 'seven', 'zero'].map((c) => scores[classes.indexOf(c)]);
      expectClose(byClass, expected, 1e-5, images[i]);
    }
    // a name with control characters (an escape that would drive the terminal, a newline) stays one line, written as \\x1b and \\n
    const oddName = join(dir, 'odd\x1b[2J\n.png');
    writeFileSync(oddName, readFileSync(images[0]));
    const text = convlens(['predict', join(dir, 'run', 'model'), images[0], oddName, '--top', '1']);
    expect(text.stdout).toMatch(
      new RegExp(
        `^${images[0]}: (one|seven|zero) \\d+\\.\\d%\\n${join(dir, 'odd')}\\\\x1b\\[2J\\\\n\\.png: (one|seven|zero) \\d+\\.\\d%\\n$`,
      ),
    );
  });

  it('stops, says so and exits 141 when the reader of stdout quits (| head), as extract does: its product is what it prints', async () => {
    const images = [join(folder, 'seven', '39.png'), join(folder, 'zero', '1.png'), join(folder, 'one', '2.png')];
    for (const json of [[], ['--json']]) {
      const run = await convlensStdoutClosed(['predict', join(dir, 'run', 'model'), ...images, ...json]);
      expect([run.code, run.stderr]).toEqual([141, 'convlens: stdout was closed (its reader quit): predict stopped\n']);
    }
  });

  it("given the training run's --out folder instead of its model folder, says where the model is", () => {
    const run = convlens(['predict', join(dir, 'run'), join(folder, 'one', '0.png')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the model of this training run is in ${join(dir, 'run', 'model')}`);
  });

  it('reports an image it cannot read and goes on with the others (exit 1); refuses a classes.json that does not fit', () => {
    const model = join(dir, 'run', 'model');
    const run = convlens(['predict', model, join(dir, 'missing.png'), join(folder, 'one', '0.png')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`convlens: predict: cannot read ${join(dir, 'missing.png')}: no such file or directory\n`);
    expect(run.stdout).toMatch(/^.*one\/0\.png: /);
    // --json: the fault alone in `error`, as extract gives it, since `input` names the file
    const broken = join(dir, 'broken.png');
    writeFileSync(broken, readFileSync(join(folder, 'one', '0.png')).subarray(0, 40));
    const json = convlens(['predict', model, join(dir, 'missing.png'), broken, '--json']);
    expect([json.code, jsonLines(json.stdout)]).toEqual([
      1,
      [
        { input: join(dir, 'missing.png'), status: 'failed', error: 'no such file or directory' },
        { input: broken, status: 'failed', error: expect.stringMatching(/^decodeImage: data is truncated/) },
      ],
    ]);
    const copy = join(dir, 'copy');
    mkdirSync(copy);
    for (const f of ['model.json', 'weights.bin']) writeFileSync(join(copy, f), readFileSync(join(model, f)));
    writeFileSync(join(copy, 'classes.json'), '["a", "b"]');
    const wrong = convlens(['predict', copy, join(folder, 'one', '0.png')]);
    expect([wrong.code, wrong.stderr]).toEqual([
      1,
      `convlens: predict: ${join(copy, 'classes.json')} must list the model's 3 class names, got ["a", "b"]\n`,
    ]);
    // one that cannot be read is named (a device was read without end)
    rmSync(join(copy, 'classes.json'));
    symlinkSync('/dev/zero', join(copy, 'classes.json'));
    const device = convlens(['predict', copy, join(folder, 'one', '0.png')]);
    expect([device.code, device.stderr]).toEqual([1, `convlens: predict: cannot read ${join(copy, 'classes.json')}: not a regular file\n`]);
    // without classes.json, classes go by index
    rmSync(join(copy, 'classes.json'));
    expect(convlens(['predict', copy, join(folder, 'one', '0.png')]).stdout).toMatch(/: [012] [\d.]+%, [012] [\d.]+%, [012] [\d.]+%\n$/);
  });

  it('refuses, once and naming them, a model of two inputs (a siamese one) and a model of two outputs', async () => {
    const image = join(folder, 'one', '0.png');
    const [left, right] = [Input({ shape: [28, 28, 1], name: 'left' }), Input({ shape: [28, 28, 1], name: 'right' })];
    const encoder = new Sequential([new Flatten({ inputShape: [28, 28, 1] }), new Dense({ units: 2 })], { name: 'encoder' });
    const siamese = join(dir, 'siamese');
    await model({ inputs: [left, right], outputs: new Add().apply([encoder.apply(left), encoder.apply(right)]), name: 'siamese' }).save(
      siamese,
    );
    const pair = convlens(['predict', siamese, image, image]);
    expect([pair.code, pair.stderr]).toEqual([
      1,
      "convlens: predict: model 'siamese' takes 2 inputs (left, right); predict gives a model one image\n",
    ]);
    const flat = new Flatten().apply(left);
    const twoOutputs = join(dir, 'two-outputs');
    const outputs = [new Dense({ units: 2, name: 'p' }).apply(flat), new Dense({ units: 3, name: 'q' }).apply(flat)];
    await model({ inputs: left, outputs, name: 'two_heads' }).save(twoOutputs);
    const two = convlens(['predict', twoOutputs, image]);
    expect([two.code, two.stderr]).toEqual([
      1,
      "convlens: predict: model 'two_heads' has 2 outputs (p, q), not one score per class (show-maps shows a layer's outputs)\n",
    ]);
  });

  it('reads a classes.json written with a byte-order mark (Windows Notepad)', async () => {
    const image = join(folder, 'one', '0.png');
    const classifier = new Sequential([new Flatten({ inputShape: [2, 2, 1] }), new Dense({ units: 2, activation: 'softmax' })]);
    const saved = join(dir, 'hand-named');
    await classifier.save(saved);
    writeFileSync(join(saved, 'classes.json'), '\uFEFF["cat", "dog"]\r\n');
    const run = convlens(['predict', saved, image, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(
      JSON.parse(run.stdout)
        .predictions.map((p: { class: string }) => p.class)
        .sort(),
    ).toEqual(['cat', 'dog']);
  });

  it('writes a score that is not a number as "NaN" in --json, as extract and show-maps do (not null)', async () => {
    const image = join(folder, 'one', '0.png');
    const saved = await savedPoisonedModel('poisoned');
    const run = convlens(['predict', saved, image, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).predictions.map((p: { score: unknown }) => p.score)).toEqual(['NaN', 'NaN']);
  });

  it('reads a one-unit output as a binary classifier: a sigmoid as P(class 1), a linear unit as its logit; refuses other activations', async () => {
    const image = join(folder, 'one', '0.png');
    const binary = async (activation: 'sigmoid' | 'linear' | 'relu') => {
      const model = new Sequential([new Flatten({ inputShape: [2, 2, 1] }), new Dense({ units: 1, activation })]);
      model.layers[1].setWeights([new Tensor(new Float32Array(4), [4, 1], 'float32'), new Tensor(Float32Array.of(2), [1], 'float32')]);
      const out = join(dir, `binary-${activation}`);
      await model.save(out);
      return convlens(['predict', out, image]);
    };
    // the same logit, 2: σ(2) = 0.881 either way
    expect((await binary('sigmoid')).stdout).toBe(`${image}: 1 88.1%, 0 11.9%\n`);
    expect((await binary('linear')).stdout).toBe(`${image}: 1 88.1%, 0 11.9%\n`);
    // σ(2) = 1 / (1 + e^-2)
    const p = 1 / (1 + Math.exp(-2));
    const expected = `${image}: 1 ${(100 * p).toFixed(1)}%, 0 ${(100 * (1 - p)).toFixed(1)}%\n`;
    // the sigmoid before a Dropout or a pooling, or inside a nested model, is the output's: not
    // read as a logit and put through a second sigmoid (σ(0.881): 70.7%)
    const dense = () => new Dense({ units: 1, activation: 'sigmoid', inputShape: [4] });
    for (const [name, layers] of [
      ['dropout', [new Flatten({ inputShape: [2, 2, 1] }), dense(), new Dropout({ rate: 0.5 })]],
      ['nested', [new Flatten({ inputShape: [2, 2, 1] }), new Sequential([dense()], { name: 'head' })]],
      // a fully convolutional one: a 1-filter sigmoid map, averaged
      ['pooled', [new Conv2D({ filters: 1, kernelSize: 1, activation: 'sigmoid', inputShape: [2, 2, 1] }), new GlobalAveragePooling2D()]],
    ] as const) {
      const classifier = new Sequential([...layers]);
      const unit = classifier.flatLayers().find((layer) => layer instanceof Dense || layer instanceof Conv2D);
      const inputs = unit instanceof Dense ? 4 : 1;
      const shape = unit instanceof Dense ? [4, 1] : [1, 1, 1, 1];
      unit?.setWeights([new Tensor(new Float32Array(inputs), shape, 'float32'), new Tensor(Float32Array.of(2), [1], 'float32')]);
      const out = join(dir, `binary-${name}`);
      await classifier.save(out);
      const run = convlens(['predict', out, image]);
      expect([run.code, run.stdout], name).toEqual([0, expected]);
    }
    const relu = await binary('relu');
    expect([relu.code, relu.stderr]).toEqual([
      1,
      "convlens: predict: the model outputs one value per image with activation relu, not a binary classifier's probability (sigmoid) or logit (linear)\n",
    ]);
  });
});

describe('convlens predict MODEL FOLDER', { timeout: 180_000 }, () => {
  it("gives a folder's images at any depth, in sorted order, as if each were named; a folder of none is reported (exit 1)", () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'b'), { recursive: true });
    writeFileSync(join(tree, 'z.png'), readFileSync(join(folder, 'zero', '3.png')));
    writeFileSync(join(tree, 'b', 'a.png'), readFileSync(join(folder, 'seven', '3.png')));
    writeFileSync(join(tree, 'notes.txt'), 'not an image');
    const modelDir = join(dir, 'run', 'model');
    const byFolder = convlens(['predict', modelDir, tree, '--top', '1']);
    expect(byFolder.code, byFolder.stderr).toBe(0);
    const named = convlens(['predict', modelDir, join(tree, 'b', 'a.png'), join(tree, 'z.png'), '--top', '1']);
    expect(byFolder.stdout).toBe(named.stdout);
    expect(byFolder.stdout.split('\n')).toHaveLength(3);
    mkdirSync(join(dir, 'no-images'));
    const empty = convlens(['predict', modelDir, join(dir, 'no-images'), join(tree, 'z.png'), '--top', '1']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe(`convlens: predict: ${join(dir, 'no-images')}: the folder holds no PNG, JPEG, GIF or BMP images\n`);
    expect(empty.stdout).toBe(`${named.stdout.split('\n')[1]}\n`);
  });
});

describe('convlens evaluate MODEL FOLDER', { timeout: 180_000 }, () => {
  it("counts each class's images by the class the model picks, as tfjs-layers' predictions of the same saved model count them", async () => {
    const out = join(dir, 'evaluated');
    const run = convlens(['evaluate', join(dir, 'run', 'model'), folder, '--json', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.classes).toEqual(['one', 'seven', 'zero']);
    expect(result.images).toBe(120);
    // tfjs-layers on every image of the folder: its argmax against the folder it is in
    const modelJson = JSON.parse(readFileSync(join(dir, 'run', 'model', 'model.json'), 'utf8'));
    const weights = readFileSync(join(dir, 'run', 'model', 'weights.bin'));
    const theirs = await tfjsLoad(modelJson, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
    const labels: number[] = [];
    const pixels: number[] = [];
    const files: string[] = [];
    for (const [k, name] of ['one', 'seven', 'zero'].entries()) {
      for (const file of readdirSync(join(folder, name))) {
        labels.push(k);
        files.push(join(folder, name, file));
        pixels.push(...decodeImage(readFileSync(join(folder, name, file)), { channels: 1 }).data);
      }
    }
    const scores = theirs.predict(tf.tensor(pixels, [labels.length, 28, 28, 1])) as tf.Tensor;
    const picked = tf.argMax(scores, 1);
    const expected = tf.math.confusionMatrix(tf.tensor1d(labels, 'int32'), picked as tf.Tensor1D, 3).arraySync() as number[][];
    expect(result.confusion).toEqual(expected);
    const right = expected[0][0] + expected[1][1] + expected[2][2];
    expect(result.accuracy).toBeCloseTo(right / 120, 12);
    expect(result.perClass.map((c: { right: number; total: number }) => [c.right, c.total])).toEqual(
      expected.map((row, k) => [row[k], 40]),
    );
    expect(result.picture).toBe(join(out, 'confusion.png'));
    expect(pngSize(join(out, 'confusion.png'))[0]).toBeGreaterThan(3 * 48);
    // the mistakes, most confident first: the files tfjs' argmax gets wrong, with tfjs' score of the class it picks
    const theirPicks = picked.dataSync();
    const theirScores = scores.arraySync() as number[][];
    const wrong = files.flatMap((file, i) =>
      theirPicks[i] === labels[i]
        ? []
        : [{ input: file, predicted: ['one', 'seven', 'zero'][theirPicks[i]], score: theirScores[i][theirPicks[i]] }],
    );
    expect(result.mistakes).toHaveLength(Math.min(32, wrong.length));
    const byInput = new Map(wrong.map((m) => [m.input, m]));
    for (const m of result.mistakes) {
      expect(byInput.get(m.input)?.predicted, m.input).toBe(m.predicted);
      expect(m.score).toBeCloseTo(byInput.get(m.input)!.score, 5);
    }
    const listed = result.mistakes.map((m: { score: number }) => m.score);
    expect(listed).toEqual([...listed].sort((a, b) => b - a));
    expect(result.mistakesPicture).toBe(wrong.length > 0 ? join(out, 'mistakes.png') : null);
    if (wrong.length > 0) expect(pngSize(join(out, 'mistakes.png'))[0]).toBeGreaterThan(Math.min(wrong.length, 8) * 96);
    // the same as text: the overall accuracy, then each class's
    const text = convlens(['evaluate', join(dir, 'run', 'model'), folder]);
    expect(text.stdout.split('\n')[0]).toBe(`Accuracy ${((100 * right) / 120).toFixed(2)}% (${right} of 120 images in ${folder})`);
    expect(text.stdout).toContain(`  one    ${((100 * expected[0][0]) / 40).toFixed(1).padStart(5)}% (${expected[0][0]} of 40)`);
    // the Keras file train wrote beside the model folder: no classes.json names its classes, so the
    // subfolders are its classes in sorted order, as training numbered them; tfjs' count again
    const keras = convlens(['evaluate', join(dir, 'run', 'model.h5'), folder, '--json']);
    expect(keras.code, keras.stderr).toBe(0);
    expect(JSON.parse(keras.stdout).confusion).toEqual(expected);
  });

  it('reports an image it cannot read and counts the others (exit 1); matches folders by name, refusing one the model does not know', () => {
    const mixed = join(dir, 'mixed');
    mkdirSync(join(mixed, 'seven'), { recursive: true });
    mkdirSync(join(mixed, 'zero'), { recursive: true });
    writeFileSync(join(mixed, 'seven', 'a.png'), readFileSync(join(folder, 'seven', '0.png')));
    writeFileSync(join(mixed, 'zero', 'a.png'), readFileSync(join(folder, 'zero', '0.png')));
    writeFileSync(join(mixed, 'zero', 'broken.png'), 'not a png');
    const run = convlens(['evaluate', join(dir, 'run', 'model'), mixed, '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`convlens: ${join(mixed, 'zero', 'broken.png')}: decodeImage: data is not a known image format`);
    const result = JSON.parse(run.stdout);
    // two folders of the model's three classes: 'one' has no images, the others their own rows
    expect([result.images, result.failed]).toEqual([2, 1]);
    expect(result.perClass.map((c: { total: number }) => c.total)).toEqual([0, 1, 1]);
    mkdirSync(join(mixed, 'eight'));
    writeFileSync(join(mixed, 'eight', 'a.png'), readFileSync(join(folder, 'seven', '0.png')));
    const unknown = convlens(['evaluate', join(dir, 'run', 'model'), mixed]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `convlens: evaluate: ${join(mixed, 'eight')} is not one of the model's classes (one, seven, zero), as classes.json beside its model.json names them\n`,
    );
    expect(unknown.stdout).toBe('');
  });
});

describe('convlens train: a class folder named with a control character', { timeout: 120_000 }, () => {
  it('prints the name as printable text and draws it in confusion.png (the SVG was unreadable, the run failed)', () => {
    const named = join(dir, 'control');
    const bad = 'bad\u001b[31mred';
    for (const [name, from] of [
      [bad, 'one'],
      ['zero', 'zero'],
    ]) {
      mkdirSync(join(named, name), { recursive: true });
      for (let k = 0; k < 10; k++) writeFileSync(join(named, name, `${k}.png`), readFileSync(join(folder, from, `${k}.png`)));
    }
    const out = join(dir, 'control-run');
    const run = convlens(['train', named, '--image-size', '28x28', '--channels', '1', '--epochs', '1', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stdout).toMatch(/^ {2}bad\\x1b\[31mred +[\d.]+% \(\d+ of \d+\)$/m);
    expect(pngSize(join(out, 'confusion.png'))[0]).toBeGreaterThan(2 * 48);
  });
});

describe('convlens evaluate: a model without classes.json', { timeout: 60_000 }, () => {
  it('names each class by the folder at its place, warning when numbered folders do not sort in numeric order', async () => {
    // a model that always picks class 2, and folders 0 to 11 of one image each
    const always2 = new Sequential([new Flatten({ inputShape: [28, 28, 1] }), new Dense({ units: 12, activation: 'softmax' })]);
    const bias = new Float32Array(12);
    bias[2] = 5;
    always2.layers[1].setWeights([new Tensor(new Float32Array(784 * 12), [784, 12], 'float32'), new Tensor(bias, [12], 'float32')]);
    const saved = join(dir, 'always2');
    await always2.save(saved);
    const twelve = join(dir, 'twelve');
    const names = Array.from({ length: 12 }, (_, k) => String(k));
    for (const name of names) {
      mkdirSync(join(twelve, name), { recursive: true });
      writeFileSync(join(twelve, name, 'a.png'), readFileSync(join(folder, 'one', '0.png')));
    }
    const run = convlens(['evaluate', saved, twelve, '--json']);
    expect(run.code, run.stderr).toBe(0);
    // Keras' image_dataset_from_directory numbers the folders in Python's sorted() order: class 2 is '10'
    const sorted = [...names].sort();
    expect(sorted[2]).toBe('10');
    const result = JSON.parse(run.stdout);
    expect(result.classes).toEqual(sorted);
    expect(result.perClass.filter((c: { right: number }) => c.right > 0).map((c: { class: string }) => c.class)).toEqual(['10']);
    expect(run.stderr).toContain('folder 10 is class 2');
    // folders 0 to 9 sort in numeric order: no warning
    rmSync(join(twelve, '10'), { recursive: true });
    rmSync(join(twelve, '11'), { recursive: true });
    const ten = new Sequential([new Flatten({ inputShape: [28, 28, 1] }), new Dense({ units: 10, activation: 'softmax' })]);
    await ten.save(join(dir, 'ten'));
    const quiet = convlens(['evaluate', join(dir, 'ten'), twelve]);
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
  });

  it('says "the most confident mistake" when there is one, not "the 1 most confident mistakes"', async () => {
    // a model that always picks class 1: each image in folder 0 is a mistake
    const always1 = new Sequential([new Flatten({ inputShape: [28, 28, 1] }), new Dense({ units: 2, activation: 'softmax' })]);
    always1.layers[1].setWeights([
      new Tensor(new Float32Array(784 * 2), [784, 2], 'float32'),
      new Tensor(Float32Array.from([0, 5]), [2], 'float32'),
    ]);
    const saved = join(dir, 'always1');
    await always1.save(saved);
    const image = readFileSync(join(folder, 'one', '0.png'));
    const evaluate = (name: string, zeros: number, ones: number) => {
      const two = join(dir, name);
      for (const [k, count] of [zeros, ones].entries()) {
        mkdirSync(join(two, String(k)), { recursive: true });
        for (let i = 0; i < count; i++) writeFileSync(join(two, String(k), `${i}.png`), image);
      }
      const run = convlens(['evaluate', saved, two, '--out', join(dir, `${name}-out`)]);
      expect(run.code, run.stderr).toBe(0);
      return { stdout: run.stdout, gallery: join(dir, `${name}-out`, 'mistakes.png') };
    };
    const one = evaluate('one-mistake', 1, 2);
    expect(one.stdout).toContain('Accuracy 66.67% (2 of 3 images');
    expect(one.stdout).toContain(`Wrote the most confident mistake to ${one.gallery}\n`);
    const two = evaluate('two-mistakes', 2, 1);
    expect(two.stdout).toContain('Accuracy 33.33% (1 of 3 images');
    expect(two.stdout).toContain(`Wrote the 2 most confident mistakes to ${two.gallery}\n`);
  });

  it('refuses a folder whose class folders are not as many as the model scores, counting them in words that agree', () => {
    const single = join(dir, 'single-class');
    mkdirSync(join(single, 'only'), { recursive: true });
    writeFileSync(join(single, 'only', 'a.png'), readFileSync(join(folder, 'one', '0.png')));
    const run = convlens(['evaluate', join(dir, 'ten'), single]);
    expect([run.code, run.stdout]).toEqual([1, '']);
    expect(run.stderr).toBe(
      `convlens: evaluate: ${single} has 1 class folder (only) but the model scores 10 classes; without a classes.json beside model.json, the folders are its classes in sorted order\n`,
    );
  });
});

describe('convlens evaluate: a broken model, an --out inside the folder', { timeout: 60_000 }, () => {
  it('warns when the model scores images with NaN, whose classes then mean nothing', async () => {
    const saved = await savedPoisonedModel('poisoned-for-evaluate');
    const two = join(dir, 'two-classes');
    for (const name of ['a', 'b']) {
      mkdirSync(join(two, name), { recursive: true });
      writeFileSync(join(two, name, '0.png'), readFileSync(join(folder, 'one', '0.png')));
    }
    const run = convlens(['evaluate', saved, two, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe(
      'convlens: evaluate: the model gave scores that are not numbers (NaN) for 2 of 2 images; their predicted classes mean nothing (each is the one argMax gives)\n',
    );
    expect(JSON.parse(run.stdout).confusion).toEqual([
      [1, 0],
      [1, 0],
    ]);
  });

  it('refuses an --out inside the folder it evaluates (its pictures would be a class of the next run), exit 2', () => {
    const run = convlens(['evaluate', join(dir, 'run', 'model'), folder, '--out', join(folder, 'checked')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `convlens: --out ${join(folder, 'checked')} is inside the folder evaluated, ${folder}: choose a folder outside it\n`,
    );
    expect(existsSync(join(folder, 'checked'))).toBe(false);
  });
});

describe('convlens summary MODEL', { timeout: 60_000 }, () => {
  it("lists the layers, output shapes and parameter counts tfjs-layers reads from the same file; as Keras' table without --json", async () => {
    const modelDir = join(dir, 'run', 'model');
    const run = convlens(['summary', modelDir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const ours = JSON.parse(run.stdout);
    const modelJson = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
    const weights = readFileSync(join(modelDir, 'weights.bin'));
    const theirs = await tfjsLoad(modelJson, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
    expect(
      ours.layers.map((l: { name: string; className: string; outputShape: unknown; params: number }) => [
        l.name,
        l.className,
        l.outputShape,
        l.params,
      ]),
    ).toEqual(theirs.layers.map((l) => [l.name, l.getClassName(), l.outputShape, l.countParams()]));
    expect(ours.totalParams).toBe(theirs.countParams());
    const text = convlens(['summary', modelDir]);
    expect(text.stdout).toMatch(/^Model: "sequential[^"]*"\n_+\n Layer \(type\) +Output Shape +Param #\n/);
    expect(text.stdout).toContain(`Total params: ${theirs.countParams().toLocaleString('en-US')}\n`);
    expect(text.stdout).toContain('takes (None, 28, 28, 1) (channels_last)');
  });

  it('names no image layout nor feature maps for a model of vectors', async () => {
    const vectors = join(dir, 'vectors');
    await new Sequential([new Dense({ units: 4, inputShape: [10] }), new Dense({ units: 2, activation: 'softmax' })], { name: 'mlp' }).save(
      vectors,
    );
    const run = convlens(['summary', vectors]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.endsWith('\nmlp takes (None, 10)\n')).toBe(true);
  });
});
