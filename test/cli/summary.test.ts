import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LayerRow as Row } from '../../src/cli/summary_cmd.js';
import { Add, Concatenate, Conv2D, Dense, GlobalAveragePooling2D, Input, model, Sequential } from '../../src/layers/index.js';
import { tfjsLoad } from '../helpers/layers.js';
import { convlens, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/**
 * A table's last column by the name each row starts with (` name (Type)`), its continuation lines
 * joined: read from where the header names `column`, trailing commas dropped, `-` as nothing.
 */
function lastColumn(table: string, column: string): Map<string, string[]> {
  const lines = table.split('\n');
  const header = lines.find((l) => l.includes(column))!;
  const at = header.indexOf(column);
  const rows = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of lines.slice(lines.indexOf(header) + 1)) {
    if (line.startsWith('Total params')) break;
    // rules between the header, the rows (tfjs') and the totals
    if (/^[=_]+\s*$/.test(line)) continue;
    const start = /^ ?(\S+) \(/.exec(line);
    if (start) {
      current = [];
      rows.set(start[1], current);
    }
    const cell = line.slice(at).trim().replace(/,$/, '');
    if (cell && cell !== '-') current.push(cell);
  }
  return rows;
}

/** What tfjs-layers lists as each layer's inputs: every inbound node's `layer[node][tensor]`, as its summary prints them. */
function tfjsConnections(theirs: tfl.LayersModel): Map<string, string[]> {
  return new Map(
    theirs.layers.map((layer) => [
      layer.name,
      layer.inboundNodes.flatMap((node) =>
        node.inboundLayers.map((from, i) => `${from.name}[${node.nodeIndices[i]}][${node.tensorIndices[i]}]`),
      ),
    ]),
  );
}

describe('convlens summary MODEL --json: the layers each takes (the table\'s "Connected to")', { timeout: 60_000 }, () => {
  let dir: string;
  let functional: string;

  beforeAll(async () => {
    dir = tempDir();
    // two inputs, a branch joined by Add, a layer applied twice, and Concatenate taking an input
    const image = Input({ shape: [8, 8, 3], name: 'image' });
    const extra = Input({ shape: [4], name: 'extra' });
    const first = new Conv2D({ filters: 4, kernelSize: 3, padding: 'same' }).apply(image);
    const joined = new Add().apply([first, new Conv2D({ filters: 4, kernelSize: 1 }).apply(first)]);
    const shared = new Conv2D({ filters: 4, kernelSize: 1, name: 'shared' });
    const pooled = new GlobalAveragePooling2D().apply(shared.apply(shared.apply(joined)));
    const output = new Dense({ units: 2 }).apply(new Concatenate().apply([pooled, extra]));
    functional = join(dir, 'functional');
    await model({ inputs: [image, extra], outputs: output, name: 'two_inputs' }).save(functional);
  });

  it('a functional model: its inputs first, connected to nothing, then every layer with what the text table and tfjs-layers list', async () => {
    const run = convlens(['summary', functional, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const rows = (JSON.parse(run.stdout) as { layers: Row[] }).layers;
    expect(rows.slice(0, 2)).toEqual([
      { name: 'image', className: 'InputLayer', outputShape: [null, 8, 8, 3], params: 0, trainable: false, connectedTo: [] },
      { name: 'extra', className: 'InputLayer', outputShape: [null, 4], params: 0, trainable: false, connectedTo: [] },
    ]);
    const ours = new Map(rows.map((row) => [row.name, row.connectedTo]));
    // the text table of the same model, row for row
    const text = convlens(['summary', functional]);
    expect(text.code, text.stderr).toBe(0);
    expect(ours).toEqual(lastColumn(text.stdout, 'Connected to'));
    // tfjs-layers' reading of the same file: its layers (inputs too, in its own order) and what each takes
    const modelJson = JSON.parse(readFileSync(join(functional, 'model.json'), 'utf8'));
    const weights = readFileSync(join(functional, 'weights.bin'));
    const theirs = await tfjsLoad(modelJson, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
    expect(ours).toEqual(tfjsConnections(theirs));
    expect(ours.get('shared')).toEqual(['add[0][0]', 'shared[0][0]']);
    expect(ours.get('global_average_pooling2d')).toEqual(['shared[1][0]']);
    const theirRows = new Map(theirs.layers.map((l) => [l.name, [l.getClassName(), l.outputShape, l.countParams(), l.trainable]]));
    expect(new Map(rows.map((r) => [r.name, [r.className, r.outputShape, r.params, r.trainable]]))).toEqual(theirRows);
    // and tfjs' own printed summary, whose column cuts an entry to its width
    const printed: string[] = [];
    theirs.summary(undefined, undefined, (line: string) => printed.push(line));
    const theirColumn = lastColumn(printed.join('\n'), 'Receives inputs');
    const header = printed.find((l) => l.includes('Receives inputs'))!;
    const width = header.length - header.indexOf('Receives inputs');
    expect(new Map([...ours].map(([name, sources]) => [name, sources!.map((s) => s.slice(0, width))]))).toEqual(theirColumn);
    // the line under the table names each input (a model of several has no one inputShape)
    expect(text.stdout.endsWith('\ntwo_inputs takes image (None, 8, 8, 3) and extra (None, 4)\n')).toBe(true);
  });

  it('a Sequential model: no inputs rows nor connectedTo, as its table has neither', async () => {
    const sequential = join(dir, 'sequential');
    await new Sequential([new Conv2D({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1] }), new GlobalAveragePooling2D()]).save(sequential);
    const run = convlens(['summary', sequential, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const rows = (JSON.parse(run.stdout) as { layers: Row[] }).layers;
    expect(rows.map((r) => [r.className, Object.keys(r)])).toEqual(
      ['Conv2D', 'GlobalAveragePooling2D'].map((className) => [className, ['name', 'className', 'outputShape', 'params', 'trainable']]),
    );
    expect(convlens(['summary', sequential]).stdout).not.toContain('Connected to');
  });
});
