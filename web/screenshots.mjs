// Takes the README's screenshots of the playground (web/screenshots/*.jpg) in Debian's headless
// Chromium: the Filter → Detect → Condense section, the worked example half-way, and a drawn digit
// (with its Grad-CAM evidence and the last convolution's filter patterns).
//   npm run build && node web/screenshots.mjs
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';

const web = dirname(fileURLToPath(import.meta.url));
const out = join(web, 'screenshots');
const { startServer } = await import(join(web, '..', 'dist', 'cli', 'serve.js'));

mkdirSync(out, { recursive: true });
const server = await startServer({ port: 0 });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: CHROMIUM_ARGS,
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(server.url);
  await page.waitForFunction(() => window.__convlensReady === true, null, { timeout: 60_000 });
  await page.getByRole('combobox', { name: 'Kernel', exact: true }).selectOption('bottomSobel');
  await page.locator('#extract').screenshot({ path: join(out, 'filter-detect-condense.jpg'), quality: 82 });

  const step = page.getByRole('button', { name: 'Step', exact: true });
  for (let i = 0; i < 18; i++) await step.click();
  await page.locator('#numbers').screenshot({ path: join(out, 'worked-example.jpg'), quality: 85 });

  const pad = page.getByRole('img', { name: 'Digit drawing pad' });
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const at = (x, y) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(0.25, 0.2));
  await page.mouse.down();
  await page.mouse.move(...at(0.75, 0.2), { steps: 10 });
  await page.mouse.move(...at(0.45, 0.85), { steps: 14 });
  await page.mouse.up();
  await page.waitForTimeout(300);
  // the filter patterns are computed a few at a time after the model loads, and published when all are
  await page.waitForFunction(() => window.__convlensPatterns?.() !== undefined, null, { timeout: 60_000 });
  await page.locator('#digits').screenshot({ path: join(out, 'digit.jpg'), quality: 82 });
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await server.close();
}
