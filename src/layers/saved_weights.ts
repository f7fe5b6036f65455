import { ConvlensError, describeValue } from '../errors.js';
import { formatShape, sizeFromShape } from '../tensor/shape.js';
import type { OptimizerWeight } from '../train/optimizer.js';
import type { ModelJson, WeightSpec, WeightsGroup } from './artifacts.js';
import { kerasArtifacts, kerasWeightsArtifacts } from './keras_file.js';
import type { Weight } from './layer.js';
import { localPath, nodeModules } from './node_files.js';

// Reading saved weights (a weights manifest and its bytes) and the files that hold them, for
// loading a model and for loading weights into one.

/** The bytes of one weight buffer: an ArrayBuffer or any view of one (a Node Buffer, a Float32Array...). */
function bytesOf(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer))
    return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ConvlensError(
    `fromArtifacts: weight data must be an ArrayBuffer or a typed array (or a list of them, one per weight file), got ${describeValue(data)}`,
  );
}

/** Every weight file's bytes in manifest order, checked against the sizes the manifest implies. */
function weightBytes(manifest: WeightsGroup[], lengths: number[][], weightData: WeightData | undefined, names?: string[][]): Uint8Array {
  const expected = lengths.map((group) => group.reduce((a, b) => a + b, 0));
  const total = expected.reduce((a, b) => a + b, 0);
  if (!Array.isArray(weightData)) {
    const bytes = bytesOf(weightData);
    if (bytes.byteLength !== total) {
      throw new ConvlensError(
        `fromArtifacts: weight data has ${bytes.byteLength} bytes, expected ${total} (the sizes the weights manifest lists)`,
      );
    }
    return bytes;
  }
  // One buffer per file (group by group, shard by shard): check each group's files together,
  // since tfjs cuts shards at a byte size, not at weight boundaries.
  const files = manifest.reduce((n, g) => n + g.paths.length, 0);
  if (weightData.length !== files) {
    throw new ConvlensError(`fromArtifacts: got ${weightData.length} weight buffers, the weights manifest lists ${files} files`);
  }
  const parts = weightData.map(bytesOf);
  let file = 0;
  manifest.forEach((group, i) => {
    const got = parts.slice(file, file + group.paths.length).reduce((n, p) => n + p.length, 0);
    if (got !== expected[i]) {
      const which = (names?.[i] ?? group.paths).join(', ');
      throw new ConvlensError(`fromArtifacts: weights file ${which} has ${got} bytes, expected ${expected[i]} (corrupt or truncated)`);
    }
    file += group.paths.length;
  });
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** Bytes per value of the dtypes tfjs writes (its optimizer state has an int32 step count). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/**
 * Checks a manifest entry and returns its byte length. A model weight must be float32; optimizer
 * state (group 'optimizer', which the model skips) only needs a size, so it can be stepped over.
 */
function checkSpec(spec: WeightSpec): number {
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ConvlensError(
      `fromArtifacts: weight ${spec.name} has shape ${describeValue(spec.shape)} (expected a list of non-negative integers)`,
    );
  }
  const dtype = spec.dtype ?? 'float32';
  if (spec.group === 'optimizer' && !spec.quantization && DTYPE_BYTES[dtype] !== undefined)
    return sizeFromShape(spec.shape) * DTYPE_BYTES[dtype];
  if (spec.quantization) throw new ConvlensError(`fromArtifacts: weight ${spec.name} is quantized; only float32 weights are supported`);
  if (dtype !== 'float32') {
    throw new ConvlensError(`fromArtifacts: weight ${spec.name} has dtype ${dtype}; only float32 weights are supported`);
  }
  return sizeFromShape(spec.shape) * 4;
}

/** Whether a manifest entry's name is weight `name` ('conv2d/kernel'): tfjs' are ('conv2d_Conv2D1/kernel'; the converter may prefix a scope or add ':0'). */
export function namesWeight(specName: string, name: string): boolean {
  const bare = specName.replace(/:0$/, '');
  return bare === name || bare.endsWith(`/${name}`);
}

/** Weights as `fromArtifacts` takes them: all the bytes in one buffer, or one buffer per weight file. */
export type WeightData = ArrayBuffer | ArrayBufferView | (ArrayBuffer | ArrayBufferView)[];

/** A saved weight: its manifest entry and a view of its bytes (little-endian float32). */
export interface SavedWeight {
  spec: WeightSpec;
  view: DataView;
}

/** The manifest's weights with their bytes, in manifest order, checked; optimizer state saved alongside is skipped. */
export function savedWeights(manifest: WeightsGroup[], weightData: WeightData | undefined, fileNames?: string[][]): SavedWeight[] {
  return allSavedWeights(manifest, weightData, fileNames).filter((e) => e.spec.group !== 'optimizer');
}

