import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type InputFile, type InputProblem, type InputUnread, listInputs, outputNames } from '../../src/cli/inputs.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/** Empty files at these paths (relative to `dir`), folders made as needed. */
function files(dir: string, paths: string[]): void {
  for (const path of paths) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), '');
  }
}

async function list(args: string[], cwd: string, options: { exclude?: string[] } = {}): Promise<Item[]> {
  const items: Item[] = [];
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    for await (const item of listInputs(args, options)) items.push(item);
  } finally {
    process.chdir(previous);
  }
  return items;
}

/** `input → output` for the inputs, `input: error` for the problems. */
type Item = InputFile | InputProblem | InputUnread;

/** `input → output` for the inputs, `input: error` for the problems, `input: not read (FORMAT)` for images left out. */
function show(items: Item[]): string[] {
  return items.map((i) =>
    'error' in i ? `${i.path}: ${i.error}` : 'format' in i ? `${i.path}: not read (${i.format})` : `${i.path} → ${i.output}`,
  );
}

describe('outputNames', () => {
  it('drops the extension unless another name has the same stem', () => {
    expect(outputNames(['a.png', 'b.jpg', 'c.jpeg'])).toEqual(['a', 'b', 'c']);
    expect(outputNames(['a.png', 'a.jpg', 'b.png'])).toEqual(['a.png', 'a.jpg', 'b']);
    expect(outputNames(['a.png', 'a.PNG', 'a'])).toEqual(['a.png', 'a.PNG', 'a']);
    // stems that differ in case alone: IMG_1.png and img_1.png would be one file on macOS and Windows
    expect(outputNames(['IMG_1.JPG', 'img_1.png', 'b.png'])).toEqual(['IMG_1.JPG', 'img_1.png', 'b']);
  });

  it('keeps a further extension when a kept name is another name without its extension', () => {
    // a.png and a.jpg keep theirs (a.png, a.jpg), so a.png.jpg cannot become a.png
    expect(outputNames(['a.png', 'a.jpg', 'a.png.jpg'])).toEqual(['a.png', 'a.jpg', 'a.png.jpg']);
    expect(outputNames(['a.png', 'a.jpg', 'a.png.jpg', 'a.png.jpg.jpeg', 'b.png.jpg'])).toEqual([
      'a.png',
      'a.jpg',
      'a.png.jpg',
      'a.png.jpg.jpeg',
      'b.png',
    ]);
  });

  it('never gives two names the same output, whatever the order', () => {
    const pool = [
      'a',
      'a.png',
      'a.jpg',
      'a.png.jpg',
      'a.jpg.png',
      'a.png.png',
      'b.png',
      'b',
      'a.png.jpg.jpeg',
      '.png',
      'x.tar.png',
      'x.tar',
      'A.jpg',
      'A.PNG.jpg',
      'B.png',
    ];
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let round = 0; round < 300; round++) {
      const names = pool.filter(() => next() < 0.5).sort(() => next() - 0.5);
      const outputs = outputNames(names);
      expect(new Set(outputs).size, names.join(' ')).toBe(names.length);
      // nor two names that differ beyond case outputs that differ only in case (one file on a case-insensitive disk)
      const lower = (list: string[]) => new Set(list.map((n) => n.toLowerCase())).size;
      expect(lower(outputs), names.join(' ')).toBe(lower(names));
      // the same output for the same name in any order
      const reversed = outputNames([...names].reverse()).reverse();
      expect(reversed).toEqual(outputs);
    }
  });
});

