import { ConvlensError, checkBoolean, checkNumber, checkOptions, describeValue } from '../errors.js';
import type { ImageDataFormat } from '../layers/args.js';
import type { Layer } from '../layers/layer.js';
import { outputLabel, outputNamed } from '../layers/layer_paths.js';
import type { TensorInput } from '../ops/convert.js';
import { nn } from '../ops/nn/index.js';
import { Tensor } from '../tensor/tensor.js';
import { imageBatch, kernelFilters } from './extraction.js';
import { Figure } from './figure.js';
import { modelImageBatch } from './input_images.js';
import { kernel2d } from './kernel.js';
import { channelsLastMaps, mapImage, plane } from './maps.js';
import { fmt, imageElement, textElement, textWidth } from './svg.js';

/**
 * What `showFeatureMaps` needs of a model: `layerOutputs` and `getLayer`, as `layers.Sequential`
 * and `layers.Functional` have, and the layout of its images and maps (channels-last without them).
 */
export interface FeatureModel {
  layerOutputs(
    x: Tensor,
    options?: { expandNested?: boolean },
  ): { layer: { name: string; className?: string }; path?: string; call?: number; output: Tensor; dataFormat?: ImageDataFormat }[];
  getLayer(nameOrIndex: string | number): { name: string };
  readonly inputDataFormat?: ImageDataFormat;
  /** Read to see whether the model scales its own pixels (a Rescaling first), which then takes uint8 images as they are. */
  readonly layers?: readonly Layer[];
  /** One example's shape (null: a free size); read to name a channels-last image given to a channels-first model. */
  readonly inputShape?: readonly (number | null)[];
}

/**
 * Throws, with the transpose that fixes it, when a channels-first model is given an image in
 * channels-last order [H, W, C] (as decodeImage gives it): its layers would only say that the
 * shapes differ.
 */
function checkChannelsFirstImage(model: FeatureModel, image: Tensor): void {
  const channels = model.inputShape?.[0];
  if (model.inputDataFormat !== 'channels_first' || image.rank !== 3 || channels === undefined) return;
  if (image.shape[2] === channels && image.shape[0] !== channels) {
    throw new ConvlensError(
      `showFeatureMaps: the model takes channels-first images [${channels}, H, W], got an image of shape [${image.shape.join(', ')}] (channels last, as decodeImage gives it): transpose(image, [2, 0, 1]) puts its channels first`,
    );
  }
}

export interface ShowFeatureMapsOptions {
  /** Rows of the grid (default 3); `null` gives as many as the channels need. */
  rows?: number | null;
  /** Columns (default 3). */
  cols?: number;
  /** The first channel drawn (default 0). */
  offset?: number;
  /** Applied to each map before drawing (default 0.5, as learntools). */
  gamma?: number;
  cmap?: string;
  /** Side of one tile in pixels (default 160). */
  tileSize?: number;
  /** Write the channel number under each tile (default true). */
  labels?: boolean;
}

/** A layer's output for one image: a model's layer by name, or (for a list of kernels) conv2d SAME + ReLU with each. */
function featureMaps(
  model: FeatureModel | TensorInput[],
  image: Tensor,
  layerName: string | number | undefined,
): { maps: Tensor; what: string } {
  const x = Array.isArray(model) ? imageBatch('showFeatureMaps', image) : modelImageBatch('showFeatureMaps', image, model ?? {});
  if (Array.isArray(model)) {
    if (model.length === 0) throw new ConvlensError('showFeatureMaps: the list of kernels is empty');
    if (layerName !== undefined) {
      throw new ConvlensError(
        `showFeatureMaps: layerName names a model's layer, but a list of kernels was given, which has none (got ${describeValue(layerName)}); pass undefined`,
      );
    }
    const kernels = model.map((k, i) => kernel2d(`showFeatureMaps: kernels[${i}]`, k as TensorInput));
    const outs = kernels.map((k) => nn.relu(nn.conv2d({ input: x, filters: kernelFilters(k, x.shape[3]), strides: 1, padding: 'SAME' })));
    const [, h, w] = outs[0].shape;
    const c = outs.length;
    const data = new Float32Array(h * w * c);
    outs.forEach((o, j) => {
      for (let i = 0; i < h * w; i++) data[i * c + j] = o.data[i];
    });
    return { maps: new Tensor(data, [1, h, w, c], 'float32'), what: `${c} kernels (conv2d SAME + ReLU)` };
  }
  if (typeof model?.layerOutputs !== 'function') {
    throw new ConvlensError('showFeatureMaps: model must be a layers.Sequential or layers.Functional (or a list of kernels)');
  }
  if (layerName === undefined) throw new ConvlensError('showFeatureMaps: layerName is required with a model');
  checkChannelsFirstImage(model, image);
  // a nested layer's output with the outer model's layers in front, as the model computes it
  const outputs = model.layerOutputs(x, { expandNested: true }).map((o) => ({ ...o, path: o.path ?? o.layer.name }));
  // by an application's label ('conv[1]', 'encoder[1]/conv2d'), or as getLayer takes it: a name, a path in a nested model ('base/conv2d') or an index
  const found = outputNamed('showFeatureMaps', outputs, layerName, (n) => model.getLayer(n));
  const name = outputLabel(found);
  if (found.output.rank !== 4) {
    throw new ConvlensError(
      `showFeatureMaps: layer '${name}' outputs shape [${found.output.shape.join(', ')}], not feature maps [1, H, W, C] (or [1, C, H, W] channels-first)`,
    );
  }
  return {
    maps: channelsLastMaps(found.output, found.dataFormat),
    what: `layer ${name}${found.layer.className ? ` (${found.layer.className})` : ''}`,
  };
}

