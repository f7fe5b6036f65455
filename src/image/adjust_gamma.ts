import { ConvlensError } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { convertImage, type ImageDType } from './convert_image_dtype.js';

/**
 * Gamma correction as TensorFlow's `tf.image.adjust_gamma(image, gamma, gain)`:
 * `gain * image ** gamma`, element-wise, in float32. A float32 image is used as it is (values
 * are not clipped); an integer image is converted to 0..1 first (convertImageDtype) and back
 * with saturation (clipped to 0..255 for uint8), so the result keeps the input's dtype.
 * gamma > 1 darkens, gamma < 1 brightens. `gamma` must be ≥ 0.
 */
export function adjustGamma(image: TensorInput, gamma = 1, gain = 1): Tensor {
  const op = 'adjustGamma';
  const t = asTensor(op, 'image', image);
  if (t.dtype === 'bool') throw new ConvlensError(`${op}: image must be float32, int32 or uint8, got bool`);
  if (typeof gamma !== 'number' || !(gamma >= 0)) {
    throw new ConvlensError(`${op}: gamma must be a non-negative number, got ${typeof gamma === 'number' ? gamma : typeof gamma}`);
  }
  if (typeof gain !== 'number' || Number.isNaN(gain)) {
    throw new ConvlensError(`${op}: gain must be a number, got ${typeof gain === 'number' ? gain : typeof gain}`);
  }
  const g = Math.fround(gamma);
  const k = Math.fround(gain);
  const flt = convertImage(t, 'float32', false).data;
  const out = new Float32Array(flt.length);
  for (let i = 0; i < flt.length; i++) out[i] = k * Math.fround(flt[i] ** g);
  return convertImage(new Tensor(out, t.shape, 'float32'), t.dtype as ImageDType, true);
}
