import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { isMainThread, Worker } from 'node:worker_threads';
import type { Platform, WorkerStart } from './platform_types.js';

/** Node: worker_threads (unref'd, so they never keep the process alive), Atomics.wait allowed. */
export const platform: Platform = {
  name: 'node',
  // inside a worker thread the application is already parallel (e.g. `convlens extract --jobs`):
  // one thread per worker avoids jobs x cores threads; setThreads / CONVLENS_THREADS still apply
  cores: () => (isMainThread ? availableParallelism() : 1),
  canShareMemory: typeof SharedArrayBuffer === 'function',
  canBlock: true,
  enableRelaxedSimd() {
    // Node 20's V8 (11.3) ships relaxed SIMD behind a flag; it applies to modules compiled later.
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // an embedder that forbids flags: the plain SIMD build is used
    }
  },
  spawn(source: string, data: WorkerStart) {
    // import() rather than require: eval workers are ES modules when the process runs with --input-type=module
    const code = `${source}\nimport('node:worker_threads').then(({ workerData }) => start(workerData));\n`;
    const worker = new Worker(code, { eval: true, workerData: data, stdout: false, stderr: false });
    worker.unref();
    worker.on('error', () => {
      // a dead worker shows up as a timeout or an error flag in the main thread
    });
    return { terminate: () => void worker.terminate() };
  },
  env: (name: string) => process.env[name],
  cpuTime() {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
};
