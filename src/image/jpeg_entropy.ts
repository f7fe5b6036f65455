/**
 * Huffman entropy decoding of JPEG scans (baseline and progressive, as libjpeg-turbo's jdhuff.c
 * and jdphuff.c) into 64-coefficient blocks stored in natural (row-major) order.
 */

import { ConvlensError } from '../errors.js';

/** Zigzag position → natural position, with 16 extra entries of 63 (as libjpeg's
 * jpeg_natural_order) so a corrupt run past the end of a block stays inside it. */
export const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63,
  63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

const LOOKUP_BITS = 9;

/** A Huffman table in libjpeg's derived form (jpeg_make_d_derived_tbl) plus a 9-bit lookup. */
export interface HuffmanTable {
  /** Next 9 bits → (code length << 8) | symbol, or 0 for codes longer than 9 bits. */
  lookup: Uint16Array;
  /** Largest code of each length 1..16 (-1 if none; index 17 catches the end). */
  maxCode: Int32Array;
  /** Index into values of code c of length l is c + valueOffset[l]. */
  valueOffset: Int32Array;
  values: Uint8Array;
}

/** Builds a table from a DHT segment's 16 code counts and its symbols; returns an error text if invalid. */
export function buildHuffmanTable(counts: Uint8Array, values: Uint8Array, isDc: boolean): HuffmanTable | string {
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
  const lookup = new Uint16Array(1 << LOOKUP_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const valueOffset = new Int32Array(18);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= 16; length++, code <<= 1) {
    const count = counts[length - 1];
    valueOffset[length] = index - code;
    for (let i = 0; i < count; i++, code++, index++) {
      if (length <= LOOKUP_BITS) {
        const shift = LOOKUP_BITS - length;
        const entry = (length << 8) | values[index];
        lookup.fill(entry, code << shift, (code + 1) << shift);
      }
    }
    if (count > 0) maxCode[length] = code - 1;
  }
  return { lookup, maxCode, valueOffset, values };
}

/**
 * Reads one entropy-coded segment: a bit buffer of up to 32 bits, filled a byte at a time with
 * 0xFF00 unstuffed; at a marker it feeds zeros, as libjpeg does, and leaves `pos` at the marker.
 */
export class EntropyDecoder {
  data: Uint8Array;
  /** Next byte to read into the buffer. */
  pos: number;
  /** The bit buffer: its low `count` bits are the next unread bits, most significant first. */
  bits = 0;
  count = 0;
  /** Set once the segment's closing marker is reached: from then on zeros are fed. */
  atMarker = false;
  /** Remaining end-of-band run of a progressive AC scan. */
  eobRun = 0;
  op: string;

  constructor(op: string, data: Uint8Array, pos: number) {
    this.op = op;
    this.data = data;
    this.pos = pos;
  }

  /** Aims the decoder at another file (its first segment is set by reset). */
  start(op: string, data: Uint8Array): void {
    this.op = op;
    this.data = data;
    this.reset(0);
  }

  /** Starts a new entropy-coded segment at pos (a scan or a restart interval). */
  reset(pos: number): void {
    this.pos = pos;
    this.bits = 0;
    this.count = 0;
    this.atMarker = false;
    this.eobRun = 0;
  }

  /** Tops the buffer up to more than 24 bits. */
  fill(): void {
    const data = this.data;
    while (this.count <= 24) {
      let byte = 0;
      if (!this.atMarker && this.pos < data.length) {
        byte = data[this.pos];
        if (byte !== 0xff) this.pos++;
        else if (this.pos + 1 < data.length && data[this.pos + 1] === 0) this.pos += 2;
        else {
          this.atMarker = true;
          byte = 0;
        }
      }
      this.bits = (this.bits << 8) | byte;
      this.count += 8;
    }
  }

  decodeHuffman(table: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const entry = table.lookup[(this.bits >>> (this.count - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)];
    if (entry !== 0) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    const maxCode = table.maxCode;
    for (let length = LOOKUP_BITS + 1; length <= 16; length++) {
      const code = (this.bits >>> (this.count - length)) & ((1 << length) - 1);
      if (code <= maxCode[length]) {
        this.count -= length;
        return table.values[code + table.valueOffset[length]];
      }
    }
    throw new ConvlensError(`${this.op}: data is corrupt: bad Huffman code in the image data before byte ${this.pos}`);
  }

  readBits(n: number): number {
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.bits >>> this.count) & ((1 << n) - 1);
  }

