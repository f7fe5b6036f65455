import { ConvlensError, checkNumber, checkOptions, describeValue, everyItem } from '../errors.js';
import { Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeImage } from './decode_image.js';
import { type ImageBatch, ImageBatchDataset } from './image_batch_dataset.js';
import { type ResizeMethod, resize } from './resize.js';

const OP = 'imageDatasetFromDirectory';
/** Keras' allowed formats (its ALLOWLIST_FORMATS); other files are left out. */
const DECODED = ['.bmp', '.gif', '.jpeg', '.jpg', '.png'];
const CHANNELS = { grayscale: 1, rgb: 3, rgba: 4 } as const;

export interface ImageDatasetOptions {
  /** 'inferred' (default): each subfolder is a class, in alphanumeric order; null: no labels (every image below the folder). */
  labels?: 'inferred' | null;
  /** 'int' (default: the class index, int32 `[N]`), 'categorical' (one-hot float32 `[N, classes]`), 'binary' (float32 `[N, 1]`, two classes), or null. */
  labelMode?: 'int' | 'categorical' | 'binary' | null;
  /** The subfolders to take, in this order (they set the class indices); by default all, sorted. */
  classNames?: string[];
  colorMode?: 'grayscale' | 'rgb' | 'rgba';
  /** `[height, width]` every image is resized to (default [256, 256], as Keras). */
  imageSize?: [number, number];
  /** Shuffle the files (default true), with `seed`. */
  shuffle?: boolean;
  seed?: number;
  /** The share of the files kept for validation (the last ones after shuffling, as Keras splits). */
  validationSplit?: number;
  /** With validationSplit: 'training', 'validation', or 'both' (returns the two). */
  subset?: 'training' | 'validation' | 'both';
  interpolation?: ResizeMethod;
  /** Follow links to folders (default false, as Keras). */
  followLinks?: boolean;
  /** Print Keras' "Found N files belonging to C classes." lines (default true). */
  verbose?: boolean;
  /**
   * Keras' `batch_size`: given, the result is an ImageBatchDataset, whose batches are decoded as
   * they are iterated (for folders larger than memory); left out, the whole subset is decoded into
   * tensors at once.
   */
  batchSize?: number;
}

export interface ImageDataset {
  /** float32 `[N, height, width, channels]`, pixel values in 0..255 as Keras gives them. */
  x: Tensor<'float32'>;
  /** The labels in `labelMode`; undefined when there are none. */
  y: Tensor | undefined;
  classNames: string[];
  /** The file of each example, in the order of `x`. */
  filePaths: string[];
}

interface Listing {
  paths: string[];
  labels: number[];
  classNames: string[];
}

/**
 * Keras' `image_dataset_from_directory` for Node.js: the images of a folder whose subfolders are
 * the classes (`cats/`, `dogs/`), decoded (PNG, JPEG, BMP, and a GIF's first frame), resized as `tf.image.resize` does, with
 * their labels. Files are found and ordered as Keras finds them (classes in alphanumeric order,
 * then each class's files by folder and name), shuffled with `seed` (convlens' generator, so not
 * Keras' order), and split as Keras splits: the last `floor(validationSplit × N)` files are the
 * validation subset (none when that is 0: the validation set is then empty, where Keras' slice
 * `[-0:]` would give every file). Without `batchSize`, the whole subset is returned as tensors, ready
 * for `fit(x, y)` (which batches and shuffles): mind the memory, N × height × width × channels × 4
 * bytes. With `batchSize`, an ImageBatchDataset of the same files in the same order, decoded a batch
 * at a time as `fit(dataset)` iterates it, and reshuffled at each epoch after the first.
 */
