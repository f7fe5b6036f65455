import { fsReason } from './inputs.js';
import { errorLine } from './term.js';

/** Why stdout can no longer be written: the reader quit (`| head`), or the write failed (a full disk). */
export interface StdoutLoss {
  closed: boolean;
  reason: string;
}

let onLoss: ((loss: StdoutLoss) => void) | undefined;

/**
 * While a command has work in flight (extract), a lost stdout is handed to `handler`, which
 * stops the work cleanly and exits non-zero: outputs must never be reported complete when they
 * are not. `undefined` restores the default.
 */
export function whenStdoutLost(handler: ((loss: StdoutLoss) => void) | undefined): void {
  onLoss = handler;
}

/**
 * Default handling: `convlens kernels | head` ends quietly when the reader quits, as cat does; any
 * other write failure is reported in one line (exit 1), not as a stack trace.
 */
export function watchStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    const loss = { closed: error.code === 'EPIPE', reason: fsReason(error) };
    if (onLoss) return onLoss(loss);
    if (loss.closed) process.exit(); // with the exit code the command has set: a failure stays one
    process.stderr.write(errorLine(`cannot write to stdout: ${loss.reason}`));
    process.exit(1);
  });
}

/** What a command's work writes stdout through: `print` drops text once stdout is lost, `lost` says so, for work to stop. */
export type Print = ((text: string) => void) & { lost: () => boolean };

/**
 * Runs `work` with stdout lost handed to `ending` (with the work's own exit code) rather than ending
 * the process. The EPIPE of the last write arrives on a later tick, which is waited for.
 */
async function printing(work: (print: Print) => Promise<number>, ending: (loss: StdoutLoss, code: number) => number): Promise<number> {
  let loss: StdoutLoss | undefined;
  whenStdoutLost((l) => {
    loss ??= l;
  });
  try {
    const print = Object.assign(
      (text: string) => {
        if (!loss) process.stdout.write(text);
      },
      { lost: () => loss !== undefined },
    );
    const code = await work(print);
    await new Promise((resolve) => setImmediate(resolve));
    const lost = loss as StdoutLoss | undefined;
    return lost ? ending(lost, code) : code;
  } finally {
    whenStdoutLost(undefined);
  }
}

/**
 * For a command whose product is its --out file (show-maps, show-kernel, kernels): while `work`
 * runs, a lost stdout does not end the process, so `convlens show-maps … --out maps.png | head`
 * still writes maps.png. The reader quitting is not a failure (the work's code, as cat); another
 * write failure is reported once the work is done (1).
 */
export function withStdout(work: (print: Print) => Promise<number>): Promise<number> {
  return printing(work, (loss, code) => {
    if (loss.closed) return code;
    process.stderr.write(errorLine(`cannot write to stdout: ${loss.reason}`));
    return 1;
  });
}

/**
 * For a command whose product is what it prints (predict): `work` should stop once `print.lost()`,
 * and the run ends as `stdoutLossExit` says, `what` named as stopped.
 */
export function toStdout(what: string, work: (print: Print) => Promise<number>): Promise<number> {
  return printing(work, (loss) => stdoutLossExit(loss, `${what} stopped`));
}

/** Says why stdout was lost and what became of the run; 141 (as after SIGPIPE) when its reader quit, else 1. */
export function stdoutLossExit(loss: StdoutLoss, outcome: string): number {
  const why = loss.closed ? 'stdout was closed (its reader quit)' : `cannot write to stdout: ${loss.reason}`;
  process.stderr.write(errorLine(`${why}: ${outcome}`));
  return loss.closed ? 141 : 1;
}
