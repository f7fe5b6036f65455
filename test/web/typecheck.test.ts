/**
 * The page's TypeScript (web/src) is bundled by esbuild, which strips types without checking
 * them, and the repository's typecheck covers src/, test/ and bench/ only: check it here.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));

describe('web/src', () => {
  it('type-checks against the library (strict)', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', 'web/tsconfig.json', '--pretty', 'false'], { cwd: repo, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 120_000);
});
