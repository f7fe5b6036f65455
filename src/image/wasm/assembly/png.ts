// PNG pixel loops: the row filters' inverse, and libpng's 8-bit colour → gray conversion.

/**
 * Undoes the filters of `rows` PNG rows of `rowBytes` bytes, each stored behind its filter-type
 * byte at `src`, into `dst` (the rows alone, back to back). `bpp` is the bytes per complete pixel
 * (at least 1). The `rowBytes` bytes before `dst` must be zero: they are the row above the first.
 * Returns -1, or the index of the first row whose filter type is not 0 to 4.
 */
export function png_unfilter(src: usize, dst: usize, rows: i32, rowBytes: i32, bpp: i32): i32 {
  const n = <usize>rowBytes;
  const left = <usize>min(bpp, rowBytes);
  for (let r = 0; r < rows; r++) {
    const filter = load<u8>(src);
    const line = src + 1;
    const prev = dst - n;
    switch (filter) {
      case 0:
        memory.copy(dst, line, n);
        break;
      case 1:
        unfilterSub(line, dst, n, left);
        break;
      case 2:
        unfilterUp(line, prev, dst, n);
        break;
      case 3:
        if (left == 1 || left > 8) unfilterAverage(line, prev, dst, n, left);
        else averagePixels(line, prev, dst, n, left);
        break;
      case 4:
        if (left == 1 || left > 8) unfilterPaeth(line, prev, dst, n, left);
        else paethPixels(line, prev, dst, n, left);
        break;
      default:
        return r;
    }
    src += n + 1;
    dst += n;
  }
  return -1;
}

function unfilterSub(line: usize, cur: usize, n: usize, bpp: usize): void {
  memory.copy(cur, line, bpp);
  for (let i = bpp; i < n; i++) store<u8>(cur + i, load<u8>(line + i) + load<u8>(cur + i - bpp));
}

function unfilterUp(line: usize, prev: usize, cur: usize, n: usize): void {
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) v128.store(cur + i, i8x16.add(v128.load(line + i), v128.load(prev + i)));
  for (; i < n; i++) store<u8>(cur + i, load<u8>(line + i) + load<u8>(prev + i));
}

function unfilterAverage(line: usize, prev: usize, cur: usize, n: usize, bpp: usize): void {
  for (let i: usize = 0; i < bpp; i++) store<u8>(cur + i, load<u8>(line + i) + (load<u8>(prev + i) >> 1));
  if (bpp == 1) {
    // one byte per pixel: every byte waits for the one before, so keep it in a register rather
    // than read back what was just stored
    let a = <u32>load<u8>(cur);
    for (let i: usize = 1; i < n; i++) {
      a = (<u32>load<u8>(line + i) + ((a + <u32>load<u8>(prev + i)) >> 1)) & 0xff;
      store<u8>(cur + i, <u8>a);
    }
    return;
  }
  for (let i = bpp; i < n; i++) {
    store<u8>(cur + i, load<u8>(line + i) + ((<u32>load<u8>(cur + i - bpp) + <u32>load<u8>(prev + i)) >> 1));
  }
}

/**
 * The Paeth predictor of a (left), b (above) and c (above left), without branches: on a photo
 * which of the three wins changes from byte to byte, and a branch on it mostly mispredicts.
 */
@inline
function paeth(a: i32, b: i32, c: i32): i32 {
  const pa = abs(b - c);
  const pb = abs(a - c);
  const pc = abs(a + b - 2 * c);
  return select<i32>(a, select<i32>(b, c, pb <= pc), (pa <= pb) & (pa <= pc));
}

function unfilterPaeth(line: usize, prev: usize, cur: usize, n: usize, bpp: usize): void {
  // with no left neighbour (a = c = 0) the Paeth predictor is the pixel above
  for (let i: usize = 0; i < bpp; i++) store<u8>(cur + i, load<u8>(line + i) + load<u8>(prev + i));
  if (bpp == 1) {
    // as in unfilterAverage: the left byte and the one above it stay in registers
    let a = <i32>load<u8>(cur);
    let c = <i32>load<u8>(prev);
    for (let i: usize = 1; i < n; i++) {
      const b = <i32>load<u8>(prev + i);
      a = (<i32>load<u8>(line + i) + paeth(a, b, c)) & 0xff;
      store<u8>(cur + i, <u8>a);
      c = b;
    }
    return;
  }
  for (let i = bpp; i < n; i++) {
    const predictor = paeth(<i32>load<u8>(cur + i - bpp), <i32>load<u8>(prev + i), <i32>load<u8>(prev + i - bpp));
    store<u8>(cur + i, load<u8>(line + i) + <u8>predictor);
  }
}

