/**
 * convlens's JPEG decoder (8-bit Huffman: baseline, extended and progressive), bit-exact to
 * libjpeg-turbo's defaults up to the component planes: it entropy-decodes every scan into
 * coefficient blocks, then runs libjpeg's accurate integer IDCT on the components asked for.
 * Upsampling and colour conversion are in jpeg_color.ts. Plain TypeScript, no Node APIs.
 */

import { ConvlensError } from '../errors.js';
import type { Plane } from './jpeg_color.js';
import { buildHuffmanTable, EntropyDecoder, type HuffmanTable, ZIGZAG } from './jpeg_entropy.js';
import { idctBlock } from './jpeg_idct.js';

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
  coefs: Int16Array;
  predictor: number;
  dcTable?: HuffmanTable;
  acTable?: HuffmanTable;
}

interface Frame {
  progressive: boolean;
  /** MCUs of an interleaved scan (each maxH × maxV blocks of 8×8 samples). */
  mcusWide: number;
  mcusHigh: number;
  components: FrameComponent[];
}

enum ScanKind {
  Baseline,
  DcFirst,
  DcRefine,
  AcFirst,
  AcRefine,
}

const NO_DATA = new Uint8Array(0);

/**
 * One entropy decoder for every file, aimed at each in turn (decoding is synchronous, so no two
 * files share it at once). With a new decoder object per file, V8 threw away and recompiled the
 * optimised scan code on each of a thread's first several JPEGs: about 190 ms of compiling per
 * thread in `convlens extract` against about 80 ms now (measured with node --trace-opt).
 */
const sharedEntropy = new EntropyDecoder('', NO_DATA, 0);

/**
 * Decodes the JPEG in bytes (already checked complete by jpeg_info.ts) to one plane per
 * component, each at the component's own resolution. Only components below `needed` go through
 * the IDCT; the others come back empty (0×0).
 */
export function decodeJpegPlanes(op: string, bytes: Uint8Array, needed: number): Plane[] {
  sharedEntropy.start(op, bytes);
  try {
    return decodeFile(op, bytes, needed, sharedEntropy);
  } finally {
    sharedEntropy.start('', NO_DATA); // not keeping the file's bytes alive
  }
}

function decodeFile(op: string, bytes: Uint8Array, needed: number, entropy: EntropyDecoder): Plane[] {
  const quantTables: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
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
      frame = readFrame(seg, marker === 0xc2);
    } else if (marker === 0xda) {
      if (!frame) throw corrupt(op, 'JPEG image data (SOS) before the frame header (SOF)');
      entropy.reset(at);
      decodeScan(op, frame, seg, quantTables, dcTables, acTables, restartInterval, entropy);
      at = nextMarker(bytes, entropy.pos);
    }
  }
  if (!frame) throw corrupt(op, 'no JPEG frame header (SOF)');
  return frame.components.map((c, i) => (i < needed ? componentPlane(c) : { data: new Uint8Array(0), width: 0, height: 0 }));
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
  dcTables: (HuffmanTable | undefined)[],
  acTables: (HuffmanTable | undefined)[],
): void {
  for (let i = 0; i < seg.length; ) {
    const kind = seg[i] >> 4;
    const index = seg[i] & 15;
    if (kind > 1 || index > 3 || i + 17 > seg.length) throw corrupt(op, 'bad Huffman table (DHT) segment');
    const counts = seg.subarray(i + 1, i + 17);
    let total = 0;
    for (let k = 0; k < 16; k++) total += counts[k];
    if (total > 256 || i + 17 + total > seg.length) throw corrupt(op, `a Huffman table (DHT) declares ${total} codes, more than it holds`);
    const table = buildHuffmanTable(counts, seg.slice(i + 17, i + 17 + total), kind === 0);
    if (typeof table === 'string') throw corrupt(op, `bad Huffman table (DHT): ${table}`);
    (kind === 0 ? dcTables : acTables)[index] = table;
    i += 17 + total;
  }
}

function readFrame(seg: Uint8Array, progressive: boolean): Frame {
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
    const blocksPerLine = mcusWide * h;
    components.push({
      id: seg[6 + 3 * i],
      h,
      v,
      quantIndex: seg[8 + 3 * i],
      width: compWidth,
      height: compHeight,
      blocksWide: Math.ceil(compWidth / 8),
      blocksHigh: Math.ceil(compHeight / 8),
      blocksPerLine,
      coefs: new Int16Array(blocksPerLine * mcusHigh * v * 64),
      predictor: 0,
    });
  }
  return { progressive, mcusWide, mcusHigh, components };
}

