import { editableNumber, el, formatNumber, parseNumber } from './dom.js';
import { heatColors } from './draw.js';

export const MIN_SIZE = 1;
export const MAX_SIZE = 7;

export interface KernelValue {
  rows: number;
  cols: number;
  /** Row-major values. */
  values: number[];
}

/**
 * The editable kernel: a rows × cols grid of text cells drawn the way the lesson draws a kernel
 * (Blues_r, the value in each cell), the sum under it. Calls `onChange` with the event that
 * caused a change whenever every cell holds a number; flags cells that do not.
 */
export class KernelEditor {
  private rows = 3;
  private cols = 3;
  private texts: string[] = [];
  private cells: HTMLInputElement[] = [];

  constructor(
    private readonly grid: HTMLElement,
    private readonly rowsSelect: HTMLSelectElement,
    private readonly colsSelect: HTMLSelectElement,
    private readonly sumOutput: HTMLOutputElement,
    private readonly errorBox: HTMLElement,
    private readonly onChange: (event: Event | undefined, edited: boolean) => void,
  ) {
    for (const select of [rowsSelect, colsSelect]) {
      for (let n = MIN_SIZE; n <= MAX_SIZE; n++) select.append(el('option', { value: n }, String(n)));
      select.addEventListener('change', (event) => this.resize(Number(rowsSelect.value), Number(colsSelect.value), event));
    }
  }

  /** Shows a kernel (a preset, or a learned one) without counting it as an edit. */
  set(kernel: KernelValue, event?: Event): void {
    this.rows = kernel.rows;
    this.cols = kernel.cols;
    this.texts = kernel.values.map(editableNumber);
    this.build();
    this.changed(event, false);
  }

  /** The current kernel, or undefined while a cell holds something that is not a number. */
  value(): KernelValue | undefined {
    const values = this.texts.map(parseNumber);
    if (values.some((v) => v === undefined)) return undefined;
    return { rows: this.rows, cols: this.cols, values: values as number[] };
  }

  /** The cell inputs, row-major (for tests and focus handling). */
  inputs(): readonly HTMLInputElement[] {
    return this.cells;
  }

  private resize(rows: number, cols: number, event: Event): void {
    const texts: string[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) texts.push(r < this.rows && c < this.cols ? this.texts[r * this.cols + c] : '0');
    }
    this.rows = rows;
    this.cols = cols;
    this.texts = texts;
    this.build();
    this.changed(event, true);
  }

  private build(): void {
    this.rowsSelect.value = String(this.rows);
    this.colsSelect.value = String(this.cols);
    this.grid.style.setProperty('--cols', String(this.cols));
    this.cells = this.texts.map((text, i) => {
      const r = Math.floor(i / this.cols);
      const c = i % this.cols;
      const input = el('input', {
        type: 'text',
        class: 'kernel-cell',
        value: text,
        spellcheck: 'false',
        autocomplete: 'off',
        'aria-label': `Kernel row ${r + 1}, column ${c + 1}`,
      });
      input.addEventListener('input', (event) => {
        this.texts[i] = input.value;
        this.changed(event, true);
      });
      input.addEventListener('keydown', (event) => this.keydown(event, i));
      return input;
    });
    this.grid.replaceChildren(...this.cells);
  }

  private keydown(event: KeyboardEvent, i: number): void {
    const input = this.cells[i];
    if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      const current = parseNumber(input.value) ?? 0;
      const step = event.shiftKey ? 0.1 : 1;
      const next = Number((current + (event.key === 'ArrowUp' ? step : -step)).toFixed(6));
      input.value = editableNumber(next);
      this.texts[i] = input.value;
      event.preventDefault();
      this.changed(event, true);
      return;
    }
    // Enter moves on to the next cell, like a spreadsheet.
    if (event.key === 'Enter') {
      event.preventDefault();
      this.cells[(i + 1) % this.cells.length].focus();
      this.cells[(i + 1) % this.cells.length].select();
    }
  }

  private changed(event: Event | undefined, edited: boolean): void {
    const parsed = this.texts.map(parseNumber);
    const colors = heatColors(parsed.map((v) => v ?? Number.NaN));
    const bad: string[] = [];
    this.cells.forEach((cell, i) => {
      const ok = parsed[i] !== undefined;
      cell.setAttribute('aria-invalid', String(!ok));
      cell.style.backgroundColor = ok ? colors[i].background : '';
      cell.style.color = ok ? colors[i].color : '';
      if (!ok) bad.push(`row ${Math.floor(i / this.cols) + 1}, column ${(i % this.cols) + 1}`);
    });
    if (bad.length) {
      // A cell being typed (empty, a lone minus) is not an error yet; anything else is.
      const wrong = this.texts.map((t) => t.trim()).find((t, i) => parsed[i] === undefined && !/^[-−+]?$/.test(t));
      this.errorBox.textContent = wrong
        ? `Kernel ${bad.length === 1 ? 'cell' : 'cells'} ${bad.join('; ')}: “${wrong}” is not a number. The panels show the last complete kernel.`
        : '';
      this.sumOutput.value = 'Sum —';
      return;
    }
    this.errorBox.textContent = '';
    const sum = (parsed as number[]).reduce((a, b) => a + b, 0);
    this.sumOutput.value = `Sum ${formatNumber(sum, 4)} · ${this.rows}×${this.cols}`;
    this.onChange(event, edited);
  }
}
