/**
 * convlens: convolutional feature extraction (filter, detect, condense) with TensorFlow's
 * semantics, for Node.js and the browser.
 */

export type { BackendName } from './backend/index.js';
export { getBackend, getThreads, setBackend, setThreads } from './backend/index.js';
export { ConvlensError } from './errors.js';
export * as image from './image/index.js';
export * as kernels from './kernels/index.js';
export * as layers from './layers/index.js';
export * as initializers from './layers/initializers_api.js';
export * from './ops/index.js';
export * from './tensor/index.js';
export { Random, randomNormal, randomUniform, setSeed } from './tensor/random.js';
export * as constraints from './train/constraints.js';
export * as train from './train/index.js';
export * as losses from './train/loss_specs.js';
export * as metrics from './train/metric_specs.js';
export * as regularizers from './train/regularizers.js';
export * as viz from './viz/index.js';
