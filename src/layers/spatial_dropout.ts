import { ConvlensError } from '../errors.js';
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

  /** One draw per channel of each example: [batch, 1, 1, channels], or [batch, channels, 1, 1] channels-first. */
  protected maskShape([batch, ...example]: readonly number[]): number[] {
    return this.dataFormat === 'channels_first' ? [batch, example[0], 1, 1] : [batch, 1, 1, example[2]];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), data_format: this.dataFormat };
  }
}
