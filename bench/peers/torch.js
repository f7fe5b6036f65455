/** PyTorch (Debian's python3-torch) in a subprocess, when `import torch` works. */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';

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
 * A PyTorch subprocess that trains the reference network on the MNIST case's digits one epoch per
 * request (after its own warm-up epoch), so that bench/run.js can interleave its epochs with
 * convlens' on a machine whose load changes by the minute.
 * @param {object} c the MNIST case (without its arrays)
 * @param {{ threads: number, env: Record<string, string> }} config
 * @returns {Promise<{ version: string, epoch(): Promise<number>, close(): Promise<number> } | undefined>} seconds per epoch; close gives the training accuracy
 */
export async function mnistTrainer(c, config) {
  const child = spawn(python, [script, '--serve'], { env: { ...process.env, ...config.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const reply = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`PyTorch trainer exited: ${stderr}`);
    return JSON.parse(value);
  };
  try {
    child.stdin.write(`${JSON.stringify({ threads: config.threads, case: c })}\n`);
    const ready = await reply();
    return {
      version: ready.version,
      async epoch() {
        child.stdin.write('epoch\n');
        return (await reply()).seconds;
      },
      async close() {
        child.stdin.write('quit\n');
        const { trainAccuracy } = await reply();
        child.stdin.end();
        return trainAccuracy;
      },
    };
  } catch (error) {
    console.error(`PyTorch trainer failed: ${error}`);
    child.kill();
    return undefined;
  }
}

/**
 * Runs every case (conv, pool, train) in one subprocess; returns median milliseconds by case id.
 * @param {object[]} cases
 * @param {{ threads: number, env: Record<string, string> }} [config]
 * @returns {{ version: string, threads: number, results: Record<string, number> } | undefined}
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
