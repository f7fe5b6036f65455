import { byId, el, formatNumber } from './dom.js';
import { heatColors } from './draw.js';
import { mul, nn, reshape, type Tensor, tensor } from './lib.js';

/** The lesson's 6×6 image: a long vertical line and a short horizontal one. */
const IMAGE = [
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 0, 0, 0],
  [0, 1, 0, 1, 1, 1],
  [0, 1, 0, 0, 0, 0],
];
const KERNEL = [
  [1, -1],
  [1, -1],
];
const PLAY_INTERVAL_MS = 700;

interface Cell {
  td: HTMLTableCellElement;
  value: HTMLElement;
  extra?: HTMLElement;
}

function table(
  caption: string,
  rows: number,
  cols: number,
  className: string,
  withExtra: boolean,
): { table: HTMLTableElement; cells: Cell[] } {
  const cells: Cell[] = [];
  const body = el('tbody');
  for (let r = 0; r < rows; r++) {
    const tr = el('tr');
    for (let c = 0; c < cols; c++) {
      const value = el('span', { class: 'v' });
      const extra = withExtra ? el('span', { class: 'products', 'aria-hidden': 'true' }) : undefined;
      const td = el('td', {}, extra, value);
      cells.push({ td, value, extra });
      tr.append(td);
    }
    body.append(tr);
  }
  return { table: el('table', { class: `matrix ${className}` }, el('caption', {}, caption), body), cells };
}

/**
 * Section 2: the lesson's worked example, computed by the library (`nn.conv2d` with VALID
 * padding, then `nn.relu`), revealed one output cell per step with the products that make it
 * (`mul` of the window and the kernel); the last step applies ReLU.
 */
export class WorkedExample {
  private step = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly outRows: number;
  private readonly outCols: number;
  private readonly filter: number[];
  private readonly detect: number[];
  private readonly products: number[][];
  private readonly imageCells: Cell[];
  private readonly filterCells: Cell[];
  private readonly detectCells: Cell[];
  private readonly explain = byId('step-explain');
  private readonly count = byId('step-count');
  private readonly back = byId<HTMLButtonElement>('step-back');
  private readonly next = byId<HTMLButtonElement>('step-next');
  private readonly play = byId<HTMLButtonElement>('step-play');

  constructor() {
    const image = reshape(tensor(IMAGE, undefined, 'float32'), [1, 6, 6, 1]);
    const kernel2d = tensor(KERNEL, undefined, 'float32');
    const filters = reshape(kernel2d, [2, 2, 1, 1]);
    const filtered = nn.conv2d({ input: image, filters, strides: 1, padding: 'VALID' });
    const detected = nn.relu(filtered);
    [, this.outRows, this.outCols] = filtered.shape;
    this.filter = Array.from(filtered.data as ArrayLike<number>);
    this.detect = Array.from(detected.data as ArrayLike<number>);
    this.products = [];
    for (let r = 0; r < this.outRows; r++) {
      for (let c = 0; c < this.outCols; c++) {
        const window = tensor([IMAGE[r].slice(c, c + 2), IMAGE[r + 1].slice(c, c + 2)], undefined, 'float32');
        this.products.push(Array.from((mul(window, kernel2d) as Tensor).data as ArrayLike<number>));
      }
    }

    const imageTable = table('Image (6×6)', 6, 6, 'image', false);
    const kernelTable = table('Kernel (2×2)', 2, 2, 'kernel', false);
    const filterTable = table(`Filter: conv2d (${this.outRows}×${this.outCols})`, this.outRows, this.outCols, 'output', true);
    const detectTable = table(`Detect: relu (${this.outRows}×${this.outCols})`, this.outRows, this.outCols, 'output detect', true);
    this.imageCells = imageTable.cells;
    this.filterCells = filterTable.cells;
    this.detectCells = detectTable.cells;
    IMAGE.flat().forEach((v, i) => {
      this.imageCells[i].value.textContent = String(v);
      this.imageCells[i].td.classList.toggle('on', v === 1);
    });
    const flatKernel = KERNEL.flat();
    const colors = heatColors(flatKernel);
    kernelTable.cells.forEach((cell, i) => {
      cell.value.textContent = formatNumber(flatKernel[i]);
      cell.td.style.backgroundColor = colors[i].background;
      cell.td.style.color = colors[i].color;
    });
    byId('worked').replaceChildren(
      el('div', { class: 'worked-item' }, imageTable.table),
      el('div', { class: 'worked-op', 'aria-hidden': 'true' }, '⊛'),
      el('div', { class: 'worked-item' }, kernelTable.table),
      el('div', { class: 'worked-op', 'aria-hidden': 'true' }, '='),
      el('div', { class: 'worked-item' }, filterTable.table),
      el('div', { class: 'worked-op', 'aria-hidden': 'true' }, '→'),
      el('div', { class: 'worked-item' }, detectTable.table),
    );

    this.back.addEventListener('click', () => this.go(this.step - 1));
    this.next.addEventListener('click', () => this.go(this.step + 1));
    byId('step-reset').addEventListener('click', () => {
      this.stop();
      this.go(0);
    });
    this.play.addEventListener('click', () => (this.timer ? this.stop() : this.start()));
    this.go(0);
  }

