import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../image/index.js';
import { Tensor } from '../tensor/tensor.js';
import { encodeNpy } from './npy.js';
import { encodeIndexedPngNode } from './png_node.js';

describe('encodeIndexedPngNode', () => {
  it('writes palette PNGs that decoders read back as the palette colours of the indices', () => {
    for (const [h, w, entries] of [
      [1, 1, 1],
      [7, 5, 3],
      [33, 17, 256],
      [20, 64, 200],
    ]) {
      const indices = Uint8Array.from({ length: h * w }, (_, i) => ((i * 2654435761) >>> 24) % entries);
      const palette = Uint8Array.from({ length: entries * 3 }, (_, i) => (i * 40503) >>> 8);
      const bytes = encodeIndexedPngNode(new Tensor(indices, [h, w], 'uint8'), palette);
      const png = decode(bytes, { checkCrc: true });
      expect([png.width, png.height, png.channels, png.depth]).toEqual([w, h, 1, 8]);
      expect(Array.from(png.data)).toEqual(Array.from(indices));
      expect(Array.from(png.palette!.flat())).toEqual(Array.from(palette));
      // convlens' own decoder checks every chunk's CRC and expands the palette, as libpng does
      const rgb = Array.from(indices).flatMap((k) => Array.from(palette.subarray(3 * k, 3 * k + 3)));
      expect(Array.from(decodePng(bytes, { channels: 3 }).data)).toEqual(rgb);
    }
  });

  it('refuses indices that are not 2-D and palettes of more than 256 entries', () => {
    expect(() => encodeIndexedPngNode(new Tensor(new Uint8Array(6), [1, 2, 3], 'uint8'), new Uint8Array(3))).toThrow(
      /expected indices \[H, W\]/,
    );
    expect(() => encodeIndexedPngNode(new Tensor(new Uint8Array(4), [2, 2], 'uint8'), new Uint8Array(771))).toThrow(
      /at most 256 RGB entries/,
    );
  });
});

describe('encodeNpy', () => {
  it('writes the NumPy 1.0 header and little-endian float32 values', () => {
    const bytes = encodeNpy(new Float32Array([1.5, -2, 0.25]), [1, 3]);
    const text = new TextDecoder('latin1').decode(bytes);
    expect(text.slice(0, 6)).toBe('\x93NUMPY');
    const headerLength = bytes[8] | (bytes[9] << 8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(text.slice(10, 10 + headerLength)).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(1, 3\), \} *\n$/);
    const view = new DataView(bytes.buffer, 10 + headerLength);
    expect([view.getFloat32(0, true), view.getFloat32(4, true), view.getFloat32(8, true)]).toEqual([1.5, -2, 0.25]);
    expect(new TextDecoder('latin1').decode(encodeNpy(new Float32Array(2), [2]))).toContain("'shape': (2,)");
  });
});
