import { byId, el, formatNumber, formatPercent } from './dom.js';
import { drawImageData, drawRgb, toImageData } from './draw.js';
import { type LoadedImage, prepareImage } from './images.js';
import { KernelEditor, type KernelValue } from './kernel_editor.js';
import { ConvlensError, getBackend, kernels, type Tensor, tensor, viz } from './lib.js';

/** One redraw of the four panels, as `window.__convlensTimings.redraws` lists them. */
export interface RedrawTiming {
  /** What caused it: `kernel-edit` (a cell typed), `kernel-preset`, `image`, `settings`, `backend`. */
  cause: string;
  /** From the event (its timeStamp) until all four canvases hold their new pixels, in ms. */
  ms: number;
  /** conv2d + relu + maxPool2d (`viz.extractFeature`), in ms. */
  computeMs: number;
  /** Colouring (`viz.colorize`) and drawing the four canvases, in ms. */
  drawMs: number;
  /** The `viz.colorize` part of drawMs. */
  colorizeMs: number;
  /** From the event until the next animation frame (the browser paints right after it), in ms. */
  frameMs?: number;
  height: number;
  width: number;
  kernel: string;
  backend: string;
}

const LESSON_KERNEL: KernelValue = { rows: 2, cols: 2, values: [1, -1, 1, -1] };
const MAX_FILE_BYTES = 64 * 1024 * 1024;

function kernelValue(t: Tensor): KernelValue {
  return { rows: t.shape[0], cols: t.shape[1], values: Array.from(t.data as ArrayLike<number>) };
}

function range(data: ArrayLike<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Smallest and largest value, and how many are negative (what ReLU will set to 0). */
function filterStats(data: ArrayLike<number>): { lo: number; hi: number; negatives: number } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let negatives = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v < 0) negatives++;
  }
  return { lo, hi, negatives };
}

/** Resolves once the browser has painted what the page shows now (before a long synchronous decode). */
function nextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The Input panel's caption: its size, whether it was shrunk, its name. */
function inputCaption(loaded: LoadedImage): string {
  const [, h, w] = loaded.input.shape;
  const [oh, ow] = loaded.original;
  const shrunk = oh !== h || ow !== w ? `, shrunk from ${oh}×${ow}` : '';
  return `${h}×${w} gray${shrunk} · ${loaded.name}`;
}

/** Section 1: the image, the kernel, the settings and the Input → Filter → Detect → Condense panels. */
export class ExtractSection {
  readonly timings: RedrawTiming[] = [];
  /** Told of each image the panels take (section 4 runs the opened model on it). */
  private readonly imageListeners: ((loaded: LoadedImage) => void)[] = [];
  private image: LoadedImage | undefined;
  /** The image the person opened last, for the Image menu's "Your image" entry. */
  private userImage: LoadedImage | undefined;
  /** Counts image requests: an answer that arrives after a newer choice is dropped. */
  private imageRequest = 0;
  private kernel: KernelValue | undefined;
  private kernelName = 'edge';
  private readonly editor: KernelEditor;
  private readonly kernelSelect = byId<HTMLSelectElement>('kernel-select');
  private readonly imageSelect = byId<HTMLSelectElement>('image-select');
  private readonly fileInput = byId<HTMLInputElement>('file-input');
  private readonly imageError = byId('image-error');
  private readonly kernelError = byId('kernel-error');
  private readonly settings = {
    stride: byId<HTMLSelectElement>('stride'),
    padding: byId<HTMLSelectElement>('padding'),
    pool: byId<HTMLSelectElement>('pool'),
    cmap: byId<HTMLSelectElement>('cmap'),
    gamma: byId<HTMLSelectElement>('gamma'),
  };
  private readonly canvases = {
    input: byId<HTMLCanvasElement>('panel-input'),
    filter: byId<HTMLCanvasElement>('panel-filter'),
    detect: byId<HTMLCanvasElement>('panel-detect'),
    condense: byId<HTMLCanvasElement>('panel-condense'),
  };
  private readonly captions = {
    input: byId('cap-input'),
    filter: byId('cap-filter'),
    detect: byId('cap-detect'),
    condense: byId('cap-condense'),
  };

  constructor(private readonly onRedraw: (timing: RedrawTiming) => void = () => {}) {
    for (const [name, preset] of Object.entries(kernels.presets)) {
      const [rows, cols] = preset.kernel.shape;
      const size = `${rows}×${cols}`;
      // 'Gaussian 5×5' names its size already
      this.kernelSelect.append(el('option', { value: name }, preset.title.endsWith(size) ? preset.title : `${preset.title} (${size})`));
    }
    this.kernelSelect.append(
      el('option', { value: 'lesson' }, 'Vertical lines [[1, −1], [1, −1]] (2×2)'),
      el('option', { value: 'custom' }, 'Your numbers'),
    );
    this.editor = new KernelEditor(
      byId('kernel-grid'),
      byId<HTMLSelectElement>('kernel-rows'),
      byId<HTMLSelectElement>('kernel-cols'),
      byId<HTMLOutputElement>('kernel-sum'),
      this.kernelError,
      (event, edited) => this.kernelChanged(event, edited),
    );
    this.kernelSelect.addEventListener('change', (event) => this.choosePreset(this.kernelSelect.value, event));
    this.imageSelect.addEventListener('change', () => {
      if (this.imageSelect.value === '' && this.userImage) {
        this.imageRequest++;
        this.show(this.userImage, 'file');
      } else void this.loadSample(this.imageSelect.value);
    });
    this.fileInput.addEventListener('change', () => {
      const file = this.fileInput.files?.[0];
      // cleared, so that choosing the same file again is a change too
      this.fileInput.value = '';
      if (file) void this.openFile(file);
    });
    for (const select of Object.values(this.settings)) select.addEventListener('change', (event) => this.render('settings', event));
    this.setupDrop(byId('extract'));
    this.choosePreset('edge');
  }

