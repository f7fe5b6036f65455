// Pixel type conversions (convert_image_dtype.ts).

/**
 * `n` uint8 samples at `src` to float32 at `dst`, each times `scale`: 16 at a time in SIMD. The
 * float32 product of a byte and a float32 is what JavaScript's double product rounds to.
 */
export function u8_to_f32(src: usize, dst: usize, n: i32, scale: f32): void {
  const k = f32x4.splat(scale);
  const count = <usize>n;
  let i: usize = 0;
  for (; i + 16 <= count; i += 16) {
    const bytes = v128.load(src + i);
    const low = i16x8.extend_low_i8x16_u(bytes);
    const high = i16x8.extend_high_i8x16_u(bytes);
    const out = dst + (i << 2);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(low)), k));
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(low)), k), 16);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(high)), k), 32);
    v128.store(out, f32x4.mul(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(high)), k), 48);
  }
  for (; i < count; i++) store<f32>(dst + (i << 2), <f32>load<u8>(src + i) * scale);
}
