import { claim, pi, pu } from './common';

// Max and average pooling over NHWC input (not padded: padded cells never count).
// Params: 0 x, 1 out, 2 batch, 3 H, 4 W, 5 C, 6 outH, 7 outW, 8 kh, 9 kw, 10 strideH,
// 11 strideW, 12 padTop, 13 padLeft, 14 counter. Work is claimed one output row at a time.

@inline
function pool(p: usize, isMax: bool): void {
  const x = pu(p, 0);
  const out = pu(p, 1);
  const batch = pi(p, 2);
  const h = pi(p, 3);
  const w = pi(p, 4);
  const c = pi(p, 5);
  const ho = pi(p, 6);
  const wo = pi(p, 7);
  const kh = pi(p, 8);
  const kw = pi(p, 9);
  const sh = pi(p, 10);
  const sw = pi(p, 11);
  const pt = pi(p, 12);
  const pl = pi(p, 13);
  const counter = p + 14 * 4;
  const rows = batch * ho;
  const pixBytes = <usize>c << 2;
  const c4 = c & ~3;
  const init: f32 = isMax ? -Infinity : 0;
  while (true) {
    const r = claim(counter);
    if (r >= rows) break;
    const n = r / ho;
    const oy = r - n * ho;
    const y0 = oy * sh - pt;
    const ys = max(0, y0);
    const ye = min(h, y0 + kh);
    let dst = out + <usize>r * <usize>wo * pixBytes;
    for (let ox = 0; ox < wo; ox++) {
      const x0 = ox * sw - pl;
      const xs = max(0, x0);
      const xe = min(w, x0 + kw);
      const count = (ye - ys) * (xe - xs);
      const inv = <f32>1 / <f32>count;
      const base = x + (<usize>((n * h + ys) * w + xs)) * pixBytes;
      const rowBytes = <usize>w * pixBytes;
      let ch = 0;
      for (; ch < c4; ch += 4) {
        let acc = f32x4.splat(init);
        let row = base + (<usize>ch << 2);
        for (let iy = ys; iy < ye; iy++) {
          let q = row;
          for (let ix = xs; ix < xe; ix++) {
            acc = isMax ? f32x4.max(acc, v128.load(q)) : f32x4.add(acc, v128.load(q));
            q += pixBytes;
          }
          row += rowBytes;
        }
        if (!isMax) acc = count > 0 ? f32x4.mul(acc, f32x4.splat(inv)) : f32x4.splat(0);
        v128.store(dst + (<usize>ch << 2), acc);
      }
      for (; ch < c; ch++) {
        let acc = init;
        let row = base + (<usize>ch << 2);
        for (let iy = ys; iy < ye; iy++) {
          let q = row;
          for (let ix = xs; ix < xe; ix++) {
            acc = isMax ? max(acc, load<f32>(q)) : acc + load<f32>(q);
            q += pixBytes;
          }
          row += rowBytes;
        }
        if (!isMax) acc = count > 0 ? acc / <f32>count : 0;
        store<f32>(dst + (<usize>ch << 2), acc);
      }
      dst += pixBytes;
    }
  }
}

export function max_pool(p: usize, tid: i32, nth: i32): void {
  pool(p, true);
}

export function avg_pool(p: usize, tid: i32, nth: i32): void {
  pool(p, false);
}

/**
 * Gradients of pooling. Windows may overlap, so threads split the work by image (each image's
 * input gradient is written by one thread); the caller zeroes dx.
 * Params: as pooling, with 0 = dy, 1 = dx, 15 = x (max only).
 */
@inline
function poolBackprop(p: usize, isMax: bool): void {
  const dy = pu(p, 0);
  const dx = pu(p, 1);
  const batch = pi(p, 2);
  const h = pi(p, 3);
  const w = pi(p, 4);
  const c = pi(p, 5);
  const ho = pi(p, 6);
  const wo = pi(p, 7);
  const kh = pi(p, 8);
  const kw = pi(p, 9);
  const sh = pi(p, 10);
  const sw = pi(p, 11);
  const pt = pi(p, 12);
  const pl = pi(p, 13);
  const counter = p + 14 * 4;
  const x = pu(p, 15);
  const pixBytes = <usize>c << 2;
  while (true) {
    const n = claim(counter);
    if (n >= batch) break;
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * sh - pt;
      const ys = max(0, y0);
      const ye = min(h, y0 + kh);
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * sw - pl;
        const xs = max(0, x0);
        const xe = min(w, x0 + kw);
        const count = (ye - ys) * (xe - xs);
        if (count <= 0) continue;
        const g = dy + <usize>((n * ho + oy) * wo + ox) * pixBytes;
        for (let ch = 0; ch < c; ch++) {
          const gv = load<f32>(g + (<usize>ch << 2));
          if (isMax) {
            let best: f32 = -Infinity;
            let at: usize = 0;
            let found = false;
            for (let iy = ys; iy < ye; iy++) {
              for (let ix = xs; ix < xe; ix++) {
                const o = <usize>((n * h + iy) * w + ix) * pixBytes + (<usize>ch << 2);
                const v = load<f32>(x + o);
                if (!found || v > best) {
                  best = v;
                  at = o;
                  found = true;
                }
              }
            }
            store<f32>(dx + at, load<f32>(dx + at) + gv);
          } else {
            const share = gv / <f32>count;
            for (let iy = ys; iy < ye; iy++) {
              for (let ix = xs; ix < xe; ix++) {
                const o = dx + <usize>((n * h + iy) * w + ix) * pixBytes + (<usize>ch << 2);
                store<f32>(o, load<f32>(o) + share);
              }
            }
          }
        }
      }
    }
  }
}

export function max_pool_backprop(p: usize, tid: i32, nth: i32): void {
  poolBackprop(p, true);
}

export function avg_pool_backprop(p: usize, tid: i32, nth: i32): void {
  poolBackprop(p, false);
}
