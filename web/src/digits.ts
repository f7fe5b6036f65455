import { byId, el, formatNumber } from './dom.js';
import { drawRgb, heatColors } from './draw.js';
import type { KernelValue } from './kernel_editor.js';
import { layers, type Tensor, tensor, viz } from './lib.js';
import { layerMapFigures } from './maps.js';

type Model = ReturnType<typeof layers.fromArtifacts>;

const SIDE = 28;
/** MNIST digits fit a 20×20 box inside the 28×28 field, centred by their centre of mass. */
const BOX = 20;
const KEY_STEP = 10;
/** How much the heat map covers the digit in the evidence overlay (as `viz.showSaliency` lays it). */
const HEAT_ALPHA = 0.4;
/** Filters ascended per turn of the event loop: the page answers input between turns. */
const PATTERNS_PER_TURN = 4;

interface WeightsGroupLike {
  paths?: unknown;
}

/** Fetches model.json and its weight files (paths relative to model.json) and builds the model with `layers.fromArtifacts`. */
export async function loadShippedModel(url: string): Promise<Model> {
  const base = new URL(url, document.baseURI);
  const response = await fetch(base);
  if (!response.ok) throw new Error(`${base.pathname} answered ${response.status} ${response.statusText}`);
  const json = (await response.json()) as { weightsManifest?: WeightsGroupLike[] };
  const paths = (json.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? g.paths.map(String) : []));
  const buffers = await Promise.all(
    paths.map(async (p) => {
      const weightsUrl = new URL(p, base);
      if (weightsUrl.origin !== base.origin) throw new Error(`weights path ${p} is not on this site`);
      const r = await fetch(weightsUrl);
      if (!r.ok) throw new Error(`${weightsUrl.pathname} answered ${r.status} ${r.statusText}`);
      return r.arrayBuffer();
    }),
  );
  return layers.fromArtifacts(json, buffers);
}

/**
 * The drawn digit as MNIST presents digits: white on black, the ink's bounding box scaled to fit
 * 20×20 (the browser's smoothing does the shrinking), then moved so its centre of mass sits at
 * the centre of the 28×28 field. Undefined when nothing is drawn.
 */
export function mnistInput(pad: HTMLCanvasElement): Float32Array | undefined {
  const ctx = pad.getContext('2d', { willReadFrequently: true });
  if (!ctx) return undefined;
  const { data, width, height } = ctx.getImageData(0, 0, pad.width, pad.height);
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * 4] > 24) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  if (bottom < 0) return undefined;
  const bw = right - left + 1;
  const bh = bottom - top + 1;
  const scale = BOX / Math.max(bw, bh);
  const small = document.createElement('canvas');
  small.width = SIDE;
  small.height = SIDE;
  const sctx = small.getContext('2d', { willReadFrequently: true });
  if (!sctx) return undefined;
  sctx.fillStyle = '#000';
  sctx.fillRect(0, 0, SIDE, SIDE);
  sctx.imageSmoothingEnabled = true;
  sctx.imageSmoothingQuality = 'high';
  const dw = bw * scale;
  const dh = bh * scale;
  sctx.drawImage(pad, left, top, bw, bh, (SIDE - dw) / 2, (SIDE - dh) / 2, dw, dh);
  const pixels = sctx.getImageData(0, 0, SIDE, SIDE).data;
  const gray = new Float32Array(SIDE * SIDE);
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < gray.length; i++) {
    const v = pixels[i * 4] / 255;
    gray[i] = v;
    mass += v;
    mx += v * (i % SIDE);
    my += v * Math.floor(i / SIDE);
  }
  if (mass === 0) return undefined;
  const sx = Math.round((SIDE - 1) / 2 - mx / mass);
  const sy = Math.round((SIDE - 1) / 2 - my / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const fx = x - sx;
      const fy = y - sy;
      if (fx >= 0 && fx < SIDE && fy >= 0 && fy < SIDE) out[y * SIDE + x] = gray[fy * SIDE + fx];
    }
  }
  return out;
}

