import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { Functional } from './functional.js';
import { batchShapeText, checkName, type Layer, uniqueName } from './layer.js';
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
  /** What `Input` returned, or a list of such inputs (the order `predict` and `fit` take arrays in). */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** What a layer's `apply` returned, or a list of such outputs (the order `predict` returns them in). */
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

/**
 * Keras' `keras.Model(inputs, outputs)` and tfjs' `tf.model({ inputs, outputs })`: the model of
 * every layer applied between `inputs` and `outputs`, as a `Functional` of one or several inputs
 * and outputs. Its layers are listed in Keras' order (see layersBetween).
 */
export function model(args: ModelArgs): Functional {
  checkOptions('model', args, ['inputs', 'outputs', 'name']);
  const inputs = listOf('inputs', args.inputs);
  const outputs = listOf('outputs', args.outputs);
  const where = args.name === undefined ? 'model' : `model '${args.name}'`;
  for (const input of inputs) {
    if (!('input' in input.source)) {
      throw new ConvlensError(`${where}: inputs must be what Input returns, got the output of layer '${input.name}'`);
    }
  }
  for (const output of outputs) {
    if (inputs.includes(output)) {
      throw new ConvlensError(`${where}: the output '${output.name}' is an input itself; apply at least one layer to it`);
    }
  }
  const computed = layersBetween(where, inputs, outputs);
  return new Functional({
    name: args.name,
    input: inputs.map((input) => ({ shape: input.exampleShape, name: input.name })),
    layers: computed.map(({ layer, inputs }) => ({ layer, inputs: inputs.map((i) => i.name) })),
    output: outputs.map((output) => output.name),
  });
}

/** The symbolic tensors of `inputs` or `outputs`: one, or a non-empty list of distinct ones. */
function listOf(what: 'inputs' | 'outputs', given: unknown): SymbolicTensor[] {
  const list = Array.isArray(given) ? given : [given];
  if (list.length === 0 || !list.every((t) => t instanceof SymbolicTensor)) {
    const from = what === 'inputs' ? 'Input' : "a layer's apply";
    throw new ConvlensError(
      `model: ${what} must be a symbolic tensor (from ${from}) or a non-empty list of them, got ${describeValue(given)}`,
    );
  }
  const twice = list.find((t, i) => list.indexOf(t) !== i);
  if (twice) throw new ConvlensError(`model: ${what} lists '${twice.name}' twice`);
  return list;
}

/**
 * The layers the outputs are computed with, back to the inputs, in Keras' and tfjs' order (so
 * that `layers` and `getWeights` list them as the same model saved by Keras or tfjs does):
 * deepest first (the longest path to an output), ties in the order a depth-first walk from each
 * output in turn reaches them, each layer's inputs in turn. Every output must be computed from
 * the inputs alone, and every input must lead to an output.
 */
function layersBetween(
  where: string,
  inputs: readonly SymbolicTensor[],
  outputs: readonly SymbolicTensor[],
): { layer: Layer; inputs: SymbolicTensor[] }[] {
  const reached = new Map<SymbolicTensor, number>();
  const finished: SymbolicTensor[] = [];
  const inputNames = inputs.map((i) => `'${i.name}'`).join(', ');
  for (const output of outputs) {
    if (reached.has(output)) continue;
    reached.set(output, reached.size);
    // the walk with a stack of its own: a chain of thousands of layers would overflow the call stack
    const stack = [{ tensor: output, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const { source } = top.tensor;
      if ('input' in source && !inputs.includes(top.tensor)) {
        const named = inputs.some((i) => i.name === top.tensor.name)
          ? `another Input named '${top.tensor.name}' too`
          : `the input '${top.tensor.name}'`;
        throw new ConvlensError(
          `${where}: the output '${output.name}' depends on ${named}, which is not among the model's inputs (${inputNames}): it cannot be computed from them`,
        );
      }
      const sources = 'inputs' in source ? source.inputs : [];
      if (top.next < sources.length) {
        const child = sources[top.next++];
        if (!reached.has(child)) {
          reached.set(child, reached.size);
          stack.push({ tensor: child, next: 0 });
        }
      } else {
        finished.push(top.tensor);
        stack.pop();
      }
    }
  }
  const unused = inputs.find((i) => !reached.has(i));
  if (unused) {
    const outputNames = outputs.map((o) => `'${o.name}'`).join(', ');
    throw new ConvlensError(
      `${where}: the input '${unused.name}' (shape ${batchShapeText(unused.exampleShape)}) does not lead to any output (${outputNames}): the graph is disconnected`,
    );
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