  /** Selects a preset kernel by name (`edge`, `blur`, ..., `lesson`). */
  choosePreset(name: string, event?: Event): void {
    if (name === 'custom') {
      this.kernelName = 'custom';
      return;
    }
    const value = name === 'lesson' ? LESSON_KERNEL : kernelValue(kernels.presets[name].kernel);
    this.kernelName = name;
    this.kernelSelect.value = name;
    this.editor.set(value, event);
  }

  /** Puts any kernel (a learned one) in the editor, as a custom kernel. */
  useKernel(kernel: KernelValue, event?: Event): void {
    this.kernelName = 'custom';
    this.kernelSelect.value = 'custom';
    this.editor.set(kernel, event);
  }

  async loadSample(file: string): Promise<void> {
    const request = ++this.imageRequest;
    try {
      const response = await fetch(`./samples/${encodeURIComponent(file)}`);
      if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (request === this.imageRequest) this.open(bytes, file, 'sample');
    } catch (error) {
      if (request === this.imageRequest)
        this.imageError.textContent = `The sample image ${file} could not be loaded: ${describeError(error)}`;
    }
  }

  async openFile(file: File): Promise<void> {
    const request = ++this.imageRequest;
    if (file.size > MAX_FILE_BYTES) {
      this.imageError.textContent = `“${file.name}” is ${(file.size / 1048576).toFixed(0)} MB; the playground opens images up to ${MAX_FILE_BYTES / 1048576} MB.`;
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (error) {
      this.imageError.textContent = `“${file.name}” could not be read: ${describeError(error)}`;
      return;
    }
    if (request !== this.imageRequest) return;
    // decoding a camera's photo takes seconds, in which the page cannot repaint: say so first
    this.captions.input.textContent = `opening ${file.name}…`;
    await nextPaint();
    if (request === this.imageRequest) this.open(bytes, file.name, 'file');
  }

  /** Decodes and shows an image; a file that cannot be decoded leaves the current image and says why. */
  open(bytes: Uint8Array, name: string, source: 'sample' | 'file'): void {
    let loaded: LoadedImage;
    try {
      loaded = prepareImage(bytes, name);
    } catch (error) {
      // The library's message names the op ("decodeImage: ..."); the person needs only the reason.
      // ... and not the library's advice for code (maxPixels, setPixelLimit), which a page cannot take
      const reason =
        error instanceof ConvlensError
          ? error.message.replace(/^\w+: /, '').replace(/ \(set maxPixels or setPixelLimit to allow it\)/, '')
          : `unexpected error: ${describeError(error)}`;
      this.imageError.textContent = `“${name}” could not be opened as a PNG, JPEG, GIF or BMP image: ${reason}.`;
      this.captions.input.textContent = this.image ? inputCaption(this.image) : '';
      return;
    }
    if (source === 'file') this.userImage = loaded;
    this.show(loaded, source);
  }

  /** Makes `loaded` the image of the panels: its Input panel and caption at once, then the rest. */
  private show(loaded: LoadedImage, source: 'sample' | 'file'): void {
    this.imageError.textContent = '';
    this.image = loaded;
    for (const listener of this.imageListeners) listener(loaded);
    const input = loaded.input;
    const pixels = toImageData(viz.colorize(input, { cmap: 'gray', vmin: 0, vmax: 1 }));
    this.captions.input.textContent = inputCaption(loaded);
    drawImageData(this.canvases.input, pixels);
    if (source === 'file') {
      if (![...this.imageSelect.options].some((o) => o.value === '')) {
        this.imageSelect.append(el('option', { value: '' }, 'Your image'));
      }
      this.imageSelect.value = '';
      this.imageSelect.options[this.imageSelect.selectedIndex].textContent = `Your image: ${loaded.name}`;
    }
    this.render('image');
  }

  /** Calls `listener` with each image the panels take from now on, and the current one. */
  onImage(listener: (loaded: LoadedImage) => void): void {
    this.imageListeners.push(listener);
    if (this.image) listener(this.image);
  }

  private kernelChanged(event: Event | undefined, edited: boolean): void {
    const value = this.editor.value();
    if (!value) return;
    this.kernel = value;
    if (edited) {
      this.kernelName = 'custom';
      this.kernelSelect.value = 'custom';
    }
    this.render(edited ? 'kernel-edit' : 'kernel-preset', event);
  }

  /** Runs filter → detect → condense with the library and redraws the four panels. */
  render(cause: string, event?: Event): void {
    const image = this.image;
    const kernel = this.kernel;
    if (!image || !kernel) return;
    const start = event && event.timeStamp > 0 ? event.timeStamp : performance.now();
    const t0 = performance.now();
    const stride = Number(this.settings.stride.value);
    const padding = this.settings.padding.value as 'same' | 'valid';
    const pool = Number(this.settings.pool.value);
    const cmap = this.settings.cmap.value;
    const gamma = Number(this.settings.gamma.value);
    let result: ReturnType<typeof viz.extractFeature>;
    try {
      const k = tensor(Float32Array.from(kernel.values), [kernel.rows, kernel.cols], 'float32');
      result = viz.extractFeature(image.input, k, {
        convStride: stride,
        convPadding: padding,
        poolSize: pool || 0,
        poolStride: pool || 1,
        poolPadding: 'same',
      });
    } catch (error) {
      // the library's message without its op names ('extractFeature: filter step (…): conv2d: '), as a sentence
      const reason = describeError(error).replace(/^(extractFeature: \w+ step \([^)]*\): )?\w+: /, '');
      this.kernelError.textContent = `These settings do not fit this image: ${reason}.`;
      this.clearResults();
      return;
    }
    if (this.kernelError.textContent?.startsWith('These settings') || this.kernelError.textContent?.startsWith('The filter')) {
      this.kernelError.textContent = '';
    }
    const t1 = performance.now();

    // Each map in its own value range, as the lesson's imshow draws it. One pass over the filter
    // output gives its range and its negatives; ReLU's range follows from it (max(0, ·) of each end).
    const stats = filterStats(result.filter.data);
    if (!Number.isFinite(stats.lo) || !Number.isFinite(stats.hi)) {
      this.kernelError.textContent =
        'The filter’s sums overflow float32 (they reach ±∞), so the maps cannot be drawn in a colour range: use smaller kernel values.';
      this.clearResults();
      return;
    }
    const condensed = result.condense ?? result.detect;
    const [clo, chi] = result.condense ? range(condensed.data) : [Math.max(0, stats.lo), Math.max(0, stats.hi)];
    let colorizeMs = 0;
    const colorize = (t: Tensor, options: viz.ColorizeOptions) => {
      const c0 = performance.now();
      const rgb = viz.colorize(t, { cmap, ...options });
      colorizeMs += performance.now() - c0;
      return rgb;
    };
    drawRgb(this.canvases.filter, colorize(result.filter, { vmin: stats.lo, vmax: stats.hi }));
    drawRgb(this.canvases.detect, colorize(result.detect, { vmin: Math.max(0, stats.lo), vmax: Math.max(0, stats.hi), gamma }));
    drawRgb(this.canvases.condense, colorize(condensed, { vmin: clo, vmax: chi, gamma }));
    const t2 = performance.now();

    const [, fh, fw] = result.filter.shape;
    const [, ch, cw] = condensed.shape;
    this.captions.filter.textContent = `${fh}×${fw} · ${formatNumber(stats.lo, 2)} to ${formatNumber(stats.hi, 2)}`;
    this.captions.detect.textContent = `${fh}×${fw} · ${formatNumber(Math.max(0, stats.lo), 2)} to ${formatNumber(Math.max(0, stats.hi), 2)} · ${formatPercent(stats.negatives, result.filter.size)} set to 0`;
    this.captions.condense.textContent = result.condense ? `${ch}×${cw} · ${pool}×${pool} windows` : `${ch}×${cw} · pooling off`;

    const [, height, width] = image.input.shape;
    const timing: RedrawTiming = {
      cause,
      ms: t2 - start,
      computeMs: t1 - t0,
      drawMs: t2 - t1,
      colorizeMs,
      height,
      width,
      kernel: this.kernelName,
      backend: getBackend(),
    };
    this.timings.push(timing);
    if (this.timings.length > 500) this.timings.shift();
    requestAnimationFrame(() => {
      timing.frameMs = performance.now() - start;
    });
    this.onRedraw(timing);
  }

  /** Blank Filter, Detect and Condense panels: the settings gave no result for this image. */
  private clearResults(): void {
    for (const name of ['filter', 'detect', 'condense'] as const) {
      const canvas = this.canvases[name];
      canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
      this.captions[name].textContent = '—';
    }
  }

  private setupDrop(zone: HTMLElement): void {
    let depth = 0;
    const hasFiles = (event: DragEvent) => [...(event.dataTransfer?.types ?? [])].includes('Files');
    zone.addEventListener('dragenter', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth++;
      zone.classList.add('dropping');
    });
    zone.addEventListener('dragover', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    });
    zone.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) zone.classList.remove('dropping');
    });
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      depth = 0;
      zone.classList.remove('dropping');
      const file = event.dataTransfer?.files?.[0];
      if (file) void this.openFile(file);
    });
  }
}
