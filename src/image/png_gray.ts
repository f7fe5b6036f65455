/**
 * RGB → gray for PNGs, exactly as TensorFlow's decode_png gets it from libpng 1.6:
 * `png_set_rgb_to_gray(png, 1, 0.299, 0.587)`, which libpng turns into the integer weights
 * 9797, 19234 and 3737 (sum 32768). Without gamma information the 8-bit result is truncated
 * (`(9797 r + 19234 g + 3737 b) >> 15`); with it (a gAMA chunk, an sRGB chunk, or an iCCP chunk
 * holding one of the sRGB profiles libpng recognises) libpng converts to linear light through
 * its gamma tables, combines, rounds and converts back. 16-bit images are converted at 16 bits
 * (rounded), then the low byte is dropped unless the decode keeps 16 bits.
 */
import { adler32, crc32 } from './checksums.js';
import type { PngInfo } from './png_info.js';

const RED = 9797;
const GREEN = 19234;
const BLUE = 32768 - RED - GREEN;

/** libpng's png_gamma_significant: outside 1.0 ± 0.05 in fixed point. */
function significant(gamma: number): boolean {
  return gamma < 95000 || gamma > 105000;
}

function reciprocal(a: number): number {
  return Math.floor(1e10 / a + 0.5);
}

function reciprocal2(a: number, b: number): number {
  return Math.floor(1e15 / a / b + 0.5);
}

function product2(a: number, b: number): number {
  return Math.floor(a * 1e-5 * b + 0.5);
}

function table8(gamma: number): Uint8Array {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    table[i] = significant(gamma) && i > 0 && i < 255 ? Math.floor(255 * (i / 255) ** (gamma * 0.00001) + 0.5) : i;
  }
  return table;
}

function correct16(value: number, gamma: number): number {
  return value > 0 && value < 65535 ? Math.floor(65535 * (value / 65535) ** (gamma * 0.00001) + 0.5) : value;
}

/** png_build_16bit_table, flattened: index with `value >> shift`. */
function table16(shift: number, gamma: number): Uint16Array {
  const max = 2 ** (16 - shift) - 1;
  const fmax = 1 / max;
  const table = new Uint16Array(max + 1);
  for (let ig = 0; ig <= max; ig++) {
    if (significant(gamma)) table[ig] = Math.floor(65535 * (ig * fmax) ** (gamma * 0.00001) + 0.5);
    else table[ig] = shift === 0 ? ig : Math.floor((ig * 65535 + 2 ** (15 - shift)) / max);
  }
  return table;
}

/** png_build_16to8_table, flattened: index with `value >> shift`. */
function table16to8(shift: number, gamma: number): Uint16Array {
  const max = 2 ** (16 - shift) - 1;
  const table = new Uint16Array(max + 1).fill(65535);
  let last = 0;
  for (let i = 0; i < 255; i++) {
    const out = i * 257;
    const bound = Math.floor((correct16(out + 128, gamma) * max + 32768) / 65535) + 1;
    for (; last < bound && last <= max; last++) table[last] = out;
  }
  return table;
}

export type RgbToGray = (r: number, g: number, b: number) => number;

/** The gamma libpng assumes for the file (fixed point), or 0 when it has none. */
export function pngFileGamma(info: PngInfo, iccProfile: () => Uint8Array | undefined): number {
  if (info.srgb) return 45455;
  const profile = info.iccpData ? iccProfile() : undefined;
  if (profile && isKnownSrgbProfile(profile)) return 45455;
  return info.gamma ?? 0;
}

/**
 * The 8-bit gamma tables for a file gamma, as the Wasm conversion (png_rgb_to_gray8) takes them:
 * to linear light, back from it, and for gray pixels, 256 bytes each; undefined when libpng
 * would use none (no gamma, or one too close to 1). Cached: files rarely differ in gamma.
 */
export function gray8Tables(fileGamma: number): Uint8Array | undefined {
  if (fileGamma === 0 || !(significant(fileGamma) || significant(reciprocal(fileGamma)))) return undefined;
  let tables = gray8TableCache.get(fileGamma);
  if (!tables) {
    const screen = reciprocal(fileGamma);
    tables = new Uint8Array(768);
    tables.set(table8(reciprocal(fileGamma)), 0);
    tables.set(table8(reciprocal(screen)), 256);
    tables.set(table8(reciprocal2(fileGamma, screen)), 512);
    if (gray8TableCache.size >= 64) gray8TableCache.clear();
    gray8TableCache.set(fileGamma, tables);
  }
  return tables;
}

