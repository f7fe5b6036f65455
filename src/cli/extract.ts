import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DEFAULT_PIXEL_LIMIT } from '../image/pixel_limit.js';
import { jsonFloat32 } from '../viz/numbers.js';
import { checkCmap } from './cmap.js';
import type { ExtractConfig, OutputFormat, StageName, Task, TaskResult } from './extract_job.js';
import { checkWritable, firstMissingFolder, removeIfUnused, writeFileAtomic } from './files.js';
import { argumentWalking, type InputFile, type InputProblem, type InputUnread, inShard, listInputs } from './inputs.js';
import type { KernelArg } from './kernel_arg.js';
import type { TaskPool } from './pool.js';
import { fileProgress } from './progress.js';
import { checkOutputSettings, type OutputSettings, SETTINGS_FILE } from './run_settings.js';
import { STOP_SIGNALS, signalExitCode } from './signals.js';
import { type StdoutLoss, stdoutLossExit, whenStdoutLost } from './stdout.js';
import { errorLine, printable } from './term.js';
import { UsageError } from './usage.js';

export { UsageError };

export interface ExtractOptions {
  inputs: string[];
  out: string;
  kernel: KernelArg;
  format: OutputFormat;
  stride: number;
  padding: 'valid' | 'same';
  /** 0: no condense step. */
  pool: number;
  cmap: string;
  gamma: number;
  channels: 1 | 3;
  resize?: [number, number];
  /** Largest width × height decoded (the library's pixel limit by default). */
  maxPixels?: number;
  stage?: StageName;
  /**
   * The worker threads, started early (see startExtractWorkers); the run closes them. None for a
   * run of one image file, which this thread processes: a worker's start-up would cost more.
   */
  workers?: TaskPool<Task, TaskResult>;
  shard?: { index: number; count: number };
  resume: boolean;
  json: boolean;
  progress: boolean;
  report: boolean;
  /** The command line, for the report. */
  command?: string;
}

export interface ExtractSummary {
  found: number;
  written: number;
  skipped: number;
  failed: number;
  /** Images in folders in formats convlens does not decode (WebP, TIFF...), left out. */
  ignored: number;
  seconds: number;
  imagesPerSecond: number;
  out: string;
  jobs: number;
  /** Peak resident memory of the whole process (main thread and workers). */
  maxRssMB: number;
  /** CPU time of the whole process (user + system, all threads). */
  cpuSeconds: number;
  /** The report page's path, when --report wrote one. */
  report?: string;
}

const REPORT_FIGURES = 12;
const REPORT_FAILURES = 200;

/**
 * A pool of one: the images processed on this thread, one at a time, the wasm backend on one
 * thread too. Its modules are loaded only here: a run with workers does not need them here.
 */
async function thisThread(): Promise<TaskPool<Task, TaskResult>> {
  const [{ processImage }, { setThreads }] = await Promise.all([import('./extract_job.js'), import('../backend/index.js')]);
  setThreads(1);
  let config: ExtractConfig | undefined;
  return {
    size: 1,
    configure: (setup) => {
      config = setup as ExtractConfig;
    },
    whenReady: async () => {},
    run: async (task) => processImage(config!, task),
    close: async () => {},
  };
}

/** `OUT/<output name>.<format>`: the output name comes from `listInputs` (see `outputNames`). */
function outputPath(out: string, item: InputFile, format: OutputFormat): string {
  return join(out, `${item.output}.${format}`);
}

/** Whether this run reports an input problem: a whole argument's in every shard, an input's in its own shard only. */
function reported(item: InputProblem, shard: ExtractOptions['shard']): boolean {
  return item.name === undefined || inShard(item.name, shard);
}

/** Whether `output` is complete, newer than its input and made with this run's settings (written `since` they were recorded). */
async function upToDate(input: string, output: string, since: number): Promise<boolean> {
  try {
    const [i, o] = await Promise.all([stat(input), stat(output)]);
    return o.isFile() && o.size > 0 && o.mtimeMs >= Math.max(i.mtimeMs, since);
  } catch {
    return false;
  }
}

/** What decides an output's content, for --resume: the kernel and its name, the steps, and how maps are drawn (for pictures). */
function outputSettings(config: ExtractConfig): OutputSettings {
  const drawn = config.format === 'png' || config.format === 'svg' || config.format === 'html';
  return {
    format: config.format,
    kernel: { name: config.kernelName, values: config.kernel },
    channels: config.channels,
    resize: config.resize ?? null,
    stride: config.stride,
    padding: config.padding,
    pool: config.pool,
    ...(config.format === 'svg' || config.format === 'html' ? {} : { stage: config.stage }),
    ...(drawn ? { cmap: config.cmap, gamma: config.gamma } : {}),
  };
}

