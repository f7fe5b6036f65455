/**
 * The package as another project uses it: `import ... from 'convlens'` resolved through
 * package.json (a temporary project whose node_modules/convlens links to this repository, built).
 * The README's tour and the examples of docs/layers.md type-check as TypeScript (the dataset ones
 * run); the declarations need no Node types, so a browser project type-checks them; a browser
 * bundle (esbuild, platform browser) has no Node module in it and computes in Chromium what Node
 * computes; and require() says the package is an ES module.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../web/chromium.mjs';

const repo = fileURLToPath(new URL('../', import.meta.url));
const require = createRequire(import.meta.url);
let project: string;

beforeAll(() => {
  if (!existsSync(join(repo, 'dist', 'index.js'))) throw new Error('dist is not built: run npm run build first');
  project = mkdtempSync(join(tmpdir(), 'convlens-consumer-'));
  // its own package.json: Node and esbuild must not take one of a folder above for the project's
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'convlens-consumer', private: true }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(repo, join(project, 'node_modules', 'convlens'), 'dir');
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** tsc's messages for the project's files under these options ('' when it compiles). */
function typeCheck(files: Record<string, string>, compilerOptions: Record<string, unknown>): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, name), text);
  const config = {
    compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', ...compilerOptions },
    files: Object.keys(files),
  };
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(config));
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project, '--pretty', 'false'], { encoding: 'utf8' });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

const nodeProject = {
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  types: ['node'],
  typeRoots: [join(repo, 'node_modules', '@types')],
};

