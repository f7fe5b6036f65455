import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { interpolateMagma } from 'd3-scale-chromatic';
import { decode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { SETTINGS_FILE } from '../../src/cli/run_settings.js';
import { image, kernels, tensor, viz } from '../../src/index.js';
import { bmpOfRgb, gif } from '../helpers/image_files.js';
import {
  CLI,
  convlens,
  convlensStdoutClosed,
  IMAGES,
  jsonLines,
  pngSize,
  ROOT,
  removeTempDirs,
  tempDir,
  truncatedJpeg,
} from './helpers.js';

afterAll(removeTempDirs);

const SAMPLES = ['camera.png', 'chelsea.png', 'rocket.jpg'];

/** A folder with the sample images and a truncated JPEG among them. */
/** The files extract wrote in `dir`: its outputs, without the record of their settings. */
const outputsIn = (dir: string) => readdirSync(dir).filter((f) => f !== SETTINGS_FILE);

function inputFolder(): { dir: string; images: string } {
  const dir = tempDir();
  const images = join(dir, 'images');
  mkdirSync(images);
  for (const f of SAMPLES) copyFileSync(join(IMAGES, f), join(images, f));
  writeFileSync(join(images, 'broken.jpg'), readFileSync(truncatedJpeg(dir)));
  writeFileSync(join(images, 'notes.txt'), 'not an image');
  return { dir, images };
}

/** '#rrggbb' (how d3's colormaps give colours) as 'r,g,b'. */
const hexToRgb = (css: string) => [1, 3, 5].map((i) => Number.parseInt(css.slice(i, i + 2), 16)).join(',');

describe('convlens extract', { timeout: 180_000 }, () => {
  it('writes a feature map per good image, reports the truncated JPEG with its reason, exits 1', () => {
    const { dir } = inputFolder();
    const run = convlens(['extract', 'images', '--kernel', 'edge', '--out', 'features', '--jobs', '2'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/convlens: images\/broken\.jpg: decode(Image|Jpeg): .*(truncated|corrupt|end)/i);
    expect(run.stderr).toMatch(/4 inputs: 3 written, 1 failed/);
    const written = run.stdout.trim().split('\n').sort();
    expect(written.map((p) => p.replace(/^.*[\\/]/, ''))).toEqual(['camera.png', 'chelsea.png', 'rocket.png']);
    // valid 3×3 conv then 2×2 max pool, stride 2, same: 512 → 510 → 255
    expect(pngSize(join(dir, 'features', 'camera.png'))).toEqual([255, 255]);
    expect(pngSize(join(dir, 'features', 'chelsea.png'))).toEqual([225, 149]);
    expect(pngSize(join(dir, 'features', 'rocket.png'))).toEqual([319, 213]);
    // an indexed-colour PNG whose palette is the colormap (magma by default, as d3 gives it)
    const png = decode(readFileSync(join(dir, 'features', 'camera.png')));
    expect([png.width, png.height, png.channels]).toEqual([255, 255, 1]);
    expect(png.palette!.map((rgb) => rgb.join(','))).toEqual(Array.from({ length: 256 }, (_, i) => hexToRgb(interpolateMagma(i / 255))));
    // no temporary files left behind
    expect(outputsIn(join(dir, 'features')).sort()).toEqual(['camera.png', 'chelsea.png', 'rocket.png']);
    // the run's stderr has no progress bar: it is not a terminal
    expect(run.stderr).not.toMatch(/\r|ETA/);
  });

  it("png pixels are the library's feature map on the colour scale: default settings, a gamma, and a stage", () => {
    const dir = tempDir();
    const settings: { args: string[]; stage: 'detect' | 'condense'; gamma: number }[] = [
      { args: [], stage: 'condense', gamma: 1 },
      { args: ['--gamma', '0.5', '--stage', 'detect'], stage: 'detect', gamma: 0.5 },
    ];
    for (const [n, { args, stage, gamma }] of settings.entries()) {
      const out = `o${n}`;
      const run = convlens(['extract', join(IMAGES, 'camera.png'), join(IMAGES, 'rocket.jpg'), '--kernel', 'edge', '--out', out, ...args], {
        cwd: dir,
      });
      expect(run.code, run.stderr).toBe(0);
      for (const [file, output] of [
        ['camera.png', 'camera.png'],
        ['rocket.jpg', 'rocket.png'],
      ]) {
        // the library's map with the command's defaults (valid conv, relu, 2×2 max pool, same)
        const img = image.convertImageDtype(image.decodeImage(readFileSync(join(IMAGES, file)), { channels: 1 }), 'float32');
        const result = viz.extractFeature(img, kernels.get('edge'), {
          convPadding: 'valid',
          poolSize: 2,
          poolStride: 2,
          poolPadding: 'same',
        });
        // adjust_gamma's float32 map, then matplotlib's rule written out: min(255, floor((v − min) / (max − min) · 256))
        const values = Array.from(result[stage]!.data, (v) => Math.fround(Math.sign(v) * Math.abs(v) ** gamma));
        const lo = values.reduce((a, b) => Math.min(a, b));
        const hi = values.reduce((a, b) => Math.max(a, b));
        const expected = values.map((v) => Math.min(255, Math.floor(((v - lo) / (hi - lo)) * 256)));
        const png = decode(readFileSync(join(dir, out, output)));
        expect(png.channels).toBe(1);
        expect(png.width * png.height).toBe(expected.length);
        const mismatches = expected.filter((e, i) => png.data[i] !== e).length;
        expect(mismatches, `${file} ${args.join(' ')}`).toBe(0);
      }
    }
  });

  it('extracts GIF (first frame) and BMP inputs among PNGs: the same maps as from the same pixels in PNG', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in'));
    copyFileSync(join(IMAGES, 'camera.png'), join(dir, 'in', 'camera.png'));
    // 24×20 images of known pixels, each also written as a PNG to compare with
    const [height, width] = [20, 24];
    const indices = Array.from({ length: height * width }, (_, i) => (((i % width) >> 2) % 4) ^ ((i / width / 5) & 3));
    const palette = [0x000000, 0xff8000, 0x3060c0, 0xffffff];
    const frames = [
      { width, height, pixels: indices },
      { width, height, pixels: indices.map(() => 0) },
    ];
    const rgb = Uint8Array.from(indices.flatMap((i) => [palette[i] >> 16, (palette[i] >> 8) & 255, palette[i] & 255]));
    const asPng = (pixels: Uint8Array) => image.encodePng(tensor(pixels, [height, width, 3], 'uint8'));
    writeFileSync(join(dir, 'in', 'anim.gif'), gif([height, width], frames, palette));
    writeFileSync(join(dir, 'in', 'anim-frame0.png'), asPng(rgb));
    const noise = Uint8Array.from({ length: height * width * 3 }, (_, i) => (i * 37) % 251);
    writeFileSync(join(dir, 'in', 'scan.BMP'), bmpOfRgb(noise, height, width));
    writeFileSync(join(dir, 'in', 'scan-same.png'), asPng(noise));
    const run = convlens(['extract', 'in', '--kernel', 'edge', '--out', 'o'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/extract: 5 inputs: 5 written/);
    expect(run.stderr).not.toContain('left out');
    expect(outputsIn(join(dir, 'o')).sort()).toEqual(['anim-frame0.png', 'anim.png', 'camera.png', 'scan-same.png', 'scan.png']);
    expect(readFileSync(join(dir, 'o', 'anim.png')).equals(readFileSync(join(dir, 'o', 'anim-frame0.png')))).toBe(true);
    expect(readFileSync(join(dir, 'o', 'scan.png')).equals(readFileSync(join(dir, 'o', 'scan-same.png')))).toBe(true);
  });

  it('extracts CMYK and YCCK JPEGs, which TensorFlow does not decode to gray, from rgbToGrayscale of their RGB', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in'));
    for (const name of ['cmyk', 'ycck']) {
      const bytes = readFileSync(join(ROOT, 'test', 'fixtures', 'jpeg-suite', `${name}.jpg`));
      writeFileSync(join(dir, 'in', `${name}.jpg`), bytes);
      writeFileSync(join(dir, 'in', `${name}-gray.png`), image.encodePng(image.rgbToGrayscale(image.decodeImage(bytes, { channels: 3 }))));
    }
    const run = convlens(['extract', 'in', '--kernel', 'edge', '--padding', 'same', '--out', 'o'], { cwd: dir });
    expect([run.code, run.stderr]).toEqual([0, expect.stringMatching(/extract: 4 inputs: 4 written/)]);
    for (const name of ['cmyk', 'ycck']) {
      expect(readFileSync(join(dir, 'o', `${name}.png`)).equals(readFileSync(join(dir, 'o', `${name}-gray.png`))), name).toBe(true);
    }
  });

  it('says which images of a folder it left out for their format (WebP, TIFF...), in its summary, --json and the report; exit 0', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in'));
    copyFileSync(join(IMAGES, 'camera.png'), join(dir, 'in', 'camera.png'));
    writeFileSync(join(dir, 'in', 'scan.tiff'), 'II*');
    writeFileSync(join(dir, 'in', 'photo.webp'), 'RIFF');
    const run = convlens(['extract', 'in', '--kernel', 'edge', '--out', 'o'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      `extract: left out 2 images in formats convlens does not read (WebP, TIFF; it reads PNG, JPEG, GIF and BMP): ${join('in', 'photo.webp')} and 1 more`,
    );
    expect(run.stderr).toMatch(/extract: 1 input: 1 written/);
    const json = jsonLines(convlens(['extract', 'in', '--kernel', 'edge', '--out', 'o2', '--json'], { cwd: dir }).stdout);
    expect(json.filter((l) => l.status === 'ignored')).toEqual([
      { input: join('in', 'photo.webp'), status: 'ignored', reason: 'WebP images are not read (PNG, JPEG, GIF and BMP are)' },
      { input: join('in', 'scan.tiff'), status: 'ignored', reason: 'TIFF images are not read (PNG, JPEG, GIF and BMP are)' },
    ]);
    expect(json.at(-1)?.summary).toMatchObject({ found: 1, written: 1, failed: 0, ignored: 2 });
    // and in the report, which is the run's record
    expect(convlens(['extract', 'in', '--kernel', 'edge', '--out', 'o3', '--report'], { cwd: dir }).code).toBe(0);
    const page = readFileSync(join(dir, 'o3', 'report.html'), 'utf8');
    expect(page).toContain('Left out for their format');
    expect(page).toContain(`<td>${join('in', 'photo.webp')}</td><td>WebP images are not read (PNG, JPEG, GIF and BMP are)</td>`);
  });

  it('all good inputs exit 0; files named explicitly and missing ones', () => {
    const dir = tempDir();
    const ok = convlens(
      ['extract', join(IMAGES, 'camera.png'), '--kernel', 'sharpen', '--out', dir, '--pool', 'none', '--padding', 'same'],
      { cwd: dir },
    );
    expect(ok.code).toBe(0);
    expect(pngSize(join(dir, 'camera.png'))).toEqual([512, 512]);
    // choices in any case, as the API takes padding 'SAME' or 'same'
    const upper = convlens(
      [
        'extract',
        join(IMAGES, 'camera.png'),
        '--kernel',
        'sharpen',
        '--out',
        join(dir, 'u'),
        '--pool',
        'none',
        '--padding',
        'SAME',
        '--format',
        'PNG',
      ],
      { cwd: dir },
    );
    expect(upper.code, upper.stderr).toBe(0);
    expect(readFileSync(join(dir, 'u', 'camera.png'))).toEqual(readFileSync(join(dir, 'camera.png')));
    const missing = convlens(['extract', 'nope.png', join(IMAGES, 'camera.png'), '--kernel', 'edge', '--out', join(dir, 'b')], {
      cwd: dir,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('convlens: nope.png: no such file or directory');
    expect(existsSync(join(dir, 'b', 'camera.png'))).toBe(true);
  });

  it('--json: one object per input, then a summary', () => {
    const { dir } = inputFolder();
    const run = convlens(['extract', 'images', '-k', '[[1,-1],[1,-1]]', '-o', 'out', '--json', '--resize', '100x80'], { cwd: dir });
    expect(run.code).toBe(1);
    const lines = jsonLines(run.stdout);
    const summary = lines.pop()!.summary as Record<string, number>;
    expect(summary).toMatchObject({ found: 4, written: 3, skipped: 0, failed: 1 });
    expect(summary.maxRssMB).toBeGreaterThan(0);
    const byStatus = (s: string) => lines.filter((l) => l.status === s);
    expect(byStatus('written')).toHaveLength(3);
    // 100×80 → valid 2×2 conv 99×79 → pool 50×40
    for (const l of byStatus('written')) expect(l.shape).toEqual([50, 40]);
    expect(byStatus('failed')[0]).toMatchObject({ input: 'images/broken.jpg' });
    expect(String(byStatus('failed')[0].error)).toMatch(/decode(Image|Jpeg): .*truncated/);
  });

  it('--resume skips complete outputs and redoes stale ones', () => {
    const { dir } = inputFolder();
    const args = ['extract', 'images', '--kernel', 'edge', '--out', 'out', '--json'];
    convlens(args, { cwd: dir });
    const again = jsonLines(convlens([...args, '--resume'], { cwd: dir }).stdout);
    expect(again.filter((l) => l.status === 'skipped')).toHaveLength(3);
    expect(again.filter((l) => l.status === 'written')).toHaveLength(0);
    // a run with nothing to do says so, without a pace or a number of jobs
    const quiet = convlens(['extract', 'images/camera.png', 'images/chelsea.png', '--kernel', 'edge', '--out', 'out', '--resume'], {
      cwd: dir,
    });
    expect(quiet.stderr).toBe(`extract: 2 inputs: 0 written, 2 skipped (up to date) → ${join(dir, 'out')}\n`);
    // an input changed after its output was written is done again
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'images', 'camera.png'), future, future);
    const third = jsonLines(convlens([...args, '--resume'], { cwd: dir }).stdout);
    expect(third.filter((l) => l.status === 'written').map((l) => l.input)).toEqual(['images/camera.png']);
    expect(statSync(join(dir, 'out', 'camera.png')).size).toBeGreaterThan(0);
  });

  it('--resume skips only outputs made with the same settings: other settings are refused, and outputs older than a change are redone', () => {
    const { dir } = inputFolder();
    const args = ['extract', 'images', '--out', 'out', '--json'];
    expect(convlens([...args, '--kernel', 'edge'], { cwd: dir }).code).toBe(1); // its truncated JPEG fails
    // outputs of the edge kernel are not complete outputs of the blur kernel
    const other = convlens([...args, '--kernel', 'blur', '--resume'], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toBe(
      `convlens: --resume: the outputs in ${join(dir, 'out')} were made with other settings (kernel edge → blur); run without --resume to remake them, or choose another --out\n`,
    );
    const stride = convlens([...args, '--kernel', 'edge', '--stride', '2', '--pool', 'none', '--resume'], { cwd: dir });
    expect(stride.stderr).toContain('(stride 1 → 2; pool 2 → 0; stage "condense" → "detect")');
    // a run with blur that stops after one image: the edge outputs left are redone by --resume
    const first = convlens(['extract', 'images/camera.png', '--out', 'out', '--kernel', 'blur'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const resumed = jsonLines(convlens([...args, '--kernel', 'blur', '--resume'], { cwd: dir }).stdout);
    expect(resumed.filter((l) => l.status === 'skipped').map((l) => l.input)).toEqual(['images/camera.png']);
    expect(resumed.filter((l) => l.status === 'written')).toHaveLength(2);
    // a folder without a record (an older convlens): a plain run records its settings from then on
    rmSync(join(dir, 'out', SETTINGS_FILE));
    expect(convlens(['extract', 'images/camera.png', '--out', 'out', '--kernel', 'edge'], { cwd: dir }).code).toBe(0);
    const after = jsonLines(convlens([...args, '--kernel', 'edge', '--resume'], { cwd: dir }).stdout);
    expect(after.filter((l) => l.status === 'skipped').map((l) => l.input)).toEqual(['images/camera.png']);
    expect(after.filter((l) => l.status === 'written')).toHaveLength(2);
    // a record that cannot be read is not taken for no record
    writeFileSync(join(dir, 'out', SETTINGS_FILE), '{"format": "png", "kern');
    const torn = convlens([...args, '--kernel', 'blur', '--resume'], { cwd: dir });
    expect([torn.code, torn.stderr]).toEqual([
      2,
      `convlens: --resume: the record of the settings of the outputs in ${join(dir, 'out')} (${SETTINGS_FILE}) cannot be read; run without --resume to remake them\n`,
    ]);
    expect(convlens([...args, '--kernel', 'blur'], { cwd: dir }).code).toBe(1);
    // a run that writes nothing (its one input is missing) leaves the record as it was
    expect(convlens(['extract', 'nothere.png', '--out', 'out', '--kernel', 'edge'], { cwd: dir }).code).toBe(1);
    // the same settings again: everything is up to date; the colormap does not matter to numbers
    const again = jsonLines(convlens([...args, '--kernel', 'blur', '--resume'], { cwd: dir }).stdout);
    expect(again.filter((l) => l.status === 'written')).toHaveLength(0);
    convlens(['extract', 'images', '--out', 'npy', '--format', 'npy', '--kernel', 'edge'], { cwd: dir });
    expect(
      convlens(['extract', 'images', '--out', 'npy', '--format', 'npy', '--kernel', 'edge', '--cmap', 'gray', '--resume'], { cwd: dir })
        .stderr,
    ).not.toContain('other settings');
  });

  it('--shard i/n splits the inputs into disjoint parts that cover them all', () => {
    const dir = tempDir();
    for (let i = 0; i < 12; i++) {
      const f = SAMPLES[i % 2];
      copyFileSync(join(IMAGES, f), join(dir, `img-${i}-${f}`));
    }
    const parts = [1, 2, 3].map((i) => {
      const run = convlens(['extract', '*.png', '--kernel', 'blur', '--out', `out-${i}`, '--shard', `${i}/3`, '--json', '--pool', '4'], {
        cwd: dir,
      });
      expect(run.code).toBe(0);
      return jsonLines(run.stdout)
        .filter((l) => l.status === 'written')
        .map((l) => String(l.input));
    });
    const all = parts.flat().sort();
    expect(all).toHaveLength(12);
    expect(new Set(all).size).toBe(12);
    expect(parts.every((p) => p.length > 0)).toBe(true);
  });

  it('an image smaller than the kernel under valid padding fails, pointing to --padding same, which extracts it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tiny.png'), image.encodePng(tensor(new Uint8Array([128, 128]), [1, 2, 1], 'uint8')));
    const run = convlens(['extract', 'tiny.png', '--kernel', 'edge', '--out', 'out'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'tiny.png: conv2d: window height 3 is larger than the input height 1 under VALID padding (--padding same allows it)',
    );
    expect(convlens(['extract', 'tiny.png', '--kernel', 'edge', '--out', 'out', '--padding', 'same'], { cwd: dir }).code).toBe(0);
  });

  it('json writes float32 overflow as "Infinity" and "-Infinity" (JSON has no such numbers), in the file and in --json', () => {
    const dir = tempDir();
    // 3e38 × four bright pixels is beyond float32's largest value; on the black border the sum stays finite
    const common = ['extract', join(IMAGES, 'camera.png'), '--format', 'json', '--pool', 'none', '--stage', 'filter', '--json'];
    const run = convlens([...common, '--kernel', '[[3e38,3e38],[3e38,3e38]]', '--out', 'inf'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const line = JSON.parse(run.stdout.split('\n')[0]);
    expect(line.max).toBe('Infinity');
    const doc = JSON.parse(readFileSync(join(dir, 'inf', 'camera.json'), 'utf8'));
    expect(doc.max).toBe('Infinity');
    const values = doc.data.flat();
    expect(values).toContain('Infinity');
    expect(values.every((v: unknown) => v === 'Infinity' || (typeof v === 'number' && v >= 0))).toBe(true);
    const negative = convlens([...common, '--kernel', '[[-3e38,-3e38],[-3e38,-3e38]]', '--out', 'negative'], { cwd: dir });
    expect(negative.code, negative.stderr).toBe(0);
    expect(JSON.parse(negative.stdout.split('\n')[0]).min).toBe('-Infinity');
    expect(JSON.parse(readFileSync(join(dir, 'negative', 'camera.json'), 'utf8')).data.flat()).toContain('-Infinity');
  });

  it('writes json, npy, svg and html outputs, and a report', () => {
    const dir = tempDir();
    const input = join(IMAGES, 'chelsea.png');
    for (const format of ['json', 'npy', 'svg', 'html']) {
      const run = convlens(['extract', input, '--kernel', 'bottom_sobel', '--format', format, '--out', format, '--report'], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
      expect(existsSync(join(dir, format, 'report.html'))).toBe(true);
      expect(run.stderr).toContain(`report: ${join(dir, format, 'report.html')}`);
    }
    // --json names the report in its summary, as it names every output
    const json = convlens(['extract', input, '--kernel', 'edge', '--out', 'j', '--report', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout.trim().split('\n').at(-1)!).summary.report).toBe(join(dir, 'j', 'report.html'));
    const doc = JSON.parse(readFileSync(join(dir, 'json', 'chelsea.json'), 'utf8'));
    expect(doc).toMatchObject({
      source: 'chelsea.png',
      stage: 'condense',
      channels: 1,
      resize: null,
      shape: [149, 225],
      kernel: { name: 'bottomSobel' },
    });
    expect(doc.data).toHaveLength(149);
    // how the map was made is in the file: channels and resize too
    const rgb = convlens(
      ['extract', input, '--kernel', 'edge', '--format', 'json', '--channels', '3', '--resize', '50x60', '--out', 'rgb'],
      { cwd: dir },
    );
    expect(rgb.code, rgb.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'rgb', 'chelsea.json'), 'utf8'))).toMatchObject({
      channels: 3,
      resize: [50, 60],
      shape: [24, 29],
    });
    expect(doc.data[0]).toHaveLength(225);
    const npy = readFileSync(join(dir, 'npy', 'chelsea.npy'));
    expect(npy.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    const headerLength = npy.readUInt16LE(8);
    expect(npy.subarray(10, 10 + headerLength).toString('latin1')).toContain("'descr': '<f4', 'fortran_order': False, 'shape': (149, 225)");
    expect(npy.length).toBe(10 + headerLength + 149 * 225 * 4);
    expect(npy.readFloatLE(10 + headerLength)).toBeCloseTo(doc.data[0][0], 6);
    const svg = readFileSync(join(dir, 'svg', 'chelsea.svg'), 'utf8');
    for (const t of ['Input', 'Filter', 'Detect', 'Condense', 'chelsea.png · Bottom Sobel']) expect(svg).toContain(`>${t}</text>`);
    const html = readFileSync(join(dir, 'html', 'chelsea.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    const report = readFileSync(join(dir, 'html', 'report.html'), 'utf8');
    expect(report).toContain('convlens extract: Bottom Sobel');
    expect(report).not.toMatch(/(src|href)="https?:/);
  });

  it('takes a kernel from a JSON file and RGB input with --channels 3', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'k.json'),
      JSON.stringify({
        kernel: [
          [0, 1, 0],
          [1, -4, 1],
          [0, 1, 0],
        ],
      }),
    );
    const run = convlens(
      ['extract', join(IMAGES, 'chelsea.png'), '--kernel', 'k.json', '--channels', '3', '--out', 'o', '--json', '--stride', '2'],
      { cwd: dir },
    );
    expect(run.code, run.stderr).toBe(0);
    // stride 2 valid: (300-3)/2+1 = 149 rows, (451-3)/2+1 = 225 cols; pool 2 same: 75×113
    expect(jsonLines(run.stdout)[0].shape).toEqual([75, 113]);
  });

  it('never reads its own outputs when --out is inside the input folder', () => {
    const { dir } = inputFolder();
    const run = convlens(['extract', 'images', '--kernel', 'edge', '--out', 'images/features', '--json'], { cwd: dir });
    const first = jsonLines(run.stdout).pop()!.summary as Record<string, number>;
    expect(first.found).toBe(4);
    const second = jsonLines(
      convlens(['extract', 'images', '--kernel', 'edge', '--out', 'images/features', '--json'], { cwd: dir }).stdout,
    ).pop()!.summary as Record<string, number>;
    expect(second.found).toBe(4);
  });

  it('a CONVLENS_BACKEND naming no backend is said once, not once per worker thread, and the images are extracted', () => {
    const { dir } = inputFolder();
    const run = convlens(['extract', 'images', '--kernel', 'edge', '--out', 'out', '--jobs', '3'], {
      cwd: dir,
      env: { CONVLENS_BACKEND: 'webgl' },
    });
    expect(run.code, run.stderr).toBe(1); // the truncated JPEG among the good images
    expect(run.stderr.match(/CONVLENS_BACKEND=webgl is not a backend \(js or wasm\)/g)).toHaveLength(1);
    expect(readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.png'))).toHaveLength(3);
  });
});

describe('convlens extract: no output is overwritten by another input of the run', { timeout: 180_000 }, () => {
  /** A folder holding a.png (camera, 512×512), a.jpg (rocket, 427×640) and b.png (chelsea, 451×300). */
  function sameStems(): { dir: string; images: string } {
    const dir = tempDir();
    const images = join(dir, 'images');
    mkdirSync(images);
    copyFileSync(join(IMAGES, 'camera.png'), join(images, 'a.png'));
    copyFileSync(join(IMAGES, 'rocket.jpg'), join(images, 'a.jpg'));
    copyFileSync(join(IMAGES, 'chelsea.png'), join(images, 'b.png'));
    return { dir, images };
  }

  it('images of one folder with the same name but another extension keep their extension: a.png → a.png.png, a.jpg → a.jpg.png', () => {
    const { dir } = sameStems();
    const run = convlens(['extract', 'images', '--kernel', 'edge', '--out', 'out', '--jobs', '2'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/3 inputs: 3 written/);
    expect(outputsIn(join(dir, 'out')).sort()).toEqual(['a.jpg.png', 'a.png.png', 'b.png']);
    // each output is its own input's map: valid 3×3 conv then 2×2 pool
    expect(pngSize(join(dir, 'out', 'a.png.png'))).toEqual([255, 255]);
    expect(pngSize(join(dir, 'out', 'a.jpg.png'))).toEqual([319, 213]);
    expect(pngSize(join(dir, 'out', 'b.png'))).toEqual([225, 149]);
    // the same rule for every format, and the same names when the files are named one by one (as a shell glob does)
    const json = convlens(['extract', 'images/a.jpg', 'images/a.png', 'images/b.png', '-k', 'edge', '-o', 'json', '-f', 'json'], {
      cwd: dir,
    });
    expect(json.code, json.stderr).toBe(0);
    expect(outputsIn(join(dir, 'json')).sort()).toEqual(['a.jpg.json', 'a.png.json', 'b.json']);
    expect(JSON.parse(readFileSync(join(dir, 'json', 'a.jpg.json'), 'utf8'))).toMatchObject({ source: 'a.jpg', shape: [213, 319] });
    expect(JSON.parse(readFileSync(join(dir, 'json', 'a.png.json'), 'utf8'))).toMatchObject({ source: 'a.png', shape: [255, 255] });
  });

  it('files named explicitly with the same name from two folders: the later one fails, naming both, and the first is kept', () => {
    const dir = tempDir();
    for (const [sub, sample] of [
      ['x', 'camera.png'],
      ['y', 'chelsea.png'],
    ]) {
      mkdirSync(join(dir, sub));
      copyFileSync(join(IMAGES, sample), join(dir, sub, 'a.png'));
    }
    const run = convlens(['extract', 'x/a.png', 'y/a.png', '--kernel', 'edge', '--out', 'out'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/convlens: y\/a\.png: .*x\/a\.png/);
    expect(run.stderr).toMatch(/2 inputs: 1 written, 1 failed/);
    expect(outputsIn(join(dir, 'out'))).toEqual(['a.png']);
    expect(pngSize(join(dir, 'out', 'a.png'))).toEqual([255, 255]);
    // folders given together whose images share a relative path: the same
    const folders = convlens(['extract', 'x', 'y', '--kernel', 'edge', '--out', 'out2', '--json'], { cwd: dir });
    expect(folders.code).toBe(1);
    const lines = jsonLines(folders.stdout);
    expect(lines.filter((l) => l.status === 'written').map((l) => l.input)).toEqual(['x/a.png']);
    const failed = lines.filter((l) => l.status === 'failed');
    expect(failed.map((l) => l.input)).toEqual(['y/a.png']);
    expect(String(failed[0].error)).toContain('x/a.png');
    expect(pngSize(join(dir, 'out2', 'a.png'))).toEqual([255, 255]);
    // each shard agrees: the failure is reported once, by the shard of its name
    const shards = [1, 2].map((i) =>
      jsonLines(convlens(['extract', 'x', 'y', '-k', 'edge', '-o', `s${i}`, '--json', '--shard', `${i}/2`], { cwd: dir }).stdout),
    );
    const summaries = shards.map((lines) => lines.pop()!.summary as Record<string, number>);
    expect(summaries.reduce((n, s) => n + s.written, 0)).toBe(1);
    expect(summaries.reduce((n, s) => n + s.failed, 0)).toBe(1);
  });

  it('an image given twice (a folder and a file in it) is done once', () => {
    const { dir } = sameStems();
    const run = convlens(['extract', 'images', 'images/b.png', '--kernel', 'edge', '--out', 'out', '--json'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(jsonLines(run.stdout).pop()!.summary).toMatchObject({ found: 3, written: 3, failed: 0 });
  });

  it('--resume skips complete outputs under the new names and redoes only the changed input', () => {
    const { dir } = sameStems();
    const args = ['extract', 'images', '--kernel', 'edge', '--out', 'out', '--json'];
    expect(convlens(args, { cwd: dir }).code).toBe(0);
    const again = jsonLines(convlens([...args, '--resume'], { cwd: dir }).stdout);
    const skipped = again.filter((l) => l.status === 'skipped');
    expect(skipped.map((l) => String(l.output).replace(/^.*[\\/]/, '')).sort()).toEqual(['a.jpg.png', 'a.png.png', 'b.png']);
    expect(again.filter((l) => l.status === 'written')).toHaveLength(0);
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'images', 'a.jpg'), future, future);
    const third = jsonLines(convlens([...args, '--resume'], { cwd: dir }).stdout);
    expect(third.filter((l) => l.status === 'written').map((l) => [l.input, String(l.output).replace(/^.*[\\/]/, '')])).toEqual([
      ['images/a.jpg', 'a.jpg.png'],
    ]);
  });
});

describe('convlens extract: usage errors exit 2 before any work', { timeout: 180_000 }, () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown preset', ['--kernel', 'nope'], /is not a preset \(expected one of edge, blur, bottomSobel/],
    ['a misspelt preset', ['--kernel', 'bottom_sobl'], /kernel "bottom_sobl" is not a preset \(did you mean 'bottomSobel'\?\)/],
    ['a misspelt colormap', ['--kernel', 'edge', '--cmap', 'magam'], /unknown colormap "magam" \(did you mean 'magma'\?\)/],
    ['a ragged kernel', ['--kernel', '[[1,2],[3]]'], /not a kernel/],
    ['a bad shard', ['--kernel', 'edge', '--shard', '3/2'], /--shard must be i\/n/],
    ['zero jobs', ['--kernel', 'edge', '--jobs', '0'], /--jobs must be a positive integer/],
    ['a bad resize', ['--kernel', 'edge', '--resize', 'big'], /--resize must be HEIGHTxWIDTH/],
    ['an unknown format', ['--kernel', 'edge', '--format', 'gif'], /Allowed choices are png, svg, html, json, npy/],
    [
      'an unknown colormap (named by its option, as in the other commands)',
      ['--kernel', 'edge', '--cmap', 'rainbowz'],
      /--cmap: colormap: unknown colormap "rainbowz"/,
    ],
    ['an unknown option', ['--kernel', 'edge', '--frobnicate'], /unknown option '--frobnicate'/],
    ['no kernel', [], /required option '-k, --kernel <kernel>' not specified/],
    ['a misspelt --kernel, named as itself', ['--kernal', 'edge'], /unknown option '--kernal' \(did you mean --kernel\?\)/],
    ['condense without pooling', ['--kernel', 'edge', '--pool', 'none', '--stage', 'condense'], /--stage condense needs pooling/],
  ];
  it('a misspelt --out, named as itself, and no --out at all', () => {
    const misspelt = convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', 'edge', '--ouy', 'x']);
    expect(misspelt.code).toBe(2);
    expect(misspelt.stderr).toMatch(/unknown option '--ouy' \(did you mean --out\?\)/);
    const missing = convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', 'edge']);
    expect(missing.code).toBe(2);
    // worded as commander's own usage errors (a missing argument, say)
    expect(missing.stderr).toBe("convlens: required option '-o, --out <dir>' not specified (add --help for usage and examples)\n");
    expect(convlens(['extract', '--kernel', 'edge', '--out', 'x']).stderr).toBe(
      "convlens: missing required argument 'inputs' (add --help for usage and examples)\n",
    );
  });
  for (const [what, extra, message] of cases) {
    it(what, () => {
      const dir = tempDir();
      const run = convlens(['extract', join(IMAGES, 'camera.png'), '--out', 'out', ...extra], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
      expect(existsSync(join(dir, 'out', 'camera.png'))).toBe(false);
    });
  }

  it('an unwritable --out', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    const run = convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', 'edge', '--out', join(dir, 'file', 'sub')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot write to --out .*file\/sub: not a folder/);
  });

  // Node's mkdir -p never returns for a path under /proc (it keeps retrying): this must fail, not hang
  it.runIf(existsSync('/proc/self'))('an --out under /proc', () => {
    const run = convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', 'edge', '--out', '/proc/convlens-test/out']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot write to --out \/proc\/convlens-test\/out: /);
  });

  it('no inputs at all', () => {
    expect(convlens(['extract', '--kernel', 'edge', '--out', tempDir()]).code).toBe(2);
  });
});

describe('convlens extract on a terminal', { timeout: 180_000 }, () => {
  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasScript)('draws a progress bar with rate and ETA on stderr (run under a pseudo-terminal by script(1))', () => {
    // enough work to outlast the bar's first redraw (125 ms): small images are done before it
    const dir = tempDir();
    for (let i = 0; i < 24; i++) copyFileSync(join(IMAGES, 'chelsea.png'), join(dir, `c${i}.png`));
    // a failure near the end, and one first: each is reported above the bar, none lost when it is cleared
    writeFileSync(join(dir, 'a-broken.jpg'), readFileSync(truncatedJpeg(tempDir())));
    writeFileSync(join(dir, 'z-broken.jpg'), readFileSync(truncatedJpeg(tempDir())));
    const command = `CI= NO_COLOR= '${process.execPath}' '${CLI}' extract '${dir}' --kernel edge --resize 1024x1024 --out '${join(dir, 'out')}' --jobs 1 > /dev/null`;
    const run = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/extract \[.*\] \d+\/26 \| [\d.]+ img\/s \| ETA/);
    expect(run.stdout).toMatch(/a-broken\.jpg: decode/);
    expect(run.stdout).toMatch(/z-broken\.jpg: decode/);
    expect(run.stdout).toContain('26 inputs: 24 written, 2 failed');
  });
});

describe('convlens extract on a dumb terminal', { timeout: 180_000 }, () => {
  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasScript)('draws no progress bar when TERM=dumb (it cannot move the cursor back to redraw one)', () => {
    const dir = tempDir();
    for (let i = 0; i < 24; i++) copyFileSync(join(IMAGES, 'chelsea.png'), join(dir, `c${i}.png`));
    const command = `CI= TERM=dumb '${process.execPath}' '${CLI}' extract '${dir}' --kernel edge --resize 1024x1024 --out '${join(dir, 'out')}' --jobs 1 > /dev/null`;
    const run = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('24 inputs: 24 written');
    expect(run.stdout).not.toMatch(/extract \[/);
    expect(run.stdout).not.toContain('\x1b[');
  });
});

describe('convlens extract when stdout is lost', { timeout: 180_000 }, () => {
  /** A folder of `n` small images. */
  function many(n: number): string {
    const dir = tempDir();
    for (let i = 0; i < n; i++) copyFileSync(join(IMAGES, 'camera.png'), join(dir, `c${String(i).padStart(3, '0')}.png`));
    return dir;
  }
  const leftovers = (out: string) => readdirSync(out).filter((f) => f.endsWith('.tmp'));

  it('its reader quits (| head -1): stops, says so and exits 141, with no half-written file', async () => {
    const dir = many(40);
    const out = join(dir, 'out');
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [CLI, 'extract', dir, '--kernel', 'edge', '--out', out, '--jobs', '2']);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.once('data', () => child.stdout.destroy()); // what head does after its first line
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(141);
    expect(stderr).toMatch(/stdout was closed \(its reader quit\): stopped; outputs written so far are complete; run again with --resume/);
    expect(leftovers(out)).toEqual([]);
    expect(outputsIn(out).length).toBeLessThan(40);
    // --resume finishes the rest
    expect(convlens(['extract', dir, '--kernel', 'edge', '--out', out, '--resume']).code).toBe(0);
    expect(outputsIn(out).length).toBe(40);
  });

  it('its reader quit before the one output was named: 141 still (the EPIPE comes after the work), not 0', async () => {
    const dir = many(1);
    const out = join(dir, 'out');
    const run = await convlensStdoutClosed(['extract', join(dir, 'c000.png'), '--kernel', 'edge', '--out', out]);
    expect(run.code).toBe(141);
    expect(run.stderr).toMatch(/^convlens: stdout was closed \(its reader quit\)/m);
    expect(outputsIn(out)).toEqual(['c000.png']);
    // with --json, the summary line too
    const json = await convlensStdoutClosed(['extract', join(dir, 'c000.png'), '--kernel', 'edge', '--out', join(dir, 'j'), '--json']);
    expect(json.code).toBe(141);
  });

  it.runIf(existsSync('/dev/full'))('a write fails (> /dev/full): one line with the reason, exit 1, no stack trace', () => {
    const dir = many(6);
    const command = `'${process.execPath}' '${CLI}' extract '${dir}' --kernel edge --out '${join(dir, 'out')}' > /dev/full`;
    const run = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(1);
    // (the run may end before the failed write is reported: then the message has no "stopped")
    expect(run.stderr).toMatch(/^convlens: cannot write to stdout: no space left on the device/m);
    expect(run.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(leftovers(join(dir, 'out'))).toEqual([]);
    const kernels = spawnSync('sh', ['-c', `'${process.execPath}' '${CLI}' kernels --json > /dev/full`], { encoding: 'utf8' });
    expect([kernels.status, kernels.stderr.trim()]).toEqual([1, 'convlens: cannot write to stdout: no space left on the device']);
  });
});

describe('convlens extract: inputs and settings found by an audit', { timeout: 180_000 }, () => {
  it.runIf(existsSync('/dev/zero'))('a device named as an input is refused, not read without end', () => {
    const run = convlens(['extract', '/dev/zero', '--kernel', 'edge', '--out', join(tempDir(), 'out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('convlens: /dev/zero: not a regular file');
  });

  it.runIf(existsSync('/dev/zero'))('a --kernel file that is a device is refused (an input that failed)', () => {
    const dir = tempDir();
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    const run = convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', join(dir, 'zero.json'), '--out', join(dir, 'out')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--kernel file .*zero\.json: not a regular file/);
  });

  it('a run whose every input failed removes the --out folders it made, never one that was there before or holds anything', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'corrupt'));
    writeFileSync(join(dir, 'corrupt', 'a.png'), 'not a PNG');
    writeFileSync(join(dir, 'corrupt', 'b.jpg'), 'not a JPEG');
    const extract = (out: string, ...extra: string[]) =>
      convlens(['extract', 'corrupt', '--kernel', 'edge', '--out', out, ...extra], { cwd: dir });
    const made = extract(join('new', 'features'));
    expect(made.code).toBe(1);
    expect(made.stderr).toContain('2 inputs: 0 written, 2 failed');
    expect(made.stderr).not.toContain('→'); // no folder to point at
    expect(readdirSync(dir)).toEqual(['corrupt']); // new/ too
    mkdirSync(join(dir, 'empty'));
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'notes.txt'), 'kept');
    expect(extract('empty').code).toBe(1);
    expect(extract('mine').code).toBe(1);
    expect(extract('reported', '--report').code).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['corrupt', 'empty', 'mine', 'reported']);
    expect(readFileSync(join(dir, 'mine', 'notes.txt'), 'utf8')).toBe('kept');
    expect(readdirSync(join(dir, 'reported'))).toContain('report.html');
  });

  it('one image file is processed on the main thread (no worker to start), writing what a worker writes', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in'));
    copyFileSync(join(IMAGES, 'rocket.jpg'), join(dir, 'in', 'rocket.jpg'));
    copyFileSync(join(IMAGES, 'camera.png'), join(dir, 'in', 'camera.png'));
    const one = convlens([
      'extract',
      join(dir, 'in', 'rocket.jpg'),
      '--kernel',
      'edge',
      '--out',
      join(dir, 'one'),
      '--jobs',
      '8',
      '--json',
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect((jsonLines(one.stdout).at(-1) as { summary: { jobs: number } }).summary.jobs).toBe(1);
    const folder = convlens(['extract', join(dir, 'in'), '--kernel', 'edge', '--out', join(dir, 'folder'), '--jobs', '2']);
    expect(folder.code, folder.stderr).toBe(0);
    expect(readFileSync(join(dir, 'one', 'rocket.png')).equals(readFileSync(join(dir, 'folder', 'rocket.png')))).toBe(true);
  });

  it('more jobs than images starts no more threads than the cores, and --jobs is capped at 4 per core', () => {
    const run = convlens([
      'extract',
      join(IMAGES, 'camera.png'),
      join(IMAGES, 'rocket.jpg'),
      '--kernel',
      'edge',
      '--out',
      join(tempDir(), 'out'),
      '--jobs',
      '300',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const { summary } = jsonLines(run.stdout).at(-1) as { summary: { written: number; maxRssMB: number; jobs: number } };
    expect(summary.written).toBe(2);
    expect(summary.maxRssMB).toBeLessThan(1000); // 300 booted workers took 3.2 GB
    // and a folder of many images gets at most 4 per core, with a word on stderr
    const cores = availableParallelism();
    expect(summary.jobs).toBe(4 * cores);
    expect(run.stderr).toContain(`--jobs 300 is capped at ${4 * cores} worker threads (4 per core on ${cores} cores)`);
  });

  it("an input whose output would be --report's page is refused rather than overwritten; shards write their own reports", () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in'));
    copyFileSync(join(IMAGES, 'camera.png'), join(dir, 'in', 'report.png'));
    copyFileSync(join(IMAGES, 'rocket.jpg'), join(dir, 'in', 'x.jpg'));
    const run = convlens(['extract', 'in', '--kernel', 'edge', '--out', 'out', '--format', 'html', '--report'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/in\/report\.png: the output would be overwritten by --report's report\.html/);
    expect(readFileSync(join(dir, 'out', 'report.html'), 'utf8')).toContain('<html');
    for (const shard of ['1/2', '2/2']) {
      expect(
        convlens(['extract', 'in/x.jpg', '--kernel', 'edge', '--out', 'shared', '--report', '--shard', shard], { cwd: dir }).code,
      ).toBe(0);
    }
    expect(
      outputsIn(join(dir, 'shared'))
        .filter((f) => f.startsWith('report'))
        .sort(),
    ).toEqual(['report-1-of-2.html', 'report-2-of-2.html']);
  });

  // Ctrl-C, and the SIGTERM with which Kubernetes, Slurm and systemd stop a job
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: exit %i, complete files only, and --json still ends with its summary, marked interrupted', async (signal, exit) => {
    const dir = tempDir();
    for (let i = 0; i < 60; i++) copyFileSync(join(IMAGES, 'camera.png'), join(dir, `c${String(i).padStart(3, '0')}.png`));
    const out = join(dir, 'out');
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [CLI, 'extract', dir, '--kernel', 'edge', '--out', out, '--json', '--jobs', '1']);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      if (!stdout) child.kill(signal);
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(exit);
    expect(stderr).toContain('interrupted');
    const last = jsonLines(stdout).at(-1) as { summary: { interrupted: boolean; written: number } };
    expect(last.summary.interrupted).toBe(true);
    expect(last.summary.written).toBeLessThan(60);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it("--out may not be an input folder (or a glob's folder): the next run would take the outputs as inputs", () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in'));
    copyFileSync(join(IMAGES, 'rocket.jpg'), join(dir, 'in', 'rocket.jpg'));
    for (const input of ['in', 'in/', 'in/*.jpg']) {
      const run = convlens(['extract', input, '--kernel', 'edge', '--out', 'in'], { cwd: dir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--out is the folder of the input ${input}: the next run would take its outputs as inputs`);
    }
    expect(readdirSync(join(dir, 'in'))).toEqual(['rocket.jpg']);
    // a subfolder is fine: walks leave --out out, so a second run sees the same inputs
    for (let run = 0; run < 2; run++) expect(convlens(['extract', 'in', '--kernel', 'edge', '--out', 'in/out'], { cwd: dir }).code).toBe(0);
    expect(outputsIn(join(dir, 'in', 'out'))).toEqual(['rocket.png']);
  });

  it('a --resize beyond the pixel limit is a usage error before any work (it ran for minutes, then ran out of memory)', () => {
    const out = join(tempDir(), 'out');
    const huge = convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', 'edge', '--out', out, '--resize', '65536x65536']);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain(
      '--resize 65536x65536 is 4,294,967,296 pixels, more than the limit of 268,402,689 (--max-pixels allows more)',
    );
    const small = convlens([
      'extract',
      join(IMAGES, 'camera.png'),
      '--kernel',
      'edge',
      '--out',
      out,
      '--resize',
      '30x40',
      '--max-pixels',
      '1000',
    ]);
    expect(small.code).toBe(2);
    expect(small.stderr).toContain('--resize 30x40 is 1,200 pixels, more than the limit of 1,000');
    expect(existsSync(out)).toBe(false);
  });

  it('a file name with a newline or an escape stays one line of plain output; --json has it exactly', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in'));
    const names = ['a\nb.png', 'e\u001b[31mred.png'];
    for (const name of names) copyFileSync(join(IMAGES, 'camera.png'), join(dir, 'in', name));
    const plain = convlens(['extract', 'in', '--kernel', 'edge', '--out', 'o'], { cwd: dir });
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\n').filter(Boolean).sort()).toEqual([join(dir, 'o', 'a\\nb.png'), join(dir, 'o', 'e\\x1b[31mred.png')]);
    const json = convlens(['extract', 'in', '--kernel', 'edge', '--out', 'o2', '--json'], { cwd: dir });
    const inputs = jsonLines(json.stdout).flatMap((line) => ('input' in line ? [line.input] : []));
    expect(inputs.sort()).toEqual(names.map((n) => join('in', n)).sort());
  });

  it('an empty --out is a usage error, not the current folder', () => {
    const run = convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', 'edge', '--out', '']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--out is empty');
  });

  it("--max-pixels: larger images fail with advice in the command's terms, smaller ones are extracted", () => {
    const out = join(tempDir(), 'out');
    const small = convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', 'edge', '--out', out, '--max-pixels', '1000']);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(
      /camera\.png: decode(Image|Png): image is 512×512 = 262144 pixels, above the limit of 1000 \(--max-pixels allows it\)/,
    );
    expect(convlens(['extract', join(IMAGES, 'camera.png'), '--kernel', 'edge', '--out', out, '--max-pixels', '262144']).code).toBe(0);
  });
});
