import { ConvlensError, describeValue } from '../errors.js';
import type { LayerJson } from './artifacts.js';

/** A layer entry of a functional config: Keras' layer config plus how it is called. */
export interface GraphLayerJson extends LayerJson {
  name?: unknown;
  inbound_nodes?: unknown;
}

/** One input of one call: the layer whose output it is, which call of it (its node index) and which of its outputs. */
interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/**
 * The node index of a model's first application where a file refers to it: tfjs and Keras 2 count
 * a model's own construction as its node 0 (its applications from 1), as Keras 3 does in its
 * output_layers for a functional model; Keras 3's tensors count a model's applications from 0, as
 * its output_layers do for a Sequential.
 */
type FirstModelNode = 0 | 1;

/** One call of a layer: its tensor inputs (and where their writer counts a model's applications from), and the other call arguments that have a value. */
interface Call {
  inputs: TensorRef[];
  firstModelNode: FirstModelNode;
  options: string[];
}

/**
 * The key of a tensor of a functional graph: the output of call `call` of layer `name` (its first
 * call's is the layer's name, a later one's `name[call]`), or a model input's (its name).
 */
export const tensorKey = (name: string, call: number) => (call === 0 ? name : `${name}[${call}]`);

/**
 * A functional model's config read as a graph: its layers in the config's order (Keras' order),
 * its input layers' names and its outputs' tensor keys (see tensorKey) in order, and for every
 * other layer the inputs of each of its calls, as tensor keys, in the order it takes them (a
 * shared layer has several calls; an input layer, none).
 */
export interface LayerGraph {
  name?: string;
  layers: { name: string; entry: GraphLayerJson; calls: string[][] }[];
  inputs: string[];
  outputs: string[];
}

export const fail = (message: string) => new ConvlensError(`fromArtifacts: ${message}`);

/** What every reader of functional models refuses, whatever the shape of its graph. */
const ONCE_ONLY = 'convlens reads functional models whose layers take the first output of layers of the model';

/**
 * The graph of a functional model (Keras' `Functional`, tf.keras' and tfjs' `Model`): one or
 * several inputs and outputs, a layer called once or several times (a shared layer, or a shared
 * model), and every call and input on the way from an input to an output. A layer may be a model
 * (its entry's config is the model's). Errors name the layer.
 */
export function parseGraph(className: string, config: unknown): LayerGraph {
  const c = config as { name?: unknown; layers?: unknown; input_layers?: unknown; output_layers?: unknown } | null;
  if (!c || typeof c !== 'object' || !Array.isArray(c.layers)) throw fail(`the ${className} config has no list of layers`);
  const byName = new Map<string, GraphLayerJson>();
  for (const [index, entry] of (c.layers as GraphLayerJson[]).entries()) {
    const name = layerName(entry);
    if (name === undefined) throw fail(`layer ${index} of the ${className} model has no name`);
    if (byName.has(name)) throw fail(`the ${className} model has two layers named '${name}'`);
    byName.set(name, entry);
  }
  const models = new Map(
    [...byName].filter(([, entry]) => isModelClass(entry.class_name)).map(([name, entry]) => [name, entry.class_name]),
  );
  const inputRefs = ends(className, 'input', c.input_layers);
  const outputRefs = ends(className, 'output', c.output_layers);
  for (const [what, refs] of [['input', inputRefs] as const, ['output', outputRefs] as const]) {
    for (const { layer } of refs)
      if (!byName.has(layer)) throw fail(`the ${className} model's ${what} '${layer}' is not one of its layers`);
  }
  const inputs = inputRefs.map((ref) => ref.layer);
  const calls = new Map([...byName].map(([name, entry]) => [name, inputs.includes(name) ? [] : callsOf(name, entry.inbound_nodes)]));
  const key = (where: string, ref: TensorRef, first: FirstModelNode) =>
    keyOf(where, ref, calls.get(ref.layer), models.has(ref.layer) && first);
  // Keras 3 (which writes calls as objects) counts a functional model's applications from 1 in output_layers, a Sequential's from 0
  const keras3 = [...calls.values()].some((cs) => cs.some((call) => call.firstModelNode === 0));
  const outputFirst = (ref: TensorRef) => (keras3 && models.get(ref.layer) === 'Sequential' ? 0 : 1);
  const outputs = outputRefs.map((ref) => key(`the ${className} model's output`, ref, outputFirst(ref)));
  for (const [what, keys] of [['input', inputs] as const, ['output', outputs] as const]) {
    const twice = keys.find((n, i) => keys.indexOf(n) !== i);
    if (twice !== undefined) throw fail(`the ${className} model lists '${twice}' twice among its ${what}s`);
  }
  const layers = [...byName].map(([name, entry]) => ({
    name,
    entry,
    calls: inputs.includes(name) ? [] : inputsOf(name, calls.get(name)!, (ref, first) => key(`layer '${name}'`, ref, first)),
  }));
  checkAllOnTheWay(layers, inputs, outputs);
  return { name: typeof c.name === 'string' ? c.name : undefined, layers, inputs, outputs };
}

