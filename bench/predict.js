/**
 * model.predict on arrays in memory: its time and its memory, each measurement in a new process
 * (so that the peak RSS is the call's), the builds interleaved. The MNIST reference net on 10,000
 * 28×28×1 inputs, and a larger convnet (Conv2D 32, 64 and 128 with BatchNormalization, Dense 128,
 * Dropout) on 1,000 64×64×3 inputs, at batchSize 32 and 256. Per build and case, the medians of
 * the runs: a warm call's time (each run's median of 3), the first call's time, the peak RSS above
 * the process before it, the array buffers left just after it (garbage not yet collected), the
 * RSS held once collected, and the bytes of the buffers the model keeps between calls.
 * Run after building dist/: node bench/predict.js [--dist=<another dist folder>] [--runs=7] [--backend=wasm|js]
 * (--dist adds another build, e.g. a copy of dist/ from before a change, run alternately with dist/).
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const CASES = [
  ['mnist', 32],
  ['mnist', 256],
  ['larger', 32],
  ['larger', 256],
];

/** The model and its inputs for `name`, from the convlens build `c`. */
function modelCase(c, name) {
  const L = c.layers;
  c.setSeed(1);
  const conv = (filters, more = {}) => new L.Conv2D({ filters, kernelSize: 3, padding: 'same', activation: 'relu', ...more });
  if (name === 'mnist') {
    const shape = [28, 28, 1];
    const head = [new L.Flatten(), new L.Dense({ units: 10, activation: 'softmax' })];
    return {
      n: 10_000,
      shape,
      model: new L.Sequential([conv(16, { inputShape: shape }), new L.MaxPool2D(), conv(32), new L.MaxPool2D(), ...head]),
    };
  }
  const shape = [64, 64, 3];
  const block = (filters, more) => [conv(filters, more), new L.BatchNormalization(), new L.MaxPool2D()];
  const model = new L.Sequential([
    ...block(32, { inputShape: shape }),
    ...block(64),
    conv(128),
    new L.MaxPool2D(),
    new L.Flatten(),
    new L.Dense({ units: 128, activation: 'relu' }),
    new L.Dropout(0.5),
    new L.Dense({ units: 10, activation: 'softmax' }),
  ]);
  return { n: 1_000, shape, model };
}

/** One run, in this process (started with --expose-gc): prints its measurements as JSON. */
async function child(dist, name, batchSize) {
  const c = await import(pathToFileURL(`${dist}/index.js`).href);
  const { n, shape, model } = modelCase(c, name);
  const size = n * shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  const x = new c.Tensor(data, [n, ...shape], 'float32');
  const mb = (bytes) => bytes / 2 ** 20;
  globalThis.gc();
  const before = process.memoryUsage();
  let started = performance.now();
  const out = model.predict(x, { batchSize });
  const first = performance.now() - started;
  const peak = process.resourceUsage().maxRSS * 1024;
  const after = process.memoryUsage();
  const output = createHash('sha1')
    .update(new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength))
    .digest('hex');
  globalThis.gc();
  const held = process.memoryUsage().rss;
  const warm = [];
  for (let k = 0; k < 3; k++) {
    started = performance.now();
    model.predict(x, { batchSize });
    warm.push(performance.now() - started);
  }
  const result = {
    backend: c.getBackend(),
    warm: median(warm),
    first,
    peakMB: mb(peak - before.rss),
    garbageMB: mb(after.arrayBuffers - before.arrayBuffers),
    heldMB: mb(held - before.rss),
    keptMB: mb(keptBytes(model)),
    output: output.slice(0, 12),
  };
  console.log(JSON.stringify(result));
}

/**
 * The bytes of the buffers `model` keeps for predict between calls: its workspace's (heldBytes; a
 * build from before heldBytes kept one buffer per layer and key, in fit's workspace's `slots`).
 */
function keptBytes(model) {
  const workspace = model.layers[0].workspace;
  if ('heldBytes' in workspace) return workspace.heldBytes;
  return [...workspace.slots.values()].flatMap((slots) => [...slots.values()]).reduce((sum, b) => sum + b.byteLength, 0);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main() {
  const runs = Number(option('runs') ?? 7);
  const builds = [resolve(fileURLToPath(new URL('../dist', import.meta.url))), ...(option('dist') ? [resolve(option('dist'))] : [])];
  const env = { ...process.env, ...(option('backend') ? { CONVLENS_BACKEND: option('backend') } : {}) };
  const results = new Map();
  for (let run = 0; run < runs; run++) {
    for (const [name, batchSize] of CASES) {
      // alternate which build goes first
      const order = run % 2 ? [...builds].reverse() : builds;
      for (const dist of order) {
        const line = execFileSync(
          process.execPath,
          ['--expose-gc', fileURLToPath(import.meta.url), '--child', dist, name, String(batchSize)],
          {
            env,
            encoding: 'utf8',
          },
        );
        const key = `${name} ${batchSize}\t${dist}`;
        results.set(key, [...(results.get(key) ?? []), JSON.parse(line)]);
      }
    }
  }
  console.log(`${runs} runs a case and build; medians (ms, MB)`);
  console.log(['case', 'build', 'backend', 'warm', 'first', 'peak RSS', 'garbage', 'held RSS', 'kept', 'output sha1'].join('\t'));
  for (const [key, list] of results) {
    const m = (field) => median(list.map((r) => r[field])).toFixed(field === 'warm' || field === 'first' ? 0 : 1);
    const outputs = [...new Set(list.map((r) => r.output))].join(',');
    console.log([key, list[0].backend, m('warm'), m('first'), m('peakMB'), m('garbageMB'), m('heldMB'), m('keptMB'), outputs].join('\t'));
  }
}

if (args[0] === '--child') await child(args[1], args[2], Number(args[3]));
else main();
