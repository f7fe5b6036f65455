// Builds the playground into dist/web: the page's TypeScript and the convlens library (from src/,
// wasm kernels included as base64) bundled by esbuild into one ES module, plus the HTML, CSS,
// the shipped MNIST model and the sample images from assets/images. Run by `npm run build`.
//   node web/build.mjs           build once
//   node web/build.mjs --watch   rebuild on change (with `node dist/cli/main.js serve` beside it)
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const web = dirname(fileURLToPath(import.meta.url));
const repo = join(web, '..');
const out = join(repo, 'dist', 'web');
const watch = process.argv.includes('--watch');

const SAMPLES = ['camera.png', 'chelsea.png', 'rocket.jpg', 'LICENSES.md'];

if (!existsSync(join(repo, 'src', 'backend', 'wasm', 'generated', 'binaries.ts'))) {
  console.error('web/build.mjs: the wasm kernels are not built yet (run node src/backend/wasm/scripts/build.mjs first, or npm run build)');
  process.exit(1);
}

/**
 * The browser has no worker_threads, os, v8 or zlib: the wasm backend picks its browser platform
 * and the PNG decoder its JavaScript inflate at run time, so their Node modules are replaced by
 * empty ones instead of being bundled.
 */
const browserOnly = {
  name: 'convlens-browser-only',
  setup(build) {
    build.onResolve({ filter: /(platform_node|zlib_node)\.js$/ }, (args) => ({
      path: args.path.includes('zlib_node') ? 'zlib_node' : 'platform_node',
      namespace: 'convlens-stub',
    }));
    build.onLoad({ filter: /.*/, namespace: 'convlens-stub' }, (args) => ({
      contents:
        args.path === 'zlib_node'
          ? 'export const inflateNode = undefined; export const crc32Node = undefined;'
          : 'export const platform = undefined;',
      loader: 'js',
    }));
  },
};

/** Fails the build if the bundle would import a Node module when it loads (only lazy imports may stay). */
const noStaticNodeImports = {
  name: 'convlens-no-static-node-imports',
  setup(build) {
    build.onEnd((result) => {
      if (!result.metafile) return;
      for (const [file, output] of Object.entries(result.metafile.outputs)) {
        for (const imp of output.imports ?? []) {
          if (imp.external && imp.path.startsWith('node:') && imp.kind === 'import-statement') {
            result.errors.push({
              text: `${relative(repo, file)} imports ${imp.path} when it loads; browsers cannot (a library module must load it lazily)`,
            });
          }
        }
      }
    });
  },
};

function copyStatic() {
  mkdirSync(out, { recursive: true });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(web, file), join(out, file));
  cpSync(join(web, 'public'), out, { recursive: true });
  mkdirSync(join(out, 'samples'), { recursive: true });
  for (const file of SAMPLES) copyFileSync(join(repo, 'assets', 'images', file), join(out, 'samples', file));
}

const options = {
  entryPoints: [join(web, 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  // Only reached through lazy `await import('node:…')` in Node-only code paths.
  external: ['node:*'],
  minify: true,
  sourcemap: watch ? 'linked' : false,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [browserOnly, noStaticNodeImports],
};

rmSync(out, { recursive: true, force: true });
copyStatic();
if (watch) {
  const context = await esbuild.context({
    ...options,
    plugins: [...options.plugins, { name: 'copy', setup: (b) => b.onEnd(() => copyStatic()) }],
  });
  await context.watch();
  console.log(`playground: watching web/ and src/, writing ${relative(repo, out)}`);
} else {
  const result = await esbuild.build(options);
  const bytes = result.metafile.outputs[relative(process.cwd(), join(out, 'app.js'))]?.bytes;
  console.log(`playground: wrote ${relative(repo, out)}${bytes ? ` (app.js ${(bytes / 1024).toFixed(0)} KiB)` : ''}`);
}
