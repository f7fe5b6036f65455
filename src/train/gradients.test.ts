import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { forEachBackend } from '../../test/helpers/backends.js';
import { expectClose, maxDiff, reportDiff } from '../../test/helpers/close.js';
import { caseRng, type Rng } from '../../test/helpers/random.js';
import { tf } from '../../test/helpers/tf.js';
// tfjs-core registers its gradients only through this side-effect module (the union package imports it).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { conv2dInfo } from '../ops/nn/conv2d.js';
import { depthwiseConv2dInfo } from '../ops/nn/depthwise_conv2d.js';
import { pool2dInfo } from '../ops/nn/pool_util.js';
import { Tensor } from '../tensor/tensor.js';
import {
  type ActivationName,
  activationGrad,
  avgPoolGrad,
  biasGrad,
  conv2dFilterGrad,
  conv2dInputGrad,
  depthwiseConv2dFilterGrad,
  depthwiseConv2dInputGrad,
  gradientNeedsInput,
  matMulGrad,
  maxPoolGrad,
  SELU_ALPHA,
  SELU_SCALE,
} from './gradients.js';

/** The activations added with the pre-activation gradients, checked on special values too. */
type AddedActivation = 'gelu' | 'gelu_new' | 'swish' | 'mish' | 'hard_sigmoid' | 'exponential';
type OutputActivation = Exclude<ActivationName, 'linear' | AddedActivation>;

const f32 = (rng: Rng, shape: number[]) => new Tensor(rng.floats(shape.reduce((a, b) => a * b, 1)), shape, 'float32');
const tfOf = (t: Tensor) => tf.tensor(Array.from(t.data), t.shape, 'float32');
const values = (t: tf.Tensor) => t.dataSync() as Float32Array;

// ---------------------------------------------------------------------------------------------
// Float64 reference forwards (straight from TensorFlow's definitions) for finite differences.

type Pad = 'SAME' | 'VALID';

/** Output size and leading padding of one axis, TensorFlow's SAME/VALID arithmetic. */
function axis(n: number, k: number, s: number, d: number, pad: Pad): { out: number; before: number } {
  const eff = (k - 1) * d + 1;
  if (pad === 'VALID') return { out: Math.ceil((n - eff + 1) / s), before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max(0, (out - 1) * s + eff - n) / 2) };
}

/** Σ dy·conv2d(x, f) in float64: a scalar whose gradients are conv2d's backprops applied to dy. */
function convObjective(x: Float64Array, xs: number[], f: Float64Array, fs: number[], dy: Float64Array, s: number[], d: number[], pad: Pad) {
  const [n, h, w, c] = xs;
  const [kh, kw, , co] = fs;
  const rows = axis(h, kh, s[0], d[0], pad);
  const cols = axis(w, kw, s[1], d[1], pad);
  let total = 0;
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let q = 0; q < co; q++, o++) {
          let acc = 0;
          for (let a = 0; a < kh; a++)
            for (let e = 0; e < kw; e++) {
              const y = i * s[0] + a * d[0] - rows.before;
              const z = j * s[1] + e * d[1] - cols.before;
              if (y < 0 || y >= h || z < 0 || z >= w) continue;
              for (let p = 0; p < c; p++) acc += x[((b * h + y) * w + z) * c + p] * f[((a * kw + e) * c + p) * co + q];
            }
          total += acc * dy[o];
        }
  return total;
}

/** Σ dy·depthwiseConv2d(x, f) in float64, from TensorFlow's definition (output channel c·M + m). */
function depthwiseObjective(
  x: Float64Array,
  xs: number[],
  f: Float64Array,
  fs: number[],
  dy: Float64Array,
  s: number[],
  d: number[],
  pad: Pad,
) {
  const [n, h, w, c] = xs;
  const [kh, kw, , m] = fs;
  const rows = axis(h, kh, s[0], d[0], pad);
  const cols = axis(w, kw, s[1], d[1], pad);
  let total = 0;
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let p = 0; p < c; p++)
          for (let q = 0; q < m; q++, o++) {
            let acc = 0;
            for (let a = 0; a < kh; a++)
              for (let e = 0; e < kw; e++) {
                const y = i * s[0] + a * d[0] - rows.before;
                const z = j * s[1] + e * d[1] - cols.before;
                if (y < 0 || y >= h || z < 0 || z >= w) continue;
                acc += x[((b * h + y) * w + z) * c + p] * f[((a * kw + e) * c + p) * m + q];
              }
            total += acc * dy[o];
          }
  return total;
}

