// Entry of the image codecs' Wasm module: pixel loops called from src/image with pointers into
// this module's memory, which the JS side lays out (see src/image/wasm/codec.ts); nothing here allocates.
export { jpeg_decode_scan, jpeg_huffman_table, jpeg_idct, jpeg_output } from './jpeg';
export { u8_to_f32 } from './convert';
export { png_rgb_to_gray8, png_unfilter } from './png';
