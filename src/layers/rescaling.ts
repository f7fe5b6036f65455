import { ConvlensError, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';
import type { Shape } from './shapes.js';

export interface RescalingLayerArgs extends LayerArgs {
  /** Multiplies every value (Keras' `Rescaling(1 / 255)` takes uint8 pixel values to 0..1). */
  scale: number;
  /** Then added (default 0; `Rescaling(1 / 127.5, -1)` gives -1..1). */
  offset?: number;
}

/** Keras' Rescaling: y = x · scale + offset, often a model's first layer, so that it takes raw pixel values. */
export class Rescaling extends Layer {
  readonly scale: number;
  readonly offset: number;

  /**
   * As Keras' `Rescaling(scale, offset)`: `new Rescaling(1 / 255)`, `new Rescaling(1 / 127.5, -1)`,
   * `new Rescaling(1 / 255, { inputShape })`, or one options object.
   */
  constructor(args: number | RescalingLayerArgs, more: number | Omit<RescalingLayerArgs, 'scale'> = {}) {
    if (typeof args !== 'number' && more !== undefined && !(typeof more === 'object' && more !== null && Object.keys(more).length === 0)) {
      throw new ConvlensError(
        `Rescaling: give the options in one object, or the scale first (new Rescaling(1 / 255, { inputShape })), got ${describeValue(more)} after an object`,
      );
    }
    if (typeof args === 'number' && (more === null || (typeof more !== 'number' && typeof more !== 'object'))) {
      throw new ConvlensError(`Rescaling: after the scale comes the offset (a number) or an options object, got ${describeValue(more)}`);
    }
    const options = typeof args === 'number' ? (typeof more === 'number' ? { scale: args, offset: more } : { ...more, scale: args }) : args;
    super('Rescaling', 'rescaling', layerOptions('Rescaling', options, ['scale', 'offset'], { shorthand: 'a scale' }));
    const where = `Rescaling '${this.name}'`;
    const { scale, offset = 0 } = options;
    for (const [key, value] of [
      ['scale', scale],
      ['offset', offset],
    ] as const) {
      if (!(typeof value === 'number' && Number.isFinite(value))) {
        throw new ConvlensError(`${where}: ${key} must be a finite number, got ${describeValue(value)}`);
      }
    }
    this.scale = scale;
    this.offset = offset;
  }

  /** Keras' and tfjs-layers' Rescaling cast integer input to float32: uint8 pixels go in as decoded. */
  override get takesIntegerInput(): boolean {
    return true;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  /** In float32, as Keras computes it: the scale and offset cast, then a float32 product and sum. */
  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    const [scale, offset] = [Math.fround(this.scale), Math.fround(this.offset)];
    const out = this.buffer('out', x.size);
    for (let i = 0; i < x.size; i++) out[i] = Math.fround(x.data[i] * scale) + offset;
    return new Tensor(out, x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    const scale = Math.fround(this.scale);
    const dx = this.buffer('dx', dy.size);
    for (let i = 0; i < dy.size; i++) dx[i] = dy.data[i] * scale;
    return new Tensor(dx, dy.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), scale: this.scale, offset: this.offset };
  }
}
