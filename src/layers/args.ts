import { ConvlensError, checkOptions, describeValue, everyItem, type OptionsForm } from '../errors.js';
import type { Layer } from './layer.js';

/**
 * `value` with its arrays frozen (Object.freeze), nested ones too: the shapes and settings a layer
 * hands out are read by its kernels, so a caller's `push` or assignment must throw rather than
 * change them. Typed as given (number[] where other libraries take one), as Tensor's shape.
 */
export function immutable<T>(value: T): T {
  if (Array.isArray(value) && !Object.isFrozen(value)) {
    for (const item of value) immutable(item);
    Object.freeze(value);
  }
  return value;
}

/** The options every layer takes (Layer's own), after the layer's. */
const BASE_KEYS = ['name', 'inputShape', 'batchInputShape', 'trainable'] as const;

/**
 * Checks a layer's options before the layer is made: an object (not null, a number or a
 * string) with no unknown or misspelt keys, which would otherwise be silently ignored.
 */
export function layerOptions<T>(className: string, args: T, keys: readonly string[], form: OptionsForm = {}): T {
  checkOptions(className, args, [...keys, ...BASE_KEYS], form);
  return args;
}

/**
 * A layer's options from Keras' shorthand and the options after it: `new RandomFlip('horizontal',
 * { inputShape })` as Keras' `RandomFlip("horizontal", input_shape=...)`. `shorthand` says whether
 * `args` is the value of `key` rather than an options object; anything after an options object,
 * or after the shorthand but not an object, is refused (JavaScript would drop it silently).
 */
export function shorthandOptions<T>(className: string, key: string, args: unknown, more: unknown, shorthand: boolean): T {
  if (more === undefined) return (shorthand ? { [key]: args } : args) as T;
  const example = `new ${className}(${shorthand ? describeValue(args) : '...'}, { inputShape })`;
  if (!shorthand || typeof more !== 'object' || more === null || Array.isArray(more)) {
    throw new ConvlensError(
      `${className}: give the ${key} first, then an options object (${example}), or one options object; got ${describeValue(more)} after ${shorthand ? `the ${key}` : 'an options object'}`,
    );
  }
  if (key in more) throw new ConvlensError(`${className}: ${key} is given twice, first and in the options after it`);
  return { ...more, [key]: args } as T;
}

/** Reads `n` or `[h, w]` as `[h, w]` of positive integers, or throws naming the layer and argument. */
export function positivePair(where: string, key: string, value: unknown): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : Array.isArray(value) && value.length === 2 ? value : [];
  if (pair.length !== 2 || !everyItem(pair, (v) => Number.isInteger(v) && v > 0)) {
    throw new ConvlensError(`${where}: ${key} must be positive integers (n or [h, w]), got ${describeValue(value)}`);
  }
  return immutable([pair[0], pair[1]]); // a layer keeps it as its setting
}

/** Keras' padding words, in either case. */
export function paddingArg(where: string, value: unknown): 'valid' | 'same' {
  const padding = String(value ?? 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') {
    throw new ConvlensError(`${where}: unknown padding ${describeValue(value)} (expected 'valid' or 'same')`);
  }
  return padding;
}

/** Keras' (and tfjs') data formats: images [batch, height, width, channels] (the default) or [batch, channels, height, width]. */
export type DataFormat = 'channels_last' | 'channels_first' | 'channelsLast' | 'channelsFirst';

/** A data format as Keras' configs write it. */
export type ImageDataFormat = 'channels_last' | 'channels_first';

/** Reads Keras' (or tfjs') data format, channels-last by default, or throws naming the layer and the value. */
export function dataFormatArg(where: string, value: unknown): ImageDataFormat {
  if (value === undefined || value === null || value === 'channels_last' || value === 'channelsLast') return 'channels_last';
  if (value === 'channels_first' || value === 'channelsFirst') return 'channels_first';
  throw new ConvlensError(`${where}: unknown dataFormat ${describeValue(value)} (expected 'channels_last' or 'channels_first')`);
}

/** An optional boolean option: `'false'` or 0 would otherwise be read as truthy or falsy by accident. */
export function booleanArg(where: string, key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConvlensError(`${where}: ${key} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** Re-throws an op's argument error as this layer's, so the message names the layer. */
export function asLayerError(layer: Layer, error: unknown): never {
  if (error instanceof ConvlensError) throw new ConvlensError(`${layer.name} (${layer.className}): ${error.message}`);
  throw error;
}

/** A layer's `seed` (Keras' and tfjs'): a non-negative integer, or null/undefined for none. */
export function seedArg(where: string, value: unknown): number | undefined {
  const seed = value ?? undefined;
  if (seed !== undefined && !(Number.isSafeInteger(seed) && (seed as number) >= 0)) {
    throw new ConvlensError(`${where}: seed must be a non-negative integer (or null), got ${describeValue(seed)}`);
  }
  return seed as number | undefined;
}
