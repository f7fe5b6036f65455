import { ConvlensError, describeValue } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { batchShapeText } from './layer.js';
import { isKnownShape, type Shape } from './shapes.js';

// fit's classWeight and fit's and evaluate's sampleWeight, as Keras weighs a loss with them: each
// row of the output (an example, or a pixel of an [N, H, W, C] output) has a weight (its example's,
// its class', or its own when sampleWeight is [N, H, W]), and the loss is Σ w·loss / rows (Keras'
// reduction over the batch size, which tfjs' classWeight shares).

/** Keras' and tfjs' class weights: a weight for each class index, `{ 0: 1, 1: 5 }`. */
export type ClassWeight = Record<number, number>;

/**
 * fit's classWeight: the weights by class, or, as tfjs also takes them, a list of one per output
 * (null for an unweighted one) or an object keyed by output name.
 */
export type ClassWeightArg = ClassWeight | (ClassWeight | null)[] | Record<string, ClassWeight | null>;

/** A weight: a finite number ≥ 0 (a negative one would train towards a larger loss). */
const isWeight = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * fit's classWeight checked against the output named `outputName`, `classes` wide (a one-unit
 * output has the classes 0 and 1): a table of each class's weight, 1 for a class it leaves out, as
 * Keras 3 weighs it (tfjs refuses labels of a class it leaves out). Also in tfjs' other forms for
 * that one output: a list of one such object, or an object keyed by the output's name.
 */
export function classWeightTable(value: unknown, classes: number, outputName: string): Float64Array {
  const output = `the output '${outputName}'`;
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      throw new ConvlensError(`fit: classWeight as a list takes one object per output; the model has 1 (${output}), got ${value.length}`);
    }
    value = value[0];
  } else if (typeof value === 'object' && value !== null && Object.keys(value).length === 1 && Object.hasOwn(value, outputName)) {
    value = (value as Record<string, unknown>)[outputName];
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConvlensError(
      `fit: classWeight must be an object of weights by class index, e.g. { 0: 1, 1: 5 }, got ${describeValue(value)}`,
    );
  }
  const count = Math.max(classes, 2);
  const table = new Float64Array(count).fill(1);
  for (const [key, weight] of Object.entries(value)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= count || String(index) !== key) {
      throw new ConvlensError(
        `fit: classWeight has the class ${describeValue(key)}, but ${output} has ${count} classes (0 to ${count - 1})`,
      );
    }
    if (!isWeight(weight)) {
      throw new ConvlensError(`fit: classWeight of class ${index} must be a finite number ≥ 0, got ${describeValue(weight)}`);
    }
    table[index] = weight;
  }
  return table;
}

/**
 * fit's classWeight for a model (`model` names it) of outputs `names`, `classes` wide, as a table
 * for each output (undefined for an unweighted one, and for all when not given). For one output,
 * as classWeightTable reads it; for several, as tfjs-layers takes them (Keras 3 takes class weights
 * for one output only): a list of one per output (null for none), or an object keyed by output
 * name (an output left out unweighted).
 */
export function outputClassWeightTables(
  value: unknown,
  model: string,
  names: readonly string[],
  classes: readonly number[],
): (Float64Array | undefined)[] {
  if (value === undefined || value === null) return [];
  if (names.length === 1) return [classWeightTable(value, classes[0], names[0])];
  const list = names.map((n) => `'${n}'`).join(', ');
  const described = `${model} has ${names.length} outputs (${list})`;
  let perOutput: unknown[];
  if (Array.isArray(value)) {
    if (value.length !== names.length) {
      throw new ConvlensError(
        `fit: ${described}, got classWeight as a list of ${value.length}: give one object (or null) per output, in order`,
      );
    }
    perOutput = value;
  } else if (typeof value === 'object' && Object.values(value).every((v) => typeof v === 'object')) {
    const byName = value as Record<string, unknown>;
    const unknown = Object.keys(byName).find((key) => !names.includes(key));
    if (unknown !== undefined) throw new ConvlensError(`fit: classWeight has the key '${unknown}', which is not an output: ${described}`);
    perOutput = names.map((name) => byName[name]);
  } else {
    throw new ConvlensError(
      `fit: ${described}: give classWeight per output, a list of one per output or an object keyed by output name (as tfjs takes it; Keras 3 takes class weights for a model of one output only), got ${describeValue(value)}`,
    );
  }
  return perOutput.map((weights, i) =>
    weights === undefined || weights === null ? undefined : classWeightTable(weights, classes[i], names[i]),
  );
}

