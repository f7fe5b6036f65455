import { constants, deflateSync } from 'node:zlib';
import { crc32 } from '../image/checksums.js';
import type { Tensor } from '../tensor/tensor.js';

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * An 8-bit indexed-colour PNG, compressed by Node's native zlib (several times faster than a
 * JavaScript deflate, which matters when a batch writes thousands): `indices` `[H, W]` into
 * `palette` (RGB triples, at most 256), as `colorIndices` and `colormap` give them for a feature
 * map. A third of the samples of the RGB image, so it deflates about twice as fast into a file
 * about half the size, with the same pixels. Rows are unfiltered, as the PNG specification
 * advises for palette images. zlib's run-length strategy: on the sample photos' feature maps it
 * deflates about 6× faster than level 6 into files 7% larger overall (smaller for sparse maps such
 * as edges, up to a quarter larger for smooth ones such as blur).
 */
export function encodeIndexedPngNode(indices: Tensor<'uint8'>, palette: Uint8Array): Uint8Array {
  const [height, width] = indices.shape;
  if (indices.rank !== 2 || palette.length % 3 !== 0 || palette.length > 768) {
    throw new Error(
      `encodeIndexedPngNode: expected indices [H, W] and at most 256 RGB entries, got [${indices.shape}] and ${palette.length} bytes`,
    );
  }
  const rows = unfilteredRows(indices.data, width, height);
  return pngFile(width, height, 3, [
    ['PLTE', palette],
    ['IDAT', deflateSync(rows, { strategy: constants.Z_RLE })],
  ]);
}

/**
 * The rows behind filter bytes 0 (none). A loop in a function of its own: V8 optimises a hot loop
 * together with the function around it, and this one around it would bring zlib's JavaScript
 * wrapper with it, a compile several times longer, done anew in every worker thread.
 */
function unfilteredRows(data: Uint8Array, width: number, height: number): Uint8Array {
  const rows = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) rows.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return rows;
}

/** The PNG signature, an 8-bit IHDR, the given chunks and IEND, in one array. */
function pngFile(width: number, height: number, colorType: number, chunks: [string, Uint8Array][]): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, colorType, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...chunks.map(([type, data]) => chunk(type, data)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
