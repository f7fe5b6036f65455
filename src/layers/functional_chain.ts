import { ConvlensError } from '../errors.js';
import type { LayerJson } from './artifacts.js';
import { parseGraph } from './functional_graph.js';

/**
 * A functional model that branches (a layer with several inputs, an output that feeds several
 * layers, a layer applied several times, several inputs or outputs): loadModel refuses it, as no Sequential computes it; `loadFunctional` reads it.
 */
export class BranchingModelError extends ConvlensError {}

const CHAIN_ONLY =
  'convlens reads functional models whose layers form one chain as a Sequential; layers.loadFunctional (or layers.functionalFromArtifacts) reads this one';

const branching = (message: string) => new BranchingModelError(`fromArtifacts: ${message}; ${CHAIN_ONLY}`);

/**
 * The layers of a functional model (Keras' `Functional`, tf.keras' and tfjs' `Model`) whose
 * layers form one chain, from its input to its output, in that order: such a model computes what
 * a Sequential of the same layers computes, and Keras code often builds one that way
 * (`keras.Model(inputs, outputs)`). Branches are refused (a BranchingModelError, naming the
 * layer), as is what parseGraph refuses.
 */
export function chainOfLayers(className: string, config: unknown): { name?: string; layers: LayerJson[] } {
  const graph = parseGraph(className, config);
  for (const [what, names] of [['inputs', graph.inputs] as const, ['outputs', graph.outputs] as const]) {
    if (names.length > 1) throw branching(`the model has ${names.length} ${what} (${names.map((n) => `'${n}'`).join(', ')})`);
  }
  const [input] = graph.inputs;
  const [output] = graph.outputs;
  const consumers = new Map<string, string[]>();
  for (const { name, calls } of graph.layers) {
    if (name === input) continue;
    if (calls.length > 1) throw branching(`layer '${name}' is called ${calls.length} times (a shared layer)`);
    const [inputs] = calls;
    if (inputs.length !== 1) throw branching(`layer '${name}' takes ${inputs.length} inputs (${inputs.map((i) => `'${i}'`).join(', ')})`);
    consumers.set(inputs[0], [...(consumers.get(inputs[0]) ?? []), name]);
  }
  const entries = new Map(graph.layers.map((l) => [l.name, l.entry]));
  const chain = [input];
  for (let at = input; at !== output; ) {
    // every layer leads to the output (parseGraph checked), so a layer without consumers is the output
    const next = consumers.get(at) ?? [];
    if (next.length > 1) throw branching(`the output of '${at}' goes to ${next.length} layers (${next.join(', ')})`);
    at = next[0];
    chain.push(at);
  }
  return { name: graph.name, layers: chain.map((name) => entries.get(name)!) };
}