function decodeScan(
  op: string,
  frame: Frame,
  seg: Uint8Array,
  quantTables: (Uint16Array | undefined)[],
  dcTables: (HuffmanTable | undefined)[],
  acTables: (HuffmanTable | undefined)[],
  restartInterval: number,
  entropy: EntropyDecoder,
): void {
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

  const scanComponents: FrameComponent[] = [];
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
    component.dcTable = dcTables[tables >> 4];
    component.acTable = acTables[tables & 15];
    if (needsDc && !component.dcTable) throw corrupt(op, `a scan uses DC Huffman table ${tables >> 4}, which is not defined`);
    if (needsAc && !component.acTable) throw corrupt(op, `a scan uses AC Huffman table ${tables & 15}, which is not defined`);
    component.predictor = 0;
    scanComponents.push(component);
  }

  const single = count === 1;
  const mcusWide = single ? scanComponents[0].blocksWide : frame.mcusWide;
  const mcusHigh = single ? scanComponents[0].blocksHigh : frame.mcusHigh;
  const total = mcusWide * mcusHigh;
  for (let mcu = 0; mcu < total; mcu++) {
    if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
      const rst = nextMarker(entropy.data, entropy.pos);
      const marker = entropy.data[rst + 1];
      if (!(marker >= 0xd0 && marker <= 0xd7)) throw corrupt(op, `expected a restart marker (RSTn) at byte ${rst}`);
      entropy.reset(rst + 2);
      for (const c of scanComponents) c.predictor = 0;
    }
    const mcuRow = (mcu / mcusWide) | 0;
    const mcuCol = mcu - mcuRow * mcusWide;
    if (single) {
      const c = scanComponents[0];
      decodeBlock(kind, entropy, c, (mcuRow * c.blocksPerLine + mcuCol) * 64, ss, se, al);
      continue;
    }
    for (const c of scanComponents) {
      for (let y = 0; y < c.v; y++) {
        const row = mcuRow * c.v + y;
        for (let x = 0; x < c.h; x++) decodeBlock(kind, entropy, c, (row * c.blocksPerLine + mcuCol * c.h + x) * 64, ss, se, al);
      }
    }
  }
}

function decodeBlock(kind: ScanKind, entropy: EntropyDecoder, c: FrameComponent, offset: number, ss: number, se: number, al: number): void {
  switch (kind) {
    case ScanKind.Baseline:
      c.predictor = entropy.decodeBaseline(c.coefs, offset, c.dcTable as HuffmanTable, c.acTable as HuffmanTable, c.predictor);
      break;
    case ScanKind.DcFirst:
      c.predictor = entropy.decodeDcFirst(c.coefs, offset, c.dcTable as HuffmanTable, c.predictor, al);
      break;
    case ScanKind.DcRefine:
      entropy.decodeDcRefine(c.coefs, offset, al);
      break;
    case ScanKind.AcFirst:
      entropy.decodeAcFirst(c.coefs, offset, c.acTable as HuffmanTable, ss, se, al);
      break;
    case ScanKind.AcRefine:
      entropy.decodeAcRefine(c.coefs, offset, c.acTable as HuffmanTable, ss, se, al);
      break;
  }
}

/** Offset of the 0xFF starting the next marker at or after pos (past stuffed 0xFF00 and fill bytes). */
function nextMarker(bytes: Uint8Array, pos: number): number {
  for (let i = bytes.indexOf(0xff, pos); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(0xff, i + 1)) {
    const next = bytes[i + 1];
    if (next !== 0 && next !== 0xff) return i;
  }
  return bytes.length;
}

function componentPlane(c: FrameComponent): Plane {
  // A component no scan covered has no quantisation table latched: libjpeg's IDCT then
  // multiplies by zeros, giving mid-grey.
  const quant = c.quant ?? new Uint16Array(64);
  const stride = c.blocksWide * 8;
  const padded = new Uint8Array(stride * c.blocksHigh * 8);
  for (let row = 0; row < c.blocksHigh; row++) {
    for (let col = 0; col < c.blocksWide; col++) {
      idctBlock(c.coefs, (row * c.blocksPerLine + col) * 64, quant, padded, row * 8 * stride + col * 8, stride);
    }
  }
  if (stride === c.width) return { data: padded.subarray(0, c.width * c.height), width: c.width, height: c.height };
  const data = new Uint8Array(c.width * c.height);
  for (let y = 0; y < c.height; y++) data.set(padded.subarray(y * stride, y * stride + c.width), y * c.width);
  return { data, width: c.width, height: c.height };
}
