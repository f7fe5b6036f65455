import { ConvlensError, checkArray, checkNumber, checkOptions, describeValue } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

export interface GridOptions {
  /** Images per row; by default as square a grid as fits. */
  cols?: number;
  /** Pixels between tiles. */
  gap?: number;
  /** Each tile is enlarged by this integer factor (nearest neighbour), so 3×3 kernels are visible. */
  scale?: number;
  /** RGB of the gaps and empty cells. */
  background?: [number, number, number];
}

/** Throws unless `image` is a uint8 image [H, W, C], as colorize gives. */
function checkImage(op: string, arg: string, image: unknown): asserts image is Tensor<'uint8'> {
  if (image instanceof Tensor && image.rank === 3 && image.dtype === 'uint8') return;
  const got = image instanceof Tensor ? `a ${image.dtype} tensor of shape [${image.shape.join(', ')}]` : describeValue(image);
  throw new ConvlensError(`${op}: ${arg} must be uint8 images [H, W, C] (what colorize gives), got ${got}`);
}

/** Enlarges an RGB uint8 image by an integer factor, each pixel becoming a block. */
export function upscale(image: Tensor<'uint8'>, factor: number): Tensor<'uint8'> {
  checkImage('upscale', 'image', image);
  if (!Number.isInteger(factor) || factor < 1) {
    throw new ConvlensError(`upscale: factor must be a positive integer, got ${describeValue(factor)}`);
  }
  if (factor === 1) return image;
  const [h, w, c] = image.shape;
  const out = allocate('uint8', h * factor * w * factor * c, 'upscale');
  for (let y = 0; y < h * factor; y++) {
    for (let x = 0; x < w * factor; x++) {
      const from = (Math.floor(y / factor) * w + Math.floor(x / factor)) * c;
      out.set(image.data.subarray(from, from + c), (y * w * factor + x) * c);
    }
  }
  return new Tensor(out, [h * factor, w * factor, c], 'uint8');
}

/** Lays equally sized RGB images `[H, W, 3]` out in a grid, as one image. */
export function grid(images: Tensor<'uint8'>[], options: GridOptions = {}): Tensor<'uint8'> {
  checkOptions('grid', options, ['cols', 'gap', 'scale', 'background']);
  checkArray('grid', 'images', images, 'RGB images');
  if (images.length === 0) throw new ConvlensError('grid: no images to lay out');
  for (const image of images) checkImage('grid', 'images', image);
  if (options.cols !== undefined) checkNumber('grid', 'cols', options.cols, { min: 1, integer: true });
  if (options.gap !== undefined) checkNumber('grid', 'gap', options.gap, { min: 0, max: 1000, integer: true });
  if (options.scale !== undefined) checkNumber('grid', 'scale', options.scale, { min: 1, max: 64, integer: true });
  const scaled = images.map((im) => upscale(im, options.scale ?? 1));
  const [h, w, c] = scaled[0].shape;
  if (scaled.some((im) => im.shape[0] !== h || im.shape[1] !== w || im.shape[2] !== c)) {
    throw new ConvlensError(`grid: images must all have the same shape, the first is [${images[0].shape.join(', ')}]`);
  }
  const cols = options.cols ?? Math.ceil(Math.sqrt(images.length));
  const rows = Math.ceil(images.length / cols);
  const gap = options.gap ?? 2;
  const height = rows * h + (rows + 1) * gap;
  const width = cols * w + (cols + 1) * gap;
  const out = allocate('uint8', height * width * c, 'grid');
  const background = options.background ?? [255, 255, 255];
  for (let i = 0; i < height * width; i++) for (let k = 0; k < c; k++) out[i * c + k] = background[k] ?? 255;
  scaled.forEach((im, index) => {
    const top = gap + Math.floor(index / cols) * (h + gap);
    const left = gap + (index % cols) * (w + gap);
    for (let y = 0; y < h; y++) out.set(im.data.subarray(y * w * c, (y + 1) * w * c), ((top + y) * width + left) * c);
  });
  return new Tensor(out, [height, width, c], 'uint8');
}
