import { ConvlensError, checkNumber, checkOptions, checkString } from '../errors.js';
import { colormap } from './colormap.js';
import { Figure } from './figure.js';
import type { Panel } from './kernel.js';
import { signedPower } from './maps.js';
import { fmt, hex, textElement } from './svg.js';

/** A tick label: up to `digits` significant digits (3 by default), no trailing zeros, plain minus. */
export function tickLabel(v: number, digits = 3): string {
  if (v === 0 || !Number.isFinite(v)) return String(v === 0 ? 0 : v);
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(digits - 2).replace('e+', 'e');
  return String(Number(v.toPrecision(digits)));
}

/**
 * The labels of a bar's two ends: 3 significant digits, or as many more as it takes to tell them
 * apart (a map from 1000 to 1001 was labelled 1000 at both ends, one from 12345 to 12346 12300).
 */
function endLabels(vmin: number, vmax: number): [string, string] {
  let digits = 3;
  while (digits < 17 && vmax > vmin && tickLabel(vmin, digits) === tickLabel(vmax, digits)) digits++;
  return [tickLabel(vmin, digits), tickLabel(vmax, digits)];
}

export interface ColorbarOptions {
  cmap?: string;
  width?: number;
  height?: number;
  /** Text under the bar, e.g. `value`. */
  label?: string;
}

/**
 * A horizontal colorbar from vmin to vmax with end (and zero, when inside) ticks; `note` in place
 * of the ticks when there are no values to scale (a map with no finite value). `gamma`: the map
 * was drawn with it, so a value's colour sits at its `signedPower` between the ends', and its tick with it.
 */
export function colorbarPanel(vmin: number, vmax: number, options: ColorbarOptions & { gamma?: number } = {}, note?: string): Panel {
  const { cmap = 'magma', width = 200, height = 10, label = '', gamma = 1 } = options;
  const [lo, hi] = [signedPower(vmin, gamma), signedPower(vmax, gamma)];
  const position = (v: number) => (hi > lo ? (signedPower(v, gamma) - lo) / (hi - lo) : 0);
  const table = colormap(cmap);
  const fontSize = 11;
  const total = height + 4 + fontSize + (label ? fontSize + 4 : 0) + 2;
  return {
    width,
    height: total,
    draw(x, y) {
      const steps = 64;
      // an id of its own for each bar of a figure (ids must not repeat in one document), and a
      // deterministic one, so that outputs stay byte-identical between runs
      const id = `colorbar-${cmap}-${fmt(x)}-${fmt(y)}`.replace(/[^A-Za-z0-9_-]/g, '_');
      const stops = Array.from({ length: steps + 1 }, (_, i) => {
        const index = Math.min(255, Math.floor((i / steps) * 256)) * 3;
        return `<stop offset="${fmt(i / steps)}" stop-color="${hex(table[index], table[index + 1], table[index + 2])}"/>`;
      });
      const out = [
        `<defs><linearGradient id="${id}" x1="0" x2="1" y1="0" y2="0">${stops.join('')}</linearGradient></defs>`,
        `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(width)}" height="${fmt(height)}" fill="url(#${id})" stroke="#999" stroke-width="0.5"/>`,
      ];
      const ty = y + height + 3 + fontSize;
      const tick = (v: number, text: string, anchor: 'start' | 'middle' | 'end') => {
        const tx = x + position(v) * width;
        out.push(`<line x1="${fmt(tx)}" x2="${fmt(tx)}" y1="${fmt(y + height)}" y2="${fmt(y + height + 3)}" stroke="#666"/>`);
        out.push(textElement(text, tx, ty, { size: fontSize, anchor, fill: '#444' }));
      };
      if (note !== undefined) out.push(textElement(note, x, ty, { size: fontSize, anchor: 'start', fill: '#444' }));
      else {
        const [low, high] = endLabels(vmin, vmax);
        tick(vmin, low, 'start');
        if (vmax > vmin) tick(vmax, high, 'end');
        if (vmin < 0 && vmax > 0 && Math.min(position(0), 1 - position(0)) > 0.18) tick(0, '0', 'middle');
      }
      if (label) out.push(textElement(label, x + width / 2, ty + fontSize + 4, { size: fontSize, anchor: 'middle', fill: '#444' }));
      return out;
    },
  };
}

/** A colorbar alone, as a figure (e.g. to sit beside feature maps in a document). */
export function colorbar(vmin: number, vmax: number, options: ColorbarOptions = {}): Figure {
  checkOptions('colorbar', options, ['cmap', 'width', 'height', 'label']);
  checkNumber('colorbar', 'vmin', vmin);
  checkNumber('colorbar', 'vmax', vmax);
  if (vmin > vmax) throw new ConvlensError(`colorbar: vmin (${vmin}) must not exceed vmax (${vmax})`);
  if (options.width !== undefined) checkNumber('colorbar', 'width', options.width, { min: 20, max: 4096 });
  if (options.height !== undefined) checkNumber('colorbar', 'height', options.height, { min: 1, max: 4096 });
  if (options.label !== undefined) checkString('colorbar', 'label', options.label);
  const panel = colorbarPanel(vmin, vmax, options);
  const pad = 10;
  const width = panel.width + 2 * pad;
  const height = panel.height + 2 * pad;
  return Figure.of(width, height, panel.draw(pad, pad), 'colorbar');
}
