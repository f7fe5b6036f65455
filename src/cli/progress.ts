import cliProgress from 'cli-progress';

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

/**
 * A progress bar per epoch (batches done, loss and accuracy, examples per second, ETA) on a
 * terminal; when the output is piped, one plain line per epoch instead.
 */
export function epochProgress(epochs: number, batchSize: number, stream: NodeJS.WriteStream = process.stderr): EpochProgress {
  const interactive = Boolean(stream.isTTY) && !process.env.CI;
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
      bar?.update(done, { logs: formatLogs(logs), rate: (seconds > 0 ? (done * batchSize) / seconds : 0).toFixed(0) });
    },
    stop(summary) {
      bar?.stop();
      stream.write(`${label}  ${summary}  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    },
  };
}