/**
 * The class weight of each of the `rows` rows of labels `y`, the class read as Keras reads it: the
 * index of the largest of a row of several values (one-hot labels), else the value rounded (class
 * indices, a binary label).
 */
export function classRowWeights(table: Float64Array, y: Tensor, rows: number): Float64Array {
  const width = y.size / Math.max(rows, 1);
  const weights = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    if (width === 1) {
      best = Math.round(y.data[r]);
    } else {
      for (let j = 1; j < width; j++) if (y.data[r * width + j] > y.data[r * width + best]) best = j;
    }
    // a label outside the table's classes was refused by the loss's checks, but for a regression's values
    weights[r] = table[best] ?? 1;
  }
  return weights;
}

/**
 * The output rows an example has, as a loss sees them: the output's shape (without the batch)
 * less its last axis, the classes or values of one row ([H, W] for an [H, W, C] map, [] for a vector).
 */
export const rowShapeOf = (outputShape: readonly number[]): number[] => outputShape.slice(0, -1);

/**
 * The shape of one example of a model's output, for `op` (fit, evaluate...) to check labels
 * against: it must be known. A model whose output has a free size (a fully convolutional one)
 * predicts on inputs of any size, but trains on none.
 */
export function trainedOutputShape(op: string, output: string, shape: Shape): number[] {
  if (!isKnownShape(shape)) {
    throw new ConvlensError(
      `${op}: the output of '${output}' has a free size, ${batchShapeText(shape)}: training needs an output of known shape (predict takes inputs of any size; a GlobalAveragePooling2D gives one value per channel)`,
    );
  }
  return shape;
}

/**
 * fit's or evaluate's sampleWeight (`arg` names it) checked: finite weights ≥ 0, one per example
 * of the `examples` (shape [N], or Keras' [N, 1]), or, for an output of several rows per example
 * (`rowShape` [H, W] of a map), Keras' one per row ([N, H, W], or [N, H, W, 1]); undefined when
 * not given.
 */
export function sampleWeightArg(
  op: string,
  arg: string,
  value: unknown,
  examples: number,
  rowShape: readonly number[] = [],
): Tensor | undefined {
  if (value === undefined || value === null) return undefined;
  const perRow =
    rowShape.length > 0 ? `, or one per row of the output (its shape without the last axis): [${[examples, ...rowShape].join(', ')}]` : '';
  if (!(value instanceof Tensor)) {
    throw new ConvlensError(
      `${op}: ${arg} must be a Tensor of one weight per example (shape [${examples}])${perRow}, got ${describeValue(value)}`,
    );
  }
  // Keras squeezes a last axis of 1 away: [N, 1] is per example, [N, H, W, 1] per row
  const dims = value.shape.slice(1, value.shape.at(-1) === 1 && value.rank > 1 ? -1 : undefined);
  const fits = dims.length === 0 || (dims.length === rowShape.length && dims.every((d, i) => d === rowShape[i]));
  if (value.rank === 0 || value.shape[0] !== examples || !fits) {
    throw new ConvlensError(`${op}: ${arg} has shape ${formatShape(value.shape)}, expected one weight per example: [${examples}]${perRow}`);
  }
  const perExample = value.size / Math.max(examples, 1);
  for (let i = 0; i < value.size; i++) {
    if (!isWeight(value.data[i])) {
      const where = perExample === 1 ? `example ${i}` : `example ${Math.floor(i / perExample)} (at flat index ${i})`;
      throw new ConvlensError(`${op}: ${arg} holds ${value.data[i]} for ${where}; weights must be finite numbers ≥ 0`);
    }
  }
  return value;
}

