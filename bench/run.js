/**
 * `npm run bench`: convlens (js and wasm backends) side by side with TensorFlow.js (cpu, wasm),
 * onnxruntime-node (CPU) and PyTorch (subprocess, when python3-torch is installed) on DESIGN.md
 * §6's reference shapes, a max-pooling case, a small training step and whole MNIST training
 * epochs (issue 4's reference network on the 8,000 digits `convlens train-mnist` uses). Prints a
 * table and writes BENCHMARKS.md. Options: --quick (shorter time budgets, fewer epochs),
 * --no-write, --only=<case ids, comma-separated> (conv: lesson, first, middle, batch; maxpool, train, mnist; cli).
 * The last case, cli, is bench/cli.js run as a subprocess (`convlens extract` on 200 images, --jobs 1 against 2).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib/machine.js';
import { random } from './lib/random.js';
import { measureInterleaved, median } from './lib/timing.js';
import * as convlens from './peers/convlens.js';
import * as ortPeer from './peers/ort.js';
import * as tfjs from './peers/tfjs.js';
import * as torch from './peers/torch.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const only = [...args]
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const timing = quick ? { minReps: 3, budgetMs: 300, rounds: 2 } : { minReps: 10, budgetMs: 2500, rounds: 5 };

/** @param {string} id @param {string} label @param {number[]} inShape @param {number} cout */
function convCase(id, label, inShape, cout) {
  const [n, h, w, ci] = inShape;
  const wShape = [3, 3, ci, cout];
  const x = random(n * h * w * ci, 7).map((v) => v + 1);
  return { id, kind: 'conv', label, inShape, wShape, x, w: random(9 * ci * cout, 11), flops: 2 * n * h * w * cout * 9 * ci };
}

const allCases = [
  convCase('lesson', '1×400×400×1→1 (lesson)', [1, 400, 400, 1], 1),
  convCase('first', '1×224×224×3→64 (first layer)', [1, 224, 224, 3], 64),
  convCase('middle', '1×56×56×64→64 (middle layer)', [1, 56, 56, 64], 64),
  convCase('batch', '32×64×64×32→64 (batch)', [32, 64, 64, 32], 64),
  {
    id: 'maxpool',
    kind: 'pool',
    label: 'max pool 2×2/2, 1×224×224×64',
    inShape: [1, 224, 224, 64],
    ksize: 2,
    stride: 2,
    x: random(224 * 224 * 64, 5),
  },
  (() => {
    const batch = 32;
    const classes = 10;
    const y = new Float32Array(batch * classes);
    for (let i = 0; i < batch; i++) y[i * classes + (i % classes)] = 1;
    return {
      id: 'train',
      kind: 'train',
      label: 'train step, 32×28×28×1 conv16-pool-conv32-pool-dense10, SGD',
      batch,
      size: 28,
      classes,
      x: random(batch * 28 * 28, 3).map((v) => (v + 1) / 2),
      y,
    };
  })(),
  {
    id: 'mnist',
    kind: 'mnist',
    label: 'MNIST epoch: 8,000 digits, batch 64, Adam 1e-3, reference network (s per epoch)',
    size: 28,
    batchSize: 64,
    learningRate: 1e-3,
    epochs: quick ? 2 : 3,
  },
];
const cases = only ? allCases.filter((c) => only.includes(c.id)) : allCases;

// the MNIST digits of `convlens train-mnist` (the first 800 of each digit), shared with PyTorch through a temporary file
const mnistCase = /** @type {any} */ (cases.find((c) => c.kind === 'mnist'));
let scratch;
if (mnistCase) {
  const { loadMnist } = await import(new URL('../dist/cli/mnist_data.js', import.meta.url).href);
  const { train } = await loadMnist(800);
  mnistCase.count = train.x.shape[0];
  mnistCase.x = train.x.data;
  mnistCase.y = train.y.data;
  scratch = mkdtempSync(join(tmpdir(), 'convlens-bench-'));
  mnistCase.data = join(scratch, 'mnist.bin');
  writeFileSync(mnistCase.data, Buffer.concat([Buffer.from(train.x.data.buffer), Buffer.from(train.y.data.buffer)]));
}

