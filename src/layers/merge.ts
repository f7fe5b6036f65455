import { ConvlensError, describeValue } from '../errors.js';
import { add, div, maximum, minimum, mul, sub } from '../ops/arithmetic.js';
import { toFloatHint } from '../ops/convert.js';
import { reshape } from '../ops/reshape.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { immutable, layerOptions } from './args.js';
import { batchShapeText, Layer, type LayerArgs } from './layer.js';
import { fitsShape, isKnownShape, type Shape } from './shapes.js';

/**
 * A layer that merges several inputs into one (Keras' `Add`, `Concatenate`, ...). A functional
 * model calls `applyMany` and `backwardMany`; given one input (in a Sequential, as Keras 3 allows)
 * it merges that one alone.
 */
export abstract class MergeLayer extends Layer {
  private inputShapesValue: Shape[] | undefined;

  /** The shapes of its inputs (one example each, no batch axis), once built (immutable); `inputShape` is the first. */
  get inputShapes(): Shape[] | undefined {
    return this.inputShapesValue;
  }

  /** Output shape for inputs of `shapes`; throws naming the layer and the shapes if they do not merge. */
  abstract computeMergedShape(shapes: Shape[]): Shape;

  /** The merged batch; the inputs are float32 batches of the shapes the layer was built for. */
  abstract forwardMany(xs: Tensor<'float32'>[]): Tensor<'float32'>;

  /**
   * The gradients with respect to the inputs of the last `forwardMany`, one per input in order,
   * from `dy`, the gradient with respect to its output.
   */
  abstract backwardMany(dy: Tensor<'float32'>): Tensor<'float32'>[];

  buildMany(shapes: Shape[]): void {
    this.outputShape = this.computeMergedShape(shapes);
    this.inputShapesValue = immutable(shapes.map((s) => [...s]));
    this.inputShape = shapes[0];
  }

  override build(inputShape: Shape): void {
    this.buildMany([inputShape]);
  }

  override builtFor(shapes: readonly Shape[]): boolean {
    const built = this.inputShapes;
    return built !== undefined && shapes.length === built.length && shapes.every((s, i) => shapesEqual(s, built[i]));
  }

  /** Builds for inputs of these shapes, or checks them against the shapes it was built for. */
  override connect(inputs: { name: string; shape: Shape }[]): void {
    const shapes = inputs.map((i) => i.shape);
    if (!this.built) {
      this.buildMany(shapes);
      return;
    }
    const expected = this.inputShapes!;
    if (shapes.length !== expected.length || shapes.some((s, i) => !shapesEqual(s, expected[i]))) {
      throw new ConvlensError(
        `${this.name} (${this.className}): built for inputs ${expected.map(batchShapeText).join(', ')}, but takes ${shapes.map(batchShapeText).join(', ')}`,
      );
    }
  }

  protected override applyList(xs: Tensor[]): Tensor<'float32'> {
    return this.applyMany(xs);
  }

  computeOutputShape(inputShape: Shape): Shape {
    return this.computeMergedShape([inputShape]);
  }

  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    return this.forwardMany([x]);
  }

  /** Builds on first use, checks every input (dtype, shape, batch size), then merges them. */
  applyMany(xs: Tensor[]): Tensor<'float32'> {
    xs.forEach((x, i) => {
      if (x.dtype !== 'float32') {
        throw new ConvlensError(`${this.where}: input ${i} must be float32, got ${x.dtype} (${toFloatHint(x.dtype, true)})`);
      }
    });
    if (!this.built) this.buildMany(xs.map((x) => x.shape.slice(1)));
    const expected = this.inputShapes!;
    const shapes = xs.map((x) => formatShape(x.shape)).join(', ');
    if (xs.length !== expected.length || xs.some((x, i) => !fitsShape(expected[i], x.shape.slice(1)))) {
      throw new ConvlensError(`${this.where}: expected inputs of shapes ${expected.map(batchShapeText).join(', ')}, got ${shapes}`);
    }
    // inputs with free sizes: this batch's must merge too
    if (!expected.every(isKnownShape)) this.computeMergedShape(xs.map((x) => x.shape.slice(1)));
    if (xs.some((x) => x.shape[0] !== xs[0].shape[0])) throw new ConvlensError(`${this.where}: inputs of different batch sizes: ${shapes}`);
    return this.forwardMany(xs as Tensor<'float32'>[]);
  }

  /** The gradient for its one input (a merge of one input, in a Sequential). */
  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    this.checkOutputGradient(dy, [dy.shape[0], ...this.outputShape!]);
    return needInputGrad ? this.backwardMany(dy)[0] : undefined;
  }

  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }

  protected get where(): string {
    return `${this.name} (${this.className})`;
  }

  /** The inputs' shapes as a message shows them. */
  protected shapesText(shapes: Shape[]): string {
    return shapes.map(batchShapeText).join(', ');
  }
}

