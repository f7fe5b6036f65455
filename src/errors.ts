/**
 * The one error type convlens throws for bad input. Messages name the op, the argument,
 * what it got and what was expected, e.g.
 * `conv2d: input depth 3 does not match filters' input depth 1`.
 */
export class ConvlensError extends Error {
  override name = 'ConvlensError';
}

/** Throws a ConvlensError prefixed with the op's name unless `condition` holds. */
export function check(condition: unknown, op: string, message: string): asserts condition {
  if (!condition) throw new ConvlensError(`${op}: ${message}`);
}
