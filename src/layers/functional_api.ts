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
 * output. Its layers are listed in the order they were applied.
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

/** The layers `output` is computed with, back to `input`, in the order they were applied. */
function layersBetween(input: SymbolicTensor, output: SymbolicTensor): { layer: Layer; inputs: SymbolicTensor[] }[] {
  const seen = new Map<SymbolicTensor, { layer: Layer; inputs: SymbolicTensor[] }>();
  const pending = [output];
  while (pending.length > 0) {
    const t = pending.pop()!;
    if (t === input || seen.has(t)) continue;
    if ('input' in t.source) {
      const which = t.name === input.name ? `another Input named '${t.name}' too` : `the input '${t.name}'`;
      throw new ConvlensError(`model: the output depends on ${which}, which is not the model's input '${input.name}'`);
    }
    seen.set(t, t.source);
    pending.push(...t.source.inputs);
  }
  return [...seen].sort(([a], [b]) => a.id - b.id).map(([, node]) => node);
}
