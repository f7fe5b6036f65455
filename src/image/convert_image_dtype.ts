import { ConvlensError } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { allocateOutput, type DType, type TypedArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { bytes, codec, layout } from './wasm/codec.js';

export type ImageDType = 'float32' | 'int32' | 'uint8';

/** The largest value of an integer image dtype: images of that dtype span 0..max. */
const MAX: Record<'int32' | 'uint8', number> = { uint8: 255, int32: 2147483647 };
const IMAGE_DTYPES = ['float32', 'int32', 'uint8'];
/** uint8 → float32 of at least this many samples runs in Wasm, CHUNK samples per call. */
const WASM_MIN = 4096;
const CHUNK = 1 << 18;

export function checkImageDType(op: string, arg: string, dtype: unknown): asserts dtype is ImageDType {
  if (!IMAGE_DTYPES.includes(dtype as string)) {
    const got = typeof dtype === 'string' ? dtype : typeof dtype;
    throw new ConvlensError(`${op}: ${arg} must be float32, int32 or uint8, got ${got}`);
  }
}

/**
 * Converts an image to another dtype, scaling its values, exactly as TensorFlow's
 * `tf.image.convert_image_dtype(image, dtype, saturate)`: floats hold 0..1, integers 0..MAX
 * (255 for uint8, 2^31 − 1 for int32). All arithmetic is float32, as in TensorFlow.
 *
 * - Same dtype: the image itself, unchanged (no clipping or rescaling even for floats outside 0..1).
 * - Integer → float32: `x * float32(1 / MAX)` (for uint8 that is x × 0.003921569, which gives
 *   exactly 1 for 255).
 * - float32 → integer: `x * (MAX + 0.5)` (255.5 for uint8; 2^31 in float32 for int32), truncated
 *   toward zero. Without `saturate`, values outside 0..1 then wrap like `cast` (−0.1 → −25 → 231 as
 *   uint8); with `saturate` the scaled value is clipped to the output range first (for int32 to
 *   [−2^31, 2147483520], the largest float32 below 2^31, as TF's saturate_cast does).
 * - uint8 → int32: `x * 2^23` (so 255 → 2139095040, not 2^31 − 1; converting back is exact).
 * - int32 → uint8: floor division by 2^23, then cast (wrapping) or, with `saturate`, clipping to 0..255.
 */
export function convertImageDtype<D extends ImageDType>(image: TensorInput, dtype: D, saturate = false): Tensor<D> {
  const op = 'convertImageDtype';
  const t = asTensor(op, 'image', image);
  checkImageDType(op, 'dtype', dtype);
  if (t.dtype === 'bool') throw new ConvlensError(`${op}: image must be float32, int32 or uint8, got bool`);
  if (typeof saturate !== 'boolean') throw new ConvlensError(`${op}: saturate must be true or false, got ${typeof saturate}`);
  return convertImage(t, dtype, saturate);
}

/**
 * convertImageDtype without argument checks, for the other image ops; `into` (at least the
 * image's size) receives the converted values instead of a new array.
 */
export function convertImage<D extends ImageDType>(t: Tensor, dtype: D, saturate: boolean, into?: Tensor<D>['data']): Tensor<D> {
  if (t.dtype === dtype) return t as Tensor<D>;
  const from = t.dtype as ImageDType;
  const src = t.data;
  const n = src.length;
  const out = (into ? into.subarray(0, n) : allocateOutput(dtype as DType, n, 'convertImageDtype')) as Tensor<D>['data'];
  if (from !== 'float32' && dtype !== 'float32') {
    if (from === 'uint8') uint8ToInt32(src, out);
    else int32ToUint8(src, out, saturate);
  } else if (dtype === 'float32' && from === 'uint8') {
    uint8ToFloat(src as Uint8Array, out as Float32Array, Math.fround(1 / 255));
  } else if (dtype === 'float32') {
    intToFloat(src, out, Math.fround(1 / MAX[from as 'int32' | 'uint8']));
  } else {
    floatToInt(src, out, Math.fround(MAX[dtype as 'int32' | 'uint8'] + 0.5), dtype === 'uint8', saturate);
  }
  return new Tensor(out, t.shape, dtype);
}

// Each conversion loop is a function of its own that ends with the loop: V8 compiles a long loop
// while it runs (OSR), and code after it that has never run would throw that compiled code away.

function uint8ToInt32(src: TypedArray, out: TypedArray): void {
  for (let i = 0; i < src.length; i++) out[i] = src[i] * 8388608;
}

function int32ToUint8(src: TypedArray, out: TypedArray, saturate: boolean): void {
  for (let i = 0; i < src.length; i++) {
    const scaled = Math.floor(src[i] / 8388608);
    out[i] = saturate ? Math.min(255, Math.max(0, scaled)) : scaled;
  }
}

/**
 * uint8 → float32, a decoded photo's first step: in Wasm SIMD for an image (about twice as fast
 * as V8's loop), else a loop with the array types fixed, which V8 compiles about twice as fast as
 * the shared one below, which sees several array types.
 */
function uint8ToFloat(src: Uint8Array, out: Float32Array, scale: number): void {
  if (src.length < WASM_MIN) {
    for (let i = 0; i < src.length; i++) out[i] = src[i] * scale;
    return;
  }
  // a chunk at a time, so that the codec's memory stays small
  for (let at = 0; at < src.length; at += CHUNK) {
    const n = Math.min(CHUNK, src.length - at);
    const [from, to] = layout([n, 4 * n]);
    bytes().set(src.subarray(at, at + n), from);
    codec().u8_to_f32(from, to, n, scale);
    out.set(new Float32Array(codec().memory.buffer, to, n), at);
  }
}

function intToFloat(src: TypedArray, out: TypedArray, scale: number): void {
  for (let i = 0; i < src.length; i++) out[i] = Math.fround(src[i]) * scale;
}

function floatToInt(src: TypedArray, out: TypedArray, scale: number, toUint8: boolean, saturate: boolean): void {
  const lo = toUint8 ? 0 : -2147483648;
  const hi = toUint8 ? 255 : 2147483520;
  for (let i = 0; i < src.length; i++) {
    let v = Math.fround(src[i] * scale);
    if (saturate) v = Math.min(hi, Math.max(lo, v));
    out[i] = Math.trunc(v);
  }
}