  /** Steps: 0 (nothing yet), 1..25 (one output cell each), 26 (ReLU). */
  get lastStep(): number {
    return this.outRows * this.outCols + 1;
  }

  private start(): void {
    if (this.step >= this.lastStep) this.go(0);
    this.play.textContent = 'Pause';
    this.play.setAttribute('aria-pressed', 'true');
    this.timer = setInterval(() => {
      if (this.step >= this.lastStep) this.stop();
      else this.go(this.step + 1);
    }, PLAY_INTERVAL_MS);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.play.textContent = 'Play';
    this.play.setAttribute('aria-pressed', 'false');
  }

  private go(step: number): void {
    this.step = Math.max(0, Math.min(this.lastStep, step));
    const cellsDone = Math.min(this.step, this.outRows * this.outCols);
    const current = this.step >= 1 && this.step <= this.outRows * this.outCols ? this.step - 1 : -1;
    const reluDone = this.step === this.lastStep;

    // The window under the kernel, with each pixel's weight.
    for (const cell of this.imageCells) {
      cell.td.classList.remove('window');
      cell.td.removeAttribute('data-weight');
    }
    if (current >= 0) {
      const r0 = Math.floor(current / this.outCols);
      const c0 = current % this.outCols;
      for (let dr = 0; dr < 2; dr++) {
        for (let dc = 0; dc < 2; dc++) {
          const cell = this.imageCells[(r0 + dr) * 6 + c0 + dc];
          cell.td.classList.add('window');
          cell.td.dataset.weight = `×${formatNumber(KERNEL[dr][dc])}`;
        }
      }
    }

    this.filterCells.forEach((cell, i) => {
      const done = i < cellsDone;
      cell.value.textContent = done ? formatNumber(this.filter[i]) : '';
      if (cell.extra) cell.extra.textContent = done ? productRows(this.products[i]) : '';
      cell.td.classList.toggle('current', i === current);
      cell.td.classList.toggle('negative', done && this.filter[i] < 0);
      cell.td.classList.toggle('positive', done && this.filter[i] > 0);
      cell.td.title = done ? this.expression(i) : '';
    });
    this.detectCells.forEach((cell, i) => {
      const zeroed = reluDone && this.filter[i] < 0;
      cell.value.textContent = reluDone ? formatNumber(this.detect[i]) : '';
      // A negative that ReLU set to 0 shows what it was, struck through.
      if (cell.extra) cell.extra.textContent = zeroed ? formatNumber(this.filter[i]) : '';
      cell.td.classList.toggle('zeroed', zeroed);
      cell.td.title = zeroed ? `max(0, ${formatNumber(this.filter[i])}) = 0` : '';
      cell.td.classList.toggle('positive', reluDone && this.detect[i] > 0);
    });

    this.back.disabled = this.step === 0;
    this.next.disabled = this.step === this.lastStep;
    this.count.textContent = `Step ${this.step} of ${this.lastStep}`;
    if (this.step === 0) {
      this.explain.textContent =
        'Press Step (or Play) to slide the 2×2 kernel over the image one position at a time: multiply each pixel under it by the kernel value on top of it, and add the four products.';
    } else if (current >= 0) {
      this.explain.textContent = this.expression(current);
    } else {
      const zeroed = this.filter.filter((v) => v < 0).length;
      this.explain.textContent = `ReLU keeps the positive values and sets the ${zeroed} negative ones to 0 (max(0, x)): only the left edge of the vertical line survives, as a column of 2s.`;
    }
  }

  private expression(i: number): string {
    const r = Math.floor(i / this.outCols);
    const c = i % this.outCols;
    const terms: string[] = [];
    for (let dr = 0; dr < 2; dr++) {
      for (let dc = 0; dc < 2; dc++) {
        const w = KERNEL[dr][dc];
        terms.push(`${IMAGE[r + dr][c + dc]}×${w < 0 ? `(${formatNumber(w)})` : formatNumber(w)}`);
      }
    }
    return `Row ${r + 1}, column ${c + 1}: ${terms.join(' + ')} = ${formatNumber(this.filter[i])}`;
  }
}

/** The four products laid out as the 2×2 window they come from: one line per kernel row. */
function productRows(products: number[]): string {
  const text = products.map((p) => formatNumber(p));
  return `${text[0]} ${text[1]}\n${text[2]} ${text[3]}`;
}
