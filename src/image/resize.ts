import { ConvlensError, checkOptions, describeValue, everyItem } from '../errors.js';
import { asTensor, type TensorInput } from '../ops/convert.js';
import { allocateOutput } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export type ResizeMethod = 'bilinear' | 'nearest';

export interface ResizeOptions {
  /** 'bilinear' (default) or 'nearest'. */
  method?: ResizeMethod;
}

/**
 * Resizes images `[H, W, C]` or a batch `[N, H, W, C]` to `[height, width]` with TensorFlow 2's
 * `tf.image.resize` semantics: half-pixel centres, no antialiasing. Source positions and
 * interpolation are computed in float64, as TensorFlow.js does; TensorFlow's CPU kernels use
 * float32 there, which can differ by one float32 rounding step (bilinear) or, where a source
 * position lands exactly on a pixel edge, pick the neighbouring pixel (nearest).
 *
 * - 'bilinear' (default): source coordinate `(x + 0.5) · in/out − 0.5`, clamped to the edge
 *   pixels, linear in x then y. Returns float32 whatever the input dtype (values are not
 *   rescaled: a uint8 image gives floats in 0..255).
 * - 'nearest': source pixel `floor((x + 0.5) · in/out)`, clamped. Keeps the input dtype.
 */
export function resize(images: TensorInput, size: [number, number], options?: ResizeOptions): Tensor {
  const op = 'resize';
  const t = asTensor(op, 'images', images);
  const method = resizeMethod(op, options);
  if (t.rank !== 3 && t.rank !== 4) {
    throw new ConvlensError(
      `${op}: images must be rank 3 [height, width, channels] or rank 4 [batch, height, width, channels], got shape ${formatShape(t.shape)}`,
    );
  }
  if (t.dtype === 'bool') throw new ConvlensError(`${op}: images must be float32, int32 or uint8, got bool`);
  if (!Array.isArray(size) || size.length !== 2 || !everyItem(size, (d) => Number.isInteger(d) && d > 0)) {
    throw new ConvlensError(`${op}: size must be [height, width] with two positive integers, got ${describeValue(size)}`);
  }
  const [batch, inH, inW, channels] = t.rank === 4 ? t.shape : [1, ...t.shape];
  if (inH === 0 || inW === 0) throw new ConvlensError(`${op}: images must not be empty, got shape ${formatShape(t.shape)}`);
  if (channels === 0) throw new ConvlensError(`${op}: images must have at least one channel, got shape ${formatShape(t.shape)}`);
  const [outH, outW] = size;
  const shape = t.rank === 4 ? [batch, outH, outW, channels] : [outH, outW, channels];
  const scaleY = inH / outH;
  const scaleX = inW / outW;
  const src = t.data;
  const inImage = inH * inW * channels;
  const outImage = outH * outW * channels;

  if (method === 'nearest') {
    const out = allocateOutput(t.dtype, batch * outImage, op);
    const ys = nearestIndices(outH, inH, scaleY);
    const xs = nearestIndices(outW, inW, scaleX);
    let o = 0;
    for (let b = 0; b < batch; b++) {
      for (let y = 0; y < outH; y++) {
        const row = b * inImage + ys[y] * inW * channels;
        for (let x = 0; x < outW; x++) {
          const from = row + xs[x] * channels;
          for (let c = 0; c < channels; c++) out[o++] = src[from + c];
        }
      }
    }
    return new Tensor(out, shape, t.dtype);
  }

  const out = allocateOutput('float32', batch * outImage, op);
  const ys = bilinearWeights(outH, inH, scaleY);
  const xs = bilinearWeights(outW, inW, scaleX);
  // Pixels are read as float32, as the kernel does (only int32 beyond 2^24 changes: copy those).
  const input = t.dtype === 'int32' ? Float32Array.from(src) : src;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < outH; y++) {
      const top = b * inImage + ys.lower[y] * inW * channels;
      const bottom = b * inImage + ys.upper[y] * inW * channels;
      const dy = ys.lerp[y];
      for (let x = 0; x < outW; x++) {
        const left = xs.lower[x] * channels;
        const right = xs.upper[x] * channels;
        const dx = xs.lerp[x];
        for (let c = 0; c < channels; c++) {
          const tl = input[top + left + c];
          const tr = input[top + right + c];
          const bl = input[bottom + left + c];
          const br = input[bottom + right + c];
          const upper = tl + (tr - tl) * dx;
          const lower = bl + (br - bl) * dx;
          out[o++] = upper + (lower - upper) * dy;
        }
      }
    }
  }
  return new Tensor(out, shape, 'float32');
}

function resizeMethod(op: string, options: unknown): ResizeMethod {
  if (options === undefined || options === null) return 'bilinear';
  checkOptions(op, options, ['method']);
  const { method = 'bilinear' } = options as ResizeOptions;
  if (method !== 'bilinear' && method !== 'nearest') {
    throw new ConvlensError(`${op}: method must be 'bilinear' or 'nearest', got ${describeValue(method)}`);
  }
  return method;
}

/** Nearest neighbour with half-pixel centres: floor((x + 0.5) · scale), clamped. */
function nearestIndices(outSize: number, inSize: number, scale: number): Int32Array {
  const index = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) index[i] = Math.max(0, Math.min(inSize - 1, Math.floor((i + 0.5) * scale)));
  return index;
}

/** Bilinear source rows/columns and weights with the half-pixel scaler (TF's compute_interpolation_weights). */
export function bilinearWeights(
  outSize: number,
  inSize: number,
  scale: number,
): { lower: Int32Array; upper: Int32Array; lerp: Float64Array } {
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const lerp = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const source = (i + 0.5) * scale - 0.5;
    const floor = Math.floor(source);
    lower[i] = Math.max(floor, 0);
    upper[i] = Math.min(Math.ceil(source), inSize - 1);
    lerp[i] = source - floor;
  }
  return { lower, upper, lerp };
}
