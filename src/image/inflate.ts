import { unzlibSync } from 'fflate';
import { nodeZlib } from './zlib_native.js';

/** Node's native inflate where there is one. */
const native = nodeZlib?.inflateNode;

/** Natively inflated at most, without a size (larger goes to fflate): an ICC profile is a few kB, rarely a few MB. */
const MAX_UNSIZED = 1 << 24;

/**
 * Inflates the zlib stream `data` into at most `expected` bytes (extra data is ignored), or all of
 * it when no size is given: natively in Node, with fflate elsewhere. A truncated stream gives the
 * bytes it holds, or throws.
 */
export function inflateZlib(data: Uint8Array, expected?: number): Uint8Array {
  if (expected === undefined) return native?.(data, MAX_UNSIZED) ?? unzlibSync(data);
  return native?.(data, expected, true) ?? unzlibSync(data, { out: new Uint8Array(expected) });
}