type Binary = (a: Tensor, b: Tensor) => Tensor;

/**
 * Keras' element-wise merges (`Add`, `Multiply`, ...): inputs of one shape, or shapes that
 * broadcast (an axis of 1 against any size); an input with fewer axes gets axes of 1 after the
 * batch axis, as Keras adds them.
 */
abstract class ElementwiseMerge extends MergeLayer {
  /** Subtract takes exactly two inputs; the others one or more (Keras 3). */
  protected readonly inputCount: number | undefined = undefined;

  computeMergedShape(shapes: Shape[]): Shape {
    if (shapes.length === 0 || (this.inputCount !== undefined && shapes.length !== this.inputCount)) {
      const wanted = this.inputCount === undefined ? 'at least 1' : `exactly ${this.inputCount}`;
      throw new ConvlensError(
        `${this.where}: takes ${wanted} inputs, got ${shapes.length}${shapes.length ? ` (${this.shapesText(shapes)})` : ''}`,
      );
    }
    const rank = Math.max(...shapes.map((s) => s.length));
    const out: Shape = new Array<number>(rank).fill(1);
    for (const shape of shapes) {
      const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
      padded.forEach((d, i) => {
        // a free size against another is free (Keras' rule), checked when a batch comes
        if (d === null || out[i] === null) {
          out[i] = d === 1 ? out[i] : out[i] === 1 ? d : null;
          return;
        }
        if (d !== 1 && out[i] !== 1 && d !== out[i]) {
          throw new ConvlensError(
            `${this.where}: inputs of shapes ${this.shapesText(shapes)} do not match (each axis must be equal, or 1 in all but one)`,
          );
        }
        if (d !== 1) out[i] = d;
      });
    }
    return out;
  }

  /** The last forward's inputs, with the shapes they came in (backward needs their values and shapes). */
  private inputs: Tensor<'float32'>[] = [];

  /** Whether every input's partial derivative is 1 (Add): an input of the output's shape then takes `dy` itself. */
  protected readonly passesGradient: boolean = false;

  forwardMany(xs: Tensor<'float32'>[]): Tensor<'float32'> {
    this.inputs = xs;
    const rank = Math.max(...xs.map((x) => x.rank));
    const aligned = xs.map((x) =>
      x.rank === rank ? x : reshape(x, [x.shape[0], ...new Array(rank - x.rank).fill(1), ...x.shape.slice(1)]),
    );
    return this.combine(aligned) as Tensor<'float32'>;
  }

  /**
   * Each input's gradient: `dy` times the output's partial derivative in that input, summed over
   * the axes the input was broadcast along (an axis of 1 against the output's).
   */
  backwardMany(dy: Tensor<'float32'>): Tensor<'float32'>[] {
    const sources = this.inputs.map((x) => sourceIndices(dy.shape, x.shape));
    const values = new Float64Array(this.inputs.length);
    return this.inputs.map((x, i) => {
      if (sources[i] === undefined && this.passesGradient) return dy;
      const dx = this.buffer(`dx${i}`, x.size).fill(0);
      const source = sources[i];
      for (let k = 0; k < dy.size; k++) {
        for (let j = 0; j < values.length; j++) values[j] = this.inputs[j].data[sources[j]?.[k] ?? k];
        dx[source ? source[k] : k] += dy.data[k] * this.partial(values, i);
      }
      return new Tensor(dx, x.shape, 'float32');
    });
  }

  /** The output's partial derivative in input `i`, at one element where the inputs are `values`. */
  protected abstract partial(values: Float64Array, i: number): number;

