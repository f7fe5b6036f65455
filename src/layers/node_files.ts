import { ConvlensError } from '../errors.js';

/**
 * Node's fs and path, loaded only when a file is read or written so browser bundles never need
 * them. In a module of its own, outside the public declarations: its inferred type names Node's
 * types, which a browser project's type-check does not have.
 */
export async function nodeModules(op: string) {
  try {
    const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
    return { fs, path };
  } catch {
    throw new ConvlensError(`${op}: needs Node.js file access; in the browser use toArtifacts() / fromArtifacts()`);
  }
}
