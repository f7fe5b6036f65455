import { ConvlensError, checkBoolean, checkOptions, describeValue } from '../errors.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { type ModelArtifacts, type ModelJson, packWeights, type WeightsGroup, writeArtifactsDir } from './artifacts.js';
import { atKerasPath, hasKerasPaths, kerasPaths, matchByKerasPath, type PathedWeight } from './keras_paths.js';
import type { Layer, Weight } from './layer.js';
import {
  listed,
  matchByNameOrOrder,
  readModelFiles,
  type SavedWeight,
  savedAs,
  savedWeights,
  setSavedWeights,
  type WeightData,
} from './saved_weights.js';

// Keras' save_weights / load_weights (docs/model-format.md, "Weights only"): weights.json holds a
// model.json's weights manifest without the topology, each weight with the path Keras 3 gives it.

/** weights.json: the weights manifest of model.json, alone; each weight has its `keras_path`. */
export interface WeightsJson {
  format: 'layers-weights';
  generatedBy: string;
  convertedBy: null;
  weightsManifest: WeightsGroup[];
}

/** A model's weights alone, as `saveWeights` writes them (weights.json and weights.bin), in memory. */
export interface WeightsArtifacts {
  weightsJson: WeightsJson;
  weightData: ArrayBuffer;
}

/** What saving and loading weights needs of a model (Sequential, Functional). */
export interface WeightsModel {
  readonly name: string;
  readonly className: string;
  readonly layers: readonly Layer[];
}

export const WEIGHTS_JSON = 'weights.json';

/** The model's weights as weights.json and the bytes of weights.bin (no file access; works in browsers). */
export function weightsArtifacts(model: WeightsModel): WeightsArtifacts {
  checkBuilt('saveWeights', model);
  const { weightsManifest, weightData } = packWeights(
    kerasPaths(model.layers).map(({ weight, path }) => ({ weight, extra: { keras_path: path } })),
  );
  return { weightsJson: { format: 'layers-weights', generatedBy: 'convlens', convertedBy: null, weightsManifest }, weightData };
}

/** Writes `dir/weights.json` and `dir/weights.bin` (Node.js), all or nothing, as `save` writes a model. */
export async function writeWeightsDir(dir: string, artifacts: WeightsArtifacts, op = 'saveWeights'): Promise<void> {
  await writeArtifactsDir(
    dir,
    { op, what: 'the weights', saved: 'the weights are', jsonFile: WEIGHTS_JSON, json: artifacts.weightsJson },
    artifacts.weightData,
  );
}

function checkBuilt(op: string, model: WeightsModel): void {
  if (!model.layers.every((l) => l.built)) {
    throw new ConvlensError(
      `${op}: model '${model.name}' (${model.className}) is not built (give its first layer an inputShape, or call predict once)`,
    );
  }
}

export interface LoadWeightsOptions {
  /**
   * Keras' `skip_mismatch`: weights the source lacks or holds in another shape (a new classifier
   * head, say) keep their values, named in a warning, instead of failing the whole load.
   */
  skipMismatch?: boolean;
}

/** What loadWeights reads: a folder or file path (Node.js), or artifacts in memory (a weights file's or a whole model's). */
export type WeightsSource = string | WeightsArtifacts | ModelArtifacts;

/**
 * Sets the model's weights from a weights file (`saveWeights`'), matched as Keras 3 matches
 * them, by their `keras_path`, or from a TensorFlow.js Layers model.json, matched by name (by
 * order when the names do not all match), as `loadModel` matches them. Every weight is checked
 * before any is set: a load that fails leaves the model as it was.
 */
export async function loadWeightsInto(model: WeightsModel, source: WeightsSource, options: LoadWeightsOptions = {}): Promise<void> {
  checkOptions('loadWeights', options, ['skipMismatch']);
  const { skipMismatch = false } = options;
  checkBoolean('loadWeights', 'skipMismatch', skipMismatch);
  if (typeof source === 'string') {
    const { json, buffers, fileNames, file } = await readModelFiles('loadWeights', source, [WEIGHTS_JSON, 'model.json'], true);
    setWeightsFrom(model, json, buffers, skipMismatch, file, fileNames);
    return;
  }
  const given = source as Partial<WeightsArtifacts & ModelArtifacts> | undefined;
  const json = given?.weightsJson ?? given?.modelJson;
  if (!json || given?.weightData === undefined) {
    throw new ConvlensError(
      `loadWeights: expected a path, or artifacts { weightsJson, weightData } (toWeightsArtifacts()) or { modelJson, weightData } (toArtifacts()), got ${describeValue(source)}`,
    );
  }
  setWeightsFrom(model, json, given.weightData, skipMismatch, 'the artifacts');
}

