/** Small DOM helpers for the playground. */

/** The element with this id; throws if the page does not have it (a broken build, not a user error). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`playground: missing element #${id}`);
  return element as T;
}

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (strings; `true` for boolean attributes) and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** A number for people: integers as they are, others with up to `digits` decimals, a real minus sign. */
export function formatNumber(value: number, digits = 3): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  // past 1e21 toFixed writes every digit of the float (3.0000000054977558e+38): 4 significant ones do
  const rounded = Math.abs(value) >= 1e21 ? Number(value.toPrecision(4)) : Number(value.toFixed(digits));
  const text = Object.is(rounded, -0) ? '0' : String(rounded);
  return text.replace('-', '−');
}

/** A share as a whole percentage that never reads 0% or 100% when it is neither: "<1%", ">99%". */
export function formatPercent(count: number, total: number): string {
  if (count > 0 && count < total) {
    const percent = (count / total) * 100;
    if (percent < 0.5) return '<1%';
    if (percent >= 99.5) return '>99%';
  }
  return `${Math.round((count / total) * 100)}%`;
}

/** A number as a person would type it into a kernel cell (ASCII minus, shortest form). */
export function editableNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const short = Number(value.toPrecision(6));
  return String(short);
}

/** A kernel cell's text with the minus signs and decimal comma people type, trimmed. */
function normalized(text: string): string {
  return text.trim().replace(/[−–]/g, '-').replace(',', '.');
}

/** What a kernel cell's text means, whatever its size: a number, a fraction, or undefined. */
function readNumber(text: string): number | undefined {
  const t = normalized(text);
  if (t === '') return undefined;
  const fraction = /^([+-]?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(t);
  if (fraction) {
    const d = Number(fraction[2]);
    return d === 0 ? undefined : Number(fraction[1]) / d;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  return Number(t);
}

/**
 * Reads a kernel cell: a number (`-1`, `0.25`, `−2`, `1e-3`) or a fraction (`1/16`, `-3/4`) that
 * float32 holds. Returns undefined for anything else, including an empty cell or a lone minus sign.
 */
export function parseNumber(text: string): number | undefined {
  const n = readNumber(text);
  return n !== undefined && Math.abs(n) <= FLOAT32_MAX ? n : undefined;
}

/** A number (1e39, Infinity) or fraction (1e38 written out, over 0.1) that float32 cannot hold: named as such, not as "not a number". */
export function beyondFloat32(text: string): boolean {
  const n = readNumber(text) ?? Number(normalized(text));
  return !Number.isNaN(n) && Math.abs(n) > FLOAT32_MAX;
}

/** The largest float32: kernels are computed in float32, so a larger number would be Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;
