/**
 * libjpeg-turbo's accurate integer inverse DCT (jidctint.c, jpeg_idct_islow), the one TensorFlow's
 * decode_jpeg uses: a separable Loeffler–Ligtenberg–Moschytz IDCT in 13-bit fixed point, columns
 * first with 2 extra bits of precision kept between the passes, then rows, then libjpeg's range
 * limit (+128, clamped to 0..255 after wrapping to 10 bits as its RANGE_MASK table lookup does).
 */

const CONST_BITS = 13;
const PASS1_BITS = 2;

// FIX(x) = round(x * 2^13), the values jidctint.c spells out. Products use Math.imul so V8 keeps
// to int32 arithmetic; they wrap only for coefficients far beyond what 8-bit samples can encode.
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

/** Column-pass results between the two passes (one block at a time). */
const workspace = new Int32Array(64);

/**
 * libjpeg's post-IDCT range limit table, indexed by a descaled value's low 10 bits (RANGE_MASK):
 * read as -512..511, plus 128, clamped to a sample.
 */
const RANGE_LIMIT = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) RANGE_LIMIT[i] = Math.min(255, Math.max(0, ((i << 22) >> 22) + 128));

/**
 * Dequantises the 64 coefficients at coefs[offset..] (natural order) with quant (natural order)
 * and writes the 8×8 samples to out at outOffset, rows stride apart.
 *
 * The 1-D butterfly is written out in both passes, as in jidctint.c: the passes load and store
 * differently (dequantise and keep 2 extra bits, then descale and range-limit), and written out
 * the hot loops need no call and no scratch array for the eight terms.
 */
export function idctBlock(coefs: Int16Array, offset: number, quant: Uint16Array, out: Uint8Array, outOffset: number, stride: number): void {
  const ws = workspace;
  const limit = RANGE_LIMIT;
  for (let col = 0; col < 8; col++) {
    const i = offset + col;
    if (
      coefs[i + 8] === 0 &&
      coefs[i + 16] === 0 &&
      coefs[i + 24] === 0 &&
      coefs[i + 32] === 0 &&
      coefs[i + 40] === 0 &&
      coefs[i + 48] === 0 &&
      coefs[i + 56] === 0
    ) {
      // Only the DC term: the column is constant (the same result as the full pass).
      const dc = Math.imul(coefs[i], quant[col]) << PASS1_BITS;
      for (let row = 0; row < 64; row += 8) ws[row + col] = dc;
      continue;
    }
    // Even part.
    let z2 = Math.imul(coefs[i + 16], quant[col + 16]);
    let z3 = Math.imul(coefs[i + 48], quant[col + 48]);
    let z1 = Math.imul(z2 + z3, FIX_0_541196100);
    let tmp2 = z1 - Math.imul(z3, FIX_1_847759065);
    let tmp3 = z1 + Math.imul(z2, FIX_0_765366865);
    z2 = Math.imul(coefs[i], quant[col]);
    z3 = Math.imul(coefs[i + 32], quant[col + 32]);
    let tmp0 = (z2 + z3) << CONST_BITS;
    let tmp1 = (z2 - z3) << CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    // Odd part.
    tmp0 = Math.imul(coefs[i + 56], quant[col + 56]);
    tmp1 = Math.imul(coefs[i + 40], quant[col + 40]);
    tmp2 = Math.imul(coefs[i + 24], quant[col + 24]);
    tmp3 = Math.imul(coefs[i + 8], quant[col + 8]);
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = Math.imul(z3 + z4, FIX_1_175875602);
    tmp0 = Math.imul(tmp0, FIX_0_298631336);
    tmp1 = Math.imul(tmp1, FIX_2_053119869);
    tmp2 = Math.imul(tmp2, FIX_3_072711026);
    tmp3 = Math.imul(tmp3, FIX_1_501321110);
    z1 = Math.imul(z1, -FIX_0_899976223);
    z2 = Math.imul(z2, -FIX_2_562915447);
    z3 = Math.imul(z3, -FIX_1_961570560) + z5;
    z4 = Math.imul(z4, -FIX_0_390180644) + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    ws[col] = (tmp10 + tmp3 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[col + 56] = (tmp10 - tmp3 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[col + 8] = (tmp11 + tmp2 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[col + 48] = (tmp11 - tmp2 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[col + 16] = (tmp12 + tmp1 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[col + 40] = (tmp12 - tmp1 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[col + 24] = (tmp13 + tmp0 + PASS1_ROUND) >> PASS1_SHIFT;
    ws[col + 32] = (tmp13 - tmp0 + PASS1_ROUND) >> PASS1_SHIFT;
  }

  for (let row = 0; row < 64; row += 8) {
    const o = outOffset + (row >> 3) * stride;
    if (
      ws[row + 1] === 0 &&
      ws[row + 2] === 0 &&
      ws[row + 3] === 0 &&
      ws[row + 4] === 0 &&
      ws[row + 5] === 0 &&
      ws[row + 6] === 0 &&
      ws[row + 7] === 0
    ) {
      const dc = limit[((ws[row] + DC_ROUND) >> DC_SHIFT) & 1023];
      out[o] = dc;
      out[o + 1] = dc;
      out[o + 2] = dc;
      out[o + 3] = dc;
      out[o + 4] = dc;
      out[o + 5] = dc;
      out[o + 6] = dc;
      out[o + 7] = dc;
      continue;
    }
    // Even part.
    let z2 = ws[row + 2];
    let z3 = ws[row + 6];
    let z1 = Math.imul(z2 + z3, FIX_0_541196100);
    let tmp2 = z1 - Math.imul(z3, FIX_1_847759065);
    let tmp3 = z1 + Math.imul(z2, FIX_0_765366865);
    let tmp0 = (ws[row] + ws[row + 4]) << CONST_BITS;
    let tmp1 = (ws[row] - ws[row + 4]) << CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    // Odd part.
    tmp0 = ws[row + 7];
    tmp1 = ws[row + 5];
    tmp2 = ws[row + 3];
    tmp3 = ws[row + 1];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = Math.imul(z3 + z4, FIX_1_175875602);
    tmp0 = Math.imul(tmp0, FIX_0_298631336);
    tmp1 = Math.imul(tmp1, FIX_2_053119869);
    tmp2 = Math.imul(tmp2, FIX_3_072711026);
    tmp3 = Math.imul(tmp3, FIX_1_501321110);
    z1 = Math.imul(z1, -FIX_0_899976223);
    z2 = Math.imul(z2, -FIX_2_562915447);
    z3 = Math.imul(z3, -FIX_1_961570560) + z5;
    z4 = Math.imul(z4, -FIX_0_390180644) + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    out[o] = limit[((tmp10 + tmp3 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 7] = limit[((tmp10 - tmp3 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 1] = limit[((tmp11 + tmp2 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 6] = limit[((tmp11 - tmp2 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 2] = limit[((tmp12 + tmp1 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 5] = limit[((tmp12 - tmp1 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 3] = limit[((tmp13 + tmp0 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
    out[o + 4] = limit[((tmp13 - tmp0 + PASS2_ROUND) >> PASS2_SHIFT) & 1023];
  }
}
