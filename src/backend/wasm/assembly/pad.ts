import { claim, pi, pu } from './common';

const ROWS: i32 = 8;

/**
 * Copies NHWC `src` [batch, h, w, ch] into a zero-padded [batch, hp, wp, ch] buffer: source pixel
 * (r, c) lands at (r * sy + top, c * sx + left); strides above 1 insert zeros between pixels (the
 * transposed convolution of a gradient), negative offsets crop. Everything else is zero.
 * Params: 0 src, 1 dst, 2 batch, 3 h, 4 w, 5 ch, 6 sy, 7 sx, 8 top, 9 left, 10 hp, 11 wp, 12 counter.
 */
export function pad_nhwc(p: usize, tid: i32, nth: i32): void {
  const src = pu(p, 0);
  const dst = pu(p, 1);
  const batch = pi(p, 2);
  const h = pi(p, 3);
  const w = pi(p, 4);
  const ch = pi(p, 5);
  const sy = pi(p, 6);
  const sx = pi(p, 7);
  const top = pi(p, 8);
  const left = pi(p, 9);
  const hp = pi(p, 10);
  const wp = pi(p, 11);
  const counter = p + 12 * 4;
  const pix = <usize>ch << 2;
  const rowBytes = <usize>wp * pix;
  const rows = batch * hp;
  while (true) {
    const r0 = claim(counter) * ROWS;
    if (r0 >= rows) break;
    const r1 = min(rows, r0 + ROWS);
    for (let r = r0; r < r1; r++) {
      const n = r / hp;
      const y = r - n * hp;
      const d = dst + <usize>r * rowBytes;
      const ry = y - top;
      if (ry < 0 || ry % sy != 0 || ry / sy >= h) {
        memory.fill(d, 0, rowBytes);
        continue;
      }
      const s = src + <usize>((n * h + ry / sy) * w) * pix;
      if (sx == 1) {
        const c0 = max(0, -left);
        const x0 = left + c0;
        const count = min(w - c0, wp - x0);
        if (count <= 0) {
          memory.fill(d, 0, rowBytes);
          continue;
        }
        const before = <usize>x0 * pix;
        const body = <usize>count * pix;
        memory.fill(d, 0, before);
        memory.copy(d + before, s + <usize>c0 * pix, body);
        memory.fill(d + before + body, 0, rowBytes - before - body);
      } else {
        memory.fill(d, 0, rowBytes);
        for (let c = 0; c < w; c++) {
          const x = c * sx + left;
          if (x >= 0 && x < wp) memory.copy(d + <usize>x * pix, s + <usize>c * pix, pix);
        }
      }
    }
  }
}
