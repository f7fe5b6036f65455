import { ConvlensError, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { convertImage } from './convert_image_dtype.js';
import { decodeBmpBytes } from './decode_bmp.js';
import { decodeGifBytes } from './decode_gif.js';
import { decodeJpegBytes } from './decode_jpeg.js';
import {
  checkBytes,
  type DecodeDType,
  type DecodeImageOptions,
  resolveCmykToGray,
  resolveDecodeDType,
  resolveDecodeOptions,
  sniffFormat,
  wrongFormat,
} from './decode_options.js';
import { decodePng16Bytes, decodePngBytes } from './decode_png.js';

const FORMATS = 'PNG, JPEG, GIF or BMP';

/**
 * Decodes PNG, JPEG, GIF or BMP bytes, told apart by their first bytes as `tf.io.decode_image`
 * tells them, to a uint8 tensor: `[height, width, channels]`, but for a GIF with
 * `expandAnimations` (the default, as in TensorFlow) `[frames, height, width, channels]`, even
 * when it has one frame; `expandAnimations: false` gives a GIF's first frame `[height, width,
 * channels]`. Options and results are those of decodePng, decodeJpeg (`cmykToGray` included),
 * decodeGif and decodeBmp; other formats (WebP, TIFF, ...) and unknown data throw a
 * ConvlensError that names what the bytes look like.
 *
 * `dtype: 'float32'` or `'int32'` gives the values TensorFlow's decode_image gives for that dtype
 * (see DecodeImageOptions.dtype): for a PNG they come from its 16-bit decode, as in TensorFlow,
 * so they are not always `convertImageDtype` of the uint8 result (a 16-bit PNG keeps its low
 * byte; an 8-bit one may differ from v / 255 in the last float32 bit).
 *
 * Typed as a `Tensor` of any dtype (its dtype is `'uint8'`) so that the lesson's code type-checks
 * as written: `let img = image.decodeImage(...)` then `img = expandDims(convertImageDtype(img,
 * 'float32'), 0)` reuses the variable for the float32 image.
 */
export function decodeImage<D extends DecodeDType>(data: Uint8Array | ArrayBuffer, options: DecodeImageOptions & { dtype: D }): Tensor<D>;
export function decodeImage(data: Uint8Array | ArrayBuffer, options?: DecodeImageOptions): Tensor;
export function decodeImage(data: Uint8Array | ArrayBuffer, options?: DecodeImageOptions): Tensor {
  const op = 'decodeImage';
  const bytes = checkBytes(op, data, FORMATS);
  const { channels, maxPixels } = resolveDecodeOptions(op, options, ['channels', 'maxPixels', 'dtype', 'expandAnimations', 'cmykToGray']);
  const cmykToGray = resolveCmykToGray(op, options?.cmykToGray);
  const dtype = resolveDecodeDType(op, options?.dtype, ['uint8', 'int32', 'float32']);
  const expandAnimations = options?.expandAnimations ?? true;
  if (typeof expandAnimations !== 'boolean') {
    throw new ConvlensError(`${op}: expandAnimations must be true or false, got ${describeValue(expandAnimations)}`);
  }
  const { format } = sniffFormat(bytes);
  if (format === 'png') {
    if (dtype === 'uint8') return decodePngBytes(op, bytes, channels, maxPixels);
    const { samples, shape } = decodePng16Bytes(op, bytes, channels, maxPixels);
    return fromSixteenBits(samples, shape, dtype);
  }
  let image: Tensor<'uint8'>;
  if (format === 'jpeg') image = decodeJpegBytes(op, bytes, { channels, maxPixels, cmykToGray });
  else if (format === 'gif') image = decodeGifBytes(op, bytes, channels, maxPixels, expandAnimations);
  else if (format === 'bmp') image = decodeBmpBytes(op, bytes, channels, maxPixels);
  else throw wrongFormat(op, bytes, FORMATS, '');
  // TensorFlow scales these formats' uint8 pixels: × float32(1/255), or × 256 to uint16 then × 2^15
  // to int32, which is what convertImageDtype computes from uint8
  return dtype === 'uint8' ? image : convertImage(image, dtype, false);
}

/** TF's decode_image of a PNG for float32 (× float32(1/65535)) and, through uint16, int32 (× 2^15). */
function fromSixteenBits(samples: Uint16Array, shape: number[], dtype: 'int32' | 'float32'): Tensor {
  if (dtype === 'int32')
    return new Tensor(
      Int32Array.from(samples, (v) => v * 32768),
      shape,
      'int32',
    );
  const scale = Math.fround(1 / 65535);
  return new Tensor(
    Float32Array.from(samples, (v) => v * scale),
    shape,
    'float32',
  );
}
