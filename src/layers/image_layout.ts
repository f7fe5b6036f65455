import type { ImageDataFormat } from './args.js';
import { Flatten } from './flatten.js';
import { ImageLayer } from './image_layer.js';
import type { Layer } from './layer.js';
import { ModelLayer } from './model_layer.js';
import { RandomImageLayer } from './random_image_layer.js';
import { SpatialDropout2D } from './spatial_dropout.js';

// The layout of a model's images and feature maps, read from its graph: a layer with a dataFormat
// of its own (a convolution, a pooling, SpatialDropout2D...) gives its output in that layout; any
// other (Activation, Dropout, BatchNormalization, Add, Concatenate...) keeps its input's (a merge,
// its first input's). A model's input is in the layout of the first image layer it holds.

/** An image layer: one that takes Keras' data_format. */
type ImageFormatted = Layer & { readonly dataFormat: ImageDataFormat };

/** The layer's own dataFormat, if it takes one. */
function ownDataFormat(layer: Layer): ImageDataFormat | undefined {
  return layer instanceof ImageLayer || layer instanceof SpatialDropout2D || layer instanceof Flatten ? layer.dataFormat : undefined;
}

/** The first layer of `layers` with a dataFormat of its own, looking inside nested models in turn. */
export function firstImageLayer(layers: readonly Layer[]): ImageFormatted | undefined {
  for (const layer of layers) {
    if (ownDataFormat(layer) !== undefined) return layer as ImageFormatted;
    if (layer instanceof ModelLayer) {
      const inner = firstImageLayer(layer.layers);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** The layout of the images a model of `layers` takes: its first image layer's, channels-last without one (Keras' default). */
export function inputLayout(layers: readonly Layer[]): ImageDataFormat {
  return firstImageLayer(layers)?.dataFormat ?? 'channels_last';
}

/** The layout of `layer`'s output given its input's (a model's, as its graph gives it). */
export function outputLayout(layer: Layer, input: ImageDataFormat): ImageDataFormat {
  if (layer instanceof ModelLayer) return layer.outputLayout(input);
  return ownDataFormat(layer) ?? input;
}

/**
 * The first layer that changes an image at inference, looking inside nested models (Keras'
 * `Sequential([data_augmentation, Rescaling(1 / 255), ...])`): augmentation layers pass images
 * through then, so a Rescaling after them still scales the decoded pixels.
 */
function firstActiveLayer(layers: readonly Layer[]): Layer | undefined {
  for (const layer of layers) {
    if (layer instanceof RandomImageLayer) continue;
    if (!(layer instanceof ModelLayer)) return layer;
    const inner = firstActiveLayer(layer.layers);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * Whether a model scales its own pixels, as Keras' models often do: its first layer that changes
 * an image is a Rescaling, so it takes them as decoded (0..255) rather than in 0..1.
 */
export function rescalesItsInput(model: { readonly layers: readonly Layer[] }): boolean {
  return firstActiveLayer(model.layers)?.className === 'Rescaling';
}
