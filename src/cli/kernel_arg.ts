import { readFileSync, statSync } from 'node:fs';
import { ConvlensError } from '../errors.js';
import * as kernels from '../kernels/index.js';
import { constant } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { fsReason } from './inputs.js';

/** A kernel named on the command line, with a name for titles and file names. */
export interface KernelArg {
  name: string;
  title: string;
  kernel: Tensor;
  /** The values as nested arrays (for a worker thread or JSON output). */
  values: number[][];
}

/** The rows in a kernel file's `{"kernel": [[...]]}`, refusing other keys (a "title" or "stride" would be ignored). */
function unwrapKernel(value: unknown, source: string): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const unknownKeys = Object.keys(value).filter((key) => key !== 'kernel');
  if (unknownKeys.length > 0) {
    throw new ConvlensError(
      `${source}: unknown ${unknownKeys.length === 1 ? 'key' : 'keys'} ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}: a kernel file holds a 2-D array, or an object with "kernel" alone ({"kernel": [[1, -1], [1, -1]]})`,
    );
  }
  return (value as { kernel?: unknown }).kernel;
}

function fromValues(value: unknown, source: string): number[][] {
  const rows = unwrapKernel(value, source);
  if (
    !Array.isArray(rows) ||
    rows.length === 0 ||
    !rows.every((r) => Array.isArray(r) && r.length === rows[0].length && r.length > 0 && r.every((v) => typeof v === 'number'))
  ) {
    throw new ConvlensError(
      `${source} is not a kernel: expected a non-empty 2-D array of numbers with rows of equal length, like [[1, -1], [1, -1]]`,
    );
  }
  // JSON reads 1e400 as Infinity: out of range too, said as such rather than "not numbers"
  const huge = (rows as number[][]).flat().find((v) => !(Math.abs(v) <= FLOAT32_MAX));
  if (huge !== undefined) {
    const value = Number.isFinite(huge) ? String(huge) : 'a value beyond even float64 (it reads as Infinity)';
    throw new ConvlensError(`${source}: ${value} is beyond float32's range (±3.4e38), which the kernel is computed in`);
  }
  return rows as number[][];
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A kernel file that could not be read or holds no kernel: an input that failed (exit 1), where a
 * kernel written wrong on the command line is a usage error (exit 2).
 */
export class KernelFileError extends ConvlensError {}

/** The kernel in the .json file `path`, or a KernelFileError naming it. */
function readKernelFile(path: string, label: string): number[][] {
  const source = `${label} file ${path}`;
  let parsed: unknown;
  try {
    if (!statSync(path).isFile()) throw new ConvlensError('not a regular file'); // a folder, or /dev/zero, read without end
    // without the byte-order mark Windows' Notepad starts a UTF-8 file with, which JSON.parse refuses
    parsed = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    // a typo in the file says so, as an inline kernel's does, rather than JSON.parse's words alone
    if (error instanceof SyntaxError) throw new KernelFileError(`${source} is not valid JSON (${error.message})`);
    const reason = error instanceof ConvlensError ? error.message : fsReason(error);
    throw new KernelFileError(`${source}: ${reason}`);
  }
  try {
    return fromValues(parsed, source);
  } catch (error) {
    throw new KernelFileError((error as Error).message);
  }
}

/**
 * A preset name (`edge`, `bottom_sobel`...), a JSON array (`[[1,-1],[1,-1]]`) or a .json file holding one (or
 * `{ "kernel": [[...]] }`, no other key); `label` is how messages name the argument (`--kernel`, or show-kernel's `kernel`).
 */
export function parseKernel(text: string, label = '--kernel'): KernelArg {
  const trimmed = text.trim();
  let values: number[][];
  let name: string;
  let title: string;
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new ConvlensError(`${label} ${JSON.stringify(text)} is not valid JSON (${(error as Error).message})`);
    }
    values = fromValues(parsed, `${label} ${JSON.stringify(text)}`);
    name = 'custom';
    title = 'Custom kernel';
  } else if (/\.json$/i.test(trimmed)) {
    values = readKernelFile(trimmed, label);
    name = trimmed.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
    title = name;
  } else {
    const key = kernels.presetName(trimmed);
    if (!key) {
      throw new ConvlensError(
        `${label} ${JSON.stringify(text)} is not a preset (${kernels.suggestion(trimmed)}), a JSON array like [[1,-1],[1,-1]] or a .json file`,
      );
    }
    const kernel = kernels.get(key);
    return { name: key, title: kernels.presets[key].title, kernel, values: kernel.array() as number[][] };
  }
  return { name, title, kernel: constant(values), values };
}
