/**
 * convlens's JPEG decoder (8-bit Huffman: baseline, extended and progressive), bit-exact to
 * libjpeg-turbo as TensorFlow's decode_jpeg runs it. This file reads the markers and
 * tables, checks them and reports errors; the pixel loops run in the image codecs' Wasm module
 * (src/image/wasm/assembly/jpeg.ts), whose compiled code every thread of a process shares: the
 * entropy decoding of each scan into coefficient blocks, libjpeg's fast (TensorFlow's default)
 * or accurate integer IDCT on the components asked for, chroma upsampling and colour conversion. Plain TypeScript, no Node APIs.
 */

import { ConvlensError } from '../errors.js';
import { codec, bytes as codecBytes, layout } from './wasm/codec.js';

/** What a JPEG's components hold (libjpeg-turbo's default_decompress_parms). */
export type ColorSpace = 'gray' | 'ycc' | 'rgb' | 'cmyk' | 'ycck';

/** Zigzag position → natural position, with 16 extra entries of 63 (as libjpeg's
 * jpeg_natural_order) so a corrupt run past the end of a block stays inside it. */
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63,
  63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

// The Wasm side's memory formats (src/image/wasm/assembly/jpeg.ts): keep the two in step.
/** A Huffman table slot: JS writes the counts and symbols, jpeg_huffman_table derives the lookup. */
const HUFFMAN_SIZE = 1440;
const HUFFMAN_VALUES = 1168;
const HUFFMAN_COUNTS = 1424;
/** Scan kinds and the scan descriptor's i32 fields (jpeg_decode_scan). */
enum ScanKind {
  Baseline,
  DcFirst,
  DcRefine,
  AcFirst,
  AcRefine,
}
const SCAN_KIND = 0;
const SCAN_SS = 1;
const SCAN_SE = 2;
const SCAN_AL = 3;
const SCAN_RESTART = 4;
const SCAN_MCUS_WIDE = 5;
const SCAN_MCUS_HIGH = 6;
const SCAN_COUNT = 7;
const SCAN_DATA = 8;
const SCAN_LENGTH = 9;
const SCAN_POS = 10;
const SCAN_ZIGZAG = 11;
const SCAN_COMPONENTS = 12;
/** Per scan component: coefficients, blocks per stored row, h, v, DC table, AC table, predictor, spare. */
const COMP_FIELDS = 8;
const SCAN_FIELDS = SCAN_COMPONENTS + 4 * COMP_FIELDS;
/** jpeg_decode_scan's results besides 0. */
const BAD_HUFFMAN_CODE = 1;
const NO_RESTART_MARKER = 2;
/** What the output's pixels are made of, and the output descriptor's i32 fields (jpeg_output). */
enum OutputMode {
  Gray,
  RgbToGray,
  Ycc,
  Rgb,
  Cmyk,
  Ycck,
}
const OUT_MODE = 0;
const OUT_CHANNELS = 1;
const OUT_WIDTH = 2;
const OUT_HEIGHT = 3;
const OUT_PIXELS = 4;
const OUT_SUMS = 5;
const OUT_PLANES = 6;
const OUT_PLANE_LIST = 7;
/** Per plane: samples, stride, width, height, upsampling factors x and y, row buffer, spare. */
const PLANE_FIELDS = 8;
const OUT_FIELDS = OUT_PLANE_LIST + 4 * PLANE_FIELDS;

/** A DHT table as the file gives it (checked): code counts per length 1..16, and the symbols. */
interface HuffmanCodes {
  counts: Uint8Array;
  values: Uint8Array;
}

interface FrameComponent {
  id: number;
  h: number;
  v: number;
  quantIndex: number;
  /** The quantisation table latched when the component's first scan starts (as libjpeg does). */
  quant?: Uint16Array;
  /** Size in samples: ceil(image size × sampling / maximum sampling). */
  width: number;
  height: number;
  /** Blocks covering the samples (what a non-interleaved scan codes). */
  blocksWide: number;
  blocksHigh: number;
  /** Blocks per stored row: the MCU grid's width, so interleaved scans' padding blocks fit. */
  blocksPerLine: number;
  /** Where its coefficient blocks are in the codec's memory, for the whole file: progressive scans refine them. */
  coefs: number;
  /** Its samples after the IDCT (rows blocksWide × 8 apart), and a row buffer for upsampling. */
  plane: number;
  row: number;
}

