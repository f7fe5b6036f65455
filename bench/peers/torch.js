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
 * The settings PyTorch is measured with; each case keeps its best. OpenMP's default (active)
 * wait policy spins at every barrier: on a shared machine whose cores other processes also want,
 * two spinning threads can make PyTorch several times slower than one thread, so the passive
 * policy and a single thread are measured too.
 */
export function configs() {
  const cores = availableParallelism();
  return [
    { name: `${cores} threads`, threads: cores, env: {} },
    { name: `${cores} threads, OMP_WAIT_POLICY=PASSIVE`, threads: cores, env: { OMP_WAIT_POLICY: 'PASSIVE' } },
    ...(cores > 1 ? [{ name: '1 thread', threads: 1, env: {} }] : []),
  ];
}

/**
 * Runs every case in one subprocess; returns median milliseconds by case id (and, for MNIST
 * epochs, each epoch's seconds).
 * @param {object[]} cases
 * @param {{ threads: number, env: Record<string, string> }} [config]
 * @returns {{ version: string, threads: number, results: Record<string, number>, epochs: Record<string, { seconds: number[], trainAccuracy: number }> } | undefined}
 */
export function run(cases, config = configs()[0]) {
  const result = spawnSync(python, [script], {
    input: JSON.stringify({ threads: config.threads, cases }),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...process.env, ...config.env },
  });
  if (result.status !== 0) {
    console.error(`PyTorch peer failed: ${result.stderr}`);
    return undefined;
  }
  return JSON.parse(result.stdout);
}
