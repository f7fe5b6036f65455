import { decodeBase64 } from './base64.js';
import { binaries } from './generated/binaries.js';
import { platform, type WorkerHandle } from './platform.js';
import { CTL, MAX_THREADS, SPIN, workerSource } from './worker_source.js';

/** Kernel exports of the module, in the order of their ids. */
export const KERNELS = [
  'conv2d_gemm',
  'conv2d_direct1',
  'gemm',
  'max_pool',
  'avg_pool',
  'max_pool_backprop',
  'avg_pool_backprop',
  'conv2d_backprop_filter',
  'unary_f32',
  'binary_f32',
  'transpose2d',
  'pad_nhwc',
  'max_pool_grad',
  'conv2d_cin1',
  'channel_sums',
  'batch_norm',
  'batch_norm_sums',
  'batch_norm_input_grad',
  'sum_partials',
] as const;
export type KernelName = (typeof KERNELS)[number];
type KernelFn = (params: number, tid: number, nth: number) => void;

const PAGE = 65536;

/**
 * The wasm memory the kernels' arena may use: addresses stay below 2^31, as the JavaScript side
 * indexes it with 32-bit integer arithmetic (`at >> 2`).
 */
const ARENA_LIMIT = 2 ** 31 - PAGE;

/** A call needs more wasm memory than there is; the backend runs that call on the js reference instead. */
export class WasmMemoryFull extends Error {
  constructor(bytes: number) {
    super(`wasm: ${bytes} bytes of memory needed, more than the wasm backend can address`);
  }
}
/** Parameter records live here (one call at a time); the arena follows. */
export const PARAMS = 1024;
const ARENA = 4096;

function envFlag(name: string): string | undefined {
  const value = platform.env(name);
  return value === undefined || value === '' ? undefined : value.trim().toLowerCase();
}

