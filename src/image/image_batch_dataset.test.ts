import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseRng } from '../../test/helpers/random.js';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { imageDatasetFromDirectory } from './dataset_from_directory.js';
import { encodePng } from './encode_png.js';
import { exampleCountOf, type ImageBatch, type ImageBatchDataset } from './image_batch_dataset.js';

let root: string;
const quiet = { verbose: false } as const;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'convlens-batches-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A random RGB PNG of `h`×`w`. */
function png(seed: number, h: number, w: number): Uint8Array {
  const rng = caseRng('batch dataset png', seed);
  return encodePng(
    new Tensor(
      Uint8Array.from({ length: h * w * 3 }, () => rng.ints(1, 0, 255)[0]),
      [h, w, 3],
      'uint8',
    ),
  );
}

/** A folder of `perClass` PNGs of assorted sizes in each of the class subfolders `classes`. */
function classFolders(name: string, classes: string[], perClass: number, size = (k: number) => [5 + (k % 4), 4 + (k % 3)]): string {
  const dir = join(root, name);
  classes.forEach((c, ci) => {
    mkdirSync(join(dir, c), { recursive: true });
    for (let k = 0; k < perClass; k++) {
      const [h, w] = size(k);
      writeFileSync(join(dir, c, `${String(k).padStart(4, '0')}.png`), png(ci * 1000 + k, h, w));
    }
  });
  return dir;
}

async function batchesOf(dataset: AsyncIterable<ImageBatch>): Promise<ImageBatch[]> {
  const batches: ImageBatch[] = [];
  for await (const batch of dataset) batches.push(batch);
  return batches;
}

/** Each epoch's file order, over `epochs` iterations of the dataset. */
async function epochOrders(dataset: ImageBatchDataset, epochs: number): Promise<string[][]> {
  const orders: string[][] = [];
  for (let e = 0; e < epochs; e++) orders.push((await batchesOf(dataset)).flatMap((b) => b.filePaths));
  return orders;
}

/** Rows `start`..`end` of a tensor along its first axis, as plain numbers. */
function rows(t: Tensor, start: number, end: number): number[] {
  const size = t.size / t.shape[0];
  return Array.from(t.data.subarray(start * size, end * size));
}

