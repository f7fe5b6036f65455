import { ConvlensError, describeValue } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ImageDataFormat } from './args.js';
import { InferenceWorkspace, type ModelRun } from './inference_workspace.js';
import { batchShapeText, Layer, type Weight } from './layer.js';
import type { LayerOutput, LayerOutputsOptions } from './layer_paths.js';
import type { Shape } from './shapes.js';

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

  /** The model's own layers (a model among them counts as one): a new list each time, as Keras' `model.layers`. */
  abstract get layers(): Layer[];

  /** Every layer's output for `x` in inference mode (with `expandNested`, the layers of nested models too). */
  abstract layerOutputs(x: Tensor, options?: LayerOutputsOptions): LayerOutput[];

  /**
   * Its output for a batch in inference mode as a layer of another model, with every layer's
   * output on the way, nested models' expanded (layerOutputs' entries): each computed once.
   * `inputFormat` is the layout the batch is in (from the layers before the model).
   */
  abstract tracedRun(x: Tensor<'float32'>, inputFormat: ImageDataFormat): { output: Tensor<'float32'>; layers: LayerOutput[] };

  /** The layout of its output given its input's, as its layers give it (see image_layout.ts). */
  abstract outputLayout(inputFormat: ImageDataFormat): ImageDataFormat;

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
      // a model built on its first input has no weights before it: say so, rather than leave "has 0" unexplained
      const unbuilt = this.layers.find((l) => !l.built);
      const why = unbuilt
        ? ` (layer '${unbuilt.name}' is not built yet, so its weights do not exist: give the first layer an inputShape, or call predict first)`
        : '';
      throw new ConvlensError(
        `setWeights: the model has ${expected} weight arrays, got ${Array.isArray(weights) ? weights.length : typeof weights}${why}`,
      );
    }
    let offset = 0;
    for (const layer of this.layers) {
      const count = layer.weights.length;
      layer.setWeights(weights.slice(offset, offset + count));
      offset += count;
    }
  }

  /**
   * A stand-in for another application of the model (a shared model, as a siamese network's
   * encoder): a copy of it that runs replicas of its layers (see Layer.replica), so that each
   * application keeps the forward state its backward needs, with the same weights. For inputs of
   * another shape, each layer's replica is built for the shape that reaches it, where the layers'
   * weights fit (as Keras runs a model on such inputs); otherwise the error names the model and
   * the layer.
   */
  override replica(inputs: { name: string; shape: Shape }[]): Layer {
    const input = this.singleInput(inputs);
    if (!this.built) throw new ConvlensError(`${this.name} (${this.className}): a replica needs a built model`);
    try {
      return this.replicaFor(input);
    } catch (error) {
      if (!(error instanceof ConvlensError)) throw error;
      throw new ConvlensError(
        `${this.name} (${this.className}): built for inputs ${batchShapeText(this.inputShape!)}, cannot run on ${input.name} ${batchShapeText(input.shape)} with the same weights: ${error.message}`,
      );
    }
  }

  /**
   * While the model predicts: its run's tracking of the buffers its layers compute in, so that
   * each goes back to the pool once `live` (the tensors the run holds) no longer views it;
   * undefined elsewhere (fit and evaluate keep every activation).
   */
  protected startRun(live: () => Iterable<Tensor>): ModelRun | undefined {
    const ws = this.originalLayer.workspace;
    return ws?.active && ws instanceof InferenceWorkspace ? ws.startRun(live) : undefined;
  }

  /** The copy `replica` gives, running replicas of the layers built for `input`. */
  protected abstract replicaFor(input: { name: string; shape: Shape }): ModelLayer;

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

/**
 * The index tfjs and Keras 2 give application `call` of `layer` (its node index, in saved files and
 * summaries): a model's count from 1, its own construction being its node 0.
 */
export function nodeIndex(layer: Layer, call: number): number {
  return layer instanceof ModelLayer ? call + 1 : call;
}
