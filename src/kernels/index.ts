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

/** A name with case, spaces, hyphens and underscores left out: how presetName compares them. */
const folded = (name: string) => name.replace(/[\s_-]/g, '').toLowerCase();

/** Each preset by its folded name and its folded title ('bottomsobel', 'edgedetect'). */
const byFoldedName = new Map(
  Object.entries(presets).flatMap(([key, { title }]) => [
    [folded(key), key],
    [folded(title), key],
  ]),
);

/**
 * A preset's own name (`bottomSobel`) for any spelling `get` accepts, or undefined if there is
 * none: its name or title in any case, with or without spaces, hyphens or underscores
 * (`bottom_sobel`, `Bottom-Sobel`, `"Bottom Sobel"`, `EDGE`, `"Edge Detect"`).
 */
export function presetName(name: string): string | undefined {
  return byFoldedName.get(folded(String(name)));
}

/** 'did you mean …?' for a misspelt preset name, else the list of presets. */
export function suggestion(name: unknown): string {
  const guess = typeof name === 'string' ? closestName(folded(name), [...byFoldedName.keys()]) : undefined;
  return guess ? `did you mean '${byFoldedName.get(guess)}'?` : `expected one of ${names.join(', ')}`;
}

/** The presets' values as loaded: `get` copies these, so writing into `kernels.edge.data` cannot change them. */
const originals = new Map(
  Object.entries(presets).map(([name, { kernel }]) => [name, new Tensor(kernel.data.slice(), kernel.shape, kernel.dtype)]),
);

/**
 * A preset by name, as a fresh tensor with the lesson's values: changing its values, or those of
 * the exported `kernels.edge` and the rest, cannot change what later lookups give. Also accepts
 * other spellings of a name or title (`bottom_sobel`, `Bottom Sobel`: see presetName).
 */
export function get(name: string): Tensor {
  const key = presetName(name);
  if (!key) throw new ConvlensError(`kernels.get: unknown kernel ${describeValue(name)} (${suggestion(name)})`);
  const { data, shape, dtype } = originals.get(key)!;
  return new Tensor(data.slice(), shape, dtype);
}