function createMemory(shared: boolean): WebAssembly.Memory {
  // The module declares a 4 GiB maximum; a smaller one is fine where address space is tight.
  let lastError: unknown;
  for (const maximum of platform.name === 'node' ? [65536, 16384] : [16384, 8192, 4096]) {
    try {
      return new WebAssembly.Memory({ initial: 64, maximum, shared });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** See Runtime.stats. `ready` counts every worker ever started, retired ones included. */
export interface ThreadStats {
  threads: number;
  workers: number;
  ready: number;
  joined: number;
  /** Parallel calls run on the calling thread alone because the workers were not getting CPU time (see Runtime.run). */
  serialized: number;
}

/** Wall time (ms) of parallel calls over which the workers' usefulness is judged. */
const JUDGE_MS = 30;
/** How long (ms) calls stay on the calling thread after the workers were judged idle, at first and at most. */
const BACKOFF_MS = [250, 4000];

/** How the module was picked, for diagnostics and BENCHMARKS.md. */
export interface WasmFeatures {
  relaxedSimd: boolean;
  sharedMemory: boolean;
  platform: 'node' | 'browser';
}

/**
 * The loaded module, its memory and the thread pool. Memory from ARENA up holds resident buffers
 * (pinned blocks that outlive calls, see `resident`), then a bump arena that is reset at the start
 * of every kernel call: the wasm side never allocates, so nothing leaks and the memory only grows
 * to the largest footprint.
 */
export class Runtime {
  readonly features: WasmFeatures;
  private readonly module: WebAssembly.Module;
  private readonly memory: WebAssembly.Memory;
  private readonly fns: KernelFn[];
  private readonly control: SharedArrayBuffer | undefined;
  private readonly ctl: Int32Array | undefined;
  private workers: WorkerHandle[] = [];
  private serial = 0;
  private threadCount = 1;
  private top = ARENA;
  /** Pinned blocks live in [ARENA, pinTop); the arena starts at pinTop. */
  private pinTop = ARENA;
  private readonly pinned = new Map<number, number>();
  private free: { at: number; bytes: number }[] = [];
  /** Every ArrayBuffer this memory has had (a shared memory's old buffers stay valid after growing). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly reclaim = new FinalizationRegistry<number>((at) => this.unpin(at));
  /** Process CPU time and wall time of the parallel calls being judged, and the current verdict. */
  private judged = { cpu: 0, wall: 0, serialUntil: 0, backoff: BACKOFF_MS[0], serialized: 0, calls: 0 };
  f32!: Float32Array;
  f64!: Float64Array;
  i32!: Int32Array;
  u32!: Uint32Array;

  private constructor(module: WebAssembly.Module, instance: WebAssembly.Instance, memory: WebAssembly.Memory, features: WasmFeatures) {
    this.module = module;
    this.memory = memory;
    this.features = features;
    this.fns = KERNELS.map((name) => instance.exports[name] as KernelFn);
    if (features.sharedMemory) {
      this.control = new SharedArrayBuffer(CTL.size * 4);
      this.ctl = new Int32Array(this.control);
    }
    this.refresh();
  }

  static async load(): Promise<Runtime> {
    let relaxed = false;
    if (envFlag('CONVLENS_RELAXED_SIMD') !== '0') {
      platform.enableRelaxedSimd();
      relaxed = WebAssembly.validate(decodeBase64(binaries.relaxed));
    }
    const shared = platform.canShareMemory;
    const name = `${relaxed ? 'relaxed' : 'simd'}${shared ? 'Shared' : ''}` as keyof typeof binaries;
    const module = await WebAssembly.compile(decodeBase64(binaries[name]));
    const memory = createMemory(shared);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const runtime = new Runtime(module, instance, memory, { relaxedSimd: relaxed, sharedMemory: shared, platform: platform.name });
    runtime.setThreads(defaultThreads());
    return runtime;
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    // workers whose instance has not yet seen this size sit out the calls that could touch it
    if (this.ctl) Atomics.store(this.ctl, CTL.pages, buffer.byteLength / PAGE);
    this.buffers.add(buffer);
    this.f32 = new Float32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
  }

  /** Starts a call: forgets the previous call's arena allocations. */
  reset(): void {
    this.top = this.pinTop;
  }

  /**
   * A float32 array in wasm memory that kernels read and write in place (no copy in or out), for
   * data that lives across calls (a training step's activations and gradients). Its block is given
   * back when the array is garbage collected. Only with shared memory: a private memory's buffer is
   * detached when it grows, so there this is a plain array. Call between kernel calls only.
   */
  resident(length: number): Float32Array {
    if (!this.features.sharedMemory || length === 0) return new Float32Array(length);
    const at = this.pin(length * 4);
    const view = new Float32Array(this.memory.buffer, at, length);
    this.buffers.add(view.buffer);
    this.reclaim.register(view, at);
    return view;
  }

  /** The byte address of `a`'s first element when it lives in this memory, else -1. */
  addressOf(a: ArrayBufferView): number {
    return this.buffers.has(a.buffer) ? a.byteOffset : -1;
  }

  /** Reserves a block that outlives calls (64-byte aligned, with slack for kernels that read a vector past the end). */
  private pin(bytes: number): number {
    // checked before the 64-byte rounding, whose 32-bit arithmetic wraps at 2 GiB
    if (bytes + 64 > ARENA_LIMIT - ARENA) throw new WasmMemoryFull(bytes);
    const size = (bytes + 64 + 63) & ~63;
    let at = -1;
    const fit = this.free.findIndex((f) => f.bytes >= size);
    if (fit >= 0) {
      const block = this.free[fit];
      at = block.at;
      if (block.bytes > size) this.free[fit] = { at: at + size, bytes: block.bytes - size };
      else this.free.splice(fit, 1);
    } else {
      at = this.pinTop;
      if (at + size > ARENA_LIMIT) throw new WasmMemoryFull(at + size);
      const top = this.top;
      this.pinTop += size;
      this.top = Math.max(top, this.pinTop);
      try {
        this.commit();
      } catch (error) {
        // the memory could not grow: the block was never there
        this.pinTop = at;
        this.top = top;
        throw error;
      }
    }
    this.pinned.set(at, size);
    return at;
  }

  private unpin(at: number): void {
    const size = this.pinned.get(at);
    if (size === undefined) return;
    this.pinned.delete(at);
    const free = [...this.free, { at, bytes: size }].sort((a, b) => a.at - b.at);
    const merged: { at: number; bytes: number }[] = [];
    for (const f of free) {
      const last = merged[merged.length - 1];
      if (last && last.at + last.bytes === f.at) last.bytes += f.bytes;
      else merged.push({ ...f });
    }
    const last = merged[merged.length - 1];
    if (last && last.at + last.bytes === this.pinTop) {
      this.pinTop = last.at;
      merged.pop();
    }
    this.free = merged;
  }

  /** Reserves `bytes` (plus slack for kernels that read a vector past the end), 64-byte aligned; returns the address. */
  alloc(bytes: number): number {
    const at = Math.ceil(this.top / 64) * 64;
    if (at + bytes + 64 > ARENA_LIMIT) throw new WasmMemoryFull(at + bytes);
    this.top = at + bytes + 64;
    return at;
  }

  /** Makes sure every allocation since reset() is backed by memory; growing may move the views. */
  commit(): void {
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      try {
        this.memory.grow(Math.ceil((this.top - have) / PAGE));
      } catch {
        throw new WasmMemoryFull(this.top); // the memory's maximum, or the machine's, is reached
      }
      this.refresh();
    } else if (this.f32.buffer.byteLength !== have) {
      this.refresh();
    }
  }

  threads(): number {
    return this.threadCount;
  }

  /**
   * Sets how many threads (main included) kernels use. Extra workers are retired at once; missing
   * ones are started by the next call that has enough work (so importing convlens starts none).
   */
  setThreads(n: number): void {
    const wanted = Math.min(MAX_THREADS, Math.max(1, Math.floor(n)));
    this.threadCount = this.ctl ? wanted : 1;
    const workers = this.threadCount - 1;
    const ctl = this.ctl;
    if (!ctl || workers >= this.workers.length) return;
    // clear the slots first: a retired worker that wakes up late sees it no longer owns one
    for (let tid = workers + 1; tid <= this.workers.length; tid++) Atomics.store(ctl, CTL.slots + tid, 0);
    for (const worker of this.workers.splice(workers)) worker.terminate();
  }

  /** Starts the workers setThreads asked for; they join jobs as soon as they are up. */
  private spawnWorkers(): void {
    const ctl = this.ctl;
    if (!ctl || !this.control) return;
    while (this.workers.length < this.threadCount - 1) {
      const tid = this.workers.length + 1;
      const serial = ++this.serial;
      Atomics.store(ctl, CTL.slots + tid, serial);
      this.workers.push(
        platform.spawn(workerSource, {
          module: this.module,
          memory: this.memory,
          control: this.control,
          kernels: [...KERNELS],
          tid,
          serial,
          generation: Atomics.load(ctl, CTL.generation),
        }),
      );
    }
  }

  /** Thread pool counters: workers started and up, and how many jobs workers have taken part in. */
  stats(): ThreadStats {
    const ctl = this.ctl;
    return {
      threads: this.threadCount,
      workers: this.workers.length,
      ready: ctl ? Atomics.load(ctl, CTL.ready) : 0,
      joined: ctl ? Atomics.load(ctl, CTL.joined) : 0,
      serialized: this.judged.serialized,
    };
  }

  /**
   * Judges, over every JUDGE_MS of (sampled) parallel calls, whether the workers actually ran alongside the
   * calling thread: the process's CPU time over the calls' wall time is near the thread count when
   * they did and near 1 when the cores are busy with other processes (the workers then only wait
   * for CPU, or take it from the calling thread, and every call waits for them). In that case calls
   * run on the calling thread alone for a while (250 ms, doubling up to 4 s while it lasts), then
   * the workers are tried again.
   */
  private judge(cpu: number, wall: number, threads: number, now: number): void {
    const j = this.judged;
    j.cpu += cpu;
    j.wall += wall;
    if (j.wall < JUDGE_MS) return;
    const gain = j.cpu / j.wall;
    j.cpu = 0;
    j.wall = 0;
    if (gain < 1 + 0.3 * (threads - 1)) {
      j.serialUntil = now + j.backoff;
      j.backoff = Math.min(BACKOFF_MS[1], j.backoff * 2);
    } else {
      j.backoff = BACKOFF_MS[0];
    }
  }

  /**
   * Runs a kernel on the parameter record at PARAMS, over every thread when `parallel`. `main`, if
   * given, drives the calling thread's share: it calls `step` (one run of the kernel on this thread)
   * until the work is claimed, doing its own work between steps; workers are waited for after it.
   * `threads` tells it how many threads the call runs on (1: nobody else claims work).
   */
  run(kernel: KernelName, parallel: boolean, main?: (step: () => void, threads: number) => void): void {
    const id = KERNELS.indexOf(kernel);
    const fn = this.fns[id];
    const ctl = this.ctl;
    if (parallel && ctl && this.workers.length < this.threadCount - 1) this.spawnWorkers();
    // every started worker may join (one still starting up joins a later call): nobody waits for start-up
    let workers = parallel ? this.workers.length : 0;
    // every fourth parallel call is measured (reading the process's CPU time costs a system call)
    const cpuTime = workers > 0 && (this.judged.calls++ & 3) === 0 ? platform.cpuTime : undefined;
    const start = workers > 0 ? performance.now() : 0;
    if (workers > 0 && start < this.judged.serialUntil) {
      workers = 0;
      this.judged.serialized++;
    }
    if (workers === 0 || !ctl) {
      if (main) main(() => fn(PARAMS, 0, 1), 1);
      else fn(PARAMS, 0, 1);
      return;
    }
    const cpuStart = cpuTime ? cpuTime() : 0;
    const nth = workers + 1;
    ctl[CTL.kernel] = id;
    ctl[CTL.params] = PARAMS;
    ctl[CTL.threads] = nth;
    Atomics.store(ctl, CTL.error, 0);
    const generation = Atomics.add(ctl, CTL.generation, 1) + 1;
    Atomics.notify(ctl, CTL.generation);
    let failure: unknown;
    try {
      if (main) main(() => fn(PARAMS, 0, nth), nth);
      else fn(PARAMS, 0, nth);
    } catch (error) {
      failure = error;
    }
    // all work is claimed: close the job to late workers, wait for those inside it
    Atomics.store(ctl, CTL.closed, generation);
    let active = Atomics.load(ctl, CTL.active);
    let spins = 0;
    while (active > 0) {
      if (platform.canBlock && ++spins > SPIN) Atomics.wait(ctl, CTL.active, active, 1000);
      active = Atomics.load(ctl, CTL.active);
    }
    // judged once every worker ever started is up (one still compiling the module cannot help yet)
    if (cpuTime && Atomics.load(ctl, CTL.ready) >= this.serial) {
      const end = performance.now();
      this.judge(cpuTime() - cpuStart, end - start, nth, end);
    }
    if (failure) throw failure;
    if (Atomics.load(ctl, CTL.error) !== 0) throw new Error(`wasm kernel ${kernel} failed in a worker thread: ${workerError(ctl)}`);
  }
}

/** The message a worker left in the control block with its error (a wasm trap reads `RuntimeError: ...`). */
function workerError(ctl: Int32Array): string {
  const length = ctl[CTL.message];
  return String.fromCharCode(...ctl.subarray(CTL.message + 1, CTL.message + 1 + length));
}

function defaultThreads(): number {
  const env = platform.env('CONVLENS_THREADS')?.trim();
  if (env === undefined || env === '') return platform.cores();
  const n = Number(env);
  if (/^\d+$/.test(env) && n >= 1) return n;
  console.warn(`convlens: CONVLENS_THREADS=${env} is not a positive whole number; using ${platform.cores()} threads (the cores)`);
  return platform.cores();
}
