import { formatShape } from '../tensor/shape.js';
import type { Layer } from './layer.js';
import type { Shape } from './shapes.js';

/**
 * Where a symbolic tensor comes from: a model's input (`Input`), or a layer applied to others.
 * `call` counts the layer's applications (Keras' node index): a layer applied again (a shared
 * layer, its weights the same) gives tensors of calls 1, 2, ...
 */
export type SymbolicSource = { input: true } | { layer: Layer; inputs: SymbolicTensor[]; call: number };

const calls = new WeakMap<Layer, number>();

/** The index of `layer`'s next symbolic application (0 for its first). */
export function nextCall(layer: Layer): number {
  const call = calls.get(layer) ?? 0;
  calls.set(layer, call + 1);
  return call;
}

const graphMakers = new WeakMap<Layer, () => void>();

/** Registers how the graph a layer belongs to is made (a Sequential makes its own on first use, see `Layer.output`). */
export function setGraphMaker(layer: Layer, make: () => void): void {
  graphMakers.set(layer, make);
}

/** Makes the graph `layer` belongs to, if one is registered and not yet made. */
export function makeGraphOf(layer: Layer): void {
  graphMakers.get(layer)?.();
}

/**
 * A placeholder for the batches a layer will see, as Keras' `KerasTensor` and tfjs'
 * `SymbolicTensor`: `Input` makes one, a layer's `apply` on one returns another, and
 * `layers.model({ inputs, outputs })` reads the graph they form. It holds a shape, no values.
 */
export class SymbolicTensor {
  /** Frozen, as a Tensor's shape: a layer built from it keeps it. */
  readonly exampleShape: Shape;

  constructor(
    /** The input's name, or the name of the layer whose output it is. */
    readonly name: string,
    exampleShape: Shape,
    readonly source: SymbolicSource,
  ) {
    this.exampleShape = Object.freeze([...exampleShape]) as Shape;
  }

  /** The shape of a batch, its size unknown (null), as Keras and tfjs show it. */
  get shape(): (number | null)[] {
    return [null, ...this.exampleShape];
  }

  get rank(): number {
    return this.exampleShape.length + 1;
  }

  toString(): string {
    return `SymbolicTensor '${this.name}' of shape ${formatShape(this.shape)}`;
  }
}
