/** PyTorch (Debian's python3-torch) in a subprocess, when `import torch` works. */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const python = '/usr/bin/python3';
const script = new URL('../torch_bench.py', import.meta.url).pathname;

export function available() {
  const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * Runs every case in one subprocess; returns median milliseconds by case id.
 * @param {object[]} cases
 * @returns {{ version: string, results: Record<string, number> } | undefined}
 */
export function run(cases) {
  const result = spawnSync(python, [script], {
    input: JSON.stringify({ threads: availableParallelism(), cases }),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (result.status !== 0) {
    console.error(`PyTorch peer failed: ${result.stderr}`);
    return undefined;
  }
  return JSON.parse(result.stdout);
}