/** Counts the inputs (same walk, nothing kept) so the progress bar can show a total and an ETA. */
async function countInputs(options: ExtractOptions, out: string): Promise<number> {
  let n = 0;
  for await (const item of listInputs(options.inputs, { exclude: [out], extension: options.format })) {
    if ('format' in item) continue;
    if ('error' in item ? reported(item, options.shard) : inShard(item.name, options.shard)) n++;
  }
  return n;
}

/**
 * `convlens extract`: every input through filter → detect → condense on a pool of worker threads,
 * outputs written atomically. Streams the inputs with at most `2 × jobs` in flight, so memory does
 * not grow with their number. Returns the exit code (0 all done, 1 some inputs failed).
 */
export async function runExtract(options: ExtractOptions): Promise<number> {
  // a run that makes --out and writes nothing into it (every input failed) leaves no empty folder
  const made = await firstMissingFolder(options.out);
  try {
    return await extract(options);
  } finally {
    if (made) await removeIfUnused(resolve(options.out), made, [SETTINGS_FILE]);
    // kept until the run has said everything: an EPIPE of its last path or summary arrives on a later tick
    whenStdoutLost(undefined);
  }
}

/** A tick for a failed write's EPIPE, which Node reports asynchronously, to arrive. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

async function extract(options: ExtractOptions): Promise<number> {
  const started = performance.now();
  checkCmap(options.cmap); // an unknown colormap is a usage error, before any work
  if (options.out.trim() === '') throw new UsageError('--out is empty (name a folder)');
  const out = resolve(options.out);
  const pool = options.workers ?? (await thisThread());
  const jobs = pool.size;
  const config: ExtractConfig = {
    kernel: options.kernel.values,
    kernelName: options.kernel.name,
    kernelTitle: options.kernel.title,
    format: options.format,
    stride: options.stride,
    padding: options.padding,
    pool: options.pool,
    cmap: options.cmap,
    gamma: options.gamma,
    channels: options.channels,
    resize: options.resize,
    maxPixels: options.maxPixels,
    stage: options.stage ?? (options.pool ? 'condense' : 'detect'),
  };
  if (config.stage === 'condense' && !config.pool) throw new UsageError('--stage condense needs pooling (--pool is none)');
  if (options.stage && (config.format === 'svg' || config.format === 'html')) {
    throw new UsageError(`--stage is for png, json and npy outputs; --format ${config.format} draws every stage`);
  }
  if (config.resize) {
    // a resized image is held like a decoded one: the same limit, checked before any work
    const [height, width] = config.resize;
    const limit = config.maxPixels ?? DEFAULT_PIXEL_LIMIT;
    if (height * width > limit) {
      throw new UsageError(
        `--resize ${height}x${width} is ${(height * width).toLocaleString('en-US')} pixels, more than the limit of ${limit.toLocaleString('en-US')} (--max-pixels allows more)`,
      );
    }
    // every image would fail its convolution: a setting that cannot work, not an input's fault
    const [kernelHeight, kernelWidth] = [config.kernel.length, config.kernel[0].length];
    if (config.padding === 'valid' && (height < kernelHeight || width < kernelWidth)) {
      throw new UsageError(
        `--resize ${height}x${width} is smaller than the ${kernelHeight}×${kernelWidth} kernel, which valid padding needs room for (--padding same allows it)`,
      );
    }
  }
  const walked = await argumentWalking(out, options.inputs);
  if (walked !== undefined) {
    throw new UsageError(
      `--out is the folder of the input ${walked}: the next run would take its outputs as inputs (choose another folder, or a subfolder such as ${join(options.out, 'out')})`,
    );
  }
  await checkWritable(out);
  const settings = await checkOutputSettings(out, outputSettings(config), options.resume);
  // each shard of a batch writes its own report into a shared --out
  const reportPath = join(out, options.shard ? `report-${options.shard.index}-of-${options.shard.count}.html` : 'report.html');
  const stdoutIsTerminal = Boolean(process.stdout.isTTY);
  const bar = options.progress ? fileProgress('extract', process.stderr) : undefined;
  if (bar)
    void countInputs(options, out).then(
      (n) => bar.setTotal(n),
      () => {},
    );
  pool.configure(config);
  // Ctrl-C, or the SIGTERM with which Kubernetes, Slurm and systemd stop a job: the images in
  // progress are finished (no temporary file is left), no new one is started
  let interrupted = false;
  let stopSignal: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stopSignal ??= signal;
    interrupted = true;
  };
  for (const signal of STOP_SIGNALS) process.once(signal, onSignal);
  // a lost stdout (the reader quit, or a full disk) stops the run like Ctrl-C, but says so and exits non-zero
  let stdoutLoss: StdoutLoss | undefined;
  whenStdoutLost((loss) => {
    stdoutLoss ??= loss;
    interrupted = true;
  });
  const emit = (text: string) => {
    if (!stdoutLoss) process.stdout.write(text);
  };

  let found = 0;
  let written = 0;
  let skipped = 0;
  let failed = 0;
  const failures: [string, string][] = [];
  // images in folders in formats not decoded (WebP, TIFF...): counted and named, not inputs
  const ignored = { count: 0, formats: new Set<string>(), first: '', listed: [] as [string, string][] };
  const ignore = (item: InputUnread) => {
    ignored.count++;
    ignored.formats.add(item.format);
    ignored.first ||= item.path;
    const reason = `${item.format} images are not read (PNG, JPEG, GIF and BMP are)`;
    if (ignored.listed.length < REPORT_FAILURES) ignored.listed.push([item.path, reason]);
    if (options.json) emit(`${JSON.stringify({ input: item.path, status: 'ignored', reason })}\n`);
  };
  const figures: { name: string; svg: string }[] = [];
  const names = new Map<number, InputFile>();
  const running = new Set<Promise<void>>();
  let nextId = 0;

  const fail = (path: string, reason: string) => {
    failed++;
    if (failures.length < REPORT_FAILURES) failures.push([path, reason]);
    const line = errorLine(`${path}: ${reason}`);
    bar?.tick(failed); // first: the redraw that shows the line shows the new count too
    if (bar) bar.log(line);
    else process.stderr.write(line);
    if (options.json) emit(`${JSON.stringify({ input: path, status: 'failed', error: reason })}\n`);
  };
  const handle = (result: TaskResult) => {
    const input = names.get(result.id)!;
    names.delete(result.id);
    if (!result.ok) return fail(input.path, result.error);
    written++;
    if (result.figure) figures.push({ name: input.name, svg: result.figure });
    if (options.json) {
      const line = {
        input: input.path,
        status: 'written',
        output: result.output,
        shape: result.shape,
        min: jsonFloat32(result.min),
        max: jsonFloat32(result.max),
        ms: Math.round(result.ms),
      };
      emit(`${JSON.stringify(line)}\n`);
    } else if (!(bar && stdoutIsTerminal)) {
      emit(`${printable(result.output)}\n`);
    }
    bar?.tick(failed);
  };

  try {
    for await (const item of listInputs(options.inputs, { exclude: [out], extension: options.format })) {
      if (interrupted) break;
      if ('format' in item) {
        if (inShard(item.name, options.shard)) ignore(item);
        continue;
      }
      if ('error' in item) {
        if (!reported(item, options.shard)) continue;
        found++;
        fail(item.path, item.error);
        continue;
      }
      if (!inShard(item.name, options.shard)) continue;
      found++;
      const output = outputPath(out, item, options.format);
      if (resolve(output) === resolve(item.path)) {
        fail(item.path, 'the output would overwrite the input (choose another --out)');
        continue;
      }
      if (options.report && resolve(output) === reportPath) {
        fail(
          item.path,
          `the output would be overwritten by --report's ${basename(reportPath)} (choose another --out, or rename the input)`,
        );
        continue;
      }
      if (options.resume && (await upToDate(item.path, output, settings.since))) {
        skipped++;
        if (options.json) emit(`${JSON.stringify({ input: item.path, status: 'skipped', output })}\n`);
        bar?.tick(failed);
        continue;
      }
      await settings.record(); // once, before the first output
      await pool.whenReady();
      const id = nextId++;
      names.set(id, item);
      const task: Task = { id, input: item.path, output, name: item.name, figure: options.report && id < REPORT_FIGURES };
      const promise: Promise<void> = pool.run(task).then(handle);
      running.add(promise);
      void promise.finally(() => running.delete(promise));
    }
    await Promise.all(running);
  } finally {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, onSignal);
    bar?.stop();
    await pool.close();
  }
  await settled();
  const seconds = (performance.now() - started) / 1000;
  const summary: ExtractSummary = {
    found,
    written,
    skipped,
    failed,
    ignored: ignored.count,
    seconds: Math.round(seconds * 1000) / 1000,
    imagesPerSecond: Math.round((written / Math.max(seconds, 1e-9)) * 10) / 10,
    out,
    jobs,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    cpuSeconds: Math.round(((process.cpuUsage().user + process.cpuUsage().system) / 1e6) * 1000) / 1000,
  };
  if (stdoutLoss) return stdoutLossExit(stdoutLoss, 'stopped; outputs written so far are complete; run again with --resume to finish');
  if (interrupted) {
    // --json still ends with its summary, marked as such
    if (options.json) emit(`${JSON.stringify({ summary: { ...summary, interrupted: true } })}\n`);
    const by = stopSignal === 'SIGTERM' ? ' by SIGTERM' : '';
    process.stderr.write(errorLine(`interrupted${by}: outputs written so far are complete; run again with --resume to finish`));
    return signalExitCode(stopSignal ?? 'SIGINT');
  }
  if (options.report) {
    await writeFileAtomic(reportPath, await extractReport(options, config, summary, { failures, leftOut: ignored.listed }, figures));
    summary.report = reportPath;
    if (!options.json) process.stderr.write(`report: ${reportPath}\n`);
  }
  if (options.json) {
    emit(`${JSON.stringify({ summary })}\n`);
    await settled();
    if (stdoutLoss) return stdoutLossExit(stdoutLoss, 'the summary was not written');
  }
  const parts = [`${written} written`];
  if (skipped) parts.push(`${skipped} skipped (up to date)`);
  if (failed) parts.push(`${failed} failed`);
  if (ignored.count) {
    const formats = [...ignored.formats].join(', ');
    const more = ignored.count > 1 ? ` and ${ignored.count - 1} more` : '';
    process.stderr.write(
      `extract: left out ${ignored.count} image${ignored.count === 1 ? '' : 's'} in formats convlens does not read (${formats}; it reads PNG, JPEG, GIF and BMP): ${ignored.first}${more}\n`,
    );
  }
  // no arrow to a folder that holds nothing of this run's (and that runExtract may remove)
  const where = written + skipped > 0 || summary.report ? ` → ${out}` : '';
  if (found === 0)
    process.stderr.write(`extract: no inputs${options.shard ? ` in shard ${options.shard.index}/${options.shard.count}` : ''}\n`);
  else {
    // a run that opened no image (all up to date) has no pace to tell
    const pace =
      written + failed > 0 ? ` in ${seconds.toFixed(1)} s (${summary.imagesPerSecond} images/s, ${jobs} job${jobs === 1 ? '' : 's'})` : '';
    process.stderr.write(`extract: ${found} input${found === 1 ? '' : 's'}: ${parts.join(', ')}${pace}${where}\n`);
  }
  return failed > 0 ? 1 : 0;
}

/** The run's report page. Its figure modules are loaded only here: most runs write no report, and the workers start sooner. */
async function extractReport(
  options: ExtractOptions,
  config: ExtractConfig,
  summary: ExtractSummary,
  { failures, leftOut }: { failures: [string, string][]; leftOut: [string, string][] },
  figures: { name: string; svg: string }[],
): Promise<string> {
  const [{ constant }, { showKernel }, { report }] = await Promise.all([
    import('../tensor/create.js'),
    import('../viz/kernel.js'),
    import('../viz/report.js'),
  ]);
  const settings = [
    ['setting', 'value'],
    ['kernel', `${config.kernelTitle} (${config.kernelName})`],
    ['convolution', `stride ${config.stride}, ${config.padding} padding`],
    ['detect', 'relu'],
    ['condense', config.pool ? `max pool ${config.pool}×${config.pool}, stride ${config.pool}, same padding` : 'none'],
    ['written stage', config.stage],
    ['format', config.format],
    ['channels', String(config.channels)],
    ['resize', config.resize ? `${config.resize[0]}×${config.resize[1]}` : 'none'],
    ['colormap', `${config.cmap}, gamma ${config.gamma}`],
  ];
  const results = [
    ['inputs', 'written', 'skipped', 'failed', 'left out (format)', 'seconds', 'images/s', 'jobs'],
    [
      summary.found,
      summary.written,
      summary.skipped,
      summary.failed,
      summary.ignored,
      summary.seconds,
      summary.imagesPerSecond,
      summary.jobs,
    ].map(String),
  ];
  const listed = (heading: string, rows: [string, string][], count: number) =>
    rows.length
      ? [
          {
            heading: `${heading}${count > rows.length ? ` (first ${rows.length} of ${count})` : ''}`,
            table: [['input', 'reason'], ...rows],
          },
        ]
      : [];
  return report({
    title: `convlens extract: ${config.kernelTitle}`,
    meta: `${new Date().toISOString()}${options.command ? ` · ${options.command}` : ''}`,
    sections: [
      {
        heading: 'Settings',
        table: settings,
        figures: [{ figure: showKernel(constant(config.kernel), { title: config.kernelTitle, cellSize: 48 }) }],
      },
      { heading: 'Results', table: results },
      ...listed('Failed inputs', failures, summary.failed),
      ...listed('Left out for their format', leftOut, summary.ignored),
      {
        heading: figures.length < summary.written ? `Figures (the first ${figures.length} images)` : 'Figures',
        figures: figures.sort((a, b) => a.name.localeCompare(b.name)).map((f) => ({ figure: f.svg, caption: f.name })),
      },
    ],
  });
}
