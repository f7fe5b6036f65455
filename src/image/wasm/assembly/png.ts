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
        unfilterAverage(line, prev, dst, n, left);
        break;
      case 4:
        unfilterPaeth(line, prev, dst, n, left);
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
  for (let i = bpp; i < n; i++) {
    store<u8>(cur + i, load<u8>(line + i) + ((<u32>load<u8>(cur + i - bpp) + <u32>load<u8>(prev + i)) >> 1));
  }
}

function unfilterPaeth(line: usize, prev: usize, cur: usize, n: usize, bpp: usize): void {
  // with no left neighbour (a = c = 0) the Paeth predictor is the pixel above
  for (let i: usize = 0; i < bpp; i++) store<u8>(cur + i, load<u8>(line + i) + load<u8>(prev + i));
  for (let i = bpp; i < n; i++) {
    const a = <i32>load<u8>(cur + i - bpp);
    const b = <i32>load<u8>(prev + i);
    const c = <i32>load<u8>(prev + i - bpp);
    const pa = abs(b - c);
    const pb = abs(a - c);
    const pc = abs(a + b - 2 * c);
    const predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    store<u8>(cur + i, load<u8>(line + i) + <u8>predictor);
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