  /** The merge of inputs of one rank, in Keras' order of operations. */
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((acc, x) => this.op(acc, x), xs[0]);
  }

  protected abstract op: Binary;
}

/** Keras' Add: the sum of its inputs. */
export class Add extends ElementwiseMerge {
  protected op: Binary = add;
  protected override readonly passesGradient = true;
  protected partial(): number {
    return 1;
  }
  constructor(args: LayerArgs = {}) {
    super('Add', 'add', layerOptions('Add', args, []));
  }
}

/** Keras' Subtract: its first input minus its second. */
export class Subtract extends ElementwiseMerge {
  protected override readonly inputCount = 2;
  protected op: Binary = sub;
  protected partial(_: Float64Array, i: number): number {
    return i === 0 ? 1 : -1;
  }
  constructor(args: LayerArgs = {}) {
    super('Subtract', 'subtract', layerOptions('Subtract', args, []));
  }
}

/** Keras' Multiply: the element-wise product of its inputs. */
export class Multiply extends ElementwiseMerge {
  protected op: Binary = mul;
  /** The product of the other inputs. */
  protected partial(values: Float64Array, i: number): number {
    let product = 1;
    values.forEach((v, j) => {
      if (j !== i) product *= v;
    });
    return product;
  }
  constructor(args: LayerArgs = {}) {
    super('Multiply', 'multiply', layerOptions('Multiply', args, []));
  }
}

/** Keras' Average: the sum of its inputs, divided by their number. */
export class Average extends ElementwiseMerge {
  protected op: Binary = add;
  protected partial(values: Float64Array): number {
    return 1 / values.length;
  }
  constructor(args: LayerArgs = {}) {
    super('Average', 'average', layerOptions('Average', args, []));
  }

  protected override combine(xs: Tensor[]): Tensor {
    return div(super.combine(xs), new Tensor(new Float32Array([xs.length]), [], 'float32'));
  }
}

/** Keras' Maximum: the element-wise maximum of its inputs. */
export class Maximum extends ElementwiseMerge {
  protected op: Binary = maximum;
  /** TensorFlow's maximum(x, y) passes the gradient to x where x >= y: to the first input that holds the maximum. */
  protected partial(values: Float64Array, i: number): number {
    return firstExtreme(values, (a, b) => a > b) === i ? 1 : 0;
  }
  constructor(args: LayerArgs = {}) {
    super('Maximum', 'maximum', layerOptions('Maximum', args, []));
  }
}

/** Keras' Minimum: the element-wise minimum of its inputs. */
export class Minimum extends ElementwiseMerge {
  protected op: Binary = minimum;
  /** TensorFlow's minimum(x, y) passes the gradient to x where x <= y: to the first input that holds the minimum. */
  protected partial(values: Float64Array, i: number): number {
    return firstExtreme(values, (a, b) => a < b) === i ? 1 : 0;
  }
  constructor(args: LayerArgs = {}) {
    super('Minimum', 'minimum', layerOptions('Minimum', args, []));
  }
}

/** The index of the first value no later one `beats` (strictly): where Maximum or Minimum sends the gradient. */
function firstExtreme(values: Float64Array, beats: (a: number, b: number) => boolean): number {
  let best = 0;
  for (let j = 1; j < values.length; j++) if (beats(values[j], values[best])) best = j;
  return best;
}

/**
 * For each element of a batch of `outShape`, the element of an input of `inShape` (the same rank
 * or fewer axes, broadcast to it) it was read from; undefined when the shapes are the same.
 */
function sourceIndices(outShape: readonly number[], inShape: readonly number[]): Int32Array | undefined {
  const padded = [inShape[0], ...new Array<number>(outShape.length - inShape.length).fill(1), ...inShape.slice(1)];
  if (shapesEqual(padded, outShape)) return undefined;
  const size = outShape.reduce((a, b) => a * b, 1);
  const indices = new Int32Array(size);
  for (let k = 0; k < size; k++) {
    let rest = k;
    let source = 0;
    let stride = 1;
    for (let axis = outShape.length - 1; axis >= 0; axis--) {
      const at = rest % outShape[axis];
      rest = Math.floor(rest / outShape[axis]);
      if (padded[axis] !== 1) source += at * stride;
      stride *= padded[axis];
    }
    indices[k] = source;
  }
  return indices;
}

