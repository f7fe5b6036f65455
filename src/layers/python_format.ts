import { ConvlensError } from '../errors.js';

/**
 * Python's `str.format` for the names Keras' callbacks fill in: `'{epoch:02d}-{val_loss:.2f}'`
 * with `epoch` an int and the logs floats. Fields are names with an optional format spec
 * (`[[fill]align][sign][0][width][.precision][type]`, types d e E f F g G % or none), written as
 * Python writes them; `{{` and `}}` are braces.
 */
export interface PythonFields {
  /** Python ints (the epoch and batch numbers). */
  ints: Record<string, number>;
  /** Python floats (the logs). */
  floats: Record<string, number>;
}

const FIELD = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;
const SPEC = /^(?:([\s\S])?([<>=^]))?([-+ ])?(0)?(\d+)?(?:\.(\d+))?([eEfFgGd%])?$/;

/** `template` with its fields filled in; `where` names the caller in errors (e.g. `'modelCheckpoint: filepath'`). */
export function formatPython(template: string, fields: PythonFields, where: string): string {
  return template.replace(FIELD, (match, field: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    if (field === undefined)
      throw new ConvlensError(`${where} '${template}' has a single '${match}': write '${match}${match}' for a brace`);
    const colon = field.indexOf(':');
    const name = colon < 0 ? field : field.slice(0, colon);
    const spec = colon < 0 ? '' : field.slice(colon + 1);
    const isInt = Object.hasOwn(fields.ints, name);
    if (!isInt && !Object.hasOwn(fields.floats, name)) {
      const known = [...Object.keys(fields.ints), ...Object.keys(fields.floats)].join(', ');
      throw new ConvlensError(`${where} '${template}' names '{${name}}', which is not among the values it is filled with (${known})`);
    }
    const value = isInt ? fields.ints[name] : fields.floats[name];
    return formatNumber(value, isInt, spec, `${where} '${template}': '{${field}}'`);
  });
}

/** The names of `template`'s fields, in order (a malformed template throws when it is formatted). */
export function fieldNames(template: string): string[] {
  return [...template.matchAll(FIELD)].flatMap((match) => (match[1] === undefined ? [] : [match[1].split(':')[0]]));
}

function formatNumber(value: number, isInt: boolean, spec: string, where: string): string {
  const parts = SPEC.exec(spec);
  if (!parts) {
    throw new ConvlensError(
      `${where} has a format spec convlens does not read (it reads [[fill]align][sign][0][width][.precision][type], type d, e, f, g, % or none)`,
    );
  }
  const [, givenFill, givenAlign, sign = '-', zero, width, precisionText, type = ''] = parts;
  if (type === 'd' && !isInt) throw new ConvlensError(`${where}: 'd' formats an integer, and this value is a float (use '.0f')`);
  if (isInt && (type === 'd' || type === '') && precisionText !== undefined)
    throw new ConvlensError(`${where}: an integer format takes no precision`);
  const precision = precisionText === undefined ? undefined : Number(precisionText);
  const negative = value < 0 || Object.is(value, -0);
  const body = numberBody(Math.abs(value), isInt, type, precision);
  const signText = negative ? '-' : sign === '-' ? '' : sign;
  const align = givenAlign ?? (zero ? '=' : '>');
  const padding = Math.max(0, Number(width ?? 0) - signText.length - body.length);
  const padChar = givenAlign === undefined && zero ? '0' : givenFill || ' ';
  const pad = (n: number) => padChar.repeat(n);
  if (align === '<') return signText + body + pad(padding);
  if (align === '^') return pad(Math.floor(padding / 2)) + signText + body + pad(padding - Math.floor(padding / 2));
  if (align === '=') return signText + pad(padding) + body;
  return pad(padding) + signText + body;
}

