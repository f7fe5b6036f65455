/**
 * Benchmark of `convlens extract` on many files (issue 5's target): a folder of 200 sample images
 * with --jobs 1 and --jobs 2 (median and best wall time of 5 interleaved runs each), and the peak memory
 * (maxRSS of the whole process, from the run's --json summary) for 50, 200 and 400 images, to show
 * it does not grow with their number. Needs `npm run build` first.
 *
 *   node bench/cli.js [--images 200] [--runs 3] [--quick]
 *
 * Then the same speed-up on five times the images (median of up to 3 runs each), where the fixed
 * cost of a run weighs less. Prints a table with the CPU time and load average too, and what two
 * threads can do against one on this machine at that moment (parallelCeiling): on a shared
 * machine whose cores are busy with other work, or share caches, a second job has less than a
 * core to run on, and the speed-up says so; and Node's own start-up, part of each run's fixed cost.
 * Never fails on the numbers.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
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
const runs = option('--runs', quick ? 1 : 5);

const work = mkdtempSync(join(tmpdir(), 'convlens-bench-cli-'));
/** A folder of n images, copies of the sample photos (512×512 gray PNG, 451×300 RGB PNG, 640×427 JPEG). */
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

/** One run of extract: wall seconds, and the summary's CPU seconds and peak RSS. */
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
  return { seconds, cpu: summary.cpuSeconds, rss: summary.maxRssMB };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * What two threads of this process can do right now, against one: the ceiling for --jobs 2's
 * speed-up, whatever convlens does. Each thread filters a 256×256 float image with a 3×3 kernel
 * (plain JS, as much memory traffic per step as extract's) for a second, counting passes. Reports
 * the CPU two busy threads get (2.00 on an idle 2-core machine) and the work they do together
 * relative to one thread alone: below 2 when the cores share caches, memory bandwidth or a
 * physical core (SMT), or the host runs other work on them.
 */
async function parallelCeiling() {
  const { Worker } = await import('node:worker_threads');
  const work = `
    const size = 256, src = new Float32Array(size * size).map((_, i) => (i * 7919) % 255 / 255), dst = new Float32Array(size * size);
    const end = Date.now() + 1000; let passes = 0;
    while (Date.now() < end) {
      for (let y = 1; y < size - 1; y++) for (let x = 1; x < size - 1; x++) {
        let s = 8 * src[y * size + x];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (dy || dx) s -= src[(y + dy) * size + x + dx];
        dst[y * size + x] = s > 0 ? s : 0;
      }
      passes++;
    }
    require('node:worker_threads').parentPort.postMessage(passes);`;
  const run = async (threads) => {
    const started = performance.now();
    const before = process.cpuUsage();
    const passes = await Promise.all(
      Array.from({ length: threads }, () => new Promise((resolve) => new Worker(work, { eval: true }).once('message', resolve))),
    );
    const cpu = process.cpuUsage(before);
    return { passes: passes.reduce((a, b) => a + b, 0), cores: (cpu.user + cpu.system) / 1000 / (performance.now() - started) };
  };
  const one = await run(1);
  const two = await run(2);
  return `two busy threads get ${two.cores.toFixed(2)} cores and do ${(two.passes / one.passes).toFixed(2)}× the work of one`;
}
/**
 * Node's own start-up, part of every run's fixed cost: the median of 5 `node -e 0`, and without
 * NODE_EXTRA_CA_CERTS when the environment sets it (Node reads that certificate file as it starts,
 * though extract opens no connection).
 */
function nodeStart() {
  const startup = (env) => {
    const times = Array.from({ length: 5 }, () => {
      const started = performance.now();
      execFileSync(process.execPath, ['-e', '0'], { env });
      return (performance.now() - started) / 1000;
    });
    return median(times).toFixed(2);
  };
  const line = `Node's own start-up (median of 5 \`node -e 0\`): ${startup(process.env)} s`;
  if (!process.env.NODE_EXTRA_CA_CERTS) return line;
  const { NODE_EXTRA_CA_CERTS, ...without } = process.env;
  return `${line}; ${startup(without)} s without NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS}, which this environment sets: every run above reads that file as it starts`;
}
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

try {
  console.log(
    `convlens extract benchmark: ${count} images, ${runs} run(s) per setting, ${availableParallelism()} cores, Node ${process.version}`,
  );
  console.log(`load average before: ${load()}; ${await parallelCeiling()}`);
  const dir = folder(count);
  const results = { 1: [], 2: [] };
  for (let r = 0; r < runs; r++) for (const jobs of [1, 2]) results[jobs].push(extract(dir, jobs));
  console.log('\n| jobs | median wall time (s) | best (s) | images/s (median) | CPU time (s) | CPU / wall |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  const wall = {};
  const best = {};
  for (const jobs of [1, 2]) {
    wall[jobs] = median(results[jobs].map((r) => r.seconds));
    best[jobs] = Math.min(...results[jobs].map((r) => r.seconds));
    const cpu = median(results[jobs].map((r) => r.cpu));
    const row = [
      jobs,
      wall[jobs].toFixed(2),
      best[jobs].toFixed(2),
      (count / wall[jobs]).toFixed(1),
      cpu.toFixed(2),
      (cpu / wall[jobs]).toFixed(2),
    ];
    console.log(`| ${row.join(' | ')} |`);
  }
  const ratio = (t) => (t[1] / t[2]).toFixed(2);
  console.log(`\nspeed-up with --jobs 2: ${ratio(wall)}× from the medians, ${ratio(best)}× from the best runs (target ≥ 1.7×)`);

  // The same on five times the images, where a run's fixed cost (starting Node, then each worker
  // thread) weighs less: what a large batch sees.
  const many = 5 * count;
  const manyDir = folder(many);
  const manyRuns = { 1: [], 2: [] };
  for (let r = 0; r < Math.min(runs, 3); r++) for (const jobs of [1, 2]) manyRuns[jobs].push(extract(manyDir, jobs).seconds);
  const manyWall = { 1: median(manyRuns[1]), 2: median(manyRuns[2]) };
  console.log(
    `on ${many} images (median of ${manyRuns[1].length}): ${manyWall[1].toFixed(2)} s with one job, ${manyWall[2].toFixed(2)} s with two, ${ratio(manyWall)}×`,
  );
  console.log(`load average after: ${load()}; ${await parallelCeiling()}`);
  console.log(nodeStart());

  console.log('\n| images | peak RSS, --jobs 2 (MB) |');
  console.log('| ---: | ---: |');
  for (const n of quick ? [20, count] : [50, count, 2 * count]) {
    const d = n === count ? dir : folder(n);
    console.log(`| ${n} | ${extract(d, 2).rss} |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