export interface ConcatenateLayerArgs extends LayerArgs {
  /** The axis of the batch shape the inputs are joined along (default -1, the channels); not 0, the batch axis. */
  axis?: number;
}

/** Keras' Concatenate: its inputs joined along `axis`; every other axis must match. */
export class Concatenate extends MergeLayer {
  readonly axis: number;

  constructor(args: ConcatenateLayerArgs = {}) {
    super('Concatenate', 'concatenate', layerOptions('Concatenate', args, ['axis']));
    const { axis = -1 } = args;
    if (!Number.isInteger(axis) || axis === 0) {
      throw new ConvlensError(
        `Concatenate '${this.name}': axis must be a non-zero integer (0 is the batch axis), got ${describeValue(axis)}`,
      );
    }
    this.axis = axis;
  }

  /** The axis within one example's shape (the batch axis left out). */
  private exampleAxis(rank: number): number {
    const axis = this.axis < 0 ? this.axis + rank + 1 : this.axis;
    if (axis < 1 || axis > rank) {
      throw new ConvlensError(`${this.where}: axis ${this.axis} is outside inputs of ${rank + 1} axes (batch included)`);
    }
    return axis - 1;
  }

  computeMergedShape(shapes: Shape[]): Shape {
    if (shapes.length === 0) throw new ConvlensError(`${this.where}: takes at least 1 input, got 0`);
    const rank = shapes[0].length;
    const axis = this.exampleAxis(rank);
    // a free size matches any other, checked when a batch comes
    const sizes = (i: number) => new Set(shapes.map((s) => s[i]).filter((d) => d !== null));
    const matches = (s: Shape) => s.length === rank && s.every((_, i) => i === axis || sizes(i).size <= 1);
    if (!shapes.every(matches)) {
      throw new ConvlensError(
        `${this.where}: inputs of shapes ${this.shapesText(shapes)} do not match except along axis ${this.axis} (the one they are joined along)`,
      );
    }
    const out: Shape = shapes[0].map((_, i) => [...sizes(i)][0] ?? null);
    out[axis] = shapes.reduce<number | null>((n, s) => (n === null || s[axis] === null ? null : n + s[axis]), 0);
    return out;
  }

  /** Each example's rows of every input, in turn: along `axis`, input after input. */
  forwardMany(xs: Tensor<'float32'>[]): Tensor<'float32'> {
    const axis = this.exampleAxis(xs[0].rank - 1) + 1;
    const outer = xs[0].shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const blocks = xs.map((x) => x.size / Math.max(outer, 1));
    const blockSum = blocks.reduce((a, b) => a + b, 0);
    const out = this.buffer('out', outer * blockSum);
    for (let o = 0; o < outer; o++) {
      let at = o * blockSum;
      xs.forEach((x, i) => {
        out.set(x.data.subarray(o * blocks[i], (o + 1) * blocks[i]), at);
        at += blocks[i];
      });
    }
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
    this.inputShapesOfBatch = xs.map((x) => x.shape);
    return new Tensor(out, shape, 'float32');
  }

  /** The batch shapes of the last forward's inputs. */
  private inputShapesOfBatch: number[][] = [];

  /** Each input's gradient: its slices of `dy`, along `axis`. */
  backwardMany(dy: Tensor<'float32'>): Tensor<'float32'>[] {
    const shapes = this.inputShapesOfBatch;
    const axis = this.exampleAxis(dy.rank - 1) + 1;
    const outer = dy.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const blocks = shapes.map((s) => s.reduce((a, b) => a * b, 1) / Math.max(outer, 1));
    const blockSum = blocks.reduce((a, b) => a + b, 0);
    let offset = 0;
    return shapes.map((shape, i) => {
      const dx = this.buffer(`dx${i}`, outer * blocks[i]);
      for (let o = 0; o < outer; o++) {
        const at = o * blockSum + offset;
        dx.set(dy.data.subarray(at, at + blocks[i]), o * blocks[i]);
      }
      offset += blocks[i];
      return new Tensor(dx, shape, 'float32');
    });
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), axis: this.axis };
  }
}
