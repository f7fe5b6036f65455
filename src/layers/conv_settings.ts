import { ConvlensError, describeValue } from '../errors.js';
import type { ActivationName } from '../train/gradients.js';
import { type ActivationIdentifier, activationName } from './activations.js';
import { booleanArg, checkDataFormat, type DataFormat, paddingArg, positivePair } from './args.js';
import { type InitializerName, initializerName } from './initializers.js';

/** What Keras' Conv2D and Conv2DTranspose take alike. */
export interface ConvLayerOptions extends ConvWindowOptions {
  filters: number;
  activation?: ActivationIdentifier | null;
  useBias?: boolean;
  kernelInitializer?: string;
  biasInitializer?: string;
}

export const CONV_OPTION_KEYS = [
  'filters',
  'kernelSize',
  'strides',
  'padding',
  'dataFormat',
  'dilationRate',
  'activation',
  'useBias',
  'kernelInitializer',
  'biasInitializer',
] as const;

/** Where a convolution layer's window goes: what Conv2D, DepthwiseConv2D and SeparableConv2D take alike. */
export interface ConvWindowOptions {
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  /** Keras' default is 'valid'. */
  padding?: 'valid' | 'same' | 'VALID' | 'SAME';
  /** Only 'channels_last' (the default), as the rest of convlens computes NHWC. */
  dataFormat?: DataFormat;
  dilationRate?: number | [number, number];
}

export interface ConvWindowSettings {
  kernelSize: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  dilationRate: [number, number];
}

/** The checked settings of a convolution layer, with Keras' defaults. */
export interface ConvSettings extends ConvWindowSettings {
  filters: number;
  activation: ActivationName;
  useBias: boolean;
  kernelInitializer: InitializerName;
  biasInitializer: InitializerName;
}

/** A count option such as filters or depthMultiplier: a positive integer, or an error naming the layer. */
export function positiveInteger(where: string, key: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new ConvlensError(`${where}: ${key} must be a positive integer, got ${describeValue(value)}`);
  }
  return value as number;
}

/** Checks a convolution layer's window options (`where` names the layer in errors), with Keras' defaults. */
export function convWindowSettings(where: string, args: ConvWindowOptions): ConvWindowSettings {
  const kernelSize = positivePair(where, 'kernelSize', args.kernelSize);
  const strides = positivePair(where, 'strides', args.strides ?? 1);
  const dilationRate = positivePair(where, 'dilationRate', args.dilationRate ?? 1);
  if (strides.some((s) => s > 1) && dilationRate.some((d) => d > 1)) {
    throw new ConvlensError(
      `${where}: strides ${describeValue(strides)} and dilationRate ${describeValue(dilationRate)} cannot both be above 1, as in Keras (one of them must be 1)`,
    );
  }
  const padding = paddingArg(where, args.padding);
  checkDataFormat(where, args.dataFormat);
  return { kernelSize, strides, padding, dilationRate };
}

/** Checks a convolution layer's options (`where` names the layer in errors) and fills in Keras' defaults. */
export function convSettings(where: string, args: ConvLayerOptions): ConvSettings {
  return {
    filters: positiveInteger(where, 'filters', args.filters),
    ...convWindowSettings(where, args),
    activation: activationName(where, args.activation),
    useBias: booleanArg(where, 'useBias', args.useBias, true),
    kernelInitializer: initializerName(where, args.kernelInitializer ?? 'glorotUniform'),
    biasInitializer: initializerName(where, args.biasInitializer ?? 'zeros'),
  };
}
