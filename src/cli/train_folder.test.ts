import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { caseRng } from '../../test/helpers/random.js';
import { ConvlensError } from '../errors.js';
import { encodePng } from '../image/encode_png.js';
import type { Sequential } from '../layers/sequential.js';
import { Tensor } from '../tensor/tensor.js';
import { saveClassifier, trainFolder } from './train_folder.js';
import { UsageError } from './usage.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A model folder from an earlier run, and a stand-in model whose save writes `model.json` or fails. */
function setUp(save: (path: string) => Promise<void>) {
  dir = mkdtempSync(join(tmpdir(), 'convlens-save-'));
  const modelDir = join(dir, 'model');
  mkdirSync(modelDir);
  writeFileSync(join(modelDir, 'model.json'), 'old model');
  writeFileSync(join(modelDir, 'classes.json'), '["old"]');
  return { modelDir, model: { save } as unknown as Sequential };
}

describe('saveClassifier (convlens train)', () => {
  it('swaps the new model and its class names in for the previous ones, leaving nothing beside them', async () => {
    const { modelDir, model } = setUp(async (path) => {
      mkdirSync(path);
      writeFileSync(join(path, 'model.json'), 'new model');
    });
    await saveClassifier(model, ['cat', 'dog'], modelDir);
    expect(readFileSync(join(modelDir, 'model.json'), 'utf8')).toBe('new model');
    expect(JSON.parse(readFileSync(join(modelDir, 'classes.json'), 'utf8'))).toEqual(['cat', 'dog']);
    expect(readdirSync(dir)).toEqual(['model']);
  });

  it('a save that fails half-way leaves the previous model and its class names as they were', async () => {
    const { modelDir, model } = setUp(async (path) => {
      mkdirSync(path);
      writeFileSync(join(path, 'weights.bin'), 'half');
      throw new ConvlensError('save: no space left on the device');
    });
    await expect(saveClassifier(model, ['cat', 'dog'], modelDir)).rejects.toThrow('save: no space left on the device');
    expect(readFileSync(join(modelDir, 'model.json'), 'utf8')).toBe('old model');
    expect(readFileSync(join(modelDir, 'classes.json'), 'utf8')).toBe('["old"]');
    expect(readdirSync(dir)).toEqual(['model']);
  });
});

/** Folders a/ and b/ under `dir` of `count` small random PNGs in all. */
/** One quick epoch of `convlens train` on RGB images in batches of 16, as the tests below run it. */
const SMALL_RUN = {
  channels: 3,
  validationSplit: 0.2,
  epochs: 1,
  batchSize: 16,
  learningRate: 0.001,
  seed: 1,
  augment: false,
} as const;

function imageFolders(dir: string, count: number): string {
  const rng = caseRng('train folder memory', count);
  for (const name of ['a', 'b']) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let k = 0; k < count / 2; k++) {
      const pixels = Uint8Array.from(rng.ints(12 * 12 * 3, 0, 255));
      writeFileSync(join(dir, name, `${k}.png`), encodePng(new Tensor(pixels, [12, 12, 3], 'uint8')));
    }
  }
  return dir;
}

describe('trainFolder (convlens train) memory', { timeout: 120_000 }, () => {
  it('given no memory to keep the decoded images in, reads the folder a batch at a time: the memory in use does not grow with the number of images', async () => {
    dir = mkdtempSync(join(tmpdir(), 'convlens-train-memory-'));
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const used = () => {
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    const imageSize: [number, number] = [64, 64];
    const lines: string[] = [];
    /** The most memory in use, above what was in use before, between the batches of a run on `count` images. */
    const peakGrowth = async (name: string, count: number) => {
      const folder = imageFolders(join(dir, name), count);
      gc();
      const before = used();
      let peak = 0;
      // collected first, so the peak is what is held
      const sample = () => {
        gc();
        peak = Math.max(peak, used() - before);
      };
      // timers run between batches (fit yields to them); a run over before the first tick is
      // sampled at its log lines (each epoch's, the figures', the end's), as every run is
      const sampler = setInterval(sample, 100);
      try {
        await trainFolder(folder, {
          ...SMALL_RUN,
          imageSize,
          out: join(dir, `${name}-out`),
          log: (line) => {
            lines.push(line);
            sample();
          },
          cacheBytes: 0, // none kept: every epoch decodes its batches anew
        });
      } finally {
        clearInterval(sampler);
      }
      return peak;
    };
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // the epoch's line
    try {
      await peakGrowth('warm-up', 64); // the backend's and the model's first-use allocations are not the folder's
      const small = await peakGrowth('small', 64);
      const large = await peakGrowth('large', 1024);
      // what 960 more images take as float32 tensors (47 MB), which loading the whole folder held throughout
      const wholeFolderGrowth = 960 * imageSize[0] * imageSize[1] * 3 * 4;
      expect(large - small, `peaks ${small} and ${large} bytes`).toBeLessThan(wholeFolderGrowth / 2);
      expect(lines).toContain(
        'The decoded images would take 50.3 MB, more than the 0 kB kept in memory: they are decoded a batch at a time, at every epoch',
      );
    } finally {
      quiet.mockRestore();
    }
  });
});

describe('trainFolder (convlens train) refuses sizes that cannot fit in memory, before any image is decoded', () => {
  it('names --image-size, the least memory training takes and the memory there is', async () => {
    dir = mkdtempSync(join(tmpdir(), 'convlens-train-size-'));
    const folder = imageFolders(join(dir, 'images'), 20);
    writeFileSync(join(folder, 'a', 'broken.png'), 'not a PNG'); // never decoded: the run stops before
    const lines: string[] = [];
    const run = trainFolder(folder, {
      ...SMALL_RUN,
      imageSize: [64, 64],
      out: join(dir, 'out'),
      log: (line) => lines.push(line),
      memoryBytes: 20e6,
    });
    // per 64×64×3 image: the input (12,288 values) and each layer's output and its gradient:
    // Rescaling 12,288, Conv2D 65,536, pool 16,384, Conv2D 32,768, pool 8,192, Conv2D 16,384,
    // pool 4,096, global pooling 64, Dense 2 (155,712 in all); × 16 images × 4 bytes
    const bytes = 4 * 16 * (12_288 + 2 * 155_712);
    expect(bytes).toBe(20_717_568);
    await expect(run).rejects.toThrow(
      new UsageError(
        "--image-size 64x64: training on batches of 16 images keeps each layer's output and gradient, at least 20.7 MB, more than the 20.0 MB of memory: give a smaller --image-size or --batch-size",
      ),
    );
    await expect(run).rejects.toBeInstanceOf(UsageError);
    expect(lines).toEqual([]);
    expect(readdirSync(dir)).toEqual(['images']);
  });
});
