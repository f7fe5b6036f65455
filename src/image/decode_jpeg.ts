import { ConvlensError, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkBytes, type DecodeJpegOptions, resolveCmykToGray, resolveDecodeOptions, sniffFormat, wrongFormat } from './decode_options.js';
import { type ColorSpace, decodeJpegPixels, type IdctMethod } from './jpeg_decoder.js';
import { checkJpegComplete, type JpegInfo, readJpegHeader } from './jpeg_info.js';
import { checkPixelCount } from './pixel_limit.js';
import { rgbToGrayscale } from './rgb_to_grayscale.js';

/**
 * Decodes JPEG bytes to a uint8 tensor `[height, width, channels]`, following TensorFlow's
 * `tf.io.decode_jpeg(contents, channels, dct_method)` (libjpeg-turbo with TensorFlow's settings:
 * fancy upsampling, and the fast integer IDCT unless `dctMethod: 'INTEGER_ACCURATE'`):
 *
 * - `channels: 0` gives the file's channels: 1 for a grayscale JPEG, 3 otherwise (CMYK → RGB).
 * - `channels: 1` from colour is libjpeg's own conversion: the luma (Y) plane of a YCbCr JPEG
 *   as stored (no weights applied: the encoder already computed 0.299 R + 0.587 G + 0.114 B),
 *   or the rounded 0.299/0.587/0.114 sum for an RGB-coded JPEG. A CMYK JPEG cannot be decoded
 *   to gray (as in TensorFlow) unless `cmykToGray: true`, which gives rgbToGrayscale of its RGB.
 * - `channels: 3` upsamples chroma with libjpeg's triangle filters and converts YCbCr to RGB in
 *   libjpeg's fixed-point arithmetic; Adobe CMYK/YCCK become RGB as TensorFlow computes it
 *   (R = K·C / 255, …). `channels: 4` adds alpha 255 (TF's decode_jpeg has no 4).
 *
 * Decoding is convlens's own (jpeg_decoder.ts, with its pixel loops in Wasm: libjpeg's entropy
 * decoding, fast and accurate integer IDCTs, upsampling and colour conversion), so the output
 * equals TensorFlow's value for value (see decode_jpeg.test.ts).
 *
 * Data that ends before the end-of-image marker is reported as truncated, as TensorFlow does;
 * unsupported codings (arithmetic, lossless, 12-bit) and images above the pixel limit (checked
 * from the frame header, before decoding) throw a ConvlensError too.
 *
 * Typed as a `Tensor` of any dtype (its dtype is `'uint8'`) so that the lesson's code type-checks
 * as written: `let img = image.decodeImage(...)` then `img = expandDims(convertImageDtype(img,
 * 'float32'), 0)` reuses the variable for the float32 image.
 */
export function decodeJpeg(data: Uint8Array | ArrayBuffer, options?: DecodeJpegOptions): Tensor {
  const op = 'decodeJpeg';
  const bytes = checkBytes(op, data, 'JPEG');
  const { channels, maxPixels } = resolveDecodeOptions(op, options, ['channels', 'maxPixels', 'dctMethod', 'cmykToGray']);
  const idct = idctMethod(op, options?.dctMethod);
  const cmykToGray = resolveCmykToGray(op, options?.cmykToGray);
  const { format } = sniffFormat(bytes);
  if (format !== 'jpeg' && !(bytes.length < 3 && bytes[0] === 0xff && (bytes.length === 1 || bytes[1] === 0xd8))) {
    throw wrongFormat(op, bytes, 'JPEG', format === 'png' ? '; decodePng or decodeImage reads it' : '');
  }
  return decodeJpegBytes(op, bytes, { channels, maxPixels, cmykToGray }, idct);
}

/** TensorFlow's dct_method names: '' and 'INTEGER_FAST' are its default, the fast IDCT. */
function idctMethod(op: string, dctMethod: unknown): IdctMethod {
  if (dctMethod === undefined || dctMethod === '' || dctMethod === 'INTEGER_FAST') return 'fast';
  if (dctMethod === 'INTEGER_ACCURATE') return 'accurate';
  throw new ConvlensError(
    `${op}: dctMethod must be '', 'INTEGER_FAST' or 'INTEGER_ACCURATE' (as TensorFlow's dct_method), got ${describeValue(dctMethod)}`,
  );
}

