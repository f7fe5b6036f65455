/**
 * Benchmark of the playground (issue 6's target): after a kernel edit, how long until the four
 * panels (Input, Filter, Detect, Condense) of a 512×512 image are redrawn, measured in the page
 * with performance.now() from the key event's timestamp until the last canvas holds its pixels
 * (`window.__convlensTimings`), in Debian's headless Chromium driven by playwright-core. Also the
 * time until the next animation frame (the browser paints right after it). Needs `npm run build`.
 *
 *   node bench/playground.js [--edits 60] [--kernel 3|5|7] [--json]
 *
 * Prints the median for the wasm backend (threads: the page is served cross-origin isolated by
 * `convlens serve`) and the js backend, with the load average: on a shared machine whose cores
 * are busy the numbers grow. Never fails on the numbers.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS } from '../web/chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_MS = 50;
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const edits = option('--edits', 60);
const kernelSize = option('--kernel', 3);
const json = args.includes('--json');

if (!existsSync(join(root, 'dist', 'web', 'index.html')) || !existsSync(join(root, 'dist', 'cli', 'serve.js'))) {
  console.error('bench/playground.js: build first (npm run build)');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`bench/playground.js: ${CHROMIUM} is absent (apt-get install -y chromium)`);
  process.exit(1);
}

const { startServer } = await import(join(root, 'dist', 'cli', 'serve.js'));
const { chromium } = await import('playwright-core');

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

const server = await startServer({ port: 0 });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: CHROMIUM_ARGS,
});
const results = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  await page.waitForFunction(() => window.__convlensReady === true, null, { timeout: 60_000 });
  const isolated = await page.evaluate(() => crossOriginIsolated);
  const status = await page.locator('#status').textContent();
  if (kernelSize !== 3) {
    await page.getByRole('combobox', { name: 'Rows' }).selectOption(String(kernelSize));
    await page.getByRole('combobox', { name: 'Columns' }).selectOption(String(kernelSize));
  }
  const cell = page.getByRole('textbox', { name: 'Kernel row 2, column 2' });
  for (const backend of ['wasm', 'js']) {
    await page.getByRole('combobox', { name: 'Backend' }).selectOption(backend);
    const before = await page.evaluate(() => window.__convlensTimings.redraws.length);
    // Warm-up edits (JIT tiers), then the measured ones.
    for (let i = 0; i < 10 + edits; i++) {
      await cell.press(i % 2 ? 'ArrowUp' : 'ArrowDown');
    }
    await page.waitForTimeout(200);
    const timings = await page.evaluate((from) => window.__convlensTimings.redraws.slice(from), before);
    const measured = timings.filter((t) => t.cause === 'kernel-edit').slice(10);
    const size = measured[0] ? `${measured[0].width}×${measured[0].height}` : '?';
    results.push({
      backend,
      image: size,
      kernel: `${kernelSize}×${kernelSize}`,
      edits: measured.length,
      medianMs: quantile(
        measured.map((t) => t.ms),
        0.5,
      ),
      p90Ms: quantile(
        measured.map((t) => t.ms),
        0.9,
      ),
      medianComputeMs: quantile(
        measured.map((t) => t.computeMs),
        0.5,
      ),
      medianDrawMs: quantile(
        measured.map((t) => t.drawMs),
        0.5,
      ),
      medianColorizeMs: quantile(
        measured.map((t) => t.colorizeMs),
        0.5,
      ),
      medianFrameMs: quantile(
        measured.filter((t) => t.frameMs !== undefined).map((t) => t.frameMs),
        0.5,
      ),
    });
  }
  const load = loadavg().map((l) => l.toFixed(2));
  if (json) {
    console.log(JSON.stringify({ targetMs: TARGET_MS, crossOriginIsolated: isolated, status, loadavg: load, results }, null, 2));
  } else {
    console.log(`Playground: redraw of the four panels after a kernel edit (headless Chromium, ${status?.replace(/^Ready\. /, '')})`);
    console.log(`cross-origin isolated: ${isolated}; load average ${load.join(' ')}; ${edits} edits per backend after 10 warm-up edits\n`);
    console.log('backend  image    kernel  median   p90      conv+relu+pool  colour+draw (viz.colorize)  to next frame');
    for (const r of results) {
      const ms = (v) => `${v.toFixed(1)} ms`.padEnd(9);
      console.log(
        `${r.backend.padEnd(9)}${r.image.padEnd(9)}${r.kernel.padEnd(8)}${ms(r.medianMs)}${ms(r.p90Ms)}${ms(r.medianComputeMs).padEnd(16)}${`${r.medianDrawMs.toFixed(1)} (${r.medianColorizeMs.toFixed(1)}) ms`.padEnd(28)}${ms(r.medianFrameMs)}`,
      );
    }
    const wasm = results.find((r) => r.backend === 'wasm');
    console.log(
      `\nwasm median ${wasm.medianMs.toFixed(1)} ms: ${wasm.medianMs <= TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target (issue 6).`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
