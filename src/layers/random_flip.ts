import { Tensor } from '../tensor/tensor.js';
import { layerOptions, shorthandOptions } from './args.js';
import { choiceArg, RANDOM_KEYS, RandomImageLayer, type RandomImageLayerArgs } from './random_image_layer.js';

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';
const FLIP_MODES: readonly FlipMode[] = ['horizontal', 'vertical', 'horizontal_and_vertical'];

export interface RandomFlipLayerArgs extends RandomImageLayerArgs {
  /**
   * 'horizontal' (left–right), 'vertical' (top–bottom) or 'horizontal_and_vertical' (the
   * default: both at once, as Keras 3 flips them on one draw).
   */
  mode?: FlipMode;
}

/**
 * Keras' RandomFlip: while training, each image is flipped with probability ½ (Keras 3: one
 * draw u per image, flipped when u ≤ ½; in 'horizontal_and_vertical' mode that one draw flips
 * both axes, a half turn); at inference the images pass through. The gradient is flipped back
 * the same way.
 */
export class RandomFlip extends RandomImageLayer {
  readonly mode: FlipMode;
  /** Which images the last training pass flipped. */
  private flips: Uint8Array | undefined;

  /** `new RandomFlip('horizontal')`, or an options object. */
  constructor(args: FlipMode | RandomFlipLayerArgs = {}, more?: Omit<RandomFlipLayerArgs, 'mode'>) {
    const options = shorthandOptions<RandomFlipLayerArgs>('RandomFlip', 'mode', args, more, typeof args === 'string');
    super('RandomFlip', 'random_flip', layerOptions('RandomFlip', options, ['mode', ...RANDOM_KEYS], { shorthand: 'a mode' }));
    this.mode = choiceArg(this.where, 'mode', options.mode ?? 'horizontal_and_vertical', FLIP_MODES);
  }

  protected augment(x: Tensor<'float32'>): Tensor<'float32'> {
    const random = this.random;
    this.flips = Uint8Array.from({ length: x.shape[0] }, () => (random.next() <= 0.5 ? 1 : 0));
    return this.flip(x, 'out');
  }

  protected augmentBackward(dy: Tensor<'float32'>): Tensor<'float32'> {
    return this.flip(dy, 'dx');
  }

  /** `x` with the flipped images reversed along the mode's axes (flipping is its own inverse). */
  private flip(x: Tensor<'float32'>, key: string): Tensor<'float32'> {
    const [batch, height, width, channels] = x.shape;
    const out = this.buffer(key, x.size);
    const horizontal = this.mode !== 'vertical';
    const vertical = this.mode !== 'horizontal';
    const size = height * width * channels;
    for (let n = 0; n < batch; n++) {
      const image = n * size;
      const flipped = this.flips![n] === 1;
      for (let y = 0; y < height; y++) {
        const fromY = flipped && vertical ? height - 1 - y : y;
        for (let xx = 0; xx < width; xx++) {
          const fromX = flipped && horizontal ? width - 1 - xx : xx;
          const o = image + (y * width + xx) * channels;
          const i = image + (fromY * width + fromX) * channels;
          for (let c = 0; c < channels; c++) out[o + c] = x.data[i + c];
        }
      }
    }
    return new Tensor(out, x.shape, 'float32');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.randomConfig(), mode: this.mode };
  }
}
