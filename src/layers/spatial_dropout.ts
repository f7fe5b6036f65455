import { ConvlensError } from '../errors.js';
import type { Random } from '../tensor/random.js';
import { type DataFormat, dataFormatArg, type ImageDataFormat } from './args.js';
import { type DropoutLayerArgs, MaskedDropout } from './dropout.js';
import { batchShapeText } from './layer.js';
import type { Shape } from './shapes.js';

export interface SpatialDropout2DLayerArgs extends DropoutLayerArgs {
  /** 'channels_last' (the default: [batch, height, width, channels]) or 'channels_first' ([batch, channels, height, width]). */
  dataFormat?: DataFormat;
}

/**
 * Keras' SpatialDropout2D: while training, drops whole feature maps, each channel of each example
 * with probability `rate` (Keras' noise shape [batch, 1, 1, channels], or [batch, channels, 1, 1]
 * channels-first), and scales the kept ones by 1 / (1 − rate); at inference it passes values through.
 */
export class SpatialDropout2D extends MaskedDropout {
  readonly dataFormat: ImageDataFormat;
  protected override readonly exampleRank = 3;

  constructor(args: number | SpatialDropout2DLayerArgs, more?: Omit<SpatialDropout2DLayerArgs, 'rate'>) {
    super('SpatialDropout2D', 'spatial_dropout2d', args, more, ['dataFormat']);
    const options = typeof args === 'number' ? more : args;
    this.dataFormat = dataFormatArg(`SpatialDropout2D '${this.name}'`, options?.dataFormat);
  }

  override computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 3) {
      throw new ConvlensError(
        `${this.name} (SpatialDropout2D): expected images [batch, height, width, channels], got inputs ${batchShapeText(inputShape).replace('None', 'batch')}`,
      );
    }
    return inputShape;
  }

  protected drawMask(shape: readonly number[], keep: number, random: Random): Float32Array {
    const channelsFirst = this.dataFormat === 'channels_first';
    const [batch, channels, height, width] = channelsFirst ? shape : [shape[0], shape[3], shape[1], shape[2]];
    const positions = height * width;
    const mask = new Float32Array(batch * channels * positions);
    // how far apart a channel's values, and its first values in turn, are
    const [step, channelStep] = channelsFirst ? [1, positions] : [channels, 1];
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        if (random.next() < this.rate) continue;
        const start = n * positions * channels + c * channelStep;
        for (let p = 0; p < positions; p++) mask[start + p * step] = keep;
      }
    }
    return mask;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), data_format: this.dataFormat };
  }
}
