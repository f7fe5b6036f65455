import { ConvlensError } from '../errors.js';
import type { Layer } from './layer.js';

/** Reads `n` or `[h, w]` as `[h, w]` of positive integers, or throws naming the layer and argument. */
export function positivePair(where: string, key: string, value: unknown): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : Array.isArray(value) && value.length === 2 ? value : [];
  if (pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v > 0)) {
    throw new ConvlensError(`${where}: ${key} must be positive integers (n or [h, w]), got ${JSON.stringify(value)}`);
  }
  return [pair[0], pair[1]];
}

/** Keras' padding words, in either case. */
export function paddingArg(where: string, value: unknown): 'valid' | 'same' {
  const padding = String(value ?? 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') {
    throw new ConvlensError(`${where}: unknown padding ${JSON.stringify(value)} (expected 'valid' or 'same')`);
  }
  return padding;
}

/** Re-throws an op's argument error as this layer's, so the message names the layer. */
export function asLayerError(layer: Layer, error: unknown): never {
  if (error instanceof ConvlensError) throw new ConvlensError(`${layer.name} (${layer.className}): ${error.message}`);
  throw error;
}