export async function imageDatasetFromDirectory(
  directory: string,
  options: ImageDatasetOptions & { batchSize: number; subset: 'both' },
): Promise<[ImageBatchDataset, ImageBatchDataset]>;
export async function imageDatasetFromDirectory(
  directory: string,
  options: ImageDatasetOptions & { batchSize: number; subset?: 'training' | 'validation' },
): Promise<ImageBatchDataset>;
export async function imageDatasetFromDirectory(
  directory: string,
  options?: ImageDatasetOptions & { batchSize?: undefined; subset?: 'training' | 'validation' },
): Promise<ImageDataset>;
export async function imageDatasetFromDirectory(
  directory: string,
  options: ImageDatasetOptions & { batchSize?: undefined; subset: 'both' },
): Promise<[ImageDataset, ImageDataset]>;
export async function imageDatasetFromDirectory(
  directory: string,
  options: ImageDatasetOptions = {},
): Promise<ImageDataset | [ImageDataset, ImageDataset] | ImageBatchDataset | [ImageBatchDataset, ImageBatchDataset]> {
  const settings = resolveOptions(directory, options);
  const { fs, path } = await nodeModules();
  const listing = await listImages(fs, path, directory, settings);
  if (settings.labelMode === 'binary' && listing.classNames.length !== 2) {
    throw new ConvlensError(
      `${OP}: labelMode 'binary' needs exactly 2 classes, found ${listing.classNames.length} (${listing.classNames.join(', ')})`,
    );
  }
  const order = listing.paths.map((_, i) => i);
  // without a seed, one drawn here: the epochs of a batched dataset reshuffle from it
  const seed = settings.seed ?? new Random().int(2 ** 31);
  if (settings.shuffle) new Random(seed).shuffle(order);
  const say = (line: string) => settings.verbose && console.log(line);
  say(`Found ${listing.paths.length} files${settings.labels === 'inferred' ? ` belonging to ${listing.classNames.length} classes` : ''}.`);
  const { validationSplit, subset, batchSize, shuffle } = settings;
  const decode = (indices: number[]) => makeDataset(fs, listing, indices, settings);
  const load = async (indices: number[]) =>
    batchSize === undefined
      ? decode(indices)
      : new ImageBatchDataset({
          order: indices,
          paths: listing.paths,
          classNames: listing.classNames,
          batchSize,
          shuffle,
          seed,
          load: decode,
        });
  if (validationSplit === undefined) return load(order);
  const validationCount = Math.floor(validationSplit * order.length);
  const training = order.slice(0, order.length - validationCount);
  const validation = order.slice(order.length - validationCount);
  if (subset === 'both') {
    say(`Using ${training.length} files for training.`);
    say(`Using ${validation.length} files for validation.`);
    // both of the same kind, as batchSize chose
    return [await load(training), await load(validation)] as [ImageDataset, ImageDataset] | [ImageBatchDataset, ImageBatchDataset];
  }
  const chosen = subset === 'training' ? training : validation;
  say(`Using ${chosen.length} files for ${subset}.`);
  return load(chosen);
}

/**
 * The files `imageDatasetFromDirectory` reads with these options and their classes, in its order
 * before shuffling (Keras' `index_directory`), none decoded: what a caller checks before the slow part.
 */
export async function indexDirectory(
  directory: string,
  options: ImageDatasetOptions = {},
): Promise<{ filePaths: string[]; labels: number[]; classNames: string[] }> {
  const settings = resolveOptions(directory, options);
  const { fs, path } = await nodeModules();
  const { paths, labels, classNames } = await listImages(fs, path, directory, settings);
  return { filePaths: paths, labels, classNames };
}

type Settings = Required<Pick<ImageDatasetOptions, 'colorMode' | 'imageSize' | 'shuffle' | 'interpolation' | 'followLinks' | 'verbose'>> &
  Pick<ImageDatasetOptions, 'labels' | 'labelMode' | 'classNames' | 'seed' | 'validationSplit' | 'subset' | 'batchSize'>;

