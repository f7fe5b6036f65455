/**
 * Terminal conventions: NO_COLOR (https://no-color.org), then FORCE_COLOR as Node reads it ('',
 * 1, 2, 3 or true turn colour on, 0 or false off, on a terminal too), TERM=dumb, and whether a
 * stream is a terminal.
 */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/** Columns available for a preview on this stream (80 when it is not a terminal). */
export function columns(stream: NodeJS.WriteStream): number {
  return stream.isTTY && stream.columns ? stream.columns : 80;
}

/** Columns for a terminal preview: at most 64, leaving 4 of the terminal's, and 1 at least (a terminal can be that narrow). */
export function previewWidth(stream: NodeJS.WriteStream): number {
  return Math.max(1, Math.min(64, columns(stream) - 4));
}

/**
 * Whether a progress bar may redraw itself on this stream: a terminal that understands cursor
 * movement (not TERM=dumb, as Emacs' shell sets it), outside CI (CI=false, as ci-info reads it, is not CI).
 */
export function progressEnabled(stream: NodeJS.WriteStream): boolean {
  const { CI, TERM } = process.env;
  const ci = CI !== undefined && CI !== '' && CI !== 'false';
  return Boolean(stream.isTTY) && !ci && TERM !== 'dumb';
}

export function paint(stream: NodeJS.WriteStream, code: number, text: string): string {
  return colorEnabled(stream) ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/**
 * A file name as a line of text: control characters (a newline, an escape that would drive the
 * terminal) written as \n, \t or \xNN, so one name stays one line. `--json` has the exact names.
 */
export function printable(path: string): string {
  return path.replace(/\p{Cc}/gu, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/**
 * Red `convlens:` prefix for errors (plain when colour is off), on one line: control characters in
 * the message (from a file name it quotes) are written as `printable` writes them, so a name
 * cannot drive the terminal or split the line.
 */
export function errorLine(message: string): string {
  return `${paint(process.stderr, 31, 'convlens:')} ${printable(message)}\n`;
}