describe('imageDatasetFromDirectory with batchSize (a batched dataset, decoded as it is iterated)', () => {
  it('gives the whole-tensor dataset in batches: the same files, pixels and labels, in the same order and split', async () => {
    const dir = classFolders('slices', ['a', 'b', 'c'], 9);
    const options = {
      ...quiet,
      imageSize: [6, 5] as [number, number],
      labelMode: 'categorical' as const,
      validationSplit: 0.25,
      subset: 'both' as const,
      seed: 3,
    };
    const whole = await imageDatasetFromDirectory(dir, options);
    const batched = await imageDatasetFromDirectory(dir, { ...options, batchSize: 4 });
    for (const [k, dataset] of batched.entries()) {
      const expected = whole[k];
      expect(dataset.classNames).toEqual(['a', 'b', 'c']);
      expect(dataset.filePaths).toEqual(expected.filePaths);
      expect(dataset.exampleCount).toBe(expected.x.shape[0]);
      // as predict reads it, of the dataset and of each epoch's iteration, and of no other
      expect([exampleCountOf(dataset), exampleCountOf(dataset.epoch(2))]).toEqual([expected.x.shape[0], expected.x.shape[0]]);
      expect(exampleCountOf((async function* () {})())).toBeUndefined();
      expect(dataset.batchCount).toBe(Math.ceil(expected.x.shape[0] / 4));
      const batches = await batchesOf(dataset);
      expect(batches.length).toBe(dataset.batchCount);
      for (const [b, batch] of batches.entries()) {
        const start = b * 4;
        const end = Math.min(start + 4, expected.x.shape[0]);
        expect(batch.x.shape).toEqual([end - start, 6, 5, 3]);
        expect(batch.filePaths).toEqual(expected.filePaths.slice(start, end));
        expect(Array.from(batch.x.data)).toEqual(rows(expected.x, start, end));
        expect(batch.y?.shape).toEqual([end - start, 3]);
        expect(Array.from(batch.y!.data)).toEqual(rows(expected.y!, start, end));
      }
    }
    // 27 files: floor(0.25 × 27) = 6 for validation, as Keras splits
    expect([batched[0].exampleCount, batched[1].exampleCount]).toEqual([21, 6]);
  });

  it('reshuffles at every epoch after the first, the same sequence for the same seed; without shuffle every epoch is the same', async () => {
    const dir = classFolders('epochs', ['a', 'b'], 10, () => [3, 3]);
    const options = { ...quiet, imageSize: [3, 3] as [number, number], batchSize: 3, seed: 11 };
    const first = await epochOrders(await imageDatasetFromDirectory(dir, options), 4);
    const again = await epochOrders(await imageDatasetFromDirectory(dir, options), 4);
    expect(again).toEqual(first);
    const sorted = [...first[0]].sort();
    for (const order of first) expect([...order].sort()).toEqual(sorted); // each epoch: every file once
    expect(new Set(first.map((o) => o.join())).size).toBe(4); // 20! orders: four alike would be a broken shuffle
    const other = await epochOrders(await imageDatasetFromDirectory(dir, { ...options, seed: 12 }), 2);
    expect(other[1]).not.toEqual(first[1]);
    // epoch(k) is the k-th iteration's batches, whenever asked
    const dataset = await imageDatasetFromDirectory(dir, options);
    expect((await batchesOf(dataset.epoch(2))).flatMap((b) => b.filePaths)).toEqual(first[2]);
    expect(() => dataset.epoch(-1)).toThrow(new ConvlensError('ImageBatchDataset.epoch: epoch must be a whole number >= 0, got -1'));
    const unshuffled = await epochOrders(await imageDatasetFromDirectory(dir, { ...options, shuffle: false }), 3);
    expect(unshuffled[0]).toEqual(sorted);
    expect(unshuffled[2]).toEqual(sorted);
  });

  it("cache() (Keras' dataset.cache()) gives the same batches at every epoch, reading each file once", async () => {
    const dir = classFolders('cached', ['a', 'b'], 7, () => [4, 3]);
    const options = { ...quiet, imageSize: [3, 4] as [number, number], labelMode: 'categorical' as const, batchSize: 3, seed: 2 };
    const plain = await imageDatasetFromDirectory(dir, options);
    const expected = [];
    for (let e = 0; e < 3; e++) expected.push(await batchesOf(plain.epoch(e)));
    const cached = (await imageDatasetFromDirectory(dir, options)).cache();
    expect([cached.filePaths, cached.exampleCount, cached.batchCount]).toEqual([plain.filePaths, 14, 5]);
    const epochs = [await batchesOf(cached)];
    // every file read in the first epoch: later ones need none of them
    for (const file of plain.filePaths) writeFileSync(file, 'no longer a png');
    epochs.push(await batchesOf(cached), await batchesOf(cached));
    const plainValues = (batches: ImageBatch[]) =>
      batches.map((b) => ({
        x: [b.x.shape, Array.from(b.x.data)],
        y: [b.y!.shape, b.y!.dtype, Array.from(b.y!.data)],
        files: b.filePaths,
      }));
    for (let e = 0; e < 3; e++) expect(plainValues(epochs[e]), `epoch ${e}`).toEqual(plainValues(expected[e]));

    const unlabelled = classFolders('cached-unlabelled', ['x'], 3, () => [2, 2]);
    const noLabels = (await imageDatasetFromDirectory(unlabelled, { ...quiet, labels: null, imageSize: [2, 2], batchSize: 2 })).cache();
    await batchesOf(noLabels);
    expect((await batchesOf(noLabels)).map((b) => [b.x.shape[0], b.y])).toEqual([
      [2, undefined],
      [1, undefined],
    ]);
  });

  it('gives batches without labels (y undefined) for labels null', async () => {
    const dir = classFolders('unlabelled', ['x'], 5, () => [2, 2]);
    const dataset = await imageDatasetFromDirectory(dir, { ...quiet, labels: null, imageSize: [2, 2], batchSize: 2, shuffle: false });
    const batches = await batchesOf(dataset);
    expect(batches.map((b) => b.x.shape[0])).toEqual([2, 2, 1]);
    expect(batches.every((b) => b.y === undefined)).toBe(true);
    expect(dataset.classNames).toEqual([]);
  });

  it('refuses a bad batchSize and an empty folder; a broken image fails when its batch is reached, naming the file', async () => {
    const dir = classFolders('broken', ['a'], 6, () => [2, 2]);
    for (const [batchSize, text] of [
      [0, '0'],
      [2.5, '2.5'],
      ['4', '"4"'],
    ]) {
      await expect(imageDatasetFromDirectory(dir, { ...quiet, batchSize: batchSize as number })).rejects.toThrow(
        `imageDatasetFromDirectory: batchSize must be a positive integer, got ${text}`,
      );
    }
    const empty = join(root, 'empty');
    mkdirSync(join(empty, 'a'), { recursive: true });
    await expect(imageDatasetFromDirectory(empty, { ...quiet, batchSize: 2 })).rejects.toThrow(/no images found in .*empty/);

    const broken = join(dir, 'a', '0003.png');
    writeFileSync(broken, 'not a png');
    const dataset = await imageDatasetFromDirectory(dir, { ...quiet, imageSize: [2, 2], batchSize: 2, shuffle: false });
    const seen: string[] = [];
    const iterate = async () => {
      for await (const batch of dataset) seen.push(...batch.filePaths);
    };
    const error = await iterate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConvlensError);
    expect((error as Error).message).toMatch(new RegExp(`^imageDatasetFromDirectory: ${broken.replaceAll('/', '\\/')}: `));
    expect(seen.map((f) => f.slice(-8))).toEqual(['0000.png', '0001.png']); // the batches before it came
  });

  it('holds about one batch in memory, not the folder: the peak does not grow with the number of files', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const imageSize: [number, number] = [64, 64];
    const batchSize = 8;
    const used = () => {
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    /** The most memory in use, above what was in use before, while the batches of an epoch are in hand. */
    const peakGrowth = async (files: number) => {
      const dir = classFolders(`memory${files}`, ['a', 'b'], files / 2, () => [8, 8]);
      const dataset = await imageDatasetFromDirectory(dir, { ...quiet, imageSize, batchSize, seed: 1 });
      await batchesOf(dataset.epoch(0)); // the decoders' first-use allocations are not the dataset's
      gc();
      const before = used();
      let peak = 0;
      for await (const batch of dataset) {
        peak = Math.max(peak, used() - before);
        expect(batch.x.shape[0]).toBeLessThanOrEqual(batchSize);
        gc(); // so that the peak is what is held, not garbage awaiting collection
      }
      return peak;
    };
    const small = await peakGrowth(50);
    const large = await peakGrowth(400);
    const wholeLarge = 400 * imageSize[0] * imageSize[1] * 3 * 4; // the whole-tensor dataset's x: 19.7 MB
    const oneBatch = batchSize * imageSize[0] * imageSize[1] * 3 * 4;
    expect(large, `peaks ${small} and ${large} bytes`).toBeLessThan(small + 4 * oneBatch);
    expect(large).toBeLessThan(wholeLarge / 4);
  });
});
