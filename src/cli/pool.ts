import { Worker } from 'node:worker_threads';

interface Slot<T, R> {
  worker: Worker;
  pending: Map<number, { task: T; resolve: (r: R) => void }>;
}

/** What `convlens extract` hands its images to: worker threads (WorkerPool), or its own thread for one image. */
export interface TaskPool<T, R> {
  readonly size: number;
  configure(setup: unknown): void;
  whenReady(): Promise<void>;
  run(task: T): Promise<R>;
  close(): Promise<void>;
}

/**
 * Up to `size` worker threads, each running `script`, started as work arrives (one image starts
 * one worker) or all at once by `start`, before the run's settings are known: each worker's first
 * message is the `setup` given to `configure`, then come its tasks. `run` hands a task to an idle worker, or the least busy one;
 * `whenReady` waits until fewer than `size × depth` tasks are in flight, which is what keeps memory
 * bounded however many tasks there are. A worker that dies (out of memory on a huge image, say)
 * fails its tasks through `onCrash` and is replaced.
 */
export class WorkerPool<T extends { id: number }, R extends { id: number }> implements TaskPool<T, R> {
  private slots: Slot<T, R>[] = [];
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private closed = false;
  private setup: unknown;

  constructor(
    private readonly script: URL,
    readonly size: number,
    private readonly onCrash: (task: T, reason: string) => R,
    private readonly depth = 2,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private spawn(): Slot<T, R> {
    const worker = new Worker(this.script, { env: this.env });
    if (this.setup !== undefined) worker.postMessage(this.setup);
    const slot: Slot<T, R> = { worker, pending: new Map() };
    worker.on('message', (result: R) => {
      const entry = slot.pending.get(result.id);
      if (!entry) return;
      slot.pending.delete(result.id);
      this.finish();
      entry.resolve(result);
    });
    const fail = (reason: string) => {
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      const lost = [...slot.pending.values()];
      slot.pending.clear();
      if (!this.closed) this.slots[index] = this.spawn();
      else this.slots.splice(index, 1);
      for (const { task, resolve } of lost) {
        this.finish();
        resolve(this.onCrash(task, reason));
      }
    };
    worker.on('error', (error) => fail(`worker crashed: ${error.message}`));
    worker.on('exit', (code) => fail(`worker exited with code ${code}`));
    return slot;
  }

  private finish(): void {
    this.inFlight--;
    this.waiters.shift()?.();
  }

  /** Sends every worker, now and later, `setup` as its first message; before any task. */
  configure(setup: unknown): void {
    this.setup = setup;
    for (const slot of this.slots) slot.worker.postMessage(setup);
  }

  /**
   * Starts `count` workers now rather than as tasks arrive (a worker needs some time before its
   * first task); the others start when work is waiting for them.
   */
  start(count = this.size): void {
    while (this.slots.length < Math.min(count, this.size)) this.slots.push(this.spawn());
  }

  /** Resolves when another task may be started without exceeding the bound. */
  async whenReady(): Promise<void> {
    while (this.inFlight >= this.size * this.depth) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  run(task: T): Promise<R> {
    if (this.setup === undefined) throw new Error('WorkerPool: configure() comes before run()');
    let slot = this.slots.find((s) => s.pending.size === 0);
    if (!slot && this.slots.length < this.size) {
      slot = this.spawn();
      this.slots.push(slot);
    }
    slot ??= this.slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    this.inFlight++;
    return new Promise<R>((resolve) => {
      slot.pending.set(task.id, { task, resolve });
      slot.worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
