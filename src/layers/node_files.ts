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

/**
 * The file path in `location`: a path as it is, or a TensorFlow.js `file://` URL as tfjs-node
 * reads one (the rest is the path: `file:///tmp/model`, `file://./model`). tfjs' other storage
 * URLs (indexeddb://, localstorage://, downloads://, http://) are refused by name: convlens reads
 * and writes files.
 */
export function localPath(op: string, location: string): string {
  if (location.startsWith('file://')) {
    const path = location.slice('file://'.length);
    if (path === '')
      throw new ConvlensError(`${op}: '${location}' names no path (file:///tmp/model, or file://./model relative to the current folder)`);
    return path;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new ConvlensError(
      `${op}: '${location}' is a URL convlens does not read or write: give a path or a file:// URL (in the browser, toArtifacts() / fromArtifacts())`,
    );
  }
  return location;
}
