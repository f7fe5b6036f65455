import type { Dirent } from 'node:fs';
import { lstat, opendir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import picomatch from 'picomatch';

/**
 * One input: where it is, its name (its path relative to the folder or glob base it came from, or
 * its file name), and its output's path under `--out` without the format's extension.
 */
export interface InputFile {
  path: string;
  name: string;
  output: string;
}

/**
 * An argument that named nothing readable, or an input whose output would overwrite another
 * input's. The latter has its `name`, so that only the shard of that name reports it.
 */
export interface InputProblem {
  path: string;
  error: string;
  name?: string;
}

/** File extensions taken from folders and globs (a file named on the command line is always tried). */
export const IMAGE_EXTENSIONS = /\.(png|jpe?g|jpe|jfif|gif|bmp)$/i;

/** Image formats a folder may hold that convlens does not decode, by extension: left out, and said so. */
const UNREAD_FORMATS: [RegExp, string][] = [
  [/\.webp$/i, 'WebP'],
  [/\.tiff?$/i, 'TIFF'],
  [/\.(heic|heif)$/i, 'HEIF'],
  [/\.avif$/i, 'AVIF'],
];

/** The name of the image format of a file convlens does not decode (`x.webp` → WebP), by its extension. */
export function unreadFormat(name: string): string | undefined {
  return UNREAD_FORMATS.find(([pattern]) => pattern.test(name))?.[1];
}

/**
 * An image in a folder that is in a format convlens does not decode (WebP, TIFF...): not an input,
 * but reported, so that a folder of them does not look like an empty one. Has its `name`, so that
 * only the shard of that name reports it.
 */
export interface InputUnread {
  path: string;
  name: string;
  format: string;
}

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
    // a folder to make where a file of that name is (k.png/inner.png beside k.jpg's output k.png)
    EEXIST: 'a file of that name is in the way',
  };
  return (code && reasons[code]) ?? (error instanceof Error ? error.message : String(error));
}

/**
 * The bytes of the file `path`, named by the user (an image, not a folder's entry). A folder fails
 * as reading it would (EISDIR), and a device or a pipe is refused rather than read: /dev/zero has
 * no end, and a FIFO nobody writes to would wait forever. fsReason words both failures.
 */
export async function readInputFile(path: string): Promise<Uint8Array> {
  const info = await stat(path);
  if (info.isDirectory()) throw Object.assign(new Error(`EISDIR: ${path}`), { code: 'EISDIR' });
  if (!info.isFile()) throw new Error('not a regular file');
  return readFile(path);
}

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** A name without its last extension: `a.png` → `a`, `x.tar.png` → `x.tar`, `a` → `a`. */
function stem(name: string): string {
  return name.replace(/\.[^.]*$/, '');
}

/**
 * The output names (without the format's extension) of distinct file names that go to the same
 * output folder: each name without its extension (`a.png` → `a`), except where two names have the
 * same stem in any case (`a.png`, `A.jpg`): those keep their extension (`a.png`, `A.jpg`), and so does a name
 * whose stem is one of the names kept whole (`a.png.jpg`), and so on. Different names always get
 * different outputs, and a name's output depends only on the set of names, not on their order.
 */
export function outputNames(names: readonly string[]): string[] {
  const stems = names.map(stem);
  // stems compared in any case: IMG_1.JPG and img_1.png as IMG_1.png and img_1.png would be one
  // file on the case-insensitive disks of macOS and Windows
  const keys = stems.map((s) => s.toLowerCase());
  const count = new Map<string, number>();
  for (const k of keys) count.set(k, (count.get(k) ?? 0) + 1);
  const whole = new Set<string>();
  const queue: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if (count.get(keys[i])! > 1) {
      whole.add(names[i]);
      queue.push(names[i]);
    }
  }
  if (queue.length > 0) {
    // a name kept whole may equal another name's stem (a.png and a.png.jpg): that one is kept whole too
    const byStem = new Map<string, number[]>();
    for (let i = 0; i < names.length; i++) {
      const list = byStem.get(keys[i]);
      if (list) list.push(i);
      else byStem.set(keys[i], [i]);
    }
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      for (const i of byStem.get(name.toLowerCase()) ?? []) {
        if (!whole.has(names[i])) {
          whole.add(names[i]);
          queue.push(names[i]);
        }
      }
    }
  }
  return names.map((name, i) => (whole.has(name) ? name : stems[i]));
}

