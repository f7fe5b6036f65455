/**
 * TensorFlow's ImageProjectiveTransformV3 (what Keras' `ops.image.affine_transform` runs on the
 * TensorFlow backend, and tfjs' `tf.image.transform`), for the geometric augmentation layers, and
 * its adjoint for their backward pass. Images are [batch, height, width, channels]; each image has
 * its transform [a0, a1, a2, b0, b1, b2, c0, c1], which maps an output point (x, y) to the input
 * point ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.
 */

export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
export type Interpolation = 'bilinear' | 'nearest';

export const FILL_MODES: readonly FillMode[] = ['reflect', 'wrap', 'constant', 'nearest'];
export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'nearest'];

export interface SamplingOptions {
  interpolation: Interpolation;
  fillMode: FillMode;
  fillValue: number;
}

/**
 * An input coordinate outside [0, length − 1] brought back inside as the fill mode extends the
 * image (TensorFlow's map_coordinate): reflect (d c b a | a b c d | d c b a), wrap
 * (a b c d | a b c d), nearest (a a | a b c d | d d); constant leaves it outside.
 */
export function mapCoordinate(coord: number, length: number, mode: FillMode): number {
  let c = coord;
  if (mode === 'constant') return c;
  if (mode === 'reflect') {
    if (c < 0) {
      if (length <= 1) c = 0;
      else {
        const period = 2 * length;
        if (c < period) c += period * Math.trunc(-c / period);
        c = c < -length ? c + period : -c - 1;
      }
    } else if (c > length - 1) {
      if (length <= 1) c = 0;
      else {
        const period = 2 * length;
        c -= period * Math.trunc(c / period);
        if (c >= length) c = period - c - 1;
      }
    }
  } else if (mode === 'wrap') {
    // TensorFlow's steps of length − 1 (not length), kept for the same results
    if (c < 0) c = length <= 1 ? 0 : c + length * (Math.trunc(-c / (length - 1)) + 1);
    else if (c > length - 1) c = length <= 1 ? 0 : c - length * Math.trunc(c / (length - 1));
  }
  // reflect and wrap can land half a pixel past the last one (which nearest would round onto)
  return Math.min(Math.max(c, 0), length - 1);
}

/** C++'s std::round, as TensorFlow's nearest interpolation rounds: halves away from zero. */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * Where one output pixel's value comes from: up to four input pixels (their index in the image,
 * height × width, without channels) with weights, and the weight of the fill value (pixels
 * outside the image, in constant mode, or a point at infinity).
 */
class Taps {
  readonly index = new Int32Array(4);
  readonly weight = new Float64Array(4);
  count = 0;
  fill = 0;

  add(y: number, x: number, weight: number, height: number, width: number): void {
    if (weight === 0) return;
    if (y >= 0 && y < height && x >= 0 && x < width) {
      this.index[this.count] = y * width + x;
      this.weight[this.count++] = weight;
    } else {
      this.fill += weight;
    }
  }
}

function pixelTaps(
  t: ArrayLike<number>,
  offset: number,
  outX: number,
  outY: number,
  height: number,
  width: number,
  options: SamplingOptions,
  taps: Taps,
): void {
  taps.count = 0;
  taps.fill = 0;
  const k = t[offset + 6] * outX + t[offset + 7] * outY + 1;
  if (k === 0) {
    taps.fill = 1;
    return;
  }
  const x = mapCoordinate((t[offset] * outX + t[offset + 1] * outY + t[offset + 2]) / k, width, options.fillMode);
  const y = mapCoordinate((t[offset + 3] * outX + t[offset + 4] * outY + t[offset + 5]) / k, height, options.fillMode);
  if (options.interpolation === 'nearest') {
    taps.add(roundHalfAway(y), roundHalfAway(x), 1, height, width);
    return;
  }
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const [wy0, wy1, wx0, wx1] = [y0 + 1 - y, y - y0, x0 + 1 - x, x - x0];
  taps.add(y0, x0, wy0 * wx0, height, width);
  taps.add(y0, x0 + 1, wy0 * wx1, height, width);
  taps.add(y0 + 1, x0, wy1 * wx0, height, width);
  taps.add(y0 + 1, x0 + 1, wy1 * wx1, height, width);
}

/** Float arrays the transform writes: float32 in the layers, float64 for exact checks. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Each image of `src` (shape [batch, height, width, channels]) through its transform (8 numbers
 * per image in `transforms`), written to `out` (same shape): the output image samples the input
 * at the transformed point, bilinear or nearest, outside points filled as `fillMode` says.
 */
export function projectiveTransform(
  src: ArrayLike<number>,
  shape: readonly number[],
  transforms: ArrayLike<number>,
  options: SamplingOptions,
  out: FloatArray,
): void {
  const [batch, height, width, channels] = shape;
  const taps = new Taps();
  const size = height * width * channels;
  for (let n = 0; n < batch; n++) {
    const image = n * size;
    let o = image;
    for (let outY = 0; outY < height; outY++) {
      for (let outX = 0; outX < width; outX++, o += channels) {
        pixelTaps(transforms, 8 * n, outX, outY, height, width, options, taps);
        const fill = taps.fill * options.fillValue;
        for (let c = 0; c < channels; c++) {
          let v = fill;
          for (let j = 0; j < taps.count; j++) v += taps.weight[j] * src[image + taps.index[j] * channels + c];
          out[o + c] = v;
        }
      }
    }
  }
}

/**
 * The adjoint of projectiveTransform in its input (the transform is linear in the pixels, plus
 * the fill): each output gradient goes back to the input pixels it sampled, in their weights.
 * `dx` is overwritten.
 */
export function projectiveTransformBackward(
  dy: ArrayLike<number>,
  shape: readonly number[],
  transforms: ArrayLike<number>,
  options: SamplingOptions,
  dx: FloatArray,
): void {
  const [batch, height, width, channels] = shape;
  dx.fill(0);
  const taps = new Taps();
  const size = height * width * channels;
  for (let n = 0; n < batch; n++) {
    const image = n * size;
    let o = image;
    for (let outY = 0; outY < height; outY++) {
      for (let outX = 0; outX < width; outX++, o += channels) {
        pixelTaps(transforms, 8 * n, outX, outY, height, width, options, taps);
        for (let j = 0; j < taps.count; j++) {
          const i = image + taps.index[j] * channels;
          const w = taps.weight[j];
          for (let c = 0; c < channels; c++) dx[i + c] += w * dy[o + c];
        }
      }
    }
  }
}
