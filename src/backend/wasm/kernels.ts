import { sumRuns } from '../js/batch_norm.js';
import { jsBackend } from '../js/index.js';
import type { BatchNormInfo, BinaryOp, Conv2DEpilogue, Conv2DGrads, Conv2DInfo, Pool2DInfo, TypedArray, UnaryOp } from '../types.js';
import { PARAMS, type Runtime } from './runtime.js';

const P = PARAMS >> 2;
/** Work (in multiply-adds) below which a call stays on the calling thread. */
const PARALLEL_WORK = 1 << 19;
/**
 * Values below which the per-channel sums of a batch normalisation stay on the calling thread: an
 * add or two each, but they gain from a second thread from about 100K values on (2-core timing).
 */
const PARALLEL_SUMS = PARALLEL_WORK / 8;
/** Runs of row chunks with their own partial sums in a filter gradient (see conv2d_backprop_filter). */
const FILTER_GRAD_GROUPS = 16;

/** A pooling's sizes in the order the pooling kernels read them after their pointers. */
function poolGeometry(info: Pool2DInfo): number[] {
  const { batch, inHeight, inWidth, channels, outHeight, outWidth } = info;
  return [
    batch,
    inHeight,
    inWidth,
    channels,
    outHeight,
    outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padTop,
    info.padLeft,
  ];
}

/**
 * Whether every window position a pooling kernel works out fits its int32 arithmetic: the far edge
 * of the last window, `(out − 1) · stride + window`. A window near 2^31 (TensorFlow's limit) with
 * explicit padding would wrap there and pool nothing; the js reference computes in float64.
 */
function poolFitsInt32(info: Pool2DInfo): boolean {
  const reach = (out: number, stride: number, window: number) => (out - 1) * stride + window;
  return (
    reach(info.outHeight, info.strideHeight, info.filterHeight) <= 2147483647 &&
    reach(info.outWidth, info.strideWidth, info.filterWidth) <= 2147483647
  );
}

function params(rt: Runtime, values: readonly number[]): void {
  rt.i32.set(values, P);
}

const noop = () => {};

/**
 * Where a kernel finds input `a` (its first `n` floats): in place when it already lives in wasm
 * memory (a resident buffer), else in an arena block that `fill()` copies it into after `commit`.
 */
function place(rt: Runtime, a: Float32Array, n: number): { at: number; fill(): void } {
  const resident = rt.addressOf(a);
  if (resident >= 0) return { at: resident, fill: noop };
  const at = rt.alloc(n * 4);
  return { at, fill: () => rt.f32.set(a.subarray(0, n), at >> 2) };
}

/** Where a kernel writes output `out` (`n` floats): in place when resident, else an arena block `flush()` copies out. */
function target(rt: Runtime, out: Float32Array, n: number): { at: number; flush(): void } {
  const resident = rt.addressOf(out);
  if (resident >= 0) return { at: resident, flush: noop };
  const at = rt.alloc(n * 4);
  return { at, flush: () => out.set(rt.f32.subarray(at >> 2, (at >> 2) + n)) };
}

/** Output rows per work chunk of conv2d_gemm (CONV_MC in assembly/gemm.ts), and its chunk counter's parameter index. */
const CONV_MC = 96;
const GEMM_COUNTER = 18;

/**
 * Copies a conv2d_gemm output (`rows` rows of `rowFloats` at `at` in wasm memory) out to `out`
 * chunk by chunk as the kernel flags chunks done, so the copy into a fresh array (page faults
 * and all: about 2 ms for a 224×224×64 map) runs on the calling thread while the workers still
 * compute. `flags` (one i32 per chunk, zeroed) is allocated now; `drive` is run()'s `main`,
 * `finish` copies what the workers completed after the calling thread stopped.
 */
function planStreamOut(rt: Runtime, out: Float32Array, at: number, rows: number, rowFloats: number) {
  const chunks = Math.ceil(rows / CONV_MC);
  const flags = rt.alloc(chunks * 4);
  const copier = chunkCopier(rt, out, at, flags, CONV_MC * rowFloats, rows * rowFloats);
  return {
    flags,
    /** Call after commit: clears the flags. */
    reset() {
      rt.i32.fill(0, flags >> 2, (flags >> 2) + chunks);
      copier.rewind();
    },
    drive(step: () => void) {
      while (Atomics.load(rt.i32, P + GEMM_COUNTER) < chunks) {
        step();
        copier.copy(false);
      }
    },
    finish() {
      copier.copy(true);
    },
  };
}

/**
 * Copies a kernel's output (`total` floats at `at` in wasm memory, in chunks of `chunkFloats`)
 * out to `out` in order, each chunk once the kernel has set its i32 flag at `flags` (all of
 * them with `all`): what lets the calling thread copy out while the workers still compute.
 */
function chunkCopier(rt: Runtime, out: Float32Array, at: number, flags: number, chunkFloats: number, total: number) {
  const chunks = Math.ceil(total / chunkFloats);
  let next = 0;
  return {
    copy(all: boolean) {
      while (next < chunks && (all || Atomics.load(rt.i32, (flags >> 2) + next) === 1)) {
        const from = next * chunkFloats;
        const to = Math.min(total, from + chunkFloats);
        out.set(rt.f32.subarray((at >> 2) + from, (at >> 2) + to), from);
        next++;
      }
    },
    rewind() {
      next = 0;
    },
  };
}

