import { ConvlensError, checkNumber, checkOptions, checkString, describeValue } from '../errors.js';
import { resize } from '../image/resize.js';
import type { ImageDataFormat } from '../layers/args.js';
import { CONVOLUTION_CLASSES } from '../layers/conv_layer.js';
import { Functional } from '../layers/functional.js';
import { outputLayout } from '../layers/image_layout.js';
import { chainGradient, checkOneInputOneOutput, hasLogits, layerGradient } from '../layers/input_gradient.js';
import { Sequential } from '../layers/sequential.js';
import type { Shape } from '../layers/shapes.js';
import type { TensorInput } from '../ops/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { colorize } from './colormap.js';
import type { Figure } from './figure.js';
import { showImages } from './images.js';
import { checkImageValues, displayImages, modelImageBatch } from './input_images.js';

export type SaliencyMethod = 'gradcam' | 'gradient';

export interface SaliencyOptions {
  /** The class to explain (default: the one the model predicts): an output unit, or for one unit (Keras' binary classifier) 1 for its class and 0 for the other. */
  classIndex?: number;
  /**
   * 'gradcam' (the default): Grad-CAM (Selvaraju et al. 2017, as Keras' example computes it), the
   * feature maps of a convolution weighted by how much the class score rises with each, coarse
   * but about the class; for a functional model, the score's gradient on the maps goes through
   * every path from the layer to the output (a skip connection's too). 'gradient': the gradient
   * of the class score with respect to each pixel (Simonyan et al. 2014), its largest size over
   * the channels, fine but noisy; the default for a model with no layer of feature maps before
   * its output, which Grad-CAM cannot take.
   */
  method?: SaliencyMethod;
  /**
   * Grad-CAM's layer, by name (default: the model's last convolution, or without one its last
   * layer with feature maps); in a functional model, `'name[k]'` for application k of a shared
   * layer. Giving it asks for Grad-CAM.
   */
  layerName?: string;
}

export interface Saliency {
  /** Where the class's evidence lies: `[H, W]` at the image's size, 0..1 (1 where it is strongest; all 0 when there is none). */
  map: Tensor<'float32'>;
  classIndex: number;
  /** The model's output for that class (its probability, for a softmax or sigmoid classifier; 1 − p for class 0 of one unit). */
  score: number;
  method: SaliencyMethod;
  /** Grad-CAM's layer. */
  layerName?: string;
}

const OP = 'saliency';

/**
 * Which pixels of `image` a classifier's score for a class depends on. The score is taken before
 * the output's softmax or sigmoid (its logit), as both methods define it; for a softmax, less the
 * mean of the logits, since only their differences count (without it, the part of the gradient
 * that raises every class alike left half of the Grad-CAM maps of an MNIST convnet empty).
 * `image` is one image `[H, W, C]` (or a batch of one) as the model takes it: float32 in the
 * model's range, or uint8 (divided by 255, or as it is when the model scales its own pixels). For
 * a classifier (one score per class), Sequential or functional (of one input and one output). The method is Grad-CAM by default, or the gradient for
 * a model with no layer of feature maps before its output (an MLP), which Grad-CAM cannot take:
 * the result's `method` says which.
 */
