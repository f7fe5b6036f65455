import type { Layer, Weight } from './layer.js';
import { ModelLayer } from './model_layer.js';
import { matchOneToOne, type SavedWeight } from './saved_weights.js';

/** A model's weight with the path Keras 3 gives it. */
export interface PathedWeight {
  weight: Weight;
  path: string;
}

/** Keras' `to_snake_case` of a class name: 'Conv2D' → 'conv2d', 'BatchNormalization' → 'batch_normalization'. */
function snakeCase(className: string): string {
  return className
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Each layer of `layers` with the group Keras 3's saving_lib saves it in: a layer by its class and
 * its rank among the layers of that class (never its name, which differs between two models built
 * alike), a nested model's layers below it ('layers/conv2d_1', 'layers/sequential/layers/dense').
 */
export function kerasLayerPaths(layers: readonly Layer[], prefix = 'layers'): { layer: Layer; path: string }[] {
  const seen = new Map<string, number>();
  return layers.flatMap((layer) => {
    const base = snakeCase(layer.className);
    const rank = seen.get(base) ?? 0;
    seen.set(base, rank + 1);
    const path = `${prefix}/${rank === 0 ? base : `${base}_${rank}`}`;
    return layer instanceof ModelLayer ? [{ layer, path }, ...kerasLayerPaths(layer.layers, `${path}/layers`)] : [{ layer, path }];
  });
}

/**
 * Each weight of `layers` with the path Keras 3's saving_lib gives it: its layer's group
 * (kerasLayerPaths), then its index: 'layers/conv2d_1/vars/0', 'layers/sequential/layers/dense/vars/1'.
 */
export function kerasPaths(layers: readonly Layer[], prefix = 'layers'): PathedWeight[] {
  return kerasLayerPaths(layers, prefix).flatMap(({ layer, path }) =>
    layer instanceof ModelLayer ? [] : layer.weights.map((weight, i) => ({ weight, path: `${path}/vars/${i}` })),
  );
}

/** Whether saved weights carry the paths Keras 3 gave them (a weights file's, a .keras file's), by which they are matched. */
export const hasKerasPaths = (saved: readonly SavedWeight[]): boolean =>
  saved.length > 0 && saved.every((s) => typeof s.spec.keras_path === 'string');

/** Whether a saved weight is at the model weight's Keras 3 path. */
export const atKerasPath = (p: PathedWeight, s: SavedWeight): boolean => p.path === s.spec.keras_path;

/** Each model weight's saved weight by Keras 3 path (Keras 3's rule); what does not match, in words, otherwise. */
export function matchByKerasPath(paths: readonly PathedWeight[], saved: SavedWeight[]): SavedWeight[] | string {
  return matchOneToOne(
    paths,
    saved,
    atKerasPath,
    (p) => `${p.weight.name} (${p.path})`,
    // a Keras file's weights are named by their path already
    (s) => (s.spec.name === s.spec.keras_path ? s.spec.name : `${s.spec.name} (${s.spec.keras_path})`),
  );
}