describe('the package in another project', { timeout: 120_000 }, () => {
  it("the README's tour type-checks as written (strict TypeScript, NodeNext)", () => {
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const tour = /## A short tour of the API\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(tour).toContain("from 'convlens'");
    expect(typeCheck({ 'tour.mts': tour! }, nodeProject)).toBe('');
  });

  it("docs/layers.md's functional API example type-checks as written", () => {
    const reference = readFileSync(join(repo, 'docs', 'layers.md'), 'utf8');
    const example = /Keras' functional API:[\s\S]*?```ts\n([\s\S]*?)```/.exec(reference)?.[1];
    expect(example).toContain('layers.model(');
    expect(typeCheck({ 'functional.mts': example!.replace(/^ {2}/gm, '') }, nodeProject)).toBe('');
  });

  it("docs/layers.md's example of several inputs and outputs type-checks as written", () => {
    const reference = readFileSync(join(repo, 'docs', 'layers.md'), 'utf8');
    const example = /Several inputs and outputs, as in Keras[\s\S]*?```ts\n([\s\S]*?)```/.exec(reference)?.[1];
    expect(example).toContain('outputs: [label, score]');
    expect(typeCheck({ 'multi_io.mts': example!.replace(/^ {2}/gm, '') }, nodeProject)).toBe('');
  });

  it("docs/layers.md's nested models example type-checks as written", () => {
    const reference = readFileSync(join(repo, 'docs', 'layers.md'), 'utf8');
    const example = /A model is a layer too[\s\S]*?```ts\n([\s\S]*?)```/.exec(reference)?.[1];
    expect(example).toContain('augmentation.apply(inputs)');
    expect(typeCheck({ 'nested.mts': example!.replace(/^ {2}/gm, '') }, nodeProject)).toBe('');
  });

  it("docs/layers.md's weight penalties and constraints example type-checks as written", () => {
    const reference = readFileSync(join(repo, 'docs', 'layers.md'), 'utf8');
    const example = /\*\*Weight penalties and constraints\*\*[\s\S]*?```ts\n([\s\S]*?)```/.exec(reference)?.[1];
    expect(example).toContain('regularizers.l2(');
    expect(typeCheck({ 'penalties.mts': example!.replace(/^ {2}/gm, '') }, nodeProject)).toBe('');
  });

  it("docs/layers.md's dataset example of several inputs and outputs runs as written", () => {
    const reference = readFileSync(join(repo, 'docs', 'layers.md'), 'utf8');
    const example = /Any async iterable of batches is a dataset[\s\S]*?```js\n([\s\S]*?)```/.exec(reference)?.[1];
    expect(example).toContain('await net.fit(dataset,');
    const report =
      'console.log(JSON.stringify([Object.keys(history.history), typeof loss, typeof label_accuracy, probabilities.shape, scores.shape]));';
    writeFileSync(join(project, 'dataset.mjs'), `${example!.replace(/^ {2}/gm, '')}${report}\n`);
    const printed = execFileSync(process.execPath, [join(project, 'dataset.mjs')], { encoding: 'utf8' });
    expect(JSON.parse(printed)).toEqual([
      ['loss', 'label_loss', 'score_loss', 'label_accuracy', 'val_loss', 'val_label_loss', 'val_score_loss', 'val_label_accuracy'],
      'number',
      'number',
      [64, 3],
      [64, 1],
    ]);
  });

  it("docs/layers.md's tf.data example runs as written (tfjs-data, as a project that has it installs it)", () => {
    const reference = readFileSync(join(repo, 'docs', 'layers.md'), 'utf8');
    const example = /A TensorFlow\.js `tf\.data` dataset is one too[\s\S]*?```js\n([\s\S]*?)```/.exec(reference)?.[1];
    expect(example).toContain('batchesPerEpoch: 10');
    const tensorflow = join(project, 'node_modules', '@tensorflow');
    if (!existsSync(tensorflow)) symlinkSync(join(repo, 'node_modules', '@tensorflow'), tensorflow, 'dir');
    const report = 'console.log(JSON.stringify([history.epoch, Object.keys(history.history), typeof loss, typeof accuracy]));';
    writeFileSync(join(project, 'tf_data.mjs'), `${example!.replace(/^ {2}/gm, '')}${report}\n`);
    const printed = execFileSync(process.execPath, [join(project, 'tf_data.mjs')], { encoding: 'utf8' });
    expect(JSON.parse(printed.trim().split('\n').at(-1)!)).toEqual([
      [0, 1, 2],
      ['loss', 'accuracy', 'val_loss', 'val_accuracy'],
      'number',
      'number',
    ]);
  });

  it('its declarations need no Node types (a browser project type-checks them) and carry dtypes through the ops', () => {
    const page = [
      "import { cast, constant, expandDims, image, layers, nn, ones, reshape, squeeze, tensor, transpose, viz, zeros } from 'convlens';",
      'const x = tensor(new Float32Array(16), [1, 4, 4, 1]);',
      'const y = nn.maxPool2d({ input: nn.relu(x), ksize: 2, strides: 2, padding: "SAME" });',
      'const model = new layers.Sequential([new layers.Flatten({ inputShape: [2, 2, 1] })]);',
      'export const shapes: number[][] = [y.shape, model.predict(y).shape, image.resize(x, [2, 2]).shape];',
      'export const svg: string = viz.showKernel(tensor([[1, -1]])).svg;',
      // dtypes carried through the lesson's ops, so typed data needs no casts
      "const k = reshape(cast(constant([[1, -1], [1, -1]]), 'float32'), [2, 2, 1, 1]);",
      "export const detected: Float32Array = squeeze(nn.relu(nn.conv2d({ input: expandDims(zeros([4, 4, 1]), 0), filters: k, padding: 'VALID' }))).data;",
      "export const counts: Int32Array = transpose(tensor([[1, 2]], [1, 2], 'int32')).data;",
      'export const sigmoids: Float32Array = nn.sigmoid(ones([2])).data;',
    ].join('\n');
    const browserProject = { module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], types: [] };
    expect(typeCheck({ 'page.ts': page }, browserProject)).toBe('');
  });

  it('require() says it is an ES module and how to load it; TypeScript refuses it in CommonJS', () => {
    writeFileSync(join(project, 'load.cjs'), "require('convlens');\n");
    let message = '';
    try {
      execFileSync(process.execPath, [join(project, 'load.cjs')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      message = String((error as { stderr?: string }).stderr);
    }
    expect(message).toContain("convlens is an ES module and cannot be loaded with require(): use `import { nn } from 'convlens'`");
    writeFileSync(join(project, 'dynamic.cjs'), "import('convlens').then(({ nn }) => console.log(typeof nn.conv2d));\n");
    expect(execFileSync(process.execPath, [join(project, 'dynamic.cjs')], { encoding: 'utf8' }).trim()).toBe('function');
    expect(typeCheck({ 'load.cts': "import { nn } from 'convlens';\nexport const conv = nn.conv2d;\n" }, nodeProject)).toMatch(
      /load\.cts.*no exported member 'nn'/,
    );
  });
});

describe('a browser bundle of the package', { timeout: 120_000 }, () => {
  const script = [
    "import { getBackend, nn, tensor } from 'convlens';",
    'const values = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);',
    'const input = tensor(values(1 * 37 * 29 * 3, 0), [1, 37, 29, 3]);',
    'const filters = tensor(values(3 * 3 * 3 * 5, 1), [3, 3, 3, 5]);',
    "const filtered = nn.conv2d({ input, filters, strides: [2, 1], padding: 'SAME' });",
    "const condensed = nn.maxPool2d({ input: nn.relu(filtered), ksize: 3, strides: 2, padding: 'SAME' });",
    'globalThis.result = { backend: getBackend(), shape: condensed.shape, data: Array.from(condensed.data) };',
  ].join('\n');
  /** The script bundled by esbuild for browsers (once; a failed build fails the tests that use it). */
  let built: Promise<string> | undefined;
  const bundle = () => {
    built ??= import('esbuild').then(async (esbuild) => {
      const result = await esbuild.build({
        stdin: { contents: script, resolveDir: project, loader: 'js' },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
      });
      return result.outputFiles[0].text;
    });
    return built;
  };

  it('has no Node module in it (the package.json browser field leaves them out)', async () => {
    const text = await bundle();
    expect(text.length).toBeGreaterThan(10_000);
    expect(text).not.toMatch(/["']node:[a-z_/]+["']/);
  });

  it.skipIf(!existsSync(CHROMIUM))('computes in Chromium what Node computes', async () => {
    const { chromium } = await import('playwright-core');
    const body = await bundle();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.route('http://bundle.test/**', (route) =>
        route.request().url().endsWith('/app.js')
          ? route.fulfill({ contentType: 'text/javascript', body })
          : route.fulfill({ contentType: 'text/html', body: '<!doctype html><script type="module" src="/app.js"></script>' }),
      );
      await page.goto('http://bundle.test/');
      await page.waitForFunction(() => 'result' in globalThis, null, { timeout: 30_000 });
      const inPage = await page.evaluate(
        () => (globalThis as unknown as { result: { backend: string; shape: number[]; data: number[] } }).result,
      );
      expect(errors).toEqual([]);
      writeFileSync(join(project, 'same.mjs'), `${script}\nconsole.log(JSON.stringify(globalThis.result));\n`);
      const inNode = JSON.parse(execFileSync(process.execPath, [join(project, 'same.mjs')], { encoding: 'utf8' }));
      expect(inPage.backend).toBe('wasm');
      expect(inPage.shape).toEqual([1, 10, 15, 5]);
      expect(inPage.data).toEqual(inNode.data);
    } finally {
      await browser.close();
    }
  });
});
