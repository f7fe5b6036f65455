/**
 * End-to-end tests of the playground in Debian's Chromium (/usr/bin/chromium), driven by
 * playwright-core (no browser download). The page is served by `convlens serve` (the built CLI,
 * started here on a free port); every request that is not to loopback is refused and counted.
 * Screenshots go to $CONVLENS_SCREENSHOTS (default: <tmp>/convlens-playground).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tfl from '@tensorflow/tfjs-layers';
import { interpolateTurbo } from 'd3-scale-chromatic';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/backend/index.js';
import { mimeType, startServer } from '../../src/cli/serve.js';
import { crc32 } from '../../src/image/checksums.js';
import { encodePng, rgbToGrayscale } from '../../src/image/index.js';
import { fromArtifacts } from '../../src/layers/serialization.js';
import { Tensor } from '../../src/tensor/index.js';
import { filterPatterns } from '../../src/viz/patterns.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../../web/chromium.mjs';
import { expectClose } from '../helpers/close.js';
import { scoreGradient, sequentialGradCam, tfjsScores } from '../helpers/gradcam.js';
import { bmpOfRgb, gif } from '../helpers/image_files.js';
import { CONVNET_LAYERS, kerasFixture, tfjsChannelsFirst, tfjsConvnet } from '../helpers/keras_fixtures.js';
import { tfjsLoad } from '../helpers/layers.js';
import { tf } from '../helpers/tf.js';

declare global {
  interface Window {
    __convlensReady?: boolean;
    __convlensPredictions?: { digit: number; probability: number; probabilities: number[]; predictMs: number }[];
    __convlensEvidence?: { classIndex: number; layerName: string; input: number[]; map: number[] }[];
    __convlensPatterns?: () => { layerName: string; images: number[][] } | undefined;
    __convlensModelRuns?: {
      model: string;
      input: number[];
      inputShape: number[];
      outputs: { layer: string; shape: number[]; data: number[] }[];
    }[];
    __convlensTimings?: { redraws: { cause: string; ms: number; width: number; height: number }[] };
    __inputCaptions?: string[];
  }
}

const repo = fileURLToPath(new URL('../../', import.meta.url));
const built = join(repo, 'dist', 'web');
const shots = process.env.CONVLENS_SCREENSHOTS ?? join(tmpdir(), 'convlens-playground');
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(
    `test/web: SKIPPED: ${CHROMIUM} is absent. Install Debian's chromium (apt-get install -y chromium) to run the playground tests; CI does.`,
  );
}

/** The lesson's printed results for the 6×6 example (filter, then ReLU). */
const LESSON_FILTER = [
  [-2, 2, 0, 0, 0],
  [-2, 2, 0, 0, 0],
  [-2, 2, 0, 0, 0],
  [-2, 2, -1, 0, 0],
  [-2, 2, -1, 0, 0],
];
const LESSON_DETECT = LESSON_FILTER.map((row) => row.map((v) => Math.max(0, v)));

interface Served {
  url: string;
  stop(): void;
}

