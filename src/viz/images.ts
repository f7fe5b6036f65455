import { ConvlensError, checkArray, checkNumber, checkOptions, checkString, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Figure } from './figure.js';
import { inputImage } from './maps.js';
import { imageElement, textElement, textWidth } from './svg.js';

export interface ShowImagesOptions {
  /** A caption under each image, one or two lines (`'seven\ntaken for one'`), as many as the images. */
  captions?: readonly string[];
  /** Images per row (default: up to 8). */
  cols?: number;
  /** The longest side of each image in pixels (default 96): larger images are averaged down, smaller ones enlarged in whole blocks. */
  tileSize?: number;
  /** A title above the grid. */
  title?: string;
}

const OPTIONS = ['captions', 'cols', 'tileSize', 'title'];
const CAPTION_SIZE = 11;

/**
 * Images in a grid, each with its caption, as matplotlib's subplots of `imshow` with titles show
 * a dataset's samples or a model's mistakes: gray or RGB(A) images `[H, W, C]`, uint8 or float32
 * in 0..1 (as `convertImageDtype` gives them), of any sizes. Returns a Figure.
 */
export function showImages(images: readonly Tensor[], options: ShowImagesOptions = {}): Figure {
  checkOptions('showImages', options, OPTIONS);
  checkArray('showImages', 'images', images, 'images [H, W, C]');
  if (images.length === 0) throw new ConvlensError('showImages: no images to show');
  images.forEach((image, i) => {
    if (!(image instanceof Tensor) || image.rank !== 3 || ![1, 3, 4].includes(image.shape[2]) || image.size === 0) {
      const got = image instanceof Tensor ? `a ${image.dtype} tensor of shape [${image.shape.join(', ')}]` : describeValue(image);
      throw new ConvlensError(`showImages: images[${i}] must be an image [H, W, 1, 3 or 4 channels], got ${got}`);
    }
    if (image.dtype !== 'uint8' && image.dtype !== 'float32') {
      throw new ConvlensError(`showImages: images[${i}] must be uint8, or float32 in 0..1, got ${image.dtype}`);
    }
  });
  const captions = options.captions ?? [];
  checkArray('showImages', 'captions', captions, 'strings');
  if (options.captions && (captions.length !== images.length || captions.some((c) => typeof c !== 'string'))) {
    const count = images.length === 1 ? 'one string' : `${images.length} strings, one per image`;
    throw new ConvlensError(`showImages: captions must be ${count}, got ${describeValue(options.captions)}`);
  }
  const { title = '' } = options;
  checkString('showImages', 'title', title);
  if (options.cols !== undefined) checkNumber('showImages', 'cols', options.cols, { min: 1, integer: true });
  if (options.tileSize !== undefined) checkNumber('showImages', 'tileSize', options.tileSize, { min: 8, max: 2048, integer: true });
  const tile = options.tileSize ?? 96;
  const cols = Math.min(images.length, options.cols ?? 8);
  const rows = Math.ceil(images.length / cols);
  const lines = captions.map((c) => c.split('\n').slice(0, 2));
  // captions wider than a tile widen every column, so that none runs into the next
  const widest = Math.max(0, ...lines.flat().map((line) => textWidth(line, CAPTION_SIZE)));
  const cell = Math.max(tile, Math.ceil(widest) + 4);
  const captionHeight = lines.length ? Math.max(...lines.map((l) => l.length)) * (CAPTION_SIZE + 3) + 4 : 0;
  const pad = 12;
  const gap = 8;
  const titleHeight = title ? 28 : 0;
  const gridWidth = 2 * pad + cols * cell + (cols - 1) * gap;
  // a title wider than the grid widens the figure, the grid centred under it (it was cut at both ends)
  const width = Math.max(gridWidth, title ? Math.ceil(textWidth(title, 16, true)) + 2 * pad : 0);
  const left = pad + (width - gridWidth) / 2;
  const height = 2 * pad + titleHeight + rows * (tile + captionHeight) + (rows - 1) * gap;
  const body: string[] = [];
  if (title) body.push(textElement(title, width / 2, pad + 16, { size: 16, anchor: 'middle', weight: 'bold' }));
  images.forEach((image, i) => {
    const [h, w] = image.shape;
    const scale = tile / Math.max(h, w);
    const x = left + (i % cols) * (cell + gap);
    const y = pad + titleHeight + Math.floor(i / cols) * (tile + captionHeight + gap);
    body.push(imageElement(inputImage(image, tile), x + (cell - w * scale) / 2, y + (tile - h * scale) / 2, w * scale, h * scale));
    (lines[i] ?? []).forEach((line, k) => {
      body.push(
        textElement(line, x + cell / 2, y + tile + (k + 1) * (CAPTION_SIZE + 3), { size: CAPTION_SIZE, anchor: 'middle', fill: '#333' }),
      );
    });
  });
  return Figure.of(width, height, body, title || 'images');
}