/**
 * The lesson's `show_feature_maps`: one layer's feature maps for an image, `rows × cols` of them
 * from channel `offset`, in a grid. `model` is a `layers.Sequential` or `layers.Functional` (`layerName` a
 * layer's name or index, the path of a layer inside a nested model, 'base/conv2d', 'name[k]' for
 * application k of a shared layer, or 'encoder[k]/conv2d' for a layer in application k of a shared
 * model), or a list of kernels (with `layerName` undefined).
 */
export function showFeatureMaps(
  model: FeatureModel | TensorInput[],
  image: Tensor,
  layerName?: string | number,
  options: ShowFeatureMapsOptions = {},
): Figure {
  checkOptions('showFeatureMaps', options, ['rows', 'cols', 'offset', 'gamma', 'cmap', 'tileSize', 'labels']);
  const { cols = 3, offset = 0, gamma = 0.5, cmap = 'magma', tileSize = 160, labels = true } = options;
  const { maps, what } = featureMaps(model, image, layerName);
  const channels = maps.shape[3];
  if (!(Number.isInteger(cols) && cols >= 1)) throw new ConvlensError(`showFeatureMaps: cols must be a whole number >= 1, got ${cols}`);
  if (!(Number.isInteger(offset) && offset >= 0 && offset < channels)) {
    throw new ConvlensError(`showFeatureMaps: offset must be a channel index 0..${channels - 1}, got ${offset}`);
  }
  const rows = options.rows === null ? Math.ceil((channels - offset) / cols) : (options.rows ?? 3);
  if (!(Number.isInteger(rows) && rows >= 1)) throw new ConvlensError(`showFeatureMaps: rows must be a whole number >= 1, got ${rows}`);
  if (!(gamma > 0 && Number.isFinite(gamma)))
    throw new ConvlensError(`showFeatureMaps: gamma must be a positive number, got ${describeValue(gamma)}`);
  checkNumber('showFeatureMaps', 'tileSize', tileSize, { min: 8, max: 2048 });
  checkBoolean('showFeatureMaps', 'labels', labels);
  const count = Math.min(rows * cols, channels - offset);
  // the grid the maps fill: no empty rows or columns when there are fewer maps than cells
  const usedCols = Math.min(cols, count);
  const usedRows = Math.ceil(count / cols);
  const [, h, w] = maps.shape;
  const scale = tileSize / Math.max(h, w);
  const tw = w * scale;
  const th = h * scale;
  const gap = 4;
  const labelHeight = labels ? 16 : 0;
  const pad = 14;
  const last = offset + count - 1;
  const heading = what;
  const sub = `${count > 1 ? `feature maps ${offset}–${last}` : `feature map ${offset}`} of ${channels} · ${h}×${w} · gamma ${fmt(gamma)} · ${cmap}`;
  const header = 44;
  // whole pixels, as the PNG has
  const width = Math.ceil(
    Math.max(2 * pad + usedCols * tw + (usedCols - 1) * gap, 2 * pad + Math.max(textWidth(heading, 14, true), textWidth(sub, 11))),
  );
  const height = Math.ceil(2 * pad + header + usedRows * (th + labelHeight) + (usedRows - 1) * gap);
  const body = [
    textElement(heading, pad, pad + 14, { size: 14, weight: 'bold', fill: '#333' }),
    textElement(sub, pad, pad + 32, { size: 11, fill: '#555' }),
  ];
  for (let i = 0; i < count; i++) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const x = pad + c * (tw + gap);
    const y = pad + header + r * (th + labelHeight + gap);
    body.push(imageElement(mapImage(plane(maps, offset + i), { cmap, gamma, display: tileSize }), x, y, tw, th));
    if (labels) body.push(textElement(`#${offset + i}`, x + tw / 2, y + th + 12, { size: 11, anchor: 'middle', fill: '#555' }));
  }
  return Figure.of(width, height, body, 'feature maps');
}
