/// <reference path="./jsfive.d.ts" />
import { unzipSync } from 'fflate';
import { Dataset, Group, File as Hdf5File } from 'jsfive';
import { ConvlensError, describeValue } from '../errors.js';
import type { ModelArtifacts, ModelJson, WeightSpec } from './artifacts.js';
import type { WeightsArtifacts } from './weights_file.js';

// Keras' own files (docs/model-format.md, "Keras files"), read as the TensorFlow.js Layers format:
// - Keras 3: a `.keras` file is a zip of config.json (the model as serialize_keras_object gives
//   it), metadata.json and model.weights.h5; `model.save_weights` writes the .weights.h5 alone. In
//   the HDF5 file each layer's variables are datasets '0', '1', ... of the group `layers/<its class
//   in snake case, _1, _2 ... for later layers of the class>/vars` (keras/src/saving/saving_lib.py):
//   weights go by class and order, not name.
// - Keras 2: `model.save('….h5')` wrote one HDF5 file, the config in its `model_config` attribute
//   and the weights in group `model_weights`; `save_weights('….h5')` the weights alone. Each layer
//   has a group listing its weights' names ('conv2d/kernel:0') in attribute `weight_names`, a
//   dataset at each (tf.keras' hdf5_format.py): weights go by name.

/** The signature an HDF5 file's superblock starts with, at byte 0, 512, 1024, 2048 ... */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

interface KerasVariable {
  /** Keras 3: where Keras put it ('layers/conv2d/vars/0'); Keras 2: the weight's name ('conv2d/kernel:0'). */
  name: string;
  shape: number[];
  values: ArrayLike<number>;
}

/** The weights of a file: Keras 3's are matched by their path, Keras 2's by their name. */
interface FileWeights {
  variables: KerasVariable[];
  byPath: boolean;
}

function bytesOf(op: string, data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ConvlensError(`${op}: expected the file's bytes (an ArrayBuffer or a typed array), got ${describeValue(data)}`);
}

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  offset + signature.length <= bytes.length && signature.every((b, i) => bytes[offset + i] === b);

function isHdf5(bytes: Uint8Array): boolean {
  for (let offset = 0; offset <= Math.min(bytes.length, 1 << 20); offset = offset ? offset * 2 : 512) {
    if (startsWith(bytes, HDF5_SIGNATURE, offset)) return true;
  }
  return false;
}

/** Reads an HDF5 file with `read`; jsfive's errors (a truncated file's, say) become one that names the file. */
function readHdf5<T>(op: string, bytes: Uint8Array, source: string, read: (file: Hdf5File) => T): T {
  if (!isHdf5(bytes)) throw new ConvlensError(`${op}: ${source} is not an HDF5 file (Keras writes its weights in one)`);
  try {
    // jsfive reads from offset 0 of the buffer it is given, and reads a dataset's values when asked
    return read(new Hdf5File(bytes.slice().buffer));
  } catch (error) {
    if (error instanceof ConvlensError) throw error;
    throw new ConvlensError(`${op}: ${source} cannot be read as HDF5 (${(error as Error).message}): corrupt or truncated?`);
  }
}

/** The weights of an HDF5 weights file, Keras 3's or Keras 2's (a whole Keras 2 model's too). */
function fileWeights(op: string, file: Hdf5File, source: string): FileWeights {
  if (file.keys.includes('layers')) return { variables: kerasVariables(op, file.get('layers') as Group, source), byPath: true };
  const weights = file.keys.includes('model_weights') ? (file.get('model_weights') as Group) : file;
  if (listAttribute(weights, 'layer_names').length > 0) return { variables: legacyVariables(op, weights, source), byPath: false };
  throw new ConvlensError(`${op}: ${source} holds no Keras weights (neither Keras 3's 'layers' group nor Keras 2's 'layer_names')`);
}

/**
 * The `vars` group of a layer, at the top or in a nested model ('layers/conv2d/vars',
 * 'layers/sequential/layers/dense/vars'): what other objects a layer holds save below it
 * ('layers/dropout/seed_generator/vars') is not a weight.
 */
const LAYER_VARS = /^layers(\/[^/]+\/layers)*\/[^/]+\/vars$/;

/** Keras 3: every dataset of a layer's `vars` group, in the file's order (the optimizer's and the metrics' are elsewhere). */
function kerasVariables(op: string, layers: Group, source: string): KerasVariable[] {
  const found: KerasVariable[] = [];
  const walk = (group: Group, path: string) => {
    for (const key of group.keys) {
      const child = group.get(key);
      const at = `${path}/${key}`;
      if (child instanceof Group) walk(child, at);
      else if (child instanceof Dataset && LAYER_VARS.test(path)) found.push(checkedVariable(op, child, at, source));
    }
  };
  walk(layers, 'layers');
  return found;
}