/** What decodeJpegBytes is asked for, its options resolved. */
export interface JpegRequest {
  channels: number;
  maxPixels: number | undefined;
  cmykToGray: boolean;
}

/** decodeJpeg after its checks; decodeImage comes here too, with TensorFlow's decode_image IDCT, the fast one. */
export function decodeJpegBytes(op: string, bytes: Uint8Array, request: JpegRequest, idct: IdctMethod = 'fast'): Tensor<'uint8'> {
  const { channels, maxPixels, cmykToGray } = request;
  if (bytes.length < 4)
    throw new ConvlensError(`${op}: data is truncated: ${bytes.length} bytes end inside the JPEG start-of-image marker`);
  const info = readJpegHeader(op, bytes);
  checkPixelCount(op, info.width, info.height, maxPixels);
  checkJpegComplete(op, bytes);
  const space = colorSpace(op, info);
  const outChannels = channels === 0 ? (space === 'gray' ? 1 : 3) : channels;
  const inkToGray = outChannels === 1 && (space === 'cmyk' || space === 'ycck');
  if (inkToGray && !cmykToGray) {
    throw new ConvlensError(
      `${op}: cannot decode a ${space.toUpperCase()} JPEG to 1 channel (as in TensorFlow); decode it with channels 3 and use rgbToGrayscale, or pass cmykToGray: true`,
    );
  }
  try {
    if (inkToGray) return rgbToGrayscale(convertJpeg(op, bytes, info, space, 3, idct)) as Tensor<'uint8'>;
    return convertJpeg(op, bytes, info, space, outChannels, idct);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ConvlensError(`${op}: not enough memory to decode a ${info.height}×${info.width} JPEG (${error.message})`);
    }
    throw error;
  }
}

function convertJpeg(
  op: string,
  bytes: Uint8Array,
  info: JpegInfo,
  space: ColorSpace,
  outChannels: number,
  idct: IdctMethod,
): Tensor<'uint8'> {
  checkSampling(op, info, outChannels === 1 && space !== 'rgb' ? 1 : info.components.length);
  return new Tensor(decodeJpegPixels(op, bytes, space, outChannels, idct), [info.height, info.width, outChannels], 'uint8');
}

/** libjpeg-turbo's default_decompress_parms: what the components hold. */
function colorSpace(op: string, info: JpegInfo): ColorSpace {
  const count = info.components.length;
  if (count === 1) return 'gray';
  if (count === 3) {
    if (info.jfif) return 'ycc';
    if (info.adobeTransform !== undefined) return info.adobeTransform === 0 ? 'rgb' : 'ycc';
    const [a, b, c] = info.components.map((x) => x.id);
    return a === 82 && b === 71 && c === 66 ? 'rgb' : 'ycc';
  }
  if (count === 4) {
    if (info.adobeTransform === undefined) {
      throw new ConvlensError(`${op}: unsupported JPEG: 4 components (CMYK) without an Adobe marker`);
    }
    return info.adobeTransform === 0 ? 'cmyk' : 'ycck';
  }
  throw new ConvlensError(`${op}: unsupported JPEG: ${count} components (expected 1 gray, 3 colour or 4 CMYK)`);
}

/** The first `needed` components must upsample to the image size by integer factors, as libjpeg's do. */
function checkSampling(op: string, info: JpegInfo, needed: number): void {
  const { components } = info;
  const maxH = Math.max(...components.map((c) => c.h));
  const maxV = Math.max(...components.map((c) => c.v));
  for (let c = 0; c < needed; c++) {
    const { h, v } = components[c];
    if (maxH % h !== 0 || maxV % v !== 0) {
      throw new ConvlensError(`${op}: unsupported JPEG: component ${c} is sampled ${h}×${v} of ${maxH}×${maxV} (not an integer ratio)`);
    }
  }
}