/**
 * The key of the tensor `ref` names (see tensorKey), for `where` (which takes it) to name in an
 * error: a call the layer has, its first output. For a model, `modelFirst` is the node index of
 * its first application in the writer's count (see FirstModelNode); a model called once may be
 * referred to as node 0 or 1 either way.
 */
function keyOf(where: string, ref: TensorRef, calls: Call[] | undefined, modelFirst: FirstModelNode | false): string {
  if (calls === undefined) throw fail(`${where} takes its input from '${ref.layer}', which is not a layer of the model`);
  if (ref.tensor !== 0) throw fail(`${where} takes output ${ref.tensor} of '${ref.layer}'; ${ONCE_ONLY}`);
  if (modelFirst !== false) {
    if (calls.length === 1 && ref.node <= 1) return ref.layer;
    const call = ref.node - modelFirst;
    if (call < 0 || call >= calls.length) {
      const nodes =
        calls.length === 1
          ? 'once (its node 0 or 1)'
          : `${calls.length} times (nodes ${modelFirst} to ${modelFirst + calls.length - 1} here)`;
      throw fail(`${where} takes the output of node ${ref.node} of the model '${ref.layer}', which is called ${nodes}`);
    }
    return tensorKey(ref.layer, call);
  }
  const count = Math.max(calls.length, 1); // an input layer is not called, but has its output
  if (ref.node >= count) {
    throw fail(
      `${where} takes the output of call ${ref.node} (counting from 0) of '${ref.layer}', which is called ${calls.length} time${calls.length === 1 ? '' : 's'}`,
    );
  }
  return tensorKey(ref.layer, ref.node);
}

/** Every call of a layer and every input must lead to an output (Keras writes no others): one that does not would be computed for nothing. */
function checkAllOnTheWay(layers: LayerGraph['layers'], inputs: string[], outputs: string[]): void {
  const inputsByName = new Map(layers.flatMap((l) => l.calls.map((call, i) => [tensorKey(l.name, i), call] as const)));
  const needed = new Set<string>();
  // a stack, not recursion: a chain of some thousands of layers overflowed the call stack (a RangeError)
  const pending = [...outputs];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    pending.push(...(inputsByName.get(name) ?? []));
  }
  const offKey = layers
    .flatMap((l) => (inputs.includes(l.name) ? [l.name] : l.calls.map((_, i) => tensorKey(l.name, i))))
    .find((k) => !needed.has(k));
  if (offKey !== undefined) {
    const from = inputs.length === 1 ? `the input '${inputs[0]}'` : `the inputs (${inputs.map((n) => `'${n}'`).join(', ')})`;
    const to = outputs.length === 1 ? `the output '${outputs[0]}'` : `an output (${outputs.map((n) => `'${n}'`).join(', ')})`;
    throw fail(`layer '${offKey}' is not on the way from ${from} to ${to}; convlens reads the layers that compute a model's outputs`);
  }
}

/** Model classes, as Keras 2 and 3 and tfjs name them in a config, which may stand as a layer of another model. */
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

export const isModelClass = (className: unknown) => typeof className === 'string' && MODEL_CLASSES.has(className);

