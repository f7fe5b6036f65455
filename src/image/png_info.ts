import { ConvlensError } from '../errors.js';
import { crc32 } from './checksums.js';

/** What convlens needs from a PNG's chunks before (and besides) decoding the pixels. */
export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  interlace: number;
  /** gAMA before PLTE and the first IDAT, in libpng's fixed point (100000 = 1.0), if present and valid. */
  gamma?: number;
  /** An sRGB chunk before PLTE and the first IDAT. */
  srgb: boolean;
  /** sBIT values before PLTE and the first IDAT, if present and valid. */
  significantBits?: number[];
  /** PLTE entries as RGB bytes (palette images). */
  palette?: Uint8Array;
  /** A valid tRNS chunk's data: palette alphas, or the gray / RGB colour key as 16-bit values. */
  trns?: Uint8Array;
  /** The iCCP chunk's data (name, method, compressed profile), before PLTE and the first IDAT. */
  iccpData?: Uint8Array;
  /** The IDAT chunks' data, in order. */
  idat: Uint8Array[];
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COLOR_TYPES: Record<number, { name: string; depths: number[]; channels: number }> = {
  0: { name: 'gray', depths: [1, 2, 4, 8, 16], channels: 1 },
  2: { name: 'RGB', depths: [8, 16], channels: 3 },
  3: { name: 'palette', depths: [1, 2, 4, 8], channels: 1 },
  4: { name: 'gray+alpha', depths: [8, 16], channels: 2 },
  6: { name: 'RGBA', depths: [8, 16], channels: 4 },
};

function u32(b: Uint8Array, at: number): number {
  return i32(b, at) >>> 0;
}

/** The big-endian 32 bits at `at` as a signed integer (how crc32 gives a CRC). */
function i32(b: Uint8Array, at: number): number {
  return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}

function chunkName(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/** Reads IHDR (the caller checks the pixel limit with it before anything else is done). */
export function readPngHeader(op: string, bytes: Uint8Array): PngInfo {
  for (let i = 0; i < SIGNATURE.length; i++) {
    if (bytes[i] !== SIGNATURE[i]) {
      if (i === bytes.length) throw new ConvlensError(`${op}: data is truncated: ${bytes.length} bytes end inside the PNG signature`);
      throw new ConvlensError(`${op}: data is not a PNG (bad signature)`);
    }
  }
  if (bytes.length < 33) throw new ConvlensError(`${op}: data is truncated: ${bytes.length} bytes end inside the PNG header (IHDR)`);
  if (u32(bytes, 8) !== 13 || chunkName(bytes, 12) !== 'IHDR') {
    throw new ConvlensError(
      `${op}: data is corrupt: the first PNG chunk is ${JSON.stringify(chunkName(bytes, 12))}, expected a 13-byte IHDR`,
    );
  }
  if (crc32(bytes, 12, 29) !== i32(bytes, 29)) throw new ConvlensError(`${op}: data is corrupt: the PNG header (IHDR) fails its CRC check`);
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const bitDepth = bytes[24];
  const colorType = bytes[25];
  const interlace = bytes[28];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new ConvlensError(`${op}: data is corrupt: the PNG header gives an invalid size ${height}×${width} (height×width)`);
  }
  const type = COLOR_TYPES[colorType];
  if (!type) throw new ConvlensError(`${op}: data is corrupt: unknown PNG color type ${colorType} (expected 0, 2, 3, 4 or 6)`);
  if (!type.depths.includes(bitDepth)) {
    throw new ConvlensError(
      `${op}: data is corrupt: PNG bit depth ${bitDepth} is not allowed for ${type.name} images (expected ${type.depths.join(', ')})`,
    );
  }
  if (bytes[26] !== 0 || bytes[27] !== 0 || interlace > 1) {
    throw new ConvlensError(`${op}: data is corrupt: unknown PNG compression, filter or interlace method in the header`);
  }
  return { width, height, bitDepth, colorType, interlace, srgb: false, idat: [] };
}

/**
 * Walks the chunks after IHDR as libpng does for TensorFlow: every chunk must fit in the data,
 * critical chunks must pass their CRC (ancillary ones failing it are ignored), and the data must
 * reach IEND. Records the chunks that change how pixels are converted.
 */
