import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConvlensError } from '../errors.js';
import type { Sequential } from '../layers/sequential.js';
import { saveClassifier } from './train_folder.js';

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
