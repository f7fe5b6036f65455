import { describe, expect, it } from 'vitest';
import { expectConvlensError } from '../../test/helpers/errors.js';
import { formatPython, pythonRepr } from './python_format.js';

const INTS = ['epoch', 'batch'];

/** Formats `template` with the ints and floats of `values`, as Keras' ModelCheckpoint fills its filepath. */
function format(template: string, values: Record<string, number>): string {
  const ints = Object.fromEntries(Object.entries(values).filter(([k]) => INTS.includes(k)));
  const floats = Object.fromEntries(Object.entries(values).filter(([k]) => !INTS.includes(k)));
  return formatPython(template, { ints, floats }, 'test: filepath');
}

describe('formatPython', () => {
  it("writes what Python 3.12's str.format writes (expected strings printed by python3)", () => {
    const cases: [string, Record<string, number>, string][] = [
      ['{epoch:02d}-{val_loss:.2f}', { epoch: 3, val_loss: 0.125 }, '03-0.12'], // a tie rounds to even
      ['{epoch:03d}_{loss:.4e}', { epoch: 12, loss: 1234.5 }, '012_1.2345e+03'],
      ['{loss}', { loss: 0.1 }, '0.1'],
      ['{loss}', { loss: 1 }, '1.0'],
      ['{loss}', { loss: 1e-5 }, '1e-05'],
      ['{loss}', { loss: 1e16 }, '1e+16'],
      ['{loss}', { loss: Math.fround(0.3) }, '0.30000001192092896'],
      ['{loss}', { loss: Number.NaN }, 'nan'],
      ['{loss}', { loss: Number.NEGATIVE_INFINITY }, '-inf'],
      ['{accuracy:.2f}', { accuracy: 0.375 }, '0.38'],
      ['{accuracy:.0f}', { accuracy: 2.5 }, '2'],
      ['{loss:.3}', { loss: 123 }, '1.23e+02'],
      ['{loss:.3}', { loss: 12 }, '12.0'],
      ['{loss:.3g}', { loss: 0.5 }, '0.5'],
      ['{loss:g}', { loss: 1e-5 }, '1e-05'],
      ['{loss:.1%}', { loss: 0.4567 }, '45.7%'],
      ['{loss:08.3f}', { loss: -3.14259 }, '-003.143'],
      ['{loss:*^9.1f}', { loss: 2.25 }, '***2.2***'],
      ['{loss:=+10.3f}', { loss: 2.5 }, '+    2.500'],
      ['{loss:E}', { loss: 0.000123 }, '1.230000E-04'],
      ['{epoch:<4d}|', { epoch: 7 }, '7   |'],
      ['{epoch:.2f}', { epoch: 7 }, '7.00'],
      ['{epoch}', { epoch: 10 }, '10'],
      ['{{{epoch}}}', { epoch: 1 }, '{1}'],
      ['{loss:.2f}', { loss: 1e22 }, '10000000000000000000000.00'],
    ];
    for (const [template, values, expected] of cases) expect(format(template, values), template).toBe(expected);
    expect([pythonRepr(-0), pythonRepr(123456789.5), pythonRepr(5e-324)]).toEqual(['-0.0', '123456789.5', '5e-324']);
  });

  it('names the field, the template and what is wrong, as Python refuses them', () => {
    expectConvlensError(
      () => format('{epoch}-{val_los}', { epoch: 1, loss: 0.5 }),
      "test: filepath '{epoch}-{val_los}' names '{val_los}', which is not among the values it is filled with (epoch, loss)",
    );
    expectConvlensError(() => format('{loss:02d}', { loss: 0.5 }), /'\{loss:02d\}': 'd' formats an integer, and this value is a float/);
    expectConvlensError(() => format('{epoch:.3}', { epoch: 1 }), /an integer format takes no precision/);
    expectConvlensError(() => format('{loss:,.2f}', { loss: 1 }), /has a format spec convlens does not read/);
    expectConvlensError(() => format('ckpt}', { loss: 1 }), "test: filepath 'ckpt}' has a single '}': write '}}' for a brace");
  });
});