  /** An n-bit magnitude category value, sign-extended (JPEG's EXTEND). */
  receiveExtend(n: number): number {
    const v = this.readBits(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  /** Baseline (sequential) block: DC difference then run-length coded AC terms. Returns the new DC predictor. */
  decodeBaseline(coefs: Int16Array, offset: number, dc: HuffmanTable, ac: HuffmanTable, predictor: number): number {
    const size = this.decodeHuffman(dc);
    const value = size === 0 ? predictor : predictor + this.receiveExtend(size);
    coefs[offset] = value;
    for (let k = 1; k < 64; k++) {
      const rs = this.decodeHuffman(ac);
      const s = rs & 15;
      const r = rs >> 4;
      if (s === 0) {
        if (r !== 15) break;
        k += 15;
        continue;
      }
      k += r;
      coefs[offset + ZIGZAG[k]] = this.receiveExtend(s);
    }
    return value;
  }

  /** Progressive DC first scan: the DC term's high bits. Returns the new predictor. */
  decodeDcFirst(coefs: Int16Array, offset: number, dc: HuffmanTable, predictor: number, al: number): number {
    const size = this.decodeHuffman(dc);
    const value = size === 0 ? predictor : predictor + this.receiveExtend(size);
    coefs[offset] = value * (1 << al);
    return value;
  }

  /** Progressive DC refinement: one more bit of the DC term. */
  decodeDcRefine(coefs: Int16Array, offset: number, al: number): void {
    if (this.readBits(1) !== 0) coefs[offset] |= 1 << al;
  }

  /** Progressive AC first scan over zigzag positions ss..se, with end-of-band runs. */
  decodeAcFirst(coefs: Int16Array, offset: number, ac: HuffmanTable, ss: number, se: number, al: number): void {
    if (this.eobRun > 0) {
      this.eobRun--;
      return;
    }
    for (let k = ss; k <= se; k++) {
      const rs = this.decodeHuffman(ac);
      const s = rs & 15;
      const r = rs >> 4;
      if (s === 0) {
        if (r < 15) {
          this.eobRun = (1 << r) - 1 + (r > 0 ? this.readBits(r) : 0);
          break;
        }
        k += 15;
        continue;
      }
      k += r;
      coefs[offset + ZIGZAG[k]] = this.receiveExtend(s) * (1 << al);
    }
  }

  /** Progressive AC refinement (jdphuff.c decode_mcu_AC_refine): correction bits for nonzero
   * terms, new terms of magnitude 1 << al placed after skipping r zero-history terms. */
  decodeAcRefine(coefs: Int16Array, offset: number, ac: HuffmanTable, ss: number, se: number, al: number): void {
    const p1 = 1 << al;
    const m1 = -1 << al;
    let k = ss;
    if (this.eobRun === 0) {
      for (; k <= se; k++) {
        const rs = this.decodeHuffman(ac);
        let r = rs >> 4;
        let s = rs & 15;
        if (s !== 0) {
          s = this.readBits(1) !== 0 ? p1 : m1;
        } else if (r !== 15) {
          this.eobRun = (1 << r) + (r > 0 ? this.readBits(r) : 0);
          break;
        }
        do {
          const at = offset + ZIGZAG[k];
          const coef = coefs[at];
          if (coef !== 0) {
            if (this.readBits(1) !== 0 && (coef & p1) === 0) coefs[at] = coef >= 0 ? coef + p1 : coef + m1;
          } else if (--r < 0) {
            break;
          }
          k++;
        } while (k <= se);
        if (s !== 0) coefs[offset + ZIGZAG[k]] = s;
      }
    }
    if (this.eobRun > 0) {
      for (; k <= se; k++) {
        const at = offset + ZIGZAG[k];
        const coef = coefs[at];
        if (coef !== 0 && this.readBits(1) !== 0 && (coef & p1) === 0) coefs[at] = coef >= 0 ? coef + p1 : coef + m1;
      }
      this.eobRun--;
    }
  }
}
