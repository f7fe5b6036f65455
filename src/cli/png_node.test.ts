import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodePng } from '../image/index.js';
import { Tensor } from '../tensor/tensor.js';
import { encodeNpy } from './npy.js';
import { encodePngNode } from './png_node.js';

describe('encodePngNode', () => {
  it('writes PNGs that a decoder reads back exactly (gray, RGB, RGBA)', () => {
    for (const [h, w, c] of [
      [1, 1, 1],
      [7, 5, 3],
      [33, 17, 4],
      [20, 64, 1],
    ]) {
      const data = Uint8Array.from({ length: h * w * c }, (_, i) => (i * 2654435761) >>> 24);
      const bytes = encodePngNode(new Tensor(data, [h, w, c], 'uint8'));
      const png = decode(bytes, { checkCrc: true });
      expect([png.width, png.height, png.channels, png.depth]).toEqual([w, h, c, 8]);
      expect(Array.from(png.data)).toEqual(Array.from(data));
      // convlens' own decoder checks every chunk's CRC too
      expect(Array.from(decodePng(bytes, { channels: c as 1 | 3 | 4 }).data)).toEqual(Array.from(data));
    }
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
