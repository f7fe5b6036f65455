/** What the wasm backend needs from its host (Node or a browser); see platform_node.ts and platform_browser.ts. */
export interface WorkerStart {
  /** The compiled kernels, instantiated by each worker against the same shared memory. */
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Int32 control block shared by every thread (see runtime.ts for its layout). */
  control: SharedArrayBuffer;
  /** Kernel export names, indexed by the kernel id the main thread posts. */
  kernels: string[];
  /** This worker's thread index (the main thread is 0). */
  tid: number;
  /** Unique per spawned worker: the worker takes part only while its slot holds this number. */
  serial: number;
  /** The job generation current when the worker was spawned. */
  generation: number;
}

export interface WorkerHandle {
  terminate(): void;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  /** Cores this process may use. */
  cores(): number;
  /** Whether shared memory (and so worker threads) can be used here. */
  readonly canShareMemory: boolean;
  /** Whether this thread may block in Atomics.wait (not a browser page's main thread). */
  readonly canBlock: boolean;
  /** Turns on relaxed SIMD for modules compiled afterwards where the host needs it; best effort. */
  enableRelaxedSimd(): void;
  /** Starts a worker that runs `source`, which defines `start(data)`, and calls it with `data`; it must not keep the process alive. */
  spawn(source: string, data: WorkerStart): WorkerHandle;
  /** A configuration variable (environment variable in Node). */
  env(name: string): string | undefined;
  /** CPU time the process has used so far (all its threads), in milliseconds, where the host tells (Node); else undefined. */
  cpuTime?(): number;
}
