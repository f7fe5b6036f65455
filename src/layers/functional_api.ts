import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { Functional, type FunctionalNode } from './functional.js';
import { tensorKey } from './functional_graph.js';
import { batchShapeText, checkName, type Layer, uniqueName } from './layer.js';
import { isDeclarableShape, type Shape } from './shapes.js';
import { SymbolicTensor } from './symbolic.js';

export interface InputArgs {
  /** The shape of one example, without the batch axis (e.g. [28, 28, 1]; null for a free size: [null, null, 3]). */
  shape: Shape;
  name?: string;
}

/**
 * A model's input, as Keras' `keras.Input(shape)` and tfjs' `tf.input({ shape })`: a symbolic
 * tensor to apply layers to, then give to `layers.model`.
 */
export function Input(args: InputArgs): SymbolicTensor {
  checkOptions('Input', args, ['shape', 'name']);
  const { shape, name } = args;
  if (!isDeclarableShape(shape)) {
    throw new ConvlensError(
      `Input: shape must be a list of positive integers or null (a free size), one example without the batch axis, got ${describeValue(shape)}`,
    );
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
  const { layers, keys } = layersBetween(where, inputs, outputs);
  const made = new Functional({
    name: args.name,
    input: inputs.map((input) => ({ shape: input.exampleShape, name: input.name })),
    layers,
    output: outputs.map((output) => keys.get(output)!),
  });
  made.keepSymbolic(inputs, outputs);
  return made;
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
 * deepest first (the longest path from any of its applications to an output), ties in the order
 * a depth-first walk from each output in turn first reaches them, each application's inputs in
 * turn. A layer applied several times (a shared layer) gives one node per application, in the
 * order they were made. Every output must be computed from the inputs alone, and every input
 * must lead to an output. Also returns each tensor's key in the model (see tensorKey).
 */
function layersBetween(
  where: string,
  inputs: readonly SymbolicTensor[],
  outputs: readonly SymbolicTensor[],
): { layers: FunctionalNode[]; keys: Map<SymbolicTensor, string> } {
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
  const nodes = new Map<Layer, SymbolicTensor[]>();
  for (const tensor of reached.keys())
    if ('layer' in tensor.source) nodes.set(tensor.source.layer, [...(nodes.get(tensor.source.layer) ?? []), tensor]);
  const depths = layerDepths(finished);
  const layers = [...nodes.keys()].sort((a, b) => depths.get(b)! - depths.get(a)!); // stable: ties stay in the walk's order
  const keys = new Map<SymbolicTensor, string>(inputs.map((i) => [i, i.name]));
  for (const layer of layers) {
    const calls = nodes.get(layer)!.sort((a, b) => callOf(a) - callOf(b));
    for (const [call, tensor] of calls.entries()) keys.set(tensor, tensorKey(layer.name, call));
  }
  const entries = layers.flatMap((layer) =>
    nodes.get(layer)!.map((tensor) => ({ layer, inputs: sourcesOf(tensor).map((i) => keys.get(i)!) })),
  );
  return { layers: entries, keys };
}

const callOf = (tensor: SymbolicTensor) => ('call' in tensor.source ? tensor.source.call : 0);
const sourcesOf = (tensor: SymbolicTensor) => ('inputs' in tensor.source ? tensor.source.inputs : []);

/**
 * Each layer's depth, as Keras and tfjs count it: an application is one deeper than the deepest
 * that takes its output, and a layer as deep as its deepest application (which then counts as
 * that deep for the applications before it). `finished` is the walk's finishing order.
 */
function layerDepths(finished: readonly SymbolicTensor[]): Map<Layer, number> {
  const nodeDepths = new Map<SymbolicTensor, number>();
  const depths = new Map<Layer, number>();
  // consumers come before producers in reverse finishing order
  for (const tensor of [...finished].reverse()) {
    let depth = nodeDepths.get(tensor) ?? 0;
    if ('layer' in tensor.source) {
      depth = Math.max(depth, depths.get(tensor.source.layer) ?? 0);
      depths.set(tensor.source.layer, depth);
    }
    for (const i of sourcesOf(tensor)) nodeDepths.set(i, Math.max(depth + 1, nodeDepths.get(i) ?? 0));
  }
  return depths;
}