export function saliency(model: Sequential | Functional, image: Tensor | TensorInput, options: SaliencyOptions = {}): Saliency {
  checkOptions(OP, options, ['classIndex', 'method', 'layerName']);
  checkClassifier(model);
  if (options.method !== undefined && options.method !== 'gradcam' && options.method !== 'gradient') {
    throw new ConvlensError(`${OP}: method must be 'gradcam' or 'gradient', got ${describeValue(options.method)}`);
  }
  if (options.method === 'gradient' && options.layerName !== undefined) {
    throw new ConvlensError(`${OP}: layerName is Grad-CAM's; the 'gradient' method takes the input's gradient`);
  }
  const layers = layersInRunOrder(model);
  const defaultLayer = lastWithMaps(layers);
  // layerName asks for Grad-CAM; without it, Grad-CAM where the model has maps for it
  const method = options.method ?? (options.layerName !== undefined || defaultLayer >= 0 ? 'gradcam' : 'gradient');
  const x = modelImageBatch(OP, image, model);
  checkImageValues(OP, 'image', x);
  const units = model.outputShape![0]!;
  // one unit is Keras' binary classifier: class 1 its logit, class 0 minus it
  const oneUnit = units === 1;
  const classes = oneUnit ? 2 : units;
  if (options.classIndex !== undefined) checkNumber(OP, 'classIndex', options.classIndex, { min: 0, max: classes - 1, integer: true });
  const logits = hasLogits(model);
  const target: { classIndex?: number; score?: number } = { classIndex: options.classIndex };
  // a softmax depends on its logits' differences alone: the class's score is its logit less their mean
  const centred = model.finalLayer().activation === 'softmax';
  // dy: the class score's gradient on the logits, once the output says which class
  const dyFor = (output: Tensor<'float32'>) => {
    if (oneUnit) {
      const p = logits ? output.data[0] : 1 / (1 + Math.exp(-output.data[0]));
      target.classIndex ??= p >= 0.5 ? 1 : 0;
      target.score = target.classIndex === 1 ? p : 1 - p;
      return new Tensor(new Float32Array([target.classIndex === 1 ? 1 : -1]), output.shape, 'float32');
    }
    target.classIndex ??= argMax(output.data);
    target.score = output.data[target.classIndex];
    const dy = new Float32Array(output.size).fill(centred ? -1 / output.size : 0);
    dy[target.classIndex] += 1;
    return new Tensor(dy, output.shape, 'float32');
  };
  const channelsFirst = model.inputDataFormat === 'channels_first';
  const [height, width] = channelsFirst ? x.shape.slice(2) : x.shape.slice(1, 3);
  let map: Float32Array;
  let layerName: string | undefined;
  if (method === 'gradient') {
    const { gradient } = chainGradient([model], x, dyFor, logits);
    map = largestOverChannels(gradient, channelsFirst ? 1 : 3);
  } else {
    const index = options.layerName === undefined ? defaultLayer : namedLayer(model.name, layers, options.layerName);
    if (index < 0) {
      throw new ConvlensError(
        `${OP}: model '${model.name}' has no layer with feature maps for Grad-CAM (the 'gradient' method needs none)`,
      );
    }
    const layer = layers[index];
    layerName = layer.name;
    const { maps, gradient } =
      model instanceof Sequential ? sequentialMaps(model, index, x, dyFor, logits) : functionalMaps(model, layerName, x, dyFor, logits);
    const cam = weightedMaps(maps, gradient, layer.layout === 'channels_first' ? 1 : 3);
    map = resize(cam, [height, width]).data as Float32Array;
  }
  return {
    map: new Tensor(toUnit(map), [height, width], 'float32'),
    classIndex: target.classIndex!,
    score: target.score!,
    method,
    layerName,
  };
}

export interface ShowSaliencyOptions extends SaliencyOptions {
  /** Class names in the order of the model's outputs, for the title. */
  classNames?: readonly string[];
  /** The heat map's colormap (default 'turbo', an improved jet). */
  cmap?: string;
  /** How much the heat map covers the image in the overlay (default 0.4, as Keras' example). */
  alpha?: number;
  /** The longest side of each panel in pixels (default 224). */
  tileSize?: number;
  title?: string;
}

