import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkBytes, type DecodePngOptions, resolveDecodeDType, resolveDecodeOptions, sniffFormat, wrongFormat } from './decode_options.js';
import { inflateZlib } from './inflate.js';
import { checkPixelCount } from './pixel_limit.js';
import { gray8Tables, pngFileGamma, type RgbToGray, rgbToGray8, rgbToGray16 } from './png_gray.js';
import { type PngInfo, readPngChunks, readPngHeader } from './png_info.js';
import { bytes, codec, layout } from './wasm/codec.js';

/**
 * Decodes PNG bytes to a uint8 tensor `[height, width, channels]`, with the pixel values
 * TensorFlow's `tf.io.decode_png(contents, channels)` (dtype uint8) gives (libpng 1.6 with the
 * transformations TF's png_io.cc asks for; checked bit for bit on a suite of every colour type,
 * bit depth, tRNS, gamma and interlacing, see test/fixtures/tf-reference):
 *
 * - `channels: 0` keeps the file's channels: gray 1, gray+alpha 2, RGB 3, RGBA 4; a palette
 *   image is expanded to RGB, or RGBA when it has a tRNS chunk.
 * - 16-bit samples keep their high byte (`v >> 8`, libpng's strip_16, as TensorFlow asks).
 * - 1-, 2- and 4-bit gray is scaled to 0..255 (1 bit: 0/255; 2 bits: ×85; 4 bits: ×17).
 * - Asking for alpha uses the file's alpha, else its tRNS (palette alphas, or the gray/RGB colour
 *   key: matching pixels get 0), else 255. (One deviation: for 1/2/4-bit gray and palette images
 *   without tRNS, libpng as TF calls it fills alpha with 2^depth − 1, i.e. 1, 3 or 15; convlens
 *   gives 255, opaque.) Asking for no alpha drops it, without compositing.
 * - `channels: 1` from colour uses libpng's integer luma (weights 0.299, 0.587, 0.114 as
 *   9797/19234/3737 of 32768, truncated), in linear light through libpng's gamma tables when the
 *   file carries gamma information before its palette (gAMA, sRGB, or an iCCP profile libpng
 *   knows as sRGB; after PLTE libpng ignores them), see png_gray.ts. Gray to RGB repeats the value.
 *
 * `dtype` may be `'uint8'`, TensorFlow's default; its `'uint16'` has no convlens tensor type:
 * decodeImage with `dtype: 'int32'` gives those 16-bit values × 2^15, `'float32'` in 0..1.
 *
 * Bad, truncated or corrupt data throw a ConvlensError, and so do images above the pixel limit
 * (checked from the header, before any pixel memory is allocated).
 *
 * Typed as a `Tensor` of any dtype (its dtype is `'uint8'`) so that the lesson's code type-checks
 * as written: `let img = image.decodeImage(...)` then `img = expandDims(convertImageDtype(img,
 * 'float32'), 0)` reuses the variable for the float32 image.
 */
export function decodePng(data: Uint8Array | ArrayBuffer, options?: DecodePngOptions): Tensor {
  const op = 'decodePng';
  const bytes = checkBytes(op, data, 'PNG');
  const { channels, maxPixels } = resolveDecodeOptions(op, options, ['channels', 'maxPixels', 'dtype']);
  resolveDecodeDType(op, options?.dtype, ['uint8']);
  const { format } = sniffFormat(bytes);
  if (format !== 'png' && !isSignaturePrefix(bytes)) {
    throw wrongFormat(op, bytes, 'PNG', format === 'jpeg' ? '; decodeJpeg or decodeImage reads it' : '');
  }
  return decodePngBytes(op, bytes, channels, maxPixels);
}

function isSignaturePrefix(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length < 8 && Array.from(bytes).every((b, i) => b === signature[i]);
}

export function decodePngBytes(op: string, bytes: Uint8Array, channels: number, maxPixels: number | undefined): Tensor<'uint8'> {
  return decodeWith(op, bytes, maxPixels, (info, samples) => convert(info, samples, channels));
}

