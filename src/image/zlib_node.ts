import * as zlib from 'node:zlib';
import { constants, inflateSync } from 'node:zlib';

/**
 * Node's native zlib (about three times faster than fflate's JavaScript inflate on PNG data):
 * the zlib stream `data` inflated to at most `expected` bytes; a truncated stream gives what it
 * holds. Undefined when the output would be longer than `expected` (extra data after the image,
 * which the caller handles the portable way), rather than inflating an unbounded amount.
 */
export function inflateNode(data: Uint8Array, expected: number): Uint8Array | undefined {
  try {
    const out = inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, expected) });
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw error;
  }
}

/** Node's native CRC-32 (Node 20.15 and later; hardware-assisted), or undefined before. */
export const crc32Node: ((data: Uint8Array) => number) | undefined = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
