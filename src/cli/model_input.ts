import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConvlensError } from '../errors.js';
import * as image from '../image/index.js';
import type { ImageDataFormat } from '../layers/args.js';
import type { Functional } from '../layers/functional.js';
import { BranchingModelError } from '../layers/functional_chain.js';
import { firstImageLayer, rescalesItsInput } from '../layers/image_layout.js';
import type { Sequential } from '../layers/sequential.js';
import { loadFunctional, loadModel } from '../layers/serialization.js';
import { cast } from '../ops/cast.js';
import { expandDims } from '../ops/expand_dims.js';
import { transpose } from '../ops/transpose.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { fsReason, readInputFile } from './inputs.js';

/**
 * How pixels are scaled before the model sees them: what the model was trained on. 'auto': 0..255
 * when the model's first layer (after augmentation layers, in a nested model too) is a Rescaling (Keras' models scale
 * their own inputs so), else 0..1.
 */
export type PixelRange = 'auto' | '0..1' | '0..255' | '-1..1';

/** The file beside model.json that names the model's classes, in the order of its outputs (`convlens train` writes it). */
export const CLASSES_FILE = 'classes.json';

/** A saved model images go through: a Sequential, or a functional model that branches (ResNet's and Inception's blocks). */
export type ImageModel = Sequential | Functional;

/**
 * The model as loadModel reads it, or, when it branches (which no Sequential computes), as
 * loadFunctional does. Given the --out folder of `convlens train` or `train-mnist`, it says where
 * in it the model is.
 */
export async function openModel(modelPath: string): Promise<ImageModel> {
  try {
    return await loadModel(modelPath);
  } catch (error) {
    if (error instanceof BranchingModelError) return loadFunctional(modelPath);
    const inner = join(modelPath, 'model');
    if (error instanceof ConvlensError && existsSync(join(inner, 'model.json')) && !existsSync(join(modelPath, 'model.json'))) {
      throw new ConvlensError(`${error.message}; the model of this training run is in ${inner}`);
    }
    throw error;
  }
}

/** The input values each pixel range spans. */
export const PIXEL_RANGES: Record<Exclude<PixelRange, 'auto'>, [number, number]> = { '0..1': [0, 1], '0..255': [0, 255], '-1..1': [-1, 1] };

/** The pixel range `pixels` means for `model`: 'auto' is 0..255 when the model's first layer that changes an image is a Rescaling, else 0..1. */
export function resolvedPixels(model: ImageModel, pixels: PixelRange): Exclude<PixelRange, 'auto'> {
  if (pixels !== 'auto') return pixels;
  return rescalesItsInput(model) ? '0..255' : '0..1';
}

/** How a model takes one image: its size (null: any, the image's own), its channels, and its layout (channels-first: [channels, height, width]). */
export interface ImageInput {
  height: number | null;
  width: number | null;
  channels: 1 | 3 | 4;
  dataFormat: ImageDataFormat;
}

/**
 * How the model takes one image, read from its input shape in its layout (the model's
 * inputDataFormat: that of its first image layer); a model of several inputs (a siamese one), or
 * of inputs that are no images, is refused, naming `op`.
 */
export function imageInput(op: string, model: ImageModel): ImageInput {
  // asking a model of several inputs for its inputShape would only say that it has several
  if ('inputNames' in model && model.inputNames.length > 1) {
    throw new ConvlensError(
      `${op}: model '${model.name}' takes ${model.inputNames.length} inputs (${model.inputNames.join(', ')}); ${op} gives a model one image`,
    );
  }
  const dataFormat = model.inputDataFormat;
  const channelsFirst = dataFormat === 'channels_first';
  const axes = channelsFirst ? 'channels, height, width' : 'height, width, channels';
  const shape = model.inputShape;
  if (shape?.length !== 3) {
    throw new ConvlensError(
      `${op}: model '${model.name}' takes inputs of shape ${shape ? formatShape(shape) : '(unknown)'}, not images (${axes})`,
    );
  }
  const [height, width, channels] = channelsFirst ? [shape[1], shape[2], shape[0]] : shape;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    const layout = channelsFirst
      ? ` (its input ${formatShape(shape)} is [${axes}]: its first image layer, '${firstImageLayer(model.layers)?.name}', is channels-first)`
      : '';
    throw new ConvlensError(
      `${op}: model '${model.name}' takes images of ${channels ?? 'any number of'} channels${layout}; images have 1 (gray), 3 (RGB) or 4 (RGBA)`,
    );
  }
  return { height, width, channels, dataFormat };
}

/** An image file that could not be read or decoded: `reason` is the fault alone, for a record that names the file itself (--json). */
export class ImageFileError extends ConvlensError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/**
 * One image as the model takes it, a batch of one: decoded with its channels, scaled to its pixel
 * range, resized to its input (a free height or width keeps the image's). `note` says what was done; `op` starts the messages.
 */
export async function modelInput(
  op: string,
  model: ImageModel,
  path: string,
  pixels: PixelRange,
): Promise<{ batch: Tensor<'float32'>; note: string }> {
  const { height, width, channels, dataFormat } = imageInput(op, model);
  const bytes = await readInputFile(path).catch((error: unknown) => {
    const reason = fsReason(error);
    throw new ImageFileError(`${op}: cannot read ${path}: ${reason}`, reason);
  });
  let decoded: Tensor;
  try {
    decoded = image.decodeImage(bytes, { channels, expandAnimations: false, cmykToGray: true });
  } catch (error) {
    // name the file, as extract does: the decoder only knows the bytes
    if (error instanceof ConvlensError) throw new ImageFileError(`${path}: ${error.message}`, error.message);
    throw error;
  }
  const range = resolvedPixels(model, pixels);
  // 0..1 as convertImageDtype gives it; 0..255 and -1..1 from the pixel values themselves, as Keras' preprocessing computes them
  let img: Tensor = range === '0..1' ? image.convertImageDtype(decoded, 'float32') : cast(decoded, 'float32');
  const [h, w] = decoded.shape;
  const notes = [`${h}×${w}×${channels}`];
  // a free height or width (a fully convolutional model) takes the image's own
  const size: [number, number] = [height ?? h, width ?? w];
  if (h !== size[0] || w !== size[1]) {
    img = image.resize(img, size);
    notes.push(`resized to ${size[0]}×${size[1]} (the model's input)`);
  }
  if (range === '-1..1')
    img = new Tensor(
      Float32Array.from(img.data, (v) => v / 127.5 - 1),
      img.shape,
      'float32',
    );
  notes.push(`pixels ${range}${pixels === 'auto' && range === '0..255' ? " (the model's Rescaling layer scales them)" : ''}`);
  if (dataFormat === 'channels_first') {
    img = transpose(img, [2, 0, 1]);
    notes.push('channels first');
  }
  return { batch: expandDims(img, 0) as Tensor<'float32'>, note: notes.join(', ') };
}
