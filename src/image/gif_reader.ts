import { ConvlensError } from '../errors.js';

/**
 * Reading GIF files (GIF87a/GIF89a) as giflib, TensorFlow's decoder, reads them: the frames'
 * positions, colour tables and transparent index, and each frame's LZW-coded colour indices.
 *
 * convlens's own rather than omggif's (the usual JavaScript GIF decoder): TensorFlow's result
 * depends on the colour indices (transparency, indices outside the colour table) and on each
 * frame's rectangle, and fails on image data that ends early; omggif only paints RGBA into a
 * canvas the size of the GIF's logical screen and fills a short frame with colour 0, printing a
 * warning, where an error naming the frame is wanted.
 */

export interface GifFrame {
  left: number;
  top: number;
  width: number;
  height: number;
  interlaced: boolean;
  /** The local colour table, else the global one (3 bytes an entry); undefined if there is neither. */
  colors: Uint8Array | undefined;
  /** The index its Graphic Control Extension marks transparent, or -1. */
  transparent: number;
  /** Where its LZW minimum code size byte is (its data sub-blocks follow). */
  dataOffset: number;
}

/**
 * The frames of a GIF, their image data not decoded. As giflib (and so TensorFlow) does, data that
 * ends, or holds an unknown block, after a complete frame ends the animation there; a file without
 * a complete frame, or that ends inside one, is an error.
 */
export function readGifFrames(op: string, bytes: Uint8Array): GifFrame[] {
  const reader = new Reader(op, bytes);
  reader.need(13, 'the GIF header');
  if (bytes[0] !== 0x47 || bytes[1] !== 0x49 || bytes[2] !== 0x46) throw reader.corrupt('it does not start with "GIF"');
  const flags = bytes[10];
  reader.at = 13;
  const globalColors = flags & 0x80 ? reader.colorTable(flags, 'the GIF global colour table') : undefined;
  const frames: GifFrame[] = [];
  let transparent = -1;
  let sawControl = false;
  for (;;) {
    if (reader.at >= bytes.length) {
      if (frames.length > 0) break; // no trailer: giflib keeps the frames read
      throw reader.truncated("before the GIF's first frame");
    }
    const record = bytes[reader.at++];
    if (record === 0x2c) {
      frames.push(reader.frame(frames.length, globalColors, transparent));
      transparent = -1;
      sawControl = false;
    } else if (record === 0x21) {
      const label = bytes[reader.at++];
      const first = reader.at;
      if (!reader.skipSubBlocks()) {
        if (frames.length > 0) break; // an extension cut short after a frame: giflib keeps the frames read
        throw reader.truncated("inside an extension before the GIF's first frame");
      }
      // giflib takes the first Graphic Control Extension before a frame, if its block is 4 bytes
      if (label === 0xf9 && !sawControl && bytes[first] === 4) transparent = bytes[first + 1] & 1 ? bytes[first + 4] : -1;
      sawControl ||= label === 0xf9;
    } else if (record === 0x3b || frames.length > 0) {
      break; // the trailer, or an unknown block after a frame, where giflib stops keeping the frames read
    } else {
      throw reader.corrupt(`unknown GIF block 0x${record.toString(16).padStart(2, '0')} at byte ${reader.at - 1}`);
    }
  }
  if (frames.length === 0) throw reader.corrupt('the GIF holds no image');
  return frames;
}

class Reader {
  at = 0;
  constructor(
    private readonly op: string,
    private readonly bytes: Uint8Array,
  ) {}

  corrupt(what: string): ConvlensError {
    return new ConvlensError(`${this.op}: data is corrupt: ${what}`);
  }

  truncated(where: string): ConvlensError {
    return new ConvlensError(`${this.op}: data is truncated: its ${this.bytes.length} bytes end ${where}`);
  }

  need(count: number, what: string): void {
    if (this.at + count > this.bytes.length) throw this.truncated(`inside ${what}`);
  }

  colorTable(flags: number, what: string): Uint8Array {
    const size = 3 << ((flags & 7) + 1);
    this.need(size, what);
    this.at += size;
    return this.bytes.subarray(this.at - size, this.at);
  }

  /** Skips data sub-blocks up to their terminator; false if the data ends first. */
  skipSubBlocks(): boolean {
    const { bytes } = this;
    while (this.at < bytes.length) {
      const size = bytes[this.at++];
      if (size === 0) return true;
      this.at += size;
    }
    return false;
  }

