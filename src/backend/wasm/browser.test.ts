import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The wasm backend in a real browser (Debian's Chromium through playwright-core), loaded straight
// from dist/ as ES modules: with cross-origin isolation it must use shared memory and workers,
// without it one thread and private memory; both must agree with the js backend.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const chromium = '/usr/bin/chromium';
const ready = existsSync(chromium) && existsSync(`${root}dist/backend/wasm/index.js`) && existsSync(`${root}node_modules/playwright-core`);

const page = `<!doctype html><script type="module">
const w = await import('/dist/backend/wasm/index.js');
const { jsBackend } = await import('/dist/backend/js/index.js');
const info = { batch: 2, inHeight: 40, inWidth: 40, inChannels: 8, outHeight: 40, outWidth: 40, outChannels: 16, filterHeight: 3,
  filterWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 1, padLeft: 1 };
const x = new Float32Array(2 * 40 * 40 * 8).map((_, i) => Math.sin(i));
const f = new Float32Array(9 * 8 * 16).map((_, i) => Math.cos(i));
const a = new Float32Array(2 * 40 * 40 * 16);
const b = new Float32Array(a.length);
jsBackend.conv2d(x, f, info, a, { activation: 'relu' });
const errors = [];
for (const threads of [2, 1, 3, 2]) {
  w.setThreads(threads);
  await new Promise((r) => setTimeout(r, 200)); // a page's main thread cannot block while workers start
  for (let i = 0; i < 3; i++) {
    b.fill(NaN);
    w.wasmBackend.conv2d(x, f, info, b, { activation: 'relu' });
    let err = 0;
    for (let j = 0; j < a.length; j++) err = Math.max(err, Math.abs(a[j] - b[j]) / Math.max(1, Math.abs(a[j])));
    errors.push(err);
  }
}
window.result = { features: w.wasmFeatures(), threads: w.getThreads(), worst: Math.max(...errors) };
</script>`;

function serve(isolated: boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const headers: Record<string, string> = isolated
      ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
      : {};
    if (url === '/') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html' });
      res.end(page);
      return;
    }
    const file = `${root}${url.slice(1)}`;
    if (!url.startsWith('/dist/') || url.includes('..') || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/javascript' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!ready)('wasm backend in Chromium', () => {
  let servers: Server[] = [];
  beforeAll(async () => {
    servers = [await serve(true), await serve(false)];
  });
  afterAll(() => {
    for (const server of servers) server.close();
  });

  it('runs threaded when cross-origin isolated and single-threaded otherwise, agreeing with js', async () => {
    const { chromium: launcher } = await import('playwright-core');
    const browser = await launcher.launch({ executablePath: chromium, args: ['--no-sandbox'] });
    try {
      const results = [];
      for (const server of servers) {
        const tab = await browser.newPage();
        await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        await tab.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 60_000 });
        results.push(await tab.evaluate(() => (window as unknown as { result: unknown }).result));
      }
      const [isolated, plain] = results as { features: { sharedMemory: boolean }; threads: number; worst: number }[];
      expect(isolated.features.sharedMemory).toBe(true);
      expect(isolated.threads).toBe(2);
      expect(isolated.worst).toBeLessThan(1e-4);
      expect(plain.features.sharedMemory).toBe(false);
      expect(plain.threads).toBe(1);
      expect(plain.worst).toBeLessThan(1e-4);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
