/** onnxruntime-node, CPU execution provider, Conv + Relu (fused by its graph optimiser), NCHW. */
import { availableParallelism } from 'node:os';
import { convReluModel } from '../lib/onnx.js';

/** NHWC -> NCHW. @param {Float32Array} x @param {number[]} shape */
export function toNCHW(x, [n, h, w, c]) {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w; i++) for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + i] = x[((b * h + y) * w + i) * c + k];
  return out;
}

/** NCHW -> NHWC. @param {Float32Array} x @param {number[]} shape NHWC shape */
export function toNHWC(x, [n, h, w, c]) {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w; i++) for (let k = 0; k < c; k++) out[((b * h + y) * w + i) * c + k] = x[((b * c + k) * h + y) * w + i];
  return out;
}

/** HWIO -> OIHW. @param {Float32Array} w @param {number[]} shape */
export function toOIHW(w, [kh, kw, ci, co]) {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = w[((y * kw + x) * ci + i) * co + o];
  return out;
}

export async function load() {
  return await import('onnxruntime-node');
}

/** @param {Awaited<ReturnType<typeof load>>} ort */
export function peer(ort) {
  return {
    name: 'onnxruntime',
    /** @param {{ x: Float32Array, inShape: number[], w: Float32Array, wShape: number[] }} c */
    async conv(c) {
      const [n, h, w, ci] = c.inShape;
      const [kh, kw, , co] = c.wShape;
      const model = convReluModel({
        inShape: [n, ci, h, w],
        weights: toOIHW(c.w, c.wShape),
        weightShape: [co, ci, kh, kw],
        pads: [(kh - 1) >> 1, (kw - 1) >> 1, kh >> 1, kw >> 1],
        strides: [1, 1],
        outShape: [n, co, h, w],
      });
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: availableParallelism(),
      });
      const x = new ort.Tensor('float32', toNCHW(c.x, c.inShape), [n, ci, h, w]);
      return {
        run: () => session.run({ x }),
        output: async () => {
          const { y } = await session.run({ x });
          return toNHWC(/** @type {Float32Array} */ (y.data), [n, h, w, co]);
        },
      };
    },
  };
}
