import { describe, expect, it } from 'vitest';
import { parseGraph } from './functional_graph.js';

/** A functional config of `n` ReLU layers in a chain after the input, as Keras and tfjs write one. */
function chainConfig(n: number) {
  const layer = (name: string, className: string, from?: string) => ({
    class_name: className,
    name,
    config: { name },
    inbound_nodes: from === undefined ? [] : [[[from, 0, 0, {}]]],
  });
  const names = Array.from({ length: n }, (_, i) => `re_lu_${i}`);
  return {
    name: 'chain',
    layers: [layer('input', 'InputLayer'), ...names.map((name, i) => layer(name, 'ReLU', i === 0 ? 'input' : names[i - 1]))],
    input_layers: [['input', 0, 0]],
    output_layers: [[names[n - 1], 0, 0]],
  };
}

describe('parseGraph', () => {
  it('reads a chain of 20,000 layers (the check that every layer leads to the output overflowed the call stack)', () => {
    const graph = parseGraph('Functional', chainConfig(20_000));
    expect(graph.layers).toHaveLength(20_001);
    expect(graph.layers[20_000].calls).toEqual([['re_lu_19998']]);
    expect(graph.outputs).toEqual(['re_lu_19999']);
  });
});
