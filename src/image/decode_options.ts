import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { checkLimitValue } from './pixel_limit.js';

/** Channels a decoder returns: 0 = the file's own count, 1 = gray, 3 = RGB, 4 = RGBA. */
export type DecodeChannels = 0 | 1 | 3 | 4;

export interface DecodeOptions {
  /**
   * 0 (default) keeps the file's channels (a gray+alpha PNG gives 2, a palette PNG 3, or 4 if it
   * has transparency; a JPEG 1 or 3; a GIF 3; a BMP 1, 3 or 4), 1 converts to gray, 3 to RGB, 4
   * to RGBA.
   */
  channels?: DecodeChannels;
  /** Largest width × height accepted for this call (default: the global limit, see setPixelLimit). */
  maxPixels?: number;
}

/**
 * The dtypes decodeImage gives, as `tf.io.decode_image(dtype=...)`: `'uint8'` (the default)
 * 0..255; `'float32'` 0..1; `'int32'` the 16-bit values (TensorFlow decodes to uint16, then
 * convert_image_dtype scales by 2^15). TensorFlow's `'uint16'` has no convlens tensor type.
 */
export type DecodeDType = 'uint8' | 'int32' | 'float32';

/** decodePng's options: DecodeOptions and TensorFlow's `dtype` (decode_png takes uint8 or uint16). */
export interface DecodePngOptions extends DecodeOptions {
  /** `'uint8'` (the default) only: TensorFlow's `'uint16'` is decodeImage's `'int32'` here (see DecodeDType). */
  dtype?: 'uint8';
}

/** The option of decodeJpeg and decodeImage for CMYK JPEGs asked for as gray. */
export interface CmykToGrayOption {
  /**
   * What `channels: 1` does with a CMYK or YCCK JPEG, which TensorFlow does not decode to gray:
   * false (default) throws as TensorFlow does; true gives `rgbToGrayscale` of its RGB decode, as
   * decodeImage already gives for a GIF or BMP (for an application whose users open any file).
   */
  cmykToGray?: boolean;
}

/** decodeImage's options: DecodeOptions, TensorFlow's `dtype` and `expand_animations`, and cmykToGray. */
export interface DecodeImageOptions extends DecodeOptions, CmykToGrayOption {
  /**
   * The result's dtype, as TensorFlow's decode_image computes it: `'uint8'` (default); `'float32'`
   * in 0..1 (JPEG, GIF and BMP: v × float32(1/255), as convertImageDtype; PNG: its 16-bit
   * decode × float32(1/65535), so a 16-bit PNG keeps its precision); `'int32'`: the 16-bit
   * decode × 2^15 (an 8-bit value v gives v × 2^23 for JPEG, GIF and BMP, v × 257 × 2^15 for PNG).
   */
  dtype?: DecodeDType;
  /**
   * For GIFs: true (default) gives all frames, `[frames, height, width, channels]` (also for a
   * GIF of one frame), false the first frame `[height, width, channels]`. Other formats give
   * `[height, width, channels]` either way.
   */
  expandAnimations?: boolean;
}

/** decodeJpeg's options: DecodeOptions, TensorFlow's `dct_method`, and cmykToGray. */
export interface DecodeJpegOptions extends DecodeOptions, CmykToGrayOption {
  /**
   * The inverse DCT, by TensorFlow's names: `''` or `'INTEGER_FAST'` (the default, libjpeg's fast
   * integer IDCT, as TensorFlow decodes by default) or `'INTEGER_ACCURATE'` (its accurate one,
   * what most other decoders use).
   */
  dctMethod?: '' | 'INTEGER_FAST' | 'INTEGER_ACCURATE';
}

export interface ResolvedDecodeOptions {
  channels: DecodeChannels;
  maxPixels: number | undefined;
}

const OPTION_NAMES = ['channels', 'maxPixels'];

/** `names`: the options the op takes (decodeJpeg adds dctMethod, which it reads itself). */
export function resolveDecodeOptions(op: string, options: unknown, names = OPTION_NAMES): ResolvedDecodeOptions {
  if (options === undefined || options === null) return { channels: 0, maxPixels: undefined };
  checkOptions(op, options, names);
  const { channels = 0, maxPixels } = options as DecodeOptions;
  if (channels !== 0 && channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ConvlensError(`${op}: channels must be 0, 1, 3 or 4, got ${describeValue(channels)}`);
  }
  return { channels, maxPixels: maxPixels === undefined ? undefined : checkLimitValue(op, 'maxPixels', maxPixels) };
}

