import { ConvlensError, describeValue, renamed } from '../errors.js';
import { makeDirectories } from '../make_directories.js';
import { type ModelArtifacts, optimizerWeightsToSave, type SaveOptions, writeModelDir } from './artifacts.js';
import { type Hdf5Attribute, Hdf5Group, hdf5Bytes } from './hdf5_writer.js';
import { kerasLayerPaths } from './keras_paths.js';
import type { Layer, Weight } from './layer.js';
import { ModelLayer } from './model_layer.js';
import { localPath, nodeModules } from './node_files.js';
import type { TrainingConfig } from './training_config.js';
import { type WeightsModel, weightsArtifacts, writeWeightsDir } from './weights_file.js';

// Writing Keras' own files (docs/model-format.md, "Keras files"), the layouts keras_file.ts reads:
// - Keras 2's HDF5 model, as legacy_h5_format.save_model_to_hdf5 writes it: the config (the
//   Keras-style topology of the TensorFlow.js Layers format) in attribute `model_config`,
//   compile's settings in `training_config`, each layer's weights in `model_weights/<layer>`;
// - Keras 3's weights file (`save_weights('….weights.h5')`): `layers/<keras path>/vars/<i>`.

/** What a Keras model file is made of: a built model's layers, and its config as the TensorFlow.js Layers format writes it. */
export interface KerasSavableModel extends WeightsModel {
  toArtifacts(options?: SaveOptions): ModelArtifacts;
}

/**
 * The Keras version whose file layout and config the .h5 follows (tf.keras 2's). Keras reads it
 * only to convert a Keras 1 file's weights; convlens reads a Keras 3 version as a Keras 3 config.
 */
const KERAS_VERSION = '2.15.0';
/** Keras converts a file's kernels only when it says Theano wrote them; convlens computes as TensorFlow does. */
const BACKEND = 'tensorflow';
/** Keras' HDF5_OBJECT_HEADER_LIMIT: the bytes of a list of names it keeps in one attribute. */
const ATTRIBUTE_LIMIT = 64_512;

const text = (value: string): Hdf5Attribute => ({ kind: 'text', text: value });
const bytes = (value: string): Hdf5Attribute => ({ kind: 'bytes', strings: [value], scalar: true });

/**
 * Keras' save_attributes_to_hdf5_group: a list of names as fixed-length strings in attribute
 * `name`, or, when that takes more than 64512 bytes, split in as few parts as keep each under it
 * (numpy's array_split: the first parts one longer), as `name0`, `name1`, ...
 */
function setNameList(group: Hdf5Group, name: string, names: readonly string[]): void {
  const encoder = new TextEncoder();
  const width = Math.max(1, ...names.map((n) => encoder.encode(n).length));
  if (width > ATTRIBUTE_LIMIT)
    throw new ConvlensError(`hdf5: a name in ${name} takes more than the ${ATTRIBUTE_LIMIT} bytes Keras keeps in one attribute`);
  let parts = 1;
  while (Math.ceil(names.length / parts) * width > ATTRIBUTE_LIMIT) parts++;
  if (parts === 1) {
    group.attributes.set(name, { kind: 'bytes', strings: names, width });
    return;
  }
  const size = Math.floor(names.length / parts);
  const longer = names.length % parts;
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const end = start + size + (i < longer ? 1 : 0);
    // every part as wide as the longest name, as numpy's array_split keeps the array's dtype
    group.attributes.set(`${name}${i}`, { kind: 'bytes', strings: names.slice(start, end), width });
    start = end;
  }
}

/** A layer's weights as Keras 2 saves them (its `_legacy_weights`): the trainable ones, then the others. */
const legacyWeights = (layer: Layer): Weight[] => [...layer.trainableWeights, ...layer.nonTrainableWeights];

/** Keras 2's name of a weight: its path with TensorFlow's ':0' ('conv2d/kernel:0'). */
const legacyName = (weight: Weight) => `${weight.name}:0`;

/** Keras 2's save_weights_to_hdf5_group: the layers' names, Keras' version, a group per layer with its weights by name. */
function writeLegacyWeights(group: Hdf5Group, layers: readonly Layer[]): void {
  setNameList(
    group,
    'layer_names',
    layers.map((l) => l.name),
  );
  group.attributes.set('backend', bytes(BACKEND));
  group.attributes.set('keras_version', bytes(KERAS_VERSION));
  for (const layer of layers) {
    const layerGroup = group.group(layer.name);
    const weights = legacyWeights(layer);
    setNameList(layerGroup, 'weight_names', weights.map(legacyName));
    for (const weight of weights) layerGroup.dataset(legacyName(weight), weight.shape, weight.value);
  }
}

