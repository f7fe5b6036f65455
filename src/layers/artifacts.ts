import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { makeDirectories } from '../make_directories.js';
import { checkFlag, type Optimizer, type OptimizerWeight } from '../train/optimizer.js';
import type { Layer, Weight } from './layer.js';
import { ModelLayer, nodeIndex } from './model_layer.js';
import { localPath, nodeModules } from './node_files.js';
import type { Shape } from './shapes.js';
import type { SavedTrainingConfig, TrainingConfig } from './training_config.js';

// The TensorFlow.js Layers format (docs/model-format.md): model.json holds a Keras Sequential
// config and a weights manifest; the weights are little-endian float32 in manifest order.

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
  /** Set by tensorflowjs_converter's quantization; we do not read quantized weights. */
  quantization?: unknown;
  /** tfjs marks optimizer state saved with the model as group 'optimizer'. */
  group?: string;
  /** In a weights file (weights.json): where Keras 3 puts the weight in its .weights.h5 ('layers/dense/vars/0'). */
  keras_path?: string;
}

/** One group of weights: the bytes of `paths`, concatenated in order, hold `weights` in order. */
export interface WeightsGroup {
  paths: string[];
  weights: WeightSpec[];
}

export interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** A layer of a functional model's config: its layer config, its name, and the layers it takes (`[[[name, 0, 0, {}], ...]]`). */
export interface GraphLayerJson extends LayerJson {
  name: string;
  inbound_nodes: [string, number, number, Record<string, never>][][];
}

export interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  /** A Sequential's config, or a functional model's (tfjs' class name 'Model', with its graph). */
  modelTopology: {
    class_name: 'Sequential' | 'Model';
    config: {
      name: string;
      layers: LayerJson[];
      input_layers?: [string, number, number][];
      output_layers?: [string, number, number][];
    };
    keras_version: string;
    backend: string;
    /** compile's settings where tensorflowjs_converter writes Keras' (tfjs-layers loads the model uncompiled then). */
    training_config?: TrainingConfig;
  };
  weightsManifest: WeightsGroup[];
  /** compile's settings, when the model was compiled (tfjs writes and reads this key). */
  trainingConfig?: TrainingConfig;
}

export interface ModelArtifacts {
  modelJson: ModelJson;
  weightData: ArrayBuffer;
}

export const WEIGHTS_FILE = 'weights.bin';

/** What saving needs from a model: its name, layers and compile settings (when compiled). */
export interface SavableModel {
  readonly name: string;
  readonly layers: readonly Layer[];
  readonly training?: SavedTrainingConfig;
  /** The optimizer's state, saved after the weights as group 'optimizer' (includeOptimizer). */
  readonly optimizerWeights?: readonly OptimizerWeight[];
}

/** model.save's and toArtifacts' options, as tfjs-layers' `model.save(handler, config)`. */
export interface SaveOptions {
  /**
   * Save the optimizer's state (its step count and slots: Adam's moments, SGD's momentum...) after
   * the weights, as tfjs-layers does, so that a loaded model trains on as the saved one would
   * (default false, as in tfjs). An uncompiled model saves none, as in tfjs.
   */
  includeOptimizer?: boolean;
}

/**
 * The optimizer's state to save (tfjs' `optimizer.getWeights()`) when `options` asks for it, for
 * the model's trainable weights (those fit updates, in order); none for an uncompiled model, as tfjs.
 */
export function optimizerWeightsToSave(
  op: string,
  model: { readonly optimizer?: Optimizer; readonly trainableWeights: readonly Weight[] },
  options: SaveOptions | undefined,
): OptimizerWeight[] | undefined {
  if (options === undefined) return undefined;
  checkOptions(op, options, ['includeOptimizer']);
  const { includeOptimizer = false } = options;
  checkFlag(op, includeOptimizer, 'includeOptimizer');
  const { optimizer } = model;
  if (!includeOptimizer || !optimizer) return undefined;
  if (typeof optimizer.getWeights !== 'function') {
    throw new ConvlensError(
      `${op}: includeOptimizer: the optimizer ${describeValue(optimizer.name)} has no getWeights method, so its state cannot be saved`,
    );
  }
  try {
    return optimizer.getWeights(model.trainableWeights);
  } catch (error) {
    if (error instanceof ConvlensError) throw new ConvlensError(`${op}: includeOptimizer: ${error.message}`);
    throw error;
  }
}