  /** An image descriptor (after its 0x2C), its colour table and its image data. */
  frame(index: number, globalColors: Uint8Array | undefined, transparent: number): GifFrame {
    const { bytes } = this;
    const what = `frame ${index} of the GIF`;
    this.need(9, what);
    const word = (i: number) => bytes[this.at + i] | (bytes[this.at + i + 1] << 8);
    const [left, top, width, height] = [word(0), word(2), word(4), word(6)];
    const flags = bytes[this.at + 8];
    this.at += 9;
    if (width === 0 || height === 0) throw this.corrupt(`${what} is ${height}×${width} pixels`);
    const colors = flags & 0x80 ? this.colorTable(flags, what) : globalColors;
    const dataOffset = this.at;
    this.at++;
    if (!this.skipSubBlocks()) throw this.truncated(`inside the image data of ${what}`);
    return { left, top, width, height, interlaced: (flags & 0x40) !== 0, colors, transparent, dataOffset };
  }
}

const MAX_CODES = 4096;
// the code table (each code: its prefix code and last index) and the stack a code's string is
// read into backwards; shared by every call, which never nest, so as not to allocate them per frame
const prefix = new Uint16Array(MAX_CODES);
const suffix = new Uint8Array(MAX_CODES);
const stack = new Uint8Array(MAX_CODES + 1);

/**
 * A frame's colour indices, row by row (interlaced frames put in order): the GIF variant of LZW,
 * codes of 3 to 12 bits read least significant bit first across the data sub-blocks. Codes past
 * the frame's last pixel are ignored (as giflib does); data that ends before it, or a code that
 * is not yet defined, is an error.
 */
export function decodeGifIndices(op: string, bytes: Uint8Array, frame: GifFrame, index: number): Uint8Array {
  const pixels = frame.width * frame.height;
  const out = new Uint8Array(pixels);
  const minCodeSize = bytes[frame.dataOffset];
  if (minCodeSize < 1 || minCodeSize > 8) {
    throw new ConvlensError(`${op}: data is corrupt: frame ${index} of the GIF has LZW code size ${minCodeSize} (expected 1 to 8)`);
  }
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  let size = minCodeSize + 1;
  let next = end + 1;
  let previous = -1;
  let first = 0;
  let o = 0;
  // the bit reader, across sub-blocks
  let at = frame.dataOffset + 1;
  let blockLeft = 0;
  let bits = 0;
  let buffer = 0;
  outer: while (o < pixels) {
    while (bits < size) {
      if (blockLeft === 0) {
        blockLeft = bytes[at++];
        if (blockLeft === 0) break outer;
      }
      buffer |= bytes[at++] << bits;
      bits += 8;
      blockLeft--;
    }
    const code = buffer & ((1 << size) - 1);
    buffer >>>= size;
    bits -= size;
    if (code === clear) {
      size = minCodeSize + 1;
      next = end + 1;
      previous = -1;
      continue;
    }
    if (code === end) break;
    if (code > next || (previous === -1 && code > clear)) {
      throw new ConvlensError(`${op}: data is corrupt: frame ${index} of the GIF has an undefined LZW code ${code}`);
    }
    let top = 0;
    let chase = code;
    if (code === next) {
      stack[top++] = first;
      chase = previous;
    }
    while (chase > clear) {
      stack[top++] = suffix[chase];
      chase = prefix[chase];
    }
    first = chase;
    stack[top++] = chase;
    while (top > 0 && o < pixels) out[o++] = stack[--top];
    if (previous !== -1 && next < MAX_CODES) {
      prefix[next] = previous;
      suffix[next] = first;
      next++;
      if (next === 1 << size && size < 12) size++;
    }
    previous = code;
  }
  if (o < pixels) {
    throw new ConvlensError(
      `${op}: data is truncated or corrupt: the image data of frame ${index} of the GIF ends after ${o} of its ${pixels} pixels`,
    );
  }
  return frame.interlaced ? deinterlace(out, frame.width, frame.height) : out;
}

/** Interlaced rows come in four passes: every 8th row from 0, every 8th from 4, every 4th from 2, every 2nd from 1. */
function deinterlace(rows: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(rows.length);
  let row = 0;
  for (const [start, step] of [
    [0, 8],
    [4, 8],
    [2, 4],
    [1, 2],
  ]) {
    for (let y = start; y < height; y += step, row++) out.set(rows.subarray(row * width, (row + 1) * width), y * width);
  }
  return out;
}