/** What one command-line argument names. */
type Source =
  | { kind: 'problem'; index: number; arg: string; error: string }
  | { kind: 'file'; index: number; arg: string; name: string }
  | Tree;

/** A folder or a glob: a walk from a base folder. */
interface Tree {
  kind: 'tree';
  index: number;
  arg: string;
  /** The folder walked; names are relative to it. */
  base: string;
  /** Whether a file (by its name relative to `base`, `/`-separated) is an input. */
  accepts: (name: string) => boolean;
  /** A folder argument (not a glob): its images in formats convlens does not decode are reported. */
  isFolder: boolean;
  /** Folder levels walked: files of `base` are at depth 1. */
  maxDepth: number;
  /** The problem when the walk finds no input. */
  none: string;
}

/** A folder's inputs (sorted) and the subfolders the walk enters (sorted); `error` if it could not be read (to the end). */
interface Listing {
  files: string[];
  dirs: string[];
  /** Images in formats convlens does not decode (folders only: a glob's pattern decides itself). */
  unread: string[];
  /** Entries named as inputs that are no file to read: a dangling link, a FIFO... */
  unusable: { name: string; error: string }[];
  error?: string;
}

/** Files and folders of one folder of a walk, as the walk sees them. */
async function listFolder(source: Tree, dir: string, depth: number, exclude: string[]): Promise<Listing> {
  const files: string[] = [];
  const dirs: string[] = [];
  const unread: string[] = [];
  const unusable: Listing['unusable'] = [];
  const folder = dir ? join(source.base, dir) : source.base;
  let handle: AsyncIterable<Dirent>;
  try {
    handle = await opendir(folder);
  } catch (error) {
    return { files, dirs, unread, unusable, error: fsReason(error) };
  }
  let error: string | undefined;
  try {
    for await (const entry of handle) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      const type = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : await entryType(entry, path);
      const accepted = () => source.accepts(dir ? `${dir}/${entry.name}` : entry.name);
      if (type === 'dir') {
        if (depth < source.maxDepth && !exclude.some((e) => isInside(resolve(path), e))) dirs.push(entry.name);
      } else if (type === 'file') {
        if (accepted()) files.push(entry.name);
        else if (source.isFolder && unreadFormat(entry.name)) unread.push(entry.name);
      } else if (accepted()) {
        unusable.push({ name: entry.name, error: type.problem });
      }
    }
  } catch (failure) {
    error = fsReason(failure); // a folder that cannot be read to the end: what was read, and why not the rest
  }
  files.sort();
  dirs.sort();
  unread.sort();
  unusable.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { files, dirs, unread, unusable, error };
}

/**
 * A folder entry that is neither a folder nor a file as the walk takes it, or why it is no file to
 * read: a link to a file counts as a file (links to folders are not followed, so no cycles); file
 * systems that do not report entry types are asked.
 */
async function entryType(entry: Dirent, path: string): Promise<'dir' | 'file' | { problem: string }> {
  const notFile = { problem: 'not a regular file' };
  try {
    if (entry.isSymbolicLink()) return (await stat(path)).isFile() ? 'file' : notFile;
    if (entry.isBlockDevice() || entry.isCharacterDevice() || entry.isFIFO() || entry.isSocket()) return notFile;
    const info = await lstat(path);
    if (info.isDirectory()) return 'dir';
    if (info.isFile()) return 'file';
    return info.isSymbolicLink() && (await stat(path)).isFile() ? 'file' : notFile;
  } catch (error) {
    return { problem: fsReason(error) }; // a dangling link, a link loop, or gone meanwhile
  }
}

/** Whether a walk of `source` enters `dir` (a `/`-separated path under its base): no hidden, linked, excluded or too deep folder on the way. */
async function reaches(source: Tree, dir: string, exclude: string[]): Promise<boolean> {
  if (!dir) return true;
  const parts = dir.split('/');
  if (parts.length >= source.maxDepth) return false;
  let path = source.base;
  for (const part of parts) {
    if (part.startsWith('.')) return false;
    path = join(path, part);
    try {
      if (!(await lstat(path)).isDirectory()) return false;
    } catch {
      return false;
    }
    if (exclude.some((e) => isInside(resolve(path), e))) return false;
  }
  return true;
}

/** The inputs that go to one output folder: each name's first argument (in command-line order), and each name's output name. */
interface Group {
  owners: Map<string, { index: number; path: string }>;
  outputs: Map<string, string>;
}

