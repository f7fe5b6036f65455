import { ConvlensError } from '../errors.js';
import { sniffFormat } from '../image/decode_options.js';
import * as image from '../image/index.js';
import { readJpegHeader } from '../image/jpeg_info.js';
import type { Tensor } from '../tensor/tensor.js';

export interface CommandDecodeOptions {
  channels: 1 | 3 | 4;
  maxPixels?: number;
}

/**
 * `image.decodeImage` as the commands read an image file (a GIF's first frame), except that a
 * CMYK or YCCK JPEG asked for as gray, which TensorFlow refuses, is decoded to RGB and made gray
 * with rgbToGrayscale: what the decoder's error advises, and what it already does for a GIF or
 * BMP, but advice that a command's user cannot take.
 */
export function decodeForCommand(bytes: Uint8Array, options: CommandDecodeOptions): Tensor {
  const decode = (channels: 1 | 3 | 4) => image.decodeImage(bytes, { channels, maxPixels: options.maxPixels, expandAnimations: false });
  try {
    return decode(options.channels);
  } catch (error) {
    if (!(error instanceof ConvlensError && options.channels === 1 && isFourComponentJpeg(bytes))) throw error;
    return image.rgbToGrayscale(decode(3));
  }
}

function isFourComponentJpeg(bytes: Uint8Array): boolean {
  if (sniffFormat(bytes).format !== 'jpeg') return false;
  try {
    return readJpegHeader('decodeImage', bytes).components.length === 4;
  } catch {
    return false;
  }
}
