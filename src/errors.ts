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

/** How deep describeValue writes nested lists and objects out: a list that holds itself ends there. */
const SHOWN_DEPTH = 4;
/** How many items of a list, or entries of an object, a message shows. */
const SHOWN_ITEMS = 8;

/** "a Map", "an Int32Array", "a Uint8Array" (said "you"); an instance of an unnamed class is "an object". */
const instanceOf = (name: string | undefined) => (name ? `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}` : 'an object');

/**
 * A value as a message shows it: numbers as JavaScript writes them (NaN and Infinity included,
 * which JSON would turn into null), strings quoted, arrays and plain objects written out.
 */
export function describeValue(value: unknown, depth = 0): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) {
    if (depth === SHOWN_DEPTH) return '[…]';
    // a long list is shown by its start and length: an error message is read, not scrolled
    const shown = value
      .slice(0, SHOWN_ITEMS)
      .map((item) => describeValue(item, depth + 1))
      .join(', ');
    return value.length > SHOWN_ITEMS ? `[${shown}, … (${value.length} items)]` : `[${shown}]`;
  }
  if (value instanceof DataView) return `a DataView of ${value.byteLength} bytes`;
  if (ArrayBuffer.isView(value))
    return `${instanceOf(value.constructor.name)} of ${(value as unknown as ArrayLike<unknown>).length} elements`;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return instanceOf(proto.constructor?.name);
  if (depth === SHOWN_DEPTH) return '{…}';
  const keys = Object.keys(value);
  const entries = keys.slice(0, SHOWN_ITEMS).map((k) => `${k}: ${describeValue((value as Record<string, unknown>)[k], depth + 1)}`);
  if (keys.length > SHOWN_ITEMS) entries.push(`… (${keys.length} keys)`);
  return entries.length ? `{ ${entries.join(', ')} }` : '{}';
}

/**
 * Whether `test` holds for every item of `list`, holes included (read as undefined): the array
 * method `every` skips the holes of a sparse list, so [2, , 3] would pass as three numbers.
 */
export function everyItem<T, S extends T>(list: readonly T[], test: (value: T) => value is S): list is S[];
export function everyItem<T>(list: readonly T[], test: (value: T) => boolean): boolean;
export function everyItem<T>(list: readonly T[], test: (value: T) => boolean): boolean {
  for (let i = 0; i < list.length; i++) if (!test(list[i])) return false;
  return true;
}

/** Throws unless `value` is an array: a list argument (`what` names its items in the message). */
export function checkArray(op: string, arg: string, value: unknown, what: string): asserts value is unknown[] {
  if (!Array.isArray(value)) throw new ConvlensError(`${op}: ${arg} must be an array of ${what}, got ${describeValue(value)}`);
}

/**
 * Throws unless `value` is a number from `min` to `max` (whole when `integer`): for sizes and
 * counts in options, which would otherwise fail deep inside (a RangeError, NaN coordinates).
 */
export function checkNumber(
  op: string,
  arg: string,
  value: unknown,
  { min = -Infinity, max = Infinity, integer = false } = {},
): asserts value is number {
  if (typeof value === 'number' && value >= min && value <= max && (integer ? Number.isInteger(value) : Number.isFinite(value))) return;
  const kind = integer ? 'a whole number' : 'a number';
  const bounds = max < Infinity ? `from ${min} to ${max}` : min > -Infinity ? `>= ${min}` : '(finite)';
  throw new ConvlensError(`${op}: ${arg} must be ${kind} ${bounds}, got ${describeValue(value)}`);
}

/** Throws unless `value` is true or false (a switch such as `label` or `colorbar`; 'no' would count as true). */
export function checkBoolean(op: string, arg: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ConvlensError(`${op}: ${arg} must be true or false, got ${describeValue(value)}`);
}

/** Throws unless `value` is a string (a title, a label, a table cell). */
export function checkString(op: string, arg: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new ConvlensError(`${op}: ${arg} must be a string, got ${describeValue(value)}`);
}

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++)
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[y.length];
}

/** The candidate a misspelt `name` most likely meant (at most 2 edits, and fewer than half its letters), if any. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  return closeNames(name, candidates)[0];
}

/** The candidates a misspelt `name` may have meant (at most 2 edits, and fewer than half its letters), closest first. */
export function closeNames(name: string, candidates: readonly string[]): string[] {
  const limit = Math.min(2, Math.floor(name.length / 2));
  const near = candidates.map((candidate) => ({ candidate, distance: editDistance(name, candidate) })).filter((c) => c.distance <= limit);
  // stable: among equally close names, the first given comes first
  return near.sort((a, b) => a.distance - b.distance).map((c) => c.candidate);
}

/** `use_bias` → `useBias`: Keras' Python names, which a user may bring from the lesson. */
function camelCase(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Where an options object may also be written another way, for the error when it is neither. */
export interface OptionsForm {
  /** The shorthand first argument, e.g. 'an activation name' for `new Activation('relu')`. */
  shorthand?: string;
  /** Added when the argument is a number: how to write Keras' positional call here. */
  positional?: string;
}

/**
 * Checks that `options` is a plain object whose keys are all in `allowed`, so that a misspelt or
 * Python-style option (`stride`, `use_bias`) is an error rather than silently ignored, as Keras
 * rejects unknown keyword arguments. The message suggests the intended name when it can tell.
 */
export function checkOptions(op: string, options: unknown, allowed: readonly string[], form: OptionsForm = {}): void {
  const plain = typeof options === 'object' && options !== null && [Object.prototype, null].includes(Object.getPrototypeOf(options));
  if (!plain) {
    const expected = `${form.shorthand ? `${form.shorthand} or ` : ''}an options object ({ ${allowed.join(', ')} })`;
    const hint = typeof options === 'number' && form.positional ? ` (${form.positional})` : '';
    throw new ConvlensError(`${op}: expected ${expected}, got ${describeValue(options)}${hint}`);
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const guess =
      [camelCase(key), `${key}s`, key.replace(/s$/, '')].find((k) => k !== key && allowed.includes(k)) ?? closestName(key, allowed);
    const hint = guess ? `did you mean '${guess}'?` : `expected one of ${allowed.join(', ')}`;
    throw new ConvlensError(`${op}: unknown option '${key}' (${hint})`);
  }
}

/** A ConvlensError whose message starts with `to` instead of `from` (its class kept); other errors as they are. */
export function renamed(error: unknown, from: string, to: string): unknown {
  if (!(error instanceof ConvlensError) || !error.message.startsWith(from)) return error;
  const Class = error.constructor as new (message: string) => ConvlensError;
  return new Class(to + error.message.slice(from.length));
}