/** Keras 2: each layer of `layer_names`, in order, its weights in the order of its `weight_names`. */
function legacyVariables(op: string, weights: Group, source: string): KerasVariable[] {
  return listAttribute(weights, 'layer_names').flatMap((layerName) => {
    const layer = weights.get(layerName);
    if (!(layer instanceof Group)) throw new ConvlensError(`${op}: ${source} lists layer '${layerName}' but has no group for it`);
    return listAttribute(layer, 'weight_names').map((name) => {
      const dataset = layer.get(name);
      if (!(dataset instanceof Dataset)) throw new ConvlensError(`${op}: ${source} lists weight '${name}' but has no dataset for it`);
      return checkedVariable(op, dataset, name, source);
    });
  });
}

/**
 * A list of names Keras 2 keeps in attribute `name`, or in `name0`, `name1`, ... when one attribute
 * would be too large for HDF5's object header (its save_attributes_to_hdf5_group). h5py stores
 * them as fixed-length bytes, which jsfive pads with NULs.
 */
function listAttribute(group: Group, name: string): string[] {
  const whole = group.attrs[name];
  const chunks: unknown[] = whole !== undefined ? [whole] : [];
  for (let i = 0; whole === undefined && group.attrs[`${name}${i}`] !== undefined; i++) chunks.push(group.attrs[`${name}${i}`]);
  return chunks.flatMap((chunk) => (Array.isArray(chunk) ? chunk.map((s) => String(s).replace(/\0+$/, '')) : []));
}

/** A weight's dataset: float32, or float64 (a model of dtype policy 'float64'), read as float32. */
function checkedVariable(op: string, dataset: Dataset, name: string, source: string): KerasVariable {
  if (dataset.dtype !== '<f4' && dataset.dtype !== '<f8') {
    throw new ConvlensError(
      `${op}: ${source}: weight ${name} has dtype ${dtypeName(dataset)}; only float32 weights are supported (float64 ones are read as float32)`,
    );
  }
  return { name, shape: [...dataset.shape], values: dataset.value };
}

/** numpy's dtype string in words: '<i1' → int8, '<f2' → float16; bfloat16 as Keras marks it. */
function dtypeName(dataset: Dataset): string {
  if (dataset.attrs.dtype === 'bfloat16') return 'bfloat16';
  const parts = typeof dataset.dtype === 'string' ? /^[<>|=]([fiu])(\d+)$/.exec(dataset.dtype) : null;
  if (!parts) return JSON.stringify(dataset.dtype);
  return `${{ f: 'float', i: 'int', u: 'uint' }[parts[1]]}${Number(parts[2]) * 8}`;
}

/** The weights as a manifest (Keras 3's with their keras_path, by which they are matched) and their values in one buffer. */
function packed({ variables, byPath }: FileWeights): { weights: WeightSpec[]; weightData: ArrayBuffer } {
  const data = new Float32Array(variables.reduce((n, v) => n + v.values.length, 0));
  let offset = 0;
  for (const { values } of variables) {
    data.set(values, offset);
    offset += values.length;
  }
  const weights = variables.map(({ name, shape }) => ({ name, shape, dtype: 'float32', ...(byPath ? { keras_path: name } : {}) }));
  return { weights, weightData: data.buffer };
}

/**
 * A Keras weights file as the artifacts `loadWeights` takes: Keras 3's (`save_weights('….weights.h5')`),
 * each weight with the path Keras gave it, matched by it (a layer by its class and order among the
 * layers of its class, as Keras 3 loads them); or Keras 2's (`save_weights('….h5')`, or a whole
 * model's `.h5`), matched by name. Works in browsers.
 */
export function kerasWeightsArtifacts(
  data: ArrayBuffer | ArrayBufferView,
  source = 'the weights file',
  op = 'loadWeights',
): WeightsArtifacts {
  const { weights, weightData } = packed(readHdf5(op, bytesOf(op, data), source, (file) => fileWeights(op, file, source)));
  const weightsManifest = [{ paths: ['weights.h5'], weights }];
  return { weightsJson: { format: 'layers-weights', generatedBy: 'Keras', convertedBy: null, weightsManifest }, weightData };
}

/**
 * A Keras model file as TensorFlow.js Layers artifacts, which `fromArtifacts` and
 * `functionalFromArtifacts` read (`loadModel` and `loadFunctional` take the file's path): Keras 3's
 * `.keras` file (`model.save('….keras')`), or Keras 2's HDF5 model (`model.save('….h5')`). The
 * weights are matched as their Keras loads them (Keras 3's by class and order, Keras 2's by name);
 * compile's settings come along. Works in browsers.
 */