/**
 * The samples TensorFlow decodes at 16 bits (decode_png with dtype uint16, and decode_image with
 * dtype float32, whose PNG path goes through them): a 16-bit file keeps its low byte (alpha
 * added as 65535, gray from colour in libpng's 16-bit arithmetic); a file of 8 bits or fewer is
 * decoded at 8 and widened as png_io.cc's Convert8to16 does, v | v << 8 (v × 257).
 */
export function decodePng16Bytes(
  op: string,
  bytes: Uint8Array,
  channels: number,
  maxPixels: number | undefined,
): { samples: Uint16Array; shape: number[] } {
  return decodeWith(op, bytes, maxPixels, (info, samples) => {
    if (info.bitDepth === 16) {
      const outChannels = outputChannels(info, channels);
      return { samples: convertPixels(info, samples, outChannels, 16) as Uint16Array, shape: [info.height, info.width, outChannels] };
    }
    const image = convert(info, samples, channels);
    return { samples: Uint16Array.from(image.data, (v) => v * 257), shape: image.shape };
  });
}

/** Reads the header and chunks, checks the pixel limit, inflates and unfilters, then `finish`es the samples. */
function decodeWith<T>(
  op: string,
  bytes: Uint8Array,
  maxPixels: number | undefined,
  finish: (info: PngInfo, samples: Uint8Array | Uint16Array) => T,
): T {
  const info = readPngHeader(op, bytes);
  checkPixelCount(op, info.width, info.height, maxPixels);
  readPngChunks(op, bytes, info);
  try {
    return finish(info, reconstruct(op, info, inflate(op, info)));
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ConvlensError(`${op}: not enough memory to decode a ${info.height}×${info.width} PNG (${error.message})`);
    }
    throw error;
  }
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];
const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function passes(info: PngInfo): { x0: number; y0: number; dx: number; dy: number; width: number; height: number }[] {
  const list = info.interlace ? ADAM7 : [[0, 0, 1, 1]];
  return list
    .map(([x0, y0, dx, dy]) => ({
      x0,
      y0,
      dx,
      dy,
      width: Math.ceil((info.width - x0) / dx),
      height: Math.ceil((info.height - y0) / dy),
    }))
    .filter((p) => p.width > 0 && p.height > 0);
}

/** Inflates the IDAT stream into a buffer sized for the image (extra data is ignored, as libpng does). */
function inflate(op: string, info: PngInfo): Uint8Array {
  const channels = SAMPLES_PER_PIXEL[info.colorType];
  let expected = 0;
  for (const p of passes(info)) expected += p.height * (1 + Math.ceil((p.width * channels * info.bitDepth) / 8));
  let total = 0;
  for (const chunk of info.idat) total += chunk.length;
  const stream = info.idat.length === 1 ? info.idat[0] : new Uint8Array(total);
  if (info.idat.length > 1) {
    let at = 0;
    for (const chunk of info.idat) {
      stream.set(chunk, at);
      at += chunk.length;
    }
  }
  let raw: Uint8Array;
  try {
    raw = inflateZlib(stream, expected);
  } catch (error) {
    throw new ConvlensError(`${op}: data is corrupt: the PNG image data does not decompress (${(error as Error).message})`);
  }
  if (raw.length < expected) {
    throw new ConvlensError(`${op}: data is truncated or corrupt: the PNG image data holds ${raw.length} bytes, expected ${expected}`);
  }
  return raw;
}

/**
 * Undoes the row filters (in Wasm) and the interlacing: one number per sample, at the file's bit
 * depth. An 8-bit image that is not interlaced comes back as a view into the codec's memory, valid
 * until its next call.
 */
