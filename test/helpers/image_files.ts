import { GifWriter } from 'omggif';

/** A GIF frame for `gif`: its rectangle, colour indices and options (omggif's names). */
export interface GifFrameSpec {
  x?: number;
  y?: number;
  width: number;
  height: number;
  pixels: number[];
  /** A local colour table, as 0xRRGGBB numbers. */
  palette?: number[];
  transparent?: number;
  disposal?: number;
}

/** A GIF written by omggif's encoder (independent of convlens's decoder); `screen` is [height, width]. */
export function gif(screen: [number, number], frames: GifFrameSpec[], palette?: number[]): Uint8Array {
  const buffer = new Uint8Array(1 << 20);
  const writer = new GifWriter(buffer, screen[1], screen[0], palette ? { palette } : {});
  for (const f of frames) {
    writer.addFrame(f.x ?? 0, f.y ?? 0, f.width, f.height, f.pixels, {
      palette: f.palette,
      transparent: f.transparent,
      disposal: f.disposal,
    });
  }
  return buffer.slice(0, writer.end());
}

/** The RGB bytes of colour indices through a palette of 0xRRGGBB numbers: what a GIF decoder must give. */
export function paint(indices: number[], palette: number[]): number[] {
  return indices.flatMap((i) => [palette[i] >> 16, (palette[i] >> 8) & 255, palette[i] & 255]);
}

export interface BmpSpec {
  /** Rows top to bottom, each pixel as the bytes stored (B, G, R[, A], or one index). */
  rows: number[][][];
  bitsPerPixel: 8 | 24 | 32;
  topDown?: boolean;
  /** RGB entries of the colour table. */
  palette?: number[][];
  infoSize?: number;
  compression?: number;
}

/** A BMP laid out by hand per Microsoft's BITMAPFILEHEADER + BITMAPINFOHEADER (or a longer info header). */
export function bmp({ rows, bitsPerPixel, topDown = false, palette = [], infoSize = 40, compression = 0 }: BmpSpec): Uint8Array {
  const width = rows[0].length;
  const rowSize = Math.ceil((width * bitsPerPixel) / 32) * 4;
  const offset = 14 + infoSize + 4 * palette.length;
  const bytes = new Uint8Array(offset + rowSize * rows.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x42, 0x4d]);
  view.setUint32(2, bytes.length, true);
  view.setUint32(10, offset, true);
  view.setUint32(14, infoSize, true);
  view.setInt32(18, width, true);
  view.setInt32(22, topDown ? -rows.length : rows.length, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, bitsPerPixel, true);
  view.setUint32(30, compression, true);
  view.setUint32(46, palette.length, true);
  for (const [i, [r, g, b]] of palette.entries()) bytes.set([b, g, r, 0], 14 + infoSize + 4 * i);
  // rows are stored bottom-up unless the height is negative; padding bytes stay 0
  const stored = topDown ? rows : [...rows].reverse();
  for (const [y, row] of stored.entries()) bytes.set(row.flat(), offset + y * rowSize);
  return bytes;
}

/** A 24-bit bottom-up BMP of `height` × `width` RGB `pixels` (row-major, top row first). */
export function bmpOfRgb(pixels: ArrayLike<number>, height: number, width: number): Uint8Array {
  const rows = Array.from({ length: height }, (_, y) =>
    Array.from({ length: width }, (_, x) => {
      const i = (y * width + x) * 3;
      return [pixels[i + 2], pixels[i + 1], pixels[i]];
    }),
  );
  return bmp({ rows, bitsPerPixel: 24 });
}
