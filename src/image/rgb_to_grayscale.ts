import { ConvlensError } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { convertImage, type ImageDType } from './convert_image_dtype.js';

const WEIGHTS = [Math.fround(0.2989), Math.fround(0.587), Math.fround(0.114)];

/**
 * RGB → gray as TensorFlow's `tf.image.rgb_to_grayscale`: the last axis (3) becomes 1, holding
 * 0.2989 R + 0.5870 G + 0.1140 B; any rank ≥ 1 (one image, a batch, ...); keeps the dtype.
 * Integer images go through convertImageDtype to float32 (x / 255 for uint8), are weighted in
 * float32 and converted back (× 255.5, truncated): uint8 gray 100 stays 100. (TensorFlow.js
 * skips the scaling and truncates 99.99 to 99; this follows TensorFlow.)
 */
export function rgbToGrayscale(images: TensorInput): Tensor {
  const op = 'rgbToGrayscale';
  const t = asTensor(op, 'images', images);
  if (t.dtype === 'bool') throw new ConvlensError(`${op}: images must be float32, int32 or uint8, got bool`);
  if (t.rank < 1 || t.shape[t.rank - 1] !== 3) {
    throw new ConvlensError(`${op}: images must have 3 channels (RGB) on the last axis, got shape ${formatShape(t.shape)}`);
  }
  const flt = convertImage(t, 'float32', false).data;
  const n = flt.length / 3;
  const gray = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const r = Math.fround(flt[3 * p] * WEIGHTS[0]);
    const g = Math.fround(flt[3 * p + 1] * WEIGHTS[1]);
    const b = Math.fround(flt[3 * p + 2] * WEIGHTS[2]);
    gray[p] = Math.fround(r + g) + b;
  }
  const shape = [...t.shape.slice(0, -1), 1];
  return convertImage(new Tensor(gray, shape, 'float32'), t.dtype as ImageDType, false);
}