/** The manifest's weights with their bytes, in manifest order, checked: the model's and the optimizer state's (group 'optimizer'). */
export function allSavedWeights(manifest: WeightsGroup[], weightData: WeightData | undefined, fileNames?: string[][]): SavedWeight[] {
  if (!Array.isArray(manifest) || !manifest.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights))) {
    throw new ConvlensError('fromArtifacts: weightsManifest must be a list of { paths, weights } groups');
  }
  const lengths = manifest.map((group) => group.weights.map(checkSpec));
  const bytes = weightBytes(manifest, lengths, weightData, fileNames);
  let offset = 0;
  return manifest
    .flatMap((group, g) => group.weights.map((spec, w) => ({ spec, length: lengths[g][w] })))
    .map(({ spec, length }) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
      offset += length;
      return { spec, view };
    });
}

/**
 * The optimizer state among saved weights (group 'optimizer', in manifest order) as an optimizer's
 * setWeights takes it: float32 slots, and the step count `iter`, int32 (or float32) as tfjs writes it.
 */
export function optimizerWeightsOf(saved: readonly SavedWeight[], op: string): OptimizerWeight[] {
  return saved
    .filter((e) => e.spec.group === 'optimizer')
    .map(({ spec, view }) => {
      const dtype = spec.dtype ?? 'float32';
      if (dtype !== 'float32' && dtype !== 'int32') {
        throw new ConvlensError(
          `${op}: optimizer weight ${spec.name} has dtype ${dtype}, expected float32 (or int32 for the step count iter)`,
        );
      }
      const count = view.byteLength / 4;
      const values = dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = dtype === 'int32' ? view.getInt32(i * 4, true) : view.getFloat32(i * 4, true);
      return { name: spec.name, shape: [...spec.shape], dtype, values };
    });
}

/** Whether the saved weight is the model weight by name (namesWeight's rule). */
export const savedAs = (w: Weight, s: SavedWeight): boolean => namesWeight(s.spec.name, w.name);

/**
 * The saved weight for each of `weights`, by tfjs' rule (loadModel's and loadWeights'): by name
 * when every weight finds its own, else by order when the counts agree; otherwise what does not
 * match, in words.
 */
export function matchByNameOrOrder(weights: readonly Weight[], saved: SavedWeight[]): SavedWeight[] | string {
  const byName = matchOneToOne(
    weights,
    saved,
    savedAs,
    (w) => w.name,
    (s) => s.spec.name,
  );
  if (typeof byName !== 'string' || saved.length !== weights.length) return byName;
  return saved;
}

/**
 * Each model weight's saved weight where `fits` pairs them one to one; otherwise what is missing
 * and what is left over, in words (names by `modelName` and `savedName`).
 */
export function matchOneToOne<W>(
  weights: readonly W[],
  saved: SavedWeight[],
  fits: (w: W, s: SavedWeight) => boolean,
  modelName: (w: W) => string,
  savedName: (s: SavedWeight) => string,
): SavedWeight[] | string {
  const found = weights.map((w) => saved.filter((s) => fits(w, s)));
  const missing = weights.filter((_, i) => found[i].length === 0).map(modelName);
  const twice = weights.filter((_, i) => found[i].length > 1).map(modelName);
  const extra = saved.filter((s) => !weights.some((w) => fits(w, s))).map(savedName);
  if (missing.length + twice.length + extra.length === 0) return found.map((f) => f[0]);
  return [
    missing.length ? `the file has no ${listed(missing)}` : '',
    twice.length ? `the file has ${listed(twice)} more than once` : '',
    extra.length ? `the model has no ${listed(extra)}` : '',
  ]
    .filter(Boolean)
    .join('; ')
    .concat(` (the model has ${weights.length} weights, the file ${saved.length}; no weight was set)`);
}

/** Up to 5 items, then how many more. */
export function listed(items: string[]): string {
  const shown = items.slice(0, 5).join(', ');
  return items.length > 5 ? `${shown} and ${items.length - 5} more` : shown;
}

/**
 * Copies `saved[i]` into `weights[i]`, once every shape is checked: a mismatch changes no weight.
 * `what` starts the error ('loadWeights: weight').
 */
export function setSavedWeights(weights: readonly Weight[], saved: readonly SavedWeight[], what: string): void {
  weights.forEach((w, i) => {
    const { spec } = saved[i];
    if (spec.shape.length !== w.shape.length || spec.shape.some((d, j) => d !== w.shape[j])) {
      throw new ConvlensError(
        `${what} ${w.name} has shape ${formatShape(w.shape)}, the file's ${spec.name} has ${formatShape(spec.shape)}`,
      );
    }
  });
  weights.forEach((w, i) => {
    const { view } = saved[i];
    for (let j = 0; j < w.value.length; j++) w.value[j] = view.getFloat32(j * 4, true);
  });
}

/**
 * Refuses a device or a pipe where a model file should be: reading /dev/zero never ends, nor does
 * reading a FIFO no one writes to. A missing file or a folder is left to the read, which names it.
 */
