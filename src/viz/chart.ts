import { ConvlensError, checkArray, checkNumber, checkOptions, checkString, describeValue } from '../errors.js';
import { escapeXml } from './svg.js';

export interface Series {
  name: string;
  values: number[];
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  width?: number;
  height?: number;
  /** The y axis reaches at least this value (1 for an accuracy), higher if the data go higher. */
  yMax?: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const factor = [1, 2, 5, 10].find((f) => span / (f * step) <= count) ?? 10;
  const tick = factor * step;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / tick) * tick; v <= hi + tick * 1e-9; v += tick) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The indices of `values` in runs of consecutive finite values. */
function finiteRuns(values: number[]): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  values.forEach((v, i) => {
    if (Number.isFinite(v)) run.push(i);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  });
  if (run.length > 0) runs.push(run);
  return runs;
}

/** A line chart of one or more series over steps 1..n (e.g. loss and accuracy per epoch), as SVG text. */
export function lineChart(series: Series[], options: LineChartOptions = {}): string {
  checkOptions('lineChart', options, ['title', 'xLabel', 'width', 'height', 'yMax']);
  if (options.yMax !== undefined && !Number.isFinite(options.yMax)) {
    throw new ConvlensError(`lineChart: yMax must be a finite number, got ${describeValue(options.yMax)}`);
  }
  checkArray('lineChart', 'series', series, '{ name, values } objects');
  const bad = series.find((s) => typeof s !== 'object' || s === null || !Array.isArray(s.values));
  if (bad !== undefined) throw new ConvlensError(`lineChart: each series must be { name, values: number[] }, got ${describeValue(bad)}`);
  for (const [k, { name, values }] of series.entries()) {
    checkString('lineChart', `series[${k}].name`, name);
    // a value that is not a number drew nothing, without a word; NaN and Infinity are gaps, as documented
    const i = values.findIndex((v) => typeof v !== 'number');
    if (i >= 0)
      throw new ConvlensError(`lineChart: series[${k}].values[${i}] must be a number (NaN for a gap), got ${describeValue(values[i])}`);
  }
  if (series.length === 0 || series.every((s) => s.values.length === 0)) throw new ConvlensError('lineChart: no values to draw');
  const { width = 560, height = 320, title = '', xLabel = 'epoch' } = options;
  checkString('lineChart', 'title', title);
  checkString('lineChart', 'xLabel', xLabel);
  // the margins and legend take 186 × 80 pixels
  checkNumber('lineChart', 'width', width, { min: 240, max: 8192 });
  checkNumber('lineChart', 'height', height, { min: 120, max: 8192 });
  const margin = { top: title ? 36 : 16, right: 130, bottom: 44, left: 56 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const lo = Math.min(0, ...all);
  const hi = Math.max(...all, lo + 1e-9, options.yMax ?? lo);
  const steps = Math.max(...series.map((s) => s.values.length));
  const x = (i: number) => margin.left + (steps <= 1 ? plotW / 2 : (i / (steps - 1)) * plotW);
  // halves first: for values near ±1.8e308, hi − lo would overflow to Infinity
  const y = (v: number) => margin.top + plotH - ((v / 2 - lo / 2) / (hi / 2 - lo / 2)) * plotH;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (title)
    parts.push(
      `<text x="${margin.left + plotW / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    );
  for (const t of niceTicks(lo, hi)) {
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`);
  }
  for (let i = 0; i < steps; i++) {
    if (steps > 12 && i % Math.ceil(steps / 12) !== 0) continue;
    parts.push(`<text x="${x(i)}" y="${margin.top + plotH + 18}" text-anchor="middle">${i + 1}</text>`);
  }
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    // a value that is not finite (a loss gone NaN) is a gap in the line, not a point
    for (const run of finiteRuns(s.values)) {
      const points = run.map((i) => `${x(i).toFixed(1)},${y(s.values[i]).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const i of run) parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(s.values[i]).toFixed(1)}" r="2.5" fill="${color}"/>`);
    }
    const ly = margin.top + 10 + k * 18;
    parts.push(
      `<line x1="${width - margin.right + 12}" x2="${width - margin.right + 32}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${width - margin.right + 38}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
