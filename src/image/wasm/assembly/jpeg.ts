// JPEG pixel loops, bit-exact to libjpeg-turbo with TensorFlow's defaults: Huffman decoding of
// scans (jdhuff.c, jdphuff.c) into coefficient blocks kept in natural (row-major) order, the
// fast and accurate integer IDCTs (jidctfst.c, jidctint.c), fancy upsampling (jdsample.c) and colour conversion
// (jdcolor.c, plus TensorFlow's CMYK → RGB). src/image/jpeg_decoder.ts parses the markers, lays
// out the memory and fills the descriptors read here; errors come back as codes.

// ---- Huffman tables -------------------------------------------------------------------------

const LOOKUP_BITS = 9;

// A Huffman table slot (byte offsets), libjpeg's derived form (jpeg_make_d_derived_tbl) plus a
// 9-bit lookup. JS writes the DHT segment's 16 code counts and its symbols; jpeg_huffman_table
// derives the rest. Keep in step with HUFFMAN_* in jpeg_decoder.ts.
/** u16 × 512: next 9 bits → (code length << 8) | symbol, or 0 for codes longer than 9 bits. */
const LOOKUP = 0;
/** i32 × 18: largest code of each length 1..16 (-1 if none). */
const MAX_CODE = 1024;
/** i32 × 18: the symbol of code c of length l is values[c + valueOffset[l]]. */
const VALUE_OFFSET = 1096;
/** u8 × 256: the symbols. */
const VALUES = 1168;
/** u8 × 16: the number of codes of each length. */
const COUNTS = 1424;

/** Derives the table at `table` from its counts and symbols (checked valid by JS). */
export function jpeg_huffman_table(table: usize): void {
  memory.fill(table + LOOKUP, 0, 2 << LOOKUP_BITS);
  let code: i32 = 0;
  let index: i32 = 0;
  for (let length = 1; length <= 16; length++, code <<= 1) {
    const count = <i32>load<u8>(table + COUNTS + length - 1);
    store<i32>(table + VALUE_OFFSET + (length << 2), index - code);
    for (let i = 0; i < count; i++, code++, index++) {
      if (length <= LOOKUP_BITS) {
        const shift = LOOKUP_BITS - length;
        const entry = <u16>((length << 8) | load<u8>(table + VALUES + index));
        for (let at = code << shift, end = (code + 1) << shift; at < end; at++) store<u16>(table + LOOKUP + (at << 1), entry);
      }
    }
    store<i32>(table + MAX_CODE + (length << 2), count > 0 ? code - 1 : -1);
  }
}

// ---- Bit reader -----------------------------------------------------------------------------

// One entropy-coded segment: a bit buffer of up to 63 bits, with 0xFF00 unstuffed; at a marker it
// feeds zeros, as libjpeg does, and leaves `pos` at the marker. Filled 7 bytes at once where none
// of them is 0xFF (almost everywhere: a 0xFF data byte is rare), else a byte at a time.
let data: usize = 0;
let length: i32 = 0;
/** Next byte to read into the buffer. */
let pos: i32 = 0;
/** The bit buffer: its low `count` bits are the next unread bits, most significant first. */
let bits: u64 = 0;
let count: i32 = 0;
/** Set once the segment's closing marker is reached: from then on zeros are fed. */
let atMarker = false;
/** Remaining end-of-band run of a progressive AC scan. */
let eobRun: i32 = 0;
/** Zigzag position → natural position (80 entries, the last 16 of them 63), written by JS. */
let zigzag: usize = 0;
/** Where the first bad Huffman code was met, or -1. Decoding goes on harmlessly to the block's end. */
let badCodeAt: i32 = -1;

/** Starts a new entropy-coded segment at `at` (a scan or a restart interval). */
function resetReader(at: i32): void {
  pos = at;
  bits = 0;
  count = 0;
  atMarker = false;
  eobRun = 0;
}

/** Tops the buffer up to at least 56 bits. */
function fill(): void {
  if (!atMarker && pos + 8 <= length) {
    const need = (63 - count) >> 3;
    // the next 8 bytes, the first in the top byte; flags a byte's top bit where it may be 0xFF
    // (never missing one: the zero-byte test of ~word, exact up to its lowest zero byte, whose
    // borrow can only flag bytes above it, which are earlier in the data)
    const word = bswap<u64>(load<u64>(data + pos));
    const inverted = ~word;
    const maybeFF = (inverted - 0x0101010101010101) & ~inverted & 0x8080808080808080;
    if ((maybeFF >> (<u64>(8 - need) << 3)) == 0) {
      bits = (bits << (<u64>need << 3)) | (word >> (<u64>(8 - need) << 3));
      pos += need;
      count += need << 3;
      return;
    }
  }
  while (count <= 55) {
    let byte: u64 = 0;
    if (!atMarker && pos < length) {
      byte = load<u8>(data + pos);
      if (byte != 0xff) pos++;
      else if (pos + 1 < length && load<u8>(data + pos + 1) == 0) pos += 2;
      else {
        atMarker = true;
        byte = 0;
      }
    }
    bits = (bits << 8) | byte;
    count += 8;
  }
}

