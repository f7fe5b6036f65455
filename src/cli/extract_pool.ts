import { availableParallelism } from 'node:os';
import type { Task, TaskResult } from './extract_job.js';
import { WorkerPool } from './pool.js';

/**
 * The worker threads of `convlens extract`, started at once: each needs ~0.1 s to boot, which
 * then overlaps the loading of the command and the listing of its inputs. `runExtract` sends
 * them the run's settings (`configure`) and its images.
 */
export function startExtractWorkers(jobs = availableParallelism()): WorkerPool<Task, TaskResult> {
  const pool = new WorkerPool<Task, TaskResult>(
    new URL('./extract_worker.js', import.meta.url),
    jobs,
    (task, reason) => ({ id: task.id, ok: false, error: reason }),
    2,
    // each worker is one thread of work: the wasm backend must not start threads of its own in it
    { ...process.env, CONVLENS_THREADS: '1' },
  );
  // more jobs than cores start as work waits for them: --jobs 300 for one image must not boot 300 threads
  pool.start(availableParallelism());
  return pool;
}