describe('listInputs: output names', () => {
  it('a folder: same stems keep their extension, per folder, decided from the whole folder', async () => {
    const dir = tempDir();
    files(dir, ['p/a.png', 'p/a.jpg', 'p/b.png', 'p/sub/a.png', 'p/sub/c.jpeg', 'p/notes.txt', 'p/.hidden/a.png']);
    expect(show(await list(['p'], dir))).toEqual([
      'p/a.jpg → a.jpg',
      'p/a.png → a.png',
      'p/b.png → b',
      'p/sub/a.png → sub/a',
      'p/sub/c.jpeg → sub/c',
    ]);
    // input names (for --shard, titles and the json source) are unchanged
    expect((await list(['p'], dir)).map((i) => ('name' in i ? i.name : ''))).toEqual([
      'a.jpg',
      'a.png',
      'b.png',
      'sub/a.png',
      'sub/c.jpeg',
    ]);
  });

  it('a glob: the rule applies to the files it matches', async () => {
    const dir = tempDir();
    files(dir, ['p/a.png', 'p/a.jpg', 'p/b.png', 'p/b.jpg']);
    expect(show(await list(['p/*.png'], dir))).toEqual(['p/a.png → a', 'p/b.png → b']);
    expect(show(await list(['p/{a.png,a.jpg,b.png}'], dir))).toEqual(['p/a.jpg → a.jpg', 'p/a.png → a.png', 'p/b.png → b']);
  });

  it('files named one by one are named together, like a folder', async () => {
    const dir = tempDir();
    files(dir, ['p/a.png', 'p/a.jpg', 'p/b.png']);
    expect(show(await list(['p/a.png', 'p/b.png', 'p/a.jpg'], dir))).toEqual(['p/a.png → a.png', 'p/b.png → b', 'p/a.jpg → a.jpg']);
  });

  it('the same name from two places: the later argument is a problem naming both; the earlier keeps its name', async () => {
    const dir = tempDir();
    files(dir, ['x/a.png', 'y/a.png', 'y/b.png', 'z/a.png', 'z/sub/b.png', 'w/sub/b.png']);
    const items = await list(['x/a.png', 'y/a.png'], dir);
    expect(show(items)).toEqual(['x/a.png → a', expect.stringMatching(/^y\/a\.png: .*same output .*x\/a\.png/) as unknown as string]);
    // folders, files and globs together: the first argument that has the name keeps it
    expect(show(await list(['y', 'x/a.png', 'z/**/*.png', 'w'], dir))).toEqual([
      'y/a.png → a',
      'y/b.png → b',
      expect.stringMatching(/^x\/a\.png: .*y\/a\.png/) as unknown as string,
      expect.stringMatching(/^z\/a\.png: .*y\/a\.png/) as unknown as string,
      'z/sub/b.png → sub/b',
      expect.stringMatching(/^w\/sub\/b\.png: .*z\/sub\/b\.png/) as unknown as string,
    ]);
    // a problem carries its input's name, so only the shard of that name reports it
    expect(items[1]).toMatchObject({ name: 'a.png' });
  });

  it('an image listed twice is listed once; another file of the same name is not', async () => {
    const dir = tempDir();
    files(dir, ['p/a.png', 'p/b.png']);
    expect(show(await list(['p', 'p/a.png', './p/a.png', 'p'], dir))).toEqual(['p/a.png → a', 'p/b.png → b']);
  });

  it('a symbolic link is another input (its output would overwrite)', async () => {
    const dir = tempDir();
    files(dir, ['p/a.png']);
    mkdirSync(join(dir, 'q'));
    symlinkSync(join(dir, 'p', 'a.png'), join(dir, 'q', 'a.png'));
    expect(show(await list(['p', 'q'], dir))).toEqual([
      'p/a.png → a',
      expect.stringMatching(/^q\/a\.png: .*p\/a\.png/) as unknown as string,
    ]);
  });

  it('another argument only counts where its own walk goes: not into linked, excluded or too deep folders', async () => {
    const dir = tempDir();
    files(dir, ['p/sub/a.png', 'p/deep/er/a.png', 'q/real/a.png', 'q/out/sub/a.png']);
    files(dir, ['r/sub/a.png', 'r/deep/er/a.png', 'r/link/a.png', 'r/out/sub/a.png']);
    symlinkSync(join(dir, 'q', 'real'), join(dir, 'q', 'link'));
    // q's walk does not follow q/link and skips q/out (the --out folder); the glob stops at depth 2
    const items = await list(['q', 'p/*/*.png', 'r'], dir, { exclude: [join(dir, 'q', 'out')] });
    expect(show(items)).toEqual([
      'q/real/a.png → real/a',
      'p/sub/a.png → sub/a',
      'r/deep/er/a.png → deep/er/a',
      'r/link/a.png → link/a',
      'r/out/sub/a.png → out/sub/a',
      expect.stringMatching(/^r\/sub\/a\.png: .*p\/sub\/a\.png/) as unknown as string,
    ]);
  });

  it('images of a folder that are no file to read are reported, as when named: a dangling link, a link loop, a FIFO', async () => {
    const dir = tempDir();
    files(dir, ['p/good.png', 'p/notes.txt']);
    symlinkSync(join(dir, 'p', 'missing.png'), join(dir, 'p', 'dangling.png'));
    symlinkSync(join(dir, 'p', 'loop.png'), join(dir, 'p', 'loop.png'));
    symlinkSync(join(dir, 'p', 'good.png'), join(dir, 'p', 'linked.png'));
    symlinkSync(join(dir, 'p', 'missing.txt'), join(dir, 'p', 'dangling.txt')); // not an image name: not an input
    execFileSync('mkfifo', [join(dir, 'p', 'fifo.png')]);
    const expected = [
      'p/dangling.png: no such file or directory',
      'p/fifo.png: not a regular file',
      'p/loop.png: too many symbolic links',
      'p/good.png → good',
      'p/linked.png → linked',
    ];
    expect(show(await list(['p'], dir))).toEqual(expected);
    expect(show(await list(['p/*.png'], dir))).toEqual(expected);
  });

  it('keeps the old problems: a missing path, an empty folder, a glob that matches nothing', async () => {
    const dir = tempDir();
    files(dir, ['empty/notes.txt']);
    expect(show(await list(['nope.png', 'empty', 'empty/*.png'], dir))).toEqual([
      'nope.png: no such file or directory',
      'empty: no PNG, JPEG, GIF or BMP files in this folder',
      'empty/*.png: no files match this pattern',
    ]);
  });
});

