import { encode as encodePngBytes } from 'fast-png';
import { ConvlensError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** The font figures ask for: DejaVu Sans is shipped (dejavu-fonts-ttf) and given to the rasteriser. */
export const FONT_FAMILY = "'DejaVu Sans', 'Bitstream Vera Sans', Verdana, sans-serif";
export const MONO_FAMILY = "'DejaVu Sans Mono', Menlo, Consolas, monospace";

/**
 * Escapes text for SVG/HTML content and attribute values. A character XML cannot hold at all (a
 * control character from a folder's name, a lone surrogate) is written as printable text, \x1b, or
 * U+FFFD: one made the whole SVG unreadable to resvg and browsers alike.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\p{Cc}\p{Cs}\uFFFE\uFFFF]/gu, xmlChar);
}

/** A character of `escapeXml`'s text as XML can hold it: a control character as \x1b (tab and newlines as they are), a lone surrogate or a noncharacter as U+FFFD. */
function xmlChar(c: string): string {
  if (c === '\t' || c === '\n' || c === '\r') return c;
  return /\p{Cc}/u.test(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : '\uFFFD';
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of bytes (works the same in Node and browsers, no Buffer needed). */
export function base64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i];
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0;
    const n = (a << 16) | (b << 8) | c;
    chunk += BASE64[n >> 18] + BASE64[(n >> 12) & 63];
    chunk += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : '=';
    chunk += i + 2 < bytes.length ? BASE64[n & 63] : '=';
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

/** PNG bytes of a uint8 image `[H, W, C]` (C = 1, 3 or 4). */
export function rgbPng(image: Tensor<'uint8'>): Uint8Array {
  const [height, width, channels = 1] = image.shape;
  if (image.dtype !== 'uint8' || image.rank < 2 || image.rank > 3 || ![1, 2, 3, 4].includes(channels)) {
    throw new ConvlensError(`rgbPng: expected a uint8 image [height, width, channels], got ${image.dtype} [${image.shape.join(', ')}]`);
  }
  return encodePngBytes({ width, height, data: image.data as Uint8Array, depth: 8, channels });
}

/** A `data:` URI holding a uint8 image as PNG: figures embed their pixels this way, so an SVG stands alone. */
export function pngDataUri(image: Tensor<'uint8'>): string {
  return `data:image/png;base64,${base64(rgbPng(image))}`;
}

/**
 * An `<image>` element drawing a uint8 image into a box, each pixel a sharp block
 * (`image-rendering="optimizeSpeed"`, which resvg and browsers both honour as nearest-neighbour).
 */
export function imageElement(uri: string, x: number, y: number, width: number, height: number): string {
  return `<image x="${fmt(x)}" y="${fmt(y)}" width="${fmt(width)}" height="${fmt(height)}" preserveAspectRatio="none" image-rendering="optimizeSpeed" href="${uri}"/>`;
}

/** A number for an SVG attribute: at most two decimals, no trailing zeros. */
export function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export interface TextOptions {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'normal' | 'bold';
  fill?: string;
  family?: string;
  /** Vertical placement of `y`: the baseline (default) or the middle of the glyphs. */
  middle?: boolean;
}

/** A `<text>` element. `middle` shifts the baseline by 0.35em, which centres digits in DejaVu Sans. */
export function textElement(content: string, x: number, y: number, options: TextOptions = {}): string {
  const { size = 12, anchor = 'start', weight = 'normal', fill = '#222', family, middle = false } = options;
  const attrs = [
    `x="${fmt(x)}"`,
    `y="${fmt(middle ? y + size * 0.35 : y)}"`,
    `font-size="${fmt(size)}"`,
    anchor === 'start' ? '' : `text-anchor="${anchor}"`,
    weight === 'bold' ? 'font-weight="bold"' : '',
    `fill="${fill}"`,
    family ? `font-family="${family}"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** Approximate advance width of text in DejaVu Sans (average glyph ≈ 0.6 em; digits 0.636 em). */
export function textWidth(content: string, size: number, bold = false): number {
  let em = 0;
  for (const ch of content) {
    if (/[0-9]/.test(ch)) em += 0.636;
    else if (ch === '.' || ch === ',' || ch === ':' || ch === 'i' || ch === 'l' || ch === 'j' || ch === '|') em += 0.32;
    else if (ch === ' ') em += 0.318;
    else if (ch === '-' || ch === '−') em += 0.5;
    else if (/[A-Z×→⊛]/.test(ch)) em += 0.72;
    else if (ch === 'm' || ch === 'w') em += 0.95;
    else em += 0.6;
  }
  return em * size * (bold ? 1.1 : 1);
}

/** The whole document: white background, the shipped font family, one root element. */
export function svgDocument(width: number, height: number, body: string[], background = 'white'): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(width)}" height="${fmt(height)}" viewBox="0 0 ${fmt(width)} ${fmt(height)}" font-family="${FONT_FAMILY}">`,
    background === 'none' ? '' : `<rect width="100%" height="100%" fill="${background}"/>`,
    ...body,
    '</svg>',
  ]
    .filter(Boolean)
    .join('\n');
}

/** `#rrggbb` for an RGB triple. */
export function hex(r: number, g: number, b: number): string {
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}
