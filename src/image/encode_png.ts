import { encode as fastPngEncode } from 'fast-png';
import { ConvlensError } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Encodes a uint8 image `[height, width, channels]` (channels 1 gray, 2 gray+alpha, 3 RGB,
 * 4 RGBA) or `[height, width]` (gray) as 8-bit PNG bytes, like `tf.io.encode_png`.
 * Works in Node and the browser (pure JS: fast-png).
 */
export function encodePng(image: Tensor): Uint8Array {
  const op = 'encodePng';
  if (!(image instanceof Tensor))
    throw new ConvlensError(`${op}: image must be a uint8 Tensor [height, width, channels], got ${typeof image}`);
  if (image.dtype !== 'uint8') {
    throw new ConvlensError(
      `${op}: image must be uint8, got ${image.dtype} (convert it with convertImageDtype(image, 'uint8') for values in 0..1)`,
    );
  }
  if (image.rank !== 2 && image.rank !== 3) {
    throw new ConvlensError(
      `${op}: image must be rank 3 [height, width, channels] or rank 2 [height, width], got shape ${formatShape(image.shape)}`,
    );
  }
  const [height, width, channels = 1] = image.shape;
  if (channels < 1 || channels > 4) {
    throw new ConvlensError(
      `${op}: image must have 1 to 4 channels (gray, gray+alpha, RGB, RGBA), got ${channels} in shape ${formatShape(image.shape)}`,
    );
  }
  if (height === 0 || width === 0)
    throw new ConvlensError(`${op}: image is empty (shape ${formatShape(image.shape)}); PNG needs at least 1×1`);
  return fastPngEncode({ width, height, data: image.data as Uint8Array, depth: 8, channels });
}
