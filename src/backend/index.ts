export { backend, getBackend, registerBackend, setBackend } from './registry.js';
export type * from './types.js';
// Loads the wasm backend and makes it the default when it works (CONVLENS_BACKEND=js keeps js).
export { getThreads, setThreads, wasmFeatures, wasmThreadStats } from './wasm/index.js';
