/**
 * Image input/output and the image ops of TensorFlow's `tf.image` / `tf.io` that the lesson uses:
 * decode (PNG, JPEG, GIF, BMP) with a guard against decompression bombs, encode PNG, dtype conversion,
 * grayscale, resize and gamma. Pure JavaScript: runs in Node and in the browser, but for
 * imageDatasetFromDirectory, which reads a folder (Node.js).
 */
export { adjustGamma } from './adjust_gamma.js';
export { convertImageDtype, type ImageDType } from './convert_image_dtype.js';
export { type ImageDataset, type ImageDatasetOptions, imageDatasetFromDirectory } from './dataset_from_directory.js';
export { decodeBmp } from './decode_bmp.js';
export { type DecodeGifOptions, decodeGif } from './decode_gif.js';
export { decodeImage } from './decode_image.js';
export { decodeJpeg } from './decode_jpeg.js';
export type {
  CmykToGrayOption,
  DecodeChannels,
  DecodeDType,
  DecodeImageOptions,
  DecodeJpegOptions,
  DecodeOptions,
  DecodePngOptions,
} from './decode_options.js';
export { decodePng } from './decode_png.js';
export { encodePng } from './encode_png.js';
export { grayscaleToRgb } from './grayscale_to_rgb.js';
export { type ImageBatch, ImageBatchDataset } from './image_batch_dataset.js';
export { DEFAULT_PIXEL_LIMIT, getPixelLimit, setPixelLimit } from './pixel_limit.js';
export { type ResizeMethod, type ResizeOptions, resize } from './resize.js';
export { rgbToGrayscale } from './rgb_to_grayscale.js';