/** Where a file's data lives in the codec's memory: laid out once, at the frame header. */
interface Memory {
  /** The file's bytes. */
  data: number;
  length: number;
  zigzag: number;
  scan: number;
  huffman: number;
  quant: number;
  workspace: number;
  output: number;
  sums: number;
  pixels: number;
}

interface Frame {
  progressive: boolean;
  width: number;
  height: number;
  /** MCUs of an interleaved scan (each maxH × maxV blocks of 8×8 samples). */
  mcusWide: number;
  mcusHigh: number;
  maxH: number;
  maxV: number;
  components: FrameComponent[];
  memory: Memory;
}

/** What the caller wants: the pixels' make-up, channels (1, 3 or 4) and the components it needs. */
interface Output {
  mode: OutputMode;
  channels: number;
  planes: number;
  idct: IdctMethod;
}

/**
 * libjpeg's inverse DCT: 'fast' (JDCT_IFAST), what TensorFlow's decode_jpeg uses by default and
 * decode_image always, or 'accurate' (JDCT_ISLOW), decode_jpeg's dct_method 'INTEGER_ACCURATE'.
 */
export type IdctMethod = 'fast' | 'accurate';

/**
 * jddctmgr.c's aanscales: the AAN IDCT's scale factors, times 2^14, in natural order. The fast
 * IDCT's dequantisation multipliers are the quantisation table times these.
 */
// biome-ignore format: an 8×8 table
const AAN_SCALES = [
  16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520,
  22725, 31521, 29692, 26722, 22725, 17855, 12299, 6270,
  21407, 29692, 27969, 25172, 21407, 16819, 11585, 5906,
  19266, 26722, 25172, 22654, 19266, 15137, 10426, 5315,
  16384, 22725, 21407, 19266, 16384, 12873, 8867, 4520,
  12873, 17855, 16819, 15137, 12873, 10114, 6967, 3552,
  8867, 12299, 11585, 10426, 8867, 6967, 4799, 2446,
  4520, 6270, 5906, 5315, 4520, 3552, 2446, 1247,
];

/**
 * The fast IDCT's multipliers (jddctmgr.c for JDCT_IFAST): quant × aanscale rounded to 2
 * fractional bits, kept as libjpeg's 16-bit IFAST_MULT_TYPE (an Int16Array wraps as it does).
 */
function fastMultipliers(quant: Uint16Array, out: Int16Array): void {
  for (let i = 0; i < 64; i++) out[i] = (quant[i] * AAN_SCALES[i] + 2048) >> 12;
}

/**
 * Decodes the JPEG in bytes (already checked complete by jpeg_info.ts) to interleaved 8-bit
 * pixels of `channels` channels (alpha 255), from components that hold `space`: libjpeg's gray
 * output is the first component (luma) as stored, or the rounded 0.299/0.587/0.114 sum of RGB.
 */
export function decodeJpegPixels(op: string, bytes: Uint8Array, space: ColorSpace, channels: number, idct: IdctMethod): Uint8Array {
  const mode =
    channels === 1
      ? space === 'rgb'
        ? OutputMode.RgbToGray
        : OutputMode.Gray
      : { gray: OutputMode.Gray, ycc: OutputMode.Ycc, rgb: OutputMode.Rgb, cmyk: OutputMode.Cmyk, ycck: OutputMode.Ycck }[space];
  const planes = mode === OutputMode.Gray ? 1 : mode === OutputMode.Cmyk || mode === OutputMode.Ycck ? 4 : 3;
  return decodeFile(op, bytes, { mode, channels, planes, idct });
}

