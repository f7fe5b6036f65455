import { ConvlensError, describeValue } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type Weight } from './layer.js';
import type { LayerOutput, LayerOutputsOptions } from './layer_paths.js';

/** A model's name: any non-empty string (it names no weight, so TensorFlow's rule for weight names does not apply). */
function checkModelName(className: string, name: unknown): void {
  if (typeof name !== 'string' || name === '') {
    throw new ConvlensError(`${className}: name must be a non-empty string, got ${describeValue(name)}`);
  }
}

/**
 * What Sequential and Functional share as layers: Keras and tfjs let a model stand as a layer of
 * another (a Sequential of augmentation layers, a pretrained base), and so does convlens. Its
 * weights are its layers' in order, freezing it freezes them all, and its output layer (at any
 * depth) is the one a loss reads logits from.
 */
export abstract class ModelLayer extends Layer {
  constructor(className: string, defaultName: string, name: unknown) {
    super(className, defaultName, name === undefined ? {} : { name: name as string }, checkModelName);
  }

  /** Throws: a model's shapes come from its layers (Keras' `input_shape` and `output_shape` are read-only too). */
  protected refuseShapeSet(property: 'inputShape' | 'outputShape'): never {
    const hint = property === 'inputShape' ? ': give inputShape to its first layer, or start it from layers.Input({ shape })' : '';
    throw new ConvlensError(`${this.className} '${this.name}': ${property} is read-only (a model's shapes come from its layers)${hint}`);
  }

  /** The model's own layers (a model among them counts as one). */
  abstract get layers(): readonly Layer[];

  /** Every layer's output for `x` in inference mode (with `expandNested`, the layers of nested models too). */
  abstract layerOutputs(x: Tensor, options?: LayerOutputsOptions): LayerOutput[];

  override get trainable(): boolean {
    return super.trainable;
  }

  /** Freezing a model freezes every layer in it, as in Keras (a frozen BatchNormalization then normalizes with its moving statistics). */
  override set trainable(value: boolean) {
    super.trainable = value;
    for (const layer of this.layers) layer.trainable = value;
  }

  override get trainableWeights(): Weight[] {
    return this.trainable ? this.layers.flatMap((l) => l.trainableWeights) : [];
  }

  /** Every layer's weights, layer after layer (a nested model's in its place). */
  override get weights(): Weight[] {
    return this.layers.flatMap((l) => [...l.weights]);
  }

  override countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  override getWeights(): Tensor<'float32'>[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  /** Sets every layer's weights from one list, in the order `getWeights` returns them. */
  override setWeights(weights: Tensor[]): void {
    const expected = this.weights.length;
    if (!Array.isArray(weights) || weights.length !== expected) {
      throw new ConvlensError(
        `setWeights: the model has ${expected} weight arrays, got ${Array.isArray(weights) ? weights.length : typeof weights}`,
      );
    }
    let offset = 0;
    for (const layer of this.layers) {
      const count = layer.weights.length;
      layer.setWeights(weights.slice(offset, offset + count));
      offset += count;
    }
  }

  /** Applied to a symbolic tensor, a model checks its input's shape itself (its `build`): it has no replica (a model is not shared). */
  override builtFor(): boolean {
    return true;
  }

  override flatLayers(): Layer[] {
    return this.layers.flatMap((l) => l.flatLayers());
  }

  /** Whether `layer` is this model, or in it at any depth. */
  contains(layer: Layer): boolean {
    return layer === this || this.layers.some((l) => l === layer || (l instanceof ModelLayer && l.contains(layer)));
  }

  /**
   * Throws unless `layer` can join this model, which `held` (every layer in it, at any depth, by
   * default) are in: a model cannot hold itself (a cycle), and a layer already in it would be a
   * layer shared between it and a model in it (or two models in it), which convlens does not run
   * (a functional model's own layers may be applied several times: see Functional).
   */
  protected checkJoins(layer: Layer, held: ReadonlySet<Layer> = new Set(this.layers.flatMap(layersWithin))): void {
    const where = `${this.className} '${this.name}'`;
    if (layer === this || (layer instanceof ModelLayer && layer.contains(this))) {
      const how = layer === this ? 'itself' : `the model '${layer.name}', which holds '${this.name}'`;
      throw new ConvlensError(`${where}: cannot hold ${how} (a model nested in itself is a cycle)`);
    }
    const shared = layersWithin(layer).find((l) => held.has(l));
    if (shared) {
      throw new ConvlensError(
        `${where}: ${shared.className} '${shared.name}' is already in the model${shared === layer ? '' : ` (in '${layer.name}' too)`}; a layer used twice is a shared layer, which convlens runs only among a functional model's own layers (each applied several times), not in a Sequential nor both in a model and in a model nested in it`,
      );
    }
  }
}

/** `layer`, and for a model every layer in it at any depth (nested models included). */
export function layersWithin(layer: Layer): Layer[] {
  return layer instanceof ModelLayer ? [layer, ...layer.layers.flatMap(layersWithin)] : [layer];
}
