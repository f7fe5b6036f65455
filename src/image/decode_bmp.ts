import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { checkBytes, type DecodeOptions, resolveDecodeOptions, sniffFormat, wrongFormat } from './decode_options.js';
import { checkPixelCount } from './pixel_limit.js';
import { rgbToGrayscale } from './rgb_to_grayscale.js';

/** The 14-byte file header and the 40-byte BITMAPINFOHEADER, the smallest header TF's fields are read from. */
const HEADERS_SIZE = 54;
const COMPRESSIONS: Record<number, string> = { 1: 'RLE8', 2: 'RLE4', 4: 'JPEG', 5: 'PNG' };

/**
 * Decodes BMP bytes to a uint8 tensor `[height, width, channels]` as TensorFlow's
 * `tf.io.decode_bmp(contents, channels)` does: uncompressed 8-, 24- and 32-bit BMPs, bottom-up or
 * top-down (negative height), rows padded to 4 bytes.
 *
 * - `channels: 0` keeps the file's: 1 for 8 bits, 3 for 24 (BGR → RGB), 4 for 32 (BGRA → RGBA,
 *   the 4th byte as alpha even where the file leaves it 0).
 * - An 8-bit BMP is read as TensorFlow reads it: the stored byte is the gray value and the
 *   palette is not applied (right for gray BMPs, whose palette is the identity; a colour-palette
 *   BMP gives its palette indices, as in TensorFlow).
 * - `channels: 3` repeats gray or drops alpha; `channels: 4` adds alpha 255.
 * - `channels: 1` (TensorFlow refuses it for BMP) keeps an 8-bit BMP's values and converts colour
 *   with rgbToGrayscale, TensorFlow's `rgb_to_grayscale`.
 *
 * Like TensorFlow, the colour masks of BI_BITFIELDS files are not read (the bytes are taken as
 * BGR(A)). Other bit depths, RLE/JPEG/PNG compression and OS/2 headers throw a ConvlensError, as do
 * truncated data and images above the pixel limit. Bytes after the last row are ignored
 * (TensorFlow requires the file to end there).
 *
 * Decoding is convlens's own rather than a BMP library's: TensorFlow reads the bytes as they are
 * (no palette, no masks), which a complete BMP decoder would not reproduce.
 */
export function decodeBmp(data: Uint8Array | ArrayBuffer, options?: DecodeOptions): Tensor {
  const op = 'decodeBmp';
  const bytes = checkBytes(op, data, 'BMP');
  const { channels, maxPixels } = resolveDecodeOptions(op, options);
  if (sniffFormat(bytes).format !== 'bmp' && !(bytes.length === 1 && bytes[0] === 0x42)) {
    throw wrongFormat(op, bytes, 'BMP', '; decodeImage reads the other formats');
  }
  return decodeBmpBytes(op, bytes, channels, maxPixels);
}

interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  /** 1, 3 or 4 bytes a pixel. */
  fileChannels: number;
  dataOffset: number;
  rowSize: number;
}

export function decodeBmpBytes(op: string, bytes: Uint8Array, channels: number, maxPixels: number | undefined): Tensor<'uint8'> {
  const header = readBmpHeader(op, bytes);
  const { width, height, fileChannels } = header;
  checkPixelCount(op, width, height, maxPixels);
  const needed = header.dataOffset + header.rowSize * height;
  if (bytes.length < needed) {
    throw new ConvlensError(
      `${op}: data is truncated: the BMP's ${height} rows of ${header.rowSize} bytes from byte ${header.dataOffset} need ${needed} bytes, got ${bytes.length}`,
    );
  }
  if (channels === 1 && fileChannels > 1) {
    return rgbToGrayscale(readPixels(bytes, header, 3)) as Tensor<'uint8'>;
  }
  return readPixels(bytes, header, channels === 0 ? fileChannels : channels);
}

function readBmpHeader(op: string, bytes: Uint8Array): BmpHeader {
  const corrupt = (what: string) => new ConvlensError(`${op}: data is corrupt: ${what}`);
  const unsupported = (what: string) =>
    new ConvlensError(`${op}: unsupported BMP: ${what} (TensorFlow reads uncompressed 8-, 24- and 32-bit BMPs)`);
  if (bytes.length < 18) throw new ConvlensError(`${op}: data is truncated: ${bytes.length} bytes end inside the BMP file header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const infoSize = view.getUint32(14, true);
  if (infoSize === 12) throw unsupported('an OS/2 BITMAPCOREHEADER');
  if (infoSize < 40) throw corrupt(`the BMP info header is ${infoSize} bytes (expected 40 or more)`);
  if (bytes.length < HEADERS_SIZE)
    throw new ConvlensError(`${op}: data is truncated: ${bytes.length} bytes end inside the BMP info header`);
  const dataOffset = view.getUint32(10, true);
  const width = view.getInt32(18, true);
  const signedHeight = view.getInt32(22, true);
  const bitsPerPixel = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  if (width <= 0) throw corrupt(`the BMP width is ${width} (expected a positive number)`);
  if (signedHeight === 0 || signedHeight === -(2 ** 31)) throw corrupt(`the BMP height is ${signedHeight}`);
  if (bitsPerPixel !== 8 && bitsPerPixel !== 24 && bitsPerPixel !== 32) throw unsupported(`${bitsPerPixel} bits per pixel`);
  if (COMPRESSIONS[compression]) throw unsupported(`${COMPRESSIONS[compression]} compression`);
  if (dataOffset < 14 + infoSize) {
    throw corrupt(`the BMP pixel data offset ${dataOffset} lies inside its ${14 + infoSize} bytes of headers`);
  }
  const fileChannels = bitsPerPixel / 8;
  return {
    width,
    height: Math.abs(signedHeight),
    topDown: signedHeight < 0,
    fileChannels,
    dataOffset,
    rowSize: Math.ceil((width * fileChannels) / 4) * 4,
  };
}

/** TensorFlow's DecodeBMP: rows bottom-up unless top-down, BGR(A) → RGB(A), gray repeated, alpha 255 where the file has none. */
function readPixels(bytes: Uint8Array, header: BmpHeader, outChannels: number): Tensor<'uint8'> {
  const { width, height, topDown, fileChannels, dataOffset, rowSize } = header;
  const out = new Uint8Array(width * height * outChannels);
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = dataOffset + (topDown ? y : height - 1 - y) * rowSize;
    for (let x = 0; x < width; x++, i += fileChannels) {
      if (fileChannels === 1) {
        out[o++] = bytes[i];
        if (outChannels === 1) continue;
        out[o++] = bytes[i];
        out[o++] = bytes[i];
      } else {
        out[o++] = bytes[i + 2];
        out[o++] = bytes[i + 1];
        out[o++] = bytes[i];
      }
      if (outChannels === 4) out[o++] = fileChannels === 4 ? bytes[i + 3] : 255;
    }
  }
  return new Tensor(out, [height, width, outChannels], 'uint8');
}