function resolveOptions(directory: unknown, options: ImageDatasetOptions): Settings {
  if (typeof directory !== 'string' || directory === '')
    throw new ConvlensError(`${OP}: directory must be a folder's path, got ${describeValue(directory)}`);
  checkOptions(OP, options, [
    'labels',
    'labelMode',
    'classNames',
    'colorMode',
    'imageSize',
    'shuffle',
    'seed',
    'validationSplit',
    'subset',
    'interpolation',
    'followLinks',
    'verbose',
    'batchSize',
  ]);
  const {
    labels = 'inferred',
    labelMode = labels === null ? null : 'int',
    colorMode = 'rgb',
    imageSize = [256, 256],
    shuffle = true,
    interpolation = 'bilinear',
    followLinks = false,
    verbose = true,
    classNames,
    seed,
    validationSplit,
    subset,
    batchSize,
  } = options;
  const oneOf = (name: string, value: unknown, allowed: readonly unknown[]) => {
    const listed = allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ');
    if (!allowed.includes(value)) throw new ConvlensError(`${OP}: ${name} must be one of ${listed}, got ${describeValue(value)}`);
  };
  oneOf('labels', labels, ['inferred', null]);
  oneOf('labelMode', labelMode, ['int', 'categorical', 'binary', null]);
  oneOf('colorMode', colorMode, Object.keys(CHANNELS));
  oneOf('interpolation', interpolation, ['bilinear', 'nearest']);
  for (const [name, value] of Object.entries({ shuffle, followLinks, verbose })) oneOf(name, value, [true, false]);
  if (labels === null && (labelMode !== null || classNames !== undefined)) {
    throw new ConvlensError(`${OP}: with labels null there are no classes: leave labelMode and classNames out`);
  }
  if (!Array.isArray(imageSize) || imageSize.length !== 2 || !everyItem(imageSize, (d) => Number.isInteger(d) && d > 0)) {
    throw new ConvlensError(`${OP}: imageSize must be [height, width] with two positive integers, got ${describeValue(imageSize)}`);
  }
  if (
    classNames !== undefined &&
    (!Array.isArray(classNames) || classNames.length === 0 || !classNames.every((c) => typeof c === 'string' && c !== ''))
  ) {
    throw new ConvlensError(`${OP}: classNames must be a list of subfolder names, got ${describeValue(classNames)}`);
  }
  const twice = classNames?.find((c, i) => classNames.indexOf(c) !== i);
  // each would be a class of its own, with the same images
  if (twice !== undefined) throw new ConvlensError(`${OP}: classNames lists '${twice}' twice`);
  if (seed !== undefined) checkNumber(OP, 'seed', seed, { integer: true });
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new ConvlensError(`${OP}: batchSize must be a positive integer, got ${describeValue(batchSize)}`);
  }
  if (validationSplit !== undefined) {
    if (!(typeof validationSplit === 'number' && validationSplit > 0 && validationSplit < 1)) {
      throw new ConvlensError(`${OP}: validationSplit must be a number between 0 and 1 (exclusive), got ${describeValue(validationSplit)}`);
    }
    oneOf('subset', subset, ['training', 'validation', 'both']);
    // as Keras: without a seed, each call would shuffle differently and the subsets would overlap
    if (shuffle && seed === undefined)
      throw new ConvlensError(
        `${OP}: with validationSplit and shuffle, give a seed, so that the training and validation subsets do not overlap`,
      );
  } else if (subset !== undefined) {
    throw new ConvlensError(`${OP}: subset ${describeValue(subset)} needs validationSplit`);
  }
  return {
    labels,
    labelMode,
    classNames,
    colorMode,
    imageSize,
    shuffle,
    seed,
    validationSplit,
    subset,
    interpolation,
    followLinks,
    verbose,
    batchSize,
  };
}

async function nodeModules() {
  try {
    const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
    return { fs, path };
  } catch {
    throw new ConvlensError(`${OP}: needs Node.js file access`);
  }
}

type Fs = Awaited<ReturnType<typeof nodeModules>>['fs'];
type Path = Awaited<ReturnType<typeof nodeModules>>['path'];

/** The image files and their class indices, in Keras' order; throws when there is none. */
async function listImages(fs: Fs, path: Path, directory: string, settings: Settings): Promise<Listing> {
  const listing = await findImages(fs, path, directory, settings);
  if (listing.paths.length === 0) {
    throw new ConvlensError(
      `${OP}: no images found in ${directory} (it reads ${DECODED.join(', ')} files${settings.labels === 'inferred' ? ' in its subfolders, one per class' : ''})`,
    );
  }
  return listing;
}

async function findImages(fs: Fs, path: Path, directory: string, settings: Settings): Promise<Listing> {
  const entries = await readFolder(fs, directory);
  if (settings.labels === null) {
    const paths = await imagesBelow(fs, path, directory, settings.followLinks);
    return { paths, labels: paths.map(() => 0), classNames: [] };
  }
  const folders: string[] = [];
  for (const entry of entries)
    if (await isFolder(fs, path.join(directory, entry.name), entry, settings.followLinks)) folders.push(entry.name);
  folders.sort();
  const classNames = settings.classNames ?? folders;
  const missing = classNames.filter((c) => !folders.includes(c));
  if (missing.length > 0) {
    throw new ConvlensError(
      `${OP}: classNames ${missing.map((c) => `'${c}'`).join(', ')} are not subfolders of ${directory} (it has ${folders.map((c) => `'${c}'`).join(', ') || 'none'})`,
    );
  }
  const paths: string[] = [];
  const labels: number[] = [];
  for (const [label, name] of classNames.entries()) {
    const files = await imagesBelow(fs, path, path.join(directory, name), settings.followLinks);
    paths.push(...files);
    labels.push(...files.map(() => label));
  }
  return { paths, labels, classNames };
}

