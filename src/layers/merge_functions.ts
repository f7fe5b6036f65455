import { ConvlensError, describeValue } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LayerArgs } from './layer.js';
import { Add, Average, Concatenate, type ConcatenateLayerArgs, Maximum, type MergeLayer, Minimum, Multiply, Subtract } from './merge.js';
import type { SymbolicTensor } from './symbolic.js';

// Keras' functional interfaces of the merge layers (`x = layers.add([x, residual])` in its
// tutorials): a new layer applied at once to the list, symbolic tensors or batches.

interface MergeFunction<Args extends LayerArgs> {
  (inputs: SymbolicTensor[], args?: Args): SymbolicTensor;
  (inputs: Tensor[], args?: Args): Tensor<'float32'>;
}

function mergeFunction<Args extends LayerArgs>(name: string, make: (args: Args) => MergeLayer): MergeFunction<Args> {
  function merge(inputs: SymbolicTensor[], args?: Args): SymbolicTensor;
  function merge(inputs: Tensor[], args?: Args): Tensor<'float32'>;
  function merge(inputs: SymbolicTensor[] | Tensor[], args = {} as Args): SymbolicTensor | Tensor<'float32'> {
    if (!Array.isArray(inputs)) {
      throw new ConvlensError(
        `layers.${name}: expects a list of the tensors to merge, e.g. ${name}([x, residual]), got ${describeValue(inputs)}`,
      );
    }
    return make(args).apply(inputs as SymbolicTensor[]);
  }
  return merge;
}

/** Keras' `layers.add(inputs)`: `new Add(args).apply(inputs)`. */
export const add = mergeFunction<LayerArgs>('add', (args) => new Add(args));
/** Keras' `layers.subtract(inputs)`: `new Subtract(args).apply(inputs)`. */
export const subtract = mergeFunction<LayerArgs>('subtract', (args) => new Subtract(args));
/** Keras' `layers.multiply(inputs)`: `new Multiply(args).apply(inputs)`. */
export const multiply = mergeFunction<LayerArgs>('multiply', (args) => new Multiply(args));
/** Keras' `layers.average(inputs)`: `new Average(args).apply(inputs)`. */
export const average = mergeFunction<LayerArgs>('average', (args) => new Average(args));
/** Keras' `layers.maximum(inputs)`: `new Maximum(args).apply(inputs)`. */
export const maximum = mergeFunction<LayerArgs>('maximum', (args) => new Maximum(args));
/** Keras' `layers.minimum(inputs)`: `new Minimum(args).apply(inputs)`. */
export const minimum = mergeFunction<LayerArgs>('minimum', (args) => new Minimum(args));
/** Keras' `layers.concatenate(inputs, axis=-1)`: `new Concatenate({ axis }).apply(inputs)`. */
export const concatenate = mergeFunction<ConcatenateLayerArgs>('concatenate', (args) => new Concatenate(args));