function reconstruct(op: string, info: PngInfo, raw: Uint8Array): Uint8Array | Uint16Array {
  const { width, height, bitDepth: depth } = info;
  const channels = SAMPLES_PER_PIXEL[info.colorType];
  const bpp = Math.max(1, (channels * depth) >> 3);
  const list = passes(info).map((p) => ({ ...p, rowBytes: Math.ceil((p.width * channels * depth) / 8) }));
  // the filtered data, then per pass a zero row (the one above its first row) and its rows
  const [src, ...blocks] = layout([raw.length, ...list.map((p) => (p.height + 1) * p.rowBytes)]);
  const memory = bytes();
  memory.set(raw, src);
  let from = src;
  const rows = list.map((p, i) => {
    const dst = blocks[i] + p.rowBytes;
    memory.fill(0, blocks[i], dst);
    const bad = codec().png_unfilter(from, dst, p.height, p.rowBytes, bpp);
    if (bad >= 0) {
      const filter = memory[from + bad * (p.rowBytes + 1)];
      throw new ConvlensError(`${op}: data is corrupt: unknown PNG row filter ${filter} (expected 0 to 4)`);
    }
    from += p.height * (p.rowBytes + 1);
    return memory.subarray(dst, dst + p.height * p.rowBytes);
  });
  if (depth === 8 && list.length === 1) return rows[0];

  const out = depth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  const mask = (1 << depth) - 1;
  list.forEach((pass, i) => {
    for (let r = 0; r < pass.height; r++) {
      const cur = rows[i].subarray(r * pass.rowBytes, (r + 1) * pass.rowBytes);
      const y = pass.y0 + r * pass.dy;
      if (depth === 8 && pass.dx === 1) {
        out.set(cur, y * width * channels);
        continue;
      }
      for (let x = 0; x < pass.width; x++) {
        const base = (y * width + pass.x0 + x * pass.dx) * channels;
        for (let c = 0; c < channels; c++) {
          const k = x * channels + c;
          if (depth === 16) out[base + c] = (cur[2 * k] << 8) | cur[2 * k + 1];
          else if (depth === 8) out[base + c] = cur[k];
          else out[base + c] = (cur[(k * depth) >> 3] >> (8 - depth - ((k * depth) & 7))) & mask;
        }
      }
    }
  });
  return out;
}

/** 8-bit colour samples to gray in Wasm; `sample` may be a view into the codec's memory (reconstruct's result). */
function colorToGray8(sample: Uint8Array, n: number, fileChannels: number, tables: Uint8Array | undefined): Uint8Array {
  const inCodec = sample.buffer === codec().memory.buffer;
  const { byteOffset, length } = sample; // read now: growing the memory detaches views into it
  const [copy, out, table] = layout([inCodec ? 0 : length, n, 768], inCodec ? byteOffset + length : undefined);
  const memory = bytes();
  if (!inCodec) memory.set(sample, copy);
  if (tables) memory.set(tables, table);
  codec().png_rgb_to_gray8(inCodec ? byteOffset : copy, out, n, fileChannels, tables ? table : 0);
  return memory.slice(out, out + n);
}

/** The palette as 256 RGBA entries; indices past its end are black and opaque, as in libpng. */
function paletteTable(info: PngInfo): Uint8Array {
  const table = new Uint8Array(256 * 4);
  const palette = info.palette!;
  for (let i = 0; i < 256; i++) {
    if (3 * i < palette.length) table.set(palette.subarray(3 * i, 3 * i + 3), 4 * i);
    table[4 * i + 3] = info.trns && i < info.trns.length ? info.trns[i] : 255;
  }
  return table;
}

function iccProfile(info: PngInfo): Uint8Array | undefined {
  const data = info.iccpData!;
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79 || data[nul + 1] !== 0) return undefined;
  try {
    return inflateZlib(data.subarray(nul + 2));
  } catch {
    return undefined; // libpng ignores a bad profile (with a warning)
  }
}

/** The channels of the result: the requested count, or (0) the file's own, a palette's as RGB or RGBA. */
function outputChannels(info: PngInfo, requested: number): number {
  if (requested !== 0) return requested;
  return info.colorType === 3 ? (info.trns ? 4 : 3) : SAMPLES_PER_PIXEL[info.colorType];
}

