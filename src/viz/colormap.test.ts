import { interpolateBlues, interpolateMagma, interpolateViridis } from 'd3-scale-chromatic';
import { describe, expect, it } from 'vitest';
import { tensor, zeros } from '../tensor/create.js';
import { colorIndices, colorize, colormap } from './colormap.js';

/** d3 gives '#rrggbb' for some schemes and 'rgb(r, g, b)' for others. */
function rgb(css: string): number[] {
  if (css.startsWith('rgb')) return (css.match(/\d+/g) ?? []).map(Number);
  const v = Number.parseInt(css.slice(1), 16);
  return [v >> 16, (v >> 8) & 255, v & 255];
}

describe('colormap', () => {
  it('matches d3-scale-chromatic at every entry', () => {
    for (const [name, f] of [
      ['magma', interpolateMagma],
      ['viridis', interpolateViridis],
    ] as const) {
      const table = colormap(name);
      for (const i of [0, 1, 100, 254, 255]) expect(Array.from(table.slice(i * 3, i * 3 + 3))).toEqual(rgb(f(i / 255)));
    }
  });

  it('reverses with _r and knows gray', () => {
    const table = colormap('Blues_r');
    expect(Array.from(table.slice(0, 3))).toEqual(rgb(interpolateBlues(1)));
    // matplotlib's gray is a linear ramp, black to white (its _gray_data: 0 → 0, 1 → 1): entry i is
    // (i, i, i), as matplotlib's own 256-entry table gives it in bytes; gray_r runs the other way.
    const gray = colormap('gray');
    const grayR = colormap('gray_r');
    for (let i = 0; i < 256; i++) {
      expect(Array.from(gray.slice(i * 3, i * 3 + 3)), `gray[${i}]`).toEqual([i, i, i]);
      expect(Array.from(grayR.slice(i * 3, i * 3 + 3)), `gray_r[${i}]`).toEqual([255 - i, 255 - i, 255 - i]);
    }
    expect(colormap('Grey')).toEqual(gray);
    // a uint8 photo converted to 0..1 is drawn with its own pixel values (d3's Greys drew 128 as 151)
    const pixels = Array.from({ length: 256 }, (_, v) => v);
    const drawn = colorize(tensor([pixels.map((v) => Math.fround(v / 255))]), { cmap: 'gray', vmin: 0, vmax: 1 });
    expect(Array.from(drawn.data.filter((_, i) => i % 3 === 0))).toEqual(pixels);
  });

  it("gives each caller a table of its own: changing one changes no later table or colorize's colours", () => {
    const mine = colormap('viridis');
    mine.fill(7); // a caller making the first entries its own colours, say
    const first = rgb(interpolateViridis(0));
    expect(Array.from(colormap('viridis').slice(0, 3))).toEqual(first);
    expect(Array.from(colorize(tensor([[0, 1]]), { cmap: 'viridis' }).data.slice(0, 3))).toEqual(first);
  });

  it('rejects unknown names', () => {
    expect(() => colormap('nope')).toThrow(/colormap: unknown colormap "nope" \(expected a d3-scale-chromatic name/);
    expect(() => colormap('Bleus_r')).toThrow(/colormap: unknown colormap "Bleus_r" \(did you mean 'Blues_r'\?\)/);
    expect(() => colormap('infern')).toThrow(/colormap: unknown colormap "infern" \(did you mean 'inferno'\?\)/);
  });
});

describe('colorize', () => {
  it('maps the minimum to the first colour and the maximum to the last', () => {
    const out = colorize(
      tensor([
        [0, 5],
        [10, 10],
      ]),
      { cmap: 'magma' },
    );
    expect(out.shape).toEqual([2, 2, 3]);
    expect(Array.from(out.data.slice(0, 3))).toEqual(rgb(interpolateMagma(0)));
    expect(Array.from(out.data.slice(9, 12))).toEqual(rgb(interpolateMagma(1)));
  });

  it('keeps a map one pixel wide a column, as imshow draws an (H, 1) array, whatever the length-1 axes around it', () => {
    const column = [0, 5, 10];
    for (const shape of [
      [3, 1],
      [3, 1, 1],
      [1, 3, 1, 1],
    ]) {
      expect(colorize(tensor(column, shape)).shape, `[${shape}]`).toEqual([3, 1, 3]);
      expect(colorIndices(tensor(column, shape)).shape, `[${shape}]`).toEqual([3, 1]);
    }
    for (const shape of [[1, 3], [3], [1, 3, 1], [1, 1, 3, 1]])
      expect(colorize(tensor(column, shape)).shape, `[${shape}]`).toEqual([1, 3, 3]);
  });

  it('clips to vmin/vmax and rejects 3-D input', () => {
    const out = colorize(tensor([[-5, 20]]), { vmin: 0, vmax: 10 });
    expect(Array.from(out.data.slice(0, 3))).toEqual(rgb(interpolateMagma(0)));
    expect(Array.from(out.data.slice(3, 6))).toEqual(rgb(interpolateMagma(1)));
    expect(() => colorize(tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]))).toThrow(/colorize: expected a 2-D tensor/);
    expect(() => colorize(zeros([0, 3]))).toThrow(/^colorize: values are empty \(shape \[0, 3\]\): nothing to draw$/);
  });
});

