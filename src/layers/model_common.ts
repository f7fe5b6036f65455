import { ConvlensError, checkOptions, describeValue } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { InferenceWorkspace } from './inference_workspace.js';
import { batchShapeText, type Layer, type Workspace } from './layer.js';
import { layerAtPath, unknownLayerError } from './layer_paths.js';
import { layersWithin } from './model_layer.js';
import type { Shape } from './shapes.js';

// What Sequential and Functional share: argument checks, batching, layer look-up, weights and the summary table.

/** Takes examples `indices` of `t` (along the batch axis) into a new tensor (into `into` when given: float32, the right size). */
export function gather(t: Tensor, indices: ArrayLike<number>, into?: Float32Array): Tensor {
  const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = into && t.dtype === 'float32' ? into : new (t.data.constructor as Float32ArrayConstructor)(indices.length * rowSize);
  for (let i = 0; i < indices.length; i++) out.set(t.data.subarray(indices[i] * rowSize, (indices[i] + 1) * rowSize), i * rowSize);
  return new Tensor(out as Tensor['data'], [indices.length, ...t.shape.slice(1)], t.dtype);
}

export function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}

/** Keras' default batch size is 32; anything but a positive integer would never finish a pass. */
export function batchSizeArg(op: string, value: number | undefined): number {
  if (value === undefined) return 32;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConvlensError(`${op}: batchSize must be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

export function verboseArg(op: string, value: unknown): 0 | 1 | 2 {
  if (value === undefined) return 0;
  if (value === 0 || value === 1 || value === 2) return value;
  throw new ConvlensError(`${op}: verbose must be 0, 1 or 2, got ${describeValue(value)}`);
}

/** Throws unless `value` is a convlens Tensor; one of another library (TensorFlow.js) is named as such. */
export function checkTensorArg(op: string, arg: string, value: unknown): asserts value is Tensor {
  if (value instanceof Tensor) return;
  const foreign = value?.constructor?.name === 'Tensor';
  const got = foreign ? 'a Tensor of another library (or another copy of convlens)' : describeValue(value);
  throw new ConvlensError(`${op}: ${arg} must be a convlens Tensor, got ${got}${foreign ? ': make one with tensor(data, shape)' : ''}`);
}

export interface PredictOptions {
  batchSize?: number;
  /** Taken, as Keras' and tfjs' predict take it; prints nothing. */
  verbose?: 0 | 1 | 2;
}

/** Where a model computes predict's batches: the model, and the pool of buffers its layers compute in, reused layer after layer and batch after batch. */
export interface PredictSpace {
  model: Layer;
  workspace: InferenceWorkspace;
}

/**
 * Runs `fn` (synchronous: nothing else runs meanwhile) with `layers`, and every layer and model
 * within them, computing in `workspace`; callbacks and anything the caller gets back stay outside it.
 */
export function inWorkspace<T>(workspace: Workspace | InferenceWorkspace, layers: readonly Layer[], fn: () => T): T {
  for (const layer of layers) for (const computing of layersWithin(layer)) computing.workspace = workspace;
  workspace.startBatch();
  workspace.active = true;
  try {
    return fn();
  } finally {
    workspace.active = false;
  }
}

/** How a model computes for `predictInBatches`: its output for one batch, and a check of the whole data's shape. */
export interface BatchRunner extends PredictSpace {
  run(batch: Tensor): Tensor<'float32'>;
  /** Builds the model if needed and checks all of `x` against its input, so a mismatch reports the data's shape. */
  checkInputData(x: Tensor): void;
}

/** predict: the arguments checked, then the output computed `batchSize` examples at a time. */
export function predictInBatches(model: BatchRunner, x: Tensor, options: PredictOptions): Tensor<'float32'> {
  checkTensorArg('predict', 'x', x);
  checkOptions('predict', options, ['batchSize', 'verbose']);
  verboseArg('predict', options.verbose);
  const batchSize = batchSizeArg('predict', options.batchSize);
  if (x.rank === 0) throw new ConvlensError('predict: x must have a batch axis, got a scalar');
  // one batch is checked by the layers, which name themselves
  if (x.shape[0] > batchSize) model.checkInputData(x);
  return runBatches(model, ([batch]) => [model.run(batch)], [x], batchSize)[0];
}

/** predict of a model of several inputs or outputs, on arrays already checked: each output computed `batchSize` examples at a time. */
export function predictManyInBatches(
  space: PredictSpace,
  run: (batch: readonly Tensor[]) => Tensor<'float32'>[],
  xs: readonly Tensor[],
  options: PredictOptions,
): Tensor<'float32'>[] {
  checkOptions('predict', options, ['batchSize', 'verbose']);
  verboseArg('predict', options.verbose);
  return runBatches(space, run, xs, batchSizeArg('predict', options.batchSize));
}

/**
 * predict's loop: examples `start` to `start + batchSize` of every input at a time (all at once
 * when there are no more), each batch computed in the model's inference workspace, so that its
 * activations are not allocated anew batch after batch, nor kept a buffer per layer. Each output
 * is copied out at its place into an array of its own, made at the first batch: the next batch,
 * or the next call, overwrites the workspace.
 */
function runBatches(
  space: PredictSpace,
  run: (batch: readonly Tensor[]) => Tensor<'float32'>[],
  xs: readonly Tensor[],
  batchSize: number,
): Tensor<'float32'>[] {
  const n = xs[0].shape[0];
  let outputs: Tensor<'float32'>[] = [];
  for (let start = 0; start === 0 || start < n; start += batchSize) {
    const batch = n <= batchSize ? xs : xs.map((x) => exampleRows(x, start, Math.min(n, start + batchSize)));
    inWorkspace(space.workspace, [space.model], () => {
      const ys = run(batch);
      if (start === 0) outputs = ys.map((y) => new Tensor(new Float32Array(n * exampleSize(y)), [n, ...y.shape.slice(1)], 'float32'));
      ys.forEach((y, k) => {
        outputs[k].data.set(y.data, start * exampleSize(y));
      });
    });
  }
  return outputs;
}

/** Examples `start` to `end` of `t`, a view of its data (predict's batches are read, never written). */
function exampleRows(t: Tensor, start: number, end: number): Tensor {
  const size = exampleSize(t);
  return new Tensor(t.data.subarray(start * size, end * size) as Tensor['data'], [end - start, ...t.shape.slice(1)], t.dtype);
}

function exampleSize(t: Tensor): number {
  return t.shape.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * Arrays given by name (`{ image: x, meta: m }`, as Keras takes inputs and labels) as a list in
 * the order of `names`, the model's inputs or outputs (`what`); anything else as it is. A key that
 * names none of them, or a name without an entry, is refused naming the model and the names.
 */
export function inNameOrder(
  op: string,
  arg: string,
  value: unknown,
  what: 'input' | 'output',
  model: string,
  names: readonly string[],
): unknown {
  const plain = typeof value === 'object' && value !== null && [Object.prototype, null].includes(Object.getPrototypeOf(value));
  if (!plain) return value;
  const byName = value as Record<string, unknown>;
  const list = names.map((n) => `'${n}'`).join(', ');
  const unknown = Object.keys(byName).find((key) => !names.includes(key));
  if (unknown !== undefined) {
    throw new ConvlensError(`${op}: ${arg} has the key '${unknown}', which is not an ${what} of model '${model}' (${what}s: ${list})`);
  }
  const missing = names.find((name) => byName[name] === undefined);
  if (missing !== undefined) {
    throw new ConvlensError(`${op}: ${arg} has no array for the ${what} '${missing}' of model '${model}' (${what}s: ${list})`);
  }
  return names.map((name) => byName[name]);
}

/**
 * Arrays for a model's inputs or outputs (`what`, named `names`, of example shapes `shapes`) as a
 * list in their order: one tensor (for a model of one), a list of one per name, or an object keyed
 * by name. A key or a count that does not match is refused naming the model, what was given and
 * the names and shapes expected; the items themselves are left for the caller to check.
 */
export function arraysInOrder(
  op: string,
  arg: string,
  value: unknown,
  what: 'input' | 'output',
  model: string,
  names: readonly string[],
  shapes: readonly Shape[],
): unknown[] {
  const given = inNameOrder(op, arg, value, what, model, names);
  const list = Array.isArray(given) ? given : [given];
  if (list.length === names.length) return list;
  const expected = names.map((name, i) => `'${name}' ${batchShapeText(shapes[i])}`).join(', ');
  const shapeOf = (t: unknown) => (t instanceof Tensor ? formatShape(t.shape) : describeValue(t));
  const got = Array.isArray(given)
    ? `a list of ${list.length} array${list.length === 1 ? '' : 's'} (${list.map(shapeOf).join(', ')})`
    : given instanceof Tensor
      ? `one array of shape ${formatShape(given.shape)}`
      : describeValue(given);
  const count = `${names.length} ${what}${names.length === 1 ? '' : 's'}`;
  throw new ConvlensError(
    `${op}: model '${model}' has ${count} (${expected}), got ${arg} as ${got}: give one array per ${what}, in order, or an object keyed by ${what} name`,
  );
}

/** Throws unless every array of `arrays` (named by `names`) has the same number of examples: `what` says whose they are. */
export function sameExampleCounts(op: string, what: string, arrays: readonly Tensor[], names: readonly string[]): void {
  if (arrays.every((t) => t.shape[0] === arrays[0].shape[0])) return;
  const counts = arrays.map((t, i) => `'${names[i]}' ${formatShape(t.shape)}`).join(', ');
  throw new ConvlensError(`${op}: ${what}: the arrays have different numbers of examples (${counts}); each needs one row per example`);
}

/**
 * The layer of that name, or at that index (Keras' `get_layer(index=...)`); a layer inside a
 * nested model by its path, 'base/conv2d' (see layer_paths).
 */
export function findLayer(layers: readonly Layer[], nameOrIndex: unknown, index?: unknown): Layer {
  // tfjs' getLayer(name, index) and Keras' get_layer(name=None, index=None): an index, the name left out
  if (index !== undefined) {
    if (nameOrIndex !== undefined && nameOrIndex !== null) {
      throw new ConvlensError(
        `getLayer: give a layer name or an index, not both (got ${describeValue(nameOrIndex)} and ${describeValue(index)})`,
      );
    }
    if (typeof index !== 'number') throw new ConvlensError(`getLayer: index must be a number, got ${describeValue(index)}`);
    return findLayer(layers, index);
  }
  if (typeof nameOrIndex === 'number') {
    const layer = layers[nameOrIndex];
    if (!Number.isInteger(nameOrIndex) || !layer) {
      throw new ConvlensError(`getLayer: no layer at index ${nameOrIndex} (the model has ${layers.length}, from 0)`);
    }
    return layer;
  }
  if (typeof nameOrIndex !== 'string') {
    throw new ConvlensError(`getLayer: expected a layer name, path or index, got ${describeValue(nameOrIndex)}`);
  }
  const layer = layerAtPath(layers, nameOrIndex);
  if (!layer) throw unknownLayerError(layers, nameOrIndex);
  return layer;
}

/** Builds `layer` on `from`'s output, unless it was given (or built for) a different input shape. */
export function buildAfter(from: { name: string; outputShape?: Shape }, layer: Layer): void {
  layer.connect([{ name: from.name, shape: from.outputShape! }]);
}

export interface SummaryTable {
  name: string;
  /** Column titles; every column but the last is padded to the larger of its minimum width and its longest entry + 3. */
  header: string[];
  minWidths: number[];
  /** Room the rule lines leave for the last column. */
  lastWidth: number;
  minRuleWidth: number;
  /** One row per layer: each entry one cell, or lines of a cell that spans several (Keras lists a merge layer's inputs that way). */
  rows: (string | string[])[][];
  layers: readonly Layer[];
}

/** Keras' model summary: the table of layers, then the parameter totals (a BatchNormalization's moving statistics are not trainable). */
export function summaryText(table: SummaryTable): string {
  const cells = table.rows.map((row) => row.map((cell) => (Array.isArray(cell) ? cell : [cell])));
  const padded = table.minWidths.map((min, c) => Math.max(min, ...cells.flatMap((r) => r[c].map((line) => line.length + 3))));
  const width = Math.max(table.minRuleWidth, padded.reduce((a, b) => a + b, 0) + table.lastWidth);
  const line = (values: string[]) => ` ${values.map((v, c) => (c < padded.length ? v.padEnd(padded[c]) : v)).join('')}`.trimEnd();
  const lines = [`Model: "${table.name}"`, '_'.repeat(width), line(table.header), '='.repeat(width)];
  cells.forEach((row, i) => {
    const height = Math.max(...row.map((cell) => cell.length));
    for (let k = 0; k < height; k++) lines.push(line(row.map((cell) => cell[k] ?? '')));
    if (i < cells.length - 1) lines.push('');
  });
  const total = table.layers.reduce((n, l) => n + l.countParams(), 0);
  const trainable = table.layers.reduce((n, l) => n + l.trainableWeights.reduce((m, w) => m + w.value.length, 0), 0);
  lines.push(
    '='.repeat(width),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${trainable.toLocaleString('en-US')}`,
    `Non-trainable params: ${(total - trainable).toLocaleString('en-US')}`,
    '_'.repeat(width),
  );
  return lines.join('\n');
}

/** summary's one argument; tfjs' and Keras' (lineLength, positions, printFn) would otherwise leave their print function unused. */
export function checkPrint(print: unknown, more: readonly unknown[]): asserts print is ((line: string) => void) | null {
  if (more.length > 0) {
    throw new ConvlensError(
      `summary: expected one argument, the print function (or null), got ${more.length + 1}: tfjs' and Keras' summary(lineLength, positions, printFn) is summary(printFn) here`,
    );
  }
  if (print !== null && typeof print !== 'function') {
    throw new ConvlensError(`summary: print must be a function (console.log by default) or null, got ${describeValue(print)}`);
  }
}