/** Output floats per chunk of a pooling whose input or output is copied while it runs (see planPoolStream). */
const POOL_CHUNK_FLOATS = 1 << 14;
/** Blocks a copied-in pooling input cycles through, one chunk's rows each (see planPoolStream). */
const POOL_SLOTS = 4;

/** A JS array and the number of floats of it a kernel reads or writes. */
interface Staged {
  array: Float32Array;
  floats: number;
}

/** `a`'s first `floats` floats to copy in or out, or undefined when `a` lives in wasm memory (resident). */
function staged(rt: Runtime, a: Float32Array, floats: number): Staged | undefined {
  return rt.addressOf(a) >= 0 ? undefined : { array: a, floats };
}

/**
 * Plans the copies of a pooling whose input or output is a JS array so that they overlap the
 * pooling (a fresh 224×224×64 input costs about 1.3 ms to copy in, more than pooling it). The
 * kernel works in chunks of output rows. The calling thread copies each chunk's input rows into
 * the next of POOL_SLOTS blocks (kept in cache, unlike a whole copy of the input: about a third
 * faster to write), once the chunk that used that block is done, and counts the chunks whose input
 * is in (parameter 16), which the workers wait for; between its copies it copies finished chunks
 * of the output out, then it pools the chunks still unclaimed. Alone, it pools each chunk right
 * after copying its rows in. Windows that overlap a lot (the rows of each chunk would be copied
 * many times) copy the input whole instead, still chunk by chunk. Allocates now (before `commit`);
 * `params()` gives the kernel's parameters, `drive` is run()'s `main`, `finish` copies out what is left.
 */
function planPoolStream(rt: Runtime, x: Float32Array, out: Float32Array, info: Pool2DInfo) {
  const { batch, inHeight, inWidth, channels, outHeight, outWidth } = info;
  const input = staged(rt, x, batch * inHeight * inWidth * channels);
  const output = staged(rt, out, batch * outHeight * outWidth * channels);
  const rows = batch * outHeight;
  const rowFloats = outWidth * channels;
  const inRowFloats = inWidth * channels;
  const streamed = input !== undefined || output !== undefined;
  const rowsPer = streamed ? Math.ceil(POOL_CHUNK_FLOATS / rowFloats) : 1;
  const chunks = Math.ceil(rows / rowsPer);
  /** The input rows (over the batch) chunk `j`'s windows reach: [first, end). */
  const span = (j: number) => {
    const reach = (row: number, edge: number) => {
      const image = Math.floor(row / outHeight);
      const y = (row - image * outHeight) * info.strideHeight - info.padTop + edge;
      return image * inHeight + Math.min(inHeight, Math.max(0, y));
    };
    return { first: reach(j * rowsPer, 0), end: reach(Math.min(rows, (j + 1) * rowsPer) - 1, info.filterHeight) };
  };
  let slotRows = 0;
  let copied = 0;
  for (let j = 0; input && j < chunks; j++) {
    const { first, end } = span(j);
    slotRows = Math.max(slotRows, end - first);
    copied += end - first;
  }
  const slots = copied <= 1.25 * batch * inHeight ? Math.min(POOL_SLOTS, chunks) : 0;
  const inAt = input ? rt.alloc(slots ? slots * slotRows * inRowFloats * 4 : input.floats * 4) : rt.addressOf(x);
  const outAt = output ? rt.alloc(output.floats * 4) : rt.addressOf(out);
  const bases = input ? rt.alloc(chunks * 4) : 0;
  const flags = streamed ? rt.alloc(chunks * 4) : 0;
  const slotAt = (j: number) => inAt + (j % slots) * slotRows * inRowFloats * 4;
  /** Where chunk `j` finds its input: the address its batch's first row would have (mod 2^32) with its rows in its slot. */
  const base = (j: number) => (slots ? slotAt(j) - span(j).first * inRowFloats * 4 : inAt) | 0;
  let arrived = 0;
  let rowsIn = 0;
  const copier = output && chunkCopier(rt, output.array, outAt, flags, rowsPer * rowFloats, output.floats);
  const chunkDone = (j: number) => Atomics.load(rt.i32, (flags >> 2) + j) === 1;
  const claimed = () => Atomics.load(rt.i32, P + 14);
  /** Copies chunk j's input in (into a slot, once its last user is done, helping with chunks meanwhile). */
  const copyIn = (j: number, step: () => void) => {
    if (!input) return;
    const { first, end } = span(j);
    if (slots) {
      while (j >= slots && !chunkDone(j - slots)) if (claimed() < j) step();
      rt.f32.set(input.array.subarray(first * inRowFloats, end * inRowFloats), slotAt(j) >> 2);
    } else if (end > rowsIn) {
      rt.f32.set(input.array.subarray(rowsIn * inRowFloats, end * inRowFloats), (inAt >> 2) + rowsIn * inRowFloats);
      rowsIn = end;
    }
    arrived = j + 1;
    Atomics.store(rt.i32, P + 16, arrived);
  };
  return {
    /** The pooling kernels' parameters; call after commit (writes the chunks' input addresses, clears the flags). */
    params(): number[] {
      for (let j = 0; bases && j < chunks; j++) rt.i32[(bases >> 2) + j] = base(j);
      if (flags) rt.i32.fill(0, flags >> 2, (flags >> 2) + chunks);
      return [inAt, outAt, ...poolGeometry(info), 0, rowsPer, input ? 0 : chunks, bases, flags, streamed ? 1 : 0];
    },
    drive: streamed
      ? (step: () => void, threads: number) => {
          try {
            for (let j = 0; j < chunks; j++) {
              copyIn(j, step);
              // alone, the thread pools chunk j (the next to claim) while its input is in cache
              if (threads === 1) step();
              copier?.copy(false);
            }
          } catch (error) {
            Atomics.store(rt.i32, P + 16, chunks); // lets the workers finish (run() waits for them) before the error is thrown
            throw error;
          }
          while (claimed() < chunks) {
            step();
            copier?.copy(false);
          }
        }
      : undefined,
    finish() {
      copier?.copy(true);
    },
  };
}

