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

/**
 * For a command whose product is its --out file (show-maps, show-kernel, kernels): while `work`
 * runs, a lost stdout does not end the process, so `convlens show-maps … --out maps.png | head`
 * still writes maps.png. `work` writes through `print`, which drops text once stdout is lost. The
 * reader quitting is not a failure (0, as cat); another write failure is reported once the work
 * is done (1).
 */
export async function withStdout(work: (print: (text: string) => void) => Promise<number>): Promise<number> {
  let loss: StdoutLoss | undefined;
  whenStdoutLost((l) => {
    loss ??= l;
  });
  try {
    const code = await work((text) => {
      if (!loss) process.stdout.write(text);
    });
    // an EPIPE of the last write arrives on a later tick
    await new Promise((resolve) => setImmediate(resolve));
    const lost = loss as StdoutLoss | undefined;
    if (lost && !lost.closed) {
      process.stderr.write(errorLine(`cannot write to stdout: ${lost.reason}`));
      return 1;
    }
    return code;
  } finally {
    whenStdoutLost(undefined);
  }
}
