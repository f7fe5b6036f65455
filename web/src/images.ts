import { expandDims, image, nn, type Tensor } from './lib.js';

/** Longest side the page works at; larger images are shrunk first (the lesson uses 400×400). */
export const MAX_SIDE = 800;

export interface LoadedImage {
  /** float32 `[1, H, W, 1]` in 0..1, gray, as the lesson feeds conv2d. */
  input: Tensor<'float32'>;
  /** The file's own size, before any shrinking. */
  original: [number, number];
  name: string;
}

/**
 * Decodes PNG, JPEG, GIF (its first frame) or BMP bytes with the library (`image.decodeImage`, one
 * channel like the lesson's `decode_jpeg(channels=1)`; a CMYK JPEG, which TensorFlow will not make
 * gray, as rgbToGrayscale of its RGB, as the CLI does), converts to float32 in 0..1
 * (`convertImageDtype`) and shrinks images larger than MAX_SIDE: average pooling by the whole
 * factor, then `image.resize` (bilinear).
 * Throws the library's ConvlensError, whose message says what is wrong with the file.
 */
export function prepareImage(bytes: Uint8Array, name: string): LoadedImage {
  const decoded = image.decodeImage(bytes, { channels: 1, expandAnimations: false, cmykToGray: true });
  const [height, width] = decoded.shape;
  let input = expandDims(image.convertImageDtype(decoded, 'float32'), 0) as Tensor<'float32'>;
  const longest = Math.max(height, width);
  if (longest > MAX_SIDE) {
    const scale = MAX_SIDE / longest;
    const target: [number, number] = [Math.max(1, Math.round(height * scale)), Math.max(1, Math.round(width * scale))];
    // the whole factor, but never more than a side has (a 2000×1 strip pools 2×1)
    const factor = Math.floor(longest / MAX_SIDE);
    const window: [number, number] = [Math.min(factor, height), Math.min(factor, width)];
    if (factor >= 2) input = nn.avgPool2d({ input, ksize: window, strides: window, padding: 'VALID' }) as Tensor<'float32'>;
    input = image.resize(input, target) as Tensor<'float32'>;
  }
  return { input, original: [height, width], name };
}