/**
 * Plans an NHWC input [batch, h, w, ch] as a zero-padded [batch, hp, wp, ch] buffer in wasm memory:
 * source pixel (r, c) lands at (r * sy + top, c * sx + left); sy/sx > 1 insert zeros between pixels
 * (as a transposed convolution needs), negative offsets crop. The source is a JS array (placed:
 * copied in with one bulk copy unless resident) or an address already in wasm memory. Allocates
 * now (before `commit`); `fill()` afterwards lets the wasm pad kernel place the rows (row-wise
 * copies from JS cost about 1 µs each on shared memory).
 */
function planPadded(
  rt: Runtime,
  src: Float32Array | number,
  batch: number,
  h: number,
  w: number,
  ch: number,
  sy: number,
  sx: number,
  top: number,
  left: number,
  hp: number,
  wp: number,
): { at: number; fill(): void } {
  const plain = sy === 1 && sx === 1 && top === 0 && left === 0 && hp === h && wp === w;
  const raw = typeof src === 'number' ? { at: src, fill: noop } : place(rt, src, batch * h * w * ch);
  const at = plain ? raw.at : rt.alloc(batch * hp * wp * ch * 4);
  return {
    at,
    fill() {
      raw.fill();
      if (plain) return;
      params(rt, [raw.at, at, batch, h, w, ch, sy, sx, top, left, hp, wp, 0]);
      rt.run('pad_nhwc', batch * hp * wp * ch >= PARALLEL_WORK / 2);
    },
  };
}

/** Geometry of a stride-1-in-memory convolution over an already padded buffer. */
interface ConvCore {
  batch: number;
  hp: number;
  wp: number;
  cin: number;
  cout: number;
  outHeight: number;
  outWidth: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
}

/** Taps of the implicit GEMM: one per filter row when its taps are contiguous in memory (dilationW 1), else one per tap. */
function tapLayout(g: ConvCore): { count: number; segment: number } {
  return g.dw === 1 ? { count: g.kh, segment: g.kw * g.cin } : { count: g.kh * g.kw, segment: g.cin };
}

function writeTaps(rt: Runtime, taps: number, g: ConvCore, merged: boolean): void {
  let t = taps >> 2;
  for (let ky = 0; ky < g.kh; ky++) {
    if (merged) rt.i32[t++] = ky * g.dh * g.wp * g.cin * 4;
    else for (let kx = 0; kx < g.kw; kx++) rt.i32[t++] = (ky * g.dh * g.wp + kx * g.dw) * g.cin * 4;
  }
}

function writeBias(rt: Runtime, at: number, cout: number, bias: Float32Array | undefined): void {
  const nb8 = ((cout + 7) >> 3) * 8;
  const f = at >> 2;
  rt.f32.fill(0, f, f + nb8);
  if (bias) rt.f32.set(bias.subarray(0, cout), f);
}

/**
 * Allocates what the implicit-GEMM kernel needs besides its operands (taps, per-thread scratch);
 * `run` then writes the taps and runs it on a padded input at `xp` with weights packed at `wpack`
 * ([nb][K][8]) and the bias at `bias`, writing `out`.
 */
function planConvGemm(
  rt: Runtime,
  g: ConvCore,
): { run(xp: number, wpack: number, bias: number, out: number, relu: boolean, stream?: ReturnType<typeof planStreamOut>): void } {
  const layout = tapLayout(g);
  const taps = rt.alloc(layout.count * 4);
  const threads = rt.threads();
  // row pointers (96) and, for short reductions, a packed [K][4] panel; 64-byte aligned per thread
  const scratchPer = (96 * 4 + layout.count * layout.segment * 16 + 127) & ~63;
  const scratch = rt.alloc(scratchPer * threads);
  return {
    run(xp, wpack, bias, out, relu, stream) {
      writeTaps(rt, taps, g, g.dw === 1);
      stream?.reset();
      const m = g.batch * g.outHeight * g.outWidth;
      params(rt, [
        xp,
        wpack,
        bias,
        out,
        taps,
        layout.count,
        g.cin,
        g.cout,
        g.batch,
        g.outHeight,
        g.outWidth,
        g.hp,
        g.wp,
        g.sh,
        g.sw,
        relu ? 1 : 0,
        scratch,
        scratchPer,
        0,
        layout.segment,
        stream ? stream.flags : 0,
        stream ? 1 : 0,
      ]);
      rt.run('conv2d_gemm', m * g.kh * g.kw * g.cin * g.cout >= PARALLEL_WORK, stream?.drive);
      stream?.finish();
    },
  };
}