/** `saliency` drawn: the image, the heat map, and the heat map over the image. */
export function showSaliency(model: Sequential | Functional, image: Tensor | TensorInput, options: ShowSaliencyOptions = {}): Figure {
  checkOptions('showSaliency', options, ['classIndex', 'method', 'layerName', 'classNames', 'cmap', 'alpha', 'tileSize', 'title']);
  const { classNames, cmap = 'turbo', alpha = 0.4, tileSize = 224, title, ...what } = options;
  checkNumber('showSaliency', 'alpha', alpha, { min: 0, max: 1 });
  const result = saliency(model, image, what);
  if (classNames !== undefined && (!Array.isArray(classNames) || !classNames.every((n) => typeof n === 'string'))) {
    throw new ConvlensError(`showSaliency: classNames must be a list of strings, got ${describeValue(classNames)}`);
  }
  const name = classNames?.[result.classIndex] ?? `class ${result.classIndex}`;
  if (title !== undefined) checkString('showSaliency', 'title', title);
  const [picture] = displayImages(modelImageBatch('showSaliency', image, model), model.inputDataFormat === 'channels_first');
  const heat = colorize(result.map, { cmap, vmin: 0, vmax: 1 });
  const overlay = blend(picture, heat, alpha);
  const how = result.method === 'gradcam' ? `Grad-CAM of ${result.layerName}` : 'input gradient';
  return showImages([picture, heat, overlay], {
    captions: ['input', how, 'overlay'],
    tileSize,
    title: title ?? `Where ${model.name} sees ${name} (score ${result.score.toFixed(3)})`,
  });
}

/** A classifier's output is one score per class, `[batch, classes]`; a functional one has one input and one output. */
function checkClassifier(model: Sequential | Functional): void {
  if (!(model instanceof Sequential || model instanceof Functional)) {
    throw new ConvlensError(`${OP}: model must be a Sequential or functional model, got ${describeValue(model)}`);
  }
  checkOneInputOneOutput(model, OP, 'a classifier');
  const shape = model.outputShape;
  if (shape?.length !== 1 || shape[0] === null) {
    const got = shape ? `[${shape.map((d) => d ?? 'null').join(', ')}] per example` : 'nothing yet (give its first layer an inputShape)';
    throw new ConvlensError(`${OP}: explains a classifier, whose output is one score per class; model '${model.name}' outputs ${got}`);
  }
}

/** A layer as Grad-CAM chooses among them (for a functional model, one application of a layer: `'name[k]'` for a shared layer's k-th). */
interface RunLayer {
  name: string;
  className: string;
  /** Its output per example. */
  outputShape: Shape | undefined;
  /** Its output's layout, which says where its maps' channels are. */
  layout: ImageDataFormat;
}

/** The model's layers in the order it runs them, the output's last (a functional model's nodes). */
function layersInRunOrder(model: Sequential | Functional): RunLayer[] {
  if (model instanceof Functional) {
    return model
      .nodesInRunOrder()
      .map(({ name, layer, outputShape, layout }) => ({ name, className: layer.className, outputShape, layout }));
  }
  let layout = model.inputDataFormat;
  return model.layers.map((layer) => {
    layout = outputLayout(layer, layout);
    return { name: layer.name, className: layer.className, outputShape: layer.outputShape, layout };
  });
}

const hasMaps = (layer: RunLayer) => layer.outputShape?.length === 3;

/** Grad-CAM's default layer: the last convolution with maps before the output, as Keras' example takes; else the last layer with maps; -1 for none. */
function lastWithMaps(layers: readonly RunLayer[]): number {
  const before = layers.slice(0, -1);
  const index = lastIndex(before, (l) => hasMaps(l) && CONVOLUTION_CLASSES.has(l.className));
  return index >= 0 ? index : lastIndex(before, hasMaps);
}

/** The index of Grad-CAM's layer `layerName`, checked: one of the model's, with maps, and not its output. */
function namedLayer(modelName: string, layers: readonly RunLayer[], layerName: string): number {
  checkString(OP, 'layerName', layerName);
  const index = layers.findIndex((l) => l.name === layerName);
  if (index < 0) {
    throw new ConvlensError(
      `${OP}: model '${modelName}' has no layer '${layerName}' (its layers: ${layers.map((l) => l.name).join(', ')})`,
    );
  }
  const layer = layers[index];
  if (!hasMaps(layer)) {
    throw new ConvlensError(
      `${OP}: layer '${layerName}' has no feature maps (its output is [${layer.outputShape?.map((d) => d ?? 'null').join(', ')}] per example) for Grad-CAM`,
    );
  }
  if (index === layers.length - 1) {
    throw new ConvlensError(`${OP}: layer '${layerName}' is the model's output; Grad-CAM takes a layer before the classifier's head`);
  }
  return index;
}

