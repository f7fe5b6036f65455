/**
 * Benchmark of `convlens extract` on many files (issue 5's target): a folder of 200 sample images
 * with --jobs 1 and --jobs 2, wall time (median of 3 runs each, interleaved), and peak memory
 * (the process's maxRSS, from the run's --json summary) for 50, 200 and 400 images, to show it
 * does not grow with their number. Needs `npm run build` first.
 *
 *   node bench/cli.js [--images 200] [--runs 3] [--quick]
 *
 * Prints a table; exits 0 whatever the numbers are (shared machines are noisy: read the ratio).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const samples = join(root, 'assets', 'images');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = args.includes('--quick');
const count = option('--images', quick ? 60 : 200);
const runs = option('--runs', quick ? 1 : 3);

const work = mkdtempSync(join(tmpdir(), 'convlens-bench-cli-'));
/** A folder of n images, copies of the sample photos (512×512 gray, 451×300 RGB, 640×427 JPEG). */
function folder(n) {
  const dir = join(work, `in-${n}`);
  mkdirSync(dir, { recursive: true });
  const files = readdirSync(samples).filter((f) => /\.(png|jpe?g)$/i.test(f));
  for (let i = 0; i < n; i++) {
    const f = files[i % files.length];
    copyFileSync(join(samples, f), join(dir, `${String(i).padStart(4, '0')}-${f}`));
  }
  return dir;
}

/** One run of extract; returns wall seconds and the summary's peak RSS. */
function extract(dir, jobs) {
  const out = join(work, `out-${jobs}-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const stdout = execFileSync(process.execPath, [cli, 'extract', dir, '--kernel', 'edge', '--out', out, '--jobs', String(jobs), '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)).summary;
  rmSync(out, { recursive: true, force: true });
  if (summary.failed) throw new Error(`${summary.failed} images failed`);
  return { seconds, rss: summary.maxRssMB, perImage: seconds / summary.written };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  console.log(
    `convlens extract benchmark: ${count} images, ${runs} run(s) per setting, ${availableParallelism()} cores, Node ${process.version}`,
  );
  const dir = folder(count);
  const times = { 1: [], 2: [] };
  for (let r = 0; r < runs; r++) for (const jobs of [1, 2]) times[jobs].push(extract(dir, jobs).seconds);
  const t1 = median(times[1]);
  const t2 = median(times[2]);
  console.log('');
  console.log('| jobs | median wall time (s) | images/s |');
  console.log('| ---: | ---: | ---: |');
  console.log(`| 1 | ${t1.toFixed(2)} | ${(count / t1).toFixed(1)} |`);
  console.log(`| 2 | ${t2.toFixed(2)} | ${(count / t2).toFixed(1)} |`);
  console.log(`\nspeed-up with --jobs 2: ${(t1 / t2).toFixed(2)}× (target ≥ 1.7×)`);

  console.log('\n| images | peak RSS, --jobs 2 (MB) |');
  console.log('| ---: | ---: |');
  for (const n of quick ? [20, count] : [50, count, 2 * count]) {
    const d = n === count ? dir : folder(n);
    console.log(`| ${n} | ${extract(d, 2).rss} |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