/** Packs [K][cout] weights (row k at src[k*rs], column j at + j*cs) into [nb][K][8] at float index `dst`. */
function packB(
  f32: Float32Array,
  dst: number,
  src: Float32Array,
  k: number,
  n: number,
  rs: number,
  cs: number,
  kTotal = k,
  kOffset = 0,
): void {
  const nb = (n + 7) >> 3;
  for (let b = 0; b < nb; b++) {
    const j0 = b * 8;
    const jn = Math.min(8, n - j0);
    let d = dst + (b * kTotal + kOffset) * 8;
    for (let r = 0; r < k; r++, d += 8) {
      const s = r * rs + j0 * cs;
      for (let j = 0; j < jn; j++) f32[d + j] = src[s + j * cs];
      for (let j = jn; j < 8; j++) f32[d + j] = 0;
    }
  }
}

/**
 * Whether every value is finite. The wasm kernels multiply padding zeros by the weights, so a NaN
 * or infinite weight would turn border outputs into NaN where the js reference (like tfjs) skips
 * padded taps; such filters go to the reference.
 */
function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] - a[i] !== 0) return false;
  return true;
}

/**
 * Whether the zero-padded copy of the input the wasm kernels work on would dwarf the input and
 * output (a dilation or explicit padding far larger than the image: gigabytes for a 4×4 input
 * dilated by 30,000). The js reference skips padded taps instead of storing them.
 */
function paddingDominates(info: Conv2DInfo): boolean {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const hp = (outHeight - 1) * info.strideHeight + (info.filterHeight - 1) * info.dilationHeight + 1;
  const wp = (outWidth - 1) * info.strideWidth + (info.filterWidth - 1) * info.dilationWidth + 1;
  const data = batch * (inHeight * inWidth * inChannels + outHeight * outWidth * outChannels);
  return batch * hp * wp * inChannels > 4 * data + (1 << 20);
}