/** Keras 3 computes another function under the name hard_sigmoid; the file would load and predict differently. */
function refuseHardSigmoid(config: unknown): void {
  if (Array.isArray(config)) {
    for (const item of config) refuseHardSigmoid(item);
  } else if (config && typeof config === 'object') {
    for (const [key, value] of Object.entries(config)) {
      if (key === 'activation' && value === 'hard_sigmoid') {
        throw new ConvlensError(
          `hdf5: the model uses activation 'hard_sigmoid', which Keras 3 computes differently under that name (relu6(x + 3) / 6, convlens and tf.keras 2 clip(0.2x + 0.5, 0, 1)): save it in the TensorFlow.js Layers format (a folder)`,
        );
      }
      refuseHardSigmoid(value);
    }
  }
}

/** tfjs' names of optimizer settings and Keras' (tfjs' RMSProp `decay`, Keras' `rho`, is renamed with its class). */
const KERAS_SETTING_NAMES: Record<string, string> = {
  learningRate: 'learning_rate',
  beta1: 'beta_1',
  beta2: 'beta_2',
  initialAccumulatorValue: 'initial_accumulator_value',
  useNesterov: 'nesterov',
};

/** Refuses an optimizer Keras has no equal of: Keras would train the loaded model by another rule. */
function noKerasEqual(what: string): never {
  throw new ConvlensError(
    `hdf5: the model is compiled with ${what}, which Keras has no equal of (it would train the loaded model by another rule): compile it with another optimizer, or save it as a folder`,
  );
}

/**
 * The optimizer as Keras' deserialize takes it: tfjs' classes and camelCase settings (how convlens
 * saves an optimizer tfjs reads) in Keras' names; Keras-only settings are in Keras' names already.
 */
function kerasOptimizerConfig({ class_name, config }: TrainingConfig['optimizer_config']): TrainingConfig['optimizer_config'] {
  const { decay, ...settings } = Object.fromEntries(Object.entries(config).map(([key, value]) => [KERAS_SETTING_NAMES[key] ?? key, value]));
  if (class_name === 'Adadelta' && 'learningRate' in config) noKerasEqual("TensorFlow.js' Adadelta update");
  if (class_name === 'RMSProp') return { class_name: 'RMSprop', config: { ...settings, rho: decay } };
  if (class_name === 'Momentum') return { class_name: 'SGD', config: settings };
  // Keras 3 ignores an optimizer's `decay` (a learning-rate decay, Adamax's in tfjs)
  if (decay) noKerasEqual(`${class_name}'s learning-rate decay ${decay}`);
  return { class_name, config: settings };
}

/** compile's settings as Keras' compile_args_from_training_config reads them: its optimizer's, and every key it indexes. */
function kerasTrainingConfig(training: TrainingConfig): TrainingConfig {
  return {
    ...training,
    metrics: training.metrics ?? [],
    weighted_metrics: training.weighted_metrics ?? null,
    loss_weights: training.loss_weights ?? null,
    optimizer_config: kerasOptimizerConfig(training.optimizer_config),
  };
}

/**
 * A model as Keras 2's HDF5 model file (`model.save('….h5')`; Keras 3's `keras.models.load_model`
 * reads it too): its config in attribute `model_config`, compile's settings in `training_config`
 * when compiled, its weights in group `model_weights` (a group per layer, attributes `layer_names`
 * and `weight_names`). `layers.loadModel` / `loadFunctional` read it back. No file access: works
 * in browsers; `model.save('….h5')` writes it.
 */
export function kerasH5Bytes(model: KerasSavableModel): Uint8Array {
  return namingErrors('kerasH5Bytes', () => modelFile(model));
}

function modelFile(model: KerasSavableModel): Uint8Array {
  const { modelJson } = model.toArtifacts();
  const { class_name, config, training_config } = modelJson.modelTopology;
  refuseHardSigmoid(config);
  const root = new Hdf5Group();
  // Keras 2 names a functional model's class Functional (tfjs: Model)
  const modelConfig = { class_name: class_name === 'Model' ? 'Functional' : class_name, config };
  root.attributes.set('model_config', text(JSON.stringify(modelConfig)));
  const training = modelJson.trainingConfig ?? training_config;
  if (training) root.attributes.set('training_config', text(JSON.stringify(kerasTrainingConfig(training))));
  root.attributes.set('keras_version', text(KERAS_VERSION));
  root.attributes.set('backend', text(BACKEND));
  writeLegacyWeights(root.group('model_weights'), model.layers);
  return hdf5Bytes(root);
}

/** What `make` gives; what it refuses (the HDF5 writer's errors, prefixed 'hdf5:') named by `op`. */
function namingErrors(op: string, make: () => Uint8Array): Uint8Array {
  try {
    return make();
  } catch (error) {
    throw renamed(error, 'hdf5:', `${op}:`);
  }
}