export function readPngChunks(op: string, bytes: Uint8Array, info: PngInfo): void {
  let at = 33;
  let seenIdat = false;
  let seenPlte = false;
  for (;;) {
    if (at + 8 > bytes.length) {
      throw new ConvlensError(
        `${op}: data is truncated: it ends at byte ${bytes.length} before the PNG end marker (IEND)${seenIdat ? '' : ' and before any image data'}`,
      );
    }
    const length = u32(bytes, at);
    const name = chunkName(bytes, at + 4);
    const dataStart = at + 8;
    const end = dataStart + length + 4;
    if (length > 0x7fffffff || end > bytes.length) {
      throw new ConvlensError(
        `${op}: data is truncated: chunk ${JSON.stringify(name)} at byte ${at} needs ${length + 12} bytes but only ${bytes.length - at} remain`,
      );
    }
    const critical = (bytes[at + 4] & 0x20) === 0;
    const crcOk = crc32(bytes, at + 4, dataStart + length) === i32(bytes, dataStart + length);
    if (!crcOk && critical)
      throw new ConvlensError(`${op}: data is corrupt: PNG chunk ${JSON.stringify(name)} at byte ${at} fails its CRC check`);
    const data = bytes.subarray(dataStart, dataStart + length);
    if (name === 'IEND') {
      if (!seenIdat) throw new ConvlensError(`${op}: data is corrupt: the PNG has no image data (IDAT)`);
      return;
    }
    if (name === 'IDAT') {
      if (info.colorType === 3 && !info.palette)
        throw new ConvlensError(`${op}: data is corrupt: the palette PNG has no palette (PLTE) before its image data`);
      seenIdat = true;
      info.idat.push(data);
    } else if (name === 'IHDR') {
      throw new ConvlensError(`${op}: data is corrupt: a second PNG header (IHDR) at byte ${at}`);
    } else if (name === 'PLTE' && !seenIdat) {
      readPalette(op, info, data);
      // libpng's mode bit: a colour image's palette, used or only suggested
      if (info.colorType & 2) seenPlte = true;
    } else if (crcOk && !seenIdat) {
      readAncillary(info, name, data, seenPlte);
    }
    at = end;
  }
}

function readPalette(op: string, info: PngInfo, data: Uint8Array): void {
  if (info.colorType !== 3) return; // a suggested palette: not used for decoding
  if (info.palette) throw new ConvlensError(`${op}: data is corrupt: the PNG has two palettes (PLTE)`);
  if (data.length % 3 !== 0 || data.length === 0) {
    throw new ConvlensError(`${op}: data is corrupt: the PNG palette (PLTE) has ${data.length} bytes (expected 3 per entry)`);
  }
  info.palette = data.subarray(0, Math.min(data.length, 3 * 2 ** info.bitDepth));
}

/** libpng's validity rules for tRNS: anything else is ignored with a warning. */
function validTrns(info: PngInfo, data: Uint8Array): boolean {
  if (info.trns) return false;
  if (info.colorType === 0) return data.length === 2;
  if (info.colorType === 2) return data.length === 6;
  if (info.colorType === 3) return info.palette !== undefined && data.length > 0 && data.length <= info.palette.length / 3;
  return false;
}

/** Chunks libpng reads only before PLTE; after it, it ignores them as out of place. */
const BEFORE_PLTE = new Set(['gAMA', 'sRGB', 'iCCP', 'sBIT']);

function readAncillary(info: PngInfo, name: string, data: Uint8Array, seenPlte: boolean): void {
  if (seenPlte && BEFORE_PLTE.has(name)) return;
  switch (name) {
    case 'tRNS':
      if (validTrns(info, data)) info.trns = data;
      break;
    case 'gAMA':
      if (data.length === 4) {
        const gamma = u32(data, 0);
        if (gamma >= 16 && gamma <= 625_000_000) info.gamma = gamma;
      }
      break;
    case 'sRGB':
      if (data.length === 1 && data[0] < 4) info.srgb = true;
      break;
    case 'iCCP':
      info.iccpData ??= data;
      break;
    case 'sBIT': {
      const sampleDepth = info.colorType === 3 ? 8 : info.bitDepth;
      const expected = info.colorType === 3 ? 3 : COLOR_TYPES[info.colorType].channels;
      const bits = Array.from(data);
      if (bits.length === expected && bits.every((b) => b > 0 && b <= sampleDepth)) info.significantBits = bits;
      break;
    }
  }
}
