import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import * as kernels from '../kernels/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Figure } from '../viz/figure.js';
import { showKernel, showKernels } from '../viz/kernel.js';
import { matrix } from '../viz/matrix.js';
import { terminalPreview } from '../viz/terminal.js';
import { checkCmap } from './cmap.js';
import { checkWritable, writeFileAtomic } from './files.js';
import type { KernelArg } from './kernel_arg.js';
import { withStdout } from './stdout.js';
import { colorEnabled } from './term.js';
import { UsageError } from './usage.js';

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Two blocks of lines next to each other (escape codes don't count towards the width). */
export function sideBySide(left: string, right: string, gap = 3): string {
  const a = left.split('\n');
  const b = right.split('\n');
  const width = Math.max(...a.map((l) => l.replace(ANSI, '').length));
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => {
    const l = a[i] ?? '';
    const r = b[i] ?? '';
    return r ? `${l}${' '.repeat(width - l.replace(ANSI, '').length + gap)}${r}` : l;
  }).join('\n');
}

/** The kernel's heatmap for the terminal: colour half blocks when colour is on, shading otherwise. */
export function kernelPreview(kernel: Tensor, cmap: string, stream: NodeJS.WriteStream): string {
  const cols = kernel.shape[1];
  // two characters per cell: one line per kernel row in both modes, beside the matrix
  return terminalPreview(kernel, { mode: colorEnabled(stream) ? 'color' : 'plain', cmap, width: cols * 2 });
}

function sum(t: Tensor): number {
  let s = 0;
  for (const v of t.data) s += v;
  return Number(s.toPrecision(6)); // six significant digits: a blur's float32 ninths sum to 1, and 1.2e-7 stays
}

/** A kernel's title with its size and sum: 'Edge Detect (3×3, sum 0)', and 'Gaussian 5×5 (sum 1)', whose title names its size. */
function heading(title: string, kernel: Tensor): string {
  const size = kernel.shape.join('×');
  return `${title} (${title.endsWith(size) ? '' : `${size}, `}sum ${sum(kernel)})`;
}

const FIGURE_EXTENSIONS = ['.png', '.svg', '.html', '.htm'];

/**
 * Usage errors (exit 2) before anything is printed: an unknown colormap, a figure file name that
 * is not .png/.svg/.html or is a folder, a folder for it that cannot be written.
 */
export async function checkFigureSettings(options: { out?: string; cmap: string }): Promise<void> {
  checkCmap(options.cmap);
  if (options.out === undefined) return;
  const name = basename(options.out);
  // extname('.png') is '': a dot file's name, with no extension
  if (FIGURE_EXTENSIONS.includes(name.toLowerCase())) {
    throw new UsageError(
      `--out ${options.out}: the figure's file needs a name before its extension, like ${join(dirname(options.out), `figure${name}`)}`,
    );
  }
  if (!FIGURE_EXTENSIONS.includes(extname(options.out).toLowerCase())) {
    throw new UsageError(`--out ${options.out}: the file name must end in .png, .svg or .html`);
  }
  await checkWritable(dirname(resolve(options.out)), options.out);
  const existing = await stat(options.out).catch(() => undefined);
  if (existing?.isDirectory())
    throw new UsageError(`--out ${options.out} is a folder (name the figure's file, e.g. ${join(options.out, 'figure.png')})`);
}

/** Writes a figure as .png, .svg or .html, by the file's extension (checked by checkFigureSettings). */
export async function writeFigure(path: string, figure: Figure): Promise<string> {
  const ext = extname(path).toLowerCase();
  const full = resolve(path);
  if (ext === '.png') await writeFileAtomic(full, await figure.png({ scale: 2 }));
  else if (ext === '.svg') await writeFileAtomic(full, figure.svg);
  else await writeFileAtomic(full, figure.html());
  return full;
}

export interface KernelsOptions {
  json: boolean;
  out?: string;
  cmap: string;
}

/** `convlens kernels`: every preset with its values and a small heatmap. */
export async function runKernels(options: KernelsOptions): Promise<number> {
  await checkFigureSettings(options);
  return withStdout((print) => listKernels(options, print));
}

async function listKernels(options: KernelsOptions, print: (text: string) => void): Promise<number> {
  if (options.json) {
    const list = kernels.names.map((name) => {
      const { kernel, title } = kernels.presets[name];
      return { name, title, shape: kernel.shape, sum: sum(kernel), values: kernel.array() };
    });
    print(`${JSON.stringify(list)}\n`); // one line, as every --json output: a line reader gets it whole
  } else {
    for (const name of kernels.names) {
      const { kernel, title } = kernels.presets[name];
      print(`${name.padEnd(12)} ${heading(title, kernel)}\n`);
      const text = matrix(kernel, { digits: kernel.dtype === 'float32' ? 4 : undefined });
      print(`${sideBySide(text.replace(/^/gm, '  '), kernelPreview(kernel, options.cmap, process.stdout))}\n\n`);
    }
    // a hint for a person reading, not a line for a pipe to parse
    process.stderr.write('Use one with: convlens extract IMAGE --kernel NAME --out DIR   (or convlens show-kernel NAME)\n');
  }
  if (options.out) {
    const figure = showKernels(
      kernels.names.map((name) => ({ kernel: kernels.presets[name].kernel, title: kernels.presets[name].title })),
      { cmap: options.cmap, digits: 4 },
    );
    const path = await writeFigure(options.out, figure);
    process.stderr.write(`wrote ${path}\n`);
  }
  return 0;
}

export interface ShowKernelCommandOptions {
  json: boolean;
  out?: string;
  cmap: string;
  digits?: number;
  title?: string;
  label: boolean;
}

/** `convlens show-kernel K`: the kernel as numbers and as a heatmap; with --out, the lesson's figure. */
export async function runShowKernel(k: KernelArg, options: ShowKernelCommandOptions): Promise<number> {
  await checkFigureSettings(options);
  return withStdout((print) => showOneKernel(k, options, print));
}

async function showOneKernel(k: KernelArg, options: ShowKernelCommandOptions, print: (text: string) => void): Promise<number> {
  const title = options.title ?? k.title;
  if (options.json) {
    print(`${JSON.stringify({ name: k.name, title, shape: k.kernel.shape, sum: sum(k.kernel), values: k.values })}\n`);
  } else {
    print(`${heading(title, k.kernel)}\n`);
    print(`${sideBySide(matrix(k.kernel, { digits: options.digits }), kernelPreview(k.kernel, options.cmap, process.stdout))}\n`);
  }
  if (options.out) {
    const figure = showKernel(k.kernel, { title, cmap: options.cmap, digits: options.digits, label: options.label });
    const path = await writeFigure(options.out, figure);
    process.stderr.write(`wrote ${path}\n`);
  }
  return 0;
}