/** Σ dy·pool(x) in float64; padded cells are skipped (−∞ for max, not counted for average). */
function poolObjective(kind: 'max' | 'avg', x: Float64Array, xs: number[], k: number[], s: number[], dy: Float64Array, pad: Pad) {
  const [n, h, w, c] = xs;
  const rows = axis(h, k[0], s[0], 1, pad);
  const cols = axis(w, k[1], s[1], 1, pad);
  let total = 0;
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < rows.out; i++)
      for (let j = 0; j < cols.out; j++)
        for (let p = 0; p < c; p++, o++) {
          let max = Number.NEGATIVE_INFINITY;
          let sum = 0;
          let count = 0;
          for (let a = 0; a < k[0]; a++)
            for (let e = 0; e < k[1]; e++) {
              const y = i * s[0] + a - rows.before;
              const z = j * s[1] + e - cols.before;
              if (y < 0 || y >= h || z < 0 || z >= w) continue;
              const v = x[((b * h + y) * w + z) * c + p];
              max = Math.max(max, v);
              sum += v;
              count++;
            }
          total += (kind === 'max' ? max : sum / count) * dy[o];
        }
  return total;
}

/** Central differences of `fn` at `x` (float64), step h. */
function numericGrad(fn: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const up = fn(x);
    x[i] = saved - h;
    const down = fn(x);
    x[i] = saved;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

// ---------------------------------------------------------------------------------------------

interface ConvCase {
  xs: number[];
  fs: number[];
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
}

function randomConvCase(rng: Rng): ConvCase {
  const cin = rng.int(1, 4);
  const cout = rng.int(1, 4);
  const kh = rng.int(1, 3);
  const kw = rng.int(1, 3);
  // tfjs supports dilation only with stride 1.
  const dilated = rng.bool(0.3);
  const strides: [number, number] = dilated ? [1, 1] : [rng.int(1, 2), rng.int(1, 2)];
  const dilations: [number, number] = dilated ? [rng.int(1, 2), rng.int(1, 2)] : [1, 1];
  const pad: Pad = rng.pick(['SAME', 'VALID'] as const);
  const minH = (kh - 1) * dilations[0] + 1;
  const minW = (kw - 1) * dilations[1] + 1;
  return { xs: [rng.int(1, 2), rng.int(minH, 7), rng.int(minW, 7), cin], fs: [kh, kw, cin, cout], strides, dilations, pad };
}

/** A [kh, kw, ci, co] filter with d − 1 zero rows/columns between taps: conv with it = dilated conv. */
function dilateFilter(f: Tensor<'float32'>, [dh, dw]: [number, number]): Tensor<'float32'> {
  const [kh, kw, ci, co] = f.shape;
  const [eh, ew] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1];
  const out = new Float32Array(eh * ew * ci * co);
  for (let a = 0; a < kh; a++)
    for (let e = 0; e < kw; e++)
      out.set(f.data.subarray((a * kw + e) * ci * co, (a * kw + e + 1) * ci * co), (a * dh * ew + e * dw) * ci * co);
  return new Tensor(out, [eh, ew, ci, co], 'float32');
}

/** The taps of a dilated filter's gradient that belong to the real filter. */
function undilate(g: tf.Tensor, [kh, kw, ci, co]: number[], [dh, dw]: [number, number]): Float32Array {
  const data = values(g);
  const ew = (kw - 1) * dw + 1;
  const out = new Float32Array(kh * kw * ci * co);
  for (let a = 0; a < kh; a++)
    for (let e = 0; e < kw; e++)
      out.set(data.subarray((a * dh * ew + e * dw) * ci * co, (a * dh * ew + e * dw + 1) * ci * co), (a * kw + e) * ci * co);
  return out;
}

