import type { Dirent } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';

/** One input: where it is, and the name its outputs get (relative to the folder or glob base it came from). */
export interface InputFile {
  path: string;
  name: string;
}

/** An argument that named nothing readable. */
export interface InputProblem {
  path: string;
  error: string;
}

/** File extensions taken from folders and globs (a file named on the command line is always tried). */
export const IMAGE_EXTENSIONS = /\.(png|jpe?g|jpe|jfif)$/i;

/** A short reason for a file-system error (`no such file or directory`, `permission denied`...). */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'is a folder',
    ENOTDIR: 'not a folder',
    EMFILE: 'too many open files',
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    ELOOP: 'too many symbolic links',
  };
  return (code && reasons[code]) ?? (error instanceof Error ? error.message : String(error));
}

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/**
 * Walks a folder lazily (one open directory handle per level, entries read as they come), so a
 * folder of millions of files costs no memory up front. Hidden entries (starting with `.`) and
 * `exclude`d folders are skipped; symbolic links to folders are not followed (no cycles).
 */
async function* walk(root: string, maxDepth: number, exclude: string[], depth = 1): AsyncGenerator<string> {
  let dir: AsyncIterable<Dirent>;
  try {
    dir = await opendir(root);
  } catch {
    return;
  }
  for await (const entry of dir) {
    if (entry.name.startsWith('.')) continue;
    const path = join(root, entry.name);
    if (entry.isDirectory()) {
      if (depth < maxDepth && !exclude.some((e) => isInside(resolve(path), e))) yield* walk(path, maxDepth, exclude, depth + 1);
    } else if (entry.isFile()) {
      yield path;
    } else if (entry.isSymbolicLink()) {
      try {
        if ((await stat(path)).isFile()) yield path;
      } catch {
        // a dangling link: nothing to read
      }
    }
  }
}

/**
 * The inputs named by command-line arguments, streamed: a file is itself; a folder gives its
 * images (recursively); a quoted glob (`'photos/**\/*.jpg'`) gives the files that match it.
 * Problems (a missing path, a glob that matches nothing) come out as `InputProblem`s.
 */
export async function* listInputs(args: string[], options: { exclude?: string[] } = {}): AsyncGenerator<InputFile | InputProblem> {
  const exclude = (options.exclude ?? []).map((e) => resolve(e));
  for (const arg of args) {
    let info: Awaited<ReturnType<typeof stat>> | undefined;
    try {
      info = await stat(arg);
    } catch (error) {
      const scan = picomatch.scan(arg);
      if (!scan.isGlob) {
        yield { path: arg, error: fsReason(error) };
        continue;
      }
      const base = scan.base || '.';
      const isMatch = picomatch(scan.glob, { dot: false });
      const maxDepth = scan.glob.includes('**') ? Number.POSITIVE_INFINITY : scan.glob.split('/').length;
      let found = false;
      for await (const path of walk(base, maxDepth, exclude)) {
        const rel = relative(base, path).split(sep).join('/');
        if (!isMatch(rel)) continue;
        found = true;
        yield { path, name: rel };
      }
      if (!found) yield { path: arg, error: 'no files match this pattern' };
      continue;
    }
    if (info.isDirectory()) {
      let found = false;
      for await (const path of walk(arg, Number.POSITIVE_INFINITY, exclude)) {
        if (!IMAGE_EXTENSIONS.test(path)) continue;
        found = true;
        yield { path, name: relative(arg, path).split(sep).join('/') };
      }
      if (!found) yield { path: arg, error: 'no PNG or JPEG files in this folder' };
    } else {
      yield { path: arg, name: basename(arg) };
    }
  }
}

/** FNV-1a, 32 bits: a stable hash of an input's name for `--shard`. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Whether an input belongs to shard `index` (1-based) of `count`: decided by its name alone, so every machine agrees. */
export function inShard(name: string, shard: { index: number; count: number } | undefined): boolean {
  return !shard || fnv1a(name) % shard.count === shard.index - 1;
}
