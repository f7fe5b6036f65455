import { ConvlensError, describeValue } from '../errors.js';
import { jsBackend } from './js/index.js';
import type { Backend, BackendName } from './types.js';

const backends = new Map<BackendName, Backend>([['js', jsBackend]]);
let current: Backend = jsBackend;

/** Makes a backend available to `setBackend` (the wasm backend registers itself when it loads). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** Chooses the backend every op runs on from now on. */
export function setBackend(name: BackendName): void {
  const backend = backends.get(name);
  if (!backend) {
    const known = [...backends.keys()].join(', ');
    throw new ConvlensError(`setBackend: unknown or unavailable backend ${describeValue(name)} (available: ${known})`);
  }
  current = backend;
}

/** The name of the backend ops run on. */
export function getBackend(): BackendName {
  return current.name;
}

/** The backend object itself, for ops. */
export function backend(): Backend {
  return current;
}