/** Section 3: the drawing pad, the shipped MNIST model's prediction, its feature maps and its learned kernels. */
export class DigitSection {
  private model: Model | undefined;
  private drawing = false;
  private last: [number, number] | undefined;
  private pen: [number, number] = [140, 140];
  private penDown = false;
  private pending = false;
  private readonly pad = byId<HTMLCanvasElement>('digit-pad');
  private readonly ctx: CanvasRenderingContext2D;
  private readonly width = byId<HTMLSelectElement>('digit-width');
  private readonly prediction = byId('prediction');
  private readonly probabilities = byId<HTMLOListElement>('probabilities');
  private readonly modelInput = byId<HTMLCanvasElement>('digit-input');
  private readonly maps = byId('feature-maps');
  private readonly evidence = byId<HTMLCanvasElement>('digit-evidence');
  private readonly evidenceCaption = byId('evidence-caption');
  private readonly evidenceClass = byId<HTMLSelectElement>('evidence-class');
  private readonly error = byId('model-error');
  private readonly bars: { item: HTMLLIElement; bar: HTMLElement; value: HTMLElement }[] = [];
  /** Predictions made so far (tests read the last one). */
  readonly predictions: { digit: number; probability: number; probabilities: number[]; predictMs: number }[] = [];
  /** Evidence maps shown so far (tests read the last one): the model's input and the Grad-CAM map, both 28×28 row by row. */
  readonly evidenceMaps: { classIndex: number; layerName: string; input: number[]; map: number[] }[] = [];
  /** The filter patterns once all are computed (tests read them): the layer, and each filter's 28×28 image, row by row. */
  patterns: { layerName: string; images: number[][] } | undefined;

  constructor(
    modelUrl: string,
    private readonly useKernel: (kernel: KernelValue, event: Event) => void,
  ) {
    const ctx = this.pad.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('playground: no 2D canvas context');
    this.ctx = ctx;
    this.clear();
    for (let d = 0; d < 10; d++) {
      const bar = el('span', { class: 'bar-fill' });
      const value = el('span', { class: 'pct' }, '–');
      const item = el('li', {}, el('span', { class: 'digit' }, String(d)), el('span', { class: 'bar', 'aria-hidden': 'true' }, bar), value);
      this.bars.push({ item, bar, value });
      this.probabilities.append(item);
    }
    this.setupPointer();
    this.setupKeyboard();
    this.evidenceClass.addEventListener('change', () => this.update());
    byId('digit-clear').addEventListener('click', () => {
      this.clear();
      this.update();
    });
    void this.load(modelUrl);
  }

  private async load(url: string): Promise<void> {
    try {
      this.model = await loadShippedModel(url);
    } catch (error) {
      this.error.textContent = `The MNIST model could not be loaded, so drawn digits cannot be read: ${(error as Error).message}`;
      this.prediction.textContent = 'No model loaded.';
      return;
    }
    this.showKernels();
    this.update();
    await this.showPatterns(this.model);
  }

