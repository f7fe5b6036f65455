import { ConvlensError, describeValue } from '../../errors.js';
import { jsBackend } from '../js/index.js';
import { registerBackend, setBackend } from '../registry.js';
import { requestedBackend } from '../requested.js';
import type { Backend } from '../types.js';
import { makeKernels } from './kernels.js';
import { platform } from './platform.js';
import { Runtime, type ThreadStats, type WasmFeatures, WasmMemoryFull } from './runtime.js';

let runtime: Runtime | undefined;
let loadError: unknown;
try {
  runtime = await Runtime.load();
} catch (error) {
  // no WebAssembly SIMD here (or its memory could not be reserved): the js backend stays the default
  loadError = error;
}

/**
 * The `wasm` backend: 128-bit SIMD AssemblyScript kernels on one shared memory, split over worker
 * threads. Kernels without a wasm version (depthwise convolution, reduce, transpose, softmax,
 * transcendental element-wise ops, non-float32 dtypes, small element-wise calls) run the js reference.
 * Undefined when WebAssembly SIMD is not available.
 */
export const wasmBackend: Backend | undefined = runtime ? { ...jsBackend, name: 'wasm', ...orReference(makeKernels(runtime)) } : undefined;

/**
 * Each kernel, falling back to the js reference for a call too large for wasm memory (a photo of
 * hundreds of megapixels): slower, but right, where the wasm arena would otherwise overflow.
 */
export function orReference<K extends Partial<Backend>>(kernels: K): K {
  const wrapped: Record<string, unknown> = { ...kernels };
  for (const [name, kernel] of Object.entries(kernels)) {
    type Kernel = (...args: unknown[]) => unknown;
    const reference = (jsBackend as unknown as Record<string, Kernel | undefined>)[name];
    if (typeof kernel !== 'function' || typeof reference !== 'function') continue;
    wrapped[name] = (...args: unknown[]) => {
      try {
        return (kernel as Kernel)(...args);
      } catch (error) {
        if (error instanceof WasmMemoryFull) return reference(...args);
        throw error;
      }
    };
  }
  return wrapped as K;
}

/** Why the wasm backend is unavailable, if it is. */
export function wasmLoadError(): unknown {
  return loadError;
}

/** Which build of the kernels was loaded (relaxed SIMD or not, shared memory or not), or undefined. */
export function wasmFeatures(): WasmFeatures | undefined {
  return runtime?.features;
}

/** Thread pool counters (workers started, up, jobs they took part in), for diagnostics. */
export function wasmThreadStats(): ThreadStats | undefined {
  return runtime?.stats();
}

/**
 * Sets how many threads the wasm backend's kernels use (the calling thread counts as one).
 * Defaults to the available cores (`CONVLENS_THREADS` overrides); always 1 where memory cannot be
 * shared (a browser page without cross-origin isolation).
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new ConvlensError(`setThreads: expected a whole number of threads >= 1, got ${describeValue(n)}`);
  runtime?.setThreads(n);
}

/** The number of threads the wasm backend uses (1 when it is unavailable or cannot share memory). */
export function getThreads(): number {
  return runtime?.threads() ?? 1;
}

const requested = requestedBackend(platform.env('CONVLENS_BACKEND'));
if (requested.problem) console.warn(`convlens: ${requested.problem}; using ${wasmBackend ? 'wasm' : 'js'}`);
if (wasmBackend) {
  registerBackend(wasmBackend);
  if (requested.name !== 'js') setBackend('wasm');
}