/** The `cmykToGray` option of `op` (false when absent). */
export function resolveCmykToGray(op: string, cmykToGray: unknown): boolean {
  if (cmykToGray === undefined) return false;
  if (typeof cmykToGray !== 'boolean') throw new ConvlensError(`${op}: cmykToGray must be true or false, got ${describeValue(cmykToGray)}`);
  return cmykToGray;
}

const NO_UINT16 =
  "convlens has no uint16 tensors: decodeImage's dtype 'int32' gives the 16-bit values × 2^15 (as tf.io.decode_image(dtype=tf.int32)), 'float32' gives them in 0..1";

/** The `dtype` option of a decoder that takes `allowed` (TensorFlow's names; default uint8). */
export function resolveDecodeDType<D extends DecodeDType>(op: string, dtype: unknown, allowed: readonly D[]): D {
  if (dtype === undefined) return 'uint8' as D;
  if ((allowed as readonly unknown[]).includes(dtype)) return dtype as D;
  const names = allowed.map((d) => `'${d}'`);
  const expected = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  const why = dtype === 'uint16' ? ` (${NO_UINT16})` : '';
  throw new ConvlensError(`${op}: dtype must be ${expected}, got ${describeValue(dtype)}${why}`);
}

/** Accepts a Uint8Array (a Node Buffer is one) or an ArrayBuffer; rejects empty data. */
export function checkBytes(op: string, data: unknown, what: string): Uint8Array {
  let bytes: Uint8Array;
  // A Node Buffer becomes a plain Uint8Array view of the same memory: the decoders then see one
  // kind of array whatever the caller passes, and V8 keeps their optimised code (a second kind
  // of typed array would deoptimise it).
  if (data instanceof Uint8Array)
    bytes = data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else throw new ConvlensError(`${op}: data must be a Uint8Array or ArrayBuffer of ${what} bytes, got ${describeValue(data)}`);
  if (bytes.length === 0) throw new ConvlensError(`${op}: data is empty (expected ${what} bytes)`);
  return bytes;
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp';

const SIGNATURES: { name: string; format?: ImageFormat; test: (b: Uint8Array) => boolean }[] = [
  { name: 'PNG', format: 'png', test: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { name: 'JPEG', format: 'jpeg', test: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { name: 'GIF', format: 'gif', test: (b) => startsWith(b, [0x47, 0x49, 0x46, 0x38]) },
  { name: 'BMP', format: 'bmp', test: (b) => startsWith(b, [0x42, 0x4d]) },
  { name: 'WebP', test: (b) => startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b.subarray(8), [0x57, 0x45, 0x42, 0x50]) },
  { name: 'TIFF', test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]) },
  { name: 'ICO', test: (b) => startsWith(b, [0x00, 0x00, 0x01, 0x00]) },
  { name: 'AVIF/HEIF', test: (b) => startsWith(b.subarray(4), [0x66, 0x74, 0x79, 0x70]) },
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((v, i) => bytes[i] === v);
}

/** The format the magic bytes announce (as TensorFlow tells them apart): a decoded format, the name of another known one, or undefined. */
export function sniffFormat(bytes: Uint8Array): { format?: ImageFormat; name?: string } {
  const match = SIGNATURES.find((s) => s.test(bytes));
  return match ? { format: match.format, name: match.name } : {};
}

/** "89 50 4e 47 …" for the first few bytes, to put in error messages. */
export function firstBytes(bytes: Uint8Array, count = 8): string {
  const shown = Array.from(bytes.subarray(0, count), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > count ? `${shown} …` : shown;
}

/** The error for bytes that are not the format an op expects. */
export function wrongFormat(op: string, bytes: Uint8Array, expected: string, hint: string): ConvlensError {
  const { name } = sniffFormat(bytes);
  const what = name ? `${name} data` : 'not a known image format';
  return new ConvlensError(`${op}: data is ${what} (it starts with ${firstBytes(bytes)}; expected ${expected} bytes${hint})`);
}
