import cliProgress from 'cli-progress';
import { progressEnabled } from './term.js';

export interface EpochProgress {
  start(epoch: number, total: number): void;
  update(done: number, logs: Record<string, number>): void;
  stop(summary: string): void;
}

function formatLogs(logs: Record<string, number>): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join('  ');
}

/** Examples trained on after `batches` batches of an epoch of `examples`: its last batch may be short. */
export function examplesDone(batches: number, batchSize: number, examples: number): number {
  return Math.min(batches * batchSize, examples);
}

/**
 * A progress bar per epoch (batches done, loss and accuracy, examples per second, ETA) on a
 * terminal; when the output is piped, one plain line per epoch instead. `examples`: how many an epoch trains on.
 */
export function epochProgress(
  epochs: number,
  batchSize: number,
  examples: number,
  stream: NodeJS.WriteStream = process.stderr,
): EpochProgress {
  const interactive = progressEnabled(stream);
  let bar: cliProgress.SingleBar | undefined;
  let started = 0;
  let label = '';
  return {
    start(epoch, total) {
      label = `epoch ${String(epoch + 1).padStart(String(epochs).length)}/${epochs}`;
      started = performance.now();
      if (!interactive) return;
      bar = new cliProgress.SingleBar(
        { format: `${label} [{bar}] {value}/{total} | {logs} | {rate} img/s | ETA {eta_formatted}`, stream, hideCursor: true, barsize: 24 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { logs: '', rate: '0' });
    },
    update(done, logs) {
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? examplesDone(done, batchSize, examples) / seconds : 0;
      bar?.update(done, { logs: formatLogs(logs), rate: rate.toFixed(0) });
    },
    stop(summary) {
      bar?.stop();
      stream.write(`${label}  ${summary}  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    },
  };
}

export interface FileProgress {
  /** Sets the total once it is known (inputs are counted while the work goes on). */
  setTotal(total: number): void;
  tick(failed: number): void;
  /** Writes a line above the bar (errors, while it is showing). */
  log(line: string): void;
  stop(): void;
}

/**
 * A progress bar for a batch of files (done/total, images per second, ETA, failures) on a terminal.
 * `undefined` when the stream is not a terminal, is a dumb one, or under CI: piped output gets no bar.
 */
export function fileProgress(label: string, stream: NodeJS.WriteStream = process.stderr): FileProgress | undefined {
  if (!progressEnabled(stream)) return undefined;
  const started = performance.now();
  const multi = new cliProgress.MultiBar(
    {
      format: `${label} [{bar}] {value}/{total} | {rate} img/s | ETA {eta_formatted} | {failed} failed`,
      stream,
      hideCursor: true,
      barsize: 28,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(1, 0, { rate: '0.0', failed: 0 });
  let done = 0;
  let total = 0;
  return {
    setTotal(n) {
      total = n;
      bar.setTotal(Math.max(n, done, 1));
    },
    tick(failed) {
      done++;
      if (done > total) bar.setTotal(done);
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: (seconds > 0 ? done / seconds : 0).toFixed(1), failed });
    },
    log(line) {
      // cli-progress holds logged lines until its next redraw, and stop() drops what it still holds:
      // redraw now, so a failure is shown at once and never lost
      multi.log(line.endsWith('\n') ? line : `${line}\n`);
      multi.update();
    },
    stop() {
      multi.stop();
    },
  };
}