/** The class name tfjs-layers writes for a layer: a functional model is a 'Model' there (Keras says 'Functional'). */
const savedClassName = (layer: Layer) => (layer.className === 'Functional' ? 'Model' : layer.className);

/**
 * A Sequential's config (its name and layers) as tfjs-layers writes it, alone or nested in another
 * model: the first layer records the input shape, unless it is a model, whose own config does.
 */
export function sequentialConfig(model: Omit<SavableModel, 'training'>): { name: string; layers: LayerJson[] } {
  const [first] = model.layers;
  if (!first?.inputShape || !model.layers.every((l) => l.built)) {
    throw new ConvlensError(
      `save: model '${model.name}' is not built (give its first layer an inputShape, or call predict once, before saving)`,
    );
  }
  const layers = model.layers.map((layer, i) => {
    const config = layer.getConfig();
    // Keras records the input shape on the first layer, with a null batch size.
    if (i === 0 && !(layer instanceof ModelLayer)) config.batch_input_shape = [null, ...first.inputShape!];
    return { class_name: savedClassName(layer), config };
  });
  return { name: model.name, layers };
}

/** A model's topology and weights in the TensorFlow.js Layers format, without touching any file. */
export function modelArtifacts(model: SavableModel): ModelArtifacts {
  const topology = { class_name: 'Sequential' as const, config: sequentialConfig(model) };
  const artifacts = packArtifacts(topology, model.layers, model.optimizerWeights);
  placeTrainingConfig(artifacts.modelJson, model.training);
  return artifacts;
}

/**
 * Compile's settings where tfjs reads them (`trainingConfig`), or, when tfjs would not compile the
 * same from them, where tensorflowjs_converter puts Keras' (`modelTopology.training_config`),
 * which tfjs ignores: it then loads the model uncompiled, where convlens loads it compiled.
 */
function placeTrainingConfig(modelJson: ModelJson, training: SavedTrainingConfig | undefined): void {
  if (!training) return;
  if (training.tfjsReads) modelJson.trainingConfig = training.config;
  else modelJson.modelTopology.training_config = training.config;
}

/** A tensor of a functional model: a model input's (call 0), or the output of a layer's call (its first is 0). */
export interface TensorSource {
  readonly name: string;
  readonly call: number;
}

/** What saving a functional model needs: its inputs, its layers with what each of their calls takes, and its outputs. */
export interface SavableGraph {
  readonly name: string;
  readonly inputNames: readonly string[];
  readonly inputShapes: readonly Shape[];
  /** Each layer once, in Keras' order, with the inputs of each of its calls in order (a shared layer has several). */
  readonly layers: readonly { layer: Layer; calls: readonly (readonly TensorSource[])[] }[];
  readonly outputs: readonly TensorSource[];
  /** compile's settings, when the model is compiled. */
  readonly training?: SavedTrainingConfig;
  /** The optimizer's state, saved after the weights as group 'optimizer' (includeOptimizer). */
  readonly optimizerWeights?: readonly OptimizerWeight[];
}

type GraphConfig = ModelJson['modelTopology']['config'] & { layers: GraphLayerJson[] };

/**
 * A functional model's config as tfjs-layers writes a `tf.model`, alone or nested in another: its
 * InputLayers first, each layer with its calls as `inbound_nodes` (one list of
 * `[layer, call, 0, {}]` per call: a shared layer has several), and the lists of input and output
 * layers. A model among them is referred to by its node index (see nodeIndex): its application k
 * is node k + 1, as tfjs and Keras 2 count its own construction as node 0.
 */