function decodeFile(op: string, bytes: Uint8Array, output: Output): Uint8Array {
  const quantTables: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanCodes | undefined)[] = [];
  const acTables: (HuffmanCodes | undefined)[] = [];
  let frame: Frame | undefined;
  let restartInterval = 0;
  let at = 2;
  for (;;) {
    if (at >= bytes.length || bytes[at] !== 0xff) throw corrupt(op, `expected a JPEG marker at byte ${at}`);
    while (at < bytes.length && bytes[at] === 0xff) at++;
    const marker = bytes[at++];
    if (marker === 0xd9) break;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (at + 2 > bytes.length) throw corrupt(op, `a marker segment runs past the end at byte ${at}`);
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2 || at + length > bytes.length)
      throw corrupt(op, `JPEG marker 0x${marker.toString(16)} at byte ${at - 2} has length ${length}`);
    const seg = bytes.subarray(at + 2, at + length);
    at += length;
    if (marker === 0xdb) readQuantTables(op, seg, quantTables);
    else if (marker === 0xc4) readHuffmanTables(op, seg, dcTables, acTables);
    else if (marker === 0xdd) {
      if (seg.length < 2) throw corrupt(op, 'the restart interval (DRI) segment is too short');
      restartInterval = (seg[0] << 8) | seg[1];
    } else if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (frame) throw corrupt(op, 'more than one JPEG frame header (SOF)');
      frame = readFrame(seg, marker === 0xc2, bytes, output);
    } else if (marker === 0xda) {
      if (!frame) throw corrupt(op, 'JPEG image data (SOS) before the frame header (SOF)');
      at = decodeScan(op, frame, seg, at, quantTables, dcTables, acTables, restartInterval);
    }
  }
  if (!frame) throw corrupt(op, 'no JPEG frame header (SOF)');
  return pixels(frame, output);
}

function corrupt(op: string, what: string): ConvlensError {
  return new ConvlensError(`${op}: data is corrupt: ${what}`);
}

function readQuantTables(op: string, seg: Uint8Array, tables: (Uint16Array | undefined)[]): void {
  for (let i = 0; i < seg.length; ) {
    const precision = seg[i] >> 4;
    const index = seg[i] & 15;
    const size = precision === 0 ? 64 : 128;
    if (index > 3 || precision > 1 || i + 1 + size > seg.length) throw corrupt(op, 'bad quantisation table (DQT) segment');
    const table = new Uint16Array(64);
    for (let k = 0; k < 64; k++) {
      table[ZIGZAG[k]] = precision === 0 ? seg[i + 1 + k] : (seg[i + 1 + 2 * k] << 8) | seg[i + 2 + 2 * k];
    }
    tables[index] = table;
    i += 1 + size;
  }
}

function readHuffmanTables(
  op: string,
  seg: Uint8Array,
  dcTables: (HuffmanCodes | undefined)[],
  acTables: (HuffmanCodes | undefined)[],
): void {
  for (let i = 0; i < seg.length; ) {
    const kind = seg[i] >> 4;
    const index = seg[i] & 15;
    if (kind > 1 || index > 3 || i + 17 > seg.length) throw corrupt(op, 'bad Huffman table (DHT) segment');
    const counts = seg.slice(i + 1, i + 17);
    let total = 0;
    for (let k = 0; k < 16; k++) total += counts[k];
    if (total > 256 || i + 17 + total > seg.length) throw corrupt(op, `a Huffman table (DHT) declares ${total} codes, more than it holds`);
    const values = seg.slice(i + 17, i + 17 + total);
    const problem = huffmanProblem(counts, values, kind === 0);
    if (problem) throw corrupt(op, `bad Huffman table (DHT): ${problem}`);
    (kind === 0 ? dcTables : acTables)[index] = { counts, values };
    i += 17 + total;
  }
}

/** What makes a DHT table unusable, if anything. */
function huffmanProblem(counts: Uint8Array, values: Uint8Array, isDc: boolean): string | undefined {
  // libjpeg's "bad Huffman table" check: the codes of each length must fit in that many bits
  // without taking the all-ones code.
  for (let length = 1, code = 0; length <= 16; length++, code <<= 1) {
    code += counts[length - 1];
    if (code >= 1 << length) return `impossible code counts (more codes of up to ${length} bits than ${length} bits can hold)`;
  }
  if (isDc) {
    for (let i = 0; i < values.length; i++) {
      if (values[i] > 15) return `a DC Huffman table has symbol ${values[i]} (at most 15)`;
    }
  }
  return undefined;
}

