// A save that fails midway (disk full, permissions) must leave the old model or nothing. The
// file system is wrapped so a chosen call fails after the earlier writes have happened.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2D, Dense, Flatten, loadModel, Sequential } from './index.js';

const failure = vi.hoisted(() => ({ on: undefined as undefined | ((op: string, target: string) => boolean) }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const wrap =
    (op: 'writeFile' | 'rename' | 'mkdir' | 'rm') =>
    // biome-ignore lint/suspicious/noExplicitAny: a pass-through wrapper for any fs signature
    async (...args: any[]) => {
      if (failure.on?.(op, String(args[op === 'rename' ? 1 : 0]))) {
        throw Object.assign(new Error(`${op} failed: ENOSPC: no space left on device`), { code: 'ENOSPC' });
      }
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return (real[op] as any)(...args);
    };
  const mocked = { ...real, writeFile: wrap('writeFile'), rename: wrap('rename'), mkdir: wrap('mkdir'), rm: wrap('rm') };
  return { ...mocked, default: mocked };
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convlens-save-failure-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  failure.on = undefined;
});

function model(scale = 1): Sequential {
  setSeed(1);
  const m = new Sequential([new Conv2D({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1] }), new Flatten(), new Dense({ units: 3 })]);
  m.setWeights(
    m.getWeights().map(
      (w) =>
        new Tensor(
          w.data.map((v) => v * scale),
          w.shape,
          'float32',
        ),
    ),
  );
  return m;
}

const x = new Tensor(
  Float32Array.from({ length: 16 }, (_, i) => i / 16),
  [1, 4, 4, 1],
  'float32',
);
const leftovers = async () => (await readdir(root)).filter((f) => f.includes('.tmp-'));

describe('a save that fails midway', () => {
  it('the previous model cannot be moved aside: it stays, and the error does not claim it moved', async () => {
    const target = join(root, 'busy');
    await model(1).save(target);
    const before = await readFile(join(target, 'weights.bin'));
    failure.on = (op, to) => op === 'rename' && to.endsWith('-old');
    const error = await model(2)
      .save(target)
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(error?.message).toMatch(/^save: could not write the model to .*busy: rename failed/);
    expect(error?.message).not.toContain('previous model is in');
    failure.on = undefined;
    expect(await readFile(join(target, 'weights.bin'))).toEqual(before);
    expect(await leftovers()).toEqual([]);
  });

  it('the previous model cannot be removed after the swap: the save succeeds and says where it was left', async () => {
    const target = join(root, 'sticky');
    await model(1).save(target);
    failure.on = (op, path) => op === 'rm' && path.endsWith('-old');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await model(2).save(target);
    failure.on = undefined;
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^save: the model is saved; its previous version could not be removed from .*sticky\.tmp-.*-old: rm failed/),
    );
    warn.mockRestore();
    expect((await loadModel(target)).predict(x).data).toEqual(model(2).predict(x).data);
    for (const left of await leftovers()) await rm(join(root, left), { recursive: true });
  });

  it('writing model.json fails after weights.bin was written: no model directory, no temporary files', async () => {
    const target = join(root, 'fresh');
    failure.on = (op, file) => op === 'writeFile' && basename(file) === 'model.json';
    await expect(model().save(target)).rejects.toThrow(`save: could not write the model to ${target}: writeFile failed: ENOSPC`);
    expect(await readdir(root)).not.toContain('fresh');
    expect(await leftovers()).toEqual([]);
  });

  it('the final rename fails: the previous model is put back, intact', async () => {
    const target = join(root, 'existing');
    await model(1).save(target);
    const before = await readFile(join(target, 'weights.bin'));
    let calls = 0;
    failure.on = (op, to) => op === 'rename' && to === target && calls++ === 0; // only the swap, not the restore
    await expect(model(2).save(target)).rejects.toThrow(/rename failed: ENOSPC/);
    failure.on = undefined;
    expect(await readFile(join(target, 'weights.bin'))).toEqual(before);
    expect((await loadModel(target)).predict(x).data).toEqual(model(1).predict(x).data);
    expect(await leftovers()).toEqual([]);
  });

  it('the temporary directory cannot be created (permissions): a clear error and nothing written', async () => {
    const target = join(root, 'denied');
    failure.on = (op, path) => op === 'mkdir' && path.includes('.tmp-');
    await expect(model().save(target)).rejects.toThrow(`save: could not write the model to ${target}: mkdir failed`);
    expect(await readdir(root)).not.toContain('denied');
  });

  it('saveWeights: writing weights.json fails: the previous weights stay, intact, and nothing is left behind', async () => {
    const target = join(root, 'weights');
    await model(1).saveWeights(target);
    const before = await readFile(join(target, 'weights.bin'));
    failure.on = (op, file) => op === 'writeFile' && basename(file) === 'weights.json';
    await expect(model(2).saveWeights(target)).rejects.toThrow(
      `saveWeights: could not write the weights to ${target}: writeFile failed: ENOSPC`,
    );
    failure.on = undefined;
    expect(await readFile(join(target, 'weights.bin'))).toEqual(before);
    const loaded = model(3);
    await loaded.loadWeights(target);
    expect(loaded.predict(x).data).toEqual(model(1).predict(x).data);
    expect(await leftovers()).toEqual([]);
    const fresh = join(root, 'fresh-weights');
    failure.on = (op, file) => op === 'writeFile' && basename(file) === 'weights.json';
    await expect(model().saveWeights(fresh)).rejects.toThrow(/writeFile failed: ENOSPC/);
    expect(await readdir(root)).not.toContain('fresh-weights');
  });
});