/**
 * fit's or evaluate's sampleWeight for a model (`model` names it) of one output (`outputName`):
 * one array, or as the labels may come, a list of one or an object keyed by the output's name.
 */
export function oneSampleWeight(
  op: string,
  arg: string,
  value: unknown,
  model: string,
  output: WeightedOutput,
  examples: number,
): Tensor | undefined {
  return outputSampleWeights(op, arg, value, model, [output], examples)[0];
}

/** An output as sampleWeight is checked against: its name, and the shape of its rows per example (rowShapeOf). */
export interface WeightedOutput {
  name: string;
  rowShape: readonly number[];
}

/**
 * fit's or evaluate's sampleWeight for a model of outputs `names` (`model` names it), as Keras
 * takes it: one array of one weight per example, for every output's loss; a list of one per
 * output, in order; or an object keyed by output name. In a list or an object, null leaves an
 * output's loss unweighted. Each output's weights, undefined for none.
 */
export function outputSampleWeights(
  op: string,
  arg: string,
  value: unknown,
  model: string,
  outputs: readonly WeightedOutput[],
  examples: number,
): (Tensor | undefined)[] {
  const names = outputs.map((o) => o.name);
  if (value === undefined || value === null || value instanceof Tensor) {
    // one array for every output: per row only when every output has those rows
    const [first] = outputs;
    const rowShape = outputs.every((o) => o.rowShape.join() === first.rowShape.join()) ? first.rowShape : [];
    const weights = sampleWeightArg(op, arg, value, examples, rowShape);
    return names.map(() => weights);
  }
  const list = names.map((n) => `'${n}'`).join(', ');
  const described = `${model} has ${names.length} output${names.length === 1 ? '' : 's'} (${list})`;
  let perOutput: unknown[];
  // a list of numbers is weights not yet made a Tensor, not one per output
  if (Array.isArray(value) && !value.some((v) => typeof v === 'number')) {
    if (value.length !== names.length) {
      throw new ConvlensError(
        `${op}: ${described}, got ${arg} as a list of ${value.length}: give one array (or null) per output, in order, an object keyed by output name, or one array for all`,
      );
    }
    perOutput = value;
  } else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const byName = value as Record<string, unknown>;
    const unknown = Object.keys(byName).find((key) => !names.includes(key));
    if (unknown !== undefined) throw new ConvlensError(`${op}: ${arg} has the key '${unknown}', which is not an output: ${described}`);
    const missing = names.find((name) => !Object.hasOwn(byName, name));
    if (missing !== undefined) {
      throw new ConvlensError(`${op}: ${arg} has no weights for the output '${missing}' (null leaves its loss unweighted): ${described}`);
    }
    perOutput = names.map((name) => byName[name]);
  } else {
    throw new ConvlensError(
      `${op}: ${arg} must be a Tensor of one weight per example (shape [${examples}]), a list of one per output or an object keyed by output name, got ${describeValue(value)}`,
    );
  }
  return perOutput.map((weights, i) => sampleWeightArg(op, `${arg} for '${names[i]}'`, weights, examples, outputs[i].rowShape));
}

/** The weights of a batch's examples (or already of its rows) as weights of the `rows` rows of its output (each example's for all of its rows). */
export function exampleRowWeights(weights: ArrayLike<number>, rows: number): ArrayLike<number> {
  if (rows === weights.length) return weights;
  const perExample = rows / weights.length;
  return Float64Array.from({ length: rows }, (_, r) => weights[Math.floor(r / perExample)]);
}