async function readFolder(fs: Fs, directory: string) {
  try {
    return await fs.readdir(directory, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (error as Error).message;
    throw new ConvlensError(`${OP}: cannot read ${directory}: ${reason}`);
  }
}

async function isFolder(
  fs: Fs,
  full: string,
  entry: { isDirectory(): boolean; isSymbolicLink(): boolean },
  followLinks: boolean,
): Promise<boolean> {
  if (entry.isDirectory()) return true;
  return (
    followLinks &&
    entry.isSymbolicLink() &&
    (await fs.stat(full).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  );
}

/** The images in a folder and its subfolders: folders in path order, files by name in each, as Keras walks them. */
async function imagesBelow(fs: Fs, path: Path, root: string, followLinks: boolean): Promise<string[]> {
  const found: [string, string[]][] = [];
  const walk = async (dir: string) => {
    const files: string[] = [];
    for (const entry of await readFolder(fs, dir)) {
      const full = path.join(dir, entry.name);
      if (await isFolder(fs, full, entry, followLinks)) await walk(full);
      else files.push(entry.name);
    }
    found.push([dir, files]);
  };
  await walk(root);
  found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const images = found.flatMap(([dir, files]) => files.sort().map((f) => path.join(dir, f)));
  return images.filter((f) => DECODED.includes(path.extname(f).toLowerCase()));
}

/** Decodes and resizes the files at `indices` into one batch, with their labels. */
async function makeDataset(fs: Fs, listing: Listing, indices: number[], settings: Settings): Promise<ImageDataset & ImageBatch> {
  const [height, width] = settings.imageSize;
  const channels = CHANNELS[settings.colorMode];
  const size = height * width * channels;
  const x = allocate(indices.length, [height, width, channels], settings.batchSize !== undefined);
  for (const [n, i] of indices.entries()) x.set(await loadImage(fs, listing.paths[i], settings, channels), n * size);
  const filePaths = indices.map((i) => listing.paths[i]);
  const labels = indices.map((i) => listing.labels[i]);
  return {
    x: new Tensor(x, [indices.length, height, width, channels], 'float32'),
    y: labelTensor(labels, settings.labelMode ?? null, listing.classNames.length),
    classNames: [...listing.classNames],
    filePaths,
  };
}

/**
 * The batch's memory, or an error naming its size when there is not so much to give (a RangeError
 * otherwise); a `batched` one is a batch of a dataset, whose size its batchSize sets.
 */
function allocate(count: number, shape: number[], batched: boolean): Float32Array {
  try {
    return new Float32Array(count * shape.reduce((a, b) => a * b, 1));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const gigabytes = Number(((count * shape.reduce((a, b) => a * b, 4)) / 1e9).toPrecision(3));
    const what = batched ? `a batch of ${count} images` : `${count} images`;
    const remedy = batched
      ? 'a smaller imageSize or batchSize'
      : 'a smaller imageSize, fewer images, or a batchSize (to decode a batch at a time)';
    throw new ConvlensError(
      `${OP}: ${what} of ${shape.join('×')} take${batched ? 's' : ''} ${gigabytes} GB as float32, more than can be allocated: give ${remedy}`,
    );
  }
}

async function loadImage(fs: Fs, file: string, settings: Settings, channels: 1 | 3 | 4): Promise<ArrayLike<number>> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new ConvlensError(`${OP}: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    // a GIF's first frame, as Keras decodes with expand_animations=False
    const decoded = decodeImage(bytes, { channels, expandAnimations: false });
    return resize(decoded, settings.imageSize, { method: settings.interpolation }).data;
  } catch (error) {
    if (error instanceof ConvlensError) throw new ConvlensError(`${OP}: ${file}: ${error.message}`);
    throw error;
  }
}

function labelTensor(labels: number[], mode: ImageDatasetOptions['labelMode'], classes: number): Tensor | undefined {
  if (mode === null || mode === undefined) return undefined;
  if (mode === 'int') return new Tensor(Int32Array.from(labels), [labels.length], 'int32');
  if (mode === 'binary') return new Tensor(Float32Array.from(labels), [labels.length, 1], 'float32');
  const oneHot = new Float32Array(labels.length * classes);
  labels.forEach((label, n) => {
    oneHot[n * classes + label] = 1;
  });
  return new Tensor(oneHot, [labels.length, classes], 'float32');
}
