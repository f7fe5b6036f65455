import { readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import { UsageError } from './usage.js';

/**
 * The settings that decide what an extract output holds, kept in --out as `.convlens-extract.json`
 * so that --resume skips only outputs made with the settings of this run: an output of the edge
 * kernel is not "complete" for a run with the blur kernel.
 */
export const SETTINGS_FILE = '.convlens-extract.json';

/** Setting name → value, in a fixed order (compared as JSON text). */
export type OutputSettings = Record<string, unknown>;

/** What --resume may skip, and how this run's settings are recorded. */
export interface SettingsCheck {
  /** An output counts as made with this run's settings if written at or after this time (ms). */
  since: number;
  /**
   * Records the settings, if they are not recorded yet: called before the first output is
   * written, so a run that writes nothing (every input failed) leaves the record as it was.
   */
  record: () => Promise<void>;
}

/**
 * Checks `settings` against the record in `out`. The record is rewritten only when the settings
 * change, so its time is when they did: an older output was made with others. With --resume,
 * other settings than the recorded ones, or a record that cannot be read, are a usage error
 * (remaking every output is what a run without --resume does). A folder with no record (from a
 * version that kept none) counts every output under --resume, as --resume always did.
 */
export async function checkOutputSettings(out: string, settings: OutputSettings, resume: boolean): Promise<SettingsCheck> {
  const path = join(out, SETTINGS_FILE);
  const previous = await readSettings(path);
  if (previous.state === 'ok' && JSON.stringify(previous.settings) === JSON.stringify(settings)) {
    return { since: previous.mtimeMs, record: async () => {} };
  }
  if (resume && previous.state === 'ok') {
    throw new UsageError(
      `--resume: the outputs in ${out} were made with other settings (${differences(previous.settings, settings)}); run without --resume to remake them, or choose another --out`,
    );
  }
  if (resume && previous.state === 'unreadable') {
    throw new UsageError(
      `--resume: the record of the settings of the outputs in ${out} (${SETTINGS_FILE}) cannot be read; run without --resume to remake them`,
    );
  }
  let recorded: Promise<void> | undefined;
  const write = async () => {
    await writeFileAtomic(path, `${JSON.stringify(settings, null, 2)}\n`);
    // under --resume the outputs already there count as this run's: the record dates from before them
    if (resume) await utimes(path, 0, 0);
  };
  return { since: 0, record: () => (recorded ??= write()) };
}

type Recorded = { state: 'ok'; settings: OutputSettings; mtimeMs: number } | { state: 'none' } | { state: 'unreadable' };

async function readSettings(path: string): Promise<Recorded> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { state: 'none' } : { state: 'unreadable' };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return { state: 'ok', settings: value as OutputSettings, mtimeMs };
  } catch {
    // not JSON: a torn or edited file
  }
  return { state: 'unreadable' };
}

/** `kernel edge → blur; stride 1 → 2`: what changed, briefly. */
function differences(before: OutputSettings, after: OutputSettings): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const show = (v: unknown) => {
    const text = JSON.stringify(v) ?? 'none';
    return text.length > 40 ? `${text.slice(0, 37)}...` : text;
  };
  // a named value (the kernel) by its name, when the names tell the two apart
  const nameOf = (v: unknown) => (v && typeof v === 'object' && 'name' in v ? String(v.name) : undefined);
  return keys
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => {
      const [a, b] = [nameOf(before[key]), nameOf(after[key])];
      if (a !== undefined && b !== undefined && a !== b) return `${key} ${a} → ${b}`;
      const [x, y] = [show(before[key]), show(after[key])];
      return x === y ? `${key} (its values)` : `${key} ${x} → ${y}`;
    })
    .join('; ');
}
