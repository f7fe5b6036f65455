import { ConvlensError } from '../errors.js';
import type { ImageDataFormat } from '../layers/args.js';
import { rescalesItsInput } from '../layers/image_layout.js';
import type { Layer } from '../layers/layer.js';
import type { TensorInput } from '../ops/convert.js';
import { transpose } from '../ops/transpose.js';
import { Tensor } from '../tensor/tensor.js';
import { dataExtent } from './extent.js';
import { imageBatch } from './extraction.js';

// A model's inputs (in any range, channels-first or last, any number of channels) as pictures.

/**
 * Throws unless `image` has values and all of them are finite: a NaN or an infinity makes every
 * gradient through the model NaN, and the map or pattern drawn from it empty without a word.
 */
export function checkImageValues(op: string, what: string, image: Tensor): void {
  if (image.size === 0) throw new ConvlensError(`${op}: ${what} is empty (shape [${image.shape.join(', ')}])`);
  for (let i = 0; i < image.size; i++) {
    const value = image.data[i];
    if (!Number.isFinite(value)) throw new ConvlensError(`${op}: ${what} has ${value} at index ${i}; its values must be finite numbers`);
  }
}

/**
 * An image as a batch of one, as `model` takes it: its layout, and uint8 pixels as Keras feeds them,
 * divided by 255 unless the model scales them itself (a Rescaling first), which takes them as they are.
 */
export function modelImageBatch(
  op: string,
  image: Tensor | TensorInput,
  model: { readonly inputDataFormat?: ImageDataFormat; readonly layers?: readonly Layer[] },
): Tensor<'float32'> {
  const asDecoded = model.layers !== undefined && rescalesItsInput({ layers: model.layers });
  return imageBatch(op, image, model.inputDataFormat, asDecoded ? 1 : 1 / 255);
}

/** Each image of a batch as a picture `[H, W, 1 or 3]` in 0..1 (see `displayImage`). */
export function displayImages(batch: Tensor<'float32'>, channelsFirst: boolean): Tensor<'float32'>[] {
  return examples(batch, channelsFirst).map(displayImage);
}

/** An image `[H, W, C]` as a picture: gray or RGB as it is, other channel counts as their mean in gray, stretched to 0..1 from its own lowest..highest value. */
export function displayImage(image: Tensor<'float32'>): Tensor<'float32'> {
  return stretched(viewable(image));
}

/** The images of a batch as [H, W, C] each (a channels-first batch's channels moved last). */
function examples(batch: Tensor<'float32'>, channelsFirst: boolean): Tensor<'float32'>[] {
  const [n, ...shape] = batch.shape;
  const size = batch.size / n;
  return Array.from({ length: n }, (_, i) => {
    const image = new Tensor(batch.data.slice(i * size, (i + 1) * size) as Float32Array, shape, 'float32');
    return channelsFirst ? transpose(image, [1, 2, 0]) : image;
  });
}

/** A gray or RGB image as it is; any other number of channels as their mean, in gray. */
function viewable(image: Tensor<'float32'>): Tensor<'float32'> {
  const [height, width, channels] = image.shape;
  if (channels === 1 || channels === 3) return image;
  const gray = new Float32Array(height * width);
  for (let i = 0; i < gray.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += image.data[i * channels + c];
    gray[i] = sum / channels;
  }
  return new Tensor(gray, [height, width, 1], 'float32');
}

/** An image stretched to 0..1 from its own lowest..highest value (gray when flat). */
function stretched(image: Tensor<'float32'>): Tensor<'float32'> {
  const [low, high] = dataExtent(image.data);
  const span = high - low;
  const data = Float32Array.from(image.data, (v) => (span > 0 ? (v - low) / span : 0.5));
  return new Tensor(data, image.shape, 'float32');
}
