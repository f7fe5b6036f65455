import type { Platform } from './platform_types.js';

export type { Platform, WorkerHandle, WorkerStart } from './platform_types.js';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** The host the backend runs on; the Node module (worker_threads, os, v8) is only loaded in Node. */
export const platform: Platform = isNode ? (await import('./platform_node.js')).platform : (await import('./platform_browser.js')).platform;