describe('colormap tables', () => {
  it("equal d3-scale-chromatic's interpolators at all 256 entries, reversed ones included", async () => {
    const d3 = await import('d3-scale-chromatic');
    const cases: [string, (t: number) => string][] = [
      ['magma', d3.interpolateMagma],
      ['viridis', d3.interpolateViridis],
      ['inferno', d3.interpolateInferno],
      ['plasma', d3.interpolatePlasma],
      ['cividis', d3.interpolateCividis],
      ['Blues', d3.interpolateBlues],
      ['Blues_r', (t) => d3.interpolateBlues(1 - t)],
      ['magma_r', (t) => d3.interpolateMagma(1 - t)],
      ['Viridis_R', (t) => d3.interpolateViridis(1 - t)], // names are case-insensitive, _r too
    ];
    for (const [name, f] of cases) {
      const table = colormap(name);
      for (let i = 0; i < 256; i++) expect(Array.from(table.slice(i * 3, i * 3 + 3)), `${name}[${i}]`).toEqual(rgb(f(i / 255)));
    }
  });
});

/** `colorize` as it was before its fast paths: the definition the fast paths must reproduce byte for byte. */
function colorizeReference(data: ArrayLike<number>, options: { cmap: string; vmin?: number; vmax?: number; gamma?: number }): Uint8Array {
  const table = colormap(options.cmap);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  // the default range spans the finite values, as matplotlib's imshow masks the others before autoscaling
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) continue;
    if (data[i] < lo) lo = data[i];
    if (data[i] > hi) hi = data[i];
  }
  if (!(lo <= hi)) [lo, hi] = [0, 1];
  const vmin = options.vmin ?? lo;
  const vmax = options.vmax ?? hi;
  const gamma = options.gamma ?? 1;
  const span = vmax - vmin;
  const out = new Uint8Array(data.length * 3);
  for (let i = 0; i < data.length; i++) {
    let t = span > 0 ? (data[i] - vmin) / span : 0;
    t = Math.min(1, Math.max(0, Number.isNaN(t) ? 0 : t)) ** gamma;
    const index = Math.min(255, Math.floor(t * 256)) * 3;
    out.set(table.subarray(index, index + 3), i * 3);
  }
  return out;
}

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values that sit on the edges: where t * 256 or t ** gamma * 256 is (next to) an integer, and the bins' ends. */
function edgeValues(vmin: number, vmax: number, gamma: number): number[] {
  const span = vmax - vmin;
  const ts: number[] = [0, -0, 1, -1e-300, 1e-300, 0.5, 1 - 2 ** -53];
  for (let k = 0; k <= 256; k++) ts.push((k / 256) ** (1 / gamma), k / 256);
  for (let j = 0; j <= 4096; j += 7) ts.push(j / 4096);
  // far below vmin: t * 256 or t * 4096 just above -2^32, where a 32-bit truncation would wrap to a small positive number
  ts.push(-(2 ** 32 - 512) / 256, -(2 ** 32 - 8192) / 4096);
  const values: number[] = [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -3e38,
    3e38,
    vmin - 1e12 * span,
    vmax + 1e12 * span,
  ];
  for (const t of ts) {
    const v = vmin + t * span;
    // the value and its float32 neighbours (the tensors below are float32)
    const f = new Float32Array([v]);
    const bits = new Int32Array(f.buffer);
    for (const step of [-2, -1, 0, 1, 2]) {
      const g = new Float32Array(1);
      new Int32Array(g.buffer)[0] = bits[0] + step;
      values.push(g[0]);
    }
  }
  return values;
}

