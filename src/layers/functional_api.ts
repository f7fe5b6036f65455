import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { Functional } from './functional.js';
import { checkName, type Layer, uniqueName } from './layer.js';
import { SymbolicTensor } from './symbolic.js';

export interface InputArgs {
  /** The shape of one example, without the batch axis (e.g. [28, 28, 1]). */
  shape: number[];
  name?: string;
}

/**
 * A model's input, as Keras' `keras.Input(shape)` and tfjs' `tf.input({ shape })`: a symbolic
 * tensor to apply layers to, then give to `layers.model`.
 */
export function Input(args: InputArgs): SymbolicTensor {
  checkOptions('Input', args, ['shape', 'name']);
  const { shape, name } = args;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ConvlensError(`Input: shape must be a list of positive integers (one example, no batch axis), got ${describeValue(shape)}`);
  }
  if (name !== undefined) checkName('Input', name);
  return new SymbolicTensor(name ?? uniqueName('input_layer'), shape, { input: true });
}

export interface ModelArgs {
  /** What `Input` returned (or a list of that one). */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** What the last layer's `apply` returned (or a list of that one). */
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

/**
 * Keras' `keras.Model(inputs, outputs)` and tfjs' `tf.model({ inputs, outputs })`: the model of
 * every layer applied between `inputs` and `outputs`, as a `Functional` with one input and one
 * output. Its layers are listed in Keras' order (see layersBetween).
 */
export function model(args: ModelArgs): Functional {
  checkOptions('model', args, ['inputs', 'outputs', 'name']);
  const input = one('inputs', args.inputs);
  const output = one('outputs', args.outputs);
  if (!('input' in input.source)) {
    throw new ConvlensError(`model: inputs must be what Input returns, got the output of layer '${input.name}'`);
  }
  if (output === input) throw new ConvlensError('model: the output is the input itself; apply at least one layer to it');
  const computed = layersBetween(input, output);
  return new Functional({
    name: args.name,
    input: { shape: input.exampleShape, name: input.name },
    layers: computed.map(({ layer, inputs }) => ({ layer, inputs: inputs.map((i) => i.name) })),
    output: output.name,
  });
}

/** The one symbolic tensor of `inputs` or `outputs` (a list of one is taken too). */
function one(what: 'inputs' | 'outputs', given: unknown): SymbolicTensor {
  const list = Array.isArray(given) ? given : [given];
  if (!list.every((t) => t instanceof SymbolicTensor)) {
    const from = what === 'inputs' ? 'Input' : "a layer's apply";
    throw new ConvlensError(`model: ${what} must be a symbolic tensor (from ${from}), got ${describeValue(given)}`);
  }
  if (list.length !== 1) {
    throw new ConvlensError(`model: a model has one input and one output in convlens, got ${list.length} ${what}`);
  }
  return list[0];
}

/**
 * The layers `output` is computed with, back to `input`, in Keras' and tfjs' order (so that
 * `layers` and `getWeights` list them as the same model saved by Keras or tfjs does): deepest
 * first (the longest path to the output), ties in the order a depth-first walk from the output
 * reaches them, each layer's inputs in turn.
 */
function layersBetween(input: SymbolicTensor, output: SymbolicTensor): { layer: Layer; inputs: SymbolicTensor[] }[] {
  const reached = new Map<SymbolicTensor, number>([[output, 0]]);
  const finished: SymbolicTensor[] = [];
  // the walk with a stack of its own: a chain of thousands of layers would overflow the call stack
  const stack = [{ tensor: output, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const { source } = top.tensor;
    if ('input' in source && top.tensor !== input) {
      const which = top.tensor.name === input.name ? `another Input named '${input.name}' too` : `the input '${top.tensor.name}'`;
      throw new ConvlensError(`model: the output depends on ${which}, which is not the model's input '${input.name}'`);
    }
    const inputs = 'inputs' in source ? source.inputs : [];
    if (top.next < inputs.length) {
      const child = inputs[top.next++];
      if (!reached.has(child)) {
        reached.set(child, reached.size);
        stack.push({ tensor: child, next: 0 });
      }
    } else {
      finished.push(top.tensor);
      stack.pop();
    }
  }
  // consumers come before producers in reverse finishing order: a producer is one deeper than its deepest consumer
  const depth = new Map<SymbolicTensor, number>();
  for (const tensor of finished.reverse()) {
    const d = depth.get(tensor) ?? 0;
    if ('inputs' in tensor.source) for (const i of tensor.source.inputs) depth.set(i, Math.max(d + 1, depth.get(i) ?? 0));
    depth.set(tensor, d);
  }
  const nodes: { tensor: SymbolicTensor; layer: Layer; inputs: SymbolicTensor[] }[] = [];
  for (const tensor of reached.keys()) if ('layer' in tensor.source) nodes.push({ tensor, ...tensor.source });
  return nodes.sort((a, b) => depth.get(b.tensor)! - depth.get(a.tensor)! || reached.get(a.tensor)! - reached.get(b.tensor)!);
}
