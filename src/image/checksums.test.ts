import { describe, expect, it } from 'vitest';
import { adler32, crc32, crc32Table } from './checksums.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('checksums', () => {
  it("crc32 gives the standard check value of '123456789' (0xCBF43926), signed; ranges work", () => {
    expect(crc32(ascii('123456789')) >>> 0).toBe(0xcbf43926);
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926 | 0);
    expect(crc32(ascii('xx123456789yy'), 2, 11) >>> 0).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('the table loop (browsers) gives the standard check value too, and the same as crc32 on random bytes and ranges', () => {
    expect(crc32Table(ascii('123456789')) >>> 0).toBe(0xcbf43926);
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => Math.imul(i + 7, 2654435761) >>> 24);
    for (const [start, end] of [
      [0, 5000],
      [13, 4099],
      [100, 100],
      [4999, 5000],
    ]) {
      expect(crc32Table(bytes, start, end)).toBe(crc32(bytes, start, end));
    }
  });

  it("adler32 gives zlib's value for 'Wikipedia' (0x11E60398)", () => {
    expect(adler32(ascii('Wikipedia'))).toBe(0x11e60398);
  });
});
