import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { listInputs } from '../../src/cli/inputs.js';
import { removeTempDirs, tempDir } from './helpers.js';

/**
 * A folder the walk cannot open. Root (as CI runs) reads any folder, so the failure is made
 * here: opening a folder named `locked` fails as it does for a user without permission.
 */
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>();
  const denied = (path: unknown) => Object.assign(new Error(`EACCES: permission denied, opendir '${path}'`), { code: 'EACCES' });
  return {
    ...fs,
    opendir: (path: string, ...rest: []) => (path.endsWith('locked') ? Promise.reject(denied(path)) : fs.opendir(path, ...rest)),
  };
});

afterAll(removeTempDirs);

async function list(args: string[]) {
  const items = [];
  for await (const item of listInputs(args)) items.push(item);
  return items;
}

describe('listInputs: folders that cannot be read', () => {
  it('an unreadable subfolder is a problem naming it and the reason, in its own shard; the rest go on', async () => {
    const dir = tempDir();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'in', 'locked'), { recursive: true });
    writeFileSync(join(dir, 'in', 'ok.png'), '');
    writeFileSync(join(dir, 'in', 'locked', 'x.png'), '');
    expect(await list([join(dir, 'in')])).toEqual([
      { path: join(dir, 'in', 'ok.png'), name: 'ok.png', output: 'ok' },
      { path: join(dir, 'in', 'locked'), name: 'locked', error: 'cannot read this folder: permission denied' },
    ]);
  });

  it('an unreadable folder given as an argument says why, not that it holds no images', async () => {
    const dir = tempDir();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'locked'));
    expect(await list([join(dir, 'locked')])).toEqual([
      { path: join(dir, 'locked'), name: undefined, error: 'cannot read this folder: permission denied' },
    ]);
  });
});
