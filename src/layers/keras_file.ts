import { unzipSync } from 'fflate';
import { Dataset, Group, File as Hdf5File } from 'jsfive';
import { ConvlensError, describeValue } from '../errors.js';
import type { ModelArtifacts, ModelJson, WeightSpec } from './artifacts.js';
import type { WeightsArtifacts } from './weights_file.js';

// Keras 3's own files (docs/model-format.md, "Keras 3 files"): a `.keras` file is a zip of
// config.json (the model as serialize_keras_object gives it), metadata.json and model.weights.h5;
// `model.save_weights` writes the .weights.h5 alone. In the HDF5 file each layer's variables are
// datasets '0', '1', ... of the group `layers/<its class in snake case, _1, _2 ... for later layers
// of the class>/vars` (keras/src/saving/saving_lib.py): weights go by class and order, not name.

/** The signature an HDF5 file's superblock starts with, at byte 0, 512, 1024, 2048 ... */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

interface KerasVariable {
  /** Where Keras put it: 'layers/conv2d/vars/0'. */
  path: string;
  shape: number[];
  values: ArrayLike<number>;
}

function bytesOf(op: string, data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ConvlensError(`${op}: expected the file's bytes (an ArrayBuffer or a typed array), got ${describeValue(data)}`);
}

function isHdf5(bytes: Uint8Array): boolean {
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= bytes.length && offset <= 1 << 20; offset = offset ? offset * 2 : 512) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b)) return true;
  }
  return false;
}

/**
 * The layers' variables of a Keras 3 HDF5 weights file, in the file's order: every dataset of a
 * `vars` group below `layers` (the optimizer's and the metrics' are elsewhere, and not read).
 */
function layerVariables(op: string, bytes: Uint8Array, source: string): KerasVariable[] {
  if (!isHdf5(bytes)) throw new ConvlensError(`${op}: ${source} is not an HDF5 file (Keras 3 writes its weights in one)`);
  try {
    // jsfive reads from offset 0 of the buffer it is given, and reads a dataset's values when asked
    return variablesIn(op, new Hdf5File(bytes.slice().buffer), source);
  } catch (error) {
    if (error instanceof ConvlensError) throw error;
    throw new ConvlensError(`${op}: ${source} cannot be read as HDF5 (${(error as Error).message}): corrupt or truncated?`);
  }
}

function variablesIn(op: string, file: Hdf5File, source: string): KerasVariable[] {
  if (!file.keys.includes('layers')) {
    const legacy = file.attrs.model_config !== undefined || file.keys.includes('model_weights');
    throw new ConvlensError(
      legacy
        ? `${op}: ${source} is a Keras 2 HDF5 model (model.save('…h5') before Keras 3), which convlens does not read: save the model in Keras 3 as .keras, or convert it with tensorflowjs_converter`
        : `${op}: ${source} has no 'layers' group: it is not a Keras 3 weights file`,
    );
  }
  const found: KerasVariable[] = [];
  const walk = (group: Group, path: string) => {
    for (const key of group.keys) {
      const child = group.get(key);
      const at = `${path}/${key}`;
      if (child instanceof Group) walk(child, at);
      else if (child instanceof Dataset && path.endsWith('/vars')) found.push(checkedVariable(op, child, at, source));
    }
  };
  walk(file.get('layers') as Group, 'layers');
  return found;
}

function checkedVariable(op: string, dataset: Dataset, path: string, source: string): KerasVariable {
  if (dataset.dtype !== '<f4') {
    const dtype = dataset.attrs.dtype === 'bfloat16' ? 'bfloat16' : JSON.stringify(dataset.dtype);
    throw new ConvlensError(`${op}: ${source}: weight ${path} has dtype ${dtype}; only float32 weights are supported`);
  }
  return { path, shape: [...dataset.shape], values: dataset.value };
}

