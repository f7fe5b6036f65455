// Loads the wasm backend (SIMD kernels on all cores) and makes it the default, as importing 'convlens' does.
import '../backend/index.js';
import { batchShapeText } from '../layers/layer.js';
import { openModel } from './model_input.js';
import { toStdout } from './stdout.js';
import { printable } from './term.js';

export interface SummaryOptions {
  json: boolean;
}

/**
 * `convlens summary MODEL`: a saved model's Keras summary (its layers, their output shapes and
 * parameter counts), so that a layer can be named to show-maps; or, with --json, the same as
 * one object.
 */
export async function runSummary(modelPath: string, options: SummaryOptions): Promise<number> {
  const model = await openModel(modelPath);
  return toStdout('summary', async (print) => {
    if (options.json) {
      const layers = model.layers.map((layer) => ({
        name: layer.name,
        className: layer.className,
        outputShape: layer.outputShape ? [null, ...layer.outputShape] : null,
        params: layer.countParams(),
        trainable: layer.trainable,
      }));
      const trainableParams = model.trainableWeights.reduce((n, w) => n + w.value.length, 0);
      const totalParams = model.layers.reduce((n, l) => n + l.countParams(), 0);
      print(`${JSON.stringify({ name: model.name, className: model.className, layers, totalParams, trainableParams })}\n`);
    } else {
      for (const line of model.summary(null).split('\n')) print(`${printable(line)}\n`);
      // a layout and feature maps are an image model's: a model of vectors ([10]) has neither
      const image = model.inputShape?.length === 3;
      const input = model.inputShape ? ` takes ${batchShapeText(model.inputShape)}${image ? ` (${model.inputDataFormat})` : ''}` : '';
      const maps = image ? "; convlens show-maps MODEL IMAGE --layer NAME shows a layer's feature maps" : '';
      print(`${printable(model.name)}${input}${maps}\n`);
    }
    return 0;
  });
}