async function refuseSpecialFile(op: string, fs: Awaited<ReturnType<typeof nodeModules>>['fs'], file: string): Promise<void> {
  const info = await fs.stat(file).catch(() => undefined);
  if (info && !info.isFile() && !info.isDirectory()) throw new ConvlensError(`${op}: cannot read ${file}: not a regular file`);
}

/** What readModelFiles gives: the parsed JSON, the bytes of the weight files its manifest lists, and where they were read. */
interface ModelFiles {
  json: Partial<ModelJson>;
  buffers: ArrayBuffer[];
  fileNames: string[][];
  file: string;
}

/**
 * A JSON file (the file, or in the folder the first of `jsonFiles` there) parsed, and the bytes
 * of the weight files its manifest lists; or Keras' own files, read as those (`kerasArtifacts`): a
 * .keras file or Keras 2's .h5 model, and where `weightsOnly` a weights file (.weights.h5, .h5).
 */
export async function readModelFiles(
  op: string,
  modelPath: string,
  jsonFiles: readonly string[] = ['model.json'],
  weightsOnly = false,
): Promise<ModelFiles> {
  const listed = jsonFiles.join(' or ');
  if (typeof modelPath !== 'string' || modelPath === '') {
    throw new ConvlensError(`${op}: expected the path of ${listed} or of its folder, got ${describeValue(modelPath)}`);
  }
  const { fs, path } = await nodeModules(op);
  let file = path.resolve(localPath(op, modelPath));
  const stat = await fs.stat(file).catch(() => {
    throw new ConvlensError(`${op}: ${file} does not exist`);
  });
  const folder = stat.isDirectory() ? file : undefined;
  if (folder) {
    const present = await fs.readdir(folder);
    file = path.join(folder, jsonFiles.find((f) => present.includes(f)) ?? jsonFiles[0]);
  }
  await refuseSpecialFile(op, fs, file);
  if (!folder && /\.(keras|h5|hdf5)$/i.test(file)) return readKerasFile(op, file, weightsOnly, fs);
  const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (folder && error.code === 'ENOENT') {
      throw new ConvlensError(`${op}: the folder ${folder} holds no ${listed} (a saved model is model.json and its weights files)`);
    }
    const reason = error.code === 'EISDIR' ? 'it is a folder' : error.code === 'EACCES' ? 'permission denied' : error.message;
    throw new ConvlensError(`${op}: cannot read ${file}: ${reason}`);
  });
  let json: Partial<ModelJson>;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text: of a binary file (weights.bin, an image), bytes that could drive the terminal
    const binary = /(?![\t\n\r])\p{Cc}|\uFFFD/u.test(text.slice(0, 512));
    throw new ConvlensError(
      binary
        ? `${op}: ${file} is not a ${listed}: it holds binary data, not JSON text`
        : `${op}: ${file} is not valid JSON (${(error as Error).message})`,
    );
  }
  const manifest = Array.isArray(json?.weightsManifest) ? json.weightsManifest : [];
  const dir = path.dirname(file);
  const paths = manifest.map((g) => (Array.isArray(g?.paths) ? g.paths.map(String) : []));
  const buffers = await Promise.all(
    paths.flat().map(async (p) => {
      const weightFile = path.resolve(dir, p);
      // Weight files live beside model.json: a manifest cannot point elsewhere on the disk.
      if (path.relative(dir, weightFile).startsWith('..') || path.isAbsolute(p)) {
        throw new ConvlensError(`${op}: weights path ${describeValue(p)} in ${file} leaves the model's directory`);
      }
      await refuseSpecialFile(op, fs, weightFile);
      const bytes = await fs.readFile(weightFile).catch((error: NodeJS.ErrnoException) => {
        const why = error.code === 'ENOENT' ? 'is missing' : `cannot be read (${error.message})`;
        throw new ConvlensError(`${op}: weights file ${weightFile} ${why} (listed in ${file})`);
      });
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }),
  );
  return { json, buffers, fileNames: paths.map((ps) => ps.map((p) => path.resolve(dir, p))), file };
}

/**
 * A Keras file as readModelFiles gives a model.json and its weights: a .keras file, or Keras 2's
 * HDF5 model; with `weightsOnly`, an HDF5 file's weights (a weights file's manifest).
 */
async function readKerasFile(
  op: string,
  file: string,
  weightsOnly: boolean,
  fs: Awaited<ReturnType<typeof nodeModules>>['fs'],
): Promise<ModelFiles> {
  const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new ConvlensError(`${op}: cannot read ${file}: ${error.code === 'EACCES' ? 'permission denied' : error.message}`);
  });
  if (weightsOnly && !/\.keras$/i.test(file)) {
    const { weightsJson, weightData } = kerasWeightsArtifacts(bytes, file, op);
    return { json: weightsJson as unknown as Partial<ModelJson>, buffers: [weightData], fileNames: [[file]], file };
  }
  const { modelJson, weightData } = kerasArtifacts(bytes, file, op);
  return { json: modelJson, buffers: [weightData], fileNames: [[file]], file };
}
