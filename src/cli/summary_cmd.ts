// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { Functional } from '../layers/functional.js';
import { batchShapeText, type Layer } from '../layers/layer.js';
import { type ImageModel, openModel } from './model_input.js';
import { toStdout } from './stdout.js';
import { printable } from './term.js';

export interface SummaryOptions {
  json: boolean;
}

/**
 * `convlens summary MODEL`: a saved model's Keras summary (its layers, their output shapes and
 * parameter counts), so that a layer can be named to show-maps; or, with --json, the same as
 * one object (a functional model's rows with their "Connected to", its inputs first as in the table).
 */
export async function runSummary(modelPath: string, options: SummaryOptions): Promise<number> {
  const model = await openModel(modelPath);
  return toStdout('summary', async (print) => {
    if (options.json) {
      const connections = model instanceof Functional ? model.connections() : undefined;
      const layers = [...inputRows(model), ...model.layers.map((layer) => layerRow(layer, connections))];
      const trainableParams = model.trainableWeights.reduce((n, w) => n + w.value.length, 0);
      const totalParams = model.layers.reduce((n, l) => n + l.countParams(), 0);
      print(`${JSON.stringify({ name: model.name, className: model.className, layers, totalParams, trainableParams })}\n`);
    } else {
      for (const line of model.summary(null).split('\n')) print(`${printable(line)}\n`);
      print(`${printable(model.name)}${takes(model)}\n`);
    }
    return 0;
  });
}

/** A row of --json's layers; a functional model's rows have the table's "Connected to" too (Sequential's table has none). */
export interface LayerRow {
  name: string;
  className: string;
  outputShape: (number | null)[] | null;
  params: number;
  trainable: boolean;
  connectedTo?: string[];
}

/** A functional model's inputs, first as in its table (and tfjs' layers): InputLayers, connected to nothing. */
function inputRows(model: ImageModel): LayerRow[] {
  if (!(model instanceof Functional)) return [];
  return model.inputNames.map((name, i) => ({
    name,
    className: 'InputLayer',
    outputShape: [null, ...model.inputShapes[i]],
    params: 0,
    trainable: false,
    connectedTo: [],
  }));
}

/** `connections`: a functional model's "Connected to", by layer name. */
function layerRow(layer: Layer, connections: Map<string, string[]> | undefined): LayerRow {
  const row: LayerRow = {
    name: layer.name,
    className: layer.className,
    outputShape: layer.outputShape ? [null, ...layer.outputShape] : null,
    params: layer.countParams(),
    trainable: layer.trainable,
  };
  if (connections) row.connectedTo = connections.get(layer.name) ?? [];
  return row;
}

/** The line under the table: what the model takes, and for an image model how to see its feature maps. */
function takes(model: ImageModel): string {
  // asking a model of several inputs for its inputShape would only say that it has several
  if (model instanceof Functional && model.inputNames.length > 1) {
    return ` takes ${model.inputNames.map((name, i) => `${name} ${batchShapeText(model.inputShapes[i])}`).join(' and ')}`;
  }
  // a layout and feature maps are an image model's: a model of vectors ([10]) has neither
  const image = model.inputShape?.length === 3;
  const input = model.inputShape ? ` takes ${batchShapeText(model.inputShape)}${image ? ` (${model.inputDataFormat})` : ''}` : '';
  const maps = image ? "; convlens show-maps MODEL IMAGE --layer NAME shows a layer's feature maps" : '';
  return `${input}${maps}`;
}