function layerName(entry: GraphLayerJson): string | undefined {
  const name = entry?.name ?? (entry?.config as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** The model's input or output layers, in order (`[[name, node, 0], ...]`, or `[name, node, 0]` as Keras 3 may write one). */
function ends(className: string, what: 'input' | 'output', value: unknown): TensorRef[] {
  const refs = Array.isArray(value) && typeof value[0] === 'string' ? [value] : value;
  if (!Array.isArray(refs) || refs.length === 0) {
    throw fail(`the ${className} config's ${what}_layers is ${describeValue(value)} (expected [[layer name, node, tensor]])`);
  }
  return refs.map((item) => {
    const ref = tensorRef(item);
    if (!ref) throw fail(`the ${className} config's ${what}_layers ${describeValue(value)} is not [[layer name, node, tensor], ...]`);
    if (ref.tensor !== 0) throw fail(`the ${className} model's ${what} is output ${ref.tensor} of '${ref.layer}'; ${ONCE_ONLY}`);
    if (what === 'input' && ref.node !== 0) throw fail(`the ${className} model's input '${ref.layer}' is its call ${ref.node}, not 0`);
    return ref;
  });
}

/**
 * The inputs of each call of layer `name`, in order, as tensor keys (`key` checks each): called at
 * least once, each call on tensors and with no other arguments.
 */
function inputsOf(name: string, calls: Call[], key: (ref: TensorRef, first: FirstModelNode) => string): string[][] {
  if (calls.length === 0) throw fail(`layer '${name}' is not called on any input`);
  return calls.map(({ inputs, firstModelNode, options }) => {
    if (inputs.length === 0) throw fail(`layer '${name}' is called on no tensor`);
    if (options.length > 0) throw fail(`layer '${name}' is called with ${options.join(', ')}, which convlens does not apply`);
    return inputs.map((ref) => key(ref, firstModelNode));
  });
}

/**
 * The calls of a layer, in both forms Keras writes them: Keras 2 and tfjs list each call's inputs
 * as `[layer, node, tensor, kwargs]`; Keras 3 writes `{ args, kwargs }` with its tensors as
 * `__keras_tensor__` objects that carry a `keras_history` of the same three values.
 */
function callsOf(name: string, inboundNodes: unknown): Call[] {
  if (inboundNodes === undefined || inboundNodes === null) return [];
  if (!Array.isArray(inboundNodes)) throw fail(`layer '${name}' has inbound_nodes ${describeValue(inboundNodes)} (expected a list)`);
  return inboundNodes.map((node) => {
    if (Array.isArray(node)) return legacyCall(name, node);
    if (node && typeof node === 'object') return kerasCall(node as { args?: unknown; kwargs?: unknown });
    throw fail(`layer '${name}' has a call ${describeValue(node)} that convlens cannot read`);
  });
}

function legacyCall(name: string, node: unknown[]): Call {
  // a one-input call may be written as the bare [layer, node, tensor]
  const items = typeof node[0] === 'string' ? [node] : node;
  const inputs: TensorRef[] = [];
  const options: string[] = [];
  for (const item of items) {
    const ref = tensorRef(item);
    if (!ref) throw fail(`layer '${name}' has an input ${describeValue(item)} that is not [layer, node, tensor, kwargs]`);
    inputs.push(ref);
    options.push(...optionNames((item as unknown[])[3]));
  }
  return { inputs, firstModelNode: 1, options };
}

function kerasCall(node: { args?: unknown; kwargs?: unknown }): Call {
  const inputs: TensorRef[] = [];
  collectTensors(node.args, inputs);
  const options = optionNames(node.kwargs);
  // a tensor among the keyword arguments (a mask, say) is one more input
  collectTensors(node.kwargs, inputs);
  return { inputs, firstModelNode: 0, options };
}

function collectTensors(value: unknown, into: TensorRef[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, into);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const object = value as { class_name?: unknown; config?: { keras_history?: unknown } };
  if (object.class_name === '__keras_tensor__') {
    const ref = tensorRef(object.config?.keras_history);
    if (ref) into.push(ref);
    return;
  }
  for (const v of Object.values(object)) collectTensors(v, into);
}

/** The keyword arguments of a call that have a value (`training=False`, say): null is Keras' "not given". */
function optionNames(kwargs: unknown): string[] {
  if (!kwargs || typeof kwargs !== 'object') return [];
  return Object.entries(kwargs)
    .filter(([, v]) => v !== null && v !== undefined && !isTensor(v))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
}

const isTensor = (v: unknown) => (v as { class_name?: unknown } | null)?.class_name === '__keras_tensor__';

function tensorRef(value: unknown): TensorRef | undefined {
  if (!Array.isArray(value) || typeof value[0] !== 'string') return undefined;
  const [layer, node = 0, tensor = 0] = value;
  // indices count from 0: a negative one would read as a layer output that no call gives
  if (!Number.isInteger(node) || !Number.isInteger(tensor) || node < 0 || tensor < 0) return undefined;
  return { layer, node, tensor };
}
