import type { Optimizer, Variable } from '../../src/train/optimizer.js';
import { expectClose } from './close.js';
import { caseRng } from './random.js';
import { tf } from './tf.js';

/** Every base optimizer setting as Keras 3 saves it, unused ones as None (null) or False. */
export const KERAS3_BASE_SETTINGS = {
  weight_decay: null,
  clipnorm: null,
  global_clipnorm: null,
  clipvalue: null,
  use_ema: false,
  ema_momentum: 0.99,
  ema_overwrite_frequency: null,
  loss_scale_factor: null,
  gradient_accumulation_steps: null,
};

/** A variable of `value`'s shape (a copy of it), its gradient zero. */
export function variable(name: string, value: Float32Array): Variable {
  return { name, shape: [value.length], value: value.slice(), grad: new Float32Array(value.length) };
}

export interface CompareOptions {
  /** Relative tolerance of each step's weights (default 1e-6). */
  rtol?: number;
  /** Gradients are drawn from [−gradScale, gradScale) (default 1). */
  gradScale?: number;
  /** What tfjs' optimizer is given instead of the raw gradients (a clip computed with tfjs ops). */
  transform?: (grads: tf.Tensor[]) => tf.Tensor[];
}

/**
 * Runs `steps` updates of our optimizer and of a tfjs optimizer from the same start on the same
 * gradients (a fresh random gradient each step, for two variables) and returns the largest
 * difference seen; each step's weights must agree within `rtol`.
 */
export function compareWithTf(ours: Optimizer, theirs: tf.Optimizer, steps: number, seed: string, options: CompareOptions = {}): number {
  const { rtol = 1e-6, gradScale = 1, transform = (grads) => grads } = options;
  const rng = caseRng(seed, 0);
  const start = [rng.floats(7), rng.floats(3)];
  const vars = start.map((v, i) => variable(`w${i}`, v));
  const tfVars = start.map((v, i) => tf.variable(tf.tensor1d(v), true, `${seed}/w${i}`));
  let worst = 0;
  for (let step = 0; step < steps; step++) {
    for (const v of vars) v.grad.set(rng.floats(v.value.length, -gradScale, gradScale));
    // tfjs' gradients are taken before our step, which clips ours in place
    const given = transform(vars.map((v) => tf.tensor1d(v.grad)));
    ours.step(vars);
    theirs.applyGradients(Object.fromEntries(tfVars.map((tv, i) => [tv.name, given[i]])));
    vars.forEach((v, i) => {
      const expected = tfVars[i].dataSync();
      expectClose(v.value, expected, rtol, `${seed} step ${step + 1} ${v.name}`);
      for (let j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(v.value[j] - expected[j]));
    });
  }
  return worst;
}

// Keras' clipping (keras.optimizers.Optimizer._clip_gradients), written with tfjs ops for tfjs'
// optimizers, which lack it: g·c/max(‖g‖, c) per variable; g·c·min(1/‖G‖, 1/c) with ‖G‖ over all
// the variables; clip(g, −c, c) element by element.
export const byNorm = (c: number) => (grads: tf.Tensor[]) => grads.map((g) => tf.div(tf.mul(g, c), tf.maximum(tf.norm(g), c)));

export const byGlobalNorm = (c: number) => (grads: tf.Tensor[]) => {
  const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const factor = tf.mul(tf.minimum(tf.div(1, norm), 1 / c), c);
  return grads.map((g) => tf.mul(g, factor));
};

export const byValue = (c: number) => (grads: tf.Tensor[]) => grads.map((g) => tf.clipByValue(g, -c, c));