/** Max |a - b| relative to max |b|. @param {ArrayLike<number>} a @param {ArrayLike<number>} b */
function disagreement(a, b) {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

const loadBefore = loadavg()[0];
const api = await convlens.load();
const peers = [convlens.peer(api, 'js'), convlens.peer(api, 'wasm')];
const tf = await tfjs.load();
for (const name of /** @type {const} */ (['cpu', 'wasm'])) {
  try {
    peers.push(await tfjs.peer(tf, name));
  } catch (error) {
    console.error(`skipping tfjs ${name}: ${error}`);
  }
}
try {
  peers.push(ortPeer.peer(await ortPeer.load()));
} catch (error) {
  console.error(`skipping onnxruntime: ${error}`);
}
api.lib.setBackend('wasm');
const features = api.lib.wasmFeatures?.();
const threads = api.lib.getThreads?.();

/**
 * MNIST epochs of convlens and of PyTorch in each setting, interleaved round by round (convlens,
 * then each PyTorch setting, `c.epochs` rounds) after a warm-up epoch each, so that a change in the
 * machine's load hits them alike. PyTorch runs in one subprocess per setting.
 * @param {any} c @param {string} name @param {{ epoch(): Promise<void>, accuracy: number[] }} job
 */
async function mnistEpochs(c, name, job) {
  await job.epoch();
  /** @type {{ name: string, trainer: NonNullable<Awaited<ReturnType<typeof torch.mnistTrainer>>> }[]} */
  const trainers = [];
  if (torch.available()) {
    const { x, y, ...spec } = c;
    for (const setting of torch.configs()) {
      const trainer = await torch.mnistTrainer(spec, setting);
      if (!trainer) continue;
      torchVersion = trainer.version;
      trainers.push({ name: `PyTorch, ${setting.name}`, trainer });
    }
  }
  /** @type {Record<string, number[]>} */
  const seconds = { [name]: [] };
  for (const t of trainers) seconds[t.name] = [];
  for (let round = 0; round < c.epochs; round++) {
    const t0 = performance.now();
    await job.epoch();
    seconds[name].push((performance.now() - t0) / 1000);
    for (const t of trainers) seconds[t.name].push(await t.trainer.epoch());
  }
  mnistRuns[name] = { seconds: seconds[name], accuracy: job.accuracy };
  results[c.id][name] = median(seconds[name]) * 1000;
  console.log(`${c.id.padEnd(8)} ${name.padEnd(14)} ${seconds[name].map((v) => v.toFixed(2)).join(' ')} s per epoch`);
  for (const t of trainers) {
    mnistRuns[t.name] = { seconds: seconds[t.name], trainAccuracy: await t.trainer.close() };
    results[c.id].PyTorch = Math.min(results[c.id].PyTorch ?? Number.POSITIVE_INFINITY, median(seconds[t.name]) * 1000);
    console.log(
      `${c.id.padEnd(8)} ${'PyTorch'.padEnd(14)} ${seconds[t.name].map((v) => v.toFixed(2)).join(' ')} s per epoch  (${t.name.slice(9)})`,
    );
  }
}

/** @type {Record<string, Record<string, number>>} median ms by case id and peer name */
const results = {};
/** @type {string | undefined} */
let torchVersion;
/** @type {Record<string, { seconds: number[], accuracy?: number[], trainAccuracy?: number }>} MNIST epochs by peer (and PyTorch setting) */
const mnistRuns = {};
for (const c of cases) {
  results[c.id] = {};
  let reference;
  /** @type {Record<string, () => unknown>} */
  const timed = {};
  for (const p of peers) {
    const kind = /** @type {'conv' | 'pool' | 'train' | 'mnist'} */ (c.kind);
    const make = /** @type {Record<string, ((c: any) => any) | undefined>} */ (p)[kind];
    if (!make) continue;
    const job = await make(c);
    if (!job) continue;
    if (job.epoch) {
      await mnistEpochs(c, p.name, job);
      continue;
    }
    if (job.output) {
      const out = await job.output();
      if (!reference) reference = out;
      else {
        const d = disagreement(out, reference);
        if (d > 1e-3) console.error(`warning: ${p.name} disagrees with ${peers[0].name} on ${c.id} by ${d.toExponential(2)}`);
      }
    }
    timed[p.name] = job.run;
  }
  for (const [name, t] of Object.entries(await measureInterleaved(timed, timing))) {
    results[c.id][name] = t.median;
    console.log(`${c.id.padEnd(8)} ${name.padEnd(14)} ${t.median.toFixed(3).padStart(10)} ms  (${t.reps} reps)`);
  }
}

/** @type {Record<string, Record<string, number>>} PyTorch's median ms by case id and setting */
const torchBySetting = {};
if (torch.available()) {
  const strip = (/** @type {any[]} */ list) => list.map(({ x, y, w, ...rest }) => rest);
  // the train step in every setting, the kernels in the multi-threaded ones (MNIST epochs: see mnistEpochs)
  const training = strip(cases.filter((c) => c.kind === 'train'));
  const kernels = strip(cases.filter((c) => c.kind === 'conv' || c.kind === 'pool'));
  const settings = torch.configs();
  for (const [i, setting] of settings.entries()) {
    for (const list of [training, i < 2 ? kernels : []]) {
      if (list.length === 0) continue;
      const out = torch.run(list, setting);
      if (!out) continue;
      torchVersion = out.version;
      for (const [id, ms] of Object.entries(out.results)) {
        torchBySetting[id] = { ...torchBySetting[id], [setting.name]: ms };
        results[id].PyTorch = Math.min(results[id].PyTorch ?? Number.POSITIVE_INFINITY, ms);
        console.log(`${id.padEnd(8)} ${'PyTorch'.padEnd(14)} ${`${ms.toFixed(3)} ms`.padStart(10)}  (${setting.name})`);
      }
    }
  }
} else {
  console.log('PyTorch: /usr/bin/python3 cannot import torch (apt-get install python3-torch); skipped');
}
if (scratch) rmSync(scratch, { recursive: true, force: true });

const columns = ['convlens js', 'convlens wasm', 'tfjs cpu', 'tfjs wasm', 'onnxruntime', 'PyTorch'];
const native = ['onnxruntime', 'PyTorch'];
/** @param {number | undefined} a @param {number | undefined} b */
const ratio = (a, b) => (a && b ? `${(b / a).toFixed(2)}×` : '—');

const lines = [
  `| case | ${columns.join(' | ')} | wasm vs tfjs wasm | wasm vs best native | js vs tfjs cpu |`,
  `|---|${columns.map(() => '---:').join('|')}|---:|---:|---:|`,
];
for (const c of cases) {
  const r = results[c.id];
  const cell = (/** @type {string} */ name) => {
    const ms = r[name];
    if (ms === undefined) return '—';
    const time = ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
    if (c.kind === 'mnist') return `${(ms / 1000).toFixed(2)} s`;
    return c.kind === 'conv' ? `**${(c.flops / ms / 1e6).toFixed(1)}** (${time} ms)` : `${time} ms`;
  };
  const nativeBest = Math.min(...native.map((n) => r[n] ?? Number.POSITIVE_INFINITY));
  lines.push(
    `| ${c.label} | ${columns.map(cell).join(' | ')} | ${ratio(r['convlens wasm'], r['tfjs wasm'])} | ${ratio(r['convlens wasm'], Number.isFinite(nativeBest) ? nativeBest : undefined)} | ${ratio(r['convlens js'], r['tfjs cpu'])} |`,
  );
}
const table = lines.join('\n');

/** The issue's targets, checked on this run. */
function targets() {
  const out = [];
  const check = (/** @type {boolean} */ ok, /** @type {string} */ text) => out.push(`- ${ok ? 'met' : '**not met**'}: ${text}`);
  const gflops = (/** @type {any} */ c, /** @type {string} */ peer) =>
    results[c.id]?.[peer] ? c.flops / results[c.id][peer] / 1e6 : Number.NaN;
  for (const c of cases.filter((k) => k.kind === 'conv')) {
    const r = results[c.id];
    const vsTfjs = r['tfjs wasm'] / r['convlens wasm'];
    check(vsTfjs >= 2, `${c.label}: wasm ≥ 2× tfjs wasm (${vsTfjs.toFixed(2)}×)`);
    if (c.id === 'lesson' || c.id === 'first') {
      const best = Math.min(...native.map((n) => r[n] ?? Number.POSITIVE_INFINITY));
      if (Number.isFinite(best))
        check(best / r['convlens wasm'] >= 1, `${c.label}: wasm ≥ 1× best native peer (${(best / r['convlens wasm']).toFixed(2)}×)`);
    }
    if (c.id === 'middle')
      check(gflops(c, 'convlens wasm') >= 60, `${c.label}: wasm ≥ 60 GFLOP/s (${gflops(c, 'convlens wasm').toFixed(1)})`);
    const vsCpu = r['tfjs cpu'] / r['convlens js'];
    check(vsCpu >= 3, `${c.label}: js ≥ 3× tfjs cpu (${vsCpu.toFixed(2)}×)`);
  }
  return out.join('\n');
}
/** The MNIST epoch comparison of issue 4: every run's epochs, medians and the ratio to convlens. */
function training() {
  const ours = mnistRuns['convlens wasm'];
  if (!ours) return 'Not run (`--only` without `mnist`, or the layers are not built).';
  const mine = median(ours.seconds);
  const rows = Object.entries(mnistRuns).map(([name, run]) => {
    const med = median(run.seconds);
    const ratio = name === 'convlens wasm' ? '1' : `${(mine / med).toFixed(2)}×`;
    return `| ${name} | ${run.seconds.map((v) => v.toFixed(2)).join(', ')} | **${med.toFixed(2)}** | ${ratio} |`;
  });
  const torchMedians = Object.entries(mnistRuns)
    .filter(([name]) => name.startsWith('PyTorch'))
    .map(([name, run]) => ({ name, med: median(run.seconds) }));
  const lines = ['| run | seconds per timed epoch | median | convlens time ÷ this |', '|---|---|---:|---:|', ...rows, ''];
  if (torchMedians.length > 0) {
    const best = torchMedians.reduce((a, b) => (b.med < a.med ? b : a));
    const ratio = mine / best.med;
    const first = torchMedians[0];
    lines.push(
      `- ${ratio <= 2 ? 'met' : '**not met**'}: convlens wasm at most 2× PyTorch's best setting (${best.name}): ${ratio.toFixed(2)}×`,
      `- against PyTorch's default (${first.name.replace('PyTorch, ', '')}): ${(mine / first.med).toFixed(2)}×`,
    );
  }
  if (ours.accuracy?.length)
    lines.push(`- convlens training accuracy after each epoch (the warm-up first): ${ours.accuracy.map((a) => a.toFixed(4)).join(', ')}`);
  return lines.join('\n');
}

/** bench/cli.js in a subprocess after the in-process cases, so their threads and heaps do not share its cores. */
function manyImages() {
  if (only && !only.includes('cli')) return 'Not run (`--only` without `cli`).';
  const script = fileURLToPath(new URL('./cli.js', import.meta.url));
  return execFileSync(process.execPath, [script, ...(quick ? ['--quick'] : [])], { encoding: 'utf8' }).trim();
}
const cliReport = manyImages();

const loadAfter = loadavg()[0];
console.log(`\n${table}\n`);
console.log(`${training()}\n`);
console.log(`${cliReport}\n`);

if (!args.has('--no-write')) {
  const m = machine();
  const doc = `# Benchmarks

Written by \`npm run bench\` (bench/run.js) on ${new Date().toISOString().slice(0, 10)}. Conv cells are **GFLOP/s**
(2·N·Ho·Wo·Cout·kh·kw·Cin / median time) with the median time per call in brackets; pooling and training cells are
median times. Ratios are speed-ups of convlens (higher is better): wasm against TensorFlow.js' wasm backend and against
the faster of onnxruntime-node and PyTorch, js against TensorFlow.js' cpu backend.

All convolutions are NHWC (NCHW for onnxruntime and PyTorch, their native layouts; conversion not timed), 3×3, SAME,
stride 1, followed by ReLU (fused where the library fuses: convlens' epilogue, \`tf.fused.conv2d\`, onnxruntime's
Conv+Relu fusion). Each peer's conv output is checked against convlens js before timing. The peers running in this
process are timed in 5 interleaved rounds (each its share of repetitions in turn; medians over all of them), so load
changes on the shared machine hit them alike; PyTorch runs in a subprocess afterwards.

${table}

## Targets (issue 3), on this run

${targets()}

## Training (issue 4), on this run

Whole epochs of the reference network (Conv2D(16, 3, relu, same) → MaxPool2D(2) → Conv2D(32, 3, relu, same) →
MaxPool2D(2) → Flatten → Dense(10, softmax)) on the 8,000 training digits of \`convlens train-mnist\` (the first 800 of
each digit of the \`mnist\` package, handed to PyTorch in a temporary file), batch 64, Adam 1e-3, reshuffled every epoch;
one warm-up epoch each, then ${mnistCase?.epochs ?? 3} timed rounds of one epoch of each run below in turn (so a change in the machine's
load hits them alike). PyTorch builds the same network (\`torch.nn\`, \`F.cross_entropy\`,
plain tensor indexing, no DataLoader) and is measured in each setting below; the table's PyTorch cell is its best.
TensorFlow.js is not run: its wasm backend cannot train a convnet (no \`Conv2DBackpropFilter\` kernel) and tfjs-layers on
its cpu backend takes about 28 minutes per epoch here. convlens' js backend (the reference) is not run either (minutes
per epoch).

${training()}

## Many images (issue 5), on this run

\`node bench/cli.js\`: \`convlens extract <folder> --kernel edge --out <dir> --jobs 1|2 --json\` on a folder of copies of the
three sample images (512×512 gray PNG, 451×300 RGB PNG, 640×427 JPEG), whole-process wall time, 5 interleaved runs
per setting; then the peak RSS of one run for 50, 200 and 400 images.

${cliReport}

## Machine

- CPU: ${m.model}, ${m.cores} cores available to the process
- SIMD flags: ${m.simd.join(' ') || 'unknown'}
- Node ${m.node} (V8 ${m.v8})
- load average (1 min) ${loadBefore.toFixed(2)} before the run, ${loadAfter.toFixed(2)} after, on ${m.cores} cores
- convlens wasm: ${threads ?? '?'} thread(s), relaxed SIMD ${features?.relaxedSimd ? 'on' : 'off'}, shared memory ${features?.sharedMemory ? 'on' : 'off'}
- tfjs-backend-wasm: its SIMD build, single-threaded (it disables threads in Node)
- onnxruntime-node CPU EP, ${m.cores} intra-op threads${
    torchVersion
      ? `; PyTorch ${torchVersion}: each cell its best of ${torch
          .configs()
          .map((c) => c.name)
          .join(
            ' / ',
          )} (conv and pooling: the first two), since OpenMP's spinning threads slow it badly when other processes want the cores`
      : '; PyTorch not installed (skipped)'
  }

The machines are shared and noisy: compare ratios from one run, not times across runs.

<details><summary>All CPU flags</summary>

\`${m.flags.join(' ')}\`

</details>

## Rerun

\`\`\`sh
npm ci
apt-get install -y python3-torch   # optional: adds the PyTorch column
npm run bench                      # or: npm run build && node bench/run.js --quick --only=middle,first
CONVLENS_THREADS=1 npm run bench   # single-threaded wasm
\`\`\`
`;
  writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), doc);
  console.log('wrote BENCHMARKS.md');
}
