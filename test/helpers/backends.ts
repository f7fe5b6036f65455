/**
 * Runs a test suite once per registered backend. The js backend is always there; the wasm
 * backend is loaded (and awaited, if it exposes an initialiser) when its source exists.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe } from 'vitest';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import type { BackendName } from '../../src/backend/types.js';

const CANDIDATES: BackendName[] = ['js', 'wasm'];

async function loadOptionalBackends(): Promise<void> {
  const wasmEntry = new URL('../../src/backend/wasm/index.ts', import.meta.url);
  if (!existsSync(fileURLToPath(wasmEntry))) return;
  const mod: Record<string, unknown> = await import(wasmEntry.href);
  // A backend that needs asynchronous set-up (compiling its module) may export one of these.
  for (const name of ['ready', 'init', 'initWasmBackend']) {
    const hook = mod[name];
    if (typeof hook === 'function') await hook();
    else if (hook instanceof Promise) await hook;
  }
}

function isRegistered(name: BackendName): boolean {
  const previous = getBackend();
  try {
    setBackend(name);
    return true;
  } catch {
    return false;
  } finally {
    setBackend(previous);
  }
}

await loadOptionalBackends();

/** The names of the backends available in this process, `js` first. */
export const BACKENDS: BackendName[] = CANDIDATES.filter(isRegistered);

/** Declares `fn`'s tests once per backend, each inside `describe('backend <name>')` with that backend active. */
export function forEachBackend(fn: (name: BackendName) => void): void {
  for (const name of BACKENDS) {
    describe(`backend ${name}`, () => {
      let previous: BackendName;
      beforeAll(() => {
        previous = getBackend();
        setBackend(name);
      });
      afterAll(() => setBackend(previous));
      fn(name);
    });
  }
}
