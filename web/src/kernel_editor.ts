import { beyondFloat32, editableNumber, el, formatNumber, parseNumber } from './dom.js';
import { heatColors } from './draw.js';

export const MIN_SIZE = 1;
export const MAX_SIZE = 7;

export interface KernelValue {
  rows: number;
  cols: number;
  /** Row-major values. */
  values: number[];
}

/** How a value is written in a cell: integers as they are, fractions to 3 significant digits. */
function shortNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

/**
 * The editable kernel: a rows × cols grid of text cells drawn the way the lesson draws a kernel
 * (Blues_r, the value in each cell), the sum under it. Calls `onChange` with the event that
 * caused a change whenever every cell holds a number; flags cells that do not.
 *
 * A kernel that is set (a preset, a learned kernel) keeps its exact values while its cells show
 * them rounded to 3 significant digits (the exact value is the cell's tooltip); typing in a
 * cell replaces that cell's value with what was typed.
 */
export class KernelEditor {
  private rows = 3;
  private cols = 3;
  private texts: string[] = [];
  /** The exact value behind a cell that shows a rounded one; undefined once the cell is edited. */
  private exact: (number | undefined)[] = [];
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
    this.texts = kernel.values.map(shortNumber);
    this.exact = kernel.values.map((v, i) => (parseNumber(this.texts[i]) === v ? undefined : v));
    this.build();
    this.changed(event, false);
  }

  /** The current kernel, or undefined while a cell holds something that is not a number. */
  value(): KernelValue | undefined {
    const values = this.values();
    if (values.some((v) => v === undefined)) return undefined;
    return { rows: this.rows, cols: this.cols, values: values as number[] };
  }

  private values(): (number | undefined)[] {
    return this.texts.map((t, i) => this.exact[i] ?? parseNumber(t));
  }

  private resize(rows: number, cols: number, event: Event): void {
    const texts: string[] = [];
    const exact: (number | undefined)[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const kept = r < this.rows && c < this.cols;
        texts.push(kept ? this.texts[r * this.cols + c] : '0');
        exact.push(kept ? this.exact[r * this.cols + c] : undefined);
      }
    }
    this.rows = rows;
    this.cols = cols;
    this.texts = texts;
    this.exact = exact;
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
        this.exact[i] = undefined;
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
      const current = this.exact[i] ?? parseNumber(input.value) ?? 0;
      const step = event.shiftKey ? 0.1 : 1;
      const next = Number((current + (event.key === 'ArrowUp' ? step : -step)).toFixed(6));
      input.value = editableNumber(next);
      this.texts[i] = input.value;
      this.exact[i] = undefined;
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
    const parsed = this.values();
    const colors = heatColors(parsed.map((v) => v ?? Number.NaN));
    const bad: string[] = [];
    this.cells.forEach((cell, i) => {
      const ok = parsed[i] !== undefined;
      const length = this.texts[i].length;
      cell.setAttribute('aria-invalid', String(!ok));
      cell.classList.toggle('long', length > 4 && length <= 6);
      cell.classList.toggle('longer', length > 6);
      cell.title = this.exact[i] !== undefined ? String(this.exact[i]) : '';
      cell.style.backgroundColor = ok ? colors[i].background : '';
      cell.style.color = ok ? colors[i].color : '';
      if (!ok) bad.push(`row ${Math.floor(i / this.cols) + 1}, column ${(i % this.cols) + 1}`);
    });
    if (bad.length) {
      // A cell being typed (empty, a lone minus) is not an error yet; anything else is.
      const wrong = this.texts.map((t) => t.trim()).find((t, i) => parsed[i] === undefined && !/^[-−+]?$/.test(t));
      this.errorBox.textContent = wrong
        ? `Kernel ${bad.length === 1 ? 'cell' : 'cells'} ${bad.join('; ')}: “${wrong}” ${beyondFloat32(wrong) ? 'is beyond float32’s range (±3.4e38), which the kernel is computed in' : 'is not a number'}. The panels show the last complete kernel.`
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
