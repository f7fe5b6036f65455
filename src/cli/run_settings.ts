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

/**
 * Records `settings` in `out` and returns the time (ms) from which an output counts as made with
 * them. The file is rewritten only when the settings change, so its time is when they did: an
 * older output was made with others. With --resume, other settings than the recorded ones are a
 * usage error (remaking every output is what a run without --resume does). A folder with no
 * record (a first run) counts every output, as before records were kept.
 */
export async function outputsMadeSince(out: string, settings: OutputSettings, resume: boolean): Promise<number> {
  const path = join(out, SETTINGS_FILE);
  const previous = await readSettings(path);
  if (previous && JSON.stringify(previous) === JSON.stringify(settings)) return (await stat(path)).mtimeMs;
  if (previous && resume) {
    throw new UsageError(
      `--resume: the outputs in ${out} were made with other settings (${differences(previous, settings)}); run without --resume to remake them, or choose another --out`,
    );
  }
  await writeFileAtomic(path, `${JSON.stringify(settings, null, 2)}\n`);
  if (previous) return (await stat(path)).mtimeMs;
  // no record: the outputs there (if any) are taken as this run's, as --resume always did
  await utimes(path, 0, 0);
  return 0;
}

async function readSettings(path: string): Promise<OutputSettings | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as OutputSettings) : undefined;
  } catch {
    return undefined; // none, or unreadable: as if there were none
  }
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
      return a !== undefined && b !== undefined && a !== b ? `${key} ${a} → ${b}` : `${key} ${show(before[key])} → ${show(after[key])}`;
    })
    .join('; ');
}
