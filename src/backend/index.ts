export { backend, getBackend, registerBackend, setBackend } from './registry.js';
export type * from './types.js';
