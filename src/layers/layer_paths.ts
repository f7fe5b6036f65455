import { ConvlensError, checkOptions, closeNames, describeValue } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ImageDataFormat } from './args.js';
import { outputLayout } from './image_layout.js';
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
  /**
   * For feature maps (an output of rank 4), their layout: the dataFormat of the nearest layer
   * upstream that has one, else the model's input layout (see image_layout.ts).
   */
  dataFormat?: ImageDataFormat;
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
 * `layer`'s entries in layerOutputs as a model computes them, in inference mode, each layer once:
 * its output, which `compute` gives, at its name (`call` its application, when it has several),
 * with the layout of its feature maps given `inputFormat`, its input's; with `expandNested`, a
 * nested model (`runner`: the model, or its replica for a later application) runs instead with its
 * own layers' outputs recorded, which follow its entry, their paths under its own ('base/conv2d';
 * 'encoder[1]/conv2d' inside application 1 of a shared model).
 */
export function tracedOutputs(
  layer: Layer,
  runner: Layer,
  compute: () => Tensor<'float32'>,
  input: Tensor<'float32'>,
  inputFormat: ImageDataFormat,
  expandNested: boolean,
  call?: number,
): LayerOutput[] {
  const format = outputLayout(runner, inputFormat);
  const entry = (output: Tensor<'float32'>): LayerOutput => ({
    layer,
    path: layer.name,
    output,
    ...(call === undefined ? {} : { call }),
    ...(output.rank === 4 ? { dataFormat: format } : {}),
  });
  if (!expandNested || !(runner instanceof ModelLayer)) return [entry(compute())];
  const { output, layers } = runner.tracedRun(input, inputFormat);
  const prefix = call ? `${layer.name}[${call}]` : layer.name;
  return [entry(output), ...layers.map((o) => ({ ...o, path: `${prefix}/${o.path}` }))];
}

/** The name of a layer output in layerOutputs: its path, with `[k]` for application k > 0 of a shared layer ('conv[1]', 'encoder[1]/conv2d[1]'). */
export const outputLabel = (o: Pick<LayerOutput, 'path' | 'call'>) => (o.call ? `${o.path}[${o.call}]` : o.path);

/**
 * The entry of layerOutputs (with `expandNested`) that `name` picks: an application's label
 * ('conv[1]'; 'encoder[1]/conv2d' in application 1 of a shared model), else a layer's name, path or
 * index as `getLayer` takes it (which names the layers in its error), standing for its first
 * application. An application the layer does not have is a ConvlensError beginning with `op`.
 */
export function outputNamed<T extends Pick<LayerOutput, 'path' | 'call'> & { layer: unknown }>(
  op: string,
  outputs: readonly T[],
  name: string | number,
  getLayer: (nameOrIndex: string | number) => unknown,
): T {
  if (typeof name === 'string' && name.includes('[')) {
    const found = outputs.find((o) => outputLabel(o) === name);
    if (found) return found;
    checkApplications(op, outputs, name);
  }
  const layer = getLayer(name);
  return outputs.find((o) => o.layer === layer)!;
}

/** Throws if a step of the path `name` ('encoder[2]/conv2d') asks for an application its layer does not have. */
function checkApplications(op: string, outputs: readonly Pick<LayerOutput, 'path' | 'call'>[], name: string): void {
  const steps = name.split('/');
  for (const [i, step] of steps.entries()) {
    const application = /^(.+)\[([1-9]\d*)\]$/.exec(step);
    if (!application) continue;
    const path = [...steps.slice(0, i), application[1]].join('/');
    const count = outputs.filter((o) => o.path === path).length;
    if (count > 0 && Number(application[2]) >= count) {
      throw new ConvlensError(
        `${op}: layer '${path}' is applied ${count} time${count === 1 ? '' : 's'}, so has no application ${application[2]} (counting from 0)`,
      );
    }
  }
}