describe('listInputs: an output file that would take a subfolder output folder name', () => {
  it('refuses the file (always the file, so every run agrees); the folder goes on', async () => {
    const dir = tempDir();
    files(dir, ['in/k.jpg', 'in/k.png/inner.png', 'in/other.png']);
    const items: Item[] = [];
    for await (const item of listInputs([join(dir, 'in')], { extension: 'png' })) items.push(item);
    expect(show(items)).toEqual([
      `${join(dir, 'in', 'k.jpg')}: its output k.png would have the name of the output folder of ${join(dir, 'in', 'k.png')}/ (rename one of them)`,
      `${join(dir, 'in', 'other.png')} → other`,
      `${join(dir, 'in', 'k.png', 'inner.png')} → k.png/inner`,
    ]);
    // with another output format there is no clash
    const npy: Item[] = [];
    for await (const item of listInputs([join(dir, 'in')], { extension: 'npy' })) npy.push(item);
    expect(npy.filter((i) => 'error' in i)).toEqual([]);
  });
});

describe('listInputs: images in formats convlens does not read', () => {
  it("a folder's WebP, TIFF, HEIF and AVIF files are named as not read (its GIF and BMP files are inputs); other files and globs' matches are not", async () => {
    const dir = tempDir();
    files(dir, [
      'in/a.png',
      'in/b.GIF',
      'in/c.webp',
      'in/sub/d.bmp',
      'in/sub/e.tif',
      'in/f.heic',
      'in/g.avif',
      'in/notes.txt',
      'in/.h.gif',
    ]);
    expect(show(await list(['in'], dir))).toEqual([
      'in/c.webp: not read (WebP)',
      'in/f.heic: not read (HEIF)',
      'in/g.avif: not read (AVIF)',
      'in/a.png → a',
      'in/b.GIF → b',
      'in/sub/e.tif: not read (TIFF)',
      'in/sub/d.bmp → sub/d',
    ]);
    // a glob's pattern says what it wants: a matching WebP is an input (that will fail to decode, saying why)
    expect(show(await list(['in/*.webp'], dir))).toEqual(['in/c.webp → c']);
    // a folder with no image convlens reads is still reported as such
    files(dir, ['webps/x.webp']);
    expect(show(await list(['webps'], dir))).toEqual([
      'webps/x.webp: not read (WebP)',
      'webps: no PNG, JPEG, GIF or BMP files in this folder',
    ]);
  });
});