/** The next symbol; a bad code is recorded in badCodeAt and reads as 0 (end of block). */
// @ts-ignore: decorator
@inline
function decodeHuffman(table: usize): i32 {
  if (count < 16) fill();
  const entry = <i32>load<u16>(table + LOOKUP + ((<i32>(bits >> <u64>(count - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)) << 1));
  if (entry == 0) return decodeLongCode(table);
  count -= entry >> 8;
  return entry & 0xff;
}

/** decodeHuffman for codes longer than the lookup's 9 bits (rare: kept out of line). */
function decodeLongCode(table: usize): i32 {
  for (let length = LOOKUP_BITS + 1; length <= 16; length++) {
    const code = <i32>(bits >> <u64>(count - length)) & ((1 << length) - 1);
    if (code <= load<i32>(table + MAX_CODE + (length << 2))) {
      count -= length;
      return load<u8>(table + VALUES + code + load<i32>(table + VALUE_OFFSET + (length << 2)));
    }
  }
  if (badCodeAt < 0) badCodeAt = pos;
  return 0;
}

// @ts-ignore: decorator
@inline
function readBits(n: i32): i32 {
  if (count < n) fill();
  count -= n;
  return <i32>(bits >> <u64>count) & ((1 << n) - 1);
}

// The hot loops (decodeBaseline's AC terms, decodeAcRefine) keep the bit buffer in locals `b`
// and `c` (wasm engines keep locals in registers, globals in memory) and use these two:

/** Tops up the buffer held in locals (b, c) through the globals: returns the new count, `bits` holds the bits. */
function refill(b: u64, c: i32): i32 {
  bits = b;
  count = c;
  fill();
  return count;
}

/**
 * The next symbol of `table` at the top of the buffer (b, c), which must hold at least 16 bits:
 * (code length << 8) | symbol. A bad code reads as symbol 0 of length 0 (see decodeLongCode).
 */
// @ts-ignore: decorator
@inline
function nextSymbol(table: usize, b: u64, c: i32): i32 {
  const entry = <i32>load<u16>(table + LOOKUP + ((<i32>(b >> <u64>(c - LOOKUP_BITS)) & ((1 << LOOKUP_BITS) - 1)) << 1));
  if (entry != 0) return entry;
  bits = b;
  count = c;
  const symbol = decodeLongCode(table);
  return ((c - count) << 8) | symbol;
}

/** An n-bit magnitude category value, sign-extended (JPEG's EXTEND). */
// @ts-ignore: decorator
@inline
function receiveExtend(n: i32): i32 {
  const v = readBits(n);
  return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
}

/** Offset of the 0xFF starting the next marker at or after `at` (past stuffed 0xFF00 and fill bytes), or the length. */
function nextMarker(at: i32): i32 {
  for (let i = at; i + 1 < length; i++) {
    if (load<u8>(data + i) != 0xff) continue;
    const next = load<u8>(data + i + 1);
    if (next != 0 && next != 0xff) return i;
  }
  return length;
}

// ---- Blocks ---------------------------------------------------------------------------------

function natural(k: i32): usize {
  return <usize>load<u8>(zigzag + k) << 1;
}

/** Baseline (sequential) block: DC difference then run-length coded AC terms. Returns the new DC predictor. */
function decodeBaseline(block: usize, dc: usize, ac: usize, predictor: i32): i32 {
  const size = decodeHuffman(dc);
  const value = size == 0 ? predictor : predictor + receiveExtend(size);
  store<i16>(block, <i16>value);
  // The AC terms are most of the work: the buffer in locals, topped up to 56+ bits whenever fewer
  // than 32 are left, enough for the longest code (16 bits) and its value (at most 15).
  let b = bits;
  let c = count;
  for (let k = 1; k < 64; k++) {
    if (c < 32) {
      c = refill(b, c);
      b = bits;
    }
    const symbol = nextSymbol(ac, b, c);
    c -= symbol >> 8;
    const rs = symbol & 0xff;
    const s = rs & 15;
    const r = rs >> 4;
    if (s == 0) {
      if (r != 15) break;
      k += 15;
      continue;
    }
    k += r;
    c -= s;
    const v = <i32>(b >> <u64>c) & ((1 << s) - 1);
    // EXTEND without a branch (libjpeg-turbo's HUFF_EXTEND)
    store<i16>(block + natural(k), <i16>(v + (((v - (1 << (s - 1))) >> 31) & ((-1 << s) + 1))));
  }
  bits = b;
  count = c;
  return value;
}

/** Progressive DC first scan: the DC term's high bits. Returns the new predictor. */
function decodeDcFirst(block: usize, dc: usize, predictor: i32, al: i32): i32 {
  const size = decodeHuffman(dc);
  const value = size == 0 ? predictor : predictor + receiveExtend(size);
  store<i16>(block, <i16>(value << al));
  return value;
}

/** Progressive DC refinement: one more bit of the DC term. */
function decodeDcRefine(block: usize, al: i32): void {
  if (readBits(1) != 0) store<i16>(block, <i16>(<i32>load<i16>(block) | (1 << al)));
}

/** Progressive AC first scan over zigzag positions ss..se, with end-of-band runs. */
function decodeAcFirst(block: usize, ac: usize, ss: i32, se: i32, al: i32): void {
  if (eobRun > 0) {
    eobRun--;
    return;
  }
  for (let k = ss; k <= se; k++) {
    const rs = decodeHuffman(ac);
    const s = rs & 15;
    const r = rs >> 4;
    if (s == 0) {
      if (r < 15) {
        eobRun = (1 << r) - 1 + (r > 0 ? readBits(r) : 0);
        break;
      }
      k += 15;
      continue;
    }
    k += r;
    store<i16>(block + natural(k), <i16>(receiveExtend(s) << al));
  }
}

/**
 * Progressive AC refinement (jdphuff.c decode_mcu_AC_refine): correction bits for nonzero terms,
 * new terms of magnitude 1 << al placed after skipping r zero-history terms. Most of a progressive
 * file's decoding time is spent here, a bit at a time: the bit buffer and the end-of-band run are
 * kept in locals, topped up whenever a read could run short.
 */
function decodeAcRefine(block: usize, ac: usize, ss: i32, se: i32, al: i32): void {
  const p1 = 1 << al;
  const m1 = -1 << al;
  let k = ss;
  let b = bits;
  let c = count;
  let run = eobRun;
  if (run == 0) {
    for (; k <= se; k++) {
      // 32 bits cover a code (16), an end-of-band length (14) or a sign bit
      if (c < 32) {
        c = refill(b, c);
        b = bits;
      }
      const symbol = nextSymbol(ac, b, c);
      c -= symbol >> 8;
      const rs = symbol & 0xff;
      let r = rs >> 4;
      let s = rs & 15;
      if (s != 0) {
        c -= 1;
        s = <i32>(b >> <u64>c) & 1 ? p1 : m1;
      } else if (r != 15) {
        c -= r;
        run = (1 << r) + (<i32>(b >> <u64>c) & ((1 << r) - 1));
        break;
      }
      do {
        const at = block + natural(k);
        const coef = <i32>load<i16>(at);
        if (coef != 0) {
          if (c < 1) {
            c = refill(b, c);
            b = bits;
          }
          c -= 1;
          if (<i32>(b >> <u64>c) & 1 && (coef & p1) == 0) store<i16>(at, <i16>(coef >= 0 ? coef + p1 : coef + m1));
        } else if (--r < 0) {
          break;
        }
        k++;
      } while (k <= se);
      if (s != 0) store<i16>(block + natural(k), <i16>s);
    }
  }
  if (run > 0) {
    for (; k <= se; k++) {
      const at = block + natural(k);
      const coef = <i32>load<i16>(at);
      if (coef == 0) continue;
      if (c < 1) {
        c = refill(b, c);
        b = bits;
      }
      c -= 1;
      if (<i32>(b >> <u64>c) & 1 && (coef & p1) == 0) store<i16>(at, <i16>(coef >= 0 ? coef + p1 : coef + m1));
    }
    run--;
  }
  bits = b;
  count = c;
  eobRun = run;
}

// ---- Scans ----------------------------------------------------------------------------------

// Scan kinds, and the scan descriptor's i32 fields (byte offsets): keep in step with ScanKind and SCAN_* in
// jpeg_decoder.ts.
const BASELINE = 0;
const DC_FIRST = 1;
const DC_REFINE = 2;
const AC_FIRST = 3;
const AC_REFINE = 4;

const SCAN_KIND = 0;
const SCAN_SS = 4;
const SCAN_SE = 8;
const SCAN_AL = 12;
const SCAN_RESTART = 16;
const SCAN_MCUS_WIDE = 20;
const SCAN_MCUS_HIGH = 24;
const SCAN_COUNT = 28;
const SCAN_DATA = 32;
const SCAN_LENGTH = 36;
/** In: where the entropy-coded data starts. Out: the next marker, or the byte an error names. */
const SCAN_POS = 40;
const SCAN_ZIGZAG = 44;
/** Then per scan component (8 i32 each): its coefficients, blocks per stored row, h, v, tables, DC predictor. */
const SCAN_COMPONENTS = 48;
const COMP_COEFS = 0;
const COMP_BLOCKS_PER_LINE = 4;
const COMP_H = 8;
const COMP_V = 12;
const COMP_DC_TABLE = 16;
const COMP_AC_TABLE = 20;
const COMP_PREDICTOR = 24;
const COMP_SIZE = 32;

// jpeg_decode_scan's results besides 0 (done).
const BAD_HUFFMAN_CODE = 1;
const NO_RESTART_MARKER = 2;

/**
 * Entropy-decodes one scan as the descriptor at `scan` says, into the components' coefficients.
 * Returns 0 with the offset of the marker after the scan in SCAN_POS, or BAD_HUFFMAN_CODE /
 * NO_RESTART_MARKER with the byte to report there. Every read is bounded by SCAN_LENGTH, every
 * write lies in the blocks JS laid out for the components.
 */
export function jpeg_decode_scan(scan: usize): i32 {
  const kind = load<i32>(scan + SCAN_KIND);
  const ss = load<i32>(scan + SCAN_SS);
  const se = load<i32>(scan + SCAN_SE);
  const al = load<i32>(scan + SCAN_AL);
  const restart = load<i32>(scan + SCAN_RESTART);
  const mcusWide = load<i32>(scan + SCAN_MCUS_WIDE);
  const total = mcusWide * load<i32>(scan + SCAN_MCUS_HIGH);
  const components = load<i32>(scan + SCAN_COUNT);
  const last = scan + SCAN_COMPONENTS + <usize>components * COMP_SIZE;
  data = load<i32>(scan + SCAN_DATA);
  length = load<i32>(scan + SCAN_LENGTH);
  zigzag = load<i32>(scan + SCAN_ZIGZAG);
  badCodeAt = -1;
  resetReader(load<i32>(scan + SCAN_POS));
  for (let c = scan + SCAN_COMPONENTS; c < last; c += COMP_SIZE) store<i32>(c + COMP_PREDICTOR, 0);

  for (let mcu = 0; mcu < total; mcu++) {
    if (restart > 0 && mcu > 0 && mcu % restart == 0) {
      const rst = nextMarker(pos);
      const marker = rst + 1 < length ? load<u8>(data + rst + 1) : 0;
      if (!(marker >= 0xd0 && marker <= 0xd7)) {
        store<i32>(scan + SCAN_POS, rst);
        return NO_RESTART_MARKER;
      }
      resetReader(rst + 2);
      for (let c = scan + SCAN_COMPONENTS; c < last; c += COMP_SIZE) store<i32>(c + COMP_PREDICTOR, 0);
    }
    const mcuRow = mcu / mcusWide;
    const mcuCol = mcu - mcuRow * mcusWide;
    if (components == 1) {
      const c = scan + SCAN_COMPONENTS;
      decodeBlock(kind, c, mcuRow * load<i32>(c + COMP_BLOCKS_PER_LINE) + mcuCol, ss, se, al);
    } else {
      for (let c = scan + SCAN_COMPONENTS; c < last; c += COMP_SIZE) {
        const h = load<i32>(c + COMP_H);
        const v = load<i32>(c + COMP_V);
        const perLine = load<i32>(c + COMP_BLOCKS_PER_LINE);
        for (let y = 0; y < v; y++) {
          const first = (mcuRow * v + y) * perLine + mcuCol * h;
          for (let x = 0; x < h; x++) decodeBlock(kind, c, first + x, ss, se, al);
        }
      }
    }
    if (badCodeAt >= 0) {
      store<i32>(scan + SCAN_POS, badCodeAt);
      return BAD_HUFFMAN_CODE;
    }
  }
  store<i32>(scan + SCAN_POS, nextMarker(pos));
  return 0;
}

/** Decodes block number `index` of the scan component at `c`. */
function decodeBlock(kind: i32, c: usize, index: i32, ss: i32, se: i32, al: i32): void {
  const block = <usize>load<i32>(c + COMP_COEFS) + (<usize>index << 7);
  const dc = <usize>load<i32>(c + COMP_DC_TABLE);
  const ac = <usize>load<i32>(c + COMP_AC_TABLE);
  switch (kind) {
    case BASELINE:
      store<i32>(c + COMP_PREDICTOR, decodeBaseline(block, dc, ac, load<i32>(c + COMP_PREDICTOR)));
      break;
    case DC_FIRST:
      store<i32>(c + COMP_PREDICTOR, decodeDcFirst(block, dc, load<i32>(c + COMP_PREDICTOR), al));
      break;
    case DC_REFINE:
      decodeDcRefine(block, al);
      break;
    case AC_FIRST:
      decodeAcFirst(block, ac, ss, se, al);
      break;
    case AC_REFINE:
      decodeAcRefine(block, ac, ss, se, al);
      break;
  }
}

// ---- Inverse DCT ----------------------------------------------------------------------------

// libjpeg-turbo's accurate integer inverse DCT (jidctint.c, jpeg_idct_islow), the one
// TensorFlow's decode_jpeg uses with dct_method 'INTEGER_ACCURATE': a separable Loeffler–Ligtenberg–Moschytz IDCT in 13-bit fixed
// point, columns first with 2 extra bits of precision kept between the passes, then rows, then
// libjpeg's range limit. Products and sums are i32 and wrap; they do only for coefficients far
// beyond what 8-bit samples can encode.

const CONST_BITS = 13;
const PASS1_BITS = 2;

// FIX(x) = round(x * 2^13), the values jidctint.c spells out.
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

const PASS1_SHIFT = CONST_BITS - PASS1_BITS;
const PASS1_ROUND = 1 << (PASS1_SHIFT - 1);
const PASS2_SHIFT = CONST_BITS + PASS1_BITS + 3;
const PASS2_ROUND = 1 << (PASS2_SHIFT - 1);
const DC_SHIFT = PASS1_BITS + 3;
const DC_ROUND = 1 << (DC_SHIFT - 1);

/**
 * Runs the IDCT on a component's `blocksWide` × `blocksHigh` blocks (rows of `blocksPerLine`
 * blocks from `coefs`) into the plane at `plane`, rows `blocksWide` × 8 samples apart: the
 * accurate one with `quant` the natural-order u16 quantisation table, or with `fast` the fast one
 * (below) with `quant` its 64 i16 multipliers. `workspace` holds what the passes share.
 */
export function jpeg_idct(
  coefs: usize,
  blocksPerLine: i32,
  blocksWide: i32,
  blocksHigh: i32,
  quant: usize,
  plane: usize,
  workspace: usize,
  fast: bool,
): void {
  const stride = <usize>blocksWide << 3;
  for (let row = 0; row < blocksHigh; row++) {
    for (let col = 0; col < blocksWide; col++) {
      const block = coefs + ((<usize>(row * blocksPerLine + col)) << 7);
      const out = plane + <usize>row * 8 * stride + (<usize>col << 3);
      if (fast) idctFastBlock(block, quant, workspace, out, stride);
      else idctBlock(block, quant, workspace, out, stride);
    }
  }
}

// @ts-ignore: decorator
@inline
function mul(v: v128, c: i32): v128 {
  return i32x4.mul(v, i32x4.splat(c));
}

// @ts-ignore: decorator
@inline
function descale(v: v128, round: i32, shift: i32): v128 {
  return i32x4.shr_s(i32x4.add(v, i32x4.splat(round)), shift);
}

/** Stores the transpose of the 4×4 i32 matrix whose rows are a..d as 4 vectors 32 bytes apart. */
// @ts-ignore: decorator
@inline
function storeTransposed(a: v128, b: v128, c: v128, d: v128, dst: usize): void {
  const t0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
  const t3 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7), 32);
  v128.store(dst, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5), 64);
  v128.store(dst, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7), 96);
}

