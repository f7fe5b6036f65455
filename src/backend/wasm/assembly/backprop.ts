import { claim, madd, pi, pu, store8 } from './common';

/**
 * Filter gradient of an NHWC convolution over a zero-padded input:
 *   dw[t, ci, co] = sum over (n, oy, ox) of xp[n, oy*sh + ky*dh, ox*sw + kx*dw, ci] * dy[n, oy, ox, co].
 * A task is (tap, block of 4 input channels, block of 8 output channels): 4 x 8 accumulators,
 * reduced over every output pixel. Tasks write disjoint parts of dw, so threads never collide.
 * Params: 0 xp, 1 dy, 2 dw, 3 taps (byte offsets), 4 ntaps, 5 cin, 6 cout, 7 batch, 8 outH,
 * 9 outW, 10 padded H, 11 padded W, 12 strideH, 13 strideW, 14 counter.
 * Reads up to 3 floats past a pixel's channels and 7 past dy's: the caller leaves slack.
 */
export function conv2d_backprop_filter(p: usize, tid: i32, nth: i32): void {
  const xp = pu(p, 0);
  const dy = pu(p, 1);
  const dw = pu(p, 2);
  const taps = pu(p, 3);
  const ntaps = pi(p, 4);
  const cin = pi(p, 5);
  const cout = pi(p, 6);
  const batch = pi(p, 7);
  const ho = pi(p, 8);
  const wo = pi(p, 9);
  const hp = pi(p, 10);
  const wp = pi(p, 11);
  const sh = pi(p, 12);
  const sw = pi(p, 13);
  const counter = p + 14 * 4;
  const cb = (cin + 3) >> 2;
  const nb = (cout + 7) >> 3;
  const tasks = ntaps * cb * nb;
  const pixStride = <usize>(sw * cin) << 2;
  const rowStride = <usize>(sh * wp * cin) << 2;
  const imgStride = <usize>(hp * wp * cin) << 2;
  const dyPix = <usize>cout << 2;
  while (true) {
    const task = claim(counter);
    if (task >= tasks) break;
    const b = task % nb;
    const rest = task / nb;
    const q = rest % cb;
    const t = rest / cb;
    const off = <usize>load<u32>(taps + (<usize>t << 2)) + (<usize>q << 4);
    let x00 = f32x4.splat(0);
    let x01 = x00;
    let x10 = x00;
    let x11 = x00;
    let x20 = x00;
    let x21 = x00;
    let x30 = x00;
    let x31 = x00;
    for (let n = 0; n < batch; n++) {
      for (let oy = 0; oy < ho; oy++) {
        let a = xp + <usize>n * imgStride + <usize>oy * rowStride + off;
        let g = dy + <usize>((n * ho + oy) * wo) * dyPix + (<usize>b << 5);
        for (let ox = 0; ox < wo; ox++) {
          const g0 = v128.load(g);
          const g1 = v128.load(g, 16);
          let v = v128.load32_splat(a);
          x00 = madd(v, g0, x00);
          x01 = madd(v, g1, x01);
          v = v128.load32_splat(a, 4);
          x10 = madd(v, g0, x10);
          x11 = madd(v, g1, x11);
          v = v128.load32_splat(a, 8);
          x20 = madd(v, g0, x20);
          x21 = madd(v, g1, x21);
          v = v128.load32_splat(a, 12);
          x30 = madd(v, g0, x30);
          x31 = madd(v, g1, x31);
          a += pixStride;
          g += dyPix;
        }
      }
    }
    const nc = min(8, cout - (b << 3));
    const ci = q << 2;
    const rows = min(4, cin - ci);
    const d = dw + (<usize>((t * cin + ci) * cout + (b << 3)) << 2);
    const rowBytes = <usize>cout << 2;
    store8(d, x00, x01, nc);
    if (rows > 1) store8(d + rowBytes, x10, x11, nc);
    if (rows > 2) store8(d + 2 * rowBytes, x20, x21, nc);
    if (rows > 3) store8(d + 3 * rowBytes, x30, x31, nc);
  }
}