/** A non-negative number (or NaN, or infinity) written by `type`, without its sign. */
function numberBody(x: number, isInt: boolean, type: string, precision: number | undefined): string {
  const upper = type === 'E' || type === 'F' || type === 'G';
  if (!Number.isFinite(x)) {
    const text = Number.isNaN(x) ? 'nan' : 'inf';
    return upper ? text.toUpperCase() : `${text}${type === '%' ? '%' : ''}`;
  }
  switch (type) {
    case 'd':
      return String(x);
    case 'f':
    case 'F':
      return fixed(x, precision ?? 6);
    case 'e':
    case 'E':
      return scientific(x, precision ?? 6, upper);
    case 'g':
    case 'G':
      return general(x, precision ?? 6, upper, false);
    case '%':
      // Python multiplies in floats first: a huge ratio is 'inf%'
      return Number.isFinite(x * 100) ? `${fixed(x * 100, precision ?? 6)}%` : 'inf%';
    default:
      if (precision !== undefined) return general(x, precision, false, true);
      return isInt ? String(x) : pythonRepr(x);
  }
}

/**
 * x · 10^k rounded to an integer, half to even, exactly (x is m · 2^e for integers m, e), as
 * Python rounds: toFixed and toExponential round a tie up (0.125 to 0.13, where Python writes 0.12).
 */
function roundScaled(x: number, k: number): bigint {
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, x);
  const high = bits.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(bits.getUint32(4));
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  let numerator = mantissa * (k >= 0 ? 10n ** BigInt(k) : 1n);
  let denominator = k < 0 ? 10n ** BigInt(-k) : 1n;
  if (exponent >= 0) numerator <<= BigInt(exponent);
  else denominator <<= BigInt(-exponent);
  const quotient = numerator / denominator;
  const twice = 2n * (numerator % denominator);
  return twice > denominator || (twice === denominator && quotient % 2n === 1n) ? quotient + 1n : quotient;
}

/** Fixed-point with `digits` decimals. */
function fixed(x: number, digits: number): string {
  const text = roundScaled(x, digits)
    .toString()
    .padStart(digits + 1, '0');
  return digits > 0 ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
}

/** The `digits + 1` significant digits of x and the exponent of the first, after rounding. */
function significant(x: number, digits: number): { text: string; exponent: number } {
  if (x === 0) return { text: '0'.repeat(digits + 1), exponent: 0 };
  let exponent = Math.floor(Math.log10(x));
  let scaled = roundScaled(x, digits - exponent);
  // log10 may be one off near a power of ten; rounding up may give one digit more
  if (scaled < 10n ** BigInt(digits)) scaled = roundScaled(x, digits - --exponent);
  if (scaled >= 10n ** BigInt(digits + 1)) scaled = roundScaled(x, digits - ++exponent);
  return { text: scaled.toString(), exponent };
}

/** Python's exponent form: `1.50e+03`, the exponent of two digits at least. */
function scientific(x: number, digits: number, upper: boolean, trim = false): string {
  const { text, exponent } = significant(x, digits);
  let mantissa = digits > 0 ? `${text[0]}.${text.slice(1)}` : text;
  if (trim) mantissa = trimZeros(mantissa);
  const power = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${mantissa}${upper ? 'E' : 'e'}${power}`;
}

/**
 * Python's 'g' (and, with `noType`, a float's format with a precision and no type): `precision`
 * significant digits, fixed-point for exponents from -4 to below the precision (below precision - 1
 * for no type), trailing zeros removed ('g') or one decimal kept (no type).
 */
function general(x: number, precision: number, upper: boolean, noType: boolean): string {
  const p = Math.max(precision, 1);
  const { exponent } = significant(x, p - 1);
  if (exponent < -4 || exponent >= (noType ? p - 1 : p)) return scientific(x, p - 1, upper, true);
  const text = trimZeros(fixed(x, p - 1 - exponent));
  return noType && !text.includes('.') ? `${text}.0` : text;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * Python's `repr` of a float (what `str.format` writes with no spec, and the csv module too): the
 * shortest digits that read back the same, as JavaScript's, in fixed-point for exponents from -4 to
 * 15 with at least one decimal (`1.0`), otherwise `1e-05`, `1.5e+16`; `nan` and `inf`.
 */
export function pythonRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e');
  const exponent = Number(exponentText);
  const digits = mantissa.replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const e = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
    return `${sign}${mantissa}e${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction || '0'}`;
}
