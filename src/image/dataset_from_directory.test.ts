import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../../test/helpers/close.js';
import { expectConvlensRejection } from '../../test/helpers/errors.js';
import { bmpOfRgb, gif, paint } from '../../test/helpers/image_files.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Tensor } from '../tensor/tensor.js';
import { imageDatasetFromDirectory, indexDirectory } from './dataset_from_directory.js';
import { decodeImage } from './decode_image.js';
import { encodePng } from './encode_png.js';

const samples = new URL('../../assets/images/', import.meta.url).pathname;
let root: string;

/** A random RGBA PNG of `h`×`w`. */
function png(seed: number, h: number, w: number): Uint8Array {
  const rng = caseRng('dataset png', seed);
  return encodePng(
    new Tensor(
      Uint8Array.from({ length: h * w * 4 }, () => rng.ints(1, 0, 255)[0]),
      [h, w, 4],
      'uint8',
    ),
  );
}

/** Writes `files` (relative path → bytes) under a new folder of `root`. */
function folder(name: string, files: Record<string, Uint8Array | string>): string {
  const dir = join(root, name);
  for (const [file, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), bytes);
  }
  return dir;
}

const quiet = { verbose: false } as const;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'convlens-dataset-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('imageDatasetFromDirectory (Keras image_dataset_from_directory)', () => {
  it("finds classes and files in Keras' order: classes sorted, then each class's folders by path and files by name", async () => {
    const dir = folder('order', {
      'b/2.png': png(0, 5, 4),
      'b/10.png': png(1, 6, 3),
      'a/zeta.png': png(2, 4, 4),
      'a/deeper/alpha.jpg': readFileSync(join(samples, 'rocket.jpg')),
      'a/Beta.PNG': png(3, 3, 5),
      'a/notes.txt': 'not an image',
      'top.png': png(4, 2, 2), // not in a class folder: left out, as Keras does
    });
    const data = await imageDatasetFromDirectory(dir, { ...quiet, shuffle: false, imageSize: [8, 8] });
    expect(data.classNames).toEqual(['a', 'b']);
    expect(data.filePaths.map((f) => f.slice(dir.length + 1))).toEqual([
      'a/Beta.PNG',
      'a/zeta.png',
      'a/deeper/alpha.jpg',
      'b/10.png',
      'b/2.png',
    ]);
    expect(data.x.shape).toEqual([5, 8, 8, 3]);
    expect(data.y?.dtype).toBe('int32');
    expect(Array.from(data.y!.data)).toEqual([0, 0, 0, 1, 1]);
    // the same listing without decoding (Keras' index_directory), for checks before the slow part
    const index = await indexDirectory(dir, { imageSize: [8, 8] });
    expect(index).toEqual({ filePaths: data.filePaths, labels: [0, 0, 0, 1, 1], classNames: ['a', 'b'] });
  });

  it('gives the pixels tf.image.resize gives (bilinear or nearest, half-pixel centres) in 0..255, in each colour mode', async () => {
    const dir = folder('pixels', { 'c/photo.jpg': readFileSync(join(samples, 'rocket.jpg')), 'c/random.png': png(5, 7, 9) });
    for (const colorMode of ['grayscale', 'rgb', 'rgba'] as const) {
      for (const interpolation of ['bilinear', 'nearest'] as const) {
        const channels = { grayscale: 1, rgb: 3, rgba: 4 }[colorMode] as 1 | 3 | 4;
        const data = await imageDatasetFromDirectory(dir, { ...quiet, shuffle: false, imageSize: [12, 10], colorMode, interpolation });
        expect(data.x.dtype).toBe('float32');
        expect(data.x.shape).toEqual([2, 12, 10, channels]);
        data.filePaths.forEach((file, n) => {
          const decoded = decodeImage(readFileSync(file), { channels });
          const img = tf.tensor(Array.from(decoded.data), decoded.shape, 'int32');
          const expected =
            interpolation === 'bilinear'
              ? tf.image.resizeBilinear(img as tf.Tensor3D, [12, 10], false, true)
              : tf.image.resizeNearestNeighbor(img as tf.Tensor3D, [12, 10], false, true);
          const size = 12 * 10 * channels;
          expectClose(data.x.data.subarray(n * size, (n + 1) * size), expected.dataSync(), 1e-3, `${colorMode} ${interpolation} ${file}`);
        });
      }
    }
  });

  it('reads BMP files and the first frame of GIFs among PNGs and JPEGs, as Keras does', async () => {
    // 2×3 images whose pixels are known: a GIF of two frames (omggif's encoder) and a 24-bit BMP (by hand)
    const palette = [0x0a141e, 0x28323c, 0x46505a, 0xff0000];
    const frames = [
      { width: 3, height: 2, pixels: [0, 1, 2, 3, 2, 1] },
      { width: 3, height: 2, pixels: [3, 3, 3, 3, 3, 3] },
    ];
    const bmpPixels = Array.from({ length: 18 }, (_, i) => i * 10);
    const dir = folder('mixed', {
      'a/1.png': png(13, 2, 3),
      'a/2.GIF': gif([2, 3], frames, palette),
      'b/1.bmp': bmpOfRgb(bmpPixels, 2, 3),
      'b/2.jpg': readFileSync(join(samples, 'rocket.jpg')),
    });
    const data = await imageDatasetFromDirectory(dir, { ...quiet, shuffle: false, imageSize: [2, 3] });
    expect(data.filePaths.map((f) => f.slice(dir.length + 1))).toEqual(['a/1.png', 'a/2.GIF', 'b/1.bmp', 'b/2.jpg']);
    expect(data.x.shape).toEqual([4, 2, 3, 3]);
    expect(Array.from(data.x.data.subarray(18, 36))).toEqual(paint(frames[0].pixels, palette));
    expect(Array.from(data.x.data.subarray(36, 54))).toEqual(bmpPixels);
    const gray = await imageDatasetFromDirectory(dir, { ...quiet, shuffle: false, imageSize: [2, 3], colorMode: 'grayscale' });
    expect(gray.x.shape).toEqual([4, 2, 3, 1]);
  });

  it("labels as Keras' labelMode says: int, categorical (one-hot), binary ([N, 1]), or none", async () => {
    const dir = folder('modes', { 'no/1.png': png(6, 3, 3), 'yes/1.png': png(7, 3, 3), 'yes/2.png': png(8, 3, 3) });
    const options = { ...quiet, shuffle: false, imageSize: [3, 3] as [number, number] };
    const categorical = await imageDatasetFromDirectory(dir, { ...options, labelMode: 'categorical' });
    expect(categorical.y!.shape).toEqual([3, 2]);
    expect(Array.from(categorical.y!.data)).toEqual([1, 0, 0, 1, 0, 1]);
    const binary = await imageDatasetFromDirectory(dir, { ...options, labelMode: 'binary' });
    expect(binary.y!.shape).toEqual([3, 1]);
    expect(Array.from(binary.y!.data)).toEqual([0, 1, 1]);
    expect((await imageDatasetFromDirectory(dir, { ...options, labelMode: null })).y).toBeUndefined();
    const only = await imageDatasetFromDirectory(dir, { ...options, classNames: ['yes'] });
    expect([only.classNames, Array.from(only.y!.data)]).toEqual([['yes'], [0, 0]]);
    const unlabelled = await imageDatasetFromDirectory(dir, { ...options, labels: null });
    expect([unlabelled.x.shape[0], unlabelled.y, unlabelled.classNames]).toEqual([3, undefined, []]);
  });

  it('splits as Keras: the last floor(split × N) shuffled files are for validation; a seed gives the same split every call', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 23 }, (_, i) => [`${['cat', 'dog', 'eel'][i % 3]}/${i}.png`, png(100 + i, 2, 3)]),
    );
    const dir = folder('split', files);
    const options = { ...quiet, imageSize: [2, 3] as [number, number], validationSplit: 0.3, seed: 7 };
    const [training, validation] = await imageDatasetFromDirectory(dir, { ...options, subset: 'both' });
    expect([training.x.shape[0], validation.x.shape[0]]).toEqual([17, 6]);
    expect([...training.filePaths, ...validation.filePaths].sort()).toEqual(
      Object.keys(files)
        .map((f) => join(dir, f))
        .sort(),
    );
    expect((await imageDatasetFromDirectory(dir, { ...options, subset: 'training' })).filePaths).toEqual(training.filePaths);
    expect((await imageDatasetFromDirectory(dir, { ...options, subset: 'validation' })).filePaths).toEqual(validation.filePaths);
    const other = await imageDatasetFromDirectory(dir, { ...options, seed: 8, subset: 'training' });
    expect(other.filePaths).not.toEqual(training.filePaths);
    // each example keeps its own label through the shuffle
    expect(training.filePaths.map((_, n) => training.classNames[training.y!.data[n]])).toEqual(
      training.filePaths.map((f) => f.split('/').at(-2)),
    );
  });

  it('refuses what it cannot read, naming the folder, file or option', async () => {
    const three = folder('three', { 'a/1.png': png(10, 2, 2), 'b/1.png': png(11, 2, 2), 'c/1.png': png(12, 2, 2) });
    const empty = folder('empty', { 'a/readme.txt': 'no images' });
    const broken = folder('broken', { 'a/truncated.jpg': readFileSync(join(samples, 'rocket.jpg')).subarray(0, 20) });
    const cases: [() => Promise<unknown>, string | RegExp][] = [
      [
        () => imageDatasetFromDirectory(join(root, 'missing'), quiet),
        `imageDatasetFromDirectory: cannot read ${join(root, 'missing')}: no such folder`,
      ],
      [() => imageDatasetFromDirectory(join(three, 'a', '1.png'), quiet), /: not a folder$/],
      [
        () => imageDatasetFromDirectory(empty, quiet),
        `imageDatasetFromDirectory: no images found in ${empty} (it reads .bmp, .gif, .jpeg, .jpg, .png files in its subfolders, one per class)`,
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, labelMode: 'binary' }),
        "imageDatasetFromDirectory: labelMode 'binary' needs exactly 2 classes, found 3 (a, b, c)",
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, classNames: ['a', 'd'] }),
        `imageDatasetFromDirectory: classNames 'd' are not subfolders of ${three} (it has 'a', 'b', 'c')`,
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, classNames: ['a', 'b', 'a'] }),
        "imageDatasetFromDirectory: classNames lists 'a' twice",
      ],
      [
        () => imageDatasetFromDirectory(broken, { ...quiet, imageSize: [4, 4] }),
        new RegExp(`^imageDatasetFromDirectory: ${join(broken, 'a', 'truncated.jpg')}: decode`),
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, imagesize: [2, 2] } as never),
        "imageDatasetFromDirectory: unknown option 'imagesize' (did you mean 'imageSize'?)",
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, imageSize: [2, 0] }),
        'imageDatasetFromDirectory: imageSize must be [height, width] with two positive integers, got [2, 0]',
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, colorMode: 'RGB' as never }),
        `imageDatasetFromDirectory: colorMode must be one of 'grayscale', 'rgb', 'rgba', got "RGB"`,
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, validationSplit: 1, subset: 'training', seed: 1 }),
        'imageDatasetFromDirectory: validationSplit must be a number between 0 and 1 (exclusive), got 1',
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, validationSplit: 0.5, subset: 'training' }),
        'imageDatasetFromDirectory: with validationSplit and shuffle, give a seed, so that the training and validation subsets do not overlap',
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, validationSplit: 0.5, seed: 1 }),
        "imageDatasetFromDirectory: subset must be one of 'training', 'validation', 'both', got undefined",
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, subset: 'training' }),
        'imageDatasetFromDirectory: subset "training" needs validationSplit',
      ],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, labels: null, labelMode: 'int' }),
        'imageDatasetFromDirectory: with labels null there are no classes: leave labelMode and classNames out',
      ],
      [() => imageDatasetFromDirectory(42 as never), "imageDatasetFromDirectory: directory must be a folder's path, got 42"],
      [
        () => imageDatasetFromDirectory(three, { ...quiet, imageSize: [100_000, 100_000] }),
        'imageDatasetFromDirectory: 3 images of 100000×100000×3 take 360 GB as float32, more than can be allocated: give a smaller imageSize, fewer images, or a batchSize (to decode a batch at a time)',
      ],
      [
        async () => (await imageDatasetFromDirectory(three, { ...quiet, imageSize: [100_000, 100_000], batchSize: 2 })).epoch(0).next(),
        'imageDatasetFromDirectory: a batch of 2 images of 100000×100000×3 takes 240 GB as float32, more than can be allocated: give a smaller imageSize or batchSize',
      ],
    ];
    for (const [call, message] of cases) await expectConvlensRejection(call(), message);
  });

  it('says what it found, as Keras does, unless verbose is false', async () => {
    const dir = folder('verbose', { 'x/1.png': png(13, 2, 2), 'y/1.png': png(14, 2, 2), 'y/2.png': png(15, 2, 2) });
    copyFileSync(join(samples, 'camera.png'), join(dir, 'x', 'camera.png'));
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      await imageDatasetFromDirectory(dir, { imageSize: [4, 4], validationSplit: 0.25, subset: 'both', seed: 3 });
    } finally {
      console.log = log;
    }
    expect(lines).toEqual(['Found 4 files belonging to 2 classes.', 'Using 3 files for training.', 'Using 1 files for validation.']);
  });
});
