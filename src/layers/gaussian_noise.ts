import { ConvlensError, describeValue } from '../errors.js';
import { globalRandom } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { layerOptions, shorthandOptions } from './args.js';
import { Layer, type LayerArgs, trainingBehaviour } from './layer.js';
import type { Shape } from './shapes.js';

export interface GaussianNoiseLayerArgs extends LayerArgs {
  /** The noise's standard deviation. */
  stddev: number;
}

/**
 * Keras' GaussianNoise: while training, adds noise drawn from N(0, stddev²) to every value; at
 * inference it passes values through. The gradient passes unchanged, the noise being a constant.
 */
export class GaussianNoise extends Layer {
  readonly stddev: number;

  constructor(args: number | GaussianNoiseLayerArgs, more?: Omit<GaussianNoiseLayerArgs, 'stddev'>) {
    const options = shorthandOptions<GaussianNoiseLayerArgs>('GaussianNoise', 'stddev', args, more, typeof args === 'number');
    super('GaussianNoise', 'gaussian_noise', layerOptions('GaussianNoise', options, ['stddev'], { shorthand: 'a stddev' }));
    // Keras 3 also refuses a stddev above 1; tf.keras 2 and tfjs do not, and their files may have one
    if (!(typeof options.stddev === 'number' && options.stddev >= 0 && Number.isFinite(options.stddev))) {
      throw new ConvlensError(`GaussianNoise '${this.name}': stddev must be a finite number ≥ 0, got ${describeValue(options.stddev)}`);
    }
    this.stddev = options.stddev;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }

  forward(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    if (!trainingBehaviour(training) || this.stddev === 0) return x;
    const random = globalRandom();
    const out = new Float32Array(x.size);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] + this.stddev * random.normal();
    return new Tensor(out, x.shape, 'float32');
  }

  backward(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    return needInputGrad ? dy : undefined;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), stddev: this.stddev };
  }
}
