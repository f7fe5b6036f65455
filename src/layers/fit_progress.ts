import type { Callbacks, Logs } from './callbacks.js';

/** A terminal that fit's `verbose: 1` redraws a progress bar on (Node's process.stdout when it is a TTY). */
export interface ProgressTerminal {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** The batches in an epoch, when fit knows them before it begins (arrays, batchesPerEpoch); otherwise learnt from the first epoch. */
export interface StepCount {
  steps?: number;
  /** Examples per epoch and per batch, for fit on arrays (History's params). */
  samples?: number;
  batchSize?: number;
}

const BAR_WIDTH = 30;
/** Redraws of the bar at most this often: a terminal write per batch would slow small batches down. */
const REDRAW_MS = 100;

const logText = (logs: Logs) => Object.entries(logs).map(([key, value]) => `${key}: ${value.toFixed(4)}`);

/** Keras' `verbose=2` line for `steps` batches in `ms`: `125/125 - 1.2s - loss: 0.2985 - accuracy: 0.9139 - 9ms/step`. */
export function progressLine(steps: number, ms: number, logs: Logs): string {
  return [`${steps}/${steps}`, `${(ms / 1000).toFixed(1)}s`, ...logText(logs), `${Math.round(ms / Math.max(steps, 1))}ms/step`].join(' - ');
}

/** Keras' `verbose=1` bar (its Progbar's): `[=========>....................]`, all `=` when `done` reaches `total`. */
function bar(done: number, total: number): string {
  const filled = Math.min(BAR_WIDTH, Math.floor((BAR_WIDTH * done) / total));
  const body = filled > 0 ? '='.repeat(filled - 1) + (done < total ? '>' : '=') : '';
  return `[${body}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
    : s >= 60
      ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
      : `${s}s`;
}

/** Node's stdout when it is a terminal (none in a browser, or when piped). */
function terminal(): ProgressTerminal | undefined {
  const stdout = (globalThis as { process?: { stdout?: ProgressTerminal } }).process?.stdout;
  return stdout?.isTTY ? stdout : undefined;
}

/**
 * fit's `verbose`, as Keras prints it: `Epoch 1/10`, then with 1 on a terminal a bar redrawn as
 * batches end (`17/32 [=========>....] - ETA: 1s - loss: 0.4117`), and the epoch's line
 * (`32/32 [==============================] - 1s 31ms/step - loss: 0.2985 - val_loss: 0.3121`);
 * with 2, or when the output is not a terminal, the epoch's line alone
 * (`32/32 - 1.0s - loss: 0.2985 - 31ms/step`).
 */
export function epochLogger(epochs: number, verbose: 1 | 2, known: StepCount, output = terminal()): Callbacks {
  const live = verbose === 1 && output?.isTTY ? output : undefined;
  let learnt: number | undefined;
  let started = 0;
  let steps = 0;
  let drawn = 0;
  const total = () => known.steps ?? learnt;
  const clip = (line: string) => (live?.columns ? line.slice(0, live.columns - 1) : line);
  return {
    onEpochBegin: (epoch) => {
      started = performance.now();
      steps = 0;
      drawn = 0;
      if (live) live.write(`Epoch ${epoch + 1}/${epochs}\n`);
      else console.log(`Epoch ${epoch + 1}/${epochs}`);
    },
    onBatchEnd: (_, logs) => {
      steps++;
      if (!live) return;
      const now = performance.now();
      if (now - drawn < REDRAW_MS) return;
      drawn = now;
      const all = total();
      const eta = all && all > steps ? ` - ETA: ${seconds(((now - started) / steps) * (all - steps))}` : '';
      const head = all ? `${String(steps).padStart(String(all).length)}/${all} ${bar(steps, all)}` : `${steps}/Unknown`;
      live.write(`\r${clip([`${head}${eta}`, ...logText(logs ?? {})].join(' - '))}\x1b[K`);
    },
    onEpochEnd: (_, logs) => {
      const ms = performance.now() - started;
      learnt ??= steps;
      if (!live) {
        console.log(progressLine(steps, ms, logs));
        return;
      }
      const timing = `${seconds(ms)} ${Math.round(ms / Math.max(steps, 1))}ms/step`;
      live.write(`\r${clip([`${steps}/${steps} ${bar(steps, steps)}`, timing, ...logText(logs)].join(' - '))}\x1b[K\n`);
    },
  };
}