function setWeightsFrom(
  model: WeightsModel,
  json: unknown,
  weightData: WeightData,
  skipMismatch: boolean,
  from: string,
  fileNames?: string[][],
): void {
  const { format, weightsManifest } = (json ?? {}) as Partial<ModelJson | WeightsJson>;
  const where = `loadWeights: ${from}`;
  if (!Array.isArray(weightsManifest) || (format !== undefined && format !== 'layers-weights' && format !== 'layers-model')) {
    throw new ConvlensError(
      `${where}: expected a weights file (format 'layers-weights') or a TensorFlow.js Layers model.json with a weightsManifest, got format ${describeValue(format)}`,
    );
  }
  checkBuilt('loadWeights', model);
  let saved: SavedWeight[];
  try {
    saved = savedWeights(weightsManifest, weightData, fileNames);
  } catch (error) {
    if (!(error instanceof ConvlensError)) throw error;
    throw new ConvlensError(`${where}: ${error.message.replace(/^fromArtifacts: /, '')}`);
  }
  const unfit = `loadWeights: the weights in ${from} do not fit model '${model.name}' (${model.className})`;
  const paths = kerasPaths(model.layers);
  const weights = paths.map((p) => p.weight);
  const byPath = hasKerasPaths(saved);
  const matched = byPath ? matchByKerasPath(paths, saved) : matchByNameOrOrder(weights, saved);
  if (skipMismatch) {
    const pairs =
      typeof matched !== 'string' ? matched : byPath ? matchEach(paths, saved, atKerasPath) : matchEach(weights, saved, savedAs);
    setFitting(paths, pairs, `${where}: weight`, `loadWeights (skipMismatch): left as they were, not fitting the weights in ${from}`);
    return;
  }
  if (typeof matched === 'string') throw new ConvlensError(`${unfit}: ${matched}`);
  const wrong = weights.flatMap((w, i) => (shapesEqual(w.shape, matched[i].spec.shape) ? [] : [describeMismatch(w, matched[i])]));
  if (wrong.length > 0) throw new ConvlensError(`${unfit}: ${listed(wrong)} (no weight was set)`);
  setSavedWeights(weights, matched, `${where}: weight`);
}

/** Each model weight's saved weight when exactly one fits it, else undefined (Keras' skip_mismatch skips its layer). */
function matchEach<W>(weights: readonly W[], saved: SavedWeight[], fits: (w: W, s: SavedWeight) => boolean): (SavedWeight | undefined)[] {
  return weights.map((w) => {
    const found = saved.filter((s) => fits(w, s));
    return found.length === 1 ? found[0] : undefined;
  });
}

/**
 * Sets the weights of each layer whose weights all have a saved weight of their shape, as Keras'
 * skip_mismatch loads a layer whole or not at all; warns naming the weights left as they were.
 */
function setFitting(paths: readonly PathedWeight[], pairs: readonly (SavedWeight | undefined)[], what: string, warning: string): void {
  const layerOf = (i: number) => paths[i].path.replace(/\/vars\/\d+$/, '');
  const fits = (i: number) => pairs[i] !== undefined && shapesEqual(paths[i].weight.shape, pairs[i].spec.shape);
  const unfitLayers = new Set(paths.flatMap((_, i) => (fits(i) ? [] : [layerOf(i)])));
  const loaded = paths.flatMap((_, i) => (unfitLayers.has(layerOf(i)) ? [] : [i]));
  const skipped = paths.flatMap(({ weight }, i) => {
    if (!unfitLayers.has(layerOf(i))) return [];
    const s = pairs[i];
    if (!s) return [`${weight.name} (not in the file)`];
    return [fits(i) ? `${weight.name} (its layer's other weights do not fit)` : describeMismatch(weight, s)];
  });
  setSavedWeights(
    loaded.map((i) => paths[i].weight),
    loaded.map((i) => pairs[i]!),
    what,
  );
  if (skipped.length > 0) console.warn(`convlens: ${warning}: ${listed(skipped)}`);
}

function describeMismatch(w: Weight, s: SavedWeight): string {
  // a Keras 3 file's weights are named by their path already
  const at = s.spec.keras_path && s.spec.keras_path !== s.spec.name ? ` (${s.spec.keras_path})` : '';
  return `${w.name} has shape ${formatShape(w.shape)}, the file's ${s.spec.name}${at} ${formatShape(s.spec.shape)}`;
}
