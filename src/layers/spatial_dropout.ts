import { ConvlensError } from '../errors.js';
import type { Random } from '../tensor/random.js';
import { type DropoutLayerArgs, MaskedDropout } from './dropout.js';
import { batchShapeText } from './layer.js';

/**
 * Keras' SpatialDropout2D: while training, drops whole feature maps, each channel of each example
 * with probability `rate` (Keras' noise shape [batch, 1, 1, channels]), and scales the kept ones by
 * 1 / (1 − rate); at inference it passes values through. Inputs [batch, height, width, channels].
 */
export class SpatialDropout2D extends MaskedDropout {
  protected override readonly exampleRank = 3;

  constructor(args: number | DropoutLayerArgs, more?: Omit<DropoutLayerArgs, 'rate'>) {
    super('SpatialDropout2D', 'spatial_dropout2d', args, more);
  }

  override computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length !== 3) {
      throw new ConvlensError(
        `${this.name} (SpatialDropout2D): expected images [batch, height, width, channels], got inputs ${batchShapeText(inputShape).replace('None', 'batch')}`,
      );
    }
    return inputShape;
  }

  protected drawMask(shape: readonly number[], keep: number, random: Random): Float32Array {
    const [batch, height, width, channels] = shape;
    const mask = new Float32Array(batch * height * width * channels);
    const positions = height * width;
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        if (random.next() < this.rate) continue;
        const start = n * positions * channels + c;
        for (let p = 0; p < positions; p++) mask[start + p * channels] = keep;
      }
    }
    return mask;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), data_format: 'channels_last' };
  }
}
