import { describe, expect, it } from 'vitest';
import { maxDiff, reportDiff } from '../../test/helpers/close.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import {
  FILL_MODES,
  INTERPOLATIONS,
  mapCoordinate,
  projectiveTransform,
  projectiveTransformBackward,
  type SamplingOptions,
} from './projective_transform.js';

/** A random transform (float32, as TensorFlow's are): rotation, scale, shear and shift about a random point, sometimes projective. */
function randomTransform(rng: Rng, height: number, width: number): Float32Array {
  const angle = rng.float(-Math.PI, Math.PI);
  const [sx, sy] = [rng.float(0.5, 1.6), rng.float(0.5, 1.6)];
  const shear = rng.float(-0.4, 0.4);
  const [tx, ty] = [rng.float(-width, width), rng.float(-height, height)];
  const [c0, c1] = rng.bool(0.3) ? [rng.float(-0.05, 0.05), rng.float(-0.05, 0.05)] : [0, 0];
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  return Float32Array.from([sx * cos, sx * (shear * cos - sin), tx, sy * sin, sy * cos, ty, c0, c1]);
}

/** tfjs' tf.image.transform, one image at a time (its CPU kernel returns after the first image of a batch). */
function tfjsTransform(src: Float32Array, shape: number[], transforms: Float32Array, options: SamplingOptions): Float32Array {
  const [batch, height, width, channels] = shape;
  const size = height * width * channels;
  const out = new Float32Array(src.length);
  for (let n = 0; n < batch; n++) {
    const image = tf.tensor4d(src.subarray(n * size, (n + 1) * size), [1, height, width, channels]);
    const t = tf.tensor2d(transforms.subarray(8 * n, 8 * n + 8), [1, 8]);
    const result = tf.image.transform(image, t, options.interpolation, options.fillMode, options.fillValue);
    out.set(result.dataSync(), n * size);
    tf.dispose([image, t, result]);
  }
  return out;
}

describe('projectiveTransform (TensorFlow ImageProjectiveTransformV3)', () => {
  it("matches tfjs' tf.image.transform on random images and transforms, every fill mode and interpolation", () => {
    let worst = 0;
    let cases = 0;
    for (let i = 0; i < 64; i++) {
      const rng = caseRng('projective vs tfjs', i);
      const shape = [rng.int(1, 3), rng.int(1, 9), rng.int(1, 9), rng.int(1, 3)];
      const options: SamplingOptions = {
        interpolation: INTERPOLATIONS[i % 2],
        fillMode: FILL_MODES[(i >> 1) % 4],
        fillValue: rng.bool() ? 0 : rng.float(-2, 2),
      };
      const src = rng.floats(shape.reduce((a, b) => a * b, 1));
      const transforms = new Float32Array(8 * shape[0]);
      for (let n = 0; n < shape[0]; n++) transforms.set(randomTransform(rng, shape[1], shape[2]), 8 * n);
      const ours = new Float32Array(src.length);
      projectiveTransform(src, shape, transforms, options, ours);
      const theirs = tfjsTransform(src, shape, transforms, options);
      const diff = maxDiff(ours, theirs);
      expect(diff, `case ${i} seed ${rng.seed} ${JSON.stringify({ shape, ...options })}`).toBeLessThan(1e-5);
      worst = Math.max(worst, diff);
      // not a case of fill values only: some output pixel samples the image
      if (theirs.some((v) => v !== Math.fround(options.fillValue))) cases++;
    }
    expect(cases).toBeGreaterThan(48);
    reportDiff('projectiveTransform vs tf.image.transform', worst);
  });

  it('maps coordinates as TensorFlow does: reflect about the edge, wrap, nearest edge, constant left outside', () => {
    // length 4: reflect (d c b a | a b c d | d c b a)
    expect([-1, -4, -5, 4, 7, 8, 2.5].map((c) => mapCoordinate(c, 4, 'reflect'))).toEqual([0, 3, 3, 3, 0, 0, 2.5]);
    expect([-1, 4, 5].map((c) => mapCoordinate(c, 4, 'nearest'))).toEqual([0, 3, 3]);
    expect(mapCoordinate(-7, 4, 'constant')).toBe(-7);
    // wrap steps by length − 1 at a time, as TensorFlow's kernel does
    expect([-1, 4, 3.5].map((c) => mapCoordinate(c, 4, 'wrap'))).toEqual([3, 0, 0]);
    expect(mapCoordinate(-3, 1, 'wrap')).toBe(0);
  });

  it('its backward is the adjoint, checked by central differences in float64 (the transform is linear in the pixels)', () => {
    for (let i = 0; i < 24; i++) {
      const rng = caseRng('projective adjoint', i);
      const shape = [rng.int(1, 2), rng.int(2, 5), rng.int(2, 5), rng.int(1, 2)];
      const options: SamplingOptions = { interpolation: INTERPOLATIONS[i % 2], fillMode: FILL_MODES[(i >> 1) % 4], fillValue: 0.7 };
      const transforms = new Float32Array(8 * shape[0]);
      for (let n = 0; n < shape[0]; n++) transforms.set(randomTransform(rng, shape[1], shape[2]), 8 * n);
      const x = Float64Array.from(rng.floats(shape.reduce((a, b) => a * b, 1)));
      const w = Float64Array.from(rng.floats(x.length));
      const loss = (input: Float64Array) => {
        const out = new Float64Array(input.length);
        projectiveTransform(input, shape, transforms, options, out);
        return out.reduce((s, v, j) => s + v * w[j], 0);
      };
      const dx = new Float64Array(x.length);
      projectiveTransformBackward(w, shape, transforms, options, dx);
      const eps = 1e-3;
      for (let j = 0; j < x.length; j++) {
        const plus = x.slice();
        const minus = x.slice();
        plus[j] += eps;
        minus[j] -= eps;
        const numeric = (loss(plus) - loss(minus)) / (2 * eps);
        expect(Math.abs(numeric - dx[j]), `case ${i} seed ${rng.seed} element ${j}`).toBeLessThan(1e-9);
      }
    }
  });
});