forEachBackend(() => {
  /** A convolution whose input and filter gradients are checked: how to build its geometry, its tfjs twin, its gradients and a float64 objective. */
  interface ConvUnderTest {
    name: string;
    randomCase: (rng: Rng) => ConvCase;
    info: (c: ConvCase) => { batch: number; outHeight: number; outWidth: number; outChannels: number };
    tfOp: (x: tf.Tensor4D, f: tf.Tensor4D, strides: [number, number], pad: 'same' | 'valid') => tf.Tensor;
    inputGrad: (dy: Tensor<'float32'>, f: Tensor<'float32'>, c: ConvCase) => Tensor<'float32'>;
    filterGrad: (x: Tensor<'float32'>, dy: Tensor<'float32'>, c: ConvCase) => Tensor<'float32'>;
    objective: typeof convObjective;
    /** Cases checked by finite differences. */
    tiny: number;
  }

  const settingsOf = (c: ConvCase) => ({ strides: c.strides, dilations: c.dilations, padding: c.pad });
  const CONVOLUTIONS: ConvUnderTest[] = [
    {
      name: 'conv2d',
      randomCase: randomConvCase,
      info: (c) => conv2dInfo(settingsOf(c), c.xs, c.fs, 'NHWC'),
      tfOp: (x, f, strides, pad) => tf.conv2d(x, f, strides, pad),
      inputGrad: (dy, f, c) => conv2dInputGrad(dy, f, conv2dInfo(settingsOf(c), c.xs, c.fs, 'NHWC')),
      filterGrad: (x, dy, c) => conv2dFilterGrad(x, dy, conv2dInfo(settingsOf(c), c.xs, c.fs, 'NHWC')),
      objective: convObjective,
      tiny: 12,
    },
    {
      name: 'depthwiseConv2d',
      // the last filter axis is the channel multiplier (1–3)
      randomCase: (rng) => {
        const c = randomConvCase(rng);
        c.fs[3] = rng.int(1, 3);
        return c;
      },
      info: (c) => depthwiseConv2dInfo(settingsOf(c), c.xs, c.fs, 'NHWC'),
      tfOp: (x, f, strides, pad) => tf.depthwiseConv2d(x, f, strides, pad),
      inputGrad: (dy, f, c) => depthwiseConv2dInputGrad(dy, f, depthwiseConv2dInfo(settingsOf(c), c.xs, c.fs, 'NHWC')),
      filterGrad: (x, dy, c) => depthwiseConv2dFilterGrad(x, dy, depthwiseConv2dInfo(settingsOf(c), c.xs, c.fs, 'NHWC')),
      objective: depthwiseObjective,
      tiny: 16,
    },
  ];

  for (const conv of CONVOLUTIONS) {
    describe(`${conv.name} gradients`, () => {
      /** A random case: its settings, input, filters, and a gradient of the output's shape. */
      const draw = (suite: string, index: number) => {
        const rng = caseRng(`${conv.name} ${suite}`, index);
        const c = conv.randomCase(rng);
        const info = conv.info(c);
        const x = f32(rng, c.xs);
        const f = f32(rng, c.fs);
        const dy = f32(rng, [info.batch, info.outHeight, info.outWidth, info.outChannels]);
        return { c, x, f, dy, context: `case ${index}: ${JSON.stringify(c)}` };
      };

      it(`match tf.grads of tf.${conv.name} on random cases (strides 1–2, SAME/VALID, dilation, 1–4 channels)`, () => {
        let worst = 0;
        for (let index = 0; index < 60; index++) {
          const { c, x, f, dy, context } = draw('grads', index);
          // tfjs has no gradient for dilated convolutions, so the dilation goes into a zero-filled filter
          const [dxTf, dfDilated] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            conv.tfOp(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad.toLowerCase() as 'same'),
          )([tfOf(x), tfOf(dilateFilter(f, c.dilations))], tfOf(dy));
          const dfTf = undilate(dfDilated, c.fs, c.dilations);
          const dx = conv.inputGrad(dy, f, c);
          const df = conv.filterGrad(x, dy, c);
          expect(dx.shape).toEqual(c.xs);
          expect(df.shape).toEqual(c.fs);
          expectClose(dx, values(dxTf), 1e-5, `${context} dx`);
          expectClose(df, dfTf, 1e-5, `${context} dfilter`);
          worst = Math.max(worst, maxDiff(dx.data, values(dxTf)), maxDiff(df.data, dfTf));
        }
        reportDiff(`${conv.name} input/filter gradients vs tf.grads`, worst);
      });

      it(`match central finite differences of a float64 ${conv.name} on tiny cases`, () => {
        let worst = 0;
        for (let index = 0; index < conv.tiny; index++) {
          const { c, x, f, dy, context } = draw('fd', index);
          const [x64, f64, dy64] = [Float64Array.from(x.data), Float64Array.from(f.data), Float64Array.from(dy.data)];
          const objective = (xv: Float64Array, fv: Float64Array) => conv.objective(xv, c.xs, fv, c.fs, dy64, c.strides, c.dilations, c.pad);
          const dxNum = numericGrad((v) => objective(v, f64), x64);
          const dfNum = numericGrad((v) => objective(x64, v), f64);
          const dx = conv.inputGrad(dy, f, c);
          const df = conv.filterGrad(x, dy, c);
          expectClose(dx, dxNum, 1e-5, `${context} dx`);
          expectClose(df, dfNum, 1e-5, `${context} dfilter`);
          worst = Math.max(worst, maxDiff(dx.data, dxNum), maxDiff(df.data, dfNum));
        }
        reportDiff(`${conv.name} gradients vs finite differences`, worst);
      });
    });
  }

  describe('depthwiseConv2d gradients of an empty batch', () => {
    it('of an empty batch: an empty input gradient and a zero filter gradient', () => {
      const info = depthwiseConv2dInfo({ padding: 'SAME' }, [0, 4, 4, 2], [3, 3, 2, 2], 'NHWC');
      const dy = new Tensor(new Float32Array(0), [0, 4, 4, 4], 'float32');
      expect(depthwiseConv2dInputGrad(dy, new Tensor(new Float32Array(36), [3, 3, 2, 2], 'float32'), info).shape).toEqual([0, 4, 4, 2]);
      const df = depthwiseConv2dFilterGrad(new Tensor(new Float32Array(0), [0, 4, 4, 2], 'float32'), dy, info);
      expect(Array.from(df.data)).toEqual(new Array(36).fill(0));
    });
  });

  describe('pooling gradients', () => {
    function randomPoolCase(rng: Rng) {
      const k: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
      const s: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
      const pad: Pad = rng.pick(['SAME', 'VALID'] as const);
      const xs = [rng.int(1, 2), rng.int(k[0], 7), rng.int(k[1], 7), rng.int(1, 3)];
      return { k, s, pad, xs };
    }

    it('max pooling matches tf.grads of tf.maxPool (SAME/VALID, strides)', () => {
      let worst = 0;
      for (let index = 0; index < 60; index++) {
        const rng = caseRng('maxpool grads', index);
        const c = randomPoolCase(rng);
        const context = `case ${index}: ${JSON.stringify(c)}`;
        const info = pool2dInfo('maxPool', { ksize: c.k, strides: c.s, padding: c.pad }, c.xs, 'NHWC');
        const x = f32(rng, c.xs);
        const dy = f32(rng, [info.batch, info.outHeight, info.outWidth, info.channels]);
        const dxTf = tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, c.k, c.s, c.pad.toLowerCase() as 'same'))(tfOf(x), tfOf(dy));
        const dx = maxPoolGrad(x, dy, info);
        expectClose(dx, values(dxTf), 1e-6, context);
        worst = Math.max(worst, maxDiff(dx.data, values(dxTf)));
      }
      reportDiff('max pooling gradient vs tf.grads', worst);
    });

    it('average pooling matches tf.grads of tf.avgPool (VALID, strides)', () => {
      let worst = 0;
      for (let index = 0; index < 40; index++) {
        const rng = caseRng('avgpool grads', index);
        const c = { ...randomPoolCase(rng), pad: 'VALID' as const };
        const context = `case ${index}: ${JSON.stringify(c)}`;
        const info = pool2dInfo('avgPool', { ksize: c.k, strides: c.s, padding: c.pad }, c.xs, 'NHWC');
        const x = f32(rng, c.xs);
        const dy = f32(rng, [info.batch, info.outHeight, info.outWidth, info.channels]);
        const dxTf = tf.grad((a: tf.Tensor) => tf.avgPool(a as tf.Tensor4D, c.k, c.s, 'valid'))(tfOf(x), tfOf(dy));
        const dx = avgPoolGrad(c.xs, dy, info);
        expectClose(dx, values(dxTf), 1e-6, context);
        worst = Math.max(worst, maxDiff(dx.data, values(dxTf)));
      }
      reportDiff('average pooling gradient (VALID) vs tf.grads', worst);
    });

    // tfjs's AvgPoolGrad divides by the whole window even where its forward pass skipped padded
    // cells, so under SAME padding it is not the gradient of its own forward. TensorFlow (and
    // we) divide by the unpadded count; finite differences of the forward are the judge.
    it('max and average pooling match central finite differences (SAME and VALID)', () => {
      for (let index = 0; index < 24; index++) {
        const rng = caseRng('pool fd', index);
        const c = randomPoolCase(rng);
        const kind = index % 2 === 0 ? 'max' : 'avg';
        const context = `case ${index} ${kind}: ${JSON.stringify(c)}`;
        const info = pool2dInfo('pool', { ksize: c.k, strides: c.s, padding: c.pad }, c.xs, 'NHWC');
        const x = f32(rng, c.xs);
        const dy = f32(rng, [info.batch, info.outHeight, info.outWidth, info.channels]);
        const dy64 = Float64Array.from(dy.data);
        const num = numericGrad((v) => poolObjective(kind, v, c.xs, c.k, c.s, dy64, c.pad), Float64Array.from(x.data), 1e-6);
        const dx = kind === 'max' ? maxPoolGrad(x, dy, info) : avgPoolGrad(c.xs, dy, info);
        expectClose(dx, num, 1e-5, context);
      }
    });
  });

  describe('dense gradients', () => {
    it('matMulGrad and biasGrad match tf.grads of x·w + b', () => {
      let worst = 0;
      for (let index = 0; index < 30; index++) {
        const rng = caseRng('dense grads', index);
        const [m, k, n] = [rng.int(1, 6), rng.int(1, 7), rng.int(1, 5)];
        const x = f32(rng, [m, k]);
        const w = f32(rng, [k, n]);
        const b = f32(rng, [n]);
        const dy = f32(rng, [m, n]);
        const [dxTf, dwTf, dbTf] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
          tf.add(tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D), d),
        )([tfOf(x), tfOf(w), tfOf(b)], tfOf(dy));
        const { dx, dw } = matMulGrad(x.data, w.data, dy.data, m, k, n, true);
        const db = biasGrad(dy);
        const context = `case ${index}: m=${m} k=${k} n=${n}`;
        expectClose(dx!, values(dxTf), 1e-5, `${context} dx`);
        expectClose(dw, values(dwTf), 1e-5, `${context} dw`);
        expectClose(db, values(dbTf), 1e-5, `${context} db`);
        expect(matMulGrad(x.data, w.data, dy.data, m, k, n, false).dx).toBeUndefined();
        worst = Math.max(worst, maxDiff(dx!, values(dxTf)), maxDiff(dw, values(dwTf)), maxDiff(db, values(dbTf)));
      }
      reportDiff('dense (matmul + bias) gradients vs tf.grads', worst);
    });
  });

  describe('activation gradients', () => {
    const forward: Record<OutputActivation, (x: tf.Tensor) => tf.Tensor> = {
      relu: (x) => tf.relu(x),
      sigmoid: (x) => tf.sigmoid(x),
      tanh: (x) => tf.tanh(x),
      softmax: (x) => tf.softmax(x),
      log_softmax: (x) => tf.logSoftmax(x),
      elu: (x) => tf.elu(x),
      selu: (x) => tf.selu(x),
      softplus: (x) => tf.softplus(x),
      softsign: (x) => tf.div(x, tf.add(1, tf.abs(x))),
      relu6: (x) => tf.relu6(x),
    };
    for (const [name, fn] of Object.entries(forward) as [OutputActivation, (x: tf.Tensor) => tf.Tensor][]) {
      it(`${name} matches tf.grads (computed from the output)`, () => {
        let worst = 0;
        for (let index = 0; index < 20; index++) {
          const rng = caseRng(`activation ${name}`, index);
          const shape = [rng.int(1, 4), rng.int(1, 6)];
          // relu6's second bend is at 6; softplus' large-x branch from 30
          const range = name === 'relu6' ? 9 : name === 'softplus' ? 40 : 4;
          const x = new Tensor(rng.floats(shape[0] * shape[1], -range, range), shape, 'float32');
          const dy = f32(rng, shape);
          const y = fn(tfOf(x));
          const expected = tf.grad(fn)(tfOf(x), tfOf(dy));
          const got = activationGrad(name, new Tensor(Float32Array.from(values(y)), shape, 'float32'), dy);
          expectClose(got, values(expected), 1e-5, `case ${index} ${JSON.stringify(shape)}`);
          worst = Math.max(worst, maxDiff(got.data, values(expected)));
        }
        reportDiff(`${name} gradient vs tf.grads`, worst);
      });
    }

    // tfjs-layers' own activations (its 'gelu' is the erf form), and tf.exp for Keras' exponential, which tfjs lacks
    const tfjsActivation = (identifier: string) => (x: tf.Tensor) =>
      tfl.layers.activation({ activation: identifier as never }).apply(x) as tf.Tensor;
    const added: Record<AddedActivation, (x: tf.Tensor) => tf.Tensor> = {
      gelu: tfjsActivation('gelu'),
      gelu_new: tfjsActivation('gelu_new'),
      swish: tfjsActivation('swish'),
      mish: tfjsActivation('mish'),
      hard_sigmoid: tfjsActivation('hardSigmoid'),
      exponential: (x) => tf.exp(x),
    };
    // zeros, hard_sigmoid's bends at ±2.5 (and the float32 just past them), large |x| where the
    // sigmoids, tanh and erf saturate, and exp near float32's overflow
    const special = [0, -0, 1e-3, -1e-3, 2.5, -2.5, 2.5000002, -2.5000002, 2.5000005, 3, -3, 20, -20, 40, -40, 88, -90];
    for (const [name, fn] of Object.entries(added) as [AddedActivation, (x: tf.Tensor) => tf.Tensor][]) {
      it(`${name} matches tf.grads of tfjs' definition (computed from ${gradientNeedsInput(name) ? 'the input' : 'the output'})`, () => {
        let worst = 0;
        for (let index = 0; index < 20; index++) {
          const rng = caseRng(`activation ${name}`, index);
          const data = index === 0 ? Float32Array.from(special) : rng.floats(rng.int(1, 24), -8, 8);
          const x = new Tensor(data, [1, data.length], 'float32');
          const dy = f32(rng, x.shape);
          const y = new Tensor(Float32Array.from(values(fn(tfOf(x)))), x.shape, 'float32');
          const expected = values(tf.grad(fn)(tfOf(x), tfOf(dy)));
          const got = activationGrad(name, y, dy, x);
          expectClose(got, expected, 1e-5, `case ${index} x ${Array.from(x.data)}`);
          worst = Math.max(worst, maxDiff(got.data, expected));
        }
        reportDiff(`${name} gradient vs tf.grads`, worst);
      });
    }

    it("hard_sigmoid passes the gradient at its bends, as tfjs' and TensorFlow's clip_by_value (inclusive bounds)", () => {
      // 0.2 · 2.5000005 + 0.5 is 1.0000001 in float32, past the bend (0.2 · 2.5000002 + 0.5 still rounds to 1)
      const x = new Tensor(Float32Array.of(-2.5, 2.5, -2.5000002, 2.5000005), [1, 4], 'float32');
      const ones = new Tensor(Float32Array.of(1, 1, 1, 1), [1, 4], 'float32');
      const slope = Math.fround(0.2);
      expect(Array.from(activationGrad('hard_sigmoid', ones, ones, x).data)).toEqual([slope, slope, 0, 0]);
    });

    it('asks for the pre-activation values where the gradient needs them', () => {
      const dy = new Tensor(Float32Array.of(1), [1, 1], 'float32');
      expect(() => activationGrad('gelu', dy, dy)).toThrow(/activationGrad: gelu's gradient needs the pre-activation values z/);
    });

    it("selu's gradient is exactly 0 where the output has saturated, as TensorFlow's SeluGrad (a float32 sum)", () => {
      const y = Math.fround(SELU_SCALE * SELU_ALPHA * Math.expm1(-30));
      const got = activationGrad(
        'selu',
        new Tensor(Float32Array.of(y), [1, 1], 'float32'),
        new Tensor(Float32Array.of(1), [1, 1], 'float32'),
      );
      expect(got.data[0]).toBe(0);
    });

    it('linear passes the gradient through', () => {
      const dy = new Tensor(Float32Array.of(1, -2), [1, 2], 'float32');
      expect(activationGrad('linear', dy, dy)).toBe(dy);
    });
  });
});
