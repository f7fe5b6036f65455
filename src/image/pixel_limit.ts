import { ConvlensError } from '../errors.js';

/** sharp's default: 0x3FFF × 0x3FFF = 16383² pixels. */
export const DEFAULT_PIXEL_LIMIT = 268_402_689;

let pixelLimit = DEFAULT_PIXEL_LIMIT;

/** Checks a pixel limit value: a positive integer, or Infinity for no limit. */
export function checkLimitValue(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !(value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value > 0))) {
    const got = typeof value === 'number' ? String(value) : typeof value;
    throw new ConvlensError(`${op}: ${arg} must be a positive integer or Infinity, got ${got}`);
  }
  return value;
}

/**
 * Sets the largest image (width × height) the decoders accept, for every later call that does not
 * pass its own `maxPixels`. Guards against decompression bombs: a few bytes of an image file can
 * declare an image of many gigabytes. `Infinity` removes the limit. Returns the previous limit.
 */
export function setPixelLimit(limit: number): number {
  const previous = pixelLimit;
  pixelLimit = checkLimitValue('setPixelLimit', 'limit', limit);
  return previous;
}

/** The current global pixel limit (DEFAULT_PIXEL_LIMIT unless setPixelLimit changed it). */
export function getPixelLimit(): number {
  return pixelLimit;
}

/**
 * Throws before anything is allocated if a header declares more pixels than allowed; `frames`
 * (an animation's) count for as many images.
 */
export function checkPixelCount(op: string, width: number, height: number, maxPixels: number | undefined, frames = 1): void {
  const limit = maxPixels ?? pixelLimit;
  const pixels = frames * width * height;
  if (pixels > limit) {
    const how = maxPixels === undefined ? 'set maxPixels or setPixelLimit to allow it' : 'raise maxPixels to allow it';
    const size = frames === 1 ? `${height}×${width}` : `${frames} frames of ${height}×${width}`;
    throw new ConvlensError(`${op}: image is ${size} = ${pixels} pixels, above the limit of ${limit} (${how})`);
  }
}
