import type { Layer, Weight } from './layer.js';
import { ModelLayer } from './model_layer.js';

/** Keras' `to_snake_case` of a class name: 'Conv2D' → 'conv2d', 'BatchNormalization' → 'batch_normalization'. */
function snakeCase(className: string): string {
  return className
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Each weight of `layers` with the path Keras 3's saving_lib gives it: a layer by its class and
 * its rank among the layers of that class (never its name, which differs between two models
 * built alike), a nested model's layers below it, a layer's weights by their index:
 * 'layers/conv2d_1/vars/0', 'layers/sequential/layers/dense/vars/1'.
 */
export function kerasPaths(layers: readonly Layer[], prefix = 'layers'): { weight: Weight; path: string }[] {
  const seen = new Map<string, number>();
  return layers.flatMap((layer) => {
    const base = snakeCase(layer.className);
    const rank = seen.get(base) ?? 0;
    seen.set(base, rank + 1);
    const at = `${prefix}/${rank === 0 ? base : `${base}_${rank}`}`;
    if (layer instanceof ModelLayer) return kerasPaths(layer.layers, `${at}/layers`);
    return layer.weights.map((weight, i) => ({ weight, path: `${at}/vars/${i}` }));
  });
}
