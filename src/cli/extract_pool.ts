import { availableParallelism } from 'node:os';
import { requestedBackend } from '../backend/requested.js';
import type { Task, TaskResult } from './extract_job.js';
import { WorkerPool } from './pool.js';
import { errorLine } from './term.js';

/**
 * The worker threads of `convlens extract`, started at once: each needs ~0.1 s to boot, which
 * then overlaps the loading of the command and the listing of its inputs. `runExtract` sends
 * them the run's settings (`configure`) and its images.
 */
export function startExtractWorkers(jobs?: number): WorkerPool<Task, TaskResult> {
  const warn = (message: string) => process.stderr.write(errorLine(message));
  // each worker is one thread of work: the wasm backend must not start threads of its own in it
  const env: NodeJS.ProcessEnv = { ...process.env, CONVLENS_THREADS: '1' };
  // a CONVLENS_BACKEND that names no backend is said once here, not by every worker
  const { problem } = requestedBackend(env.CONVLENS_BACKEND);
  if (problem) {
    warn(`${problem}; using the default`);
    delete env.CONVLENS_BACKEND;
  }
  const pool = new WorkerPool<Task, TaskResult>(
    new URL('./extract_worker.js', import.meta.url),
    workerCount(jobs, availableParallelism(), warn),
    (task, reason) => ({ id: task.id, ok: false, error: reason }),
    2,
    env,
  );
  // more jobs than cores start as work waits for them: --jobs 300 for one image must not boot 300 threads
  pool.start(availableParallelism());
  return pool;
}

/** Extract is CPU-bound: threads beyond a few per core only add their start-ups. */
export const MAX_JOBS_PER_CORE = 4;

/**
 * The worker threads for `--jobs` (default: one per core). More than `MAX_JOBS_PER_CORE` per core
 * are capped, with a warning: each boots its own Node.js (~0.1 s of CPU and ~20 MB), and
 * `--jobs 64` on 2 cores took 1.4 times as long as `--jobs 2` for 200 images, in 2.6 times the memory.
 */
export function workerCount(jobs: number | undefined, cores: number, warn: (message: string) => void): number {
  const limit = cores * MAX_JOBS_PER_CORE;
  if (jobs === undefined) return cores;
  if (jobs <= limit) return jobs;
  warn(
    `--jobs ${jobs} is capped at ${limit} worker threads (${MAX_JOBS_PER_CORE} per core on ${cores} cores): more would only add start-ups`,
  );
  return limit;
}