/** Runs `node dist/cli/main.js serve --port 0` and waits for the URL it prints. */
function serveCli(): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [join(repo, 'dist', 'cli', 'main.js'), 'serve', '--port', '0'], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`convlens serve printed no URL in 20 s:\n${out}\n${err}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[0], stop: () => child.kill('SIGTERM') });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`convlens serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/** A request with the path sent exactly as written (no client-side normalisation of `..`). */
function rawGet(base: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A plain static server (no CSP, no cross-origin isolation): "any web server". */
function plainStaticServer(root: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const file = join(root, path === '/' ? 'index.html' : path);
    if (path.includes('..') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** WCAG's contrast ratio of two CSS rgb() colours. */
function contrastRatio(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((c) => {
      const v = Number(c) / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

async function canvasHash(page: Page, name: string): Promise<string> {
  return page.getByRole('img', { name, exact: true }).evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let h = 2166136261;
    for (let i = 0; i < data.length; i += 7) h = Math.imul(h ^ data[i], 16777619);
    return `${canvas.width}x${canvas.height}:${(h >>> 0).toString(16)}`;
  });
}

async function drawStrokes(page: Page, strokes: [number, number][][]): Promise<void> {
  const pad = page.getByRole('img', { name: 'Digit drawing pad' });
  await page.getByRole('button', { name: 'Clear' }).click();
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  for (const stroke of strokes) {
    await page.mouse.move(box.x + stroke[0][0] * box.width, box.y + stroke[0][1] * box.height);
    await page.mouse.down();
    for (const [x, y] of stroke.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 4 });
    await page.mouse.up();
  }
}

async function lastPrediction(
  page: Page,
): Promise<{ digit: number; probability: number; probabilities: number[]; predictMs: number } | undefined> {
  return page.evaluate(() => window.__convlensPredictions?.at(-1));
}

/** The MNIST model the page ships, as read from its files. */
function shippedModel(): { modelJson: Record<string, unknown>; weightData: ArrayBuffer } {
  const folder = join(repo, 'web', 'public', 'model');
  const modelJson = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8'));
  return { modelJson, weightData: new Uint8Array(readFileSync(join(folder, 'weights.bin'))).buffer };
}

/**
 * The page's evidence map for `classIndex` is Grad-CAM of its own 28×28 input as tfjs-layers
 * computes it with the shipped model, and its canvas shows it: d3's turbo at 40% over the digit.
 */
async function expectEvidence(page: Page, classIndex: number): Promise<void> {
  await expect.poll(async () => page.evaluate(() => window.__convlensEvidence?.at(-1)?.classIndex)).toBe(classIndex);
  const { input, map, layerName } = (await page.evaluate(() => window.__convlensEvidence?.at(-1)))!;
  expect(layerName).toBe('conv2d_1');
  const { modelJson, weightData } = shippedModel();
  const scores = await tfjsScores(modelJson, weightData);
  const expected = sequentialGradCam(scores, layerName, tf.tensor(input, [1, 28, 28, 1]), scoreGradient(10, classIndex, true));
  // a map with something in it, or the comparison below would say little
  expect(Math.max(...expected)).toBe(1);
  expectClose(map, expected, 1e-4, `evidence for ${classIndex}`);
  const shown = await page
    .getByRole('img', { name: `Where the model finds a ${classIndex}`, exact: true })
    .evaluate((canvas: HTMLCanvasElement) => Array.from(canvas.getContext('2d')!.getImageData(0, 0, 28, 28).data));
  let worst = 0;
  for (let p = 0; p < 28 * 28; p++) {
    // matplotlib's rule for a 256-colour table: entry min(255, floor(t · 256)), the colour at entry / 255
    const entry = Math.min(255, Math.floor(map[p] * 256));
    const turbo = interpolateTurbo(entry / 255)
      .match(/\d+/g)!
      .map(Number);
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(shown[p * 4 + c] - (0.6 * 255 * input[p] + 0.4 * turbo[c])));
  }
  expect(worst).toBeLessThanOrEqual(0.5);
  await expect.poll(() => page.locator('#evidence-caption').textContent()).toMatch(new RegExp(`^Where it finds a ${classIndex} \\(`));
}

async function tableValues(page: Page, caption: RegExp): Promise<string[][]> {
  return page
    .getByRole('table', { name: caption })
    .evaluate((table: HTMLTableElement) =>
      Array.from(table.tBodies[0].rows, (row) => Array.from(row.cells, (cell) => cell.querySelector('.v')?.textContent ?? '')),
    );
}

function parseShown(text: string): number {
  return Number(text.replace('−', '-'));
}

describe('convlens serve', () => {
  let served: Served;

  beforeAll(async () => {
    if (!existsSync(join(built, 'index.html'))) throw new Error('dist/web is not built: run npm run build first');
    served = await serveCli();
  }, 30_000);

  afterAll(() => served?.stop());

  it('serves the page with a content-security policy, cross-origin isolation and the right MIME types', async () => {
    const index = await rawGet(served.url, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(String(index.headers['content-security-policy'])).toMatch(/default-src 'none'.*script-src 'self' 'wasm-unsafe-eval'/);
    expect(index.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(index.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const expected: [string, string][] = [
      ['/app.js', 'text/javascript; charset=utf-8'],
      ['/style.css', 'text/css; charset=utf-8'],
      ['/model/model.json', 'application/json; charset=utf-8'],
      ['/model/weights.bin', 'application/octet-stream'],
      ['/samples/camera.png', 'image/png'],
      ['/samples/rocket.jpg', 'image/jpeg'],
    ];
    for (const [path, type] of expected) {
      const res = await rawGet(served.url, path, 'HEAD');
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toBe(type);
    }
    expect(mimeType('kernels.wasm')).toBe('application/wasm');
    expect((await rawGet(served.url, '/', 'POST')).status).toBe(405);
    expect((await rawGet(served.url, '/missing.html')).status).toBe(404);
  });

  it('refuses every path outside the build folder', async () => {
    const attempts = [
      '/../package.json',
      '/../../package.json',
      '/../../../../../../etc/passwd',
      '/%2e%2e/package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/samples/../../../package.json',
      '/samples/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/%252e%252e/package.json',
      '/..\\..\\package.json',
      '//etc/passwd',
      '/%00/../package.json',
      '/index.html%00.png',
      '/.%2e/.%2e/package.json',
      '/%c0%ae%c0%ae/package.json',
      '/.git/config',
      'http://example.com/../package.json',
    ];
    for (const path of attempts) {
      const res = await rawGet(served.url, path);
      expect([400, 403, 404], `${path} answered ${res.status}`).toContain(res.status);
      expect(res.body, path).not.toContain('"name": "convlens"');
      expect(res.body, path).not.toContain('root:');
    }
    // A symbolic link inside the folder that points out of it is refused too.
    const root = mkdtempSync(join(tmpdir(), 'convlens-serve-'));
    try {
      writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
      symlinkSync(join(repo, 'package.json'), join(root, 'escape.json'));
      const server = await startServer({ port: 0, root });
      try {
        expect((await rawGet(server.url, '/escape.json')).status).toBe(403);
        expect((await rawGet(server.url, '/index.html')).status).toBe(200);
        // a file asked for as a folder is not there (its page's relative links would break)
        expect((await rawGet(server.url, '/index.html/')).status).toBe(404);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasChromium)('playground in Chromium', () => {
  let served: Served;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const blocked: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(built, 'index.html'))) throw new Error('dist/web is not built: run npm run build first');
    mkdirSync(shots, { recursive: true });
    served = await serveCli();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
    // No network beyond loopback: anything else is refused and reported.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      blocked.push(url.href);
      return route.abort();
    });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(served.url);
    await page.waitForFunction(() => window.__convlensReady === true, null, { timeout: 30_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    served?.stop();
  });

  it('loads with no network beyond loopback, cross-origin isolated, on the wasm backend', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Ready\. Backend: wasm, SIMD, \d+ threads?\./);
    expect(await page.getByRole('combobox', { name: 'Backend' }).inputValue()).toBe('wasm');
    expect(await canvasHash(page, 'Input')).toMatch(/^512x512:/);
    expect(await canvasHash(page, 'Condense')).toMatch(/^256x256:/);
    await page.screenshot({ path: join(shots, 'desktop.png'), fullPage: true });
    expect(blocked).toEqual([]);
  });

  it('changing the Kernel redraws the Filter panel', async () => {
    // each menu entry names the kernel's size once
    expect(await page.locator('#kernel-select option').allTextContents()).toEqual([
      'Edge Detect (3×3)',
      'Blur (3×3)',
      'Bottom Sobel (3×3)',
      'Emboss (3×3)',
      'Sharpen (3×3)',
      'Gaussian 5×5',
      'Vertical lines [[1, −1], [1, −1]] (2×2)',
      'Your numbers',
    ]);
    const before = await canvasHash(page, 'Filter');
    await page.getByRole('combobox', { name: 'Kernel', exact: true }).selectOption({ label: 'Bottom Sobel (3×3)' });
    await expect.poll(() => canvasHash(page, 'Filter')).not.toBe(before);
    const sobel = await canvasHash(page, 'Filter');
    await page.getByRole('combobox', { name: 'Kernel', exact: true }).selectOption('blur');
    await expect.poll(() => canvasHash(page, 'Filter')).not.toBe(sobel);
    expect(await page.locator('#kernel-sum').textContent()).toBe('Sum 1 · 3×3');
  });

  it('typing in the kernel grid updates the panels and the sum as you type, and flags what is not a number', async () => {
    await page.getByRole('combobox', { name: 'Kernel', exact: true }).selectOption('edge');
    const before = await canvasHash(page, 'Filter');
    const cell = page.getByRole('textbox', { name: 'Kernel row 2, column 2' });
    await cell.fill('9');
    await expect.poll(() => canvasHash(page, 'Filter')).not.toBe(before);
    expect(await page.locator('#kernel-sum').textContent()).toBe('Sum 1 · 3×3');
    expect(await page.getByRole('combobox', { name: 'Kernel', exact: true }).inputValue()).toBe('custom');
    await cell.fill('1/4');
    expect(await page.locator('#kernel-sum').textContent()).toBe('Sum −7.75 · 3×3');
    const good = await canvasHash(page, 'Filter');
    await cell.fill('abc');
    await expect.poll(() => page.locator('#kernel-error').textContent()).toMatch(/“abc” is not a number/);
    expect(await cell.getAttribute('aria-invalid')).toBe('true');
    expect(await canvasHash(page, 'Filter')).toBe(good);
    await cell.fill('8');
    await expect.poll(() => page.locator('#kernel-error').textContent()).toBe('');
    // Keyboard: ↑ adds one; a 5×5 kernel keeps the old values in its top-left corner.
    await cell.press('ArrowUp');
    expect(await cell.inputValue()).toBe('9');
    await page.getByRole('combobox', { name: 'Rows' }).selectOption('5');
    await page.getByRole('combobox', { name: 'Columns' }).selectOption('5');
    expect(await page.getByRole('textbox', { name: /^Kernel row \d, column \d$/ }).count()).toBe(25);
    expect(await page.locator('#kernel-sum').textContent()).toBe('Sum 1 · 5×5');
    await page.getByRole('combobox', { name: 'Stride' }).selectOption('2');
    await expect.poll(() => canvasHash(page, 'Filter')).toMatch(/^256x256:/);
    await page.getByRole('combobox', { name: 'Pool' }).selectOption('0');
    await expect.poll(() => canvasHash(page, 'Condense')).toMatch(/^256x256:/);
    await page.getByRole('combobox', { name: 'Stride' }).selectOption('1');
    await page.getByRole('combobox', { name: 'Pool' }).selectOption('2');
    await page.getByRole('combobox', { name: 'Kernel', exact: true }).selectOption('edge');
  });

  it('opens PNG, JPEG, GIF and BMP files from the file input and from a drop', async () => {
    await page.getByLabel('Open image').setInputFiles(join(repo, 'assets', 'images', 'chelsea.png'));
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^451x300:/);
    expect(await page.locator('#cap-input').textContent()).toContain('chelsea.png');
    expect(await page.getByRole('combobox', { name: 'Image', exact: true }).inputValue()).toBe('');
    await page.getByLabel('Open image').setInputFiles(join(repo, 'assets', 'images', 'rocket.jpg'));
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^640x427:/);
    await expect.poll(() => canvasHash(page, 'Filter')).toMatch(/^640x427:/);
    // a GIF shows its first frame; a BMP as it is
    const frames = [0, 1].map((i) => ({ width: 30, height: 20, pixels: new Array(600).fill(i) }));
    const anim = Buffer.from(gif([20, 30], frames, [0x000000, 0xffffff]));
    await page.getByLabel('Open image').setInputFiles({ name: 'anim.gif', mimeType: 'image/gif', buffer: anim });
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^30x20:/);
    const scan = Buffer.from(bmpOfRgb(new Uint8Array(10 * 40 * 3).fill(200), 10, 40));
    await page.getByLabel('Open image').setInputFiles({ name: 'scan.bmp', mimeType: 'image/bmp', buffer: scan });
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^40x10:/);
    expect(await page.locator('#cap-input').textContent()).toContain('scan.bmp');

    // A large image is shrunk to 800 pixels on its longest side before filtering.
    const big = new Uint8Array(1000 * 2000);
    for (let y = 0; y < 1000; y++) for (let x = 0; x < 2000; x++) big[y * 2000 + x] = (x >> 4) % 2 ? 230 : 20;
    const png = encodePng(new Tensor(big, [1000, 2000, 1], 'uint8'));
    await page.getByLabel('Open image').setInputFiles({ name: 'stripes.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^800x400:/);
    expect(await page.locator('#cap-input').textContent()).toBe('400×800 gray, shrunk from 1000×2000 · stripes.png');

    const base64 = readFileSync(join(repo, 'assets', 'images', 'camera.png')).toString('base64');
    const transfer = await page.evaluateHandle((b64) => {
      const dt = new DataTransfer();
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      return dt;
    }, base64);
    await page.dispatchEvent('#panels', 'drop', { dataTransfer: transfer });
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^512x512:/);
    expect(await page.locator('#cap-input').textContent()).toContain('dropped.png');
  });

  it('opens a CMYK or YCCK JPEG, which TensorFlow will not decode to gray, as rgbToGrayscale of its RGB, as the CLI does', async () => {
    /** TensorFlow's decode_jpeg RGB of each file (test/fixtures/tf-reference), decode_image's IDCT. */
    const tfRgb = JSON.parse(readFileSync(join(repo, 'test', 'fixtures', 'jpeg-suite', 'expected.json'), 'utf8'));
    for (const name of ['cmyk', 'ycck']) {
      const { shape, data } = tfRgb[name].fast['3'];
      const gray = rgbToGrayscale(new Tensor(new Uint8Array(Buffer.from(data, 'base64')), shape, 'uint8'));
      await page.getByLabel('Open image').setInputFiles({ name: 'want.png', mimeType: 'image/png', buffer: Buffer.from(encodePng(gray)) });
      // the caption once shown ("opening want.png…" comes first, before the canvas is drawn)
      await expect.poll(() => page.locator('#cap-input').textContent()).toBe(`${shape[0]}×${shape[1]} gray · want.png`);
      const want = await canvasHash(page, 'Input');
      await page.getByLabel('Open image').setInputFiles(join(repo, 'test', 'fixtures', 'jpeg-suite', `${name}.jpg`));
      await expect.poll(() => page.locator('#cap-input').textContent()).toBe(`${shape[0]}×${shape[1]} gray · ${name}.jpg`);
      expect(await page.locator('#image-error').textContent()).toBe('');
      expect(await canvasHash(page, 'Input')).toBe(want);
    }
    await page.getByLabel('Open image').setInputFiles(join(repo, 'assets', 'images', 'camera.png'));
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^512x512:/);
  });

  it('brings your image back from the Image menu, opens the same file again, shrinks a long strip, and blanks results that do not fit', async () => {
    const imageMenu = page.getByRole('combobox', { name: 'Image', exact: true });
    const choose = async (file: string | { name: string; mimeType: string; buffer: Buffer }) => {
      // through the file chooser, as a person does: the input keeps its file unless the page clears it
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByLabel('Open image').click()]);
      await chooser.setFiles(file);
    };
    await choose(join(repo, 'assets', 'images', 'rocket.jpg'));
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^640x427:/);
    await imageMenu.selectOption('chelsea.png');
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^451x300:/);
    await imageMenu.selectOption('');
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^640x427:/);
    expect(await page.locator('#cap-input').textContent()).toContain('rocket.jpg');
    await imageMenu.selectOption('chelsea.png');
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^451x300:/);
    await choose(join(repo, 'assets', 'images', 'rocket.jpg'));
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^640x427:/);

    // 1×2000: shrunk by 2 along its length only
    const strip = encodePng(
      new Tensor(
        new Uint8Array(2000).map((_, x) => ((x >> 3) % 2 ? 230 : 20)),
        [1, 2000, 1],
        'uint8',
      ),
    );
    await choose({ name: 'strip.png', mimeType: 'image/png', buffer: Buffer.from(strip) });
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^800x1:/);
    expect(await page.locator('#image-error').textContent()).toBe('');

    // 2×3 under VALID padding and a 3×3 kernel: the new image shows; the results are blanked, not the old image's
    await page.getByRole('combobox', { name: 'Padding' }).selectOption('valid');
    const tiny = encodePng(new Tensor(new Uint8Array(6).fill(128), [2, 3, 1], 'uint8'));
    await choose({ name: 'tiny.png', mimeType: 'image/png', buffer: Buffer.from(tiny) });
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^3x2:/);
    expect(await page.locator('#cap-input').textContent()).toContain('tiny.png');
    await expect
      .poll(() => page.locator('#kernel-error').textContent())
      .toBe('These settings do not fit this image: window height 3 is larger than the input height 2 under VALID padding.');
    expect(await page.locator('#cap-filter').textContent()).toBe('—');
    await page.getByRole('combobox', { name: 'Padding' }).selectOption('same');
    await expect.poll(() => page.locator('#kernel-error').textContent()).toBe('');

    // a kernel value float32 cannot hold is named as such
    const cell = page.getByRole('textbox', { name: 'Kernel row 1, column 1' });
    await cell.fill('1e39');
    await expect.poll(() => page.locator('#kernel-error').textContent()).toMatch(/“1e39” is beyond float32’s range/);
    await page.getByRole('combobox', { name: 'Kernel', exact: true }).selectOption('edge');
    await imageMenu.selectOption('camera.png');
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^512x512:/);
  });

  it('says clearly when a file cannot be opened, and keeps the current image', async () => {
    const before = await canvasHash(page, 'Input');
    const camera = readFileSync(join(repo, 'assets', 'images', 'camera.png'));
    const cases = [
      { name: 'cut.png', mimeType: 'image/png', buffer: camera.subarray(0, camera.length >> 1) },
      { name: 'noise.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) & 255)) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all') },
    ];
    for (const file of cases) {
      await page.getByLabel('Open image').setInputFiles(file);
      const alert = page.getByRole('alert').filter({ hasText: file.name });
      await expect
        .poll(() => alert.textContent())
        .toMatch(
          new RegExp(
            `“${file.name.replace('.', '\\.')}” could not be opened as a PNG, JPEG, GIF or BMP image: (data is truncated|data is not a known image format)`,
          ),
        );
    }
    // a header claiming 20000×20000 (a decompression bomb): refused, in words for the page, not for code
    const bomb = Buffer.from(encodePng(new Tensor(new Uint8Array(1), [1, 1, 1], 'uint8')));
    bomb.writeUInt32BE(20_000, 16);
    bomb.writeUInt32BE(20_000, 20);
    bomb.writeUInt32BE(crc32(bomb, 12, 29) >>> 0, 29);
    await page.getByLabel('Open image').setInputFiles({ name: 'bomb.png', mimeType: 'image/png', buffer: bomb });
    const refused = page.getByRole('alert').filter({ hasText: 'bomb.png' });
    await expect.poll(() => refused.textContent()).toMatch(/image is 20000×20000 = 400000000 pixels, above the limit of \d+\.$/);
    await page.screenshot({ path: join(shots, 'corrupt-file.png') });
    expect(await canvasHash(page, 'Input')).toBe(before);
    expect(await page.locator('#cap-input').textContent()).toMatch(/^512×512 gray · /);
    // A good file clears the message.
    await page.getByLabel('Open image').setInputFiles(join(repo, 'assets', 'images', 'camera.png'));
    await expect.poll(() => page.locator('#image-error').textContent()).toBe('');
  });

  it('says which file it is opening while it decodes (a large photo takes seconds, the page cannot repaint meanwhile)', async () => {
    await page.evaluate(() => {
      const caption = document.getElementById('cap-input')!;
      const seen: string[] = [];
      window.__inputCaptions = seen;
      new MutationObserver(() => seen.push(caption.textContent ?? '')).observe(caption, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    const png = encodePng(new Tensor(new Uint8Array(1200 * 1600).fill(90), [1200, 1600, 1], 'uint8'));
    await page.getByLabel('Open image').setInputFiles({ name: 'large.png', mimeType: 'image/png', buffer: Buffer.from(png) });
    await expect.poll(() => page.locator('#cap-input').textContent()).toBe('600×800 gray, shrunk from 1200×1600 · large.png');
    expect(await page.evaluate(() => window.__inputCaptions)).toContain('opening large.png…');
    await page.getByRole('combobox', { name: 'Image', exact: true }).selectOption('camera.png');
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^512x512:/);
  });

  it('says when the sums overflow float32 and blanks the maps, and names a fraction float32 cannot hold', async () => {
    await page.getByRole('combobox', { name: 'Rows' }).selectOption('1');
    await page.getByRole('combobox', { name: 'Columns' }).selectOption('2');
    const first = page.getByRole('textbox', { name: 'Kernel row 1, column 1' });
    const second = page.getByRole('textbox', { name: 'Kernel row 1, column 2' });
    await first.fill('3e38');
    await second.fill('0');
    // the brightest pixel is 1: 3e38 × 1, written as a person reads it (not 3.0000000054977558e+38)
    await expect.poll(() => page.locator('#cap-filter').textContent()).toMatch(/^512×512 · [\d.]+ to 3e\+38$/);
    await second.fill('3e38');
    await expect.poll(() => page.locator('#kernel-error').textContent()).toMatch(/^The filter’s sums overflow float32/);
    expect(await page.locator('#kernel-sum').textContent()).toBe('Sum 6e+38 · 1×2');
    for (const panel of ['filter', 'detect', 'condense']) expect(await page.locator(`#cap-${panel}`).textContent()).toBe('—');
    // 3.4e38 written out, over 0.1: beyond float32, as 1e39 is
    await second.fill(`34${'0'.repeat(37)}/0.1`);
    await expect.poll(() => page.locator('#kernel-error').textContent()).toMatch(/ is beyond float32’s range \(±3\.4e38\)/);
    await page.getByRole('combobox', { name: 'Kernel', exact: true }).selectOption('edge');
    await expect.poll(() => page.locator('#kernel-error').textContent()).toBe('');
    await expect.poll(() => page.locator('#cap-filter').textContent()).toMatch(/^512×512 · −2\.83 to 3\.93$/);
  });

  it("steps the lesson's 6×6 example: every product, then ReLU", async () => {
    const step = page.getByRole('button', { name: 'Step', exact: true });
    await step.scrollIntoViewIfNeeded();
    await step.click();
    await expect.poll(() => page.locator('#step-explain').textContent()).toBe('Row 1, column 1: 0×1 + 1×(−1) + 0×1 + 1×(−1) = −2');
    expect((await tableValues(page, /^Filter: conv2d/))[0][0]).toBe('−2');
    for (let i = 1; i < 9; i++) await step.click();
    await expect.poll(() => page.locator('#step-explain').textContent()).toBe('Row 2, column 4: 0×1 + 0×(−1) + 0×1 + 0×(−1) = 0');
    await page.locator('#numbers').screenshot({ path: join(shots, 'worked-example-step9.png') });
    // the window's weights read from a distance, and its rows keep their height as it moves
    const image = await page.evaluate(() => ({
      rows: Array.from(document.querySelectorAll('.matrix.image tr'), (r) => r.getBoundingClientRect().height),
      label: Number.parseFloat(getComputedStyle(document.querySelector('.matrix.image td.window')!, '::after').fontSize),
    }));
    expect(new Set(image.rows).size).toBe(1);
    expect(image.label).toBeGreaterThanOrEqual(11);
    // each output cell's four products sit as the 2×2 window they come from, large enough to read
    const output = await page.evaluate(() => {
      const cells = Array.from(document.querySelectorAll('.matrix.output')[0].querySelectorAll('td'));
      return {
        rows: Array.from(document.querySelectorAll('.matrix.output')[0].querySelectorAll('tr'), (r) => r.getBoundingClientRect().height),
        first: cells[0].querySelector('.products')!.textContent,
        lines: cells[0].querySelector('.products')!.getClientRects()[0].height,
        size: Number.parseFloat(getComputedStyle(cells[0].querySelector('.products')!).fontSize),
      };
    });
    expect(output.first).toBe('0 −1\n0 −1');
    expect(output.size).toBeGreaterThanOrEqual(10);
    expect(output.lines).toBeGreaterThan(1.8 * output.size); // drawn on two lines
    expect(new Set(output.rows).size).toBe(1);
    for (let i = 9; i < 25; i++) await step.click();
    expect((await tableValues(page, /^Filter: conv2d/)).map((r) => r.map(parseShown))).toEqual(LESSON_FILTER);
    expect((await tableValues(page, /^Detect: relu/)).flat().every((v) => v === '')).toBe(true);
    await step.click();
    expect((await tableValues(page, /^Detect: relu/)).map((r) => r.map(parseShown))).toEqual(LESSON_DETECT);
    await expect.poll(() => page.locator('#step-explain').textContent()).toContain('sets the 7 negative ones to 0');
    expect(await step.isDisabled()).toBe(true);
    await page.locator('#numbers').screenshot({ path: join(shots, 'worked-example-relu.png') });
    await page.getByRole('button', { name: 'Back', exact: true }).click();
    expect((await tableValues(page, /^Detect: relu/)).flat().every((v) => v === '')).toBe(true);
    // Play runs on by itself; Pause stops it.
    await page.getByRole('button', { name: 'Reset' }).click();
    await page.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => page.locator('#step-count').textContent(), { timeout: 10_000 }).toMatch(/Step [2-9] of 26/);
    await page.getByRole('button', { name: 'Pause' }).click();
    expect(await page.getByRole('button', { name: 'Play' }).getAttribute('aria-pressed')).toBe('false');
  });

  it('reads a digit drawn with the mouse, and shows feature maps and learned kernels', async () => {
    await drawStrokes(page, [
      [
        [0.25, 0.2],
        [0.75, 0.2],
        [0.45, 0.85],
      ],
    ]);
    await expect.poll(async () => (await lastPrediction(page))?.digit).toBe(7);
    const seven = (await lastPrediction(page))!;
    expect(seven.probability).toBeGreaterThan(0.5);
    expect(seven.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    await expect.poll(() => page.locator('#prediction').textContent()).toContain('The model reads 7');
    for (const name of ['conv2d', 'max_pooling2d', 'conv2d_1', 'max_pooling2d_1']) {
      await expect.poll(() => page.getByRole('img', { name: `Feature maps of ${name}`, exact: true }).isVisible()).toBe(true);
    }
    expect(await page.getByRole('button', { name: /^Learned kernel \d+: use it in the Filter panel$/ }).count()).toBe(16);
    await expectEvidence(page, 7);
    await page.locator('#digits').screenshot({ path: join(shots, 'digit-seven.png') });
    // the evidence for another digit, chosen from the menu
    const evidenceFor = page.getByRole('combobox', { name: 'Evidence for' });
    await evidenceFor.selectOption('1');
    await expectEvidence(page, 1);
    await evidenceFor.selectOption('');
    await expectEvidence(page, 7);

    await drawStrokes(page, [
      [
        [0.5, 0.12],
        [0.5, 0.88],
      ],
    ]);
    await expect.poll(async () => (await lastPrediction(page))?.digit).toBe(1);
    const zero = Array.from({ length: 17 }, (_, i) => [
      0.5 + 0.22 * Math.sin((i / 16) * 2 * Math.PI),
      0.5 - 0.32 * Math.cos((i / 16) * 2 * Math.PI),
    ]) as [number, number][];
    await drawStrokes(page, [zero]);
    await expect.poll(async () => (await lastPrediction(page))?.digit).toBe(0);

    // A learned kernel can be tried on the image.
    const before = await canvasHash(page, 'Filter');
    await page.getByRole('button', { name: 'Learned kernel 3: use it in the Filter panel' }).click();
    await expect.poll(() => canvasHash(page, 'Filter')).not.toBe(before);
    expect(await page.getByRole('combobox', { name: 'Kernel', exact: true }).inputValue()).toBe('custom');
    // keyboard focus moves up with the view, to the kernel now in use
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('kernel-select');
    await page.getByRole('combobox', { name: 'Kernel', exact: true }).selectOption('edge');
  });

  it('reads a digit drawn by touch and from the keyboard', async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    const pad = page.getByRole('img', { name: 'Digit drawing pad' });
    await pad.scrollIntoViewIfNeeded();
    const box = (await pad.boundingBox())!;
    const cdp = await context.newCDPSession(page);
    const at = (fx: number, fy: number) => [{ x: box.x + fx * box.width, y: box.y + fy * box.height }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0.5, 0.12) });
    for (let i = 1; i <= 12; i++)
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(0.5, 0.12 + (0.76 * i) / 12) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await cdp.detach();
    await expect.poll(async () => (await lastPrediction(page))?.digit).toBe(1);

    await page.getByRole('button', { name: 'Clear' }).click();
    await pad.focus();
    for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Space');
    for (let i = 0; i < 18; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await expect.poll(async () => (await lastPrediction(page))?.digit).toBe(1);
    await page.keyboard.press('Delete');
    await expect.poll(() => page.locator('#prediction').textContent()).toBe('Draw a digit to see what the model reads.');
  });

  it('draws a dot where the pad is clicked (a tap is the same pointer event) or the keyboard pen is put down', async () => {
    const pad = page.getByRole('img', { name: 'Digit drawing pad' });
    const lit = () =>
      pad.evaluate((canvas: HTMLCanvasElement) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] > 128) n++;
        return n;
      });
    const dot = Math.PI * 10 ** 2; // the medium pen is 20 px wide
    await page.getByRole('button', { name: 'Clear' }).click();
    await pad.scrollIntoViewIfNeeded();
    const box = (await pad.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(lit).toBeGreaterThan(0.8 * dot);
    expect(await lit()).toBeLessThan(1.2 * dot);
    await expect.poll(() => page.locator('#prediction').textContent()).not.toBe('Draw a digit to see what the model reads.');
    await page.getByRole('button', { name: 'Clear' }).click();
    await pad.focus();
    await page.keyboard.press('Space');
    await expect.poll(lit).toBeGreaterThan(0.8 * dot);
    await page.keyboard.press('Space');
    await page.keyboard.press('Delete');
  });

  it('labels every control, and reads on a phone-sized screen', async () => {
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('input, select, button, canvas, textarea, output'))
        .filter((e) => {
          const labelled = (e as HTMLInputElement).labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
          const text = e.tagName === 'BUTTON' ? e.textContent?.trim() : '';
          return !labelled && !text && e.tagName !== 'OUTPUT';
        })
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    expect(unnamed).toEqual([]);

    // every number in the kernel editor reads against its cell: WCAG's 4.5:1, for every preset
    const kernelMenu = page.getByRole('combobox', { name: 'Kernel', exact: true });
    const presets = await kernelMenu
      .locator('option')
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).filter((v) => v !== 'custom'));
    expect(presets.length).toBeGreaterThanOrEqual(6);
    for (const preset of presets) {
      await kernelMenu.selectOption(preset);
      const pairs = await page
        .getByRole('textbox', { name: /^Kernel row \d, column \d$/ })
        .evaluateAll((cells) => cells.map((c) => [getComputedStyle(c).color, getComputedStyle(c).backgroundColor]));
      const worst = Math.min(...pairs.map(([text, cell]) => contrastRatio(text, cell)));
      expect(worst, preset).toBeGreaterThanOrEqual(4.5);
    }
    await kernelMenu.selectOption('edge');

    // in forced colours (Windows high contrast) the kernel grid and the worked example keep their
    // colours: they are what the lesson shows
    const colours = () =>
      page.evaluate(() =>
        ['.kernel-cell', '.matrix td'].map((selector) => getComputedStyle(document.querySelector(selector)!).backgroundColor),
      );
    const normal = await colours();
    await page.emulateMedia({ forcedColors: 'active' });
    try {
      expect(await colours()).toEqual(normal);
    } finally {
      await page.emulateMedia({ forcedColors: 'none' });
    }

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(served.url);
    await phone.waitForFunction(() => window.__convlensReady === true, null, { timeout: 30_000 });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(shots, 'phone.png') });
    await phone.locator('#numbers').screenshot({ path: join(shots, 'phone-numbers.png') });
    await phone.close();
  });

  it('shows the kernel grid and the four panels on one screen at 125%, 150% and 200% zoom of a 1280×800 screen, and on a phone turned sideways', async () => {
    const zoomed = await context.newPage();
    for (const [width, height] of [
      [1024, 640],
      [853, 533],
      [640, 400],
      [844, 390],
    ]) {
      await zoomed.setViewportSize({ width, height });
      await zoomed.goto(served.url);
      await zoomed.waitForFunction(() => window.__convlensReady === true, null, { timeout: 30_000 });
      // from the highest to the lowest of the grid and the four pictures, whichever comes first
      const span = await zoomed.evaluate(() => {
        const boxes = Array.from(document.querySelectorAll('#kernel-grid, .panel canvas'), (e) => e.getBoundingClientRect());
        return Math.max(...boxes.map((b) => b.bottom)) - Math.min(...boxes.map((b) => b.top));
      });
      expect(span, `${width}×${height}`).toBeLessThanOrEqual(height);
    }
    await zoomed.close();
  });

  it("shows every menu's chosen entry whole at 200% zoom (1280×800 seen as 640×400)", async () => {
    const zoomed = await context.newPage();
    await zoomed.setViewportSize({ width: 640, height: 400 });
    await zoomed.goto(served.url);
    await zoomed.waitForFunction(() => window.__convlensReady === true, null, { timeout: 30_000 });
    // the text's width in the menu's font against the room left of the menu's arrow
    const clipped = await zoomed.evaluate(() => {
      const context = document.createElement('canvas').getContext('2d')!;
      return Array.from(document.querySelectorAll('select'))
        .filter((select) => {
          const style = getComputedStyle(select);
          context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const room = select.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight) - 20;
          return context.measureText(select.options[select.selectedIndex].text).width > room;
        })
        .map((select) => select.id);
    });
    expect(clipped).toEqual([]);
    await zoomed.close();
  });

  it('redraws the four panels of a 512×512 image after every kernel edit, and reports how long it took', async () => {
    await page.getByRole('combobox', { name: 'Image', exact: true }).selectOption('camera.png');
    await expect.poll(() => canvasHash(page, 'Input')).toMatch(/^512x512:/);
    const cell = page.getByRole('textbox', { name: 'Kernel row 2, column 2' });
    await cell.scrollIntoViewIfNeeded();
    for (let i = 0; i < 30; i++) await cell.press(i % 2 ? 'ArrowUp' : 'ArrowDown');
    const timings = await page.evaluate(() => window.__convlensTimings!.redraws.filter((t) => t.cause === 'kernel-edit').slice(-20));
    expect(timings.length).toBe(20);
    expect(timings.every((t) => t.width === 512 && t.height === 512)).toBe(true);
    const sorted = timings.map((t) => t.ms).sort((a, b) => a - b);
    const median = (sorted[9] + sorted[10]) / 2;
    // reported, not asserted (a shared machine's timings are noise): bench/playground.js measures the 50 ms target
    console.log(`playground: redraw after a kernel edit, 512×512, median of 20: ${median.toFixed(1)} ms (target 50 ms)`);
  });

  it('shows what each filter of the last convolution looks for, computed in the page a few filters at a time', async () => {
    await expect.poll(() => page.evaluate(() => window.__convlensPatterns?.()?.images.length), { timeout: 60_000 }).toBe(32);
    const { layerName, images } = (await page.evaluate(() => window.__convlensPatterns?.()))!;
    expect(layerName).toBe('conv2d_1');
    expect(await page.locator('#patterns-caption').textContent()).toMatch(/^conv2d_1: its 32 filters/);
    const { modelJson, weightData } = shippedModel();
    // the page's turns of four filters give what one call for all 32 gives, on the page's backend
    const model = fromArtifacts(modelJson, weightData);
    // (the ascent's steps follow max pooling's choices, which rounding can tip: the js backend's patterns differ by up to 0.1)
    const previous = getBackend();
    setBackend('wasm');
    const all = filterPatterns(model, layerName, { filters: Array.from({ length: 32 }, (_, i) => i) });
    setBackend(previous);
    expectClose(images.flat(), all.patterns, 1e-4, 'patterns');
    // and each is what its filter looks for: tfjs finds its mean response (before the ReLU) higher than on the gray start
    for (const layer of (modelJson.modelTopology as { config: { layers: { config: { name: string; activation?: string } }[] } }).config
      .layers) {
      if (layer.config.name === layerName) layer.config.activation = 'linear';
    }
    const tfjsModel = await tfjsLoad(modelJson, weightData);
    const upTo = tfl.model({ inputs: tfjsModel.inputs, outputs: tfjsModel.getLayer(layerName).output as tfl.SymbolicTensor });
    const responses = (batch: number[][]) =>
      (tf.mean(upTo.predict(tf.tensor(batch.flat(), [batch.length, 28, 28, 1])) as tf.Tensor, [1, 2]).arraySync() as number[][]).map(
        (row, i) => row[i],
      );
    const gray = Array.from({ length: 32 }, () => new Array(28 * 28).fill(0.5));
    const [before, after] = [responses(gray), responses(images)];
    expect(after.filter((r, i) => r > before[i]).length).toBe(32);
    const shown = await page
      .getByRole('img', { name: 'What the filters of conv2d_1 look for', exact: true })
      .evaluate((c: HTMLCanvasElement) => [c.width, c.height]);
    // 8 columns and 4 rows of 28×28 tiles at three times their size, 2 pixels apart and from the edges
    expect(shown).toEqual([8 * 84 + 9 * 2, 4 * 84 + 5 * 2]);
  });

  it('opens a Keras model of your own and shows what each of its layers makes of the image', async () => {
    const section = page.locator('#your-model');
    const runs = () => page.evaluate(() => window.__convlensModelRuns?.length ?? 0);
    await page.locator('#model-file').setInputFiles(kerasFixture('convnet.keras'));
    await expect.poll(runs).toBe(1);
    const run = (await page.evaluate(() => window.__convlensModelRuns?.at(-1)))!;
    expect(run.model).toBe('sequential');
    expect(run.inputShape).toEqual([1, 12, 12, 1]);
    // each layer's output as tfjs-layers computes it, with the same network and weights, from the page's input
    const tfjs = tfjsConvnet();
    const x = tf.tensor(run.input, run.inputShape);
    expect(run.outputs.map((o) => o.layer)).toEqual(CONVNET_LAYERS);
    run.outputs.forEach(({ layer, shape, data }, i) => {
      const upTo = tfl.model({ inputs: tfjs.inputs, outputs: tfjs.layers[i].output as tfl.SymbolicTensor });
      const expected = upTo.predict(x) as tf.Tensor;
      expect(shape, layer).toEqual(expected.shape);
      expectClose(data, expected.dataSync(), 1e-4, layer);
    });
    for (const name of ['conv2d', 'max_pooling2d', 'batch_normalization', 'conv2d_1']) {
      await expect.poll(() => section.getByRole('img', { name: `Feature maps of ${name}`, exact: true }).isVisible()).toBe(true);
    }
    expect(await section.locator('#model-summary').textContent()).toContain('conv2d_1 (Conv2D)');
    // another image in section 1: the model runs on it
    await page.getByRole('combobox', { name: 'Image', exact: true }).selectOption('chelsea.png');
    await expect.poll(runs).toBe(2);
    const again = (await page.evaluate(() => window.__convlensModelRuns?.at(-1)))!;
    expect(again.input).not.toEqual(run.input);
    // a file that holds no model says so
    await page.locator('#model-file').setInputFiles(kerasFixture('convnet.weights.h5'));
    await expect
      .poll(() => section.locator('#model-status').textContent())
      .toContain(
        "“convnet.weights.h5” could not be opened: convnet.weights.h5 is an HDF5 file, which holds a Keras model's weights without the model",
      );
    await page.getByRole('combobox', { name: 'Image', exact: true }).selectOption('camera.png');
  });

  it('opens a channels-first Keras model too: fed [1, C, H, W], its maps drawn as C maps of H×W', async () => {
    const section = page.locator('#your-model');
    const before = await page.evaluate(() => window.__convlensModelRuns?.length ?? 0);
    await page.locator('#model-file').setInputFiles(kerasFixture('channels_first.keras'));
    await expect.poll(() => page.evaluate(() => window.__convlensModelRuns?.length ?? 0)).toBe(before + 1);
    const run = (await page.evaluate(() => window.__convlensModelRuns?.at(-1)))!;
    expect(run.model).toBe('channels_first');
    expect(run.inputShape).toEqual([1, 1, 12, 12]);
    const tfjs = tfjsChannelsFirst();
    const x = tf.tensor(run.input, run.inputShape);
    run.outputs.forEach(({ layer, shape, data }, i) => {
      const upTo = tfl.model({ inputs: tfjs.inputs, outputs: tfjs.layers[i].output as tfl.SymbolicTensor });
      const expected = upTo.predict(x) as tf.Tensor;
      expect(shape, layer).toEqual(expected.shape);
      expectClose(data, expected.dataSync(), 1e-4, layer);
    });
    // conv2d_1's [1, 6, 5, 5] output: six maps of 5×5
    await expect.poll(() => section.getByRole('img', { name: 'Feature maps of conv2d_1', exact: true }).isVisible()).toBe(true);
    expect(await section.locator('figcaption').filter({ hasText: 'conv2d_1' }).textContent()).toContain('6 maps of 5×5');
  });

  it('has made no request beyond loopback and logged no errors', () => {
    expect(blocked).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('playground as a static build on another web server', () => {
  it('works without the serve command: no isolation, so the wasm backend runs on one thread', async () => {
    const server = await plainStaticServer(built);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const { port } = server.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => window.__convlensReady === true, null, { timeout: 30_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      await expect
        .poll(() => page.locator('#status').textContent())
        .toContain('wasm, SIMD, 1 thread (one thread: the page is not cross-origin isolated)');
      expect(await canvasHash(page, 'Filter')).toMatch(/^512x512:/);
      await drawStrokes(page, [
        [
          [0.5, 0.12],
          [0.5, 0.88],
        ],
      ]);
      await expect.poll(async () => (await lastPrediction(page))?.digit).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      server.close();
    }
  }, 60_000);
});
