/**
 * convlens: convolutional feature extraction (filter, detect, condense) with TensorFlow's
 * semantics, for Node.js and the browser.
 */

export type { BackendName } from './backend/index.js';
export { getBackend, setBackend } from './backend/index.js';
export { ConvlensError } from './errors.js';
export * from './ops/index.js';
export * from './tensor/index.js';
