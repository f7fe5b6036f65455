import { ConvlensError } from '../errors.js';

export interface JpegComponent {
  id: number;
  h: number;
  v: number;
}

/** What convlens reads from a JPEG's markers before decoding it. */
export interface JpegInfo {
  width: number;
  height: number;
  precision: number;
  progressive: boolean;
  components: JpegComponent[];
  jfif: boolean;
  /** The Adobe APP14 transform code, if that marker is present. */
  adobeTransform?: number;
}

const SOF_NAMES: Record<number, string> = {
  195: 'lossless',
  197: 'differential sequential',
  198: 'differential progressive',
  199: 'differential lossless',
  201: 'arithmetic-coded sequential',
  202: 'arithmetic-coded progressive',
  203: 'arithmetic-coded lossless',
  205: 'arithmetic-coded differential sequential',
  206: 'arithmetic-coded differential progressive',
  207: 'arithmetic-coded differential lossless',
};

/** Reads the frame header (SOF): the caller checks the pixel limit with it before decoding. */
export function readJpegHeader(op: string, bytes: Uint8Array): JpegInfo {
  const info = walk(op, bytes, true);
  if (!info) throw new ConvlensError(`${op}: data is truncated or corrupt: no JPEG frame header (SOF) before the image data`);
  return info;
}

/**
 * Walks every marker segment and entropy-coded scan up to the end-of-image marker (EOI), as
 * libjpeg must before TensorFlow accepts a file: data that ends before EOI is truncated.
 */
export function checkJpegComplete(op: string, bytes: Uint8Array): void {
  walk(op, bytes, false);
}

function walk(op: string, bytes: Uint8Array, headerOnly: boolean): JpegInfo | undefined {
  const n = bytes.length;
  let info: JpegInfo | undefined;
  let jfif = false;
  let adobeTransform: number | undefined;
  let scans = 0;
  let at = 2;
  const truncated = (where: string) =>
    new ConvlensError(`${op}: data is truncated or corrupt: it ends at byte ${n} ${where}, before the JPEG end-of-image marker (EOI)`);
  for (;;) {
    if (at >= n) throw truncated(scans > 0 ? 'after the image data' : 'in the JPEG headers');
    if (bytes[at] !== 0xff) {
      throw new ConvlensError(
        `${op}: data is corrupt: expected a JPEG marker at byte ${at}, found 0x${bytes[at].toString(16).padStart(2, '0')}`,
      );
    }
    while (at < n && bytes[at] === 0xff) at++; // fill bytes
    if (at >= n) throw truncated('in the JPEG headers');
    const marker = bytes[at++];
    if (marker === 0xd9) {
      if (scans === 0) throw new ConvlensError(`${op}: data is corrupt: the JPEG ends (EOI) before any image data`);
      return info;
    }
    if (marker === 0xd8) throw new ConvlensError(`${op}: data is corrupt: a second start-of-image marker at byte ${at - 2}`);
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue; // stray RSTn / TEM: no length
    if (at + 2 > n) throw truncated('in a marker segment');
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2)
      throw new ConvlensError(`${op}: data is corrupt: JPEG marker 0x${marker.toString(16)} at byte ${at - 2} has length ${length}`);
    if (at + length > n) throw truncated(`inside a ${length}-byte marker segment`);
    const seg = bytes.subarray(at + 2, at + length);
    if (marker === 0xe0 && seg.length >= 14 && seg[0] === 0x4a && seg[1] === 0x46 && seg[2] === 0x49 && seg[3] === 0x46 && seg[4] === 0) {
      jfif = true;
    } else if (marker === 0xee && seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') {
      adobeTransform = seg[11];
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (info) throw new ConvlensError(`${op}: data is corrupt: more than one JPEG frame header (SOF)`);
      if (SOF_NAMES[marker])
        throw new ConvlensError(
          `${op}: unsupported JPEG: ${SOF_NAMES[marker]} coding (only baseline, extended and progressive Huffman JPEGs are supported)`,
        );
      info = readFrame(op, seg, marker === 0xc2);
    } else if (marker === 0xda) {
      if (!info) throw new ConvlensError(`${op}: data is corrupt: JPEG image data (SOS) before the frame header (SOF)`);
      info.jfif = jfif;
      info.adobeTransform = adobeTransform;
      if (headerOnly) return info;
      scans++;
      at = skipScan(bytes, at + length);
      if (at >= n) throw truncated('inside the image data');
      continue;
    }
    at += length;
  }
}

/** Returns the offset of the 0xFF that starts the marker ending an entropy-coded scan. */
function skipScan(bytes: Uint8Array, at: number): number {
  const n = bytes.length;
  while (at < n) {
    const i = bytes.indexOf(0xff, at);
    if (i < 0 || i + 1 >= n) return n;
    const next = bytes[i + 1];
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at = i + 2;
    else if (next === 0xff) at = i + 1;
    else return i;
  }
  return n;
}

function readFrame(op: string, seg: Uint8Array, progressive: boolean): JpegInfo {
  if (seg.length < 6) throw new ConvlensError(`${op}: data is corrupt: the JPEG frame header (SOF) is too short`);
  const precision = seg[0];
  const height = (seg[1] << 8) | seg[2];
  const width = (seg[3] << 8) | seg[4];
  const count = seg[5];
  if (seg.length < 6 + 3 * count || count === 0)
    throw new ConvlensError(`${op}: data is corrupt: the JPEG frame header (SOF) is too short`);
  if (precision !== 8) throw new ConvlensError(`${op}: unsupported JPEG: ${precision}-bit samples (only 8-bit JPEGs are supported)`);
  if (width === 0 || height === 0) {
    throw new ConvlensError(
      `${op}: unsupported JPEG: the frame header gives size ${height}×${width} (a height set later by a DNL marker is not supported)`,
    );
  }
  const components: JpegComponent[] = [];
  for (let i = 0; i < count; i++) {
    const h = seg[7 + 3 * i] >> 4;
    const v = seg[7 + 3 * i] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4)
      throw new ConvlensError(`${op}: data is corrupt: JPEG component ${i} has sampling factors ${h}×${v} (expected 1 to 4)`);
    components.push({ id: seg[6 + 3 * i], h, v });
  }
  return { width, height, precision, progressive, components, jfif: false };
}