/** Reads the frame header and lays out the file's memory in the codec: the decode's only layout. */
function readFrame(seg: Uint8Array, progressive: boolean, bytes: Uint8Array, output: Output): Frame {
  const height = (seg[1] << 8) | seg[2];
  const width = (seg[3] << 8) | seg[4];
  const count = seg[5];
  let maxH = 1;
  let maxV = 1;
  for (let i = 0; i < count; i++) {
    maxH = Math.max(maxH, seg[7 + 3 * i] >> 4);
    maxV = Math.max(maxV, seg[7 + 3 * i] & 15);
  }
  const mcusWide = Math.ceil(width / (8 * maxH));
  const mcusHigh = Math.ceil(height / (8 * maxV));
  const components: FrameComponent[] = [];
  for (let i = 0; i < count; i++) {
    const h = seg[7 + 3 * i] >> 4;
    const v = seg[7 + 3 * i] & 15;
    const compWidth = Math.ceil((width * h) / maxH);
    const compHeight = Math.ceil((height * v) / maxV);
    components.push({
      id: seg[6 + 3 * i],
      h,
      v,
      quantIndex: seg[8 + 3 * i],
      width: compWidth,
      height: compHeight,
      blocksWide: Math.ceil(compWidth / 8),
      blocksHigh: Math.ceil(compHeight / 8),
      blocksPerLine: mcusWide * h,
      coefs: 0,
      plane: 0,
      row: 0,
    });
  }
  const planes = components.slice(0, output.planes);
  const coefSizes = components.map((c) => c.blocksPerLine * mcusHigh * c.v * 128);
  const [data, zigzag, scan, huffman, quant, workspace, out, sums, pixels, ...blocks] = layout([
    bytes.length,
    ZIGZAG.length,
    4 * SCAN_FIELDS,
    8 * HUFFMAN_SIZE,
    2 * 64,
    4 * 64,
    4 * OUT_FIELDS,
    4 * width,
    width * height * output.channels,
    ...coefSizes,
    ...planes.flatMap((c) => [c.blocksWide * c.blocksHigh * 64, width + 16]),
  ]);
  components.forEach((c, i) => {
    c.coefs = blocks[i];
  });
  planes.forEach((c, i) => {
    c.plane = blocks[count + 2 * i];
    c.row = blocks[count + 2 * i + 1];
  });
  const memory = codecBytes();
  memory.set(bytes, data);
  memory.set(ZIGZAG, zigzag);
  memory.fill(0, blocks[0], blocks[count - 1] + coefSizes[count - 1]); // the coefficients start at zero
  return {
    progressive,
    width,
    height,
    mcusWide,
    mcusHigh,
    maxH,
    maxV,
    components,
    memory: { data, length: bytes.length, zigzag, scan, huffman, quant, workspace, output: out, sums, pixels },
  };
}

/** Decodes the scan whose header is seg and whose data starts at `at`; returns the offset of the marker after it. */
function decodeScan(
  op: string,
  frame: Frame,
  seg: Uint8Array,
  at: number,
  quantTables: (Uint16Array | undefined)[],
  dcTables: (HuffmanCodes | undefined)[],
  acTables: (HuffmanCodes | undefined)[],
  restartInterval: number,
): number {
  const count = seg[0];
  if (count < 1 || count > 4 || seg.length < 4 + 2 * count) throw corrupt(op, 'bad scan header (SOS)');
  const ss = seg[1 + 2 * count];
  const se = seg[2 + 2 * count];
  const ah = seg[3 + 2 * count] >> 4;
  const al = seg[3 + 2 * count] & 15;
  let kind: ScanKind;
  if (!frame.progressive) {
    kind = ScanKind.Baseline;
  } else if (ss === 0) {
    if (se !== 0) throw corrupt(op, `a progressive DC scan covers coefficients ${ss}..${se}`);
    kind = ah === 0 ? ScanKind.DcFirst : ScanKind.DcRefine;
  } else {
    if (se < ss || se > 63 || count !== 1) throw corrupt(op, `bad progressive AC scan (coefficients ${ss}..${se}, ${count} components)`);
    kind = ah === 0 ? ScanKind.AcFirst : ScanKind.AcRefine;
  }
  if (al > 13) throw corrupt(op, `a progressive scan shifts by ${al} bits`);

  const { memory } = frame;
  const fields = new Int32Array(codec().memory.buffer, memory.scan, SCAN_FIELDS);
  let first: FrameComponent | undefined;
  for (let i = 0; i < count; i++) {
    const id = seg[1 + 2 * i];
    const component = frame.components.find((c) => c.id === id);
    if (!component) throw corrupt(op, `a scan (SOS) names component id ${id}, which the frame header does not have`);
    if (!component.quant) {
      const quant = quantTables[component.quantIndex];
      if (!quant) throw corrupt(op, `quantisation table ${component.quantIndex} is not defined`);
      component.quant = quant.slice();
    }
    const tables = seg[2 + 2 * i];
    const needsDc = kind === ScanKind.Baseline || kind === ScanKind.DcFirst;
    const needsAc = kind === ScanKind.Baseline || kind === ScanKind.AcFirst || kind === ScanKind.AcRefine;
    const dc = dcTables[tables >> 4];
    const ac = acTables[tables & 15];
    if (needsDc && !dc) throw corrupt(op, `a scan uses DC Huffman table ${tables >> 4}, which is not defined`);
    if (needsAc && !ac) throw corrupt(op, `a scan uses AC Huffman table ${tables & 15}, which is not defined`);
    const f = SCAN_COMPONENTS + i * COMP_FIELDS;
    fields[f] = component.coefs;
    fields[f + 1] = component.blocksPerLine;
    fields[f + 2] = component.h;
    fields[f + 3] = component.v;
    fields[f + 4] = needsDc ? huffmanTable(memory.huffman + (tables >> 4) * HUFFMAN_SIZE, dc!) : 0;
    fields[f + 5] = needsAc ? huffmanTable(memory.huffman + (4 + (tables & 15)) * HUFFMAN_SIZE, ac!) : 0;
    first ??= component;
  }
  const single = count === 1;
  fields[SCAN_KIND] = kind;
  fields[SCAN_SS] = ss;
  fields[SCAN_SE] = se;
  fields[SCAN_AL] = al;
  fields[SCAN_RESTART] = restartInterval;
  fields[SCAN_MCUS_WIDE] = single ? first!.blocksWide : frame.mcusWide;
  fields[SCAN_MCUS_HIGH] = single ? first!.blocksHigh : frame.mcusHigh;
  fields[SCAN_COUNT] = count;
  fields[SCAN_DATA] = memory.data;
  fields[SCAN_LENGTH] = memory.length;
  fields[SCAN_POS] = at;
  fields[SCAN_ZIGZAG] = memory.zigzag;
  const result = codec().jpeg_decode_scan(memory.scan);
  if (result === BAD_HUFFMAN_CODE) throw corrupt(op, `bad Huffman code in the image data before byte ${fields[SCAN_POS]}`);
  if (result === NO_RESTART_MARKER) throw corrupt(op, `expected a restart marker (RSTn) at byte ${fields[SCAN_POS]}`);
  return fields[SCAN_POS];
}

