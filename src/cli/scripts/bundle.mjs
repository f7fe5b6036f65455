// Bundles the command (dist/cli/main.js) and the extract worker (dist/cli/extract_worker.js) in
// place, after tsc, with their dependencies, into a few files in dist/cli. Why: Node resolves,
// reads and compiles each ES module on its own, and the ~60 modules of an extract worker took
// ~100 ms to load in every worker thread; bundled they take about half. Shared code goes into
// chunk files beside the entries, so relative URLs (import.meta.url) keep pointing where they did.
// Run by `npm run build` after tsc.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'cli');

for (const file of readdirSync(cli)) if (file.startsWith('chunk-')) rmSync(join(cli, file));

const common = {
  outdir: cli,
  allowOverwrite: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS dependencies (commander) call require for Node's modules: give ES modules one
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
};
// The command: shared code in chunks, so that its subcommands load only what they use.
await esbuild.build({ ...common, entryPoints: [join(cli, 'main.js')], splitting: true, chunkNames: 'chunk-[hash]' });
// The extract worker in one file: every worker thread loads it, and each extra module costs it
// a resolve, a read and a compile before its first image.
await esbuild.build({ ...common, entryPoints: [join(cli, 'extract_worker.js')] });