/**
 * A model's weights as Keras 3's weights file (`model.save_weights('….weights.h5')`): each layer's
 * weights as datasets `0`, `1`, ... of group `layers/<its class in snake case, _1, _2 ...>/vars`,
 * which Keras 3's `load_weights` and convlens' `loadWeights` read into a model built alike. No
 * file access: works in browsers; `model.saveWeights('….weights.h5')` writes it.
 */
export function kerasWeightsBytes(model: WeightsModel): Uint8Array {
  return namingErrors('kerasWeightsBytes', () => weightsFile(model));
}

function weightsFile(model: WeightsModel): Uint8Array {
  weightsArtifacts(model); // checks that the model is built
  const root = new Hdf5Group();
  root.group('vars'); // the model's own variables: none
  for (const { layer, path } of kerasLayerPaths(model.layers)) {
    const vars = root.group(`${path}/vars`);
    if (layer instanceof ModelLayer) continue; // a nested model's weights are its layers', below it
    layer.weights.forEach((weight, i) => {
      vars.dataset(String(i), weight.shape, weight.value);
    });
  }
  return hdf5Bytes(root);
}

const isKerasModelPath = (path: string) => /\.(h5|hdf5)$/i.test(path);
const isKerasWeightsPath = (path: string) => /\.weights\.h5$/i.test(path);

/**
 * model.save: a path ending in .h5 or .hdf5 gets Keras 2's HDF5 model file (kerasH5Bytes), any
 * other a folder in the TensorFlow.js Layers format; .keras (Keras 3's zip) is refused with what to use instead.
 */
export async function saveModel(model: KerasSavableModel, path: string, options?: SaveOptions): Promise<void> {
  if (typeof path === 'string' && /\.keras$/i.test(path)) {
    throw new ConvlensError(
      `save: convlens does not write .keras files (${path}): give a path ending in .h5 for a Keras HDF5 model file, which Keras' load_model reads, or a folder for the TensorFlow.js Layers format`,
    );
  }
  if (typeof path === 'string' && isKerasModelPath(path)) {
    optimizerWeightsToSave('save', { trainableWeights: [] }, options); // checks the options only
    if (options?.includeOptimizer === true) {
      throw new ConvlensError(
        `save: includeOptimizer: convlens' .h5 files hold no optimizer state (${path}): save to a folder, in the TensorFlow.js Layers format, to include it`,
      );
    }
    await writeFileAtomically('save', 'the model', path, () => namingErrors('save', () => modelFile(model)));
    return;
  }
  let artifacts: ModelArtifacts;
  try {
    artifacts = model.toArtifacts(options);
  } catch (error) {
    throw renamed(error, 'toArtifacts:', 'save:');
  }
  await writeModelDir(path, artifacts);
}

/**
 * model.saveWeights: a path ending in .weights.h5 gets Keras 3's weights file (kerasWeightsBytes),
 * any other a folder (weights.json and weights.bin); other Keras file names are refused with what to use instead.
 */
export async function saveModelWeights(model: WeightsModel, path: string): Promise<void> {
  if (typeof path === 'string' && isKerasWeightsPath(path)) {
    await writeFileAtomically('saveWeights', 'the weights', path, () => namingErrors('saveWeights', () => weightsFile(model)));
    return;
  }
  if (typeof path === 'string' && /\.(keras|h5|hdf5)$/i.test(path)) {
    throw new ConvlensError(
      `saveWeights: ${path} is not a weights file name: give a path ending in .weights.h5 for Keras 3's weights file (as Keras 3's save_weights requires), or a folder; save('….h5') writes a whole model`,
    );
  }
  await writeWeightsDir(path, weightsArtifacts(model));
}

/**
 * Writes the bytes `make` gives to `file`: made first (an error there touches no file), written
 * under a temporary name beside it and renamed into place, so the file is whole or as it was.
 */
async function writeFileAtomically(op: string, what: string, file: string, make: () => Uint8Array): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new ConvlensError(`${op}: expected a file path, got ${describeValue(file)}`);
  const data = make();
  const { fs, path } = await nodeModules(op);
  const target = path.resolve(localPath(op, file));
  const fail = (error: unknown) =>
    error instanceof ConvlensError
      ? error
      : new ConvlensError(`${op}: could not write ${what} to ${target}: ${(error as Error).message}`, { cause: error });
  const existing = await fs.lstat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new ConvlensError(`${op}: ${target} is a folder; give the path of a file to write`);
  const createdParent = await makeDirectories(fs.mkdir, path.dirname, path.dirname(target)).catch((error: Error) => {
    throw fail(error);
  });
  const temporary = `${target}.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    await fs.writeFile(temporary, data);
    await fs.rename(temporary, target);
  } catch (error) {
    // cleaning up is best effort: the write's error is the one to report
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    if (createdParent) await fs.rm(createdParent, { recursive: true, force: true }).catch(() => undefined);
    throw fail(error);
  }
}