/** libjpeg's post-IDCT range limit (its table indexed by RANGE_MASK): a descaled value's low 10
 * bits read as -512..511, plus 128, clamped to a sample (still an i32 lane). */
// @ts-ignore: decorator
@inline
function rangeLimit(v: v128): v128 {
  const wrapped = i32x4.shr_s(i32x4.shl(v, 22), 22);
  return i32x4.min_s(i32x4.max_s(i32x4.add(wrapped, i32x4.splat(128)), i32x4.splat(0)), i32x4.splat(255));
}

/**
 * One block: 64 coefficients at `block` (natural order) to 8×8 samples at `out`, rows `stride`
 * apart, four columns (then four rows) at a time in i32x4 lanes: the same i32 arithmetic as
 * jidctint.c's scalar code, lane for lane. The 1-D butterfly is written out in both passes, as in
 * jidctint.c: the passes load and store differently (dequantise and keep 2 extra bits, then
 * descale and range-limit). jidctint.c's shortcuts for columns and rows whose AC terms are all
 * zero are kept (as selects): with extreme coefficients their wrapping differs from the full pass.
 */
function idctBlock(block: usize, quant: usize, ws: usize, out: usize, stride: usize): void {
  // Columns with only a DC term, as i16 lanes of all ones.
  const ac = v128.or(
    v128.or(v128.or(v128.load(block, 16), v128.load(block, 32)), v128.or(v128.load(block, 48), v128.load(block, 64))),
    v128.or(v128.or(v128.load(block, 80), v128.load(block, 96)), v128.load(block, 112)),
  );
  const dcOnly = i16x8.eq(ac, i16x8.splat(0));
  // Pass 1: columns 0..3, then 4..7; ws receives the results transposed (ws[column][row]).
  for (let half: usize = 0; half < 2; half++) {
    const c = block + (half << 3);
    const q = quant + (half << 3);
    const shortcut = half == 0 ? i32x4.extend_low_i16x8_s(dcOnly) : i32x4.extend_high_i16x8_s(dcOnly);
    const in0 = i32x4.mul(v128.load16x4_s(c), v128.load16x4_u(q));
    // Even part.
    let z2 = i32x4.mul(v128.load16x4_s(c, 32), v128.load16x4_u(q, 32));
    let z3 = i32x4.mul(v128.load16x4_s(c, 96), v128.load16x4_u(q, 96));
    let z1 = mul(i32x4.add(z2, z3), FIX_0_541196100);
    let tmp2 = i32x4.sub(z1, mul(z3, FIX_1_847759065));
    let tmp3 = i32x4.add(z1, mul(z2, FIX_0_765366865));
    z3 = i32x4.mul(v128.load16x4_s(c, 64), v128.load16x4_u(q, 64));
    let tmp0 = i32x4.shl(i32x4.add(in0, z3), CONST_BITS);
    let tmp1 = i32x4.shl(i32x4.sub(in0, z3), CONST_BITS);
    const tmp10 = i32x4.add(tmp0, tmp3);
    const tmp13 = i32x4.sub(tmp0, tmp3);
    const tmp11 = i32x4.add(tmp1, tmp2);
    const tmp12 = i32x4.sub(tmp1, tmp2);
    // Odd part.
    tmp0 = i32x4.mul(v128.load16x4_s(c, 112), v128.load16x4_u(q, 112));
    tmp1 = i32x4.mul(v128.load16x4_s(c, 80), v128.load16x4_u(q, 80));
    tmp2 = i32x4.mul(v128.load16x4_s(c, 48), v128.load16x4_u(q, 48));
    tmp3 = i32x4.mul(v128.load16x4_s(c, 16), v128.load16x4_u(q, 16));
    z1 = i32x4.add(tmp0, tmp3);
    z2 = i32x4.add(tmp1, tmp2);
    z3 = i32x4.add(tmp0, tmp2);
    let z4 = i32x4.add(tmp1, tmp3);
    const z5 = mul(i32x4.add(z3, z4), FIX_1_175875602);
    tmp0 = mul(tmp0, FIX_0_298631336);
    tmp1 = mul(tmp1, FIX_2_053119869);
    tmp2 = mul(tmp2, FIX_3_072711026);
    tmp3 = mul(tmp3, FIX_1_501321110);
    z1 = mul(z1, -FIX_0_899976223);
    z2 = mul(z2, -FIX_2_562915447);
    z3 = i32x4.add(mul(z3, -FIX_1_961570560), z5);
    z4 = i32x4.add(mul(z4, -FIX_0_390180644), z5);
    tmp0 = i32x4.add(tmp0, i32x4.add(z1, z3));
    tmp1 = i32x4.add(tmp1, i32x4.add(z2, z4));
    tmp2 = i32x4.add(tmp2, i32x4.add(z2, z3));
    tmp3 = i32x4.add(tmp3, i32x4.add(z1, z4));
    // Only the DC term: the column is constant.
    const dc = i32x4.shl(in0, PASS1_BITS);
    const w = ws + (half << 7);
    storeTransposed(
      v128.bitselect(dc, descale(i32x4.add(tmp10, tmp3), PASS1_ROUND, PASS1_SHIFT), shortcut),
      v128.bitselect(dc, descale(i32x4.add(tmp11, tmp2), PASS1_ROUND, PASS1_SHIFT), shortcut),
      v128.bitselect(dc, descale(i32x4.add(tmp12, tmp1), PASS1_ROUND, PASS1_SHIFT), shortcut),
      v128.bitselect(dc, descale(i32x4.add(tmp13, tmp0), PASS1_ROUND, PASS1_SHIFT), shortcut),
      w,
    );
    storeTransposed(
      v128.bitselect(dc, descale(i32x4.sub(tmp13, tmp0), PASS1_ROUND, PASS1_SHIFT), shortcut),
      v128.bitselect(dc, descale(i32x4.sub(tmp12, tmp1), PASS1_ROUND, PASS1_SHIFT), shortcut),
      v128.bitselect(dc, descale(i32x4.sub(tmp11, tmp2), PASS1_ROUND, PASS1_SHIFT), shortcut),
      v128.bitselect(dc, descale(i32x4.sub(tmp10, tmp3), PASS1_ROUND, PASS1_SHIFT), shortcut),
      w + 16,
    );
  }

  // Pass 2: rows 0..3, then 4..7; the vector in ws at 32 × k holds term k of each row.
  for (let group: usize = 0; group < 2; group++, out += stride << 2) {
    const w = ws + (group << 4);
    const in0 = v128.load(w);
    const in4 = v128.load(w, 128);
    const in1 = v128.load(w, 32);
    const in2 = v128.load(w, 64);
    const in3 = v128.load(w, 96);
    const in5 = v128.load(w, 160);
    const in6 = v128.load(w, 192);
    const in7 = v128.load(w, 224);
    // Rows with only a DC term.
    const ac = v128.or(v128.or(v128.or(in1, in2), v128.or(in3, in4)), v128.or(v128.or(in5, in6), in7));
    const shortcut = i32x4.eq(ac, i32x4.splat(0));
    const dc = descale(in0, DC_ROUND, DC_SHIFT);
    // Even part.
    let z1 = mul(i32x4.add(in2, in6), FIX_0_541196100);
    let tmp2 = i32x4.sub(z1, mul(in6, FIX_1_847759065));
    let tmp3 = i32x4.add(z1, mul(in2, FIX_0_765366865));
    let tmp0 = i32x4.shl(i32x4.add(in0, in4), CONST_BITS);
    let tmp1 = i32x4.shl(i32x4.sub(in0, in4), CONST_BITS);
    const tmp10 = i32x4.add(tmp0, tmp3);
    const tmp13 = i32x4.sub(tmp0, tmp3);
    const tmp11 = i32x4.add(tmp1, tmp2);
    const tmp12 = i32x4.sub(tmp1, tmp2);
    // Odd part.
    z1 = i32x4.add(in7, in1);
    let z2 = i32x4.add(in5, in3);
    let z3 = i32x4.add(in7, in3);
    let z4 = i32x4.add(in5, in1);
    const z5 = mul(i32x4.add(z3, z4), FIX_1_175875602);
    tmp0 = mul(in7, FIX_0_298631336);
    tmp1 = mul(in5, FIX_2_053119869);
    tmp2 = mul(in3, FIX_3_072711026);
    tmp3 = mul(in1, FIX_1_501321110);
    z1 = mul(z1, -FIX_0_899976223);
    z2 = mul(z2, -FIX_2_562915447);
    z3 = i32x4.add(mul(z3, -FIX_1_961570560), z5);
    z4 = i32x4.add(mul(z4, -FIX_0_390180644), z5);
    tmp0 = i32x4.add(tmp0, i32x4.add(z1, z3));
    tmp1 = i32x4.add(tmp1, i32x4.add(z2, z4));
    tmp2 = i32x4.add(tmp2, i32x4.add(z2, z3));
    tmp3 = i32x4.add(tmp3, i32x4.add(z1, z4));
    // Column k of the four rows, range-limited, then packed to bytes and regrouped into rows.
    const s0 = rangeLimit(v128.bitselect(dc, descale(i32x4.add(tmp10, tmp3), PASS2_ROUND, PASS2_SHIFT), shortcut));
    const s7 = rangeLimit(v128.bitselect(dc, descale(i32x4.sub(tmp10, tmp3), PASS2_ROUND, PASS2_SHIFT), shortcut));
    const s1 = rangeLimit(v128.bitselect(dc, descale(i32x4.add(tmp11, tmp2), PASS2_ROUND, PASS2_SHIFT), shortcut));
    const s6 = rangeLimit(v128.bitselect(dc, descale(i32x4.sub(tmp11, tmp2), PASS2_ROUND, PASS2_SHIFT), shortcut));
    const s2 = rangeLimit(v128.bitselect(dc, descale(i32x4.add(tmp12, tmp1), PASS2_ROUND, PASS2_SHIFT), shortcut));
    const s5 = rangeLimit(v128.bitselect(dc, descale(i32x4.sub(tmp12, tmp1), PASS2_ROUND, PASS2_SHIFT), shortcut));
    const s3 = rangeLimit(v128.bitselect(dc, descale(i32x4.add(tmp13, tmp0), PASS2_ROUND, PASS2_SHIFT), shortcut));
    const s4 = rangeLimit(v128.bitselect(dc, descale(i32x4.sub(tmp13, tmp0), PASS2_ROUND, PASS2_SHIFT), shortcut));
    storeRows(s0, s1, s2, s3, s4, s5, s6, s7, out, stride);
  }
}