/**
 * The inputs named by command-line arguments, streamed: a file is itself; a folder gives its
 * images (recursively); a quoted glob (`'photos/**\/*.jpg'`) gives the files that match it.
 * Problems (a missing path, a glob that matches nothing) come out as `InputProblem`s.
 *
 * Outputs: an input's output is its name with the extension dropped (`sub/a.png` → `sub/a`),
 * except where inputs going to the same output folder share a name without extension: see
 * `outputNames` (`a.png` and `a.jpg` → `a.png`, `a.jpg`). This is decided from the whole folder
 * (and from every argument that puts inputs there), never from what a shard or a `--resume` run
 * does, so every run and every machine gives an input the same output. An input whose name is
 * taken by an earlier argument (`x/a.png y/a.png`, or two folders that both hold `a.png`) would
 * overwrite that one's output: it comes out as a problem naming both; the same file given twice
 * is listed once.
 *
 * Memory: folders are walked one at a time and each one's names are listed (and sorted) before its
 * inputs come out; nothing else is kept, except the names of files given as arguments.
 */
export async function* listInputs(
  args: string[],
  options: { exclude?: string[]; extension?: string } = {},
): AsyncGenerator<InputFile | InputProblem | InputUnread> {
  const exclude = (options.exclude ?? []).map((e) => resolve(e));
  const sources: Source[] = [];
  for (const [index, arg] of args.entries()) sources.push(await sourceOf(arg, index));
  const trees = sources.filter((s) => s.kind === 'tree');
  // the top output folder's group is kept while files named on the command line may need it
  const keepTop = sources.some((s) => s.kind === 'file');
  const groups = new Map<string, Group>();

  /** The group of output folder `dir`, listing `own` (already read) for its own source. */
  const groupOf = async (dir: string, own?: { index: number; files: string[] }): Promise<Group> => {
    const cached = groups.get(dir);
    // (a file that appeared since the group was made is not in it: then it is made again)
    if (cached && (!own || own.files.every((f) => cached.owners.has(f)))) return cached;
    const owners = new Map<string, { index: number; path: string }>();
    const add = (name: string, index: number, path: string) => {
      if (!owners.has(name)) owners.set(name, { index, path });
    };
    const candidates = dir ? trees : sources;
    for (const source of candidates) {
      if (source.kind === 'file') add(source.name, source.index, source.arg);
      if (source.kind !== 'tree') continue;
      const files =
        own?.index === source.index
          ? own.files
          : (await reaches(source, dir, exclude))
            ? (await listFolder(source, dir, Number.POSITIVE_INFINITY, exclude)).files
            : [];
      for (const name of files) add(name, source.index, join(source.base, dir, name));
    }
    const names = [...owners.keys()];
    const outputs = outputNames(names);
    const group: Group = { owners, outputs: new Map(names.map((n, i) => [n, outputs[i]])) };
    // the folder being walked, and the top folder (where files named on the command line go)
    for (const key of groups.keys()) if (!(key === '' && keepTop)) groups.delete(key);
    groups.set(dir, group);
    return group;
  };

  /** The input, nothing (the same file listed earlier), or the problem of an output already taken. */
  const resolveInput = (group: Group, index: number, dir: string, file: string, path: string): InputFile | InputProblem | undefined => {
    const name = dir ? `${dir}/${file}` : file;
    const owner = group.owners.get(file)!;
    const output = dir ? `${dir}/${group.outputs.get(file)!}` : group.outputs.get(file)!;
    if (owner.index === index) return { path, name, output };
    if (resolve(owner.path) === resolve(path)) return undefined;
    const written = `${output}${options.extension ? `.${options.extension}` : ''}`;
    return {
      path,
      name,
      error: `same output as ${owner.path} (${written} in --out): not extracted, so as not to overwrite it (rename one of them, or extract them to separate --out folders)`,
    };
  };

  for (const source of sources) {
    if (source.kind === 'problem') {
      yield { path: source.arg, error: source.error };
    } else if (source.kind === 'file') {
      const item = resolveInput(await groupOf(''), source.index, '', source.name, source.arg);
      if (item) yield item;
    } else {
      let found = false;
      for await (const { dir, files, dirs, unread, unusable, error } of walk(source, exclude)) {
        found ||= files.length > 0 || unusable.length > 0 || error !== undefined;
        for (const file of unread) {
          const name = dir ? `${dir}/${file}` : file;
          yield { path: join(source.base, dir, file), name, format: unreadFormat(file)! };
        }
        for (const { name: file, error: problem } of unusable) {
          yield { path: join(source.base, dir, file), name: dir ? `${dir}/${file}` : file, error: problem };
        }
        // an unreadable subfolder is its own shard's problem (by its name); the argument's own, every shard's
        if (error) yield { path: join(source.base, dir), name: dir || undefined, error: `cannot read this folder: ${error}` };
        const group = await groupOf(dir, { index: source.index, files });
        for (const file of files) {
          const item = resolveInput(group, source.index, dir, file, join(source.base, dir, file));
          if (item && !('error' in item)) yield blockedByFolder(item, dirs, join(source.base, dir), options.extension) ?? item;
          else if (item) yield item;
        }
      }
      if (!found) yield { path: source.arg, error: source.none };
    }
  }
}

