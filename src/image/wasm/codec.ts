import { decodeBase64 } from '../../backend/wasm/base64.js';
import { codecBinary } from './generated/codec.js';

/** The exports of src/image/wasm/assembly: pointers are byte offsets into `memory`. */
interface CodecExports {
  memory: WebAssembly.Memory;
  png_unfilter(src: number, dst: number, rows: number, rowBytes: number, bpp: number): number;
  png_rgb_to_gray8(src: number, dst: number, n: number, channels: number, tables: number): void;
  jpeg_huffman_table(table: number): void;
  jpeg_decode_scan(scan: number): number;
  /** `fast`: libjpeg's fast IDCT, `quant` then holding its 64 i16 multipliers; else the accurate one. */
  jpeg_idct(
    coefs: number,
    blocksPerLine: number,
    blocksWide: number,
    blocksHigh: number,
    quant: number,
    plane: number,
    workspace: number,
    fast: boolean,
  ): void;
  jpeg_output(output: number): void;
  u8_to_f32(src: number, dst: number, n: number, scale: number): void;
}

const PAGE = 65536;
/** Where blocks start: offset 0 stays free, so that 0 can mean "no table". */
const BASE = 16;

let exports: CodecExports | undefined;

/**
 * The image codecs' Wasm module, compiled on first use. Synchronously, because decoding is: the
 * module is a few kilobytes, far below the size browsers allow a page to compile that way.
 */
export function codec(): CodecExports {
  exports ??= new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(codecBinary))).exports as unknown as CodecExports;
  return exports;
}

/**
 * Lays out one call's blocks (byte sizes) in the module's memory from `start` on, growing it as
 * needed, and returns their offsets, each 16-byte aligned. Calls do not nest, so each call starts
 * afresh, from the bottom or after data it already has there.
 */
export function layout(sizes: number[], start = BASE): number[] {
  const offsets: number[] = [];
  let top = (start + 15) & ~15;
  for (const size of sizes) {
    offsets.push(top);
    top += (size + 15) & ~15;
  }
  const memory = codec().memory;
  if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / PAGE));
  return offsets;
}

/** The module's memory as bytes (a new view after `layout` may have grown it). */
export function bytes(): Uint8Array {
  return new Uint8Array(codec().memory.buffer);
}