// Average and Paeth for 2 to 8 bytes per pixel (colour, alpha, 16 bits): a whole pixel at a time,
// its bytes in the 16-bit lanes of a vector, the left pixel kept in a register. Rows hold whole
// pixels then, and reading a few bytes past a pixel stays inside the memory JS laid out.

/** The `bpp` bytes at `at` (and a few after, ignored), widened to 16-bit lanes. */
@inline
function loadPixel(at: usize, bpp: usize): v128 {
  const v = bpp <= 4 ? v128.load32_zero(at) : v128.load64_zero(at);
  return i16x8.extend_low_i8x16_u(v);
}

/** Stores the low bytes of the first `bpp` 16-bit lanes of `v` (each below 256) at `at`. */
@inline
function storePixel(at: usize, v: v128, bpp: usize): void {
  const bytes = i64x2.extract_lane(i8x16.narrow_i16x8_u(v, v), 0);
  if (bpp == 4) store<u32>(at, <u32>bytes);
  else if (bpp == 8) store<u64>(at, bytes);
  else {
    if (bpp >= 4) store<u32>(at, <u32>bytes);
    const done: usize = bpp >= 4 ? 4 : 0;
    const rest = bytes >> (done << 3);
    if (bpp - done >= 2) store<u16>(at + done, <u16>rest);
    if ((bpp - done) & 1) store<u8>(at + bpp - 1, <u8>(rest >> (((bpp - done) & 6) << 3)));
  }
}

function averagePixels(line: usize, prev: usize, cur: usize, n: usize, bpp: usize): void {
  const bytes = i16x8.splat(0xff);
  let a = i16x8.splat(0); // the first pixel has no left neighbour
  for (let i: usize = 0; i < n; i += bpp) {
    const mean = i16x8.shr_u(i16x8.add(a, loadPixel(prev + i, bpp)), 1);
    a = v128.and(i16x8.add(loadPixel(line + i, bpp), mean), bytes);
    storePixel(cur + i, a, bpp);
  }
}

function paethPixels(line: usize, prev: usize, cur: usize, n: usize, bpp: usize): void {
  const bytes = i16x8.splat(0xff);
  // a, c = 0 for the first pixel: the predictor is then b, the pixel above, as it must be
  let a = i16x8.splat(0);
  let c = a;
  for (let i: usize = 0; i < n; i += bpp) {
    const b = loadPixel(prev + i, bpp);
    const bc = i16x8.sub(b, c);
    const ac = i16x8.sub(a, c);
    const pa = i16x8.abs(bc);
    const pb = i16x8.abs(ac);
    const pc = i16x8.abs(i16x8.add(bc, ac));
    // pa ≤ pb and pa ≤ pc → a; else pb ≤ pc → b; else c (the smallest, ties in that order)
    const smallest = i16x8.min_s(pc, i16x8.min_s(pa, pb));
    const nearest = v128.bitselect(a, v128.bitselect(b, c, i16x8.eq(pb, smallest)), i16x8.eq(pa, smallest));
    a = v128.and(i16x8.add(loadPixel(line + i, bpp), nearest), bytes);
    storePixel(cur + i, a, bpp);
    c = b;
  }
}

// libpng's luma weights (png_set_rgb_to_gray_fixed with its defaults), summing to 32768
const RED: u32 = 9797;
const GREEN: u32 = 19234;
const BLUE: u32 = 32768 - RED - GREEN;

/**
 * `n` 8-bit pixels of `channels` (3 or 4) samples at `src`, red first, to gray at `dst`, as libpng's
 * png_do_rgb_to_gray. `tables` is 0 for a file without gamma, else three 256-byte tables: to
 * linear light, back from it, and the one for gray pixels (r = g = b).
 */
export function png_rgb_to_gray8(src: usize, dst: usize, n: i32, channels: i32, tables: usize): void {
  const step = <usize>channels;
  for (let p: usize = 0; p < <usize>n; p++, src += step) {
    const r = <u32>load<u8>(src);
    const g = <u32>load<u8>(src, 1);
    const b = <u32>load<u8>(src, 2);
    let gray: u32;
    if (tables == 0) gray = r == g && r == b ? r : (RED * r + GREEN * g + BLUE * b) >> 15;
    else if (r == g && r == b) gray = load<u8>(tables + 512 + r);
    else {
      const linear = RED * load<u8>(tables + r) + GREEN * load<u8>(tables + g) + BLUE * load<u8>(tables + b);
      gray = load<u8>(tables + 256 + ((linear + 16384) >> 15));
    }
    store<u8>(dst + p, <u8>gray);
  }
}
