import { ConvlensError, describeValue } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions } from './args.js';
import { Layer, type LayerArgs } from './layer.js';

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

  /** `new Rescaling(1 / 255)`, `new Rescaling(1 / 255, { inputShape })` (Keras' `Rescaling(1/255, input_shape=...)`), or one options object. */
  constructor(args: number | RescalingLayerArgs, more: Omit<RescalingLayerArgs, 'scale'> = {}) {
    const options = typeof args === 'number' ? { ...more, scale: args } : args;
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

  computeOutputShape(inputShape: number[]): number[] {
    return inputShape;
  }

  forward(x: Tensor<'float32'>): Tensor<'float32'> {
    const out = this.buffer('out', x.size);
    for (let i = 0; i < x.size; i++) out[i] = x.data[i] * this.scale + this.offset;
    return new Tensor(out, x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    const dx = this.buffer('dx', dy.size);
    for (let i = 0; i < dy.size; i++) dx[i] = dy.data[i] * this.scale;
    return new Tensor(dx, dy.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), scale: this.scale, offset: this.offset };
  }
}
