import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkBytes, resolveDecodeOptions, sniffFormat, wrongFormat } from './decode_options.js';
import { decodeGifIndices, type GifFrame, readGifFrames } from './gif_reader.js';
import { checkPixelCount } from './pixel_limit.js';
import { rgbToGrayscale } from './rgb_to_grayscale.js';

/** "GIF8": a shorter start of it is a truncated GIF, not another format. */
const GIF_MAGIC = [0x47, 0x49, 0x46, 0x38];

/** decodeGif's options: TensorFlow's decode_gif has none; maxPixels guards memory as for the other decoders. */
export interface DecodeGifOptions {
  /** Largest frames × width × height accepted for this call (default: the global limit, see setPixelLimit). */
  maxPixels?: number;
}

/**
 * Decodes the frames of a GIF to a uint8 tensor `[frames, height, width, 3]` (RGB), as TensorFlow's
 * `tf.io.decode_gif(contents)` does (giflib, composited by TensorFlow's gif_io.cc):
 *
 * - The canvas is as wide and as high as the largest frame (TensorFlow ignores the GIF's logical
 *   screen size). Each frame is drawn at its position, clipped to the canvas.
 * - Frame 0 starts from black; each later frame starts from the previous one (the disposal method
 *   is not applied). Pixels of a frame's transparent index keep what is under them (black in
 *   frame 0).
 * - A colour index outside the frame's colour table, a frame without a colour table, and image
 *   data that ends before the frame's last pixel are errors (as in TensorFlow; for data that is
 *   corrupt in other ways TensorFlow may return undefined pixels where convlens throws).
 *
 * Data that ends, or holds an unknown block, after a complete frame gives the frames before it (as
 * giflib does). The pixel limit applies to all frames together, checked before decoding.
 */
export function decodeGif(data: Uint8Array | ArrayBuffer, options?: DecodeGifOptions): Tensor {
  const op = 'decodeGif';
  const bytes = checkBytes(op, data, 'GIF');
  const { maxPixels } = resolveDecodeOptions(op, options, ['maxPixels']);
  const isGifPrefix = bytes.length < 4 && bytes.every((b, i) => b === GIF_MAGIC[i]);
  if (sniffFormat(bytes).format !== 'gif' && !isGifPrefix) throw wrongFormat(op, bytes, 'GIF', '; decodeImage reads the other formats');
  return decodeGifBytes(op, bytes, 3, maxPixels, true);
}

/**
 * decodeGif after its checks, and decodeImage's GIF path: `[frames, height, width, channels]`, or
 * with `expandAnimations` false the first frame `[height, width, channels]` (on the canvas of the
 * largest frame, as TensorFlow). Channels 0 and 3 give RGB; 1 (rgbToGrayscale of RGB) and 4 (alpha
 * 255) are convlens's, as TensorFlow only decodes a GIF to RGB.
 */
export function decodeGifBytes(
  op: string,
  bytes: Uint8Array,
  channels: number,
  maxPixels: number | undefined,
  expandAnimations: boolean,
): Tensor<'uint8'> {
  const frames = readGifFrames(op, bytes);
  // a loop, not Math.max(...): a GIF may hold more frames than a call takes arguments
  let width = 0;
  let height = 0;
  for (const frame of frames) {
    width = Math.max(width, frame.width);
    height = Math.max(height, frame.height);
  }
  const count = expandAnimations ? frames.length : 1;
  checkPixelCount(op, width, height, maxPixels, count);
  let rgb: Uint8Array;
  try {
    rgb = composite(op, bytes, frames.slice(0, count), width, height);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ConvlensError(`${op}: not enough memory to decode ${count} frames of ${height}×${width} from a GIF (${error.message})`);
    }
    throw error;
  }
  const shape = expandAnimations ? [count, height, width] : [height, width];
  const image = new Tensor(rgb, [...shape, 3], 'uint8');
  if (channels === 1) return rgbToGrayscale(image) as Tensor<'uint8'>;
  if (channels === 4) return withOpaqueAlpha(image);
  return image;
}

/** TensorFlow's gif::Decode: each frame painted over a copy of the one before. */
function composite(op: string, bytes: Uint8Array, frames: GifFrame[], width: number, height: number): Uint8Array {
  const frameSize = width * height * 3;
  const out = new Uint8Array(frames.length * frameSize);
  frames.forEach((frame, k) => {
    const canvas = out.subarray(k * frameSize, (k + 1) * frameSize);
    if (k > 0) canvas.set(out.subarray((k - 1) * frameSize, k * frameSize));
    const colors = frame.colors;
    if (!colors) throw new ConvlensError(`${op}: data is corrupt: frame ${k} of the GIF has no colour table (local or global)`);
    const indices = decodeGifIndices(op, bytes, frame, k);
    const right = Math.min(frame.left + frame.width, width);
    const bottom = Math.min(frame.top + frame.height, height);
    for (let y = frame.top; y < bottom; y++) {
      const row = (y - frame.top) * frame.width - frame.left;
      for (let x = frame.left; x < right; x++) {
        const index = indices[row + x];
        if (index === frame.transparent) continue;
        if (3 * index >= colors.length) {
          throw new ConvlensError(
            `${op}: data is corrupt: frame ${k} of the GIF uses colour ${index}, outside its table of ${colors.length / 3} colours`,
          );
        }
        const at = (y * width + x) * 3;
        canvas[at] = colors[3 * index];
        canvas[at + 1] = colors[3 * index + 1];
        canvas[at + 2] = colors[3 * index + 2];
      }
    }
  });
  return out;
}

function withOpaqueAlpha(rgb: Tensor<'uint8'>): Tensor<'uint8'> {
  const n = rgb.size / 3;
  const out = new Uint8Array(n * 4).fill(255);
  for (let p = 0; p < n; p++) {
    out[4 * p] = rgb.data[3 * p];
    out[4 * p + 1] = rgb.data[3 * p + 1];
    out[4 * p + 2] = rgb.data[3 * p + 2];
  }
  return new Tensor(out, [...rgb.shape.slice(0, -1), 4], 'uint8');
}