export function makeKernels(rt: Runtime) {
  function conv2d(x: Float32Array, w: Float32Array, info: Conv2DInfo, out: Float32Array, epilogue: Conv2DEpilogue = {}): void {
    const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
    const m = batch * outHeight * outWidth;
    if (m === 0 || outChannels === 0) return;
    if (inChannels === 0 || info.padTop < 0 || info.padLeft < 0 || paddingDominates(info) || !allFinite(w)) {
      jsBackend.conv2d(x, w, info, out, epilogue);
      return;
    }
    const relu = epilogue.activation === 'relu';
    const hp = (outHeight - 1) * sh + (kh - 1) * dh + 1;
    const wp = (outWidth - 1) * sw + (kw - 1) * dw + 1;
    const g: ConvCore = { batch, hp, wp, cin: inChannels, cout: outChannels, outHeight, outWidth, kh, kw, sh, sw, dh, dw };
    rt.reset();
    const input = planPadded(rt, x, batch, inHeight, inWidth, inChannels, 1, 1, info.padTop, info.padLeft, hp, wp);
    const xp = input.at;
    const o = target(rt, out, m * outChannels);
    if (inChannels === 1 && outChannels === 1 && sw === 1) {
      const wt = rt.alloc(kh * kw * 4);
      rt.commit();
      input.fill();
      rt.f32.set(w.subarray(0, kh * kw), wt >> 2);
      params(rt, [xp, wt, 0, o.at, batch, outHeight, outWidth, hp, wp, kh, kw, sh, dh, dw, relu ? 1 : 0, 0]);
      rt.f32[P + 2] = epilogue.bias ? epilogue.bias[0] : 0;
      rt.run('conv2d_direct1', m * kh * kw >= PARALLEL_WORK);
    } else if (inChannels === 1 && outChannels >= 8) {
      // one input channel (a first layer on gray images): broadcast pixels against 16 channels of weights, no packing
      const taps = kh * kw;
      const nb = (outChannels + 15) >> 4;
      const wpack = rt.alloc(nb * taps * 64);
      const bias = rt.alloc(nb * 64);
      rt.commit();
      input.fill();
      const f32 = rt.f32;
      f32.fill(0, wpack >> 2, (wpack >> 2) + nb * taps * 16);
      f32.fill(0, bias >> 2, (bias >> 2) + nb * 16);
      for (let t = 0; t < taps; t++) {
        for (let co = 0; co < outChannels; co++) f32[(wpack >> 2) + ((co >> 4) * taps + t) * 16 + (co & 15)] = w[t * outChannels + co];
      }
      if (epilogue.bias) f32.set(epilogue.bias.subarray(0, outChannels), bias >> 2);
      params(rt, [xp, wpack, bias, o.at, batch, outHeight, outWidth, hp, wp, kh, kw, sh, sw, dh, dw, outChannels, relu ? 1 : 0, 0]);
      rt.run('conv2d_cin1', m * taps * outChannels >= PARALLEL_WORK);
    } else {
      const k = kh * kw * inChannels;
      const nb = (outChannels + 7) >> 3;
      const wpack = rt.alloc(nb * k * 32);
      const bias = rt.alloc(nb * 32);
      const gemm = planConvGemm(rt, g);
      // a JS output array is filled chunk by chunk while the kernel runs (see planStreamOut)
      const stream = rt.addressOf(out) < 0 ? planStreamOut(rt, out, o.at, m, outChannels) : undefined;
      rt.commit();
      input.fill();
      packB(rt.f32, wpack >> 2, w, k, outChannels, outChannels, 1);
      writeBias(rt, bias, outChannels, epilogue.bias);
      gemm.run(xp, wpack, bias, o.at, relu, stream);
      if (stream) return;
    }
    o.flush();
  }

  /**
   * Plans dx = the stride-1 correlation of dy (at `dySrc`: a JS array or an address in memory;
   * zeros inserted between pixels for strides > 1, padded by the filter's reach minus the forward
   * padding) with the filters flipped and channels swapped, written to `out` (an address).
   */
  function planInputGrad(dySrc: Float32Array | number, info: Conv2DInfo): { run(w: Float32Array, out: number): void } {
    const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
    const hp = inHeight + (kh - 1) * dh;
    const wp = inWidth + (kw - 1) * dw;
    const g: ConvCore = {
      batch,
      hp,
      wp,
      cin: outChannels,
      cout: inChannels,
      outHeight: inHeight,
      outWidth: inWidth,
      kh,
      kw,
      sh: 1,
      sw: 1,
      dh,
      dw,
    };
    const top = (kh - 1) * dh - info.padTop;
    const left = (kw - 1) * dw - info.padLeft;
    const input = planPadded(rt, dySrc, batch, outHeight, outWidth, outChannels, sh, sw, top, left, hp, wp);
    const k = kh * kw * outChannels;
    const nb = (inChannels + 7) >> 3;
    const wpack = rt.alloc(nb * k * 32);
    const bias = rt.alloc(nb * 32);
    const gemm = planConvGemm(rt, g);
    return {
      run(w, out) {
        input.fill();
        const taps = kh * kw;
        for (let t = 0; t < taps; t++) {
          // flipped tap t' = taps-1-t reads W[t, ci, co] as row co, column ci
          const src = w.subarray((taps - 1 - t) * inChannels * outChannels);
          packB(rt.f32, wpack >> 2, src, outChannels, inChannels, 1, outChannels, k, t * outChannels);
        }
        writeBias(rt, bias, inChannels, undefined);
        gemm.run(input.at, wpack, bias, out, false);
      },
    };
  }

  function conv2dBackpropInput(dy: Float32Array, w: Float32Array, info: Conv2DInfo, dx: Float32Array): void {
    const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const m = batch * inHeight * inWidth;
    if (m === 0 || inChannels === 0) return;
    if (outChannels === 0 || outHeight === 0 || outWidth === 0) return; // nothing to add
    if (paddingDominates(info) || !allFinite(w)) {
      jsBackend.conv2dBackpropInput(dy, w, info, dx);
      return;
    }
    rt.reset();
    const plan = planInputGrad(dy, info);
    const o = rt.alloc(m * inChannels * 4);
    rt.commit();
    plan.run(w, o);
    // the interface adds into dx (which callers zero-fill)
    const f32 = rt.f32;
    const base = o >> 2;
    for (let i = 0, len = m * inChannels; i < len; i++) dx[i] += f32[base + i];
  }

  /**
   * Plans the filter gradient `dw` and the bias gradient `db` (each when given) of a convolution
   * of x (a JS array, placed) with dy at address `dyAt`; `run` writes them. Without dw the kernel
   * runs no taps and x is not placed: the bias gradient alone, summed as it is with dw.
   */
  function planWeightGrads(
    x: Float32Array,
    info: Conv2DInfo,
    dw: Float32Array | undefined,
    db: Float32Array | undefined,
  ): { run(dyAt: number): void } {
    if (!dw && !db) return { run: noop };
    const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwd } = info;
    const size = kh * kw * inChannels * outChannels;
    const m = batch * outHeight * outWidth;
    const hp = (outHeight - 1) * sh + (kh - 1) * dh + 1;
    const wp = (outWidth - 1) * sw + (kw - 1) * dwd + 1;
    const g: ConvCore = { batch, hp, wp, cin: inChannels, cout: outChannels, outHeight, outWidth, kh, kw, sh, sw, dh, dw: dwd };
    const layout = dw ? tapLayout(g) : { count: 0, segment: 0 };
    const parallel = m * (dw ? size : outChannels) >= PARALLEL_WORK;
    const input = dw ? planPadded(rt, x, batch, inHeight, inWidth, inChannels, 1, 1, info.padTop, info.padLeft, hp, wp) : undefined;
    // chunks of whole output rows with about 128 pixels: a task's set-up is amortised and the chunk stays in L1
    const rows = batch * outHeight;
    const rowsPer = Math.max(1, Math.min(Math.round(128 / Math.max(1, outWidth)), Math.ceil(rows / 64)));
    // runs of chunks with their own partial sums, summed in order: the same result on any number of threads
    const groups = Math.min(FILTER_GRAD_GROUPS, Math.ceil(rows / rowsPer));
    // partial rows padded by 4 (a k block may run past the last row) and to whole vectors
    const partialFloats = dw ? ((size + 4 * outChannels + 8 + 15) >> 4) << 4 : 0;
    const partials = dw ? rt.alloc(partialFloats * 4 * groups) : 0;
    const biasFloats = ((outChannels + 15) >> 4) << 4;
    const biasPartials = db ? rt.alloc(biasFloats * 4 * groups) : 0;
    const taps = dw ? rt.alloc(layout.count * 4) : 0;
    // each thread's list of the x address of every pixel of its chunk
    const pixelBytes = (rowsPer * outWidth * 4 + 63) & ~63;
    const pixelLists = dw ? rt.alloc(pixelBytes * rt.threads()) : 0;
    return {
      run(dyAt) {
        input?.fill();
        if (dw) writeTaps(rt, taps, g, g.dw === 1);
        params(rt, [
          input?.at ?? 0,
          dyAt,
          partials,
          taps,
          layout.count,
          inChannels,
          outChannels,
          batch,
          outHeight,
          outWidth,
          hp,
          wp,
          sh,
          sw,
          0,
          layout.segment,
          partialFloats * 4,
          rowsPer,
          biasPartials,
          biasFloats * 4,
          groups,
          pixelLists,
          pixelBytes,
        ]);
        rt.run('conv2d_backprop_filter', parallel);
        if (dw) sumPartials(rt, partials, partialFloats, groups, dw, size);
        if (db) sumPartials(rt, biasPartials, biasFloats, groups, db, outChannels);
      },
    };
  }

  function conv2dBackpropFilter(x: Float32Array, dy: Float32Array, info: Conv2DInfo, dw: Float32Array): void {
    const { outChannels, batch, outHeight, outWidth } = info;
    const size = info.filterHeight * info.filterWidth * info.inChannels * outChannels;
    if (size === 0) return;
    const m = batch * outHeight * outWidth;
    if (m === 0 || info.padTop < 0 || info.padLeft < 0 || paddingDominates(info)) {
      if (m === 0) dw.fill(0, 0, size);
      else jsBackend.conv2dBackpropFilter(x, dy, info, dw);
      return;
    }
    rt.reset();
    const grad = place(rt, dy, m * outChannels);
    const plan = planWeightGrads(x, info, dw, undefined);
    rt.commit();
    grad.fill();
    plan.run(grad.at);
  }

  function conv2dBackward(x: Float32Array, w: Float32Array, dy: Float32Array, info: Conv2DInfo, grads: Conv2DGrads): void {
    const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
    const m = batch * outHeight * outWidth;
    const size = info.filterHeight * info.filterWidth * inChannels * outChannels;
    const nIn = batch * inHeight * inWidth * inChannels;
    if (m === 0 || size === 0 || nIn === 0 || info.padTop < 0 || info.padLeft < 0 || paddingDominates(info) || !allFinite(w)) {
      jsBackend.conv2dBackward(x, w, dy, info, grads);
      return;
    }
    const n = m * outChannels;
    rt.reset();
    const grad = place(rt, dy, n);
    const relu = grads.reluOutput ? place(rt, grads.reluOutput, n) : undefined;
    const dz = relu ? rt.alloc(n * 4) : grad.at;
    const weights = planWeightGrads(x, info, grads.dFilters, grads.dBias);
    const input = grads.dx ? planInputGrad(dz, info) : undefined;
    const dx = grads.dx ? target(rt, grads.dx, nIn) : undefined;
    rt.commit();
    grad.fill();
    if (relu) {
      relu.fill();
      params(rt, [6, grad.at, relu.at, dz, n, n, 0, 0]);
      rt.run('binary_f32', n >= PARALLEL_WORK * 4);
    }
    weights.run(dz);
    if (input && dx) {
      input.run(w, dx.at);
      dx.flush();
    }
  }

  function pool(kernel: 'max_pool' | 'avg_pool', x: Float32Array, info: Pool2DInfo, out: Float32Array): void {
    const n = info.batch * info.outHeight * info.outWidth * info.channels;
    if (n === 0) return;
    if (!poolFitsInt32(info)) {
      jsBackend[kernel === 'max_pool' ? 'maxPool' : 'avgPool'](x, info, out);
      return;
    }
    rt.reset();
    const stream = planPoolStream(rt, x, out, info);
    rt.commit();
    params(rt, stream.params());
    rt.run(kernel, n * info.filterHeight * info.filterWidth >= PARALLEL_WORK, stream.drive);
    stream.finish();
  }

  function poolBackprop(
    kernel: 'max_pool_backprop' | 'avg_pool_backprop',
    dy: Float32Array,
    x: Float32Array | undefined,
    info: Pool2DInfo,
    dx: Float32Array,
  ): void {
    const { batch, inHeight, inWidth, channels, outHeight, outWidth } = info;
    const nIn = batch * inHeight * inWidth * channels;
    if (nIn === 0) return;
    if (!poolFitsInt32(info)) {
      if (kernel === 'max_pool_backprop') jsBackend.maxPoolBackprop(x as Float32Array, dy, info, dx);
      else jsBackend.avgPoolBackprop(dy, info, dx);
      return;
    }
    const nOut = batch * outHeight * outWidth * channels;
    rt.reset();
    const g = place(rt, dy, nOut);
    const xi = x ? place(rt, x, nIn) : { at: 0, fill: noop };
    const o = rt.alloc(nIn * 4);
    rt.commit();
    g.fill();
    xi.fill();
    rt.f32.set(dx.subarray(0, nIn), o >> 2); // the kernel adds into dx, as the interface asks
    params(rt, [g.at, o, ...poolGeometry(info), 0, xi.at]);
    rt.run(kernel, batch > 1 && nOut * info.filterHeight * info.filterWidth >= PARALLEL_WORK);
    dx.set(rt.f32.subarray(o >> 2, (o >> 2) + nIn));
  }

  function maxPoolBackward(x: Float32Array, dy: Float32Array, info: Pool2DInfo, dx: Float32Array, reluMask: boolean): void {
    const { batch, inHeight, inWidth, channels, outHeight, outWidth } = info;
    const nIn = batch * inHeight * inWidth * channels;
    if (nIn === 0) return;
    if (!poolFitsInt32(info)) {
      jsBackend.maxPoolBackward(x, dy, info, dx, reluMask);
      return;
    }
    const nOut = batch * outHeight * outWidth * channels;
    rt.reset();
    const g = place(rt, dy, nOut);
    const xi = place(rt, x, nIn);
    const o = target(rt, dx, nIn);
    rt.commit();
    g.fill();
    xi.fill();
    params(rt, [xi.at, g.at, o.at, ...poolGeometry(info), reluMask ? 1 : 0, 0]);
    rt.run('max_pool_grad', nIn >= PARALLEL_WORK / 2);
    o.flush();
  }

  function matMulTransposed(
    a: Float32Array,
    b: Float32Array,
    m: number,
    k: number,
    n: number,
    out: Float32Array,
    transposeA: boolean,
    transposeB: boolean,
  ): void {
    if (m === 0 || n === 0) return;
    if (k === 0) {
      out.fill(0, 0, m * n);
      return;
    }
    rt.reset();
    const nb = (n + 7) >> 3;
    const ai = place(rt, a, m * k);
    const at = transposeA ? rt.alloc(m * k * 4) : ai.at;
    const bp = rt.alloc(nb * k * 32);
    const bias = rt.alloc(nb * 32);
    const c = target(rt, out, m * n);
    const taps = rt.alloc(4);
    rt.commit();
    ai.fill();
    if (transposeA) {
      params(rt, [ai.at, at, k, m, 0]);
      rt.run('transpose2d', m * k >= PARALLEL_WORK * 4);
    }
    if (transposeB) packB(rt.f32, bp >> 2, b, k, n, 1, k);
    else packB(rt.f32, bp >> 2, b, k, n, n, 1);
    writeBias(rt, bias, n, undefined);
    rt.i32[taps >> 2] = 0;
    params(rt, [at, k * 4, bp, c.at, n * 4, m, k, n, bias, 0, 0, taps, 0]);
    rt.run('gemm', m * k * n >= PARALLEL_WORK);
    c.flush();
  }

  function channelMoments(x: Float32Array, mean: Float64Array, variance: Float64Array): void {
    const channels = mean.length;
    const n = x.length;
    if (n === 0 || channels === 0) {
      jsBackend.channelMoments(x, mean, variance);
      return;
    }
    const rows = n / channels;
    const runs = sumRuns(rows);
    rt.reset();
    const xi = place(rt, x, n);
    const partials = rt.alloc(runs * channels * 8);
    const [meanAt, varianceAt] = [0, 1].map(() => rt.alloc(channels * 8));
    rt.commit();
    xi.fill();
    // Σ x / rows (centre 0: no centre), then Σ (x − mean)² / rows
    const averageOverRows = (centre: number, at: number) => {
      params(rt, [xi.at, rows, channels, runs, partials, centre, at, 0, 0]);
      rt.run('channel_sums', runs > 1 && n >= PARALLEL_SUMS);
    };
    averageOverRows(0, meanAt);
    averageOverRows(meanAt, varianceAt);
    mean.set(rt.f64.subarray(meanAt >> 3, (meanAt >> 3) + channels));
    variance.set(rt.f64.subarray(varianceAt >> 3, (varianceAt >> 3) + channels));
  }

  function batchNorm(x: Float32Array, info: BatchNormInfo, out: Float32Array, normalized?: Float32Array): void {
    const channels = info.mean.length;
    const n = x.length;
    if (n === 0 || channels === 0) return;
    rt.reset();
    const xi = place(rt, x, n);
    const o = target(rt, out, n);
    const kept = normalized ? target(rt, normalized, n) : undefined;
    const values = rt.alloc(channels * 32);
    rt.commit();
    xi.fill();
    const [mean, inverseStd, scale, offset] = [info.mean, info.inverseStd, info.scale, info.offset].map((v, i) => {
      const at = values + i * channels * 8;
      rt.f64.set(v, at >> 3);
      return at;
    });
    params(rt, [xi.at, o.at, kept ? kept.at : 0, n / channels, channels, mean, inverseStd, scale, offset, 0]);
    rt.run('batch_norm', n >= PARALLEL_WORK);
    o.flush();
    kept?.flush();
  }

  function batchNormBackward(
    dy: Float32Array,
    normalized: Float32Array,
    inputScale: Float64Array,
    sumDy: Float64Array,
    sumDyNormalized: Float64Array,
    dx?: Float32Array,
  ): void {
    const channels = inputScale.length;
    const n = dy.length;
    if (n === 0 || channels === 0) {
      jsBackend.batchNormBackward(dy, normalized, inputScale, sumDy, sumDyNormalized, dx);
      return;
    }
    const rows = n / channels;
    rt.reset();
    const grad = place(rt, dy, n);
    const kept = place(rt, normalized, n);
    const o = dx ? target(rt, dx, n) : undefined;
    const runs = sumRuns(rows);
    // each run's Σ dy and Σ dy·x̂, their totals, then γ/σ and the two means over rows for dx
    const [partials, partialsNormalized] = [0, 1].map(() => rt.alloc(runs * channels * 8));
    const [sums, sumsNormalized, scale, means, meansNormalized] = Array.from({ length: 5 }, () => rt.alloc(channels * 8));
    rt.commit();
    grad.fill();
    kept.fill();
    params(rt, [grad.at, kept.at, rows, channels, runs, partials, partialsNormalized, sums, sumsNormalized, 0, 0]);
    rt.run('batch_norm_sums', runs > 1 && n >= PARALLEL_SUMS);
    const f64 = rt.f64;
    sumDy.set(f64.subarray(sums >> 3, (sums >> 3) + channels));
    sumDyNormalized.set(f64.subarray(sumsNormalized >> 3, (sumsNormalized >> 3) + channels));
    if (!o) return;
    f64.set(inputScale, scale >> 3);
    for (let c = 0; c < channels; c++) {
      f64[(means >> 3) + c] = sumDy[c] / rows;
      f64[(meansNormalized >> 3) + c] = sumDyNormalized[c] / rows;
    }
    params(rt, [grad.at, kept.at, o.at, rows, channels, scale, means, meansNormalized, 0]);
    rt.run('batch_norm_input_grad', n >= PARALLEL_WORK);
    o.flush();
  }

  const unaryIds: Partial<Record<UnaryOp, number>> = { relu: 0, neg: 1, abs: 2, sqrt: 3, square: 4 };
  const binaryIds: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 };
  /** Element-wise work below this many elements is not worth the copies into wasm memory. */
  const ELEMENTWISE_MIN = 1 << 14;
  const resident = (a: TypedArray) => a instanceof Float32Array && rt.addressOf(a) >= 0;

  function unary(op: UnaryOp, x: TypedArray, out: TypedArray): void {
    const id = unaryIds[op];
    const small = x.length < ELEMENTWISE_MIN && !(resident(x) && resident(out));
    if (id === undefined || !(x instanceof Float32Array) || !(out instanceof Float32Array) || small) {
      jsBackend.unary(op, x, out);
      return;
    }
    const n = x.length;
    rt.reset();
    const xi = place(rt, x, n);
    const o = target(rt, out, n);
    rt.commit();
    xi.fill();
    params(rt, [id, xi.at, o.at, n, 0]);
    rt.run('unary_f32', n >= PARALLEL_WORK * 4);
    o.flush();
  }

  function binary(
    op: BinaryOp,
    a: TypedArray,
    aShape: readonly number[],
    b: TypedArray,
    bShape: readonly number[],
    out: TypedArray,
    outShape: readonly number[],
  ): void {
    const id = binaryIds[op];
    const n = out.length;
    const floats = a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array;
    // supported: equal shapes, or one side a trailing-axes suffix of the output (a scalar, a bias row)
    let swap = false;
    let full = a;
    let part = b;
    if (a.length !== n) {
      swap = true;
      full = b;
      part = a;
    }
    const partShape = swap ? aShape : bShape;
    const fullShape = swap ? bShape : aShape;
    const suffix = part.length === 1 || part.length === n || isTrailingSuffix(partShape, outShape);
    if (id === undefined || !floats || n < ELEMENTWISE_MIN || full.length !== n || !sameShape(fullShape, outShape) || !suffix) {
      jsBackend.binary(op, a, aShape, b, bShape, out, outShape);
      return;
    }
    rt.reset();
    const fi = place(rt, full as Float32Array, n);
    const pi = part === full ? fi : place(rt, part as Float32Array, part.length);
    const o = target(rt, out as Float32Array, n);
    rt.commit();
    fi.fill();
    if (pi !== fi) pi.fill();
    params(rt, [id, fi.at, pi.at, o.at, n, part.length, swap ? 1 : 0, 0]);
    rt.run('binary_f32', n >= PARALLEL_WORK * 4);
    o.flush();
  }

  return {
    conv2d,
    conv2dBackpropInput,
    conv2dBackpropFilter,
    conv2dBackward,
    maxPool: (x: Float32Array, info: Pool2DInfo, out: Float32Array) => pool('max_pool', x, info, out),
    avgPool: (x: Float32Array, info: Pool2DInfo, out: Float32Array) => pool('avg_pool', x, info, out),
    maxPoolBackprop: (x: Float32Array, dy: Float32Array, info: Pool2DInfo, dx: Float32Array) =>
      poolBackprop('max_pool_backprop', dy, x, info, dx),
    avgPoolBackprop: (dy: Float32Array, info: Pool2DInfo, dx: Float32Array) => poolBackprop('avg_pool_backprop', dy, undefined, info, dx),
    maxPoolBackward,
    matMul: (a: Float32Array, b: Float32Array, m: number, k: number, n: number, out: Float32Array) =>
      matMulTransposed(a, b, m, k, n, out, false, false),
    matMulTransposed,
    unary,
    binary,
    channelMoments,
    batchNorm,
    batchNormBackward,
    residentBuffer: (length: number) => rt.resident(length),
  };
}

/**
 * out[0..n) = the sum, in order, of `count` partial arrays of `stride` floats (a multiple of 4)
 * from byte address `first`, added up in wasm into the first.
 */
function sumPartials(rt: Runtime, first: number, stride: number, count: number, out: Float32Array, n: number): void {
  params(rt, [first, stride * 4, count, stride]);
  rt.run('sum_partials', false);
  out.set(rt.f32.subarray(first >> 2, (first >> 2) + n));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Whether `part` (leading 1s allowed) equals the trailing axes of `out`. */
function isTrailingSuffix(part: readonly number[], out: readonly number[]): boolean {
  const dims = part.slice(part.findIndex((d) => d !== 1));
  if (dims.length > out.length) return false;
  const tail = out.slice(out.length - dims.length);
  return sameShape(dims, tail);
}