/** The variables as a weights manifest (each named by its path, with its keras_path) and their values in one buffer. */
function packed(variables: readonly KerasVariable[]): { weights: WeightSpec[]; weightData: ArrayBuffer } {
  const data = new Float32Array(variables.reduce((n, v) => n + v.values.length, 0));
  let offset = 0;
  for (const { values } of variables) {
    data.set(values, offset);
    offset += values.length;
  }
  const weights = variables.map(({ path, shape }) => ({ name: path, shape, dtype: 'float32', keras_path: path }));
  return { weights, weightData: data.buffer };
}

/**
 * A Keras 3 weights file (`model.save_weights('….weights.h5')`) as the artifacts `loadWeights`
 * takes: each weight with the path Keras gave it, by which it is matched (a layer by its class and
 * order among the layers of its class, as Keras 3 loads them). Works in browsers.
 */
export function kerasWeightsArtifacts(
  data: ArrayBuffer | ArrayBufferView,
  source = 'the weights file',
  op = 'loadWeights',
): WeightsArtifacts {
  const { weights, weightData } = packed(layerVariables(op, bytesOf(op, data), source));
  const weightsManifest = [{ paths: ['model.weights.h5'], weights }];
  return { weightsJson: { format: 'layers-weights', generatedBy: 'Keras 3', convertedBy: null, weightsManifest }, weightData };
}

/**
 * A Keras 3 `.keras` file (`model.save('….keras')`) as TensorFlow.js Layers artifacts, which
 * `fromArtifacts` and `functionalFromArtifacts` read (`loadModel` and `loadFunctional` take the
 * file's path). The weights keep the paths Keras gave them, by which they are matched (a layer by
 * its class and order among the layers of its class, as Keras 3 loads them); compile's settings
 * come along. Works in browsers.
 */
export function kerasArtifacts(data: ArrayBuffer | ArrayBufferView, source = 'the .keras file', op = 'kerasArtifacts'): ModelArtifacts {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytesOf(op, data));
  } catch (error) {
    if (error instanceof ConvlensError) throw error;
    throw new ConvlensError(`${op}: ${source} is not a .keras file: it is not a zip archive (${(error as Error).message})`);
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
  const { weights, weightData } = packed(layerVariables(op, weightsFile, `${source}'s model.weights.h5`));
  const kerasVersion = typeof metadata.keras_version === 'string' ? metadata.keras_version : '3';
  const modelJson: ModelJson = {
    format: 'layers-model',
    generatedBy: `keras v${kerasVersion}`,
    convertedBy: 'convlens',
    modelTopology: {
      class_name: topologyClass(op, config.class_name, source),
      config: config.config as ModelJson['modelTopology']['config'],
      keras_version: kerasVersion,
      backend: 'keras',
    },
    weightsManifest: [{ paths: ['model.weights.h5'], weights }],
  };
  const compile = config.compile_config;
  if (compile && typeof compile === 'object') modelJson.trainingConfig = trainingConfigOf(compile as Record<string, unknown>);
  return { modelJson, weightData };
}

function jsonEntry(op: string, files: Record<string, Uint8Array>, name: string, source: string): unknown {
  const bytes = files[name];
  if (!bytes) throw new ConvlensError(`${op}: ${source} holds no ${name} (its files: ${Object.keys(files).join(', ') || 'none'})`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ConvlensError(`${op}: ${source}'s ${name} is not valid JSON (${(error as Error).message})`);
  }
}

/** Keras 3 names a functional model's class Functional, tfjs Model; a subclassed model has no config to build it from. */
function topologyClass(op: string, className: unknown, source: string): 'Sequential' | 'Model' {
  if (className === 'Sequential') return 'Sequential';
  if (className === 'Functional' || className === 'Model') return 'Model';
  throw new ConvlensError(
    `${op}: ${source} holds a model of class ${describeValue(className)}, a subclassed model whose layers its config does not list; convlens reads Sequential and functional models`,
  );
}

/** Keras 3's compile_config in the form of the training_config before it (the optimizer under optimizer_config), which convlens reads. */
function trainingConfigOf(compile: Record<string, unknown>): NonNullable<ModelJson['trainingConfig']> {
  const { optimizer, ...rest } = compile;
  return { ...rest, optimizer_config: optimizer } as NonNullable<ModelJson['trainingConfig']>;
}