export function graphConfig(model: SavableGraph): GraphConfig {
  const inputLayers: GraphLayerJson[] = model.inputNames.map((name, i) => ({
    name,
    class_name: 'InputLayer',
    config: { batch_input_shape: [null, ...model.inputShapes[i]], dtype: 'float32', sparse: false, name },
    inbound_nodes: [],
  }));
  const byName = new Map(model.layers.map(({ layer }) => [layer.name, layer]));
  const callOf = ({ name, call }: TensorSource) => {
    const layer = byName.get(name);
    return layer ? nodeIndex(layer, call) : call; // a model input's is 0
  };
  const layers: GraphLayerJson[] = model.layers.map(({ layer, calls }) => ({
    name: layer.name,
    class_name: savedClassName(layer),
    config: layer.getConfig(),
    inbound_nodes: calls.map((inputs) =>
      inputs.map((input) => [input.name, callOf(input), 0, {}] as [string, number, number, Record<string, never>]),
    ),
  }));
  return {
    name: model.name,
    layers: [...inputLayers, ...layers],
    input_layers: model.inputNames.map((name) => [name, 0, 0]),
    output_layers: model.outputs.map((output) => [output.name, callOf(output), 0]),
  };
}

/** A functional model in the TensorFlow.js Layers format, as tfjs-layers saves a `tf.model`. */
export function graphArtifacts(model: SavableGraph): ModelArtifacts {
  const topology = { class_name: 'Model' as const, config: graphConfig(model) };
  const artifacts = packArtifacts(
    topology,
    model.layers.map((l) => l.layer),
    model.optimizerWeights,
  );
  placeTrainingConfig(artifacts.modelJson, model.training);
  return artifacts;
}

/**
 * model.json around `topology`, and the layers' weights as little-endian float32 in manifest order,
 * followed by the optimizer's state when given, as tfjs-layers writes it: entries of group
 * 'optimizer', `iter` an int32 scalar.
 */
function packArtifacts(
  topology: Pick<ModelJson['modelTopology'], 'class_name' | 'config'>,
  layers: readonly Layer[],
  optimizerWeights: readonly OptimizerWeight[] = [],
): ModelArtifacts {
  const packed = packWeights(layers.flatMap((l) => [...l.weights]).map((weight) => ({ weight })));
  const { weightsManifest } = packed;
  let { weightData } = packed;
  if (optimizerWeights.length > 0) {
    const modelBytes = weightData.byteLength;
    const total = optimizerWeights.reduce((n, w) => n + w.values.length, 0);
    weightData = new ArrayBuffer(modelBytes + total * 4);
    new Uint8Array(weightData).set(new Uint8Array(packed.weightData));
    const view = new DataView(weightData);
    let offset = modelBytes;
    for (const { dtype, values } of optimizerWeights) {
      for (let i = 0; i < values.length; i++, offset += 4) {
        if (dtype === 'int32') view.setInt32(offset, values[i], true);
        else view.setFloat32(offset, values[i], true);
      }
    }
    weightsManifest[0].weights.push(
      ...optimizerWeights.map(({ name, shape, dtype }) => ({ name, shape: [...shape], dtype, group: 'optimizer' })),
    );
  }
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'convlens',
      convertedBy: null,
      modelTopology: { ...topology, keras_version: 'convlens', backend: 'convlens' },
      weightsManifest,
    },
    weightData,
  };
}

/** `weights` as one manifest group (each entry's name, shape and dtype, with `extra` keys) and their values as little-endian float32, in order. */
export function packWeights(weights: readonly { weight: Weight; extra?: Partial<WeightSpec> }[]): {
  weightsManifest: WeightsGroup[];
  weightData: ArrayBuffer;
} {
  const total = weights.reduce((n, { weight }) => n + weight.value.length, 0);
  const weightData = new ArrayBuffer(total * 4);
  const view = new DataView(weightData);
  let offset = 0;
  for (const { weight } of weights) {
    for (let i = 0; i < weight.value.length; i++, offset += 4) view.setFloat32(offset, weight.value[i], true);
  }
  const specs = weights.map(({ weight, extra }) => ({ name: weight.name, shape: [...weight.shape], dtype: 'float32', ...extra }));
  return { weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }], weightData };
}

/**
 * Writes `artifacts` as `dir/model.json` + `dir/weights.bin`. Everything is written into a
 * temporary sibling directory first and renamed into place, so a failure (full disk, no
 * permission) leaves either the old model or nothing, never half a model. An existing `dir` is
 * replaced only if it holds nothing but a saved model (model.json and .bin files).
 */
export async function writeModelDir(dir: string, artifacts: ModelArtifacts): Promise<void> {
  await writeArtifactsDir(
    dir,
    { op: 'save', what: 'the model', saved: 'a model is', jsonFile: 'model.json', json: artifacts.modelJson },
    artifacts.weightData,
  );
}

