import { ConvlensError, describeValue } from '../errors.js';
import type { Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { immutable, layerOptions, shorthandOptions } from './args.js';
import {
  FILL_MODES,
  type FillMode,
  INTERPOLATIONS,
  type Interpolation,
  projectiveTransform,
  projectiveTransformBackward,
  type SamplingOptions,
} from './projective_transform.js';
import { choiceArg, factorRange, RANDOM_KEYS, RandomImageLayer, type RandomImageLayerArgs } from './random_image_layer.js';

/** How the geometric layers sample: Keras' fill_mode, fill_value and interpolation. */
export interface GeometricLayerArgs extends RandomImageLayerArgs {
  /** How points outside the input are filled: 'reflect' (the default), 'wrap', 'constant' or 'nearest'. */
  fillMode?: FillMode;
  /** The value 'constant' fills with (default 0). */
  fillValue?: number;
  /** 'bilinear' (the default) or 'nearest'. */
  interpolation?: Interpolation;
}

const GEOMETRIC_KEYS = ['fillMode', 'fillValue', 'interpolation', ...RANDOM_KEYS] as const;

/** A factor as Keras' geometric layers read it: f in [−1, 1] gives [−|f|, |f|], a pair is sorted. */
const signedRange = (where: string, key: string, value: unknown) => factorRange(where, key, value, -1, 1, (f) => [-f, f]);

/**
 * What RandomRotation, RandomTranslation and RandomZoom share: while training, each image goes
 * through a projective transform of its own draw (TensorFlow's ImageProjectiveTransformV3, as
 * Keras' affine_transform runs it), and the gradient back through its adjoint.
 */
abstract class GeometricLayer extends RandomImageLayer {
  readonly fillMode: FillMode;
  readonly fillValue: number;
  readonly interpolation: Interpolation;
  /**
   * The last training pass's transforms, 8 float32 numbers per image, mapping output points to
   * input points (Keras' matrices, as tf.image.transform takes them).
   */
  transforms: Float32Array | undefined;

  protected constructor(className: string, defaultName: string, args: GeometricLayerArgs) {
    super(className, defaultName, args);
    this.fillMode = choiceArg(this.where, 'fillMode', args.fillMode ?? 'reflect', FILL_MODES);
    this.interpolation = choiceArg(this.where, 'interpolation', args.interpolation ?? 'bilinear', INTERPOLATIONS);
    const fillValue = args.fillValue ?? 0;
    if (typeof fillValue !== 'number' || !Number.isFinite(fillValue)) {
      throw new ConvlensError(`${this.where}: fillValue must be a finite number, got ${describeValue(fillValue)}`);
    }
    this.fillValue = fillValue;
  }

  /** Each image's transform, from fresh draws: 8 numbers per image (float64; rounded to float32 after). */
  protected abstract drawTransforms(batch: number, height: number, width: number, random: Random): number[];

  private get sampling(): SamplingOptions {
    return { interpolation: this.interpolation, fillMode: this.fillMode, fillValue: Math.fround(this.fillValue) };
  }

  protected augment(x: Tensor<'float32'>): Tensor<'float32'> {
    const [batch, height, width] = x.shape;
    this.transforms = Float32Array.from(this.drawTransforms(batch, height, width, this.random));
    const out = this.buffer('out', x.size);
    projectiveTransform(x.data, x.shape, this.transforms, this.sampling, out);
    return new Tensor(out, x.shape, 'float32');
  }

  protected augmentBackward(dy: Tensor<'float32'>): Tensor<'float32'> {
    const dx = this.buffer('dx', dy.size);
    projectiveTransformBackward(dy.data, dy.shape, this.transforms!, this.sampling, dx);
    return new Tensor(dx, dy.shape, 'float32');
  }

  /** Keras' config keys for the sampling. */
  protected samplingConfig(): Record<string, unknown> {
    return {
      fill_mode: this.fillMode,
      fill_value: this.fillValue,
      interpolation: this.interpolation,
    };
  }
}

/** `count` uniform draws in [lower, upper), as Keras' random.uniform. */
function uniforms(count: number, [lower, upper]: readonly [number, number], random: Random): number[] {
  return Array.from({ length: count }, () => lower + (upper - lower) * random.next());
}

export interface RandomRotationLayerArgs extends GeometricLayerArgs {
  /**
   * The rotation, as a fraction of a full turn: f (in [−1, 1]) rotates each image by an angle
   * drawn from [−|f|, |f|] · 360°; a pair [lower, upper] from [lower, upper] · 360°. Positive
   * angles turn counter-clockwise.
   */
  factor: number | [number, number];
}

/**
 * Keras' RandomRotation: while training, each image is rotated about its centre by its own random
 * angle (Keras 3's matrix, centre ((width − 1) / 2, (height − 1) / 2)); empty corners filled as
 * `fillMode` says ('reflect' by default).
 */
export class RandomRotation extends GeometricLayer {
  /** The angle's bounds as fractions of a turn. */
  readonly factor: [number, number];

  /** `new RandomRotation(0.1)`, or an options object. */
  constructor(args: number | [number, number] | RandomRotationLayerArgs, more?: Omit<RandomRotationLayerArgs, 'factor'>) {
    const options = shorthandOptions<RandomRotationLayerArgs>(
      'RandomRotation',
      'factor',
      args,
      more,
      typeof args === 'number' || Array.isArray(args),
    );
    super(
      'RandomRotation',
      'random_rotation',
      layerOptions('RandomRotation', options, ['factor', ...GEOMETRIC_KEYS], { shorthand: 'a factor' }),
    );
    this.factor = signedRange(this.where, 'factor', options.factor);
  }

  protected drawTransforms(batch: number, height: number, width: number, random: Random): number[] {
    const [lower, upper] = this.factor;
    const degrees = uniforms(batch, [lower * 360, upper * 360], random);
    const [cx, cy] = [(width - 1) / 2, (height - 1) / 2];
    return degrees.flatMap((d) => {
      const angle = (d * Math.PI) / 180;
      const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
      return [cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, 0, 0];
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.randomConfig(), factor: [...this.factor], ...this.samplingConfig() };
  }
}

export interface RandomTranslationLayerArgs extends GeometricLayerArgs {
  /**
   * The vertical shift as a fraction of the height: f (in [−1, 1]) draws from [−|f|, |f|], a pair
   * [lower, upper] from that range; positive moves the image down.
   */
  heightFactor: number | [number, number];
  /** The horizontal shift as a fraction of the width, read as heightFactor; positive moves it right. */
  widthFactor: number | [number, number];
}

/**
 * Keras' RandomTranslation: while training, each image is shifted by its own random fractions of
 * its height and width (Keras draws every image's vertical shift, then every horizontal one);
 * the uncovered part filled as `fillMode` says ('reflect' by default).
 */
/** RandomTranslation's options from Keras' positional form `(heightFactor, widthFactor, options)` or one options object. */
function translationOptions(args: unknown, widthFactor: unknown, more: unknown): RandomTranslationLayerArgs {
  const positional = typeof args === 'number' || Array.isArray(args);
  if (!positional) return shorthandOptions('RandomTranslation', 'heightFactor', args, widthFactor, false);
  // Keras requires both factors; a missing one would otherwise read as "no shift" or fail later
  if (widthFactor === undefined || (typeof widthFactor === 'object' && !Array.isArray(widthFactor))) {
    throw new ConvlensError(
      `RandomTranslation: give the widthFactor after the heightFactor (new RandomTranslation(${describeValue(args)}, 0.1)), as Keras takes both, got ${describeValue(widthFactor)}`,
    );
  }
  const options = shorthandOptions<Partial<RandomTranslationLayerArgs>>('RandomTranslation', 'heightFactor', args, more, true);
  if ('widthFactor' in options)
    throw new ConvlensError('RandomTranslation: widthFactor is given twice, second and in the options after it');
  return {
    ...options,
    heightFactor: args as RandomTranslationLayerArgs['heightFactor'],
    widthFactor: widthFactor as RandomTranslationLayerArgs['widthFactor'],
  };
}

export class RandomTranslation extends GeometricLayer {
  /** The factors as given (Keras writes them so). */
  readonly heightFactor: number | [number, number];
  readonly widthFactor: number | [number, number];
  private readonly heightRange: [number, number];
  private readonly widthRange: [number, number];

  /** `new RandomTranslation(0.1, 0.2)` (Keras' two positional factors, then options), or an options object. */
  constructor(
    args: number | [number, number] | RandomTranslationLayerArgs,
    widthFactor?: number | [number, number],
    more?: Omit<RandomTranslationLayerArgs, 'heightFactor' | 'widthFactor'>,
  ) {
    const options = translationOptions(args, widthFactor, more);
    super(
      'RandomTranslation',
      'random_translation',
      layerOptions('RandomTranslation', options, ['heightFactor', 'widthFactor', ...GEOMETRIC_KEYS]),
    );
    this.heightRange = signedRange(this.where, 'heightFactor', options.heightFactor);
    this.widthRange = signedRange(this.where, 'widthFactor', options.widthFactor);
    this.heightFactor = copyFactor(options.heightFactor);
    this.widthFactor = copyFactor(options.widthFactor);
  }

  protected drawTransforms(batch: number, height: number, width: number, random: Random): number[] {
    const dy = uniforms(batch, this.heightRange, random).map((f) => f * height);
    const dx = uniforms(batch, this.widthRange, random).map((f) => f * width);
    return dy.flatMap((shiftY, n) => [1, 0, -dx[n], 0, 1, -shiftY, 0, 0]);
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.randomConfig(),
      height_factor: copyFactor(this.heightFactor),
      width_factor: copyFactor(this.widthFactor),
      ...this.samplingConfig(),
    };
  }
}

export interface RandomZoomLayerArgs extends GeometricLayerArgs {
  /**
   * The vertical zoom: f (in [−1, 1]) draws each image's zoom from 1 + [−|f|, |f|], a pair
   * [lower, upper] from 1 + [lower, upper]; positive zooms out, negative in.
   */
  heightFactor: number | [number, number];
  /** The horizontal zoom, read as heightFactor; null or left out zooms both ways alike, keeping the aspect ratio. */
  widthFactor?: number | [number, number] | null;
}

/**
 * Keras' RandomZoom: while training, each image is zoomed about its centre by its own random
 * factors (Keras draws every image's vertical zoom, then every horizontal one); the uncovered
 * part filled as `fillMode` says ('reflect' by default).
 */
export class RandomZoom extends GeometricLayer {
  readonly heightFactor: number | [number, number];
  readonly widthFactor: number | [number, number] | undefined;
  private readonly heightRange: [number, number];
  private readonly widthRange: [number, number] | undefined;

  /** `new RandomZoom(0.2)`, or an options object. */
  constructor(args: number | [number, number] | RandomZoomLayerArgs, more?: Omit<RandomZoomLayerArgs, 'heightFactor'>) {
    const options = shorthandOptions<RandomZoomLayerArgs>(
      'RandomZoom',
      'heightFactor',
      args,
      more,
      typeof args === 'number' || Array.isArray(args),
    );
    super(
      'RandomZoom',
      'random_zoom',
      layerOptions('RandomZoom', options, ['heightFactor', 'widthFactor', ...GEOMETRIC_KEYS], { shorthand: 'a heightFactor' }),
    );
    this.heightRange = signedRange(this.where, 'heightFactor', options.heightFactor);
    const widthFactor = options.widthFactor ?? undefined;
    this.widthRange = widthFactor === undefined ? undefined : signedRange(this.where, 'widthFactor', widthFactor);
    this.heightFactor = copyFactor(options.heightFactor);
    this.widthFactor = widthFactor === undefined ? undefined : copyFactor(widthFactor);
  }

  protected drawTransforms(batch: number, height: number, width: number, random: Random): number[] {
    const zy = uniforms(batch, this.heightRange, random).map((f) => 1 + f);
    const zx = this.widthRange ? uniforms(batch, this.widthRange, random).map((f) => 1 + f) : zy;
    return zy.flatMap((zoomY, n) => [zx[n], 0, ((width - 1) / 2) * (1 - zx[n]), 0, zoomY, ((height - 1) / 2) * (1 - zoomY), 0, 0]);
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.randomConfig(),
      height_factor: copyFactor(this.heightFactor),
      width_factor: this.widthFactor === undefined ? null : copyFactor(this.widthFactor),
      ...this.samplingConfig(),
    };
  }
}

/** A factor as given, a pair copied (so the caller's array can change without changing the layer). */
function copyFactor(f: number | [number, number]): number | [number, number] {
  return Array.isArray(f) ? immutable([f[0], f[1]]) : f;
}