/** Writes a DHT table to its slot in the codec's memory and derives its lookup there; returns the slot. */
function huffmanTable(slot: number, codes: HuffmanCodes): number {
  const memory = codecBytes();
  memory.set(codes.counts, slot + HUFFMAN_COUNTS);
  memory.set(codes.values, slot + HUFFMAN_VALUES);
  codec().jpeg_huffman_table(slot);
  return slot;
}

/** The IDCT of the components asked for, upsampled and converted to the output's pixels. */
function pixels(frame: Frame, output: Output): Uint8Array {
  const { memory, width, height } = frame;
  const wasm = codec();
  const fields = new Int32Array(wasm.memory.buffer, memory.output, OUT_FIELDS);
  const quant = new Uint16Array(wasm.memory.buffer, memory.quant, 64);
  const multipliers = new Int16Array(wasm.memory.buffer, memory.quant, 64);
  for (let i = 0; i < output.planes; i++) {
    const c = frame.components[i];
    // A component no scan covered has no quantisation table latched: libjpeg's IDCT then
    // multiplies by zeros, giving mid-grey.
    if (!c.quant) quant.fill(0);
    else if (output.idct === 'fast') fastMultipliers(c.quant, multipliers);
    else quant.set(c.quant);
    wasm.jpeg_idct(c.coefs, c.blocksPerLine, c.blocksWide, c.blocksHigh, memory.quant, c.plane, memory.workspace, output.idct === 'fast');
    const f = OUT_PLANE_LIST + i * PLANE_FIELDS;
    fields[f] = c.plane;
    fields[f + 1] = c.blocksWide * 8;
    fields[f + 2] = c.width;
    fields[f + 3] = c.height;
    fields[f + 4] = frame.maxH / c.h;
    fields[f + 5] = frame.maxV / c.v;
    fields[f + 6] = c.row;
  }
  fields[OUT_MODE] = output.mode;
  fields[OUT_CHANNELS] = output.channels;
  fields[OUT_WIDTH] = width;
  fields[OUT_HEIGHT] = height;
  fields[OUT_PIXELS] = memory.pixels;
  fields[OUT_SUMS] = memory.sums;
  fields[OUT_PLANES] = output.planes;
  wasm.jpeg_output(memory.output);
  return codecBytes().slice(memory.pixels, memory.pixels + width * height * output.channels);
}