const gray8TableCache = new Map<number, Uint8Array>();

/** The 8-bit converter for a file gamma (0 = none), for the pixel loops that are not in Wasm (palettes, alpha kept). */
export function rgbToGray8(fileGamma: number): RgbToGray {
  const tables = gray8Tables(fileGamma);
  if (!tables) return (r, g, b) => (r === g && r === b ? r : (RED * r + GREEN * g + BLUE * b) >> 15);
  return (r, g, b) =>
    r === g && r === b ? tables[512 + r] : tables[256 + ((RED * tables[r] + GREEN * tables[g] + BLUE * tables[b] + 16384) >> 15)];
}

/**
 * The 16-bit converter (result still 16-bit) for a file gamma and the file's sBIT values.
 * `stripped`: the result will be cut to 8 bits (TF's uint8 decode), which changes libpng's
 * tables: at most 11 significant bits, and gray pixels through its 16-to-8 table.
 */
export function rgbToGray16(fileGamma: number, significantBits: number[] | undefined, stripped = true): RgbToGray {
  if (fileGamma === 0 || !(significant(fileGamma) || significant(reciprocal(fileGamma)))) {
    return (r, g, b) => Math.floor((RED * r + GREEN * g + BLUE * b + 16384) / 32768);
  }
  const sig = significantBits ? Math.max(significantBits[0], significantBits[1], significantBits[2]) : 0;
  const insignificant = sig > 0 && sig < 16 ? 16 - sig : 0;
  const shift = Math.min(8, stripped ? Math.max(insignificant, 5) : insignificant);
  const screen = reciprocal(fileGamma);
  const toLinear = table16(shift, reciprocal(fileGamma));
  const fromLinear = table16(shift, reciprocal(screen));
  const same = stripped ? table16to8(shift, product2(fileGamma, screen)) : table16(shift, reciprocal2(fileGamma, screen));
  return (r, g, b) => {
    if (r === g && r === b) return same[r >> shift];
    const gray = Math.floor((RED * toLinear[r >> shift] + GREEN * toLinear[g >> shift] + BLUE * toLinear[b >> shift] + 16384) / 32768);
    return fromLinear[gray >> shift];
  };
}

/** libpng's png_sRGB_checks: [adler32, crc32, length, intent, md5 words (zeros for unsigned profiles)]. */
const KNOWN_SRGB_PROFILES: [number, number, number, number, number[]][] = [
  [0x0a3fd9f6, 0x3b8772b9, 3048, 0, [0x29f83dde, 0xaff255ae, 0x7842fae4, 0xca83390d]],
  [0x4909e5e1, 0x427ebb21, 3052, 1, [0xc95bd637, 0xe95d8a3b, 0x0df38f99, 0xc1320389]],
  [0xfd2144a1, 0x306fd8ae, 60988, 0, [0xfc663378, 0x37e2886b, 0xfd72e983, 0x8228f1b8]],
  [0x209c35d2, 0xbbef7812, 60960, 0, [0x34562abf, 0x994ccd06, 0x6d2c5721, 0xd0d68c5d]],
  [0xa054d762, 0x5d5129ce, 3024, 1, [0, 0, 0, 0]],
  [0xf784f3fb, 0x182ea552, 3144, 0, [0, 0, 0, 0]],
  [0x0398f3fc, 0xf29e526d, 3144, 1, [0, 0, 0, 0]],
];

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** libpng's png_compare_ICC_profile_with_sRGB with PNG_sRGB_PROFILE_CHECKS = 2. */
export function isKnownSrgbProfile(profile: Uint8Array): boolean {
  if (profile.length < 132) return false;
  const length = u32(profile, 0);
  if (length !== profile.length) return false;
  for (const [adler, crc, knownLength, intent, md5] of KNOWN_SRGB_PROFILES) {
    if (md5.every((word, i) => u32(profile, 84 + 4 * i) === word) && length === knownLength && u32(profile, 64) === intent) {
      // Signature, length and intent match: both checksums must match too, else libpng stops looking.
      return adler32(profile) === adler && crc32(profile) >>> 0 === crc;
    }
  }
  return false;
}