/** Columns 0..7 of four rows (samples in i32 lanes) packed to bytes and stored as four rows of 8. */
// @ts-ignore: decorator
@inline
function storeRows(s0: v128, s1: v128, s2: v128, s3: v128, s4: v128, s5: v128, s6: v128, s7: v128, out: usize, stride: usize): void {
  const low = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(s0, s1), i16x8.narrow_i32x4_s(s2, s3));
  const high = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(s4, s5), i16x8.narrow_i32x4_s(s6, s7));
  const rows01 = i8x16.shuffle(low, high, 0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
  const rows23 = i8x16.shuffle(low, high, 2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
  v128.store64_lane(out, rows01, 0);
  v128.store64_lane(out + stride, rows01, 1);
  v128.store64_lane(out + 2 * stride, rows23, 0);
  v128.store64_lane(out + 3 * stride, rows23, 1);
}

// ---- Fast inverse DCT ----------------------------------------------------------------------

// libjpeg-turbo's fast integer inverse DCT, what TensorFlow's decode_jpeg uses by default
// ("The TensorFlow-chosen default for jpeg decoding is IFAST", its dct_method '' or
// 'INTEGER_FAST') and decode_image always: Arai, Agui and Nakajima's IDCT with 8-bit constants and
// products truncated, the AAN scale folded into the dequantisation multipliers (see
// jpeg_decoder.ts). This is the arithmetic of libjpeg-turbo's SSE2 code (jidctfst-sse2.asm), the
// one TensorFlow runs on x86-64: every value is a 16-bit lane that wraps, a product is the high
// half of a 16 × 16-bit multiply of the value times 4 by the constant times 64 (pmulhw), there are
// no shortcuts for zero coefficients, and a sample is the descaled sum saturated to a signed byte
// plus 128. It differs from the C code (jidctfst.c) only where values overflow 16 bits, with
// quantisation steps large enough to saturate: low qualities and strong colours.

/** The constants as pmulhw takes them: FIX(x) × 64 (with the value × 4, a product is (v × FIX(x)) >> 8). */
const IFAST_1_414: i16 = 362 << 6;
const IFAST_1_847: i16 = 473 << 6;
const IFAST_M1_613: i16 = -(669 - 256) << 6;
const IFAST_1_082: i16 = 277 << 6;
/** Pass 2 descales by 8 (the 2-D IDCT's scale) and the 2 bits the multipliers carry. */
const IFAST_SHIFT = 5;

/** pmulhw: the high 16 bits of each lane's signed 16 × 16-bit product. */
// @ts-ignore: decorator
@inline
function mulhi(a: v128, c: i16): v128 {
  const b = i16x8.splat(c);
  const low = i32x4.shr_s(i32x4.extmul_low_i16x8_s(a, b), 16);
  const high = i32x4.shr_s(i32x4.extmul_high_i16x8_s(a, b), 16);
  return i16x8.narrow_i32x4_s(low, high);
}

/** `v` × 4 in 16-bit lanes (psllw 2, which wraps), times a constant above, high half. */
// @ts-ignore: decorator
@inline
function fastMul(v: v128, c: i16): v128 {
  return mulhi(i16x8.shl(v, 2), c);
}

/**
 * The 1-D AAN IDCT of eight vectors of i16 lanes at `io` (16 bytes apart), in place: lane j of
 * vector k is input k of the j-th transform; the outputs replace them in order 0..7.
 */
function fastIdct8(io: usize): void {
  const x0 = v128.load(io);
  const x1 = v128.load(io, 16);
  const x2 = v128.load(io, 32);
  const x3 = v128.load(io, 48);
  const x4 = v128.load(io, 64);
  const x5 = v128.load(io, 80);
  const x6 = v128.load(io, 96);
  const x7 = v128.load(io, 112);
  // Even part.
  const tmp10 = i16x8.add(x0, x4);
  const tmp11 = i16x8.sub(x0, x4);
  const tmp13 = i16x8.add(x2, x6);
  const tmp12 = i16x8.sub(fastMul(i16x8.sub(x2, x6), IFAST_1_414), tmp13);
  const tmp0 = i16x8.add(tmp10, tmp13);
  const tmp3 = i16x8.sub(tmp10, tmp13);
  const tmp1 = i16x8.add(tmp11, tmp12);
  const tmp2 = i16x8.sub(tmp11, tmp12);
  // Odd part; -2.613 × z10 as -1.613 × z10 - z10, as the SSE2 code does to stay in range.
  const z13 = i16x8.add(x5, x3);
  const z10 = i16x8.sub(x5, x3);
  const z11 = i16x8.add(x1, x7);
  const z12 = i16x8.sub(x1, x7);
  const tmp7 = i16x8.add(z11, z13);
  const tmp11o = fastMul(i16x8.sub(z11, z13), IFAST_1_414);
  const z5 = mulhi(i16x8.add(i16x8.shl(z10, 2), i16x8.shl(z12, 2)), IFAST_1_847);
  const tmp10o = i16x8.sub(fastMul(z12, IFAST_1_082), z5);
  const tmp12o = i16x8.add(i16x8.sub(fastMul(z10, IFAST_M1_613), z10), z5);
  const tmp6 = i16x8.sub(tmp12o, tmp7);
  const tmp5 = i16x8.sub(tmp11o, tmp6);
  const tmp4 = i16x8.add(tmp10o, tmp5);
  v128.store(io, i16x8.add(tmp0, tmp7));
  v128.store(io, i16x8.add(tmp1, tmp6), 16);
  v128.store(io, i16x8.add(tmp2, tmp5), 32);
  v128.store(io, i16x8.sub(tmp3, tmp4), 48);
  v128.store(io, i16x8.add(tmp3, tmp4), 64);
  v128.store(io, i16x8.sub(tmp2, tmp5), 80);
  v128.store(io, i16x8.sub(tmp1, tmp6), 96);
  v128.store(io, i16x8.sub(tmp0, tmp7), 112);
}

/** Transposes the 8 × 8 i16 matrix at `m` (rows 16 bytes apart) in place. */
function transpose16(m: usize): void {
  const r0 = v128.load(m);
  const r1 = v128.load(m, 16);
  const r2 = v128.load(m, 32);
  const r3 = v128.load(m, 48);
  const r4 = v128.load(m, 64);
  const r5 = v128.load(m, 80);
  const r6 = v128.load(m, 96);
  const r7 = v128.load(m, 112);
  // pairs of rows interleaved, then pairs of pairs, then halves: as the SSE2 code's unpacks
  const a0 = v128.shuffle<i16>(r0, r1, 0, 8, 1, 9, 2, 10, 3, 11);
  const a1 = v128.shuffle<i16>(r0, r1, 4, 12, 5, 13, 6, 14, 7, 15);
  const a2 = v128.shuffle<i16>(r2, r3, 0, 8, 1, 9, 2, 10, 3, 11);
  const a3 = v128.shuffle<i16>(r2, r3, 4, 12, 5, 13, 6, 14, 7, 15);
  const a4 = v128.shuffle<i16>(r4, r5, 0, 8, 1, 9, 2, 10, 3, 11);
  const a5 = v128.shuffle<i16>(r4, r5, 4, 12, 5, 13, 6, 14, 7, 15);
  const a6 = v128.shuffle<i16>(r6, r7, 0, 8, 1, 9, 2, 10, 3, 11);
  const a7 = v128.shuffle<i16>(r6, r7, 4, 12, 5, 13, 6, 14, 7, 15);
  const b0 = v128.shuffle<i32>(a0, a2, 0, 4, 1, 5);
  const b1 = v128.shuffle<i32>(a0, a2, 2, 6, 3, 7);
  const b2 = v128.shuffle<i32>(a1, a3, 0, 4, 1, 5);
  const b3 = v128.shuffle<i32>(a1, a3, 2, 6, 3, 7);
  const b4 = v128.shuffle<i32>(a4, a6, 0, 4, 1, 5);
  const b5 = v128.shuffle<i32>(a4, a6, 2, 6, 3, 7);
  const b6 = v128.shuffle<i32>(a5, a7, 0, 4, 1, 5);
  const b7 = v128.shuffle<i32>(a5, a7, 2, 6, 3, 7);
  v128.store(m, v128.shuffle<i64>(b0, b4, 0, 2));
  v128.store(m, v128.shuffle<i64>(b0, b4, 1, 3), 16);
  v128.store(m, v128.shuffle<i64>(b1, b5, 0, 2), 32);
  v128.store(m, v128.shuffle<i64>(b1, b5, 1, 3), 48);
  v128.store(m, v128.shuffle<i64>(b2, b6, 0, 2), 64);
  v128.store(m, v128.shuffle<i64>(b2, b6, 1, 3), 80);
  v128.store(m, v128.shuffle<i64>(b3, b7, 0, 2), 96);
  v128.store(m, v128.shuffle<i64>(b3, b7, 1, 3), 112);
}

/**
 * One block, fast method: the coefficient rows times the multiplier rows (pmullw: the low 16
 * bits), the columns' IDCT eight at a time, a transpose, the rows' IDCT, a transpose back; then
 * each sample is its value >> 5 saturated to a signed byte, plus 128 (packsswb, paddb).
 */
function idctFastBlock(block: usize, mult: usize, ws: usize, out: usize, stride: usize): void {
  for (let k: usize = 0; k < 128; k += 16) v128.store(ws + k, i16x8.mul(v128.load(block + k), v128.load(mult + k)));
  fastIdct8(ws);
  transpose16(ws);
  fastIdct8(ws);
  transpose16(ws);
  const center = i8x16.splat(-128);
  for (let row: usize = 0; row < 8; row += 2, out += stride << 1) {
    const pair = i8x16.narrow_i16x8_s(i16x8.shr_s(v128.load(ws + (row << 4)), IFAST_SHIFT), i16x8.shr_s(v128.load(ws + (row << 4), 16), IFAST_SHIFT));
    const samples = i8x16.sub(pair, center);
    v128.store64_lane(out, samples, 0);
    v128.store64_lane(out + stride, samples, 1);
  }
}

// ---- Upsampling and colour conversion -------------------------------------------------------

// What the output's pixels are made of: keep in step with OutputMode in jpeg_decoder.ts.
/** One plane (gray or luma) into every colour channel. */
const GRAY = 0;
/** RGB planes to gray (jdcolor.c rgb_gray_convert). */
const RGB_TO_GRAY = 1;
const YCC = 2;
const RGB = 3;
const CMYK = 4;
const YCCK = 5;

// The output descriptor's i32 fields (byte offsets): keep in step with OUT_* in jpeg_decoder.ts.
const OUT_MODE = 0;
const OUT_CHANNELS = 4;
const OUT_WIDTH = 8;
const OUT_HEIGHT = 12;
const OUT_PIXELS = 16;
/** u16 × (widest plane's width): column sums of the 2×2 filter. */
const OUT_SUMS = 20;
const OUT_PLANES = 24;
/** Then per plane (8 i32 each): samples, stride, width, height, upsampling factors, a row buffer. */
const OUT_PLANE_LIST = 28;
const PLANE_SAMPLES = 0;
const PLANE_STRIDE = 4;
const PLANE_WIDTH = 8;
const PLANE_HEIGHT = 12;
const PLANE_RX = 16;
const PLANE_RY = 20;
const PLANE_ROW = 24;
const PLANE_SIZE = 32;

/**
 * Upsamples the component planes and converts them, a row at a time, into the interleaved
 * pixels the descriptor at `out` asks for (1, 3 or 4 channels; alpha is 255).
 */
export function jpeg_output(out: usize): void {
  const mode = load<i32>(out + OUT_MODE);
  const channels = <usize>load<i32>(out + OUT_CHANNELS);
  const width = load<i32>(out + OUT_WIDTH);
  const height = load<i32>(out + OUT_HEIGHT);
  const sums = <usize>load<i32>(out + OUT_SUMS);
  const planes = load<i32>(out + OUT_PLANES);
  const list = out + OUT_PLANE_LIST;
  const rowBytes = <usize>width * channels;
  let dst = <usize>load<i32>(out + OUT_PIXELS);
  for (let y = 0; y < height; y++, dst += rowBytes) {
    const p0 = upsampleRow(list, y, width, sums);
    const p1 = planes > 1 ? upsampleRow(list + PLANE_SIZE, y, width, sums) : 0;
    const p2 = planes > 2 ? upsampleRow(list + 2 * PLANE_SIZE, y, width, sums) : 0;
    const p3 = planes > 3 ? upsampleRow(list + 3 * PLANE_SIZE, y, width, sums) : 0;
    switch (mode) {
      case GRAY:
        grayRow(p0, dst, width, channels);
        break;
      case RGB_TO_GRAY:
        rgbToGrayRow(p0, p1, p2, dst, width);
        break;
      case YCC:
        yccRow(p0, p1, p2, dst, width, channels);
        break;
      case RGB:
        rgbRow(p0, p1, p2, dst, width, channels);
        break;
      case CMYK:
      case YCCK:
        cmykRow(p0, p1, p2, p3, mode == YCCK, dst, width, channels);
        break;
    }
  }
}

/**
 * Row `y` of the plane at `p` upsampled by its integer factors (rx, ry) as libjpeg-turbo does:
 * triangle ("fancy") filters for 2×1, 1×2 and 2×2 (2×1 and 2×2 only when the plane is more than
 * 2 samples wide), sample replication otherwise. Returns where the row's `width` samples are:
 * in the plane itself at full resolution, else in the plane's row buffer.
 */
function upsampleRow(p: usize, y: i32, width: i32, sums: usize): usize {
  const samples = <usize>load<i32>(p + PLANE_SAMPLES);
  const stride = <usize>load<i32>(p + PLANE_STRIDE);
  const pw = load<i32>(p + PLANE_WIDTH);
  const ph = load<i32>(p + PLANE_HEIGHT);
  const rx = load<i32>(p + PLANE_RX);
  const ry = load<i32>(p + PLANE_RY);
  const row = <usize>load<i32>(p + PLANE_ROW);
  if (rx == 1 && ry == 1) return samples + <usize>y * stride;
  const fancyH = rx == 2 && pw > 2;
  // The other source row a vertical triangle filter blends in: the one above for even output
  // rows, below for odd ones, repeating the edge rows (libjpeg's context rows).
  const near = samples + <usize>(y >> 1) * stride;
  const far = samples + <usize>min(max(y & 1 ? (y >> 1) + 1 : (y >> 1) - 1, 0), ph - 1) * stride;
  if (rx == 2 && ry == 1 && fancyH) {
    h2v1Row(samples + <usize>y * stride, row, pw);
  } else if (rx == 1 && ry == 2) {
    const bias: u32 = y & 1 ? 2 : 1;
    for (let x: usize = 0; x < <usize>width; x++) {
      store<u8>(row + x, (3 * <u32>load<u8>(near + x) + <u32>load<u8>(far + x) + bias) >> 2);
    }
  } else if (rx == 2 && ry == 2 && fancyH) {
    columnSums(near, far, sums, <usize>pw);
    h2v2Row(sums, row, pw);
  } else {
    const src = samples + <usize>(y / ry) * stride;
    for (let x = 0; x < width; x++) store<u8>(row + <usize>x, load<u8>(src + <usize>(x / rx)));
  }
  return row;
}

/** jdsample.c h2v1_fancy_upsample: 3/4 nearer + 1/4 further, alternating rounding; 8 samples at a time in SIMD. */
function h2v1Row(input: usize, out: usize, n: i32): void {
  const first = <u32>load<u8>(input);
  store<u8>(out, first);
  store<u8>(out + 1, (first * 3 + <u32>load<u8>(input + 1) + 2) >> 2);
  let i: usize = 1;
  for (; i + 9 <= <usize>n; i += 8) {
    const left = v128.load64_zero(input + i - 1);
    const v = i16x8.mul(i16x8.extend_low_i8x16_u(v128.load64_zero(input + i)), i16x8.splat(3));
    const even = i16x8.shr_u(i16x8.add(i16x8.add(v, i16x8.extend_low_i8x16_u(left)), i16x8.splat(1)), 2);
    const odd = i16x8.shr_u(i16x8.add(i16x8.add(v, i16x8.extend_low_i8x16_u(v128.load64_zero(input + i + 1))), i16x8.splat(2)), 2);
    v128.store(out + 2 * i, interleaveBytes(even, odd));
  }
  for (; i < <usize>(n - 1); i++) {
    const v = <u32>load<u8>(input + i) * 3;
    store<u8>(out + 2 * i, (v + <u32>load<u8>(input + i - 1) + 1) >> 2);
    store<u8>(out + 2 * i + 1, (v + <u32>load<u8>(input + i + 1) + 2) >> 2);
  }
  const last = <usize>(n - 1);
  store<u8>(out + 2 * last, (<u32>load<u8>(input + last) * 3 + <u32>load<u8>(input + last - 1) + 1) >> 2);
  store<u8>(out + 2 * last + 1, load<u8>(input + last));
}

/** The 8 16-bit lanes of `even` and of `odd` (each below 256) as 16 bytes e0 o0 e1 o1 …. */
// @ts-ignore: decorator
@inline
function interleaveBytes(even: v128, odd: v128): v128 {
  return i8x16.shuffle(even, odd, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
}

/** 3 × the nearer row + the further one, per column, as u16 (at most 1020), 8 columns at a time. */
function columnSums(near: usize, far: usize, sums: usize, n: usize): void {
  let x: usize = 0;
  for (; x + 8 <= n; x += 8) {
    const a = i16x8.extend_low_i8x16_u(v128.load64_zero(near + x));
    const b = i16x8.extend_low_i8x16_u(v128.load64_zero(far + x));
    v128.store(sums + (x << 1), i16x8.add(i16x8.mul(a, i16x8.splat(3)), b));
  }
  for (; x < n; x++) store<u16>(sums + (x << 1), 3 * <u32>load<u8>(near + x) + <u32>load<u8>(far + x));
}

/** jdsample.c h2v2_fancy_upsample on column sums (u16, see columnSums), 8 at a time in SIMD. */
function h2v2Row(sums: usize, out: usize, n: i32): void {
  const first = <u32>load<u16>(sums);
  store<u8>(out, (first * 4 + 8) >> 4);
  store<u8>(out + 1, (first * 3 + <u32>load<u16>(sums + 2) + 7) >> 4);
  let i: usize = 1;
  for (; i + 9 <= <usize>n; i += 8) {
    const v = i16x8.mul(v128.load(sums + (i << 1)), i16x8.splat(3));
    const even = i16x8.shr_u(i16x8.add(i16x8.add(v, v128.load(sums + (i << 1) - 2)), i16x8.splat(8)), 4);
    const odd = i16x8.shr_u(i16x8.add(i16x8.add(v, v128.load(sums + (i << 1) + 2)), i16x8.splat(7)), 4);
    v128.store(out + 2 * i, interleaveBytes(even, odd));
  }
  for (; i < <usize>(n - 1); i++) {
    const v = <u32>load<u16>(sums + (i << 1)) * 3;
    store<u8>(out + 2 * i, (v + <u32>load<u16>(sums + ((i - 1) << 1)) + 8) >> 4);
    store<u8>(out + 2 * i + 1, (v + <u32>load<u16>(sums + ((i + 1) << 1)) + 7) >> 4);
  }
  const last = <usize>(n - 1);
  const v = <u32>load<u16>(sums + (last << 1));
  store<u8>(out + 2 * last, (v * 3 + <u32>load<u16>(sums + ((last - 1) << 1)) + 8) >> 4);
  store<u8>(out + 2 * last + 1, (v * 4 + 7) >> 4);
}

// jdcolor.c's 16-bit fixed point: FIX(x) = round(x * 2^16).
const ONE_HALF = 1 << 15;
const FIX_1_40200 = 91881;
const FIX_1_77200 = 116130;
const FIX_0_71414 = 46802;
const FIX_0_34414 = 22554;
const FIX_0_29900 = 19595;
const FIX_0_58700 = 38470;
const FIX_0_11400 = 7471;

// @ts-ignore: decorator
@inline
function clamp(v: i32): u8 {
  return <u8>min(255, max(0, v));
}

function grayRow(src: usize, dst: usize, width: i32, channels: usize): void {
  if (channels == 1) {
    memory.copy(dst, src, <usize>width);
    return;
  }
  for (let x: usize = 0; x < <usize>width; x++, dst += channels) {
    const v = load<u8>(src + x);
    store<u8>(dst, v);
    store<u8>(dst, v, 1);
    store<u8>(dst, v, 2);
    if (channels == 4) store<u8>(dst, 255, 3);
  }
}

/** jdcolor.c rgb_gray_convert: (0.299 R + 0.587 G + 0.114 B) in 16-bit fixed point, rounded. */
function rgbToGrayRow(r: usize, g: usize, b: usize, dst: usize, width: i32): void {
  for (let x: usize = 0; x < <usize>width; x++) {
    const sum = FIX_0_29900 * <i32>load<u8>(r + x) + FIX_0_58700 * <i32>load<u8>(g + x) + FIX_0_11400 * <i32>load<u8>(b + x);
    store<u8>(dst + x, <u8>((sum + ONE_HALF) >> 16));
  }
}

/** jdcolor.c ycc_rgb_convert (its build_ycc_rgb_table terms computed in place). */
/** 16 pixels' red, green and blue bytes interleaved as RGB at `dst` (48 bytes). */
// @ts-ignore: decorator
@inline
function storeRgb16(dst: usize, r: v128, g: v128, b: v128): void {
  // each output vector takes red and green by one shuffle, then blue by a second
  const rg0 = i8x16.shuffle(r, g, 0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5);
  v128.store(dst, i8x16.shuffle(rg0, b, 0, 1, 16, 3, 4, 17, 6, 7, 18, 9, 10, 19, 12, 13, 20, 15));
  const rg1 = i8x16.shuffle(r, g, 21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26);
  v128.store(dst, i8x16.shuffle(rg1, b, 0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15), 16);
  const rg2 = i8x16.shuffle(r, g, 0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0);
  v128.store(dst, i8x16.shuffle(rg2, b, 26, 1, 2, 27, 4, 5, 28, 7, 8, 29, 10, 11, 30, 13, 14, 31), 32);
}

/** 16 pixels interleaved as RGBA with opaque alpha at `dst` (64 bytes). */
// @ts-ignore: decorator
@inline
function storeRgba16(dst: usize, r: v128, g: v128, b: v128): void {
  const a = i8x16.splat(-1);
  const rgLow = i8x16.shuffle(r, g, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const rgHigh = i8x16.shuffle(r, g, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const baLow = i8x16.shuffle(b, a, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const baHigh = i8x16.shuffle(b, a, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  v128.store(dst, i16x8.shuffle(rgLow, baLow, 0, 8, 1, 9, 2, 10, 3, 11));
  v128.store(dst, i16x8.shuffle(rgLow, baLow, 4, 12, 5, 13, 6, 14, 7, 15), 16);
  v128.store(dst, i16x8.shuffle(rgHigh, baHigh, 0, 8, 1, 9, 2, 10, 3, 11), 32);
  v128.store(dst, i16x8.shuffle(rgHigh, baHigh, 4, 12, 5, 13, 6, 14, 7, 15), 48);
}

/** One colour of 4 pixels: luma + ((products of cb and cr) + ONE_HALF) >> 16, in i32 lanes. */
// @ts-ignore: decorator
@inline
function yccTerm(luma: v128, blue: v128, red: v128, kBlue: i32, kRed: i32): v128 {
  const sum = i32x4.add(i32x4.add(i32x4.mul(blue, i32x4.splat(kBlue)), i32x4.mul(red, i32x4.splat(kRed))), i32x4.splat(ONE_HALF));
  return i32x4.add(luma, i32x4.shr_s(sum, 16));
}

/**
 * One colour of 16 pixels, as bytes: the i32 lanes' values lie in −227..482, so the saturating
 * narrowings clamp them to 0..255 as `clamp` does.
 */
// @ts-ignore: decorator
@inline
function yccColor(y: v128, cb: v128, cr: v128, kBlue: i32, kRed: i32): v128 {
  const y0 = i16x8.extend_low_i8x16_u(y);
  const y1 = i16x8.extend_high_i8x16_u(y);
  const b0 = i16x8.sub(i16x8.extend_low_i8x16_u(cb), i16x8.splat(128));
  const b1 = i16x8.sub(i16x8.extend_high_i8x16_u(cb), i16x8.splat(128));
  const r0 = i16x8.sub(i16x8.extend_low_i8x16_u(cr), i16x8.splat(128));
  const r1 = i16x8.sub(i16x8.extend_high_i8x16_u(cr), i16x8.splat(128));
  const q0 = yccTerm(i32x4.extend_low_i16x8_s(y0), i32x4.extend_low_i16x8_s(b0), i32x4.extend_low_i16x8_s(r0), kBlue, kRed);
  const q1 = yccTerm(i32x4.extend_high_i16x8_s(y0), i32x4.extend_high_i16x8_s(b0), i32x4.extend_high_i16x8_s(r0), kBlue, kRed);
  const q2 = yccTerm(i32x4.extend_low_i16x8_s(y1), i32x4.extend_low_i16x8_s(b1), i32x4.extend_low_i16x8_s(r1), kBlue, kRed);
  const q3 = yccTerm(i32x4.extend_high_i16x8_s(y1), i32x4.extend_high_i16x8_s(b1), i32x4.extend_high_i16x8_s(r1), kBlue, kRed);
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
}

/** jdcolor.c ycc_rgb_convert: 16 pixels at a time in SIMD (same integer arithmetic), the rest one by one. */
function yccRow(y: usize, cb: usize, cr: usize, dst: usize, width: i32, channels: usize): void {
  const n = <usize>width;
  let x: usize = 0;
  for (; x + 16 <= n; x += 16, dst += channels << 4) {
    const vy = v128.load(y + x);
    const vb = v128.load(cb + x);
    const vr = v128.load(cr + x);
    const red = yccColor(vy, vb, vr, 0, FIX_1_40200);
    const green = yccColor(vy, vb, vr, -FIX_0_34414, -FIX_0_71414);
    const blue = yccColor(vy, vb, vr, FIX_1_77200, 0);
    if (channels == 4) storeRgba16(dst, red, green, blue);
    else storeRgb16(dst, red, green, blue);
  }
  for (; x < n; x++, dst += channels) {
    const luma = <i32>load<u8>(y + x);
    const blue = <i32>load<u8>(cb + x) - 128;
    const red = <i32>load<u8>(cr + x) - 128;
    store<u8>(dst, clamp(luma + ((FIX_1_40200 * red + ONE_HALF) >> 16)));
    store<u8>(dst, clamp(luma + ((-FIX_0_34414 * blue - FIX_0_71414 * red + ONE_HALF) >> 16)), 1);
    store<u8>(dst, clamp(luma + ((FIX_1_77200 * blue + ONE_HALF) >> 16)), 2);
    if (channels == 4) store<u8>(dst, 255, 3);
  }
}

function rgbRow(r: usize, g: usize, b: usize, dst: usize, width: i32, channels: usize): void {
  for (let x: usize = 0; x < <usize>width; x++, dst += channels) {
    store<u8>(dst, load<u8>(r + x));
    store<u8>(dst, load<u8>(g + x), 1);
    store<u8>(dst, load<u8>(b + x), 2);
    if (channels == 4) store<u8>(dst, 255, 3);
  }
}

/**
 * TensorFlow's CMYK → RGB (jpeg_mem.cc) for Adobe CMYK, which stores inverted inks:
 * R = K·C / 255 and so on, truncated. For YCCK the first three planes are first converted as
 * jdcolor.c ycck_cmyk_convert does: YCbCr → RGB as in ycc_rgb_convert, inverted to CMY.
 */
function cmykRow(c: usize, m: usize, y: usize, k: usize, ycck: bool, dst: usize, width: i32, channels: usize): void {
  for (let x: usize = 0; x < <usize>width; x++, dst += channels) {
    let cyan = <u32>load<u8>(c + x);
    let magenta = <u32>load<u8>(m + x);
    let yellow = <u32>load<u8>(y + x);
    if (ycck) {
      const luma = <i32>cyan;
      const blue = <i32>magenta - 128;
      const red = <i32>yellow - 128;
      cyan = 255 - <u32>clamp(luma + ((FIX_1_40200 * red + ONE_HALF) >> 16));
      magenta = 255 - <u32>clamp(luma + ((-FIX_0_34414 * blue - FIX_0_71414 * red + ONE_HALF) >> 16));
      yellow = 255 - <u32>clamp(luma + ((FIX_1_77200 * blue + ONE_HALF) >> 16));
    }
    const black = <u32>load<u8>(k + x);
    store<u8>(dst, (black * cyan) / 255);
    store<u8>(dst, (black * magenta) / 255, 1);
    store<u8>(dst, (black * yellow) / 255, 2);
    if (channels == 4) store<u8>(dst, 255, 3);
  }
}
