import { ConvlensError, checkOptions, closeNames, describeValue } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Layer } from './layer.js';
import { ModelLayer } from './model_layer.js';

// A layer inside a nested model goes by a path: the names of the models that hold it and its own,
// joined by '/', as TensorFlow names a nested layer's weights ('base/conv2d/kernel').

/** A layer and the path that names it from the outer model (its own name for one of the model's own layers). */
export interface LayerAtPath {
  layer: Layer;
  path: string;
}

/** Every layer of `layers` at any depth, as Keras' `summary(expand_nested=True)` lists them: a model, then the layers in it. */
export function layerPaths(layers: readonly Layer[], prefix = ''): LayerAtPath[] {
  return layers.flatMap((layer) => {
    const path = `${prefix}${layer.name}`;
    return [{ layer, path }, ...(layer instanceof ModelLayer ? layerPaths(layer.layers, `${path}/`) : [])];
  });
}

/**
 * The layer `path` names among `layers`: one of their names, or a nested model's name, '/' and a
 * path in that model. A name that has a '/' itself is matched whole first.
 */
export function layerAtPath(layers: readonly Layer[], path: string): Layer | undefined {
  const own = layers.find((l) => l.name === path);
  if (own) return own;
  for (const layer of layers) {
    if (layer instanceof ModelLayer && path.startsWith(`${layer.name}/`)) {
      const found = layerAtPath(layer.layers, path.slice(layer.name.length + 1));
      if (found) return found;
    }
  }
  return undefined;
}

/** Nested paths listed in an error before the rest are only counted. */
const LISTED_PATHS = 24;

/** The error for a name no layer goes by: the paths it may have meant, then the model's layers and the nested ones. */
export function unknownLayerError(layers: readonly Layer[], name: string): ConvlensError {
  const all = layerPaths(layers).map((p) => p.path);
  const own = layers.map((l) => l.name);
  const nested = all.filter((p) => !own.includes(p));
  // a nested layer's own name without its model's ('conv2d' for 'base/conv2d') is the likeliest slip
  const last = name.slice(name.lastIndexOf('/') + 1);
  const sameName = nested.filter((p) => p.slice(p.lastIndexOf('/') + 1) === last);
  const guesses = [...new Set([...sameName, ...closeNames(name, all)])].slice(0, 3);
  const hint = guesses.length > 0 ? `; did you mean ${guesses.map((g) => describeValue(g)).join(' or ')}?` : '';
  const more = nested.length > LISTED_PATHS ? `, … ${nested.length - LISTED_PATHS} more` : '';
  const inside = nested.length > 0 ? `; in nested models: ${nested.slice(0, LISTED_PATHS).join(', ')}${more}` : '';
  return new ConvlensError(`getLayer: no layer named ${describeValue(name)}${hint} (layers: ${own.join(', ')}${inside})`);
}

export interface LayerOutputsOptions {
  /** Also every layer inside nested models, each after its model, named by its path (Keras' `expand_nested`). */
  expandNested?: boolean;
}

/** One layer's output in `layerOutputs`, with the path that names it (its own name for one of the model's own layers). */
export interface LayerOutput {
  layer: Layer;
  path: string;
  output: Tensor<'float32'>;
  /** In a functional model, which application of the layer it is, from 0 (a shared layer has several); a Sequential's have none. */
  call?: number;
}

/** layerOutputs' options, checked: whether to expand nested models. */
export function expandNestedOption(options: LayerOutputsOptions): boolean {
  checkOptions('layerOutputs', options, ['expandNested']);
  const { expandNested = false } = options;
  if (typeof expandNested !== 'boolean') {
    throw new ConvlensError(`layerOutputs: expandNested must be true or false, got ${describeValue(expandNested)}`);
  }
  return expandNested;
}

/**
 * `layer`'s entry in layerOutputs (`output` its output for `input`), and with `expandNested`, for
 * a nested model, its layers' outputs for the same input, in inference mode as it ran.
 */
export function outputsWithNested(
  layer: Layer,
  input: Tensor,
  output: Tensor<'float32'>,
  expandNested: boolean,
  call?: number,
): LayerOutput[] {
  const entry = { layer, path: layer.name, output, ...(call === undefined ? {} : { call }) };
  if (!expandNested || !(layer instanceof ModelLayer)) return [entry];
  const inner = layer.layerOutputs(input, { expandNested: true });
  return [entry, ...inner.map((o) => ({ ...o, path: `${layer.name}/${o.path}` }))];
}
