import { backend } from '../backend/registry.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * predict's buffers: one pool for all the layers of a model (nested models too), each buffer
 * handed to a layer's output or scratch and taken back as soon as no tensor the running models
 * hold views it. At inference nothing reads an activation once every layer that takes it has run
 * (fit keeps them all for backward, in a Workspace of a buffer per layer), so a chain of layers
 * computes in two buffers, a graph in as many as its widest point holds. They are the backend's
 * resident buffers, as a Workspace's, kept from call to call.
 */
export class InferenceWorkspace {
  active = false;
  private free: Float32Array[] = [];
  /** The model runs under way, outermost first: each takes back only the buffers handed out within it. */
  private runs: ModelRun[] = [];
  /** Handed out outside any model run: in use until the batch ends. */
  private loose: Float32Array[] = [];
  /** Buffers given up in this batch stay referenced until the next (as a Workspace's outgrown ones: a view of one may remain). */
  private retired: Float32Array[] = [];
  /** The backend the buffers were made for. */
  private backendName: string | undefined;

  /** A batch starts: nothing of the last one is in use (its outputs were copied out). */
  startBatch(): void {
    this.free.push(...this.loose, ...this.runs.flatMap((run) => run.owned));
    this.loose = [];
    this.runs = [];
    this.retired = [];
    if (backend().name !== this.backendName) {
      this.retired = this.free;
      this.free = [];
      this.backendName = backend().name;
    }
  }

  /** `length` floats (contents undefined): the smallest free buffer that holds them, else a new one. */
  get(_owner: object, _key: string, length: number): Float32Array {
    const buffer = this.take(length);
    (this.runs.at(-1)?.owned ?? this.loose).push(buffer);
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }

  private take(length: number): Float32Array {
    let fit = -1;
    let largest = -1;
    this.free.forEach((b, i) => {
      if (b.length >= length && (fit < 0 || b.length < this.free[fit].length)) fit = i;
      if (largest < 0 || b.length > this.free[largest].length) largest = i;
    });
    if (fit >= 0) return this.free.splice(fit, 1)[0];
    // none is large enough: the largest gives way, so the pool never holds more buffers than were in use at once
    if (largest >= 0) this.retired.push(...this.free.splice(largest, 1));
    return backend().residentBuffer(length);
  }

  /**
   * A model's run starts; `live` gives the tensors it holds (its current output, or the outputs
   * that later layers still take). Call `release` after each layer and `end` when the run returns.
   */
  startRun(live: () => Iterable<Tensor>): ModelRun {
    const run = new ModelRun(this, live);
    this.runs.push(run);
    return run;
  }

  /** `run` has returned (and any run within it a layer's error cut short): what they still use (the output) is the caller's to release. */
  endRun(run: ModelRun): void {
    const ended = this.runs.splice(this.runs.indexOf(run));
    (this.runs.at(-1)?.owned ?? this.loose).push(...ended.flatMap((r) => r.owned));
  }

  /** Gives back the buffers handed out within `run` that none of its live tensors views. */
  release(run: ModelRun): void {
    const live = [...run.live()];
    run.owned = run.owned.filter((buffer) => {
      const used = live.some((t) => overlaps(t.data, buffer));
      if (!used) this.free.push(buffer);
      return used;
    });
  }

  /** The bytes of all the buffers it keeps (in use or free). */
  get heldBytes(): number {
    const all = [...this.free, ...this.loose, ...this.runs.flatMap((run) => run.owned)];
    return all.reduce((sum, b) => sum + b.byteLength, 0);
  }
}

/** One model's run in an InferenceWorkspace (see startRun). */
export class ModelRun {
  owned: Float32Array[] = [];
  constructor(
    private readonly workspace: InferenceWorkspace,
    readonly live: () => Iterable<Tensor>,
  ) {}

  /** A layer has run: the buffers no tensor of the run views any more go back to the pool. */
  release(): void {
    this.workspace.release(this);
  }

  end(): void {
    this.workspace.endRun(this);
  }
}

/**
 * Whether `a` and `b` share memory. Views of different ArrayBuffers do not, but for shared ones:
 * the wasm backend's resident buffers view its memory through a new SharedArrayBuffer each time
 * it grows, so those are compared by address (which at worst keeps a buffer in use too long).
 */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const sameMemory = a.buffer === b.buffer || (!(a.buffer instanceof ArrayBuffer) && !(b.buffer instanceof ArrayBuffer));
  return sameMemory && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
