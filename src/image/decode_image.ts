import { ConvlensError, describeValue } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { decodeBmpBytes } from './decode_bmp.js';
import { decodeGifBytes } from './decode_gif.js';
import { decodeJpegBytes } from './decode_jpeg.js';
import { checkBytes, type DecodeImageOptions, resolveDecodeOptions, sniffFormat, wrongFormat } from './decode_options.js';
import { decodePngBytes } from './decode_png.js';

const FORMATS = 'PNG, JPEG, GIF or BMP';

/**
 * Decodes PNG, JPEG, GIF or BMP bytes, told apart by their first bytes as `tf.io.decode_image`
 * tells them, to a uint8 tensor: `[height, width, channels]`, but for a GIF with
 * `expandAnimations` (the default, as in TensorFlow) `[frames, height, width, channels]`, even
 * when it has one frame; `expandAnimations: false` gives a GIF's first frame `[height, width,
 * channels]`. Options and results are those of decodePng, decodeJpeg, decodeGif and decodeBmp;
 * other formats (WebP, TIFF, ...) and unknown data throw a ConvlensError that names what the
 * bytes look like.
 *
 * Typed as a `Tensor` of any dtype (its dtype is `'uint8'`) so that the lesson's code type-checks
 * as written: `let img = image.decodeImage(...)` then `img = expandDims(convertImageDtype(img,
 * 'float32'), 0)` reuses the variable for the float32 image.
 */
export function decodeImage(data: Uint8Array | ArrayBuffer, options?: DecodeImageOptions): Tensor {
  const op = 'decodeImage';
  const bytes = checkBytes(op, data, FORMATS);
  const { channels, maxPixels } = resolveDecodeOptions(op, options, ['channels', 'maxPixels', 'expandAnimations']);
  const expandAnimations = options?.expandAnimations ?? true;
  if (typeof expandAnimations !== 'boolean') {
    throw new ConvlensError(`${op}: expandAnimations must be true or false, got ${describeValue(expandAnimations)}`);
  }
  const { format } = sniffFormat(bytes);
  if (format === 'png') return decodePngBytes(op, bytes, channels, maxPixels);
  if (format === 'jpeg') return decodeJpegBytes(op, bytes, channels, maxPixels);
  if (format === 'gif') return decodeGifBytes(op, bytes, channels, maxPixels, expandAnimations);
  if (format === 'bmp') return decodeBmpBytes(op, bytes, channels, maxPixels);
  throw wrongFormat(op, bytes, FORMATS, '');
}