export function kerasArtifacts(data: ArrayBuffer | ArrayBufferView, source = 'the Keras file', op = 'kerasArtifacts'): ModelArtifacts {
  const bytes = bytesOf(op, data);
  if (isHdf5(bytes)) return readHdf5(op, bytes, source, (file) => legacyModel(op, file, source));
  if (!startsWith(bytes, ZIP_SIGNATURE)) {
    throw new ConvlensError(`${op}: ${source} is not a Keras model file: neither a .keras file (a zip archive) nor Keras 2's HDF5 model`);
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    throw new ConvlensError(`${op}: ${source} cannot be read as a zip archive (${(error as Error).message}): corrupt or truncated?`);
  }
  const config = jsonEntry(op, files, 'config.json', source) as { class_name?: unknown; config?: unknown; compile_config?: unknown };
  const metadata = (files['metadata.json'] ? jsonEntry(op, files, 'metadata.json', source) : {}) as { keras_version?: unknown };
  const weightsFile = files['model.weights.h5'];
  if (!weightsFile) {
    const npz = files['model.weights.npz'] !== undefined;
    throw new ConvlensError(
      npz
        ? `${op}: ${source} holds its weights as model.weights.npz (weights_format='npz'), which convlens does not read: save it with Keras' default, 'h5'`
        : `${op}: ${source} holds no model.weights.h5 (its files: ${Object.keys(files).join(', ') || 'none'})`,
    );
  }
  const where = `${source}'s model.weights.h5`;
  const weights = readHdf5(op, weightsFile, where, (file) => fileWeights(op, file, where));
  const compile = config.compile_config;
  const training = compile && typeof compile === 'object' ? trainingConfigOf(compile as Record<string, unknown>) : undefined;
  return artifacts(op, source, { ...config, keras_version: textOf(metadata.keras_version) ?? '3' }, weights, training);
}

/** Keras 2's HDF5 model: its config and compile settings in attributes, its weights in `model_weights`. */
function legacyModel(op: string, file: Hdf5File, source: string): ModelArtifacts {
  const configText = textOf(file.attrs.model_config);
  if (configText === undefined) {
    throw new ConvlensError(
      `${op}: ${source} is an HDF5 file, which holds a Keras model's weights without the model (model.save_weights): build the model and call its loadWeights; Keras saves a whole model as .keras (Keras 3) or as .h5 with its config (Keras 2)`,
    );
  }
  const config = parseJson(op, configText, `${source}'s model_config`) as { class_name?: unknown; config?: unknown };
  const trainingText = textOf(file.attrs.training_config);
  const training = trainingText === undefined ? undefined : parseJson(op, trainingText, `${source}'s training_config`);
  const version = textOf(file.attrs.keras_version) ?? '2';
  return artifacts(op, source, { ...config, keras_version: version }, fileWeights(op, file, source), training);
}

function artifacts(
  op: string,
  source: string,
  topology: { class_name?: unknown; config?: unknown; keras_version: string },
  weights: FileWeights,
  training: unknown,
): ModelArtifacts {
  const { weights: specs, weightData } = packed(weights);
  const modelJson: ModelJson = {
    format: 'layers-model',
    generatedBy: `keras v${topology.keras_version}`,
    convertedBy: 'convlens',
    modelTopology: {
      class_name: topologyClass(op, topology.class_name, source),
      config: topology.config as ModelJson['modelTopology']['config'],
      keras_version: topology.keras_version,
      backend: 'keras',
    },
    weightsManifest: [{ paths: ['weights.h5'], weights: specs }],
  };
  if (training && typeof training === 'object') modelJson.trainingConfig = training as NonNullable<ModelJson['trainingConfig']>;
  return { modelJson, weightData };
}

/** An attribute's text (h5py writes a str as a variable-length string, bytes as fixed-length ones). */
function textOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value.replace(/\0+$/, '') : undefined;
}

function parseJson(op: string, text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConvlensError(`${op}: ${what} is not valid JSON (${(error as Error).message})`);
  }
}

function jsonEntry(op: string, files: Record<string, Uint8Array>, name: string, source: string): unknown {
  const bytes = files[name];
  if (!bytes) throw new ConvlensError(`${op}: ${source} holds no ${name} (its files: ${Object.keys(files).join(', ') || 'none'})`);
  return parseJson(op, new TextDecoder().decode(bytes), `${source}'s ${name}`);
}

/** Keras 3 names a functional model's class Functional, Keras 2 and tfjs Model; a subclassed model has no config to build it from. */
function topologyClass(op: string, className: unknown, source: string): 'Sequential' | 'Model' {
  if (className === 'Sequential') return 'Sequential';
  if (className === 'Functional' || className === 'Model') return 'Model';
  throw new ConvlensError(
    `${op}: ${source} holds a model of class ${describeValue(className)}, a subclassed model whose layers its config does not list; convlens reads Sequential and functional models`,
  );
}

/** Keras 3's compile_config in the form of Keras 2's training_config, which convlens reads: the optimizer under optimizer_config. */
function trainingConfigOf(compile: Record<string, unknown>): Record<string, unknown> {
  const { optimizer, ...rest } = compile;
  return { ...rest, optimizer_config: optimizer };
}
