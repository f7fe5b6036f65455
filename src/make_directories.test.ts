import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirectories } from './make_directories.js';

const root = mkdtempSync(join(tmpdir(), 'convlens-mkdirs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const makeDirs = (path: string) => makeDirectories(mkdir, dirname, path);

describe('makeDirectories', () => {
  it('creates every missing level and returns the first one it created, as mkdir -p does', async () => {
    expect(await makeDirs(join(root, 'a', 'b', 'c'))).toBe(join(root, 'a'));
    expect(statSync(join(root, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(await makeDirs(join(root, 'a', 'b', 'd'))).toBe(join(root, 'a', 'b', 'd'));
    expect(await makeDirs(join(root, 'a', 'b'))).toBeUndefined();
  });

  it('fails with the system error under a file, and under /proc (where Node 20 mkdir -p never returns)', async () => {
    writeFileSync(join(root, 'file'), 'x');
    await expect(makeDirs(join(root, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    if (existsSync('/proc/self')) await expect(makeDirs('/proc/convlens-test/out')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
