import { ConvlensError, describeValue } from '../errors.js';
import { add, div, maximum, minimum, mul, sub } from '../ops/arithmetic.js';
import { toFloatHint } from '../ops/convert.js';
import { reshape } from '../ops/reshape.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions } from './args.js';
import { batchShapeText, Layer, type LayerArgs } from './layer.js';

/**
 * A layer that merges several inputs into one (Keras' `Add`, `Concatenate`, ...): inference only.
 * A functional model calls `applyMany`; given one input (in a Sequential, as Keras 3 allows) it
 * merges that one alone.
 */
export abstract class MergeLayer extends Layer {
  /** The shapes of its inputs (one example each, no batch axis), once built; `inputShape` is the first. */
  inputShapes: number[][] | undefined;

  /** Output shape for inputs of `shapes`; throws naming the layer and the shapes if they do not merge. */
  abstract computeMergedShape(shapes: number[][]): number[];

  /** The merged batch; the inputs are float32 batches of the shapes the layer was built for. */
  abstract forwardMany(xs: Tensor<'float32'>[]): Tensor<'float32'>;

  buildMany(shapes: number[][]): void {
    this.outputShape = this.computeMergedShape(shapes);
    this.inputShapes = shapes.map((s) => [...s]);
    this.inputShape = [...shapes[0]];
  }

  override build(inputShape: number[]): void {
    this.buildMany([inputShape]);
  }

  computeOutputShape(inputShape: number[]): number[] {
    return this.computeMergedShape([inputShape]);
  }

  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    return this.forwardMany([x]);
  }

  /** Builds on first use, checks every input (dtype, shape, batch size), then merges them. */
  applyMany(xs: Tensor[]): Tensor<'float32'> {
    xs.forEach((x, i) => {
      if (x.dtype !== 'float32') {
        throw new ConvlensError(`${this.where}: input ${i} must be float32, got ${x.dtype} (${toFloatHint(x.dtype)})`);
      }
    });
    if (!this.built) this.buildMany(xs.map((x) => x.shape.slice(1)));
    const expected = this.inputShapes!;
    const shapes = xs.map((x) => formatShape(x.shape)).join(', ');
    if (xs.length !== expected.length || xs.some((x, i) => !shapesEqual(x.shape.slice(1), expected[i]))) {
      throw new ConvlensError(`${this.where}: expected inputs of shapes ${expected.map(batchShapeText).join(', ')}, got ${shapes}`);
    }
    if (xs.some((x) => x.shape[0] !== xs[0].shape[0])) throw new ConvlensError(`${this.where}: inputs of different batch sizes: ${shapes}`);
    return this.forwardMany(xs as Tensor<'float32'>[]);
  }

  backward(): Tensor<'float32'> | undefined {
    throw new ConvlensError(`${this.where}: training through merge layers is not supported (a model with one predicts, it does not train)`);
  }

  getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }

  protected get where(): string {
    return `${this.name} (${this.className})`;
  }

  /** The inputs' shapes as a message shows them. */
  protected shapesText(shapes: number[][]): string {
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

  computeMergedShape(shapes: number[][]): number[] {
    if (shapes.length === 0 || (this.inputCount !== undefined && shapes.length !== this.inputCount)) {
      const wanted = this.inputCount === undefined ? 'at least 1' : `exactly ${this.inputCount}`;
      throw new ConvlensError(
        `${this.where}: takes ${wanted} inputs, got ${shapes.length}${shapes.length ? ` (${this.shapesText(shapes)})` : ''}`,
      );
    }
    const rank = Math.max(...shapes.map((s) => s.length));
    const out = new Array<number>(rank).fill(1);
    for (const shape of shapes) {
      const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
      padded.forEach((d, i) => {
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

  forwardMany(xs: Tensor<'float32'>[]): Tensor<'float32'> {
    const rank = Math.max(...xs.map((x) => x.rank));
    const aligned = xs.map((x) =>
      x.rank === rank ? x : reshape(x, [x.shape[0], ...new Array(rank - x.rank).fill(1), ...x.shape.slice(1)]),
    );
    return this.combine(aligned) as Tensor<'float32'>;
  }

  /** The merge of inputs of one rank, in Keras' order of operations. */
  protected combine(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((acc, x) => this.op(acc, x), xs[0]);
  }

  protected abstract op: Binary;
}

/** Keras' Add: the sum of its inputs. */
export class Add extends ElementwiseMerge {
  protected op: Binary = add;
  constructor(args: LayerArgs = {}) {
    super('Add', 'add', layerOptions('Add', args, []));
  }
}

/** Keras' Subtract: its first input minus its second. */
export class Subtract extends ElementwiseMerge {
  protected override readonly inputCount = 2;
  protected op: Binary = sub;
  constructor(args: LayerArgs = {}) {
    super('Subtract', 'subtract', layerOptions('Subtract', args, []));
  }
}

/** Keras' Multiply: the element-wise product of its inputs. */
export class Multiply extends ElementwiseMerge {
  protected op: Binary = mul;
  constructor(args: LayerArgs = {}) {
    super('Multiply', 'multiply', layerOptions('Multiply', args, []));
  }
}

/** Keras' Average: the sum of its inputs, divided by their number. */
export class Average extends ElementwiseMerge {
  protected op: Binary = add;
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
  constructor(args: LayerArgs = {}) {
    super('Maximum', 'maximum', layerOptions('Maximum', args, []));
  }
}

/** Keras' Minimum: the element-wise minimum of its inputs. */
export class Minimum extends ElementwiseMerge {
  protected op: Binary = minimum;
  constructor(args: LayerArgs = {}) {
    super('Minimum', 'minimum', layerOptions('Minimum', args, []));
  }
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

  computeMergedShape(shapes: number[][]): number[] {
    if (shapes.length === 0) throw new ConvlensError(`${this.where}: takes at least 1 input, got 0`);
    const rank = shapes[0].length;
    const axis = this.exampleAxis(rank);
    const matches = (s: number[]) => s.length === rank && s.every((d, i) => i === axis || d === shapes[0][i]);
    if (!shapes.every(matches)) {
      throw new ConvlensError(
        `${this.where}: inputs of shapes ${this.shapesText(shapes)} do not match except along axis ${this.axis} (the one they are joined along)`,
      );
    }
    const out = [...shapes[0]];
    out[axis] = shapes.reduce((n, s) => n + s[axis], 0);
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
    return new Tensor(out, shape, 'float32');
  }

  override getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), axis: this.axis };
  }
}
