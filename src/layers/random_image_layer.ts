import { ConvlensError, describeValue } from '../errors.js';
import { globalRandom, Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { immutable, seedArg } from './args.js';
import { ImageLayer, type ImageLayerArgs } from './image_layer.js';
import { trainingBehaviour } from './layer.js';
import type { Shape } from './shapes.js';

/** Options every augmentation layer takes, besides its own. */
export interface RandomImageLayerArgs extends ImageLayerArgs {
  /**
   * Seeds this layer's own generator, so its draws repeat from run to run (Keras' `seed`);
   * without one, the layer draws from the global generator that `setSeed` seeds.
   */
  seed?: number | null;
}

/** The option keys RandomImageLayerArgs adds. */
export const RANDOM_KEYS = ['seed', 'dataFormat'] as const;

/**
 * What Keras' image augmentation layers share: images [batch, height, width, channels] (or
 * channels-first, as Keras 3 takes data_format) in, the same shape out; at inference (predict, evaluate, layerOutputs) the values pass through; while
 * training each image is changed by its own random draw, which backward takes the gradient back
 * through.
 */
export abstract class RandomImageLayer extends ImageLayer {
  readonly seed: number | undefined;
  private readonly generator: Random | undefined;
  /** Whether the last forward pass augmented (training), so backward must go back through it. */
  private augmented = false;

  protected constructor(className: string, defaultName: string, args: RandomImageLayerArgs) {
    super(className, defaultName, args);
    const seed = seedArg(this.where, args.seed);
    this.seed = seed;
    this.generator = seed === undefined ? undefined : new Random(seed);
  }

  /**
   * Keras' image augmentation layers take pixels "of integer or floating point dtype" and output
   * floats: uint8 images go in as decoded, cast to float32 (so does a model that begins with them).
   */
  override get takesIntegerInput(): boolean {
    return true;
  }

  /** How messages start: the class and the layer's name. */
  protected get where(): string {
    return `${this.className} '${this.name}'`;
  }

  /** The generator the draws come from: the layer's own (with a seed) or the global one. */
  protected get random(): Random {
    return this.generator ?? globalRandom();
  }

  protected outputShapeNHWC(inputShape: Shape): Shape {
    return inputShape;
  }

  protected forwardNHWC(x: Tensor<'float32'>, training: boolean): Tensor<'float32'> {
    this.augmented = trainingBehaviour(training);
    return this.augmented ? this.augment(x) : x;
  }

  protected backwardNHWC(dy: Tensor<'float32'>, needInputGrad: boolean): Tensor<'float32'> | undefined {
    if (!needInputGrad) return undefined;
    return this.augmented ? this.augmentBackward(dy) : dy;
  }

  /** A training batch with fresh draws for each image (kept for augmentBackward). */
  protected abstract augment(x: Tensor<'float32'>): Tensor<'float32'>;

  /** The gradient with respect to the input of the last augment, given the output's. */
  protected abstract augmentBackward(dy: Tensor<'float32'>): Tensor<'float32'>;

  /** Keras' config: the base fields, the seed (null without one) and the data format. */
  protected randomConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), seed: this.seed ?? null, data_format: this.dataFormat };
  }
}

/** A number within [min, max], or throws naming the layer and option. */
function boundedNumber(where: string, key: string, value: unknown, min: number, max: number, form: string): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new ConvlensError(`${where}: ${key} must be ${form}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Keras' random range from a factor: one number f gives `single(|f|)`, a pair [a, b] gives them
 * sorted; every number within [min, max].
 */
export function factorRange(
  where: string,
  key: string,
  value: unknown,
  min: number,
  max: number,
  single: (f: number) => [number, number],
): [number, number] {
  const form = `a number in [${min}, ${max}] or a pair [lower, upper] of them`;
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new ConvlensError(`${where}: ${key} must be ${form}, got ${describeValue(value)}`);
    const [a, b] = value.map((v) => boundedNumber(where, key, v, min, max, form));
    return immutable(a <= b ? [a, b] : [b, a]);
  }
  return immutable(single(Math.abs(boundedNumber(where, key, value, min, max, form))));
}

/** A `[low, high]` pair of finite numbers (Keras' value_range). */
export function valueRangeArg(where: string, value: unknown): [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v)) ||
    !(value[0] < value[1])
  ) {
    throw new ConvlensError(`${where}: valueRange must be [low, high], two finite numbers with low < high, got ${describeValue(value)}`);
  }
  return immutable([value[0], value[1]]);
}

/** One of `choices`, or throws listing them. */
export function choiceArg<T extends string>(where: string, key: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new ConvlensError(`${where}: ${key} must be ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T;
}
