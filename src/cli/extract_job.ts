import { readFileSync } from 'node:fs';
// loads the wasm backend (SIMD kernels) and makes it the default, as importing 'convlens' does
import { backend } from '../backend/index.js';
import { convertImage } from '../image/convert_image_dtype.js';
import * as image from '../image/index.js';
import { constant } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { colorIndices, colormap } from '../viz/colormap.js';
import { dataExtent } from '../viz/extent.js';
import { drawExtraction, type Extraction, type ExtractionBuffers, extractFeatureInto } from '../viz/extraction.js';
import { gammaValues, plane } from '../viz/maps.js';
import { jsonFloat32 } from '../viz/numbers.js';
import { writeFileAtomicSync } from './files.js';
import { fsReason } from './inputs.js';
import { encodeNpy } from './npy.js';
import { encodeIndexedPngNode } from './png_node.js';

export type OutputFormat = 'png' | 'svg' | 'html' | 'json' | 'npy';
export type StageName = 'filter' | 'detect' | 'condense';

/** Everything a worker needs to process any image of the run (sent once, as plain data). */
export interface ExtractConfig {
  kernel: number[][];
  kernelName: string;
  kernelTitle: string;
  format: OutputFormat;
  stride: number;
  padding: 'valid' | 'same';
  /** Max-pooling window and stride; 0 = no condense step. */
  pool: number;
  cmap: string;
  gamma: number;
  channels: 1 | 3;
  resize?: [number, number];
  /** Largest width × height decoded; undefined: the library's pixel limit. */
  maxPixels?: number;
  /** The stage written as png/json/npy. */
  stage: StageName;
}

export interface Task {
  id: number;
  input: string;
  output: string;
  name: string;
  /** Also send back the extraction strip (SVG) for the run's report. */
  figure: boolean;
}

export type TaskResult =
  | { id: number; ok: true; output: string; shape: number[]; min: number; max: number; ms: number; figure?: string }
  | { id: number; ok: false; error: string };

/** Maps up to this many floats (64 MB) are kept from image to image; larger ones are made for their image only. */
const KEPT_FLOATS = 1 << 24;

/**
 * This worker's arrays for the image and its three maps, kept from image to image in the
 * backend's resident memory: the wasm kernels read and write them in place (no copy into wasm
 * memory and back for each step) and no new arrays are left for the garbage collector. Each grows
 * to the largest map seen. An image's result views them: it is written before the next image.
 */
class StageBuffers implements ExtractionBuffers {
  private readonly kept = new Map<string, Float32Array>();

  take(stage: 'input' | 'filter' | 'detect' | 'condense', length: number): Float32Array {
    if (length > KEPT_FLOATS) return new Float32Array(length);
    let array = this.kept.get(stage);
    if (!array || array.length < length) {
      array = backend().residentBuffer(length);
      this.kept.set(stage, array);
    }
    return array.subarray(0, length);
  }
}

const buffers = new StageBuffers();

function load(config: ExtractConfig, bytes: Uint8Array): Tensor {
  const decoded = image.decodeImage(bytes, {
    channels: config.channels,
    maxPixels: config.maxPixels,
    expandAnimations: false,
    cmykToGray: true,
  });
  if (!config.resize) return convertImage(decoded, 'float32', false, buffers.take('input', decoded.size));
  return image.resize(image.convertImageDtype(decoded, 'float32'), config.resize);
}

/** The run's kernel as a tensor, made once per worker rather than once per image. */
const kernels = new WeakMap<ExtractConfig, Tensor>();
function kernelOf(config: ExtractConfig): Tensor {
  let kernel = kernels.get(config);
  if (!kernel) {
    kernel = constant(config.kernel);
    kernels.set(config, kernel);
  }
  return kernel;
}

/**
 * Filter → detect → condense one decoded image with the run's settings, into this worker's
 * buffers: the result holds until the next call.
 */
export function runExtraction(config: ExtractConfig, img: Tensor): Extraction {
  return extractFeatureInto(
    img,
    kernelOf(config),
    {
      convStride: config.stride,
      convPadding: config.padding,
      activation: 'relu',
      poolSize: config.pool || null,
      poolStride: config.pool || undefined,
      poolPadding: 'same',
    },
    buffers,
  );
}

