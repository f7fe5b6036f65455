import type { Tensor } from '../tensor/tensor.js';
import { decodeJpegBytes } from './decode_jpeg.js';
import { checkBytes, type DecodeOptions, resolveDecodeOptions, sniffFormat, wrongFormat } from './decode_options.js';
import { decodePngBytes } from './decode_png.js';

/**
 * Decodes PNG or JPEG bytes, told apart by their first bytes (like `tf.io.decode_image`), to a
 * uint8 tensor `[height, width, channels]`. Options and results are those of decodePng and
 * decodeJpeg; other formats (GIF, BMP, WebP, ...) and unknown data throw a ConvlensError that
 * names what the bytes look like.
 *
 * Typed as a `Tensor` of any dtype (its dtype is `'uint8'`) so that the lesson's code type-checks
 * as written: `let img = image.decodeImage(...)` then `img = expandDims(convertImageDtype(img,
 * 'float32'), 0)` reuses the variable for the float32 image.
 */
export function decodeImage(data: Uint8Array | ArrayBuffer, options?: DecodeOptions): Tensor {
  const op = 'decodeImage';
  const bytes = checkBytes(op, data, 'PNG or JPEG');
  const { channels, maxPixels } = resolveDecodeOptions(op, options);
  const { format } = sniffFormat(bytes);
  if (format === 'png') return decodePngBytes(op, bytes, channels, maxPixels);
  if (format === 'jpeg') return decodeJpegBytes(op, bytes, channels, maxPixels);
  throw wrongFormat(op, bytes, 'PNG or JPEG', '');
}
