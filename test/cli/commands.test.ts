import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, convlens, convlensStdoutClosed, IMAGES, pngSize, ROOT, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const ESC = String.fromCharCode(27);

describe('convlens --help and --version', { timeout: 180_000 }, () => {
  it('prints the version from package.json, exit 0', () => {
    const run = convlens(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('every command has help with examples, exit 0', () => {
    const top = convlens(['--help']);
    expect(top.code).toBe(0);
    for (const command of [
      'demo',
      'extract',
      'kernels',
      'show-kernel',
      'train-mnist',
      'show-maps',
      'train',
      'predict',
      'evaluate',
      'summary',
    ]) {
      expect(top.stdout).toContain(command);
      const run = convlens([command, '--help']);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toContain('Examples:');
    }
    // a default as it is written on the command line, not as the parsed value ([64,64])
    expect(convlens(['train', '--help']).stdout).toMatch(/--image-size <HxW>[\s\S]*\(default: 64x64\)/);
  });

  it("names in the top help every command that exits 141 when its stdout's reader quits", async () => {
    const help = convlens(['--help']).stdout.replace(/\s+/g, ' ');
    const sentence = /141 when the reader of the stdout of ([^.]*) quits/.exec(help);
    expect(sentence, help).not.toBeNull();
    for (const command of ['extract', 'predict', 'evaluate', 'summary']) expect(sentence?.[1]).toContain(command);
    // summary is one of them (the help named extract and predict alone)
    const summary = await convlensStdoutClosed(['summary', join(ROOT, 'web', 'public', 'model')]);
    expect(summary.code).toBe(141);
  });

  it.runIf(existsSync('/dev/full'))(
    '--help and --version to a full disk (> /dev/full) say so in one line, exit 1, as other commands',
    () => {
      for (const args of ['--version', '--help', 'extract --help', 'help show-kernel']) {
        const run = spawnSync('sh', ['-c', `'${process.execPath}' '${CLI}' ${args} > /dev/full`], { encoding: 'utf8' });
        expect([run.status, run.stderr], args).toEqual([1, 'convlens: cannot write to stdout: no space left on the device\n']);
      }
    },
  );

  it('an unknown command is a usage error (exit 2) on stderr', () => {
    const run = convlens(['frobnicate']);
    expect(run.code).toBe(2);
    // one line, in the form of every other error
    expect(run.stderr).toBe("convlens: unknown command 'frobnicate' (add --help for usage and examples)\n");
    expect(run.stdout).toBe('');
  });

  it('help <command> shows that command; help of an unknown one is a usage error with a suggestion', () => {
    const known = convlens(['help', 'extract']);
    expect(known.code).toBe(0);
    expect(known.stdout).toContain('Usage: convlens extract');
    const unknown = convlens(['help', 'extrct']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'extrct'/);
    expect(unknown.stderr).toBe("convlens: unknown command 'extrct' (did you mean extract?) (add --help for usage and examples)\n");
    expect(unknown.stdout).toBe('');
  });
});

describe('convlens kernels', { timeout: 180_000 }, () => {
  it('lists every preset with its values; plain text when piped', () => {
    const run = convlens(['kernels']);
    expect(run.code).toBe(0);
    for (const name of ['edge', 'blur', 'bottomSobel', 'emboss', 'sharpen', 'gaussian'])
      expect(run.stdout).toMatch(new RegExp(`^${name} `, 'm'));
    expect(run.stdout).toContain('⎢-1   8  -1⎥');
    expect(run.stdout).not.toContain(ESC);
    // each heading gives the size once: the Gaussian's title names it already
    expect(run.stdout).toMatch(/^edge {9}Edge Detect \(3×3, sum 0\)$/m);
    expect(run.stdout).toMatch(/^gaussian {5}Gaussian 5×5 \(sum 1\)$/m);
    expect(convlens(['show-kernel', 'gaussian']).stdout.split('\n')[0]).toBe('Gaussian 5×5 (sum 1)');
  });

  it('24-bit colour previews with FORCE_COLOR, none when NO_COLOR is set too', () => {
    expect(convlens(['kernels'], { env: { FORCE_COLOR: '1' } }).stdout).toContain(`${ESC}[48;2;`);
    expect(convlens(['kernels'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toContain(ESC);
  });

  it('--json and --out', () => {
    const dir = tempDir();
    const run = convlens(['kernels', '--json', '--out', join(dir, 'kernels.svg')]);
    expect(run.code).toBe(0);
    // one line, as extract's, show-maps' and predict's --json: a line-by-line reader gets the whole list
    expect(run.stdout.split('\n')).toEqual([expect.any(String), '']);
    const list = JSON.parse(run.stdout);
    expect(list.find((k: { name: string }) => k.name === 'sharpen')).toMatchObject({ title: 'Sharpen', shape: [3, 3], sum: 1 });
    const svg = readFileSync(join(dir, 'kernels.svg'), 'utf8');
    for (const title of ['Edge Detect', 'Bottom Sobel', 'Emboss', 'Sharpen']) expect(svg).toContain(`>${title}</text>`);
  });

  it('an --out that cannot be written, a figure type or colormap it does not know: usage errors before anything is printed, nothing left behind', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    const run = convlens(['kernels', '--out', join(dir, 'file', 'kernels.png')]);
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr).toBe(
      `convlens: cannot write to --out ${join(dir, 'file', 'kernels.png')} (in the folder ${join(dir, 'file')}): not a folder\n`,
    );
    expect(readdirSync(dir)).toEqual(['file']);
    for (const args of [
      ['kernels', '--out', join(dir, 'k.gif')],
      ['kernels', '--cmap', 'nope'],
      ['show-kernel', 'edge', '--cmap', 'nope'],
    ]) {
      const bad = convlens(args);
      expect([bad.code, bad.stdout], args.join(' ')).toEqual([2, '']);
    }
  });
});

describe('--out folders that do not exist yet', { timeout: 180_000 }, () => {
  it('are made by the writes: a run that fails after checking --out leaves no empty folders behind', () => {
    const dir = tempDir();
    const maps = convlens([
      'show-maps',
      join(dir, 'no-model'),
      join(ROOT, 'assets', 'images', 'camera.png'),
      '--out',
      join(dir, 'new', 'deeper', 'maps.png'),
    ]);
    expect(maps.code).not.toBe(0);
    expect(maps.stderr).toContain('no-model');
    const extract = convlens(['extract', join(dir, 'missing.png'), '--kernel', 'edge', '--out', join(dir, 'out', 'sub')]);
    expect(extract.code).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
    // and a run that writes makes them
    const kernel = convlens(['show-kernel', 'edge', '--out', join(dir, 'made', 'here', 'k.svg')]);
    expect(kernel.code).toBe(0);
    expect(existsSync(join(dir, 'made', 'here', 'k.svg'))).toBe(true);
  });
});

describe('convlens show-kernel', { timeout: 180_000 }, () => {
  it('prints a JSON kernel as a matrix and writes the figure as PNG', () => {
    const dir = tempDir();
    const run = convlens(['show-kernel', '[[1,-1],[1,-1]]', '--out', 'k.png', '--title', 'Vertical'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Vertical (2×2, sum 0)');
    expect(run.stdout).toContain('⎡1  -1⎤');
    expect(run.stderr).toContain('k.png');
    // two cells of 64 px plus padding and a title, drawn at scale 2
    const [w, h] = pngSize(join(dir, 'k.png'));
    expect(w).toBe(2 * (2 * 64 + 24));
    expect(h).toBeGreaterThan(w);
  });

  it('--json, --digits, and errors', () => {
    const run = convlens(['show-kernel', 'gaussian', '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'gaussian', shape: [5, 5] });
    // a preset by its title, as the figures and `convlens kernels` show it
    expect(JSON.parse(convlens(['show-kernel', 'Bottom Sobel', '--json']).stdout)).toMatchObject({ name: 'bottomSobel', shape: [3, 3] });
    expect(convlens(['show-kernel', 'blur', '--digits', '2']).stdout).toContain('0.06');
    const bad = convlens(['show-kernel', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^convlens: kernel "nope" is not a preset/);
    expect(convlens(['show-kernel', 'edge', '--out', join(tempDir(), 'k.gif')]).code).toBe(2);
  });

  it('--out that is an extension alone is told it needs a name, not that it must end in one', () => {
    const dir = tempDir();
    for (const [args, out] of [
      [['show-kernel', 'edge'], '.png'],
      [['kernels'], join('figs', '.SVG')],
    ] as const) {
      const run = convlens([...args, '--out', out], { cwd: dir });
      expect([run.code, run.stderr]).toEqual([
        2,
        `convlens: --out ${out}: the figure's file needs a name before its extension, like ${join(dirname(out), `figure${out.slice(-4)}`)}\n`,
      ]);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads a kernel file saved with a byte-order mark, as Windows Notepad saves UTF-8', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'mine.json'), '\uFEFF{"kernel": [[1, -1], [1, -1]]}\n');
    const run = convlens(['show-kernel', 'mine.json'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect([run.code, run.stdout.split('\n')[0]]).toEqual([0, 'mine (2×2, sum 0)']);
  });

  it('a figure too wide to draw as PNG is one line naming its size (it was a stack trace), and no file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'row.json'), JSON.stringify([Array(40_000).fill(1)]));
    const run = convlens(['show-kernel', 'row.json', '--out', 'row.png'], { cwd: dir });
    expect([run.code, run.stderr]).toEqual([
      1,
      expect.stringMatching(/^convlens: toPng: resvg could not render the SVG of \d+×\d+ pixels: .*\n$/),
    ]);
    expect(readdirSync(dir)).toEqual(['row.json']);
  });

  it('refuses a kernel file with keys other than "kernel", naming them and the one it reads', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'titled.json'), '{"kernel": [[1, -1], [1, -1]], "title": "Mine", "stride": 2}');
    for (const args of [
      ['show-kernel', 'titled.json'],
      ['extract', join(IMAGES, 'camera.png'), '--kernel', 'titled.json', '--out', 'o'],
    ]) {
      const run = convlens(args, { cwd: dir });
      expect(run.code).toBe(1); // a kernel file is an input: one that holds no kernel failed
      expect(run.stderr).toMatch(
        /^convlens: (kernel|--kernel) file titled\.json: unknown keys "title", "stride": a kernel file holds a 2-D array, or an object with "kernel" alone/,
      );
    }
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });
});

describe('convlens demo', { timeout: 180_000 }, () => {
  it("prints the lesson's worked example and writes the figures and a report", () => {
    const dir = tempDir();
    const run = convlens(['demo', '--out', 'figs'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    // the lesson's filter and ReLU outputs, as sympy shows them
    expect(run.stdout).toContain('⎢-2.0  2.0  -1.0  0  0⎥');
    expect(run.stdout).toContain('⎣0  2.0  0  0  0⎦');
    for (const f of [
      'input.png',
      'edge-filter.png',
      'edge-detect.png',
      'edge-condense.png',
      'edge-extraction.png',
      'kernels.png',
      'report.html',
    ]) {
      expect(existsSync(join(dir, 'figs', f)), f).toBe(true);
    }
    expect(pngSize(join(dir, 'figs', 'edge-condense.png'))).toEqual([256, 256]);
    expect(readFileSync(join(dir, 'figs', 'report.html'), 'utf8')).toContain('Feature extraction with each kernel');
  });
});

describe('convlens train-mnist', { timeout: 180_000 }, () => {
  it('writes the model, the history and titled pictures: the learned kernels, one digit through the first layer, the curves', () => {
    const dir = tempDir();
    const run = convlens(['train-mnist', '--epochs', '2', '--per-digit', '30', '--out', 'm'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Test accuracy [\d.]+% after 2 epochs/);
    // Keras' summary table, a row per line (it was one line, its newlines written as \n):
    // 3·3·16·32 + 32 = 4,640 weights in conv2d_1; 160 + 4,640 + (7·7·32·10 + 10) = 20,490 in all
    expect(run.stdout).toMatch(/^ conv2d_1 \(Conv2D\) +\(None, 14, 14, 32\) +4,640$/m);
    expect(run.stdout).toMatch(/^Total params: 20,490$/m);
    expect(run.stdout).not.toContain('\\n');
    const [kw, kh] = pngSize(join(dir, 'm', 'kernels.png'));
    expect(kw).toBeGreaterThan(8 * kh); // 16 kernels in a row
    expect(pngSize(join(dir, 'm', 'digit.png'))).toEqual([28, 28]);
    expect(pngSize(join(dir, 'm', 'feature-maps.png'))[0]).toBeGreaterThan(8 * 112);
    // what conv2d_1's first 16 filters look for, 8 to a row; the test digit's Grad-CAM beside it
    expect(pngSize(join(dir, 'm', 'patterns.png'))[0]).toBeGreaterThan(8 * 84);
    expect(pngSize(join(dir, 'm', 'saliency.png'))[0]).toBeGreaterThan(3 * 160);
    const accuracy = readFileSync(join(dir, 'm', 'accuracy.svg'), 'utf8');
    expect(accuracy).toContain('Accuracy (test: 9700 digits)');
    expect(accuracy).toMatch(/>training<.*>test</s);
    expect(accuracy).toMatch(/text-anchor="end">1<\/text>/); // the axis reaches 1
    // the confusion matrix's rows: each digit's test examples, adding up to the 9,700, and its
    // diagonal agrees with evaluate's accuracy (a separate computation, in the metrics)
    const rows = [...run.stdout.matchAll(/^ {2}(\d) +[\d.]+% \((\d+) of (\d+)\)$/gm)];
    expect(rows.map((m) => m[1])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(rows.reduce((n, m) => n + Number(m[3]), 0)).toBe(9700);
    const right = rows.reduce((n, m) => n + Number(m[2]), 0);
    expect(run.stdout).toContain(`Test accuracy ${((100 * right) / 9700).toFixed(2)}%`);
    expect(run.stdout).toMatch(/^ {2}most often mistaken: \d taken for \d \(\d+×\)/m);
    // the most confident mistakes, 32 of them (after 2 epochs on 300 digits, far more are wrong): 8 to a row
    expect(pngSize(join(dir, 'm', 'mistakes.png'))[0]).toBeGreaterThan(8 * 96);
    const [cw, ch] = pngSize(join(dir, 'm', 'confusion.png'));
    expect(cw).toBeGreaterThan(10 * 48);
    expect(ch).toBeGreaterThan(10 * 48);
    // the model as a Keras HDF5 file too: it classifies the digit as the TensorFlow.js folder does
    const predict = (model: string) => convlens(['predict', model, 'digit.png', '--json'], { cwd: join(dir, 'm') });
    const [fromFolder, fromKeras] = [predict('model'), predict('model.h5')];
    expect(fromKeras.code, fromKeras.stderr).toBe(0);
    const answer = (stdout: string) => JSON.parse(stdout.trim().split('\n')[0]).predictions;
    expect(answer(fromKeras.stdout)).toEqual(answer(fromFolder.stdout));
  });

  it('refuses, before training, a model folder holding files a save would not replace (exit 2, nothing written)', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'm', 'model'), { recursive: true });
    writeFileSync(join(dir, 'm', 'model', 'classes.json'), '["a", "b"]\n'); // left by convlens train
    const run = convlens(['train-mnist', '--epochs', '1', '--per-digit', '20', '--out', 'm'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `convlens: cannot write the model to ${join('m', 'model')}: it holds files that are not part of a saved model (classes.json)\n`,
    );
    expect(run.stdout).toBe('');
    expect(readdirSync(join(dir, 'm'))).toEqual(['model']);
    // a folder where the Keras file goes, likewise
    mkdirSync(join(dir, 'k', 'model.h5'), { recursive: true });
    const keras = convlens(['train-mnist', '--epochs', '1', '--per-digit', '20', '--out', 'k'], { cwd: dir });
    expect([keras.code, keras.stderr, keras.stdout]).toEqual([
      2,
      `convlens: cannot write the model to ${join('k', 'model.h5')}: it is a folder\n`,
      '',
    ]);
  });

  it('takes seed 0, as TensorFlow and Keras do', () => {
    const dir = tempDir();
    const run = convlens(['train-mnist', '--seed', '0', '--epochs', '1', '--per-digit', '20', '--out', 'm'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Test accuracy [\d.]+% after 1 epoch/);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s ends training after the current batch, writes what was learned, exit %i', async (signal, exit) => {
    const dir = tempDir();
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [CLI, 'train-mnist', '--epochs', '1000', '--per-digit', '30', '--out', 'm'], { cwd: dir });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      // once, after training has started (a second signal quits at once)
      if (!sent && stdout.includes('Non-trainable params')) {
        sent = true;
        setTimeout(() => child.kill(signal), 300);
      }
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(exit);
    expect(stderr).toMatch(new RegExp(`Stopped by ${signal} during epoch \\d+: writing what the model learned so far`));
    expect(stdout).toMatch(new RegExp(`Test accuracy [\\d.]+% after \\d+ epochs? \\(the last one cut short by ${signal}\\)`));
    expect(readdirSync(join(dir, 'm', 'model')).sort()).toEqual(['model.json', 'weights.bin']);
    const history = JSON.parse(readFileSync(join(dir, 'm', 'history.json'), 'utf8')) as { epoch: number[] };
    expect(history.epoch.length).toBeLessThan(1000);
  });
});

describe('commands whose product is their --out folder still make it when stdout is closed (| head), exit 0', { timeout: 180_000 }, () => {
  it.each([
    ['demo', ['demo', '--out', 'o'], ['edge-condense.png', 'report.html']],
    ['train-mnist', ['train-mnist', '--epochs', '1', '--per-digit', '20', '--out', 'o'], ['history.json', 'model']],
  ])('%s', async (_, args, expected) => {
    const dir = tempDir();
    const run = await convlensStdoutClosed(args, { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(join(dir, 'o'))).toEqual(expect.arrayContaining(expected));
  });
});

describe('settings that cannot work are usage errors (exit 2), found before any work', { timeout: 180_000 }, () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'afile'), '');
  mkdirSync(join(dir, 'folder.png'));
  const cases: [string, string[], RegExp][] = [
    ['demo: an unknown colormap', ['demo', '--cmap', 'nope', '--out', 'd1'], /--cmap: colormap: unknown colormap "nope"/],
    ['demo: an --out under a file', ['demo', '--out', 'afile/x'], /cannot write to --out afile\/x: not a folder/],
    [
      'train-mnist: an --out under a file (not after training)',
      ['train-mnist', '--out', 'afile/x'],
      /cannot write to --out afile\/x: not a folder/,
    ],
    [
      'train-mnist: --per-digit leaving no test digits',
      ['train-mnist', '--per-digit', '100000', '--out', 't'],
      /--per-digit 100000 leaves no 0s for testing/,
    ],
    [
      'extract: a kernel value beyond float64 (JSON reads it as Infinity)',
      ['extract', 'afile', '--kernel', '[[1e400]]', '--out', 'e'],
      /a value beyond even float64 \(it reads as Infinity\) is beyond float32's range/,
    ],
    [
      'extract: --stage with a figure format, which draws every stage',
      ['extract', 'afile', '--kernel', 'edge', '--out', 'e', '--stage', 'filter', '--format', 'svg'],
      /--stage is for png, json and npy outputs; --format svg draws every stage/,
    ],
    [
      'extract: a --resize smaller than the kernel under valid padding (every image would fail)',
      ['extract', 'afile', '--kernel', 'edge', '--out', 'e', '--resize', '2x8'],
      /--resize 2x8 is smaller than the 3×3 kernel, which valid padding needs room for \(--padding same allows it\)/,
    ],
    [
      'extract: a kernel value beyond float32',
      ['extract', 'afile', '--kernel', '[[1e39]]', '--out', 'e'],
      /1e\+39 is beyond float32's range/,
    ],
    [
      'extract: --out followed by another option (it wrote a folder named --json)',
      ['extract', 'afile', '--kernel', 'edge', '--out', '--json'],
      /^convlens: option '-o, --out <dir>' argument missing: it is followed by --json, an option of convlens extract/,
    ],
    [
      'extract: --kernel followed by another option (it said --out was missing)',
      ['extract', 'afile', '--kernel', '--out', 'e'],
      /^convlens: option '-k, --kernel <kernel>' argument missing: it is followed by --out/,
    ],
    [
      'show-kernel: --out followed by -h',
      ['show-kernel', 'edge', '--out', '-h'],
      /^convlens: option '-o, --out <file>' argument missing: it is followed by -h/,
    ],
    ['kernels: an --out that is a folder', ['kernels', '--out', 'folder.png'], /--out folder\.png is a folder \(name the figure's file/],
    ['show-kernel: an --out that is a folder', ['show-kernel', 'edge', '--out', 'folder.png'], /--out folder\.png is a folder/],
    [
      'kernels: a figure where no file can be made (named as given, with its folder)',
      ['kernels', '--out', '/proc/x.png'],
      /^convlens: cannot write to --out \/proc\/x\.png \(in the folder \/proc\): no file can be created in it\n$/,
    ],
    [
      'extract: an --out folder that exists but takes no files',
      ['extract', 'afile', '--kernel', 'edge', '--out', '/proc/self'],
      /^convlens: cannot write to --out \/proc\/self: no file can be created in it\n$/,
    ],
    [
      'show-kernel: more --digits than numbers have',
      ['show-kernel', 'edge', '--digits', '100'],
      /--digits must be a whole number from 0 to 20, got "100"/,
    ],
    [
      'serve: an empty --host (Node would listen on every interface)',
      ['serve', '--host', ''],
      /--host.*expected an address such as 127\.0\.0\.1/,
    ],
    ['serve: an empty --port', ['serve', '--port', ''], /--port.*expected a port number from 0 to 65535/],
    [
      'show-kernel: an empty --title (a heading with no name)',
      ['show-kernel', 'edge', '--title', ''],
      /--title must not be empty \(leave it out for the kernel's own title\)/,
    ],
    ['show-kernel: a --title of spaces', ['show-kernel', 'edge', '--title', '  '], /--title must not be empty/],
    [
      'extract: a count in hexadecimal',
      ['extract', 'afile', '--kernel', 'edge', '--out', 'e', '--stride', '0x2'],
      /--stride must be a positive integer, got "0x2"/,
    ],
    [
      'extract: a count in exponent form',
      ['extract', 'afile', '--kernel', 'edge', '--out', 'e', '--jobs', '1e3'],
      /--jobs must be a positive integer, got "1e3"/,
    ],
  ];
  it.each(cases)('%s', (_, args, message) => {
    const run = convlens(args, { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(readdirSync(dir).sort()).toEqual(['afile', 'folder.png']);
  });
});

describe('a file or folder the command reads that is missing, of the wrong kind or unusable is an input that failed (exit 1), found before any work', {
  timeout: 180_000,
}, () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'afile'), 'not an image');
  writeFileSync(join(dir, 'bad.json'), '[[1, -1], [1]]');
  writeFileSync(join(dir, 'typo.json'), '[[1, -1], [1, -1]'); // a bracket short
  mkdirSync(join(dir, 'folder.json'));
  const camera = join(IMAGES, 'camera.png');
  const cases: [string, string[], string][] = [
    [
      'demo: a missing --image',
      ['demo', '--image', 'missing.png', '--out', 'd'],
      'cannot read --image missing.png: no such file or directory',
    ],
    ['demo: an --image that is a folder', ['demo', '--image', '.', '--out', 'd'], 'cannot read --image .: is a folder'],
    // a device or a pipe is refused, not read: /dev/zero has no end (the command read on until memory ran out)
    [
      'demo: an --image that is a device',
      ['demo', '--image', '/dev/zero', '--out', 'd'],
      'cannot read --image /dev/zero: not a regular file',
    ],
    [
      'predict: an image that is a device',
      ['predict', join(ROOT, 'web', 'public', 'model'), '/dev/zero'],
      'predict: cannot read /dev/zero: not a regular file',
    ],
    [
      'demo: an --image that is no image',
      ['demo', '--image', 'afile', '--out', 'd'],
      'cannot decode --image afile: decodeImage: data is not a known image format',
    ],
    [
      'show-kernel: a missing kernel file',
      ['show-kernel', 'missing.json', '--out', 'k.png'],
      'kernel file missing.json: no such file or directory',
    ],
    ['show-kernel: a kernel file that is a folder', ['show-kernel', 'folder.json'], 'kernel file folder.json: not a regular file'],
    [
      'show-kernel: a kernel file holding no kernel',
      ['show-kernel', 'bad.json'],
      'kernel file bad.json is not a kernel: expected a non-empty 2-D array',
    ],
    ['show-kernel: a kernel file that is not JSON', ['show-kernel', 'typo.json'], 'kernel file typo.json is not valid JSON ('],
    [
      'extract: a --kernel file that is not JSON',
      ['extract', camera, '--kernel', 'typo.json', '--out', 'e'],
      '--kernel file typo.json is not valid JSON (',
    ],
    [
      'extract: a missing --kernel file',
      ['extract', camera, '--kernel', 'missing.json', '--out', 'e'],
      '--kernel file missing.json: no such file or directory',
    ],
    [
      'extract: a --kernel file that is a folder',
      ['extract', camera, '--kernel', 'folder.json', '--out', 'e'],
      '--kernel file folder.json: not a regular file',
    ],
    ['train: a missing folder', ['train', 'missing', '--out', 't'], 'imageDatasetFromDirectory: cannot read missing: no such folder'],
    [
      'train: a file where the folder should be',
      ['train', 'afile', '--out', 't'],
      'imageDatasetFromDirectory: cannot read afile: not a folder',
    ],
    ['predict: a missing model', ['predict', 'missing', camera], `loadModel: ${join(dir, 'missing')} does not exist`],
    ['show-maps: a missing model', ['show-maps', 'missing', camera, '--out', 'm.png'], `loadModel: ${join(dir, 'missing')} does not exist`],
  ];
  it.each(cases)('%s', (_, args, message) => {
    const run = convlens(args, { cwd: dir });
    expect([run.code, run.stdout]).toEqual([1, '']);
    expect(run.stderr.startsWith(`convlens: ${message}`), run.stderr).toBe(true);
    expect(run.stderr.split('\n')).toHaveLength(2); // one line
    expect(readdirSync(dir).sort()).toEqual(['afile', 'bad.json', 'folder.json', 'typo.json']);
  });

  it('an inline kernel that is not one stays a usage error (exit 2): it is the command line that is wrong', () => {
    for (const args of [
      ['show-kernel', '[[1, -1], [1]]'],
      ['show-kernel', '[[1, -1'],
      ['extract', camera, '--kernel', 'afile', '--out', 'e'],
    ]) {
      const run = convlens(args, { cwd: dir });
      expect([run.code, run.stdout], args.join(' ')).toEqual([2, '']);
      expect(run.stderr).toMatch(/^convlens: (kernel|--kernel) /);
    }
  });
});
