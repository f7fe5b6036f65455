import { ConvlensError, closestName, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { gaussian } from './gaussian.js';
import { blur, bottomSobel, edge, emboss, sharpen } from './presets.js';

export { type GaussianOptions, gaussian } from './gaussian.js';
export { blur, bottomSobel, edge, emboss, sharpen } from './presets.js';

/** The preset kernels by name, with the lesson's titles. */
export const presets: Readonly<Record<string, { kernel: Tensor; title: string }>> = {
  edge: { kernel: edge, title: 'Edge Detect' },
  blur: { kernel: blur, title: 'Blur' },
  bottomSobel: { kernel: bottomSobel, title: 'Bottom Sobel' },
  emboss: { kernel: emboss, title: 'Emboss' },
  sharpen: { kernel: sharpen, title: 'Sharpen' },
  gaussian: { kernel: gaussian(5, 1), title: 'Gaussian 5×5' },
};

/** The preset names `get` accepts. */
export const names: readonly string[] = Object.keys(presets);

/** A preset's own name (`bottomSobel`) for any spelling `get` accepts, or undefined if there is none. */
export function presetName(name: string): string | undefined {
  const key = String(name).replace(/[-_](\w)/g, (_, c: string) => c.toUpperCase());
  return Object.hasOwn(presets, key) ? key : undefined;
}

/** 'did you mean …?' for a misspelt preset name, else the list of presets. */
export function suggestion(name: unknown): string {
  const guess = typeof name === 'string' ? closestName(name.replace(/[-_]/g, ''), names) : undefined;
  return guess ? `did you mean '${guess}'?` : `expected one of ${names.join(', ')}`;
}

/** The presets' values as loaded: `get` copies these, so writing into `kernels.edge.data` cannot change them. */
const originals = new Map(
  Object.entries(presets).map(([name, { kernel }]) => [name, new Tensor(kernel.data.slice(), kernel.shape, kernel.dtype)]),
);

/**
 * A preset by name, as a fresh tensor with the lesson's values: changing its values, or those of
 * the exported `kernels.edge` and the rest, cannot change what later lookups give. Also accepts
 * snake_case and kebab-case (`bottom_sobel`, `bottom-sobel`).
 */
export function get(name: string): Tensor {
  const key = presetName(name);
  if (!key) throw new ConvlensError(`kernels.get: unknown kernel ${describeValue(name)} (${suggestion(name)})`);
  const { data, shape, dtype } = originals.get(key)!;
  return new Tensor(data.slice(), shape, dtype);
}
