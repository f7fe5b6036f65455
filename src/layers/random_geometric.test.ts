import { beforeEach, describe, expect, it } from 'vitest';
import { expectClose, maxDiff, reportDiff } from '../../test/helpers/close.js';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { f32 } from '../../test/helpers/layers.js';
import { caseRng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
import { Random, setSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { RandomRotation, RandomTranslation, RandomZoom, resetNames, Sequential } from './index.js';
import { FILL_MODES, type FillMode, type Interpolation, projectiveTransform } from './projective_transform.js';

beforeEach(() => resetNames());

type Geometric = RandomRotation | RandomTranslation | RandomZoom;

/** `count` uniform draws of Keras' random.uniform(minval, maxval), from the layer's seeded stream. */
const uniform = (random: Random, count: number, min: number, max: number) =>
  Array.from({ length: count }, () => min + (max - min) * random.next());

/** Keras 3's _compute_affine_matrix for a rotation by `degrees` about the centre (scale 1, no shear or shift). */
function kerasRotation(degrees: number, height: number, width: number): number[] {
  const angle = degrees * (Math.PI / 180);
  const [cx, cy] = [0.5 * (width - 1), 0.5 * (height - 1)];
  const [a0, a1, b0, b1] = [Math.cos(angle), -Math.sin(angle), Math.sin(angle), Math.cos(angle)];
  return [a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1, 0, 0];
}

/** Keras 3's _get_translation_matrix for a shift of (dx, dy) pixels. */
const kerasTranslation = (dx: number, dy: number) => [1, 0, -dx, 0, 1, -dy, 0, 0];

/** Keras 3's _get_zoom_matrix for zooms (zx, zy). */
const kerasZoom = (zx: number, zy: number, height: number, width: number) => [
  zx,
  0,
  ((width - 1) / 2) * (1 - zx),
  0,
  zy,
  ((height - 1) / 2) * (1 - zy),
  0,
  0,
];

/** tfjs' tf.image.transform with these transforms, one image at a time (its CPU kernel stops after a batch's first image). */
function tfjsTransform(x: Tensor, transforms: number[], interpolation: Interpolation, fillMode: FillMode, fillValue: number): Float32Array {
  const [batch, height, width, channels] = x.shape;
  const size = height * width * channels;
  const out = new Float32Array(x.size);
  for (let n = 0; n < batch; n++) {
    const image = tf.tensor4d(x.data.subarray(n * size, (n + 1) * size) as Float32Array, [1, height, width, channels]);
    const t = tf.tensor2d(transforms.slice(8 * n, 8 * n + 8), [1, 8]);
    const result = tf.image.transform(image, t, interpolation, fillMode, fillValue);
    out.set(result.dataSync(), n * size);
    tf.dispose([image, t, result]);
  }
  return out;
}

/** A random layer of each kind with its seed, and Keras' transforms for its first batch (the test's own draws from that seed). */
function randomCase(i: number, shape: number[]) {
  const rng = caseRng('geometric layers', i);
  const [batch, height, width] = shape;
  const sampling = {
    fillMode: FILL_MODES[i % 4],
    interpolation: (['bilinear', 'nearest'] as const)[(i >> 2) % 2],
    fillValue: rng.bool() ? 0 : rng.float(-1, 1),
    seed: 500 + i,
  };
  const draws = new Random(sampling.seed);
  const pair = (): [number, number] => [rng.float(-0.6, 0.6), rng.float(-0.6, 0.6)];
  const kind = i % 3;
  if (kind === 0) {
    const factor = rng.bool() ? rng.float(0, 1) : pair();
    const [lower, upper] = typeof factor === 'number' ? [-factor, factor] : [...factor].sort((a, b) => a - b);
    const degrees = uniform(draws, batch, lower * 360, upper * 360);
    return {
      layer: new RandomRotation({ factor, ...sampling }) as Geometric,
      keras: degrees.flatMap((d) => kerasRotation(d, height, width)),
      sampling,
    };
  }
  const heightFactor = rng.bool() ? rng.float(0, 1) : pair();
  const widthFactor = rng.bool() ? rng.float(0, 1) : pair();
  const range = (f: number | number[]) => (typeof f === 'number' ? [-f, f] : [...f].sort((a, b) => a - b));
  const [hl, hu] = range(heightFactor);
  const [wl, wu] = range(widthFactor);
  if (kind === 1) {
    const dy = uniform(draws, batch, hl, hu).map((f) => f * height);
    const dx = uniform(draws, batch, wl, wu).map((f) => f * width);
    return {
      layer: new RandomTranslation({ heightFactor, widthFactor, ...sampling }) as Geometric,
      keras: dy.flatMap((shift, n) => kerasTranslation(dx[n], shift)),
      sampling,
    };
  }
  const keepAspect = rng.bool();
  const zy = uniform(draws, batch, 1 + hl, 1 + hu);
  const zx = keepAspect ? zy : uniform(draws, batch, 1 + wl, 1 + wu);
  return {
    layer: new RandomZoom({ heightFactor, widthFactor: keepAspect ? null : widthFactor, ...sampling }) as Geometric,
    keras: zy.flatMap((z, n) => kerasZoom(zx[n], z, height, width)),
    sampling,
  };
}

describe('RandomRotation, RandomTranslation, RandomZoom', () => {
  it('pass images through at inference', () => {
    const x = f32(caseRng('geometric inference', 0), [2, 5, 4, 3]);
    for (const layer of [
      new RandomRotation({ factor: 0.3, inputShape: [5, 4, 3] }),
      new RandomTranslation({ heightFactor: 0.2, widthFactor: 0.2, inputShape: [5, 4, 3] }),
      new RandomZoom({ heightFactor: 0.2, inputShape: [5, 4, 3] }),
    ]) {
      const model = new Sequential([layer]);
      expect(model.predict(x).data).toEqual(x.data);
      expect(model.layerOutputs(x)[0].output.data).toEqual(x.data);
    }
  });

  it("in training build Keras' transform for each image's draw, and sample as tfjs' tf.image.transform does with it", () => {
    let worst = 0;
    for (let i = 0; i < 48; i++) {
      const rng = caseRng('geometric shapes', i);
      const shape = [rng.int(1, 4), rng.int(1, 9), rng.int(1, 9), rng.int(1, 3)];
      const { layer, keras, sampling } = randomCase(i, shape);
      const x = f32(rng, shape);
      const out = layer.apply(x, true);
      const context = `case ${i} ${layer.className} ${JSON.stringify({ shape, ...sampling })}`;
      // the layer's matrices are Keras' for the same draws, in float32
      expectClose(layer.transforms!, keras, 1e-6, `${context} transforms`);
      const expected = tfjsTransform(x, keras, sampling.interpolation, sampling.fillMode, sampling.fillValue);
      const diff = maxDiff(out.data, expected);
      expect(diff, context).toBeLessThan(1e-5);
      worst = Math.max(worst, diff);
    }
    reportDiff('geometric layers vs tf.image.transform', worst);
  });

  it('rotate counter-clockwise about the centre (a quarter turn is numpy.rot90), shift down and right for positive factors, zoom in for negative', () => {
    const x = f32(caseRng('geometric meaning', 0), [1, 5, 5, 2]);
    const at = (t: Tensor, y: number, xx: number, c: number) => t.data[(y * 5 + xx) * 2 + c];
    const quarter = new RandomRotation({ factor: [0.25, 0.25], fillMode: 'constant' }).apply(x, true);
    const rot90: number[] = [];
    for (let y = 0; y < 5; y++) for (let xx = 0; xx < 5; xx++) for (let c = 0; c < 2; c++) rot90.push(at(x, xx, 4 - y, c));
    expectClose(quarter, rot90, 1e-6, 'quarter turn');
    // 0.4 of 5 rows and 0.2 of 5 columns: 2 rows down, 1 column right, zeros coming in
    const shifted = new RandomTranslation({ heightFactor: [0.4, 0.4], widthFactor: [0.2, 0.2], fillMode: 'constant' }).apply(x, true);
    for (let y = 0; y < 5; y++) {
      for (let xx = 0; xx < 5; xx++) {
        expect(at(shifted, y, xx, 1)).toBeCloseTo(y >= 2 && xx >= 1 ? at(x, y - 2, xx - 1, 1) : 0, 6);
      }
    }
    // zoom 0.5 (factor −0.5): twice as large about the centre, which stays; its neighbour one step right is half a step away
    const zoomed = new RandomZoom({ heightFactor: [-0.5, -0.5] }).apply(x, true);
    expect(at(zoomed, 2, 2, 0)).toBeCloseTo(at(x, 2, 2, 0), 6);
    expect(at(zoomed, 2, 3, 0)).toBeCloseTo((at(x, 2, 2, 0) + at(x, 2, 3, 0)) / 2, 6);
  });

  it('their gradient is the adjoint of the sampling, checked by central differences in float64 with the draws fixed', () => {
    for (let i = 0; i < 24; i++) {
      const rng = caseRng('geometric grad', i);
      const shape = [rng.int(1, 3), rng.int(2, 5), rng.int(2, 5), rng.int(1, 2)];
      const { layer, sampling } = randomCase(100 + i, shape);
      const x32 = f32(rng, shape);
      layer.apply(x32, true);
      const dy = f32(rng, shape);
      const dx = layer.backward(dy, true)!;
      const transforms = layer.transforms!;
      const options = { interpolation: sampling.interpolation, fillMode: sampling.fillMode, fillValue: sampling.fillValue };
      const x = Float64Array.from(x32.data);
      const loss = (input: Float64Array) => {
        const out = new Float64Array(input.length);
        projectiveTransform(input, shape, transforms, options, out);
        return out.reduce((s, v, j) => s + v * dy.data[j], 0);
      };
      const eps = 1e-4;
      for (let j = 0; j < x.length; j++) {
        const [plus, minus] = [x.slice(), x.slice()];
        plus[j] += eps;
        minus[j] -= eps;
        expect(Math.abs((loss(plus) - loss(minus)) / (2 * eps) - dx.data[j]), `case ${i} ${layer.className} element ${j}`).toBeLessThan(
          1e-5,
        );
      }
      expect(layer.backward(dy, false)).toBeUndefined();
    }
  });

  it('a seed repeats the draws, each call drawing anew; without one, setSeed does', () => {
    const x = f32(caseRng('geometric seed', 0), [4, 6, 6, 1]);
    const a = new RandomRotation({ factor: 0.2, seed: 11 });
    const b = new RandomRotation({ factor: 0.2, seed: 11 });
    const first = a.apply(x, true);
    expect(b.apply(x, true).data).toEqual(first.data);
    expect(a.apply(x, true).data).not.toEqual(first.data);
    setSeed(12);
    const z = new RandomZoom(0.3).apply(x, true);
    setSeed(12);
    expect(new RandomZoom(0.3).apply(x, true).data).toEqual(z.data);
  });

  it('name what is wrong', () => {
    expectConvlensError(
      () => new RandomRotation({ factor: 0.1, fillMode: 'mirror' as never }),
      "RandomRotation 'random_rotation': fillMode must be 'reflect', 'wrap', 'constant', 'nearest', got \"mirror\"",
    );
    expectConvlensError(
      () => new RandomRotation({ factor: 0.1, interpolation: 'bicubic' as never }),
      /interpolation must be 'bilinear', 'nearest', got "bicubic"/,
    );
    expectConvlensError(() => new RandomRotation({ factor: 0.1, fillValue: Number.NaN }), /fillValue must be a finite number, got NaN/);
    expectConvlensError(
      () => new RandomRotation(2),
      /RandomRotation 'random_rotation_\d+': factor must be a number in \[-1, 1\] or a pair \[lower, upper\] of them, got 2/,
    );
    expectConvlensError(
      () => new RandomTranslation({ heightFactor: 0.1 } as never),
      /RandomTranslation 'random_translation': widthFactor must be a number in \[-1, 1\] or a pair \[lower, upper\] of them, got undefined/,
    );
    expectConvlensError(
      () => new RandomTranslation({ heightFactor: 0.1, widthFactor: 0.1, fill_mode: 'wrap' } as never),
      /unknown option 'fill_mode' \(did you mean 'fillMode'\?\)/,
    );
    expectConvlensError(() => new RandomTranslation('up' as never), /^RandomTranslation: expected an options object/);
    expectConvlensError(
      () => new RandomZoom({ heightFactor: [0.1, 1.5] }),
      /RandomZoom 'random_zoom': heightFactor must be a number in \[-1, 1\] or a pair \[lower, upper\] of them, got 1.5/,
    );
    expectConvlensError(
      () => new RandomZoom({ heightFactor: 0.1, widthFactor: 'x' as never }),
      /widthFactor must be a number in \[-1, 1\]/,
    );
    expectConvlensError(
      () => new Sequential([new RandomZoom({ heightFactor: 0.2, inputShape: [4, 4] })]),
      /\(RandomZoom\): expected inputs of shape \(height, width, channels\), got \[4, 4\]/,
    );
  });
});