/** Grad-CAM's parts: the layer's maps for the image and the class score's gradient on them. */
interface MapsAndGradient {
  maps: Tensor<'float32'>;
  gradient: Tensor<'float32'>;
}

type ScoreGradient = (output: Tensor<'float32'>) => Tensor<'float32'>;

/** A Sequential model split after layer `index`: its maps from the layers up to it, their gradient back through the rest. */
function sequentialMaps(model: Sequential, index: number, x: Tensor<'float32'>, dyFor: ScoreGradient, logits: boolean): MapsAndGradient {
  let maps = x;
  for (const layer of model.layers.slice(0, index + 1)) maps = layer.apply(maps, false);
  const { gradient } = chainGradient(model.layers.slice(index + 1), maps, dyFor, logits);
  return { maps, gradient };
}

/** A functional model's maps at node `name` and the score's gradient on them, through every path from it (skip connections too). */
function functionalMaps(model: Functional, name: string, x: Tensor<'float32'>, dyFor: ScoreGradient, logits: boolean): MapsAndGradient {
  const { layerOutput, layerGradient: gradient } = layerGradient(model, x, name, dyFor, logits);
  return { maps: layerOutput, gradient };
}

function lastIndex<T>(list: readonly T[], test: (item: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i])) return i;
  return -1;
}

function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Each pixel's largest gradient size over the channels (the input's batch of one). */
function largestOverChannels(gradient: Tensor<'float32'>, channelAxis: number): Float32Array {
  const channels = gradient.shape[channelAxis];
  const pixels = gradient.size / channels;
  const out = new Float32Array(pixels);
  for (let i = 0; i < gradient.size; i++) {
    const pixel = channelAxis === 1 ? i % pixels : Math.floor(i / channels);
    out[pixel] = Math.max(out[pixel], Math.abs(gradient.data[i]));
  }
  return out;
}

/** Grad-CAM: relu(Σ_k α_k A_k), α_k the mean over positions of the score's gradient on map k; `[h, w, 1]`. */
function weightedMaps(maps: Tensor<'float32'>, gradient: Tensor<'float32'>, channelAxis: number): Tensor<'float32'> {
  const channels = maps.shape[channelAxis];
  const positions = maps.size / channels;
  const channelOf = (i: number) => (channelAxis === 1 ? Math.floor(i / positions) : i % channels);
  const positionOf = (i: number) => (channelAxis === 1 ? i % positions : Math.floor(i / channels));
  const weights = new Float64Array(channels);
  for (let i = 0; i < gradient.size; i++) weights[channelOf(i)] += gradient.data[i] / positions;
  const cam = new Float64Array(positions);
  for (let i = 0; i < maps.size; i++) cam[positionOf(i)] += weights[channelOf(i)] * maps.data[i];
  const [h, w] = channelAxis === 1 ? maps.shape.slice(2) : maps.shape.slice(1, 3);
  return new Tensor(
    Float32Array.from(cam, (v) => Math.max(0, v)),
    [h, w, 1],
    'float32',
  );
}

/** Values divided by the largest (all 0 when none is above 0). */
function toUnit(values: Float32Array): Float32Array {
  let top = 0;
  for (const v of values) if (v > top) top = v;
  return top > 0 ? values.map((v) => Math.max(0, v) / top) : new Float32Array(values.length);
}

/** `alpha` of the heat map over the picture (gray pictures taken as RGB). */
function blend(picture: Tensor<'float32'>, heat: Tensor<'uint8'>, alpha: number): Tensor<'float32'> {
  const [height, width, channels] = picture.shape;
  const out = new Float32Array(height * width * 3);
  for (let i = 0; i < out.length; i++) {
    const base = picture.data[channels === 3 ? i : Math.floor(i / 3)];
    out[i] = (1 - alpha) * base + (alpha * heat.data[i]) / 255;
  }
  return new Tensor(out, [height, width, 3], 'float32');
}
