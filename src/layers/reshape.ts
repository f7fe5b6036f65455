import { ConvlensError, describeValue, everyItem } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { immutable, layerOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';
import { isKnownShape, type Shape } from './shapes.js';

export interface ReshapeLayerArgs extends LayerArgs {
  /** Each example's new shape (no batch axis); one entry may be -1, worked out from the rest. */
  targetShape: number[];
}

/** Keras' Reshape: each example's values in a new shape, in the same (row-major) order. */
export class Reshape extends Layer {
  readonly targetShape: number[];
  /** One example's shape in the last forward pass (the input's sizes may be free). */
  private exampleShape: number[] | undefined;

  constructor(args: ReshapeLayerArgs) {
    super(
      'Reshape',
      'reshape',
      layerOptions('Reshape', args, ['targetShape'], {
        positional: "Keras' Reshape((7, 7, 1)) is new Reshape({ targetShape: [7, 7, 1] })",
      }),
    );
    const shape = args.targetShape;
    const ok = Array.isArray(shape) && shape.length > 0 && everyItem(shape, (d) => Number.isInteger(d) && (d > 0 || d === -1));
    if (!ok || shape.filter((d) => d === -1).length > 1) {
      throw new ConvlensError(
        `Reshape '${this.name}': targetShape must be a list of positive whole numbers, one of them -1 at most, got ${describeValue(shape)}`,
      );
    }
    this.targetShape = immutable([...shape]);
  }

  computeOutputShape(inputShape: Shape): Shape {
    // of an input with a free size, the inferred size is free; the others are checked per batch
    if (!isKnownShape(inputShape)) return this.targetShape.map((d) => (d === -1 ? null : d));
    const size = inputShape.reduce((a, b) => a * b, 1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const inferred = this.targetShape.includes(-1) ? size / known : known;
    if (!Number.isInteger(inferred) || (!this.targetShape.includes(-1) && known !== size)) {
      throw new ConvlensError(
        `${this.name} (Reshape): cannot reshape an example of shape [${inputShape.join(', ')}] (${size} values) to [${this.targetShape.join(', ')}]`,
      );
    }
    return this.targetShape.map((d) => (d === -1 ? inferred : d));
  }

  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    this.exampleShape = x.shape.slice(1);
    // of a known example shape, a known output shape (checked here for inputs with free sizes)
    const shape = this.computeOutputShape(this.exampleShape) as number[];
    return new Tensor(x.data, [x.shape[0], ...shape], 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    if (!this.exampleShape) throw new ConvlensError(`${this.name} (Reshape): backward needs a forward pass first`);
    return new Tensor(dy.data, [dy.shape[0], ...this.exampleShape], 'float32');
  }

  getConfig(): Record<string, unknown> {
    // the -1 worked out once built: tfjs cannot infer the shapes after an unknown dimension
    const shape = this.outputShape && isKnownShape(this.outputShape) ? this.outputShape : this.targetShape;
    return { ...this.baseConfig(), target_shape: shape };
  }
}
