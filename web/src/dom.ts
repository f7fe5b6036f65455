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
  const rounded = Number(value.toFixed(digits));
  const text = Object.is(rounded, -0) ? '0' : String(rounded);
  return text.replace('-', '−');
}

/** A number as a person would type it into a kernel cell (ASCII minus, shortest form). */
export function editableNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const short = Number(value.toPrecision(6));
  return String(short);
}

/**
 * Reads a kernel cell: a number (`-1`, `0.25`, `−2`, `1e-3`) or a fraction (`1/16`, `-3/4`).
 * Returns undefined for anything else, including an empty cell or a lone minus sign.
 */
export function parseNumber(text: string): number | undefined {
  const t = text.trim().replace(/[−–]/g, '-').replace(',', '.');
  if (t === '') return undefined;
  const fraction = /^([+-]?\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(t);
  if (fraction) {
    const d = Number(fraction[2]);
    return d === 0 ? undefined : Number(fraction[1]) / d;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) && Math.abs(n) <= FLOAT32_MAX ? n : undefined;
}

/** The largest float32: kernels are computed in float32, so a larger number would be Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;
