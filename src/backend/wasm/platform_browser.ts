import type { Platform, WorkerStart } from './platform_types.js';

interface BrowserGlobals {
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  WorkerGlobalScope?: unknown;
  CONVLENS_THREADS?: number | string;
  CONVLENS_BACKEND?: string;
  CONVLENS_RELAXED_SIMD?: string;
}

const g = globalThis as unknown as BrowserGlobals;
const isolated = g.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
const inWorker = typeof g.WorkerGlobalScope !== 'undefined';

/**
 * Browsers: Web Workers from a Blob URL. Shared memory needs cross-origin isolation (COOP/COEP
 * headers); without it the backend runs on one thread. A page's main thread may not block, so
 * it spins while workers finish a call (see runtime.ts).
 */
export const platform: Platform = {
  name: 'browser',
  cores: () => (isolated ? Math.max(1, g.navigator?.hardwareConcurrency ?? 1) : 1),
  canShareMemory: isolated,
  canBlock: inWorker,
  enableRelaxedSimd() {
    // current browsers validate relaxed SIMD by default; nothing to switch on
  },
  spawn(source: string, data: WorkerStart) {
    const code = `${source}\nself.onmessage = (event) => { self.onmessage = null; start(event.data); };\n`;
    const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    worker.postMessage(data);
    return { terminate: () => worker.terminate() };
  },
  env(name: string) {
    const value = (g as Record<string, unknown>)[name];
    return value === undefined ? undefined : String(value);
  },
};