function convert(info: PngInfo, sample: Uint8Array | Uint16Array, requested: number): Tensor<'uint8'> {
  const { width, height, bitDepth, colorType } = info;
  const palette = colorType === 3;
  const fileChannels = SAMPLES_PER_PIXEL[colorType];
  const outChannels = outputChannels(info, requested);
  const n = width * height;
  const shape = [height, width, outChannels];
  if (!palette && bitDepth === 8 && outChannels === fileChannels) return new Tensor((sample as Uint8Array).slice(), shape, 'uint8');
  const isColor = (colorType & 2) !== 0;
  if (isColor && !palette && bitDepth === 8 && outChannels === 1) {
    // 8-bit colour → gray, the common case for photos
    const gamma = pngFileGamma(info, () => iccProfile(info));
    return new Tensor(colorToGray8(sample as Uint8Array, n, fileChannels, gray8Tables(gamma)), shape, 'uint8');
  }
  if (!isColor && fileChannels === 1 && bitDepth === 8 && outChannels === 3) {
    // gray → RGB, the common case, without the general loop.
    const out = new Uint8Array(n * 3);
    for (let p = 0; p < n; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = sample[p];
    return new Tensor(out, shape, 'uint8');
  }
  return new Tensor(convertPixels(info, sample, outChannels, 8) as Uint8Array, shape, 'uint8');
}

/**
 * Any file to `outChannels` samples of `outBits` bits, pixel by pixel (palettes, tRNS, alpha
 * added or dropped, gray ↔ colour). A 16-bit file gives 8 bits by dropping the low byte at the
 * end, as libpng's strip_16; `outBits` 16 is for 16-bit files only.
 */
function convertPixels(info: PngInfo, sample: Uint8Array | Uint16Array, outChannels: number, outBits: 8 | 16): Uint8Array | Uint16Array {
  const { width, height, bitDepth, colorType } = info;
  const palette = colorType === 3;
  const fileChannels = SAMPLES_PER_PIXEL[colorType];
  const n = width * height;
  const isColor = (colorType & 2) !== 0;
  const fileAlpha = (colorType & 4) !== 0;
  const wantAlpha = outChannels % 2 === 0;
  const wantGray = outChannels < 3;
  const sixteen = bitDepth === 16;
  const key =
    wantAlpha && !palette && info.trns
      ? Array.from({ length: info.trns.length / 2 }, (_, i) => (info.trns![2 * i] << 8) | info.trns![2 * i + 1])
      : undefined;
  const table = palette ? paletteTable(info) : undefined;
  const grayScale = !isColor && bitDepth < 8 ? 255 / (2 ** bitDepth - 1) : 1;
  // a palette's colours go to gray as RGB pixels do, through the gamma tables when the file has gamma information
  const gamma = wantGray && isColor ? pngFileGamma(info, () => iccProfile(info)) : 0;
  let toGray: RgbToGray | undefined;
  if (wantGray && isColor) toGray = sixteen ? rgbToGray16(gamma, info.significantBits, outBits === 8) : rgbToGray8(gamma);
  const shift = sixteen && outBits === 8 ? 8 : 0;
  const opaque = outBits === 16 ? 65535 : 255;
  const out = outBits === 16 ? new Uint16Array(n * outChannels) : new Uint8Array(n * outChannels);
  let o = 0;
  for (let p = 0, i = 0; p < n; p++, i += fileChannels) {
    let r: number;
    let g: number;
    let b: number;
    let a = opaque;
    if (table) {
      const entry = sample[i] * 4;
      r = table[entry];
      g = table[entry + 1];
      b = table[entry + 2];
      a = table[entry + 3];
    } else if (isColor) {
      r = sample[i];
      g = sample[i + 1];
      b = sample[i + 2];
      if (fileAlpha) a = sample[i + 3] >> shift;
      else if (key) a = r === key[0] && g === key[1] && b === key[2] ? 0 : opaque;
    } else {
      r = sample[i];
      if (fileAlpha) a = sample[i + 1] >> shift;
      else if (key) a = r === key[0] ? 0 : opaque;
      r *= grayScale;
      g = r;
      b = r;
    }
    if (toGray) {
      r = toGray(r, g, b);
      g = r;
      b = r;
    }
    if (wantGray) {
      out[o++] = r >> shift;
    } else {
      out[o++] = r >> shift;
      out[o++] = g >> shift;
      out[o++] = b >> shift;
    }
    if (wantAlpha) out[o++] = a;
  }
  return out;
}