/**
 * The problem of an input whose output file would have the name of a subfolder's output folder
 * (`k.jpg` → `k.png` beside `k.png/`): one of the two would fail to be written, whichever came
 * second; the file is refused, always, so every run agrees.
 */
function blockedByFolder(item: InputFile, dirs: string[], folder: string, extension: string | undefined): InputProblem | undefined {
  const written = `${basename(item.output)}${extension ? `.${extension}` : ''}`;
  if (!dirs.includes(written)) return undefined;
  return {
    path: item.path,
    name: item.name,
    error: `its output ${written} would have the name of the output folder of ${join(folder, written)}${sep} (rename one of them)`,
  };
}

/** Folder by folder (each one's inputs, then its subfolders in name order), from the top. */
async function* walk(source: Tree, exclude: string[], dir = '', depth = 1): AsyncGenerator<Listing & { dir: string }> {
  const listing = await listFolder(source, dir, depth, exclude);
  yield { dir, ...listing };
  for (const sub of listing.dirs) yield* walk(source, exclude, dir ? `${dir}/${sub}` : sub, depth + 1);
}

/** What an argument names: a file, a folder, a glob, or nothing. */
async function sourceOf(arg: string, index: number): Promise<Source> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(arg);
  } catch (error) {
    const scan = picomatch.scan(arg);
    if (!scan.isGlob) return { kind: 'problem', index, arg, error: fsReason(error) };
    const isMatch = picomatch(scan.glob, { dot: false });
    return {
      kind: 'tree',
      index,
      arg,
      base: scan.base || '.',
      accepts: isMatch,
      isFolder: false,
      maxDepth: scan.glob.includes('**') ? Number.POSITIVE_INFINITY : scan.glob.split('/').length,
      none: 'no files match this pattern',
    };
  }
  if (info.isDirectory()) {
    return {
      kind: 'tree',
      index,
      arg,
      base: arg,
      accepts: (name) => IMAGE_EXTENSIONS.test(name),
      isFolder: true,
      maxDepth: Number.POSITIVE_INFINITY,
      none: 'no PNG, JPEG, GIF or BMP files in this folder',
    };
  }
  // a device or a pipe (/dev/zero) would be read without end
  if (!info.isFile()) return { kind: 'problem', index, arg, error: 'not a regular file' };
  return { kind: 'file', index, arg, name: basename(arg) };
}

/**
 * The first argument that walks the folder `out` itself (a folder argument, or a glob's base
 * folder), if any: outputs written there would be inputs of the next run. A subfolder of an
 * input folder is fine: walks leave the output folder out.
 */
export async function argumentWalking(out: string, args: string[]): Promise<string | undefined> {
  for (const [index, arg] of args.entries()) {
    const source = await sourceOf(arg, index);
    if (source.kind === 'tree' && resolve(source.base) === out) return arg;
  }
  return undefined;
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

/**
 * Image files named by command-line arguments, for a command that reads each once (predict): a
 * file is itself (tried whatever its extension); a folder gives its images at any depth, by path
 * in sorted order. A folder without images is a problem, named.
 */
export async function* imagePaths(args: string[]): AsyncGenerator<string | InputProblem> {
  for (const arg of args) {
    if (!(await stat(arg).catch(() => undefined))?.isDirectory()) {
      yield arg;
      continue;
    }
    const entries = await readdir(arg, { recursive: true, withFileTypes: true }).catch((error: unknown) => error);
    if (!Array.isArray(entries)) {
      yield { path: arg, error: `cannot read the folder: ${fsReason(entries)}` };
      continue;
    }
    const files = (entries as Dirent[])
      .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    if (files.length === 0) yield { path: arg, error: 'the folder holds no PNG, JPEG, GIF or BMP images' };
    yield* files;
  }
}
