import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { booleanArg } from './args.js';
import type { Callbacks, Logs } from './callbacks.js';
import { localPath, nodeModules } from './node_files.js';
import { pythonRepr } from './python_format.js';

export interface CSVLoggerArgs {
  /** The character between fields (default `','`). */
  separator?: string;
  /** Add to the file if it exists, with no second header (default false: the file is written anew at each fit). */
  append?: boolean;
}

const WHERE = 'csvLogger';

/**
 * Keras 3's `CSVLogger`: writes each epoch's logs to a CSV file (Node.js) as Keras writes it with
 * Python's csv module: a header of `epoch` (from 0, as Keras writes it) and the logs' names sorted,
 * with a `val_` column for each name when there are none (`NA` where no value was logged), numbers
 * as Python prints them, lines ending in CRLF. Each epoch's row is in the file before the next epoch starts.
 */
export class CSVLogger implements Callbacks {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  /** The columns after `epoch`, set by the first epoch of each fit. */
  private keys?: string[];
  private header = true;

  constructor(filename: string, args: CSVLoggerArgs = {}) {
    if (typeof filename !== 'string' || filename === '') {
      throw new ConvlensError(`${WHERE}: filename must be a file path such as 'training.csv', got ${describeValue(filename)}`);
    }
    checkOptions(WHERE, args, ['separator', 'append']);
    const { separator = ',' } = args;
    // Python's csv module takes a delimiter of one character
    if (typeof separator !== 'string' || separator.length !== 1 || '"\r\n'.includes(separator)) {
      throw new ConvlensError(
        `${WHERE}: separator must be one character other than a quote or a line break, got ${describeValue(separator)}`,
      );
    }
    this.filename = localPath(WHERE, filename);
    this.separator = separator;
    this.append = booleanArg(WHERE, 'append', args.append, false);
  }

  async onTrainBegin(): Promise<void> {
    const { fs } = await nodeModules(WHERE);
    this.keys = undefined;
    if (this.append) {
      // a header only if the file has none: it is missing or its first line is empty
      const text = await fs.readFile(this.filename, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '';
        throw this.fileError(error);
      });
      this.header = /^[\r\n]|^$/.test(text);
    } else {
      await fs.writeFile(this.filename, '').catch((error: Error) => {
        throw this.fileError(error);
      });
      this.header = true;
    }
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (!this.keys) {
      const keys = Object.keys(logs).sort();
      this.keys = keys.some((key) => key.startsWith('val_')) ? keys : [...keys, ...keys.map((key) => `val_${key}`)];
    }
    const row = (fields: string[]) => `${fields.map((field) => this.quoted(field)).join(this.separator)}\r\n`;
    let text = this.header ? row(['epoch', ...this.keys]) : '';
    this.header = false;
    text += row([String(epoch), ...this.keys.map((key) => (key in logs ? pythonRepr(logs[key]) : 'NA'))]);
    const { fs } = await nodeModules(WHERE);
    await fs.appendFile(this.filename, text).catch((error: Error) => {
      throw this.fileError(error);
    });
  }

  /** A field as Python's csv module writes it: in quotes, doubled inside, when it holds the separator, a quote or a line break. */
  private quoted(field: string): string {
    const special = field.includes(this.separator) || /["\r\n]/.test(field);
    return special ? `"${field.replaceAll('"', '""')}"` : field;
  }

  private fileError(error: Error): ConvlensError {
    return new ConvlensError(`${WHERE}: could not write ${this.filename}: ${error.message}`, { cause: error });
  }
}

/** `new CSVLogger(filename, args)`, in tfjs' style of factory. */
export function csvLogger(filename: string, args?: CSVLoggerArgs): CSVLogger {
  return new CSVLogger(filename, args);
}