function figureOf(config: ExtractConfig, result: Extraction, title: string) {
  return drawExtraction(result, {
    title,
    cmap: config.cmap,
    gamma: config.gamma,
    convStride: config.stride,
    convPadding: config.padding,
    poolSize: config.pool || null,
    poolStride: config.pool || undefined,
  });
}

/** The bytes of one output file, the map they show and its range (one pass over the map for both). */
export function encodeOutput(
  config: ExtractConfig,
  result: Extraction,
  name: string,
): { bytes: Uint8Array | string; map: Tensor<'float32'>; min: number; max: number } {
  const stage = config.stage === 'condense' && !result.condense ? 'detect' : config.stage;
  const map = plane(stage === 'filter' ? result.filter : stage === 'detect' ? result.detect : result.condense!);
  const [lo, hi] = dataExtent(map.data);
  const [min, max] = lo <= hi ? [lo, hi] : [0, 0]; // a map with no finite number reports [0, 0]
  const title = `${name} · ${config.kernelTitle}`;
  switch (config.format) {
    case 'png': {
      // the extent just found is the colour scale colorIndices would look for again; with a gamma,
      // or a value that is not finite in the map (its scale leaves those out), it finds its own
      const scale = config.gamma === 1 && Number.isFinite(lo) && Number.isFinite(hi) ? { vmin: lo, vmax: hi } : {};
      const indices = colorIndices(gammaValues(map, config.gamma), scale);
      return { bytes: encodeIndexedPngNode(indices, colormap(config.cmap)), map, min, max };
    }
    case 'npy':
      return { bytes: encodeNpy(map.data, map.shape), map, min, max };
    case 'json': {
      const doc = {
        source: name,
        kernel: { name: config.kernelName, values: config.kernel },
        stage,
        channels: config.channels,
        resize: config.resize ?? null,
        stride: config.stride,
        padding: config.padding,
        pool: config.pool,
        shape: map.shape,
        min: jsonFloat32(min),
        max: jsonFloat32(max),
        data: rows(map),
      };
      return { bytes: `${JSON.stringify(doc)}\n`, map, min, max };
    }
    case 'svg':
      return { bytes: figureOf(config, result, title).svg, map, min, max };
    case 'html':
      return { bytes: figureOf(config, result, title).html(title), map, min, max };
  }
}

/** The map's rows with each float32 written in its shortest exact form (0.0823 rather than 0.08235302567481995). */
function rows(map: Tensor<'float32'>): (number | string)[][] {
  const [h, w] = map.shape;
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => jsonFloat32(map.data[y * w + x])));
}

/** The library's advice, as the command's options give it (`--max-pixels`, not `setPixelLimit`; `--stride`, not `convStride`). */
function inCommandTerms(message: string): string {
  return message
    .replace(/^extractFeature: (filter|condense) step \([^)]*\): /, '')
    .replace(/\((set maxPixels or setPixelLimit|raise maxPixels) to allow it\)/, '(--max-pixels allows it)')
    .replace(/^(conv2d: window (height|width) \d+ is larger than the input \2 \d+ under VALID padding)$/, '$1 (--padding same allows it)');
}

/**
 * Reads, decodes, extracts and writes one image; never throws (a failure is a result). Blocking
 * file calls on purpose: it runs in a worker thread that has nothing else to do meanwhile.
 */
export function processImage(config: ExtractConfig, task: Task): TaskResult {
  const started = performance.now();
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(task.input);
  } catch (error) {
    return { id: task.id, ok: false, error: `cannot read: ${fsReason(error)}` };
  }
  let result: Extraction;
  let encoded: ReturnType<typeof encodeOutput>;
  try {
    result = runExtraction(config, load(config, bytes));
    encoded = encodeOutput(config, result, task.name);
  } catch (error) {
    return { id: task.id, ok: false, error: inCommandTerms(error instanceof Error ? error.message : String(error)) };
  }
  try {
    writeFileAtomicSync(task.output, encoded.bytes);
  } catch (error) {
    return { id: task.id, ok: false, error: `cannot write ${task.output}: ${fsReason(error)}` };
  }
  const { min, max } = encoded;
  const figure = task.figure
    ? config.format === 'svg' && typeof encoded.bytes === 'string'
      ? encoded.bytes
      : figureOf(config, result, `${task.name} · ${config.kernelTitle}`).svg
    : undefined;
  return { id: task.id, ok: true, output: task.output, shape: encoded.map.shape, min, max, ms: performance.now() - started, figure };
}
