import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ConvlensError } from '../errors.js';
import { makeDirectories } from '../make_directories.js';
import { fsReason } from './inputs.js';
import { UsageError } from './usage.js';

let written = 0;
/**
 * A file name part no other writer picks: the process, the thread, a count and a random part (for
 * processes of other machines writing to the same shared folder). Not node:crypto, whose ~15
 * modules every extract worker would load before its first image.
 */
function uniqueSuffix(): string {
  return `${process.pid}-${threadId}-${written++}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Fails before any work (a usage error, exit 2) if the folder `dir` cannot be created or written;
 * the message names `--out` as given (`out`: a figure's file name, whose folder `dir` is). The
 * folders it makes to find out are removed again (the writes make them), so a run that fails
 * later leaves no empty folders behind.
 */
export async function checkWritable(dir: string, out = dir): Promise<void> {
  let made = false;
  let first: string | undefined;
  try {
    first = await makeDirectory(dir);
    made = true;
    const probe = join(dir, `.convlens-probe-${uniqueSuffix()}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    // a folder that exists but takes no new files (/proc, /sys) says ENOENT: not the reason to show
    const reason = made && (error as NodeJS.ErrnoException)?.code === 'ENOENT' ? 'no file can be created in it' : fsReason(error);
    const where = out === dir ? '' : ` (in the folder ${dir})`;
    throw new UsageError(`cannot write to --out ${out}${where}: ${reason}`);
  } finally {
    if (first) await removeEmptyFolders(dir, first);
  }
}

/**
 * Fails before training (a usage error, exit 2) if the model folder `dir` holds files that saving a
 * model there would refuse to replace: anything but model.json, .bin weight files and `keep`.
 */
export async function checkModelFolder(dir: string, keep: readonly string[] = []): Promise<void> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new UsageError(`cannot write the model to ${dir}: ${fsReason(error)}`);
  });
  const foreign = names.filter((name) => name !== 'model.json' && !name.endsWith('.bin') && !keep.includes(name));
  if (foreign.length > 0) {
    throw new UsageError(
      `cannot write the model to ${dir}: it holds files that are not part of a saved model (${foreign.slice(0, 3).join(', ')})`,
    );
  }
}

/** Fails before training (a usage error, exit 2) if `path`, a model file the run will write, is a folder. */
export async function checkModelFile(path: string): Promise<void> {
  const isFolder = await stat(path).then(
    (s) => s.isDirectory(),
    () => false, // absent (or unreadable: the write says why)
  );
  if (isFolder) throw new UsageError(`cannot write the model to ${path}: it is a folder`);
}

/** The outermost folder that writing into `dir` would make (`dir` itself, or a missing folder above it), or undefined when `dir` exists. */
export async function firstMissingFolder(dir: string): Promise<string | undefined> {
  let missing: string | undefined;
  for (let folder = resolve(dir); folder !== missing; folder = dirname(folder)) {
    // any answer but "no such entry" (a folder that cannot be searched) counts as there
    const absent = await stat(folder).then(
      () => false,
      (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
    );
    if (!absent) return missing;
    missing = folder;
  }
  return missing;
}

/**
 * Removes the folder `dir` that this run made (and the folders above it up to `top`, the first it
 * made) when it holds nothing but the files named in `own`, the run's own records: a run that
 * wrote nothing leaves no folder behind. A folder holding anything else is kept as it is.
 */
export async function removeIfUnused(dir: string, top: string, own: readonly string[] = []): Promise<void> {
  const names = await readdir(dir).catch(() => undefined);
  if (!names?.every((name) => own.includes(name))) return;
  await Promise.all(names.map((name) => rm(join(dir, name), { force: true })));
  await removeEmptyFolders(dir, top);
}

/** Removes `dir` and the folders above it up to `top`, as long as they are empty. */
async function removeEmptyFolders(dir: string, top: string): Promise<void> {
  for (let folder = dir; ; folder = dirname(folder)) {
    if (
      !(await rmdir(folder).then(
        () => true,
        () => false,
      )) ||
      folder === top ||
      dirname(folder) === folder
    )
      return;
  }
}

/** `mkdir -p` that also fails, rather than hangs, under /proc (see makeDirectories); returns the first folder it made. */
export async function makeDirectory(path: string): Promise<string | undefined> {
  return makeDirectories(mkdir, dirname, path);
}

/**
 * Writes a file under a temporary name in the same folder, then renames it into place, so a
 * reader never sees a half-written file even if the process dies mid-write. A failure is a
 * ConvlensError that names the file and the reason.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = join(dirname(path), `.${uniqueSuffix()}.tmp`);
  try {
    await makeDirectory(dirname(path));
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {}); // there may be no folder to look in
    throw new ConvlensError(`cannot write ${path}: ${fsReason(error)}`, { cause: error });
  }
}

const madeDirs = new Set<string>();

/**
 * `writeFileAtomic` for a worker thread that does one thing at a time: blocking calls, no thread
 * pool round trips, and each folder created once.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  if (!madeDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    if (madeDirs.size > 10_000) madeDirs.clear();
    madeDirs.add(dir);
  }
  const temporary = join(dir, `.${uniqueSuffix()}.tmp`);
  try {
    try {
      writeFileSync(temporary, data);
    } catch (error) {
      // a folder made earlier in the process may have gone since (checkWritable removes its own)
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dir, { recursive: true });
      writeFileSync(temporary, data);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
