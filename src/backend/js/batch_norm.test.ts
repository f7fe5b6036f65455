import { describe, it } from 'vitest';
import { forEachBackend } from '../../../test/helpers/backends.js';
import { expectClose } from '../../../test/helpers/close.js';
import { caseRng } from '../../../test/helpers/random.js';
import { tf } from '../../../test/helpers/tf.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { backend } from '../registry.js';

/** Channels-last shapes: one pixel, a batch of one, channels not a multiple of 4, a matrix, more than a wasm work chunk. */
const SHAPES = [
  [1, 1, 1, 5],
  [1, 4, 3, 6],
  [3, 5, 5, 2],
  [2, 3, 3, 7],
  [6, 1],
  [5, 33],
  [4, 6, 6, 16],
  [2, 40, 40, 12],
];
const EPSILON = 1e-3;

/** x, dy, γ, β for `shape` (the values off-centre, as activations are). */
function inputs(shape: number[], index: number) {
  const rng = caseRng('batch norm kernels', index);
  const size = shape.reduce((a, b) => a * b, 1);
  const channels = shape[shape.length - 1];
  return {
    x: rng.floats(size, -1, 3),
    dy: rng.floats(size),
    gamma: rng.floats(channels, 0.5, 2),
    beta: rng.floats(channels),
  };
}

/** The batch's statistics, then x̂ and out from them, and the gradients, all from one backend. */
function batchNormStep(shape: number[], index: number) {
  const { x, dy, gamma, beta } = inputs(shape, index);
  const channels = gamma.length;
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  backend().channelMoments(x, mean, variance);
  const inverseStd = variance.map((v) => 1 / Math.sqrt(v + EPSILON));
  const out = new Float32Array(x.length);
  const normalized = new Float32Array(x.length);
  backend().batchNorm(x, { mean, inverseStd, scale: Float64Array.from(gamma), offset: Float64Array.from(beta) }, out, normalized);
  const sumDy = new Float64Array(channels);
  const sumDyNormalized = new Float64Array(channels);
  const dx = new Float32Array(x.length);
  const inputScale = inverseStd.map((s, c) => s * gamma[c]);
  backend().batchNormBackward(dy, normalized, inputScale, sumDy, sumDyNormalized, dx);
  return { mean, variance, out, normalized, sumDy, sumDyNormalized, dx };
}

forEachBackend(() => {
  describe('batch normalisation kernels against tfjs', () => {
    it.each(SHAPES.map((shape, i) => [shape.join('×'), shape, i] as const))('%s: moments, normalisation and gradients', (_, shape, i) => {
      const { x, dy, gamma, beta } = inputs(shape, i);
      const axes = shape.slice(0, -1).map((_, a) => a);
      const ours = batchNormStep(shape, i);
      const [xt, dyt, gammaT, betaT] = [tf.tensor(x, shape), tf.tensor(dy, shape), tf.tensor(gamma), tf.tensor(beta)];
      const moments = tf.moments(xt, axes);
      const context = `shape ${shape}`;
      expectClose(ours.mean, moments.mean.dataSync(), 1e-5, `${context} mean`);
      expectClose(ours.variance, moments.variance.dataSync(), 1e-5, `${context} variance`);
      const normalise = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const m = tf.moments(xs, axes);
        return tf.batchNorm(xs, m.mean, m.variance, b, g, EPSILON);
      };
      expectClose(ours.out, normalise(xt, gammaT, betaT).dataSync(), 1e-4, `${context} out`);
      expectClose(ours.normalized, normalise(xt, tf.onesLike(gammaT), tf.zerosLike(betaT)).dataSync(), 1e-4, `${context} x̂`);
      // the gradients of Σ dy·y through the batch's own statistics
      const [dx, dGamma, dBeta] = tf.grads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(normalise(xs, g, b), dyt)))([
        xt,
        gammaT,
        betaT,
      ]);
      expectClose(ours.sumDy, dBeta.dataSync(), 1e-4, `${context} Σ dy`);
      expectClose(ours.sumDyNormalized, dGamma.dataSync(), 1e-4, `${context} Σ dy·x̂`);
      expectClose(ours.dx, dx.dataSync(), 1e-4, `${context} dx`);
    });

    it('normalises by given statistics (inference), and writes no x̂ unless asked; without dx only the sums', () => {
      const shape = [2, 3, 3, 7];
      const { x, dy, gamma, beta } = inputs(shape, 100);
      const rng = caseRng('batch norm kernels', 101);
      const [mean, variance] = [rng.floats(7), rng.floats(7, 0.2, 2)];
      const expected = tf.batchNorm(tf.tensor(x, shape), tf.tensor(mean), tf.tensor(variance), tf.tensor(beta), tf.tensor(gamma), EPSILON);
      const out = new Float32Array(x.length);
      const info = {
        mean: Float64Array.from(mean),
        inverseStd: Float64Array.from(variance, (v) => 1 / Math.sqrt(v + EPSILON)),
        scale: Float64Array.from(gamma),
        offset: Float64Array.from(beta),
      };
      backend().batchNorm(x, info, out);
      expectClose(out, expected.dataSync(), 1e-5, 'out');
      const sums = [new Float64Array(7), new Float64Array(7)];
      const normalized = new Float32Array(x.length).fill(0.5);
      backend().batchNormBackward(dy, normalized, info.inverseStd, sums[0], sums[1]);
      const dyByChannel = tf.sum(tf.tensor(dy, shape), [0, 1, 2]).dataSync();
      expectClose(sums[0], dyByChannel, 1e-5, 'Σ dy');
      expectClose(
        sums[1],
        dyByChannel.map((s) => s / 2),
        1e-5,
        'Σ dy·x̂',
      );
    });
  });
});