  private clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.pad.width, this.pad.height);
  }

  private stroke(from: [number, number], to: [number, number]): void {
    const ctx = this.ctx;
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = Number(this.width.value);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (from[0] === to[0] && from[1] === to[1]) {
      // a tap, a click or the pen put down: canvas drops a zero-length line, caps and all, so draw the dot
      ctx.arc(from[0], from[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
  }

  private point(event: PointerEvent): [number, number] {
    const rect = this.pad.getBoundingClientRect();
    return [((event.clientX - rect.left) / rect.width) * this.pad.width, ((event.clientY - rect.top) / rect.height) * this.pad.height];
  }

  private setupPointer(): void {
    this.pad.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      this.pad.setPointerCapture(event.pointerId);
      this.drawing = true;
      this.last = this.point(event);
      this.stroke(this.last, this.last);
      this.schedule();
    });
    this.pad.addEventListener('pointermove', (event) => {
      if (!this.drawing || !this.last) return;
      const points = event.getCoalescedEvents?.() ?? [event];
      for (const e of points.length ? points : [event]) {
        const p = this.point(e);
        this.stroke(this.last, p);
        this.last = p;
      }
      this.schedule();
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = undefined;
      this.update();
    };
    this.pad.addEventListener('pointerup', end);
    this.pad.addEventListener('pointercancel', end);
  }

  /** Arrow keys move the pen by a tenth of the pad, drawing while it is down; Space or Enter lifts or lowers it; Delete clears. */
  private setupKeyboard(): void {
    const cursor = el('span', { class: 'pen-cursor', 'aria-hidden': 'true' });
    this.pad.parentElement?.append(cursor);
    const place = () => {
      cursor.style.left = `${(this.pen[0] / this.pad.width) * 100}%`;
      cursor.style.top = `${(this.pen[1] / this.pad.height) * 100}%`;
      cursor.classList.toggle('down', this.penDown);
    };
    place();
    this.pad.addEventListener('keydown', (event) => {
      const moves: Record<string, [number, number]> = {
        ArrowLeft: [-KEY_STEP, 0],
        ArrowRight: [KEY_STEP, 0],
        ArrowUp: [0, -KEY_STEP],
        ArrowDown: [0, KEY_STEP],
      };
      const move = moves[event.key];
      if (move) {
        const from = this.pen;
        this.pen = [
          Math.min(this.pad.width - 10, Math.max(10, from[0] + move[0])),
          Math.min(this.pad.height - 10, Math.max(10, from[1] + move[1])),
        ];
        if (this.penDown) {
          this.stroke(from, this.pen);
          this.update();
        }
      } else if (event.key === ' ' || event.key === 'Enter') {
        this.penDown = !this.penDown;
        if (this.penDown) {
          this.stroke(this.pen, this.pen);
          this.update();
        }
      } else if (event.key === 'Delete' || event.key === 'Backspace') {
        this.clear();
        this.update();
      } else {
        return;
      }
      event.preventDefault();
      place();
    });
  }

  /**
   * While a stroke is drawn: the prediction at most once per frame, the feature maps (the costly
   * part to draw) only when the stroke ends, so drawing stays smooth on slow machines.
   */
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.update(false);
    });
  }

  private update(withMaps = true): void {
    const start = performance.now();
    const pixels = mnistInput(this.pad);
    drawRgb(
      this.modelInput,
      viz.colorize(tensor(pixels ?? new Float32Array(SIDE * SIDE), [SIDE, SIDE], 'float32'), { cmap: 'gray', vmin: 0, vmax: 1 }),
    );
    if (!pixels) {
      this.prediction.textContent = this.model ? 'Draw a digit to see what the model reads.' : this.prediction.textContent;
      for (const b of this.bars) {
        b.bar.style.width = '0';
        b.value.textContent = '–';
        b.item.classList.remove('top');
      }
      this.maps.replaceChildren();
      this.evidenceCaption.textContent = 'Where the model finds the digit it reads';
      this.evidence.setAttribute('aria-label', 'Where the model finds the digit');
      drawRgb(this.evidence, viz.colorize(tensor(new Float32Array(SIDE * SIDE), [SIDE, SIDE], 'float32'), { cmap: 'gray' }));
      return;
    }
    if (!this.model) return;
    const x = tensor(pixels, [1, SIDE, SIDE, 1], 'float32');
    const outputs = this.model.layerOutputs(x);
    const probabilities = Array.from(outputs[outputs.length - 1].output.data as ArrayLike<number>);
    const digit = probabilities.indexOf(Math.max(...probabilities));
    const predictMs = performance.now() - start;
    this.predictions.push({ digit, probability: probabilities[digit], probabilities, predictMs });
    if (this.predictions.length > 100) this.predictions.shift();
    this.prediction.replaceChildren(
      'The model reads ',
      el('strong', { class: 'digit-big' }, String(digit)),
      ` (${(probabilities[digit] * 100).toFixed(1)}% sure)`,
    );
    this.bars.forEach((b, d) => {
      b.bar.style.width = `${(probabilities[d] * 100).toFixed(1)}%`;
      b.value.textContent = `${(probabilities[d] * 100).toFixed(1)}%`;
      b.item.classList.toggle('top', d === digit);
    });
    if (withMaps) {
      this.maps.replaceChildren(...layerMapFigures(outputs));
      this.showEvidence(this.model, x, pixels);
    }
  }

  /**
   * Grad-CAM (`viz.saliency`) of the digit chosen in the menu, or of the one the model reads: where
   * in the drawing the model finds what makes it that digit, in turbo over the model's input.
   */
  private showEvidence(model: Model, x: Tensor, pixels: Float32Array): void {
    const chosen = this.evidenceClass.value;
    const result = viz.saliency(model, x, chosen === '' ? {} : { classIndex: Number(chosen) });
    const heat = viz.colorize(result.map, { cmap: 'turbo', vmin: 0, vmax: 1 }).data;
    const overlay = new Uint8Array(heat.length);
    for (let i = 0; i < heat.length; i++)
      overlay[i] = Math.round((1 - HEAT_ALPHA) * 255 * pixels[Math.floor(i / 3)] + HEAT_ALPHA * heat[i]);
    drawRgb(this.evidence, tensor(overlay, [SIDE, SIDE, 3], 'uint8'));
    const map = Array.from(result.map.data);
    const found = map.some((v) => v > 0);
    this.evidence.setAttribute('aria-label', `Where the model finds a ${result.classIndex}`);
    this.evidenceCaption.textContent = found
      ? `Where it finds a ${result.classIndex} (${(result.score * 100).toFixed(1)}%): Grad-CAM of ${result.layerName}, red strongest`
      : `Nothing in this drawing counts for a ${result.classIndex} (Grad-CAM of ${result.layerName} is 0 everywhere)`;
    this.evidenceMaps.push({ classIndex: result.classIndex, layerName: result.layerName ?? '', input: Array.from(pixels), map });
    if (this.evidenceMaps.length > 100) this.evidenceMaps.shift();
  }

  /**
   * What each filter of the model's last convolution looks for (`viz.filterPatterns`), a few
   * filters per turn of the event loop so that the page stays responsive. The filters ascend
   * independently of each other, so the turns give what one call for all of them would.
   */
  private async showPatterns(model: Model): Promise<void> {
    const layer = [...model.layers].reverse().find((l) => l.className === 'Conv2D');
    const count = layer?.outputShape?.[2];
    if (!layer || !count) return;
    const canvas = byId<HTMLCanvasElement>('filter-patterns');
    const caption = byId('patterns-caption');
    const gray = (values: Float32Array) => viz.colorize(tensor(values, [SIDE, SIDE], 'float32'), { cmap: 'gray', vmin: 0, vmax: 1 });
    const images: number[][] = [];
    const tiles = Array.from({ length: count }, () => gray(new Float32Array(SIDE * SIDE).fill(0.5)));
    canvas.setAttribute('aria-label', `What the filters of ${layer.name} look for`);
    for (let first = 0; first < count; first += PATTERNS_PER_TURN) {
      const filters = Array.from({ length: Math.min(PATTERNS_PER_TURN, count - first) }, (_, i) => first + i);
      const { patterns } = viz.filterPatterns(model, layer.name, { filters });
      filters.forEach((filter, i) => {
        const image = patterns.data.slice(i * SIDE * SIDE, (i + 1) * SIDE * SIDE);
        images.push(Array.from(image));
        tiles[filter] = gray(image);
      });
      drawRgb(canvas, viz.grid(tiles, { cols: 8, scale: 3, gap: 2, background: [255, 255, 255] }));
      const done = first + filters.length;
      caption.textContent =
        done < count
          ? `${layer.name}: ${done} of ${count} filters…`
          : `${layer.name}: its ${count} filters, left to right and top to bottom; bright where a filter wants ink`;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    this.patterns = { layerName: layer.name, images };
  }

  private showKernels(): void {
    const model = this.model;
    if (!model) return;
    const weights = model.layers[0]?.getWeights()[0];
    if (weights?.rank !== 4) return;
    const [kh, kw, cin, count] = weights.shape;
    const data = weights.data as ArrayLike<number>;
    const items: HTMLElement[] = [];
    for (let k = 0; k < count; k++) {
      const values: number[] = [];
      for (let i = 0; i < kh * kw; i++) values.push(data[i * cin * count + k]);
      const colors = heatColors(values);
      const cells = values.map((v, i) => {
        const cell = el('span', { class: 'cell' }, formatNumber(v, 2));
        cell.style.backgroundColor = colors[i].background;
        cell.style.color = colors[i].color;
        return cell;
      });
      const grid = el('span', { class: 'mini-kernel' }, ...cells);
      grid.style.setProperty('--cols', String(kw));
      const button = el(
        'button',
        { type: 'button', class: 'learned-kernel', 'aria-label': `Learned kernel ${k + 1}: use it in the Filter panel` },
        grid,
        el('span', { class: 'label' }, `#${k + 1}`),
      );
      button.addEventListener('click', (event) => {
        this.useKernel({ rows: kh, cols: kw, values }, event);
        const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
        byId('extract').scrollIntoView({ behavior: still ? 'auto' : 'smooth', block: 'start' });
        // keyboard focus follows the view: to the kernel now in use, not left at the bottom of the page
        byId('kernel-select').focus({ preventScroll: true });
      });
      items.push(button);
    }
    byId('learned-kernels').replaceChildren(...items);
  }
}
