/** The signals that stop a command cleanly: Ctrl-C, and the SIGTERM with which Kubernetes, Slurm and systemd stop a job. */
export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** A command's exit code after `signal` stopped it: 128 + the signal's number, as a shell reports it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}