describe('colorize fast paths', () => {
  it('give the same bytes as the definition on random data, edge values, several colormaps, ranges and gammas', () => {
    const next = random(20240601);
    const cmaps = ['magma', 'viridis', 'gray', 'Blues_r', 'inferno'];
    const gammas = [1, 0.5, 0.3, 2, 0.01, 3.7, 100, 1e-300, 1e300];
    const ranges: [number | undefined, number | undefined][] = [
      [undefined, undefined],
      [0, 1],
      [0, 7],
      [-2.5, 3.25],
      [1, 1],
      [0, 1e-30],
      [-1e30, 1e30],
    ];
    let cases = 0;
    for (const cmap of cmaps) {
      for (const gamma of gammas) {
        for (const [vmin, vmax] of ranges) {
          const n = 4000;
          const data = new Float32Array(n);
          const scale = 10 ** Math.floor(next() * 6 - 3);
          for (let i = 0; i < n; i++) data[i] = next() < 0.2 ? 0 : (next() * 10 - 3) * scale;
          const lo = vmin ?? -3 * scale;
          const hi = vmax ?? 7 * scale;
          const edges = Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? edgeValues(lo, hi, gamma > 0 ? gamma : 1) : [];
          const all = Float32Array.from([...data, ...edges]);
          const options = { cmap, vmin, vmax, gamma };
          const got = colorize(tensor(all, [all.length], 'float32'), options).data;
          const want = colorizeReference(all, options);
          const first = got.findIndex((b, i) => b !== want[i]);
          expect(first, `${JSON.stringify(options)}: value ${all[Math.floor(first / 3)]}`).toBe(-1);
          cases++;
        }
      }
    }
    expect(cases).toBe(cmaps.length * gammas.length * ranges.length);
  });

  it('colorIndices gives the entries whose colours colorize draws; a gamma that is not finite and > 0 is an error', () => {
    const values = tensor([
      [0, 0.25, Number.NaN],
      [0.5, 2, -1],
    ]);
    for (const options of [{}, { gamma: 0.5 }, { vmin: 0, vmax: 1 }]) {
      const table = colormap('viridis');
      const entries = colorIndices(values, options);
      expect(entries.shape).toEqual([2, 3]);
      const drawn = Array.from(entries.data).flatMap((k) => Array.from(table.subarray(3 * k, 3 * k + 3)));
      expect(drawn).toEqual(Array.from(colorize(values, { ...options, cmap: 'viridis' }).data));
    }
    expect(Array.from(colorIndices(tensor([0, 1, 2, 4])).data)).toEqual([0, 64, 128, 255]);
    for (const gamma of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => colorize(values, { gamma })).toThrow(`colorize: gamma must be a finite number > 0 (1 for none), got ${gamma}`);
      expect(() => colorIndices(values, { gamma })).toThrow(`colorIndices: gamma must be a finite number > 0`);
    }
  });

  it('give the same bytes for int32 data', () => {
    const ints = tensor(
      Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 523),
      [1000],
      'int32',
    );
    for (const gamma of [1, 0.5]) {
      expect(Array.from(colorize(ints, { cmap: 'viridis', gamma }).data)).toEqual(
        Array.from(colorizeReference(ints.data, { cmap: 'viridis', gamma })),
      );
    }
  });
});