/** What writeArtifactsDir writes beside weights.bin: `json` as `jsonFile`; `op`, `what` and `saved` name the save in errors. */
export interface ArtifactsFile {
  op: string;
  /** 'the model' */
  what: string;
  /** 'a model is' */
  saved: string;
  jsonFile: string;
  json: object;
}

/** Files a folder may hold to be replaced by a save: a saved model's or weights' (their JSON and .bin files). */
const SAVED_FILES = new Set(['model.json', 'weights.json']);

/** Writes `file.json` and `weightData` into the folder `dir`, all or nothing (see writeModelDir). */
export async function writeArtifactsDir(dir: string, file: ArtifactsFile, weightData: ArrayBuffer): Promise<void> {
  const { op, what } = file;
  if (typeof dir !== 'string' || dir === '') throw new ConvlensError(`${op}: expected a folder path, got ${describeValue(dir)}`);
  dir = localPath(op, dir);
  // a Keras user's save('model.keras') would otherwise make a folder of that name holding TF.js files
  const extension = /\.(keras|h5|hdf5|json)$/i.exec(dir);
  if (extension) {
    throw new ConvlensError(
      `${op}: ${dir} names a .${extension[1]} file, but ${file.saved} saved as a folder in the TensorFlow.js Layers format (${file.jsonFile} and ${WEIGHTS_FILE}): give a folder path, such as '${dir.slice(0, -extension[0].length).replace(/\.weights$/, '')}'`,
    );
  }
  const { fs, path } = await nodeModules(op);
  const target = path.resolve(dir);
  const fail = (error: unknown) => saveError(op, what, target, error);
  const existing = await fs.lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw fail(error);
  });
  if (existing && !existing.isDirectory()) throw new ConvlensError(`${op}: ${target} exists and is not a directory`);
  if (existing) {
    const foreign = (await fs.readdir(target)).filter((f) => !SAVED_FILES.has(f) && !f.endsWith('.bin'));
    if (foreign.length > 0) {
      throw new ConvlensError(
        `${op}: refusing to replace ${target}: it holds files that are not part of a saved model (${foreign.slice(0, 3).join(', ')})`,
      );
    }
  }
  const createdParent = await makeDirectories(fs.mkdir, path.dirname, path.dirname(target)).catch((error: Error) => {
    throw fail(error);
  });
  let temporary: string | undefined;
  let old: string | undefined;
  try {
    // not mkdtemp, whose folder is private (0700): the model gets the umask's mode, as any folder
    // the user makes, so a web server running as another user can serve it
    temporary = `${target}.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    await fs.mkdir(temporary);
    await fs.writeFile(path.join(temporary, WEIGHTS_FILE), new Uint8Array(weightData));
    await fs.writeFile(path.join(temporary, file.jsonFile), `${JSON.stringify(file.json, null, 2)}\n`);
    if (existing) {
      await fs.rename(target, `${temporary}-old`);
      old = `${temporary}-old`; // only once it holds the previous save
    }
    await fs.rename(temporary, target).catch(async (error: Error) => {
      if (old) await fs.rename(old, target); // put the previous save back
      old = undefined;
      throw error;
    });
    temporary = undefined;
  } catch (error) {
    if (temporary) await fs.rm(temporary, { recursive: true, force: true });
    if (createdParent) await fs.rm(createdParent, { recursive: true, force: true });
    // Only if putting the previous save back failed too: say where it is.
    if (old) throw fail(new Error(`${(error as Error).message}; the previous model is in ${old}`));
    throw fail(error);
  }
  // the new save is in place: a previous one that cannot be removed does not make the save fail
  const previous = old;
  if (previous) {
    await fs.rm(previous, { recursive: true, force: true }).catch((error: Error) => {
      console.warn(`${op}: ${what} is saved; its previous version could not be removed from ${previous}: ${error.message}`);
    });
  }
}

function saveError(op: string, what: string, target: string, error: unknown): Error {
  if (error instanceof ConvlensError) return error;
  return new ConvlensError(`${op}: could not write ${what} to ${target}: ${(error as Error).message}`, { cause: error });
}
